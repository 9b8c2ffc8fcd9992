"""`deploy.py stack`: the two-phase deploy, with CloudFormation and CloudFront stubbed where moto
cannot model them (its CloudFormation skips CloudFront and Cognito resources, its CloudFront drops
LambdaFunctionAssociations), and moto for S3, STS and Cognito."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile
from pathlib import Path

import boto3
import pytest
from botocore.stub import ANY, Stubber

from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.errors import DeployError
from gatebuild.deploy.gatezip import bootstrap_zip, sha256_b64
from gatebuild.deploy.stack import (
    DEFAULT_CSP,
    StackOptions,
    check_updatable,
    declared_parameters,
    deploy_stack,
    read_csp,
    stack_parameters,
    verify_association,
    wait_for_stack,
)

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

TEMPLATE = Path(__file__).resolve().parents[2] / "cloudformation.yaml"
NAME = "my-site"
STACK_ID = f"arn:aws:cloudformation:us-east-1:123456789012:stack/{NAME}/1"
DIST = "E2EXAMPLE123"
VERSION_ARN = f"arn:aws:lambda:us-east-1:123456789012:function:{NAME}-gate:2"
T0 = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)


def event(n, resource, status, kind="AWS::CloudFormation::Stack", reason=None):
    e = {
        "StackId": STACK_ID,
        "EventId": f"ev-{n}",
        "StackName": NAME,
        "LogicalResourceId": resource,
        "ResourceType": kind,
        "Timestamp": T0 + dt.timedelta(seconds=n),
        "ResourceStatus": status,
    }
    if reason:
        e["ResourceStatusReason"] = reason
    return e


def events_page(*events):
    """describe_stack_events answers newest first."""
    return {"StackEvents": sorted(events, key=lambda e: e["Timestamp"], reverse=True)}


def stack(status, outputs=None, parameters=None, reason=None):
    s = {"StackId": STACK_ID, "StackName": NAME, "CreationTime": T0, "StackStatus": status}
    if outputs:
        s["Outputs"] = [{"OutputKey": k, "OutputValue": v} for k, v in outputs.items()]
    if parameters:
        s["Parameters"] = [{"ParameterKey": k, "ParameterValue": v} for k, v in parameters.items()]
    if reason:
        s["StackStatusReason"] = reason
    return {"Stacks": [s]}


def not_found(stubber):
    stubber.add_client_error(
        "describe_stacks",
        service_error_code="ValidationError",
        service_message=f"Stack with id {NAME} does not exist",
        http_status_code=400,
    )


def distribution_config(arn):
    return {
        "ETag": "E1",
        "DistributionConfig": {
            "CallerReference": "x",
            "Comment": "",
            "Enabled": True,
            "Origins": {"Quantity": 1, "Items": [{"Id": "site-bucket", "DomainName": "b.s3.us-east-1.amazonaws.com"}]},
            "DefaultCacheBehavior": {
                "TargetOriginId": "site-bucket",
                "ViewerProtocolPolicy": "redirect-to-https",
                "LambdaFunctionAssociations": {
                    "Quantity": 1,
                    "Items": [{"LambdaFunctionARN": arn, "EventType": "viewer-request", "IncludeBody": False}],
                },
            },
        },
    }


def invalidation_reply():
    return {
        "Location": "https://x",
        "Invalidation": {
            "Id": "I1",
            "Status": "InProgress",
            "CreateTime": T0,
            "InvalidationBatch": {"Paths": {"Quantity": 1, "Items": ["/*"]}, "CallerReference": "c"},
        },
    }


@pytest.fixture
def aws(moto_aws):
    """Moto S3/STS/Cognito plus stubbed CloudFormation and CloudFront clients."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    cfn_stub, cf_stub = Stubber(cfn), Stubber(cloudfront)
    cfn_stub.activate()
    cf_stub.activate()
    clients = Clients(cloudformation=cfn, cloudfront=cloudfront)
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="my-site-sitebucket-abc")
    yield clients, cfn_stub, cf_stub
    cfn_stub.deactivate()
    cf_stub.deactivate()


@pytest.fixture
def cognito_pool(moto_aws):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = cognito.create_user_pool(PoolName=NAME)["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="gate",
        GenerateSecret=True,
        AllowedOAuthFlows=["code"],
        AllowedOAuthFlowsUserPoolClient=True,
        AllowedOAuthScopes=["openid", "email", "profile"],
        CallbackURLs=["https://d111111abcdef8.cloudfront.net/_gate/callback"],
        LogoutURLs=["https://d111111abcdef8.cloudfront.net/_gate/signed-out"],
    )["UserPoolClient"]
    return pool, client["ClientId"], client["ClientSecret"]


