"""`deploy.py publish` against moto: role + function created in us-east-1, numbered versions."""

from __future__ import annotations

import io
import json

import boto3
import pytest

from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.errors import DeployError
from gatebuild.deploy.gatezip import sha256_b64
from gatebuild.deploy.publish import TRUST_POLICY, PublishOptions, publish


@pytest.fixture
def config_file(tmp_path):
    path = tmp_path / "gate.toml"
    path.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "abc"\nissuer = "https://login.example.com"\n'
        'authorization_endpoint = "https://login.example.com/authorize"\n'
        'token_endpoint = "https://login.example.com/token"\n'
        'jwks_uri = "https://login.example.com/jwks"\n'
        '[site]\nurl = "https://www.example.com"\n'
    )
    return str(path)


def _opts(config_file, tmp_path, **extra):
    return PublishOptions(config_path=config_file, function_name="my-gate", zip_out=str(tmp_path / "edge.zip"), **extra)


@pytest.mark.slow
def test_publish_creates_role_function_and_version(moto_aws, config_file, tmp_path, fake_builder, quiet_progress):
    arn = publish(_opts(config_file, tmp_path), Clients(), quiet_progress, builder=fake_builder, sleep=lambda s: None)
    assert arn == "arn:aws:lambda:us-east-1:123456789012:function:my-gate:1"
    lam = boto3.client("lambda", region_name="us-east-1")
    function = lam.get_function(FunctionName="my-gate")["Configuration"]
    assert function["Runtime"] == "python3.13"
    assert function["Handler"] == "edge.handler.handler"
    assert function["MemorySize"] == 128 and function["Timeout"] == 5
    assert function["Architectures"] == ["x86_64"]
    assert not function.get("Environment", {}).get("Variables")
    version = lam.get_function(FunctionName=arn)["Configuration"]
    with open(tmp_path / "edge.zip", "rb") as f:
        assert version["CodeSha256"] == sha256_b64(f.read())

    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.get_role(RoleName="my-gate-edge-role")["Role"]
    trust = role["AssumeRolePolicyDocument"]
    trust = json.loads(trust) if isinstance(trust, str) else trust
    assert sorted(trust["Statement"][0]["Principal"]["Service"]) == ["edgelambda.amazonaws.com", "lambda.amazonaws.com"]
    policy = iam.get_role_policy(RoleName="my-gate-edge-role", PolicyName="logs-in-every-region")["PolicyDocument"]
    assert any(":logs:*:" in r and "us-east-1.my-gate" in r for r in policy["Statement"][0]["Resource"])

    out = quiet_progress.out.getvalue()
    assert f"Function version ARN: {arn}" in out
    assert "https://www.example.com/_gate/callback" in out
    assert "https://www.example.com/_gate/signed-out" in out
    assert "Viewer request" in out
    # the state secret comes from SSM (created on the first run), so a fresh checkout builds the same zip
    stored = boto3.client("ssm", region_name="us-east-1").get_parameter(
        Name="/signin-gate/function/my-gate/state-secret", WithDecryption=True
    )["Parameter"]
    assert stored["Type"] == "SecureString"
    assert fake_builder.calls[0]["overrides"] == {"state": {"secret": json.loads(stored["Value"])["current"]}}


def test_publish_again_makes_a_new_version(moto_aws, config_file, tmp_path, fake_builder, quiet_progress):
    first = publish(_opts(config_file, tmp_path), Clients(), quiet_progress, builder=fake_builder)
    second = publish(
        _opts(config_file, tmp_path, site_url="https://other.example.com/"),
        Clients(),
        quiet_progress,
        builder=fake_builder,
    )
    assert first.endswith(":1") and second.endswith(":2")
    assert fake_builder.calls[1]["overrides"]["site"] == {"url": "https://other.example.com"}
    assert fake_builder.calls[1]["overrides"]["state"] == fake_builder.calls[0]["overrides"]["state"]
    assert "https://other.example.com/_gate/callback" in quiet_progress.out.getvalue()


def test_existing_function_is_brought_to_edge_settings(moto_aws, config_file, tmp_path, fake_builder, quiet_progress):
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="mine", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="us-east-1")
    lam.create_function(
        FunctionName="my-gate",
        Runtime="python3.12",
        Handler="x.y",
        Role=role,
        Code={"ZipFile": b"PK\x05\x06" + b"\0" * 18},
        MemorySize=512,
        Timeout=30,
        Environment={"Variables": {"SECRET": "x"}},
    )
    arn = publish(_opts(config_file, tmp_path), Clients(), quiet_progress, builder=fake_builder)
    function = lam.get_function(FunctionName="my-gate")["Configuration"]
    assert (function["Runtime"], function["Handler"], function["MemorySize"], function["Timeout"]) == (
        "python3.13",
        "edge.handler.handler",
        128,
        5,
    )
    assert not function.get("Environment", {}).get("Variables")
    assert arn.endswith(":1")
    assert "environment variables" in quiet_progress.out.getvalue()


def test_existing_role_without_edgelambda_trust_is_refused(
    moto_aws, config_file, tmp_path, fake_builder, quiet_progress
):
    iam = boto3.client("iam", region_name="us-east-1")
    lambda_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.create_role(RoleName="my-gate-edge-role", AssumeRolePolicyDocument=json.dumps(lambda_only))
    with pytest.raises(DeployError, match=r"does not trust edgelambda.amazonaws.com"):
        publish(_opts(config_file, tmp_path), Clients(), quiet_progress, builder=fake_builder)


def test_cli_publish(moto_aws, config_file, tmp_path, fake_builder):
    out, err = io.StringIO(), io.StringIO()
    code = main(
        ["publish", "--config", config_file, "--function-name", "cli-gate", "--zip-out", str(tmp_path / "e.zip")],
        builder=fake_builder,
        stdout=out,
        stderr=err,
        sleep=lambda s: None,
    )
    assert code == 0, err.getvalue()
    assert "Function version ARN: arn:aws:lambda:us-east-1:123456789012:function:cli-gate:1" in out.getvalue()


def test_cli_publish_missing_config(moto_aws, tmp_path, fake_builder):
    err = io.StringIO()
    code = main(
        ["publish", "--config", str(tmp_path / "nope.toml")], builder=fake_builder, stdout=io.StringIO(), stderr=err
    )
    assert code == 2
    assert err.getvalue().startswith("error: config: ") and "no such file" in err.getvalue()
    assert fake_builder.calls == []


def test_new_role_not_yet_assumable_is_retried(quiet_progress):
    from botocore.stub import Stubber

    from gatebuild.deploy.publish import create_function

    lam = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    with Stubber(lam) as stub:
        stub.add_client_error(
            "create_function",
            service_error_code="InvalidParameterValueException",
            service_message="The role defined for the function cannot be assumed by Lambda.",
        )
        stub.add_response("create_function", {"FunctionName": "g", "Version": "$LATEST"})
        stub.add_response("get_function", {"Configuration": {"FunctionName": "g", "State": "Active"}})
        sleeps = []
        create_function(lam, "g", "arn:aws:iam::123456789012:role/r", b"zip", quiet_progress, sleeps.append)
        stub.assert_no_pending_responses()
    assert sleeps == [2]
