"""AWS errors become one line naming the fix; the CLI never prints a traceback for them."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError, NoCredentialsError

from gatebuild.deploy.cli import main
from gatebuild.deploy.errors import DeployError, check_region, explain, hint_for

ROOT = Path(__file__).resolve().parents[2]


def client_error(code, message, operation="UpdateStack", status=400):
    return ClientError(
        {"Error": {"Code": code, "Message": message}, "ResponseMetadata": {"HTTPStatusCode": status}}, operation
    )


def test_no_credentials():
    line = explain(NoCredentialsError())
    assert "no AWS credentials" in line and "aws configure" in line and "AWS_PROFILE" in line


def test_wrong_region():
    assert check_region(None) == "us-east-1"
    assert check_region("us-east-1") == "us-east-1"
    with pytest.raises(DeployError, match="Lambda@Edge functions must be in us-east-1"):
        check_region("eu-west-1")


@pytest.mark.parametrize(
    "error,expected",
    [
        (client_error("ExpiredToken", "The security token included in the request is expired"), "expired"),
        (client_error("InvalidClientTokenId", "The security token is invalid"), "AWS_PROFILE"),
        (
            client_error(
                "AccessDenied", "User x is not authorized to perform: cloudformation:CreateStack", "CreateStack"
            ),
            "AWS refused CreateStack",
        ),
        (
            client_error("ValidationError", "Stack:arn:... is in ROLLBACK_COMPLETE state and can not be updated."),
            "delete-stack --stack-name my-site",
        ),
        (
            client_error("ValidationError", "Stack my-site is in UPDATE_IN_PROGRESS state and can not be updated."),
            "wait for the stack's current operation",
        ),
        (
            client_error("BucketAlreadyExists", "The requested bucket name is not available", "CreateBucket"),
            "--artifact-bucket",
        ),
        (
            client_error(
                "InvalidParameterValueException",
                "The role defined for the function cannot be assumed by Lambda.",
                "CreateFunction",
            ),
            "IAM takes a few seconds",
        ),
        (
            client_error(
                "InvalidParameterException",
                "Lambda was unable to delete arn:aws:lambda:us-east-1:1:function:x:1 because it is a "
                "replicated function.",
                "DeleteFunction",
            ),
            "wait, then retry",
        ),
        (
            client_error(
                "InvalidLambdaFunctionAssociation", "The function must be in region 'us-east-1'", "UpdateDistribution"
            ),
            "must be in us-east-1",
        ),
        (
            client_error("InvalidParameterException", "redirect_mismatch", "UpdateUserPoolClient"),
            "https://<site>/_gate/callback",
        ),
        (EndpointConnectionError(endpoint_url="https://cloudformation.us-east-1.amazonaws.com"), "network"),
    ],
)
def test_explain(error, expected):
    line = explain(error, "my-site")
    assert expected in line
    assert "\n" not in line


def test_hints_are_specific():
    assert "redirect_mismatch" in hint_for("Invalid CallbackURLs")
    assert "certificate" in hint_for("The specified SSL certificate doesn't exist")
    assert hint_for("something else entirely") == ""


def _no_credentials_env(tmp_path) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    env.update(
        AWS_CONFIG_FILE=str(tmp_path / "none"),
        AWS_SHARED_CREDENTIALS_FILE=str(tmp_path / "none"),
        AWS_EC2_METADATA_DISABLED="true",
        HOME=str(tmp_path),
    )
    return env


@pytest.mark.slow
def test_cli_without_credentials_prints_one_line(tmp_path):
    """A real subprocess with no credentials anywhere: exit 1, one line, no traceback."""
    site = tmp_path / "dist"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html>")
    result = subprocess.run(
        [
            sys.executable,
            str(ROOT / "deploy.py"),
            "stack",
            "--stack-name",
            "my-site",
            "--cognito-domain-prefix",
            "my-login",
            "--site-dir",
            str(site),
        ],
        cwd=tmp_path,
        env=_no_credentials_env(tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 1, result.stderr
    assert result.stderr.startswith("error: no AWS credentials found")
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_publish_without_credentials(tmp_path, fake_builder, monkeypatch):
    for key, value in _no_credentials_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    for key in [k for k in os.environ if k.startswith("AWS_") and k not in _no_credentials_env(tmp_path)]:
        monkeypatch.delenv(key)
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n')
    err = io.StringIO()
    code = main(
        ["publish", "--config", str(config), "--zip-out", str(tmp_path / "e.zip")],
        builder=fake_builder,
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1
    assert err.getvalue().startswith("error: no AWS credentials found")


def test_cli_wrong_region(tmp_path):
    err = io.StringIO()
    code = main(["stack", "--stack-name", "s", "--region", "eu-central-1"], stdout=io.StringIO(), stderr=err)
    assert code == 1
    assert err.getvalue() == (
        "error: region eu-central-1: Lambda@Edge functions must be in us-east-1; drop "
        "--region or use --region us-east-1 (the site itself is served worldwide)\n"
    )


def test_cli_unknown_profile(tmp_path, monkeypatch):
    for key, value in _no_credentials_env(tmp_path).items():
        monkeypatch.setenv(key, value)
    err = io.StringIO()
    code = main(["stack", "--stack-name", "s", "--profile", "nope"], stdout=io.StringIO(), stderr=err)
    assert code == 1
    assert "nope" in err.getvalue() and "profile" in err.getvalue()


def test_help_documents_both_commands(capsys):
    for argv, words in (
        (["--help"], ["stack", "publish", "status", "us-east-1"]),
        (["status", "--help"], ["--stack-name", "--distribution-id", "--config"]),
        (
            ["stack", "--help"],
            [
                "--stack-name",
                "--cognito-domain-prefix",
                "--alias",
                "--config",
                "--site-dir",
                "--csp-file",
                "examples:",
                "--hsts-include-subdomains",
                "--hsts-preload",
                "--log-retention-days",
                "--rotate-state-secret",
                "--keep-old-assets-days",
                "csp.txt beside the site",
            ],
        ),
        (["publish", "--help"], ["--function-name", "--site-url", "Lambda@Edge"]),
    ):
        with pytest.raises(SystemExit) as exit_:
            main(argv)
        assert exit_.value.code == 0
        out = capsys.readouterr().out
        for word in words:
            assert word in out, (argv, word)
