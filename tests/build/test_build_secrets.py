"""What the build lets into the zip, and who may read it (issue 11, items 10-12).

- Discovered endpoints pass the same checks as endpoints written in the config, and the
  discovered `issuer` must equal the configured one exactly (OpenID Connect Discovery 1.0,
  section 4.3: "The issuer value returned MUST be identical to the Issuer URL").
- A JWKS is public by definition (RFC 7517 / RFC 7518 6.3.2 lists the private RSA members
  d, p, q, dp, dq, qi, oth; "k" is a symmetric key): a key carrying them is refused, and only
  public members are ever embedded.
- The zip carries the state secret and the client secret: it is written 0600.
"""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from gatebuild.runtime import find_python313
from tests.build.test_build_zip import build
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.zip]  # markers: docs/contributing.md "Tests"

OIDC_CONFIG = """
[idp]
provider = "oidc"
issuer = "{issuer}"
client_id = "abc"

[site]
url = "https://www.example.com"

[state]
secret = "c3RhdGUtc2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk"
"""


class DiscoveryServer:
    """An OpenID provider's discovery document and JWKS on 127.0.0.1, as the test arranges them."""

    def __init__(self, keys):
        self.keys = keys
        self.document: dict = {}
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                if self.path == "/.well-known/openid-configuration":
                    body = json.dumps(server.document).encode()
                elif self.path == "/jwks":
                    body = json.dumps(server.keys.jwks()).encode()
                else:
                    self.send_response(404)
                    self.end_headers()
                    return
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.base = f"http://127.0.0.1:{self._httpd.server_address[1]}"
        threading.Thread(target=self._httpd.serve_forever, daemon=True).start()

    def good_document(self) -> dict:
        return {
            "issuer": self.base,
            "authorization_endpoint": self.base + "/authorize",
            "token_endpoint": self.base + "/token",
            "jwks_uri": self.base + "/jwks",
            "revocation_endpoint": self.base + "/revoke",
            "end_session_endpoint": self.base + "/logout",
        }

    def close(self):
        self._httpd.shutdown()
        self._httpd.server_close()


@pytest.fixture
def provider(keys):
    server = DiscoveryServer(keys)
    yield server
    server.close()


def build_discovering(tmp_path, issuer: str):
    config = tmp_path / "gate.toml"
    config.write_text(OIDC_CONFIG.format(issuer=issuer))
    out = tmp_path / "edge.zip"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "build.py"), "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    return result, out


def test_a_good_discovery_document_builds(tmp_path, provider):
    provider.document = provider.good_document()
    result, out = build_discovering(tmp_path, provider.base)
    assert result.returncode == 0, result.stderr
    assert out.exists()


@pytest.mark.parametrize(
    "endpoint", ["authorization_endpoint", "token_endpoint", "jwks_uri", "revocation_endpoint", "end_session_endpoint"]
)
def test_a_discovered_plain_http_endpoint_is_refused(tmp_path, provider, endpoint):
    provider.document = {**provider.good_document(), endpoint: "http://op.example.com/" + endpoint}
    result, out = build_discovering(tmp_path, provider.base)
    assert result.returncode == 2, (result.returncode, result.stderr)
    assert f"idp.{endpoint}" in result.stderr and "not an https URL" in result.stderr
    assert "Traceback" not in result.stderr and not out.exists()


@pytest.mark.parametrize("named", ["{base}/", "{base}/other", "https://op.example.com", None])
def test_a_discovered_issuer_must_equal_the_configured_one_exactly(tmp_path, provider, named):
    provider.document = {**provider.good_document(), "issuer": named.format(base=provider.base) if named else None}
    result, out = build_discovering(tmp_path, provider.base)
    assert result.returncode != 0 and "names issuer" in result.stderr and not out.exists()


def test_an_issuer_with_a_trailing_slash_is_kept_exactly(tmp_path, provider):
    """Auth0's issuer is https://TENANT.auth0.com/ : the discovery document says so, and so do the tokens."""
    provider.document = {**provider.good_document(), "issuer": provider.base + "/"}
    result, _out = build_discovering(tmp_path, provider.base + "/")
    assert result.returncode == 0, result.stderr


# -- 11. only public keys are embedded -------------------------------------------------------------


def private_jwk(keys) -> dict:
    numbers = keys.private_key.private_numbers()

    def b64(n: int) -> str:
        import base64

        return base64.urlsafe_b64encode(n.to_bytes((n.bit_length() + 7) // 8, "big")).rstrip(b"=").decode()

    return {
        **keys.public_jwk(),
        "d": b64(numbers.d),
        "p": b64(numbers.p),
        "q": b64(numbers.q),
        "dp": b64(numbers.dmp1),
        "dq": b64(numbers.dmq1),
        "qi": b64(numbers.iqmp),
    }


def example_text() -> str:
    with open(os.path.join(ROOT, "gate.example.toml")) as f:
        return f.read()


def test_a_jwks_with_private_key_members_is_refused(tmp_path, keys):
    result, out = build(tmp_path, example_text(), {"keys": [private_jwk(keys)]})
    assert result.returncode == 2, result.stderr  # a user mistake: one line, exit 2
    assert "private-key members (d, p, q, dp, dq, qi)" in result.stderr and "key-1" in result.stderr
    assert not out.exists()


def test_only_public_members_are_embedded(tmp_path, keys):
    extra = {**keys.public_jwk(), "x5c": ["MIIB" + "A" * 40], "x5t": "abc", "key_ops": ["verify"]}
    result, out = build(tmp_path, example_text(), {"keys": [extra]})
    assert result.returncode == 0, result.stderr
    task = tmp_path / "task"
    zipfile.ZipFile(out).extractall(task)
    python = find_python313() or sys.executable
    baked = subprocess.run(
        [
            python,
            "-I",
            "-S",
            "-c",
            f"import sys, json; sys.path.insert(0, {str(task)!r}); import edge.baked as b; print(json.dumps(b.JWKS))",
        ],
        capture_output=True,
        text=True,
    )
    assert json.loads(baked.stdout) == {"keys": [keys.public_jwk()]}


# -- 12. the zip is readable by its owner only ------------------------------------------------------


def test_the_zip_is_written_owner_only_even_over_an_existing_file(tmp_path, keys):
    out = tmp_path / "edge.zip"
    out.write_bytes(b"old")
    os.chmod(out, 0o644)
    old_umask = os.umask(0)
    try:
        result, out = build(tmp_path, example_text(), keys.jwks())
    finally:
        os.umask(old_umask)
    assert result.returncode == 0, result.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o600
