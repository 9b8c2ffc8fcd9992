"""Deploy paths no other test runs: option checks, parameters, error branches, build failures,
Ctrl-C, the state secret in SSM, log retention, publish's Lambda@Edge settings.

Stubbed answers follow the service API references: CloudFormation DescribeStacks answers
ValidationError "Stack with id X does not exist" for a missing stack and UpdateStack answers
ValidationError "No updates are to be performed." (CloudFormation API reference, Common errors /
UpdateStack); SSM PutParameter with Overwrite=false on an existing name answers
ParameterAlreadyExists (SSM API reference); Lambda PublishVersion answers the new version's
FunctionArn ending in its number (Lambda API reference)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

import boto3
import pytest
from botocore.exceptions import ClientError
from botocore.stub import ANY, Stubber

from gatebuild.builder import BuildError
from gatebuild.config import ConfigFileError
from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.errors import DeployError, explain, hint_for
from gatebuild.deploy.gatezip import build_gate_zip
from gatebuild.deploy.logs import ensure_retention, log_group_name
from gatebuild.deploy.publish import (
    PublishOptions,
    default_role_name,
    edge_settings_changes,
    publish,
    update_function,
)
from gatebuild.deploy.stack import (
    NOT_UPDATABLE,
    StackOptions,
    apply,
    check_change,
    check_options,
    declared_parameters,
    describe,
    previous_site_url,
    stack_parameters,
)
from gatebuild.deploy.state_secret import MAX_LOGIN_LIFETIME, state_secrets

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE = ROOT / "cloudformation.yaml"
DECLARED = declared_parameters(TEMPLATE.read_text())
CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc-123"


def _client(service):
    return boto3.client(service, region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")


def _err(code, message, operation="UpdateStack", status=400):
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


# --------------------------------------------------------------------------- options and parameters


@pytest.mark.parametrize(
    "extra,message",
    [
        ({"aliases": ["www.example.com"], "certificate_arn": "not-an-arn"}, "is not an ACM certificate ARN"),
        ({"aliases": ["-bad-.example.com"], "certificate_arn": CERT}, "is not a domain name"),
        ({"aliases": ["www.example.com"], "certificate_arn": CERT.replace("us-east-1", "eu-west-1")}, "us-east-1"),
        ({"hsts_preload": True, "hsts_include_subdomains": False}, "--hsts-preload needs"),
        ({"jwks_file": "/no/such/jwks.json"}, "no such file"),
    ],
)
def test_option_checks(extra, message):
    with pytest.raises(DeployError, match=message):
        check_options(StackOptions(stack_name="s", **extra))


def test_valid_alias_and_certificate_pass():
    check_options(StackOptions(stack_name="s", aliases=["www.example.com", "example.com"], certificate_arn=CERT))


def test_self_sign_up_price_class_hsts_and_retention_become_parameters():
    opts = StackOptions(
        stack_name="s", allow_self_sign_up=True, price_class="PriceClass_All", hsts_preload=True, log_retention_days=90
    )
    params = {p["ParameterKey"]: p["ParameterValue"] for p in stack_parameters(opts, "csp", None, None, DECLARED)}
    assert params["AllowSelfSignUp"] == "true" and params["PriceClass"] == "PriceClass_All"
    assert params["HstsPreload"] == "true" and params["HstsIncludeSubdomains"] == "true"
    assert params["LogRetentionDays"] == "90"
    off = StackOptions(stack_name="s", allow_self_sign_up=False, hsts_include_subdomains=False)
    params = {
        p["ParameterKey"]: p["ParameterValue"]
        for p in stack_parameters(off, "csp", {"AllowSelfSignUp": "true"}, None, DECLARED)
    }
    assert params["AllowSelfSignUp"] == "false" and params["HstsIncludeSubdomains"] == "false"
    assert set(params) <= DECLARED


def test_changing_the_cognito_domain_prefix_is_refused_before_anything_starts():
    with pytest.raises(DeployError, match=r"already has the hosted UI at old-login.*only one domain"):
        check_change(
            StackOptions(stack_name="s", cognito_domain_prefix="new-login"), {"CognitoDomainPrefix": "old-login"}
        )
    check_change(StackOptions(stack_name="s", cognito_domain_prefix="old-login"), {"CognitoDomainPrefix": "old-login"})
    check_change(StackOptions(stack_name="s"), {"CognitoDomainPrefix": "old-login"})
    check_change(StackOptions(stack_name="s", cognito_domain_prefix="first"), None)


def test_previous_site_url_only_while_the_url_changes():
    stack = {"Outputs": [{"OutputKey": "SiteUrl", "OutputValue": "https://d1.cloudfront.net"}], "Parameters": []}
    assert (
        previous_site_url(StackOptions(stack_name="s", aliases=["www.example.com"]), stack)
        == "https://d1.cloudfront.net"
    )
    assert previous_site_url(StackOptions(stack_name="s"), stack) == ""
    same = {"Outputs": [{"OutputKey": "SiteUrl", "OutputValue": "https://www.example.com"}], "Parameters": []}
    assert previous_site_url(StackOptions(stack_name="s", aliases=["www.example.com"]), same) == ""
    assert previous_site_url(StackOptions(stack_name="s", aliases=["www.example.com"]), None) == ""
    # a run that failed before clearing it keeps it until a run completes
    left = {
        "Outputs": same["Outputs"],
        "Parameters": [{"ParameterKey": "PreviousSiteUrl", "ParameterValue": "https://d1.cloudfront.net"}],
    }
    assert previous_site_url(StackOptions(stack_name="s"), left) == "https://d1.cloudfront.net"


# --------------------------------------------------------------------------- CloudFormation error branches


def test_describe_other_errors_are_raised():
    cfn = _client("cloudformation")
    with Stubber(cfn) as stub:
        stub.add_client_error(
            "describe_stacks", service_error_code="AccessDenied", service_message="no", http_status_code=403
        )
        with pytest.raises(ClientError):
            describe(cfn, "s")
        stub.add_client_error(
            "describe_stacks", service_error_code="ValidationError", service_message="Stack with id s does not exist"
        )
        assert describe(cfn, "s") is None


def test_update_stack_errors_other_than_no_updates_are_raised(quiet_progress):
    cfn = _client("cloudformation")
    with Stubber(cfn) as stub:
        stub.add_response("describe_stack_events", {"StackEvents": []})
        stub.add_client_error(
            "update_stack",
            service_error_code="ValidationError",
            service_message="Parameters: [CodeSha256] must have values",
        )
        with pytest.raises(ClientError, match="must have values"):
            apply(cfn, "s", "{}", [], True, quiet_progress, poll=0, timeout=1)


@pytest.mark.parametrize(
    "status,words",
    [
        (
            "ROLLBACK_FAILED",
            ["delete-stack --stack-name s", "--retain-resources GateFunction", "names its function anew"],
        ),
        ("DELETE_FAILED", ["--retain-resources GateFunction"]),
    ],
)
def test_stuck_stack_messages_name_the_way_out(status, words):
    message = NOT_UPDATABLE[status].format(name="s")
    for word in words:
        assert word in message


def test_hints_for_alias_dns_and_leftover_names():
    dns = (
        "One or more aliases specified for the distribution includes an incorrectly configured DNS record "
        "that points to another CloudFront distribution. You must update the DNS record to correct the problem."
    )
    assert "DNS record still points at another CloudFront distribution" in hint_for(dns)
    assert "$LATEST" not in hint_for(dns)
    assert "$LATEST" in hint_for(
        "The function ARN must reference a specific function version. ($LATEST is not supported.)"
    )
    assert "--retain-resources" in hint_for(
        "my-site-gate already exists in stack arn:aws:cloudformation:...", "my-site"
    )
    assert "--cognito-domain-prefix" in hint_for("Domain already exists.")
    line = explain(_err("InvalidArgument", dns, "UpdateDistribution"), "s")
    assert "DistributionDomainName" in line and "\n" not in line


# --------------------------------------------------------------------------- build failures and Ctrl-C


def test_build_failures_are_one_line(tmp_path):
    def failing(*a, **k):
        raise BuildError("discovery failed: https://login.example.com timed out")

    with pytest.raises(DeployError, match="building the gate failed: discovery failed"):
        build_gate_zip(failing, "gate.toml", jwks_file=None, out=str(tmp_path / "e.zip"), overrides=None)

    def config_mistake(*a, **k):
        raise ConfigFileError("idp.issuer: required")

    with pytest.raises(ConfigFileError):
        build_gate_zip(config_mistake, "gate.toml", jwks_file=None, out=str(tmp_path / "e.zip"), overrides=None)
    with pytest.raises(DeployError, match="did not produce"):
        build_gate_zip(
            lambda *a, **k: str(tmp_path / "nothing.zip"),
            "gate.toml",
            jwks_file=None,
            out=str(tmp_path / "e.zip"),
            overrides=None,
        )
    big = tmp_path / "big.zip"
    big.write_bytes(b"0" * (1024 * 1024 + 1))
    with pytest.raises(DeployError, match="at most 1 MB"):
        build_gate_zip(lambda *a, **k: str(big), "gate.toml", jwks_file=None, out=str(big), overrides=None)


def test_ctrl_c_says_what_goes_on(moto_aws, tmp_path):
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n')

    def interrupted(*a, **k):
        raise KeyboardInterrupt

    err = io.StringIO()
    code = main(
        ["publish", "--config", str(config), "--zip-out", str(tmp_path / "e.zip")],
        builder=interrupted,
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 130
    assert err.getvalue().startswith("interrupted;") and "run the same command again" in err.getvalue()


def test_deploy_py_without_boto3_prints_one_line(tmp_path):
    """`python3 deploy.py --help` with an interpreter lacking boto3 (-S: no site-packages)."""
    result = subprocess.run(
        [sys.executable, "-S", str(ROOT / "deploy.py"), "--help"],
        capture_output=True,
        text=True,
        timeout=60,
        cwd=tmp_path,
    )
    assert result.returncode == 2
    assert result.stderr.count("\n") == 1 and "scripts/deploy" in result.stderr
    assert "Traceback" not in result.stderr


def test_scripts_deploy_runs_setup_then_the_venv_python():
    text = (ROOT / "scripts" / "deploy").read_text()
    assert "scripts/setup" in text and "exec .venv/bin/python deploy.py" in text
    assert (ROOT / "scripts" / "deploy").stat().st_mode & 0o111


# --------------------------------------------------------------------------- the state secret in SSM


def test_state_secret_is_created_once_then_reused(moto_aws, quiet_progress):
    ssm = boto3.client("ssm", region_name="us-east-1")
    first, previous = state_secrets(ssm, "/signin-gate/stack/s/state-secret", quiet_progress)
    assert previous == [] and len(first) >= 43
    again, _ = state_secrets(ssm, "/signin-gate/stack/s/state-secret", quiet_progress)
    assert again == first
    stored = ssm.get_parameter(Name="/signin-gate/stack/s/state-secret", WithDecryption=True)["Parameter"]
    assert stored["Type"] == "SecureString"


def test_rotation_keeps_the_previous_secret_for_one_login_lifetime(moto_aws, quiet_progress):
    ssm = boto3.client("ssm", region_name="us-east-1")
    name = "/signin-gate/stack/s/state-secret"
    old, _ = state_secrets(ssm, name, quiet_progress, now=1000)
    new, previous = state_secrets(ssm, name, quiet_progress, rotate=True, now=2000)
    assert new != old and previous == [old]
    assert state_secrets(ssm, name, quiet_progress, now=2000 + MAX_LOGIN_LIFETIME) == (new, [old])
    assert state_secrets(ssm, name, quiet_progress, now=2001 + MAX_LOGIN_LIFETIME) == (new, [])
    assert state_secrets(ssm, name, quiet_progress, now=9999 + MAX_LOGIN_LIFETIME) == (new, [])


def test_state_secret_race_and_foreign_content(quiet_progress):
    ssm = _client("ssm")
    name = "/signin-gate/stack/s/state-secret"
    with Stubber(ssm) as stub:
        stub.add_client_error("get_parameter", service_error_code="ParameterNotFound", service_message="")
        stub.add_client_error("put_parameter", service_error_code="ParameterAlreadyExists", service_message="")
        stub.add_response("get_parameter", {"Parameter": {"Name": name, "Value": json.dumps({"current": "theirs"})}})
        assert state_secrets(ssm, name, quiet_progress) == ("theirs", [])
        stub.add_response("get_parameter", {"Parameter": {"Name": name, "Value": "not json"}})
        with pytest.raises(DeployError, match="delete-parameter"):
            state_secrets(ssm, name, quiet_progress)


def test_a_state_secret_in_the_config_wins(moto_aws, tmp_path, fake_builder, quiet_progress):
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        '[state]\nsecret = "' + "A" * 43 + '"\n'
    )
    publish(
        PublishOptions(config_path=str(config), function_name="cfg-gate", zip_out=str(tmp_path / "e.zip")),
        Clients(),
        quiet_progress,
        builder=fake_builder,
        sleep=lambda s: None,
    )
    assert fake_builder.calls[0]["overrides"] is None
    with pytest.raises(ClientError):
        boto3.client("ssm", region_name="us-east-1").get_parameter(Name="/signin-gate/function/cfg-gate/state-secret")


# --------------------------------------------------------------------------- log retention


def test_log_retention_in_other_regions(moto_aws, quiet_progress):
    clients = Clients()
    logs_eu = boto3.client("logs", region_name="eu-west-1")
    group = log_group_name("my-site-GateFunction-ABC")
    logs_eu.create_log_group(logGroupName=group)  # Lambda@Edge created it when it first ran there
    done = ensure_retention(
        clients, "my-site-GateFunction-ABC", 30, ["us-east-1", "eu-west-1", "ap-south-1"], quiet_progress
    )
    assert done == {"eu-west-1": "updated", "ap-south-1": "created"}  # us-east-1 is the stack's
    for region in ("eu-west-1", "ap-south-1"):
        (found,) = boto3.client("logs", region_name=region).describe_log_groups(logGroupNamePrefix=group)["logGroups"]
        assert found["retentionInDays"] == 30
    assert ensure_retention(clients, "my-site-GateFunction-ABC", 30, ["eu-west-1"], quiet_progress) == {
        "eu-west-1": "kept"
    }


def test_log_retention_skips_a_region_the_account_cannot_use(quiet_progress):
    """A region not enabled for the account answers UnrecognizedClientException (opt-in regions)."""
    logs = _client("logs")
    with Stubber(logs) as stub:
        stub.add_client_error(
            "create_log_group",
            service_error_code="UnrecognizedClientException",
            service_message="The security token included in the request is invalid.",
        )

        class OneClient:
            def regional(self, service, region):
                return logs

        assert ensure_retention(OneClient(), "f", 30, ["me-south-1"], quiet_progress) == {
            "me-south-1": "skipped (UnrecognizedClientException)"
        }


# --------------------------------------------------------------------------- publish


def test_role_name_fits_iam_for_long_function_names():
    assert default_role_name("my-gate") == "my-gate-edge-role"
    long = "f" * 64
    name = default_role_name(long)
    assert len(name) <= 64 and name.endswith("-edge-role")
    assert default_role_name(long) != default_role_name("f" * 63 + "g")
    assert len(default_role_name("x" * 55)) <= 64


def test_edge_settings_changes_cover_what_lambda_edge_refuses():
    current = {
        "Runtime": "python3.13",
        "Handler": "edge.handler.handler",
        "MemorySize": 128,
        "Timeout": 5,
        "Layers": [{"Arn": "arn:l"}],
        "VpcConfig": {"SubnetIds": ["s"], "SecurityGroupIds": ["g"]},
        "DeadLetterConfig": {"TargetArn": "arn:aws:sqs:us-east-1:1:q"},
        "TracingConfig": {"Mode": "Active"},
        "EphemeralStorage": {"Size": 2048},
        "SnapStart": {"ApplyOn": "PublishedVersions"},
    }
    assert edge_settings_changes(current) == {
        "Layers": [],
        "VpcConfig": {"SubnetIds": [], "SecurityGroupIds": []},
        "DeadLetterConfig": {"TargetArn": ""},
        "TracingConfig": {"Mode": "PassThrough"},
        "EphemeralStorage": {"Size": 512},
        "SnapStart": {"ApplyOn": "None"},
    }
    fine = {k: v for k, v in current.items() if k in ("Runtime", "Handler", "MemorySize", "Timeout")}
    assert edge_settings_changes({**fine, "TracingConfig": {"Mode": "PassThrough"}}) == {}


def test_update_function_sends_the_changes_and_resets_runtime_management(quiet_progress):
    """UpdateFunctionConfiguration, GetRuntimeManagementConfig / PutRuntimeManagementConfig,
    UpdateFunctionCode, with function_updated_v2 waiters (GetFunction until LastUpdateStatus
    Successful), as in the Lambda API reference."""
    lam = _client("lambda")
    updated = {"Configuration": {"FunctionName": "g", "State": "Active", "LastUpdateStatus": "Successful"}}
    with Stubber(lam) as stub:
        stub.add_response(
            "update_function_configuration",
            {"FunctionName": "g"},
            {"FunctionName": "g", "Layers": [], "TracingConfig": {"Mode": "PassThrough"}},
        )
        stub.add_response("get_function", updated)
        stub.add_response("get_runtime_management_config", {"UpdateRuntimeOn": "Manual"}, {"FunctionName": "g"})
        stub.add_response(
            "put_runtime_management_config",
            {"UpdateRuntimeOn": "Auto", "FunctionArn": "arn"},
            {"FunctionName": "g", "UpdateRuntimeOn": "Auto"},
        )
        stub.add_response(
            "update_function_code",
            {"FunctionName": "g"},
            {"FunctionName": "g", "ZipFile": b"zip", "Architectures": ["x86_64"], "Publish": False},
        )
        stub.add_response("get_function", updated)
        update_function(
            lam,
            "g",
            {
                "Runtime": "python3.13",
                "Handler": "edge.handler.handler",
                "MemorySize": 128,
                "Timeout": 5,
                "Layers": [{"Arn": "arn:l"}],
                "TracingConfig": {"Mode": "Active"},
            },
            b"zip",
            quiet_progress,
        )
        stub.assert_no_pending_responses()


def _config_file(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        '[state]\nsecret = "' + "B" * 43 + '"\n'
    )
    return str(path)


def _stubbed_clients(lam, iam=None):
    sts = _client("sts")
    sts_stub = Stubber(sts)
    sts_stub.add_response(
        "get_caller_identity", {"Account": "123456789012", "Arn": "arn:aws:iam::123456789012:user/u", "UserId": "u"}
    )
    sts_stub.activate()
    return Clients(lambda_=lam, sts=sts, iam=iam or _client("iam"))


def test_publish_refuses_a_non_numbered_version(tmp_path, fake_builder, quiet_progress):
    lam, iam = _client("lambda"), _client("iam")
    current = {
        "FunctionName": "g",
        "Runtime": "python3.13",
        "Handler": "edge.handler.handler",
        "MemorySize": 128,
        "Timeout": 5,
        "Role": "arn:aws:iam::123456789012:role/r",
    }
    updated = {"Configuration": {**current, "State": "Active", "LastUpdateStatus": "Successful"}}
    trust = json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": {"Service": ["lambda.amazonaws.com", "edgelambda.amazonaws.com"]},
                    "Action": "sts:AssumeRole",
                }
            ],
        }
    )
    with Stubber(lam) as stub, Stubber(iam) as iam_stub:
        stub.add_response("get_function", {"Configuration": current})
        iam_stub.add_response(
            "get_role",
            {
                "Role": {
                    "RoleName": "r",
                    "Arn": "arn:aws:iam::123456789012:role/r",
                    "Path": "/",
                    "RoleId": "AROAEXAMPLEEXAMPLE1",
                    "CreateDate": "2026-01-01T00:00:00Z",
                    "AssumeRolePolicyDocument": trust,
                }
            },
        )
        stub.add_response("get_runtime_management_config", {"UpdateRuntimeOn": "Auto"})
        stub.add_response("update_function_code", {"FunctionName": "g"})
        stub.add_response("get_function", updated)
        stub.add_response(
            "publish_version",
            {"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:g:$LATEST", "Version": "$LATEST"},
            {"FunctionName": "g", "CodeSha256": ANY, "Description": ANY},
        )
        with pytest.raises(DeployError, match="not a numbered version"):
            publish(
                PublishOptions(config_path=_config_file(tmp_path), function_name="g", zip_out=str(tmp_path / "e.zip")),
                _stubbed_clients(lam, iam),
                quiet_progress,
                builder=fake_builder,
            )
    assert "could not read" not in quiet_progress.out.getvalue()  # an existing role with correct trust


def test_publish_get_function_and_get_role_errors(tmp_path, fake_builder, quiet_progress):
    lam, iam = _client("lambda"), _client("iam")
    with Stubber(lam) as stub:
        stub.add_client_error(
            "get_function", service_error_code="AccessDeniedException", service_message="no", http_status_code=403
        )
        with pytest.raises(ClientError):
            publish(
                PublishOptions(config_path=_config_file(tmp_path), function_name="g", zip_out=str(tmp_path / "e.zip")),
                _stubbed_clients(lam, iam),
                quiet_progress,
                builder=fake_builder,
            )
    current = {
        "FunctionName": "g",
        "Runtime": "python3.13",
        "Handler": "edge.handler.handler",
        "MemorySize": 128,
        "Timeout": 5,
        "Role": "arn:aws:iam::123456789012:role/r",
    }
    updated = {"Configuration": {**current, "State": "Active", "LastUpdateStatus": "Successful"}}
    with Stubber(lam) as stub, Stubber(iam) as iam_stub:
        stub.add_response("get_function", {"Configuration": current})
        iam_stub.add_client_error(
            "get_role", service_error_code="AccessDenied", service_message="no", http_status_code=403
        )
        stub.add_response("get_runtime_management_config", {"UpdateRuntimeOn": "Auto"})
        stub.add_response("update_function_code", {"FunctionName": "g"})
        stub.add_response("get_function", updated)
        stub.add_response(
            "publish_version", {"FunctionArn": "arn:aws:lambda:us-east-1:123456789012:function:g:7", "Version": "7"}
        )
        arn = publish(
            PublishOptions(config_path=_config_file(tmp_path), function_name="g", zip_out=str(tmp_path / "e.zip")),
            _stubbed_clients(lam, iam),
            quiet_progress,
            builder=fake_builder,
        )
    assert arn.endswith(":7")
    assert (
        "could not read the function's role to check its trust policy (AccessDenied)" in quiet_progress.out.getvalue()
    )


def test_stack_warns_when_the_config_names_another_site_url(moto_aws, tmp_path, site_dir, quiet_progress):
    from edge_stack_model import EdgeStackModel  # tests/deploy is on sys.path (no __init__)
    from test_deploy_versions import ContentBuilder

    from gatebuild.deploy.stack import deploy_stack

    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        'authorization_endpoint = "https://login.example.com/a"\ntoken_endpoint = "https://login.example.com/t"\n'
        'jwks_uri = "https://login.example.com/j"\n[site]\nurl = "https://stale.example.com"\n'
    )
    model = EdgeStackModel()
    deploy_stack(
        StackOptions(
            stack_name="w-site",
            config_path=str(config),
            site_dir=site_dir,
            poll_seconds=0,
            zip_out=str(tmp_path / "e.zip"),
        ),
        Clients(cloudformation=model, cloudfront=model),
        quiet_progress,
        builder=ContentBuilder(),
        sleep=lambda s: None,
    )
    assert (
        "site.url in" in quiet_progress.err.getvalue() and "https://stale.example.com" in quiet_progress.err.getvalue()
    )


def test_skip_site_still_sends_the_sites_csp(moto_aws, tmp_path, site_dir, quiet_progress):
    """--skip-site uploads nothing but must not reset the distribution's CSP to the default."""
    from edge_stack_model import EdgeStackModel
    from test_deploy_versions import OIDC, ContentBuilder

    from gatebuild.deploy.stack import deploy_stack

    (tmp_path / "csp.txt").write_text("default-src 'self'; connect-src 'self' https://api.example.com\n")
    config = tmp_path / "gate.toml"
    config.write_text(OIDC)
    model = EdgeStackModel()
    deploy_stack(
        StackOptions(
            stack_name="k-site",
            config_path=str(config),
            site_dir=site_dir,
            skip_site=True,
            poll_seconds=0,
            zip_out=str(tmp_path / "e.zip"),
        ),
        Clients(cloudformation=model, cloudfront=model),
        quiet_progress,
        builder=ContentBuilder(),
        sleep=lambda s: None,
    )
    params = {p["ParameterKey"]: p["ParameterValue"] for p in model.stacks["k-site"]["Parameters"]}
    assert params["ContentSecurityPolicy"] == "default-src 'self'; connect-src 'self' https://api.example.com"
    s3 = boto3.client("s3", region_name="us-east-1")
    assert "Contents" not in s3.list_objects_v2(Bucket="k-site-sitebucket-model")