def outputs(pool=None, client=None, version=VERSION_ARN):
    o = {
        "SiteUrl": "https://d111111abcdef8.cloudfront.net",
        "DistributionId": DIST,
        "BucketName": "my-site-sitebucket-abc",
        "FunctionName": f"{NAME}-gate",
        "FunctionVersionArn": version,
        "DistributionDomainName": "d111111abcdef8.cloudfront.net",
    }
    if pool:
        o.update(UserPoolId=pool, UserPoolClientId=client, CognitoDomain="my-login.auth.us-east-1.amazoncognito.com")
    return o


def _stored_secret(name):
    value = boto3.client("ssm", region_name="us-east-1").get_parameter(Name=name, WithDecryption=True)
    return json.loads(value["Parameter"]["Value"])["current"]


def _opts(tmp_path, site_dir, **extra):
    csp = tmp_path / "csp.txt"
    csp.write_text("default-src 'self'; img-src 'self' https://img.example.com\n")
    return StackOptions(
        stack_name=NAME,
        site_dir=site_dir,
        csp_file=str(csp),
        zip_out=str(tmp_path / "edge.zip"),
        poll_seconds=0,
        **extra,
    )


def test_new_stack_with_cognito_two_phases(aws, cognito_pool, tmp_path, site_dir, fake_builder, quiet_progress):
    clients, cfn, cf = aws
    pool, client_id, secret = cognito_pool
    boot = bootstrap_zip()
    params = {
        "CodeBucket": "gate-artifacts-123456789012-us-east-1",
        "CodeKey": "x",
        "CodeSha256": "y",
        "CreateCognito": "true",
        "CognitoDomainPrefix": "my-login",
        "Aliases": "",
        "CertificateArn": "",
        "ContentSecurityPolicy": "csp",
        "PriceClass": "PriceClass_100",
        "AllowSelfSignUp": "false",
    }

    # phase 1: create with the bootstrap function, events as they arrive
    not_found(cfn)
    cfn.add_response(
        "create_stack",
        {"StackId": STACK_ID},
        {
            "StackName": NAME,
            "TemplateBody": ANY,
            "Capabilities": ["CAPABILITY_IAM"],
            "Tags": ANY,
            "Parameters": [
                {
                    "ParameterKey": "ContentSecurityPolicy",
                    "ParameterValue": "default-src 'self'; img-src 'self' https://img.example.com",
                },
                {"ParameterKey": "CreateCognito", "ParameterValue": "true"},
                {"ParameterKey": "CognitoDomainPrefix", "ParameterValue": "my-login"},
                {"ParameterKey": "CodeBucket", "ParameterValue": "gate-artifacts-123456789012-us-east-1"},
                {"ParameterKey": "CodeKey", "ParameterValue": ANY},
                {"ParameterKey": "CodeSha256", "ParameterValue": sha256_b64(boot)},
                # created unprotected, so a failed creation can delete its empty pool
                {"ParameterKey": "CognitoDeletionProtection", "ParameterValue": "INACTIVE"},
            ],
        },
    )
    first = [
        event(1, NAME, "CREATE_IN_PROGRESS", reason="User Initiated"),
        event(2, "Distribution", "CREATE_IN_PROGRESS", "AWS::CloudFront::Distribution"),
    ]
    cfn.add_response("describe_stack_events", events_page(*first), {"StackName": NAME})
    cfn.add_response("describe_stacks", stack("CREATE_IN_PROGRESS"), {"StackName": NAME})
    second = [
        *first,
        event(3, "Distribution", "CREATE_COMPLETE", "AWS::CloudFront::Distribution"),
        event(4, NAME, "CREATE_COMPLETE"),
    ]
    cfn.add_response("describe_stack_events", events_page(*second), {"StackName": NAME})
    cfn.add_response(
        "describe_stacks", stack("CREATE_COMPLETE", outputs(pool, client_id, version=VERSION_ARN[:-1] + "1"), params)
    )
    # phase 2: only the code parameters change
    cfn.add_response("describe_stack_events", events_page(*second), {"StackName": NAME})
    cfn.add_response(
        "update_stack",
        {"StackId": STACK_ID},
        {
            "StackName": NAME,
            "TemplateBody": ANY,
            "Capabilities": ["CAPABILITY_IAM"],
            "Parameters": [
                {"ParameterKey": "CodeBucket", "ParameterValue": "gate-artifacts-123456789012-us-east-1"},
                {"ParameterKey": "CodeKey", "ParameterValue": ANY},
                {"ParameterKey": "CodeSha256", "ParameterValue": ANY},
            ]
            + [{"ParameterKey": k, "ParameterValue": v} for k, v in params.items() if not k.startswith("Code")]
            # protection on as soon as the creation succeeded
            + [{"ParameterKey": "CognitoDeletionProtection", "ParameterValue": "ACTIVE"}],
        },
    )
    third = [
        *second,
        event(5, "GateVersion", "CREATE_COMPLETE", "AWS::Lambda::Version"),
        event(6, NAME, "UPDATE_COMPLETE"),
    ]
    cfn.add_response("describe_stack_events", events_page(*third), {"StackName": NAME})
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", outputs(pool, client_id), params))
    cf.add_response("get_distribution_config", distribution_config(VERSION_ARN), {"Id": DIST})
    cf.add_response("create_invalidation", invalidation_reply(), {"DistributionId": DIST, "InvalidationBatch": ANY})

    result = deploy_stack(
        _opts(tmp_path, site_dir, cognito_domain_prefix="my-login"),
        clients,
        quiet_progress,
        builder=fake_builder,
        sleep=lambda s: None,
    )
    cfn.assert_no_pending_responses()
    cf.assert_no_pending_responses()
    assert result["FunctionVersionArn"] == VERSION_ARN

    # the real zip was built with the stack's outputs, Cognito secret included
    (call,) = fake_builder.calls
    assert call["overrides"] == {
        "site": {"url": "https://d111111abcdef8.cloudfront.net"},
        "state": {"secret": _stored_secret(f"/signin-gate/stack/{NAME}/state-secret")},
        "idp": {"provider": "cognito", "client_id": client_id, "client_secret": secret},
        "cognito": {"region": "us-east-1", "user_pool_id": pool, "domain": "my-login.auth.us-east-1.amazoncognito.com"},
    }
    assert call["config_path"].endswith("gate.deploy.toml")  # no --config: the minimal one

    s3 = boto3.client("s3", region_name="us-east-1")
    artifacts = sorted(o["Key"] for o in s3.list_objects_v2(Bucket="gate-artifacts-123456789012-us-east-1")["Contents"])
    assert artifacts[0].startswith(f"signin-gate/{NAME}/bootstrap-") and artifacts[1].startswith(
        f"signin-gate/{NAME}/gate-"
    )
    built = s3.get_object(Bucket="gate-artifacts-123456789012-us-east-1", Key=artifacts[1])["Body"].read()
    with open(tmp_path / "edge.zip", "rb") as f:
        assert built == f.read()
    site = s3.head_object(Bucket="my-site-sitebucket-abc", Key="index.html")
    assert site["CacheControl"] == "private, no-cache"

    out = quiet_progress.out.getvalue()
    assert "CREATE_IN_PROGRESS" in out and "AWS::CloudFront::Distribution" in out
    assert out.index("Distribution") < out.index("GateVersion")  # events in order, as they arrived
    assert "Site: https://d111111abcdef8.cloudfront.net" in out
    assert f"Function version: {VERSION_ARN}" in out
    assert "admin-create-user" in out and pool in out
    assert quiet_progress.err.getvalue() == ""


