"""cloudformation.yaml: cfn-lint clean, and the properties the issue asks for are there."""

from __future__ import annotations

from pathlib import Path

import pytest

from edge.settings import Paths

DEFAULT_PATHS = Paths()

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "cloudformation.yaml"


def test_cfn_lint_clean():
    from cfnlint.api import ManualArgs, lint_file

    matches = lint_file(TEMPLATE_PATH, config=ManualArgs(regions=["us-east-1"]))
    assert [f"{m.rule.id} line {m.linenumber}: {m.message}" for m in matches] == []


def _res(template, name):
    return template["Resources"][name]


def test_bucket_private_encrypted_and_only_via_oac(template):
    props = _res(template, "SiteBucket")["Properties"]
    assert all(props["PublicAccessBlockConfiguration"].values())
    assert len(props["PublicAccessBlockConfiguration"]) == 4
    assert props["BucketEncryption"]["ServerSideEncryptionConfiguration"][0]["ServerSideEncryptionByDefault"]
    statements = _res(template, "SiteBucketPolicy")["Properties"]["PolicyDocument"]["Statement"]
    allow = [s for s in statements if s["Effect"] == "Allow"]
    assert sorted(s["Action"] for s in allow) == ["s3:GetObject", "s3:ListBucket"]
    for statement in allow:  # only this distribution, through its OAC
        assert statement["Principal"] == {"Service": "cloudfront.amazonaws.com"}
        source_arn = statement["Condition"]["StringEquals"]["AWS:SourceArn"]["Fn::Sub"]
        assert source_arn.endswith(":distribution/${Distribution}")
    origin = _res(template, "Distribution")["Properties"]["DistributionConfig"]["Origins"][0]
    assert origin["OriginAccessControlId"] == {"Fn::GetAtt": ["OriginAccessControl", "Id"]}
    assert origin["S3OriginConfig"]["OriginAccessIdentity"] == ""


def test_distribution(template):
    config = _res(template, "Distribution")["Properties"]["DistributionConfig"]
    behavior = config["DefaultCacheBehavior"]
    assert behavior["ViewerProtocolPolicy"] == "redirect-to-https"
    assert behavior["CachePolicyId"] == {"Ref": "PageCachePolicy"}
    gate = [{"EventType": "viewer-request", "IncludeBody": False, "LambdaFunctionARN": {"Ref": "GateVersion"}}]
    assert behavior["LambdaFunctionAssociations"] == gate
    _gate_paths, api, assets = config["CacheBehaviors"]
    assert api["Fn::If"][0] == "HasApi" and api["Fn::If"][2] == {"Ref": "AWS::NoValue"}
    assert assets["PathPattern"] == {"Ref": "AssetPathPattern"}
    assert template["Parameters"]["AssetPathPattern"]["Default"] == "/assets/*"
    # issue 23: the gate on the assets unless signed cookies are on (a key given), then a key group and no function
    assert assets["LambdaFunctionAssociations"] == {"Fn::If": ["SignedAssets", {"Ref": "AWS::NoValue"}, gate]}
    assert assets["TrustedKeyGroups"] == {
        "Fn::If": ["SignedAssets", [{"Ref": "AssetKeyGroup"}], {"Ref": "AWS::NoValue"}]
    }
    assert assets["CachePolicyId"] == {"Ref": "AssetCachePolicy"}
    assert _res(template, "GateVersion")["Type"] == "AWS::Lambda::Version"
    # Issue 20: distribution-wide error mappings answer the API's 404s and missing assets with
    # the app's HTML; client routes are the gate's job, a missing key is S3's 404.
    assert "CustomErrorResponses" not in config
    assert config["Aliases"]["Fn::If"][0] == "HasAliases"
    assert config["ViewerCertificate"]["Fn::If"][1]["AcmCertificateArn"] == {"Ref": "CertificateArn"}


