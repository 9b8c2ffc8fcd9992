"""The deploy commands with the real build.py (JWKS from a file, so no network for the IdP)."""

from __future__ import annotations

import base64
import importlib.util
import io
import json
import marshal
import zipfile

import boto3
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa

from gatebuild.deploy.cli import main
from gatebuild.deploy.gatezip import (
    build_gate_zip,
    overrides_from_outputs,
    sha256_b64,
    write_minimal_config,
)

pytestmark = [pytest.mark.slow, pytest.mark.zip]  # markers: docs/contributing.md "Tests"


def _b64(number: int) -> str:
    return base64.urlsafe_b64encode(number.to_bytes((number.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()


@pytest.fixture(scope="module")
def jwks_file(tmp_path_factory):
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048).public_key().public_numbers()
    path = tmp_path_factory.mktemp("jwks") / "jwks.json"
    path.write_text(
        json.dumps(
            {"keys": [{"kty": "RSA", "kid": "k1", "alg": "RS256", "use": "sig", "n": _b64(key.n), "e": _b64(key.e)}]}
        )
    )
    return str(path)


def _config_json(data: bytes) -> dict:
    """The config build.py baked into the zip (edge/baked.py, or its python3.13 bytecode)."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        names = archive.namelist()
        if "edge/baked.py" in names:
            namespace: dict = {}
            exec(archive.read("edge/baked.py").decode(), namespace)
            return namespace["CONFIG"]
        code = archive.read("edge/baked.pyc")
    if code[:4] != importlib.util.MAGIC_NUMBER:
        pytest.skip("the zip's bytecode is for another Python version than this venv's")
    namespace = {}
    exec(marshal.loads(code[16:]), namespace)
    return namespace["CONFIG"]


def test_stack_outputs_become_the_zips_config(tmp_path, jwks_file):
    """What `stack` does after phase 1: the minimal config + the outputs -> build.build -> zip."""
    outputs = {
        "SiteUrl": "https://d111111abcdef8.cloudfront.net",
        "UserPoolId": "us-east-1_AbC123xyz",
        "UserPoolClientId": "client-from-stack",
        "CognitoDomain": "my-login.auth.us-east-1.amazoncognito.com",
    }
    config_path = write_minimal_config(str(tmp_path))
    data = build_gate_zip(
        None,
        config_path,
        jwks_file=jwks_file,
        out=str(tmp_path / "edge.zip"),
        overrides=overrides_from_outputs(outputs, "s3cret-from-cognito"),
    )
    assert len(data) <= 1024 * 1024
    config = _config_json(data)
    assert config["site_url"] == "https://d111111abcdef8.cloudfront.net"
    assert config["client_id"] == "client-from-stack"
    assert config["client_secret"] == "s3cret-from-cognito"
    assert config["issuer"] == "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbC123xyz"
    assert config["endpoints"]["authorization"] == "https://my-login.auth.us-east-1.amazoncognito.com/oauth2/authorize"
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert any(n.startswith("edge/handler.") for n in archive.namelist())


def test_publish_with_real_build_against_moto(moto_aws, tmp_path, jwks_file):
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "cognito"\nclient_id = "abc"\n'
        '[cognito]\nregion = "us-east-1"\nuser_pool_id = "us-east-1_AbC123xyz"\n'
        'domain = "login.example.com"\n'
    )
    out, err = io.StringIO(), io.StringIO()
    code = main(
        [
            "publish",
            "--config",
            str(config),
            "--jwks-file",
            jwks_file,
            "--site-url",
            "https://www.example.com",
            "--zip-out",
            str(tmp_path / "edge.zip"),
            "--function-name",
            "real-gate",
        ],
        stdout=out,
        stderr=err,
        sleep=lambda s: None,
    )
    assert code == 0, err.getvalue()
    arn = "arn:aws:lambda:us-east-1:123456789012:function:real-gate:1"
    assert f"Function version ARN: {arn}" in out.getvalue()
    version = boto3.client("lambda", region_name="us-east-1").get_function(FunctionName=arn)["Configuration"]
    assert version["CodeSha256"] == sha256_b64((tmp_path / "edge.zip").read_bytes())
    assert _config_json((tmp_path / "edge.zip").read_bytes())["site_url"] == "https://www.example.com"


def test_build_config_error_is_one_line(moto_aws, tmp_path, jwks_file):
    config = tmp_path / "gate.toml"
    config.write_text('[idp]\nprovider = "cognito"\nclient_id = "abc"\n[cognito]\nregion = "us-east-1"\n')
    err = io.StringIO()
    code = main(
        ["publish", "--config", str(config), "--jwks-file", jwks_file, "--zip-out", str(tmp_path / "edge.zip")],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 2
    assert err.getvalue().startswith("error: config: ") and "cognito.user_pool_id" in err.getvalue()
    assert err.getvalue().count("\n") == 1


def test_stack_with_real_build_against_moto(moto_aws, moto_template, tmp_path, jwks_file, site_dir):
    """The stack command end to end on moto's CloudFormation with the real build.py."""
    from gatebuild.deploy.clients import Clients
    from gatebuild.deploy.progress import Progress
    from gatebuild.deploy.stack import StackOptions, deploy_stack

    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "cognito"\nclient_id = "abc"\n'
        '[cognito]\nregion = "eu-west-1"\nuser_pool_id = "eu-west-1_AbC123xyz"\n'
        'domain = "login.example.com"\n'
    )
    opts = StackOptions(
        stack_name="real-site",
        config_path=str(config),
        site_dir=site_dir,
        jwks_file=jwks_file,
        csp_file=None,
        zip_out=str(tmp_path / "edge.zip"),
        invalidate=False,
        template_path=moto_template,
        poll_seconds=0,
    )
    out, err = io.StringIO(), io.StringIO()
    outputs = deploy_stack(opts, Clients(), Progress(out, err), sleep=lambda s: None)
    built = (tmp_path / "edge.zip").read_bytes()
    assert _config_json(built)["site_url"] == "https://d111111abcdef8.cloudfront.net"
    function = boto3.client("lambda", region_name="us-east-1").get_function(FunctionName=outputs["FunctionName"])
    assert function["Configuration"]["CodeSha256"] == sha256_b64(built)
    # the pool is in eu-west-1 and unknown to moto: the URL check says so instead of failing
    assert (
        "register with your identity provider: callback URL https://d111111abcdef8.cloudfront.net/_gate/callback"
        in out.getvalue()
    )