def test_existing_stack_nothing_changed(aws, tmp_path, site_dir, fake_builder, quiet_progress):
    """Both phases say "No updates"; the site is uploaded and invalidated anyway."""
    clients, cfn, cf = aws
    params = {
        "CodeBucket": "b",
        "CodeKey": "k",
        "CodeSha256": "s",
        "CreateCognito": "false",
        "ContentSecurityPolicy": DEFAULT_CSP,
    }
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        'authorization_endpoint = "https://login.example.com/a"\n'
        'token_endpoint = "https://login.example.com/t"\njwks_uri = "https://login.example.com/j"\n'
    )
    cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", outputs(), params))
    for _ in range(2):
        cfn.add_response("describe_stack_events", events_page(event(1, NAME, "UPDATE_COMPLETE")))
        cfn.add_client_error(
            "update_stack", service_error_code="ValidationError", service_message="No updates are to be performed."
        )
        cfn.add_response("describe_stacks", stack("UPDATE_COMPLETE", outputs(), params))
    cf.add_response("get_distribution_config", distribution_config(VERSION_ARN), {"Id": DIST})
    cf.add_response("create_invalidation", invalidation_reply(), {"DistributionId": DIST, "InvalidationBatch": ANY})

    opts = _opts(tmp_path, site_dir, config_path=str(config))
    opts.csp_file = None  # and no csp.txt beside the site: the default policy
    (tmp_path / "csp.txt").unlink()
    deploy_stack(opts, clients, quiet_progress, builder=fake_builder, sleep=lambda s: None)
    cfn.assert_no_pending_responses()
    assert fake_builder.calls[0]["overrides"] == {
        "site": {"url": "https://d111111abcdef8.cloudfront.net"},
        "state": {"secret": _stored_secret(f"/signin-gate/stack/{NAME}/state-secret")},
    }
    out = quiet_progress.out.getvalue()
    assert out.count("no changes") == 2 and "function code unchanged" in out
    assert "default (same-origin only) Content-Security-Policy" in out
    assert (
        "register with your identity provider: callback URL https://d111111abcdef8.cloudfront.net/_gate/callback" in out
    )


