"""cloudformation.yaml: cfn-lint clean, and the properties the issue asks for are there."""

from __future__ import annotations

from pathlib import Path

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
    assert behavior["CachePolicyId"] == "658327ea-f89d-4fab-a63d-7e88639e58f6"  # Managed-CachingOptimized
    assert behavior["LambdaFunctionAssociations"] == [
        {"EventType": "viewer-request", "IncludeBody": False, "LambdaFunctionARN": {"Ref": "GateVersion"}}
    ]
    assert _res(template, "GateVersion")["Type"] == "AWS::Lambda::Version"
    errors = {e["ErrorCode"]: e for e in config["CustomErrorResponses"]}
    assert set(errors) == {404}  # never 403: the gate's own 403 page must reach the viewer
    assert errors[404]["ResponseCode"] == 200
    assert errors[404]["ResponsePagePath"] == "/index.html"
    assert config["Aliases"]["Fn::If"][0] == "HasAliases"
    assert config["ViewerCertificate"]["Fn::If"][1]["AcmCertificateArn"] == {"Ref": "CertificateArn"}


def test_security_headers_policy(template):
    headers = _res(template, "SecurityHeadersPolicy")["Properties"]["ResponseHeadersPolicyConfig"]["SecurityHeadersConfig"]
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
    resources = role["Policies"][0]["PolicyDocument"]["Statement"][0]["Resource"]
    assert any(":logs:*:" in r["Fn::Sub"] and "us-east-1.${AWS::StackName}-gate" in r["Fn::Sub"] for r in resources)


def test_cognito_is_optional_and_matches_the_gate_paths(template):
    for name in ("UserPool", "UserPoolDomain", "UserPoolClient", "AdminGroup", "ViewerGroup"):
        assert _res(template, name)["Condition"] == "CreateCognito"
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
