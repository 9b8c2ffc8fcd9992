"""The local identity providers on their own (no browser, no gate): what the launcher seeds,
what their hosted UI and token endpoints do, and what their tokens contain. Also: the gate
TOML the launcher writes passes the project's validator."""

from __future__ import annotations

import base64
import hashlib
import http.cookiejar
import json
import os
import re
import secrets
import time
import tomllib
import urllib.error
import urllib.parse
import urllib.request

import pytest

from local.stack import Stack

# Node starts the local providers: skipped without it here, a failure in CI (tests/support/required.py)
pytestmark = pytest.mark.usefixtures("node_required")


def b64json(part: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


class Browserish:
    """Cookies, no automatic redirects: enough to walk a login form by hand."""

    def __init__(self):
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def request(self, url, data=None, headers=None):
        body = urllib.parse.urlencode(data).encode() if isinstance(data, dict) else data
        req = urllib.request.Request(url, data=body, headers=headers or {})
        try:
            with self.opener.open(req, timeout=10) as resp:
                return resp.status, dict(resp.headers), resp.read().decode()
        except urllib.error.HTTPError as err:
            return err.code, dict(err.headers), err.read().decode()


def pkce():
    verifier = secrets.token_urlsafe(32)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    return verifier, challenge


def token_call(stack, token_url, fields):
    pair = base64.b64encode(f"{stack.client_id}:{stack.client_secret}".encode()).decode()
    return Browserish().request(token_url, {**fields, "client_id": stack.client_id}, {"Authorization": f"Basic {pair}"})


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tests.local.standin import make_site

    return make_site(str(tmp_path_factory.mktemp("site")))


@pytest.fixture(scope="module")
def cognito(site):
    stack = Stack("cognito", site_dir=site, id_token_ttl=120)
    stack._start_cognito()
    yield stack
    stack.stop()


@pytest.fixture(scope="module")
def oidc(site):
    stack = Stack("oidc", site_dir=site, id_token_ttl=90)
    stack._start_oidc()
    yield stack
    stack.stop()


def discovery(stack):
    status, _, body = Browserish().request(stack.issuer + "/.well-known/openid-configuration")
    assert status == 200
    return json.loads(body)


def login_with_form(stack, user, authorize_url, nonce):
    """GET authorize -> the provider's form -> POST it -> redirect to the callback with a code."""
    client, action, fields, state, verifier = open_login_form(stack, authorize_url, nonce)
    fields.update(username=user.username, password=user.password)
    status, headers, _ = client.request(action, fields)
    for _ in range(5):
        assert status in (302, 303), status
        location = urllib.parse.urljoin(action, headers["Location"])
        if location.startswith(stack.callback_url):
            break
        status, headers, _ = client.request(location)
    params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(location).query))
    assert params["state"] == state
    return params["code"], verifier