def test_rollback_complete_stack_is_explained(aws, tmp_path, site_dir, fake_builder, quiet_progress):
    clients, cfn, _ = aws
    cfn.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"))
    with pytest.raises(DeployError) as caught:
        deploy_stack(
            _opts(tmp_path, site_dir, cognito_domain_prefix="x1"), clients, quiet_progress, builder=fake_builder
        )
    message = str(caught.value)
    assert "ROLLBACK_COMPLETE" in message and "delete-stack --stack-name my-site" in message
    assert "\n" not in message
    assert fake_builder.calls == []


def test_stack_busy_is_explained():
    with pytest.raises(DeployError, match=r"UPDATE_IN_PROGRESS.*wait"):
        check_updatable({"StackStatus": "UPDATE_IN_PROGRESS"}, NAME)


def test_failed_creation_names_the_resource_and_the_fix(aws, quiet_progress):
    _, cfn, _ = aws
    cfn.add_response(
        "describe_stack_events",
        events_page(
            event(1, NAME, "CREATE_IN_PROGRESS"),
            event(
                2, "UserPoolDomain", "CREATE_FAILED", "AWS::Cognito::UserPoolDomain", reason="Domain already exists."
            ),
            event(
                3,
                "Distribution",
                "CREATE_FAILED",
                "AWS::CloudFront::Distribution",
                reason="Resource creation cancelled",
            ),
            event(4, NAME, "ROLLBACK_COMPLETE"),
        ),
    )
    cfn.add_response("describe_stacks", stack("ROLLBACK_COMPLETE"))
    with pytest.raises(DeployError) as caught:
        wait_for_stack(cfn.client, NAME, None, quiet_progress, poll=0, timeout=60, sleep=lambda s: None)
    message = str(caught.value)
    assert "UserPoolDomain" in message and "Domain already exists" in message
    assert "--cognito-domain-prefix" in message and "delete-stack" in message


def test_failed_update_with_callback_url_error(aws, quiet_progress):
    _, cfn, _ = aws
    cfn.add_response(
        "describe_stack_events",
        events_page(
            event(
                7,
                "UserPoolClient",
                "UPDATE_FAILED",
                "AWS::Cognito::UserPoolClient",
                reason="Invalid request provided: CallbackURLs must use https",
            ),
            event(8, NAME, "UPDATE_ROLLBACK_COMPLETE"),
        ),
    )
    cfn.add_response("describe_stacks", stack("UPDATE_ROLLBACK_COMPLETE"))
    with pytest.raises(DeployError, match="redirect_mismatch"):
        wait_for_stack(cfn.client, NAME, "ev-1", quiet_progress, poll=0, timeout=60, sleep=lambda s: None)


def test_wait_times_out(aws, quiet_progress):
    _, cfn, _ = aws
    ticks = iter(range(0, 10000, 1000))
    for _ in range(3):
        cfn.add_response("describe_stack_events", events_page())
        cfn.add_response("describe_stacks", stack("UPDATE_IN_PROGRESS"))
    with pytest.raises(DeployError, match="still UPDATE_IN_PROGRESS after 30 minutes"):
        wait_for_stack(
            cfn.client,
            NAME,
            None,
            quiet_progress,
            poll=0,
            timeout=1800,
            sleep=lambda s: None,
            clock=lambda: next(ticks),
        )