def test_optional_api_behavior(template):
    """Issue 13: the API origin only when ApiDomainName is given; every method, caching disabled,
    and the managed AllViewerExceptHostHeader origin request policy, so the Authorization header
    the gate adds reaches the API (CloudFront refuses an origin request policy that names
    Authorization; with caching disabled the AllViewer* policies forward it:
    https://repost.aws/knowledge-center/cloudfront-authorization-header; policy IDs:
    https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html)."""
    assert template["Conditions"]["HasApi"] == {"Fn::Not": [{"Fn::Equals": [{"Ref": "ApiDomainName"}, ""]}]}
    assert template["Parameters"]["ApiDomainName"]["Default"] == ""
    config = _res(template, "Distribution")["Properties"]["DistributionConfig"]
    condition, origin, otherwise = config["Origins"][1]["Fn::If"]
    assert condition == "HasApi" and otherwise == {"Ref": "AWS::NoValue"}
    assert origin["DomainName"] == {"Ref": "ApiDomainName"}
    assert origin["CustomOriginConfig"]["OriginProtocolPolicy"] == "https-only"
    condition, api, otherwise = config["CacheBehaviors"][1]["Fn::If"]
    assert api["TargetOriginId"] == origin["Id"] and api["PathPattern"] == {"Ref": "ApiPathPattern"}
    assert set(api["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert api["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert api["OriginRequestPolicyId"] == "b689b0a8-53d0-40ab-baf2-68738e2966ac"  # AllViewerExceptHostHeader
    assert api["LambdaFunctionAssociations"] == config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]


def test_cache_policies_cache_private_content_at_the_edge_only(template):
    """S3 objects say `private` (deploy.py); CloudFront caches them anyway because MinTTL > 0 wins
    over no-cache/no-store/private ("CachePolicyConfig", CloudFront API reference). Nothing from the
    viewer (cookies, headers, query) is in the key."""
    for name, min_ttl in (("PageCachePolicy", 1), ("AssetCachePolicy", 31536000)):
        config = _res(template, name)["Properties"]["CachePolicyConfig"]
        assert config["MinTTL"] >= min_ttl
        key = config["ParametersInCacheKeyAndForwardedToOrigin"]
        assert key["CookiesConfig"] == {"CookieBehavior": "none"}
        assert key["HeadersConfig"] == {"HeaderBehavior": "none"}
        assert key["QueryStringsConfig"] == {"QueryStringBehavior": "none"}


def test_hsts_subdomains_and_preload_are_opt_in(template):
    hsts = _res(template, "SecurityHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]["StrictTransportSecurity"]
    assert hsts["IncludeSubdomains"] == {"Fn::If": ["HstsSubdomains", True, False]}
    assert hsts["Preload"] == {"Fn::If": ["HstsPreloaded", True, False]}
    assert template["Parameters"]["HstsIncludeSubdomains"]["Default"] == "false"
    assert template["Parameters"]["HstsPreload"]["Default"] == "false"
    assert template["Conditions"]["HstsSubdomains"] == {"Fn::Equals": [{"Ref": "HstsIncludeSubdomains"}, "true"]}


def test_gate_behavior_comes_first_with_every_method_and_no_caching(template):
    """Issue 20: the site's session module POSTs /_gate/refresh before the session expires. The
    default behavior allows GET/HEAD/OPTIONS only, where CloudFront answers a POST with its own
    403 before any function runs (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html).
    So /_gate/* has its own behavior, listed first (behaviors are matched in order), with every
    method, caching disabled and the gate on the viewer request without the body."""
    config = _res(template, "Distribution")["Properties"]["DistributionConfig"]
    first = config["CacheBehaviors"][0]
    assert first["PathPattern"] == "/_gate/*"
    assert DEFAULT_PATHS.refresh.startswith("/_gate/") and DEFAULT_PATHS.whoami.startswith("/_gate/")
    assert set(first["AllowedMethods"]) == {"GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE"}
    assert first["CachePolicyId"] == "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"  # Managed-CachingDisabled
    assert first["LambdaFunctionAssociations"] == config["DefaultCacheBehavior"]["LambdaFunctionAssociations"]
    assert first["LambdaFunctionAssociations"][0]["IncludeBody"] is False
    assert first["TargetOriginId"] == "site-bucket" and first["ViewerProtocolPolicy"] == "redirect-to-https"


def test_user_pool_survives_stack_delete_and_replacement_but_not_a_failed_first_create(template):
    """RetainExceptOnCreate: kept on stack delete, deleted when the stack's own creation rolls
    back ("DeletionPolicy attribute", CloudFormation user guide); UpdateReplacePolicy has no such
    value. Deletion protection comes from a parameter: deploy.py creates with INACTIVE (Cognito
    refuses to delete a protected pool, which would turn a failed create into ROLLBACK_FAILED) and
    every later update, phase 2 of the same deploy included, sets ACTIVE."""
    pool = _res(template, "UserPool")
    assert pool["DeletionPolicy"] == "RetainExceptOnCreate" and pool["UpdateReplacePolicy"] == "Retain"
    assert pool["Properties"]["DeletionProtection"] == {"Ref": "CognitoDeletionProtection"}
    parameter = template["Parameters"]["CognitoDeletionProtection"]
    assert parameter["Default"] == "ACTIVE" and set(parameter["AllowedValues"]) == {"ACTIVE", "INACTIVE"}
    from gatebuild.deploy.stack import StackOptions, code_parameters, stack_parameters

    declared = set(template["Parameters"])
    create = {p["ParameterKey"]: p["ParameterValue"] for p in stack_parameters(StackOptions("s"), "csp", None, None)}
    assert create["CognitoDeletionProtection"] == "INACTIVE"
    phase2 = {p["ParameterKey"]: p["ParameterValue"] for p in code_parameters(create, ("b", "k", "h"), declared)}
    assert phase2["CognitoDeletionProtection"] == "ACTIVE"
    update = stack_parameters(StackOptions("s"), "csp", {"CognitoDeletionProtection": "INACTIVE"}, None)
    assert {"ParameterKey": "CognitoDeletionProtection", "ParameterValue": "ACTIVE"} in update


def test_user_pool_tier_is_explicit_and_the_hosted_ui_classic(template):
    """Cognito feature plans (Lite, Essentials, Plus; November 2024): the template says which one,
    and the domain uses the classic hosted UI (ManagedLoginVersion 1), which Lite includes;
    managed login (version 2) needs Essentials (docs/deploy.md, Costs)."""
    assert _res(template, "UserPool")["Properties"]["UserPoolTier"] == "LITE"
    assert _res(template, "UserPoolDomain")["Properties"]["ManagedLoginVersion"] == 1


def test_function_has_no_fixed_name_and_logs_only_its_own_groups(template):
    """A fixed FunctionName makes the retry after a failed create collide with a replicated
    function that cannot be deleted for hours (FIELD-NOTES, Deploy traps)."""
    assert "FunctionName" not in _res(template, "GateFunction")["Properties"]
    policy = _res(template, "GateLogsPolicy")
    assert policy["Properties"]["RoleName"] == {"Ref": "GateRole"}
    resources = [r["Fn::Sub"] for r in policy["Properties"]["PolicyDocument"]["Statement"][0]["Resource"]]
    assert any(r.endswith(":log-group:/aws/lambda/us-east-1.${GateFunction}:*") and ":logs:*:" in r for r in resources)
    assert {"GateLogsPolicy", "GateLogGroup"} <= set(
        _res(template, "GateVersion")["DependsOn"]
    )  # no replica runs without them
    group = _res(template, "GateLogGroup")["Properties"]
    assert group["RetentionInDays"] == {"Ref": "LogRetentionDays"}
    assert group["LogGroupName"] == {"Fn::Sub": "/aws/lambda/us-east-1.${GateFunction}"}


def test_previous_site_url_stays_registered_while_the_url_changes(template):
    client = _res(template, "UserPoolClient")["Properties"]
    for key, path in (("CallbackURLs", DEFAULT_PATHS.callback), ("LogoutURLs", DEFAULT_PATHS.signed_out)):
        extra = client[key][1]["Fn::If"]
        assert extra[0] == "HasPreviousSiteUrl"
        assert extra[1] == {"Fn::Sub": "${PreviousSiteUrl}" + path}
        assert extra[2] == {"Ref": "AWS::NoValue"}


@pytest.mark.slow
def test_checkov_clean_and_every_suppression_justified():
    """checkov runs from its own venv (.venv-checkov, made by scripts/setup: its boto3 pin
    conflicts with ours). Each skip in the template's metadata carries a reason."""
    import json
    import os
    import subprocess

    import pytest

    from gatebuild.lambda_edge_rules import load_template

    checkov = ROOT / ".venv-checkov" / "bin" / "checkov"
    if not checkov.exists():
        assert not os.environ.get("CI"), "CI must run checkov: scripts/setup creates .venv-checkov"
        pytest.skip("no .venv-checkov: run scripts/setup")
    result = subprocess.run(
        [str(checkov), "-f", str(TEMPLATE_PATH), "--framework", "cloudformation", "--compact", "--quiet", "-o", "json"],
        capture_output=True,
        text=True,
        timeout=300,
    )
    report = json.loads(result.stdout)
    failed = report.get("results", {}).get("failed_checks", [])
    assert [(c["check_id"], c["resource"]) for c in failed] == []
    assert report["summary"]["passed"] > 0
    for name, resource in load_template(str(TEMPLATE_PATH))["Resources"].items():
        for skip in ((resource.get("Metadata") or {}).get("checkov") or {}).get("skip", []):
            assert len(skip.get("comment", "")) > 40, (name, skip)


def test_security_headers_policy(template):
    headers = _res(template, "SecurityHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"][
        "SecurityHeadersConfig"
    ]
    assert headers["StrictTransportSecurity"]["AccessControlMaxAgeSec"] >= 31536000
    assert headers["ContentSecurityPolicy"]["ContentSecurityPolicy"] == {"Ref": "ContentSecurityPolicy"}
    default_csp = template["Parameters"]["ContentSecurityPolicy"]["Default"]
    from gatebuild.deploy.stack import DEFAULT_CSP

    assert default_csp == DEFAULT_CSP


def test_function_and_version(template):
    props = _res(template, "GateFunction")["Properties"]
    assert props["Runtime"] == "python3.13"
    assert props["MemorySize"] == 128
    assert props["Timeout"] == 5
    assert props["Architectures"] == ["x86_64"]
    assert props["Handler"] == "edge.handler.handler"
    assert "Environment" not in props
    assert props["Code"] == {"S3Bucket": {"Ref": "CodeBucket"}, "S3Key": {"Ref": "CodeKey"}}
    version = _res(template, "GateVersion")
    assert version["Properties"]["CodeSha256"] == {"Ref": "CodeSha256"}
    assert version["UpdateReplacePolicy"] == "Retain"


def test_role_trusts_both_services_and_logs_everywhere(template):
    role = _res(template, "GateRole")["Properties"]
    services = role["AssumeRolePolicyDocument"]["Statement"][0]["Principal"]["Service"]
    assert sorted(services) == ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]
    assert "Policies" not in role  # the logs policy names the function: GateLogsPolicy


def test_cognito_is_optional_and_matches_the_gate_paths(template):
    for name in ("UserPool", "UserPoolClient", "AdminGroup", "ViewerGroup"):
        assert _res(template, name)["Condition"] == "CreateCognito"
    assert _res(template, "UserPoolDomain")["Condition"] == "HasDomainPrefix"
    groups = {_res(template, n)["Properties"]["GroupName"] for n in ("AdminGroup", "ViewerGroup")}
    assert groups == {"Admin", "Viewer"}
    client = _res(template, "UserPoolClient")["Properties"]
    assert client["AllowedOAuthFlows"] == ["code"]
    assert set(client["AllowedOAuthScopes"]) == {"openid", "email", "profile"}
    callback = client["CallbackURLs"][0]["Fn::If"]
    logout = client["LogoutURLs"][0]["Fn::If"]
    assert callback[2]["Fn::Sub"].endswith(DEFAULT_PATHS.callback)
    assert callback[1]["Fn::Join"][1][-1] == DEFAULT_PATHS.callback
    assert logout[2]["Fn::Sub"].endswith(DEFAULT_PATHS.signed_out)
    assert logout[1]["Fn::Join"][1][-1] == DEFAULT_PATHS.signed_out


def test_outputs(template):
    outputs = template["Outputs"]
    for key in ("SiteUrl", "BucketName", "DistributionId", "FunctionVersionArn"):
        assert key in outputs
    assert outputs["FunctionVersionArn"]["Value"] == {"Ref": "GateVersion"}
    for key in ("UserPoolId", "UserPoolClientId", "CognitoDomain"):
        assert outputs[key]["Condition"] == "CreateCognito"


def test_asset_key_group_has_two_slots(template):
    """Issue 23: AWS::CloudFront::PublicKey in two slots (a rotation keeps the previous one
    trusted) and an AWS::CloudFront::KeyGroup of whichever are given; their ids are outputs."""
    for slot in "AB":
        key = _res(template, f"AssetKey{slot}")
        assert key["Type"] == "AWS::CloudFront::PublicKey" and key["Condition"] == f"HasAssetKey{slot}"
        assert key["Properties"]["PublicKeyConfig"]["EncodedKey"] == {"Ref": f"AssetPublicKey{slot}"}
        assert template["Parameters"][f"AssetPublicKey{slot}"]["Default"] == ""
        assert template["Outputs"][f"AssetKey{slot}Id"]["Value"] == {"Ref": f"AssetKey{slot}"}
    group = _res(template, "AssetKeyGroup")
    assert group["Type"] == "AWS::CloudFront::KeyGroup" and group["Condition"] == "SignedAssets"
    assert group["Properties"]["KeyGroupConfig"]["Items"] == [
        {"Fn::If": ["HasAssetKeyA", {"Ref": "AssetKeyA"}, {"Ref": "AWS::NoValue"}]},
        {"Fn::If": ["HasAssetKeyB", {"Ref": "AssetKeyB"}, {"Ref": "AWS::NoValue"}]},
    ]
