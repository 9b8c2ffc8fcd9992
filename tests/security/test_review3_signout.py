"""Issue 21, "Sign-out that really ends the session, with any provider", through the built zip.

The provider is django-oauth-toolkit 3.x, run for real on 127.0.0.1 (local/idp/dot): it lists
`revocation_endpoint` only in its RFC 8414 metadata, never in its OIDC discovery document
(oauth2_provider/views/oidc.py, ConnectDiscoveryInfoView), and honours a refresh token until it
is revoked (RFC 7009 2.1: after revocation the token is invalid at once). The build discovers
everything over the network (no --jwks-file), as a person building against their own provider
would; sign-out through the zip must then revoke at the provider.
"""

from __future__ import annotations

import http.cookiejar
import json
import os
import subprocess
import sys
import threading
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlsplit

import pytest

from tests.conftest import ROOT, STATE_SECRET
from tests.security.conftest import ID, RT
from tests.support.cloudfront import HOST, NAVIGATE, Browser, header, location_query

pytest.importorskip("oauth2_provider")
pytestmark = [pytest.mark.zip, pytest.mark.slow]

SITE = f"https://{HOST}"


def build_online(work, text: str):
    """build.py with discovery and the JWKS fetched from the provider (no --jwks-file)."""
    config = work / "gate.toml"
    config.write_text(text)
    out = work / "edge.zip"
    result = subprocess.run(
        [sys.executable, os.path.join(ROOT, "build.py"), "--config", str(config), "--out", str(out)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
    )
    return result, out


@pytest.fixture(scope="module")
def dot():
    from local.idp.dot import DotProvider

    with DotProvider([f"{SITE}/_gate/callback"], [f"{SITE}/_gate/signed-out"]) as provider:
        yield provider


@pytest.fixture(scope="module")
def dot_zip(dot, tmp_path_factory):
    from tests.build.test_build_zip import ShippedZip

    work = tmp_path_factory.mktemp("dot")
    text = f'''[idp]
provider = "oidc"
issuer = "{dot.issuer}"
client_id = "{dot.client_id}"
client_secret = "{dot.client_secret}"
[state]
secret = "{STATE_SECRET}"
'''
    result, out = build_online(work, text)
    assert result.returncode == 0, result.stderr
    shipped = ShippedZip(out, work)
    yield shipped, result
    logs = shipped.close()
    assert "Traceback" not in logs


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def provider_sign_in(dot, authorize_url: str) -> str:
    """The person at django-oauth-toolkit: authorize -> login form -> authorize -> the callback URL."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar), NoRedirect)

    def get(url: str, data: bytes | None = None):
        try:
            with opener.open(urllib.request.Request(url, data=data), timeout=20) as resp:
                return resp.status, resp.headers, resp.read().decode()
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers, exc.read().decode()

    status, headers, _ = get(authorize_url)
    assert status == 302, status
    login_url = urllib.parse.urljoin(authorize_url, headers["Location"])
    status, _, _page = get(login_url)
    assert status == 200, status
    token = next(c.value for c in jar if c.name == "dot_csrf")
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": token,
            "username": dot.username,
            "password": dot.password,
            "next": urllib.parse.parse_qs(urlsplit(login_url).query)["next"][0],
        }
    ).encode()
    status, headers, _ = get(login_url, form)
    assert status == 302, status
    status, headers, _ = get(urllib.parse.urljoin(login_url, headers["Location"]))
    assert status == 302, status
    callback = headers["Location"]
    assert callback.startswith(f"{SITE}/_gate/callback?"), callback
    return callback


def signed_in_browser(dot, shipped) -> Browser:
    browser = Browser(lambda ev, _ctx: shipped.send(ev))
    first = browser.get("/docs/page")
    assert first["status"] == "302"
    authorize = header(first, "location")
    assert authorize.startswith(dot.issuer + "/authorize/")
    assert location_query(first)["redirect_uri"] == f"{SITE}/_gate/callback"
    callback = urlsplit(provider_sign_in(dot, authorize))
    done = browser.request(callback.path, callback.query, NAVIGATE)
    assert done["status"] == "302" and header(done, "location") == "/docs/page", done
    assert ID in browser.jar and RT in browser.jar
    assert "status" not in browser.get("/docs/page")
    return browser


def refresh_at_provider(dot, refresh_token: str) -> int:
    form = urllib.parse.urlencode(
        {
            "grant_type": "refresh_token",
            "refresh_token": refresh_token,
            "client_id": dot.client_id,
            "client_secret": dot.client_secret,
        }
    ).encode()
    try:
        with urllib.request.urlopen(f"{dot.issuer}/token/", data=form, timeout=20) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        body = json.loads(exc.read().decode() or "{}")
        assert exc.code != 400 or body.get("error") == "invalid_grant", body
        return exc.code


def test_dot_lists_revocation_only_in_rfc8414_metadata(dot):
    """The premise, checked against the real provider (so the test below means something)."""
    with urllib.request.urlopen(f"{dot.issuer}/.well-known/openid-configuration") as resp:
        oidc = json.load(resp)
    assert "revocation_endpoint" not in oidc
    with urllib.request.urlopen(f"{dot.base}/.well-known/oauth-authorization-server/o") as resp:
        assert json.load(resp)["revocation_endpoint"] == f"{dot.issuer}/revoke_token/"


def test_zip_sign_out_revokes_the_refresh_token_at_a_provider_listing_it_only_in_rfc8414(dot, dot_zip):
    """Was: the build read only OIDC discovery, so sign-out never revoked at django-oauth-toolkit,
    and a person who pressed Cancel at its logout prompt left a refresh token it still honoured."""
    shipped, build_result = dot_zip
    assert "revocation endpoint" not in build_result.stderr
    kept = signed_in_browser(dot, shipped)  # a second person who does not sign out: the control
    browser = signed_in_browser(dot, shipped)
    refresh_token = browser.jar[RT]
    out = browser.get("/_gate/sign-out")
    assert out["status"] == "302"
    assert header(out, "location").startswith(f"{dot.issuer}/logout/")  # RP-initiated logout (confirms)
    assert browser.jar == {}
    assert refresh_at_provider(dot, refresh_token) == 400  # invalid_grant: the provider ended it
    assert refresh_at_provider(dot, kept.jar[RT]) == 200  # not signed out: still honoured


class _Discovery(BaseHTTPRequestHandler):
    """An OIDC provider whose discovery document has no revocation_endpoint and which publishes
    no RFC 8414 metadata (404 there)."""

    document: dict = {}
    jwks: dict = {}

    def log_message(self, *args):
        pass

    def do_GET(self):
        status, value = 404, {}
        if self.path.endswith("/.well-known/openid-configuration"):
            status, value = 200, self.document
        elif self.path == "/jwks":
            status, value = 200, self.jwks
        body = json.dumps(value).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


@pytest.mark.parametrize("end_session", [True, False])
def test_build_says_in_one_line_what_sign_out_cannot_end_without_revocation(tmp_path, keys, end_session):
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Discovery)
    base = f"http://127.0.0.1:{server.server_address[1]}"
    issuer = f"{base}/realm"
    _Discovery.document = {
        "issuer": issuer,
        "authorization_endpoint": f"{base}/authorize",
        "token_endpoint": f"{base}/token",
        "jwks_uri": f"{base}/jwks",
        **({"end_session_endpoint": f"{base}/logout"} if end_session else {}),
    }
    _Discovery.jwks = keys.jwks()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        result, _out = build_online(
            tmp_path,
            f'[idp]\nprovider = "oidc"\nissuer = "{issuer}"\nclient_id = "c"\n[state]\nsecret = "{STATE_SECRET}"\n',
        )
    finally:
        server.shutdown()
        server.server_close()
    assert result.returncode == 0, result.stderr
    lines = [line for line in result.stderr.splitlines() if "revocation" in line]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("warning: the provider publishes no revocation endpoint")
    assert "does not end the refresh token" in lines[0]
    assert ("provider's logout" in lines[0]) is end_session