def test_verify_association_warns_on_mismatch(aws, quiet_progress):
    _, _, cf = aws
    cf.add_response("get_distribution_config", distribution_config(VERSION_ARN[:-1] + "1"))
    assert verify_association(cf.client, DIST, VERSION_ARN, quiet_progress) is False
    assert "expected" in quiet_progress.err.getvalue()


def test_parameters_keep_previous_values():
    opts = StackOptions(stack_name=NAME, aliases=["www.example.com"], certificate_arn="arn:c")
    previous = {"CreateCognito": "true", "CognitoDomainPrefix": "p", "CodeKey": "k", "Gone": "x"}
    params = stack_parameters(opts, "csp", previous, None, declared_parameters(TEMPLATE.read_text()))
    assert {"ParameterKey": "Aliases", "ParameterValue": "www.example.com"} in params
    assert {"ParameterKey": "CreateCognito", "ParameterValue": "true"} in params
    assert {"ParameterKey": "CodeKey", "ParameterValue": "k"} in params
    assert not any(p["ParameterKey"] == "Gone" for p in params)
    fresh = stack_parameters(StackOptions(stack_name=NAME), "csp", None, ("b", "k", "s"))
    assert {"ParameterKey": "CreateCognito", "ParameterValue": "false"} in fresh
    assert {"ParameterKey": "CodeSha256", "ParameterValue": "s"} in fresh


def test_csp_file(tmp_path, quiet_progress):
    path = tmp_path / "csp.txt"
    path.write_text("default-src 'self'\n")
    assert read_csp(str(path), quiet_progress) == "default-src 'self'"
    path.write_text("a\nb\n")
    with pytest.raises(DeployError, match="one line"):
        read_csp(str(path), quiet_progress)
    path.write_text("x" * 1800)
    with pytest.raises(DeployError, match="1783"):
        read_csp(str(path), quiet_progress)
    with pytest.raises(DeployError, match="cannot read"):  # a file named explicitly must exist
        read_csp(str(tmp_path / "none.txt"), quiet_progress)
    assert read_csp(None, quiet_progress, str(tmp_path / "nowhere" / "dist")) == DEFAULT_CSP


def test_your_own_site_brings_its_own_csp(tmp_path, quiet_progress):
    """Item 14: `--site-dir ../my-app/dist` sends ../my-app/csp.txt, never this repository's
    site/csp.txt (gatebuild.site_policy, which the local emulator reads too)."""
    app = tmp_path / "my-app"
    (app / "dist").mkdir(parents=True)
    (app / "csp.txt").write_text(
        "default-src 'self'; connect-src 'self' https://api.example.com; font-src https://fonts.gstatic.com\n"
    )
    csp = read_csp(None, quiet_progress, str(app / "dist"))
    assert "https://api.example.com" in csp and "fonts.gstatic.com" in csp
    assert str(app / "csp.txt") in quiet_progress.out.getvalue()


@pytest.mark.parametrize(
    "args,message",
    [
        (["--stack-name", "bad_name"], "--stack-name"),
        (["--stack-name", "ok", "--alias", "www.example.com"], "--certificate-arn"),
        (
            [
                "--stack-name",
                "ok",
                "--alias",
                "www.example.com",
                "--certificate-arn",
                "arn:aws:acm:eu-west-1:123456789012:certificate/abc",
            ],
            "us-east-1",
        ),
        (["--stack-name", "ok", "--cognito-domain-prefix", "My_Login"], "--cognito-domain-prefix"),
        (["--stack-name", "ok", "--cognito-domain-prefix", "aws-login"], "aws, amazon or cognito"),
    ],
)
def test_option_mistakes_fail_before_any_aws_call(aws_env, tmp_path, site_dir, args, message):
    err = io.StringIO()
    code = main(
        ["stack", *args, "--site-dir", site_dir], clients=Clients(session=object()), stdout=io.StringIO(), stderr=err
    )
    assert code == 1
    assert message in err.getvalue() and err.getvalue().count("\n") == 1