def open_login_form(stack, authorize_url, nonce):
    """GET authorize until the provider's login form: (client, form action, hidden fields, state, verifier)."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    client = Browserish()
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": stack.client_id,
            "redirect_uri": stack.callback_url,
            "scope": "openid email profile" + (" groups" if stack.provider == "oidc" else ""),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": nonce,
        }
    )
    url = f"{authorize_url}?{query}"
    for _ in range(5):  # oidc-provider redirects to its interaction page first
        status, headers, body = client.request(url)
        if status in (302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
            continue
        break
    assert status == 200 and 'type="password"' in body
    action = urllib.parse.urljoin(url, re.search(r'<form method="(?:POST|post)" action="([^"]+)"', body).group(1))
    fields = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)"', body))
    return client, action, fields, state, verifier


# ---- cognito-local ---------------------------------------------------------------------------


def test_cognito_discovery_lists_the_hosted_ui(cognito):
    doc = discovery(cognito)
    assert doc["issuer"] == cognito.issuer and cognito.issuer.startswith("http://127.0.0.1:")
    assert doc["authorization_endpoint"] == cognito.idp_url + "/oauth2/authorize"
    assert doc["token_endpoint"] == cognito.idp_url + "/oauth2/token"
    assert doc["revocation_endpoint"] == cognito.idp_url + "/oauth2/revoke"
    assert "end_session_endpoint" not in doc  # like real Cognito
    status, _, body = Browserish().request(doc["jwks_uri"])
    assert status == 200 and json.loads(body)["keys"][0]["alg"] == "RS256"


def test_cognito_login_tokens_refresh_and_revoke(cognito):
    admin = cognito.user("Admin")
    code, verifier = login_with_form(cognito, admin, cognito.idp_url + "/oauth2/authorize", "n-123")
    token_url = cognito.idp_url + "/oauth2/token"
    status, _, body = token_call(
        cognito,
        token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": cognito.callback_url,
            "code_verifier": "x" * 43,
        },
    )
    assert status == 400  # PKCE is enforced (and the code is now spent)
    code, verifier = login_with_form(cognito, admin, cognito.idp_url + "/oauth2/authorize", "n-123")
    status, _, body = token_call(
        cognito,
        token_url,
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": cognito.callback_url,
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    tokens = json.loads(body)
    header = b64json(tokens["id_token"].split(".")[0])
    claims = b64json(tokens["id_token"].split(".")[1])
    assert header["alg"] == "RS256" and header["kid"] == "CognitoLocal"
    assert claims["iss"] == cognito.issuer and claims["aud"] == cognito.client_id
    assert claims["token_use"] == "id" and claims["email"] == admin.username
    assert claims["cognito:groups"] == ["Admin"]
    assert claims["exp"] - claims["iat"] == 120  # the launcher's short lifetime
    assert "nonce" not in claims  # cognito-local drops it: the gate's require_nonce = false
    access = b64json(tokens["access_token"].split(".")[1])
    assert access["token_use"] == "access" and "aud" not in access and access["client_id"] == cognito.client_id
    refreshed = token_call(
        cognito, token_url, {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert refreshed[0] == 200 and "refresh_token" not in json.loads(refreshed[2])  # no rotation, like Cognito
    assert cognito.refresh_token_works(tokens["refresh_token"])
    revoke = cognito.idp_url + "/oauth2/revoke"
    form = {"token": tokens["refresh_token"], "client_id": cognito.client_id}
    # The app client has a secret: Cognito's revoke endpoint wants HTTP Basic client_id:secret
    # (Cognito "Revoke endpoint"; RFC 7009 2.1), else 401 invalid_client (RFC 6749 5.2).
    for headers in ({}, {"Authorization": "Basic " + base64.b64encode(f"{cognito.client_id}:wrong".encode()).decode()}):
        status, answer_headers, body = Browserish().request(revoke, form, headers)
        assert status == 401 and json.loads(body) == {"error": "invalid_client"}, (status, body)
        assert answer_headers.get("WWW-Authenticate", "").startswith("Basic")
        assert cognito.refresh_token_works(tokens["refresh_token"])  # nothing was revoked
    pair = base64.b64encode(f"{cognito.client_id}:{cognito.client_secret}".encode()).decode()
    basic = {"Authorization": f"Basic {pair}"}
    status, _, body = Browserish().request(revoke, {"token": tokens["access_token"]}, basic)
    assert status == 400 and json.loads(body) == {"error": "unsupported_token_type"}  # a JWT, not the refresh token
    assert Browserish().request(revoke, {}, basic)[0] == 400  # invalid_request
    status, _, body = Browserish().request(revoke, form, basic)
    assert status == 200 and body == ""
    assert not cognito.refresh_token_works(tokens["refresh_token"])
    assert Browserish().request(revoke, form, basic)[0] == 200  # already revoked: still 200 (RFC 7009 2.2)


def test_cognito_wrong_password_shows_the_form_again(cognito):
    _verifier, challenge = pkce()
    status, _, body = Browserish().request(
        cognito.idp_url + "/oauth2/authorize",
        {
            "client_id": cognito.client_id,
            "redirect_uri": cognito.callback_url,
            "response_type": "code",
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "scope": "openid",
            "state": "s",
            "username": "viewer@example.com",
            "password": "wrong",
        },
    )
    assert status == 200 and "Incorrect username or password" in body


def test_cognito_logout_accepts_only_registered_sign_out_urls(cognito):
    client = Browserish()
    ok = client.request(
        cognito.idp_url
        + "/logout?"
        + urllib.parse.urlencode({"client_id": cognito.client_id, "logout_uri": cognito.signed_out_url})
    )
    assert ok[0] == 302 and ok[1]["Location"] == cognito.signed_out_url
    bad = client.request(
        cognito.idp_url
        + "/logout?"
        + urllib.parse.urlencode({"client_id": cognito.client_id, "logout_uri": "http://evil.example/"})
    )
    assert bad[0] == 400
    assert client.request(cognito.idp_url + "/logout?client_id=nope&logout_uri=x")[0] == 400


def test_cognito_callback_url_must_be_registered(cognito):
    _, challenge = pkce()
    status, _, body = Browserish().request(
        cognito.idp_url
        + "/oauth2/authorize?"
        + urllib.parse.urlencode(
            {
                "client_id": cognito.client_id,
                "redirect_uri": "http://localhost:1/elsewhere",
                "response_type": "code",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    assert status == 400 and "redirect_uri" in body


# ---- oidc-provider ---------------------------------------------------------------------------


def test_oidc_discovery(oidc):
    doc = discovery(oidc)
    assert doc["issuer"] == oidc.issuer
    for key in ("authorization_endpoint", "token_endpoint", "jwks_uri", "end_session_endpoint", "revocation_endpoint"):
        assert doc[key].startswith(oidc.idp_url), key
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert "groups" in doc["scopes_supported"] and "groups" in doc["claims_supported"]
    jwks = json.loads(Browserish().request(doc["jwks_uri"])[2])
    assert jwks["keys"][0]["kty"] == "RSA" and "d" not in jwks["keys"][0]


def test_oidc_login_tokens_refresh_and_revoke(oidc):
    doc = discovery(oidc)
    viewer = oidc.user("Viewer")
    code, verifier = login_with_form(oidc, viewer, doc["authorization_endpoint"], "nonce-456")
    status, _, body = token_call(
        oidc,
        doc["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": oidc.callback_url,
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    tokens = json.loads(body)
    claims = b64json(tokens["id_token"].split(".")[1])
    assert claims["iss"] == oidc.issuer and claims["aud"] == oidc.client_id
    assert claims["nonce"] == "nonce-456"
    assert claims["groups"] == ["Viewer"] and claims["email"] == viewer.username
    assert claims["exp"] - claims["iat"] == 90
    assert tokens.get("refresh_token")
    status, _, body = token_call(
        oidc, doc["token_endpoint"], {"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]}
    )
    assert status == 200, body
    refreshed = json.loads(body)
    assert b64json(refreshed["id_token"].split(".")[1])["groups"] == ["Viewer"]
    rotated = refreshed["refresh_token"]
    assert rotated != tokens["refresh_token"]  # rotation, as for most public OIDC providers
    pair = base64.b64encode(f"{oidc.client_id}:{oidc.client_secret}".encode()).decode()
    status, _, _ = Browserish().request(
        doc["revocation_endpoint"],
        {"token": rotated, "token_type_hint": "refresh_token"},
        {"Authorization": f"Basic {pair}"},
    )
    assert status == 200
    assert not oidc.refresh_token_works(rotated)


def test_oidc_wrong_password(oidc):
    """A wrong password gets the form again with the error (local/idp/oidc.mjs), no redirect and
    no code; the right one, on the same form, goes on to the callback."""
    doc = discovery(oidc)
    client, action, fields, _state, _verifier = open_login_form(oidc, doc["authorization_endpoint"], "n")
    status, headers, body = client.request(action, {**fields, "username": "viewer@example.com", "password": "nope"})
    assert status == 200 and "Location" not in headers
    assert "Incorrect username or password." in body and 'type="password"' in body
    viewer = oidc.user("Viewer")
    status, headers, _ = client.request(action, {**fields, "username": viewer.username, "password": viewer.password})
    assert status in (302, 303), status  # the form itself was fine: only the password was wrong


# ---- the gate config the launcher writes --------------------------------------------------------


@pytest.mark.parametrize("provider,style", [("oidc", "oidc"), ("cognito", "oidc")])
def test_generated_config_passes_the_validator(site, provider, style):
    from gatebuild import config as gate_config

    stack = Stack(provider, site_dir=site)
    stack.client_id, stack.client_secret, stack.pool_id = "client", "secret", "local_AbCd1234"
    stack.issuer = f"{stack.idp_url}/local_AbCd1234" if provider == "cognito" else stack.idp_url
    try:
        config, to_discover = gate_config.validate(tomllib.loads(stack.config_text(style)))
    finally:
        stack.stop()
    assert config.site_url == stack.site_url and config.cookies.secure is False
    assert config.rules[0].groups == ("Admin",)
    assert set(to_discover) >= {"authorization_endpoint", "token_endpoint", "jwks_uri"}
    assert config.tokens.require_nonce is (provider == "oidc")


def test_stop_ends_every_process(site):
    stack = Stack("oidc", site_dir=site)
    stack._start_oidc()
    pids = [p.proc.pid for p in stack.processes]
    stack.stop()
    time.sleep(0.2)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)
    assert not os.path.exists(stack.workdir)
