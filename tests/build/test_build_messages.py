"""Every user mistake at build time: one line naming the fix, exit 2, no zip, no traceback.

"No network" is modelled as Python sees it on a machine without one: every socket connect
raises OSError (a sitecustomize.py on PYTHONPATH), which urllib turns into URLError.
"""

import json
import os
import subprocess
import sys

import pytest

from edge import __version__
from tests.conftest import ROOT

NO_NETWORK = (
    "import socket\ndef _no(*a, **k):\n    raise OSError(101, 'Network is unreachable')\n"
    "socket.socket.connect = _no\nsocket.create_connection = _no\n"
)
COGNITO = (
    '[idp]\nprovider = "cognito"\nclient_id = "abc"\n[cognito]\nregion = "us-east-1"\n'
    'user_pool_id = "us-east-1_Example12"\ndomain = "app.auth.us-east-1.amazoncognito.com"\n'
)
OIDC = '[idp]\nprovider = "oidc"\nclient_id = "abc"\nissuer = "https://login.example.com"\n'


def run_build(tmp_path, *args, offline=False):
    env = dict(os.environ)
    if offline:
        (tmp_path / "sitecustomize.py").write_text(NO_NETWORK)
        env["PYTHONPATH"] = str(tmp_path)
    return subprocess.run(
        [sys.executable, os.path.join(ROOT, "build.py"), *args],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=300,
        env=env,
    )


def assert_one_line_fix(result, out, *needles):
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout
    for needle in needles:
        assert needle in lines[0]
    assert not out.exists()


def write(tmp_path, name, text):
    path = tmp_path / name
    path.write_text(text)
    return str(path)


def test_no_network_without_jwks_file_says_what_failed_and_suggests_jwks_file(tmp_path):
    out = tmp_path / "edge.zip"
    result = run_build(tmp_path, "--config", write(tmp_path, "g.toml", COGNITO), "--out", str(out), offline=True)
    assert_one_line_fix(
        result,
        out,
        "fetching the JWKS failed",
        "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Example12/.well-known/jwks.json",
        "--jwks-file",
    )


def test_discovery_failure_says_what_failed_and_how_to_build_offline(tmp_path):
    out = tmp_path / "edge.zip"
    result = run_build(tmp_path, "--config", write(tmp_path, "g.toml", OIDC), "--out", str(out), offline=True)
    assert_one_line_fix(
        result,
        out,
        "OIDC discovery failed",
        "https://login.example.com/.well-known/openid-configuration",
        "idp.issuer",
        "--jwks-file",
    )


def test_config_that_is_a_directory(tmp_path):
    out = tmp_path / "edge.zip"
    result = run_build(tmp_path, "--config", str(tmp_path), "--out", str(out))
    assert_one_line_fix(result, out, "is a directory", "--config gate.toml")


@pytest.mark.parametrize(
    "content,needle",
    [
        (None, "cannot read it"),
        ("{not json", "not JSON"),
        ('["a list"]', 'must be a JSON object {"keys": [...]}'),
        ('{"keys": [{"kty": "EC", "kid": "x"}]}', "no RSA signing key usable with tokens.algorithms (RS256)"),
        ("dir", "is a directory"),
    ],
)
def test_missing_or_invalid_jwks_file(tmp_path, content, needle):
    out = tmp_path / "edge.zip"
    if content is None:
        jwks = str(tmp_path / "missing.json")
    elif content == "dir":
        jwks = str(tmp_path)
    else:
        jwks = write(tmp_path, "jwks.json", content)
    result = run_build(tmp_path, "--config", write(tmp_path, "g.toml", COGNITO), "--jwks-file", jwks, "--out", str(out))
    assert_one_line_fix(result, out, "--jwks-file", needle)


def test_small_rsa_key_in_the_jwks_is_a_user_mistake(tmp_path, keys):
    small = dict(keys.jwks()["keys"][0], n="AQAB" * 4)
    out = tmp_path / "edge.zip"
    result = run_build(
        tmp_path,
        "--config",
        write(tmp_path, "g.toml", COGNITO),
        "--jwks-file",
        write(tmp_path, "jwks.json", json.dumps({"keys": [small]})),
        "--out",
        str(out),
    )
    assert_one_line_fix(result, out, "the gate requires at least 2048")


def test_version_is_printed(tmp_path):
    result = run_build(tmp_path, "--version")
    assert result.returncode == 0 and result.stdout.strip() == f"gate {__version__}"