def test_config_mistake_fails_before_the_stack(aws, tmp_path, site_dir, fake_builder):
    clients, cfn, _ = aws
    not_found(cfn)
    bad = tmp_path / "gate.toml"
    bad.write_text('[idp]\nprovider = "cognito"\nclient_id = "x"\n[cookies]\nsame_site = "Sometimes"\n')
    err = io.StringIO()
    code = main(
        [
            "stack",
            "--stack-name",
            NAME,
            "--config",
            str(bad),
            "--cognito-domain-prefix",
            "my-login",
            "--site-dir",
            site_dir,
        ],
        clients=clients,
        builder=fake_builder,
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 2
    assert "cookies.same_site" in err.getvalue() and "Traceback" not in err.getvalue()
    cfn.assert_no_pending_responses()


def test_oidc_config_with_created_pool_is_refused(aws, tmp_path, site_dir, fake_builder, quiet_progress):
    clients, cfn, _ = aws
    not_found(cfn)
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "oidc"\nclient_id = "x"\nissuer = "https://login.example.com"\n')
    with pytest.raises(DeployError, match="provider is 'oidc'"):
        deploy_stack(
            _opts(tmp_path, site_dir, config_path=str(config), cognito_domain_prefix="my-login"),
            clients,
            quiet_progress,
            builder=fake_builder,
        )


def test_no_idp_at_all_is_refused(aws, tmp_path, site_dir, fake_builder, quiet_progress):
    clients, cfn, _ = aws
    not_found(cfn)
    with pytest.raises(DeployError, match="--cognito-domain-prefix PREFIX creates"):
        deploy_stack(_opts(tmp_path, site_dir), clients, quiet_progress, builder=fake_builder)


def test_bootstrap_zip_fails_closed(tmp_path):
    data = bootstrap_zip()
    assert data == bootstrap_zip()  # deterministic: same key, same hash every run
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        archive.extractall(tmp_path)
    namespace: dict = {}
    exec((tmp_path / "edge" / "handler.py").read_text(), namespace)
    response = namespace["handler"]({"Records": [{"cf": {"request": {"uri": "/"}}}]}, None)
    assert response["status"] == "503"
    assert response["headers"]["cache-control"][0]["value"] == "no-store"
    json.dumps(response)


def test_existing_cognito_client_urls_are_checked(cognito_pool, quiet_progress):
    from gatebuild.deploy.cognito import check_registered_urls

    pool, client_id, _ = cognito_pool
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    site = "https://d111111abcdef8.cloudfront.net"
    assert (
        check_registered_urls(
            cognito, pool, client_id, f"{site}/_gate/callback", f"{site}/_gate/signed-out", quiet_progress
        )
        is True
    )
    assert quiet_progress.err.getvalue() == ""
    other = "https://www.example.com"
    assert (
        check_registered_urls(
            cognito, pool, client_id, f"{other}/_gate/callback", f"{other}/_gate/signed-out", quiet_progress
        )
        is False
    )
    warnings = quiet_progress.err.getvalue().splitlines()
    assert len(warnings) == 2
    assert "redirect_mismatch" in warnings[0] and "https://www.example.com/_gate/callback" in warnings[0]
    assert "Allowed sign-out URLs" in warnings[1]
    assert check_registered_urls(cognito, pool, "no-such-client", "a", "b", quiet_progress) is None


def test_a_template_breaking_an_edge_rule_is_refused(aws_env, tmp_path, site_dir):
    bad = tmp_path / "template.yaml"
    bad.write_text(TEMPLATE.read_text().replace("MemorySize: 128", "MemorySize: 1024"))
    err = io.StringIO()
    code = main(
        [
            "stack",
            "--stack-name",
            NAME,
            "--cognito-domain-prefix",
            "my-login",
            "--site-dir",
            site_dir,
            "--template",
            str(bad),
        ],
        clients=Clients(session=object()),
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1
    assert "MemorySize: 1024 is over 128" in err.getvalue()


def test_api_domain_parameters():
    """Issue 13: --api-domain sets the optional API origin; not given keeps the stack's; "" removes it."""
    declared = declared_parameters(TEMPLATE.read_text())
    previous = {"ApiDomainName": "old.execute-api.us-east-1.amazonaws.com"}
    given = StackOptions(stack_name=NAME, api_domain="abc.execute-api.us-east-1.amazonaws.com", api_path="/v1/*")
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack_parameters(given, "csp", previous, None, declared)}
    assert params["ApiDomainName"] == "abc.execute-api.us-east-1.amazonaws.com" and params["ApiPathPattern"] == "/v1/*"
    kept = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in stack_parameters(StackOptions(stack_name=NAME), "csp", previous, None, declared)
    }
    assert kept["ApiDomainName"] == previous["ApiDomainName"]
    removed = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in stack_parameters(StackOptions(stack_name=NAME, api_domain=""), "csp", previous, None, declared)
    }
    assert removed["ApiDomainName"] == ""
