"""local/idp/oidc.mjs --profile X behaves like provider X (issue 14): discovery issuer spelled as
that provider spells it, a real code flow over HTTP yielding ID tokens with that provider's claim
shapes, JWT access tokens (typ at+jwt, aud = the client id) where it issues them, its logout style
and its refresh-token rule. No gate, no browser. Each provider's documentation is cited in
local/idp/oidc.mjs (PROFILES) and tests/support/provider_tokens.py."""

from __future__ import annotations

import json
import re
import secrets
import urllib.parse

import pytest

from local import profiles
from local.stack import Stack
from tests.local.test_providers import Browserish, b64json, pkce, token_call

# Node starts the local providers: skipped without it here, a failure in CI (tests/support/required.py)
pytestmark = pytest.mark.usefixtures("node_required")


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    from tests.local.standin import make_site

    return make_site(str(tmp_path_factory.mktemp("site")))


_started: dict = {}


@pytest.fixture(scope="module")
def idp(site):
    """idp(profile, **idp_args) -> a started Stack (oidc-provider only), one per variant per module."""

    def start(profile, entra_overage=None, auth0_oidc_logout=False):
        key = (profile, entra_overage, auth0_oidc_logout)
        if key not in _started:
            stack = Stack(
                "oidc",
                site_dir=site,
                profile=profile,
                id_token_ttl=120,
                profile_options={"entra_overage": entra_overage, "auth0_oidc_logout": auth0_oidc_logout},
            )
            _started[key] = stack
            stack._start_oidc()
        return _started[key]

    yield start
    for stack in _started.values():
        stack.stop()
    _started.clear()


def discovery(stack):
    status, _, body = Browserish().request(stack.discovery_url)
    assert status == 200
    return json.loads(body)


def authorize(stack, doc, client, scope, extra=None, nonce="n-1"):
    """GET the authorization endpoint; log in on the form when asked; return (code, verifier) or
    (None, body) when the provider answered with a page instead of a redirect."""
    verifier, challenge = pkce()
    state = secrets.token_urlsafe(8)
    query = {
        "response_type": "code",
        "client_id": stack.client_id,
        "redirect_uri": stack.callback_url,
        "scope": " ".join(scope),
        "state": state,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "nonce": nonce,
        **(extra or {}),
    }
    url = f"{doc['authorization_endpoint']}?{urllib.parse.urlencode(query)}"
    user = stack.user("Admin")
    for _ in range(12):
        if url.startswith(stack.callback_url):
            params = dict(urllib.parse.parse_qsl(urllib.parse.urlsplit(url).query))
            assert params.get("state") == state, params
            return params["code"], verifier
        status, headers, body = client.request(url)
        if status in (302, 303):
            url = urllib.parse.urljoin(url, headers["Location"])
            continue
        if status == 200 and 'type="password"' in body:
            action = urllib.parse.urljoin(url, re.search(r'<form method="post" action="([^"]+)"', body).group(1))
            status, headers, body = client.request(action, {"username": user.username, "password": user.password})
            assert status in (302, 303), body
            url = urllib.parse.urljoin(action, headers["Location"])
            continue
        return None, body
    raise AssertionError("too many redirects")


def sign_in(stack, scope=None, extra=None, client=None):
    doc = discovery(stack)
    settings = profiles.gate_config(stack.profile, issuer=stack.issuer, client_id=stack.client_id)["idp"]
    scope = settings["scopes"] if scope is None else scope
    extra = settings.get("extra_authorize_params", {}) if extra is None else extra
    client = client or Browserish()
    code, verifier = authorize(stack, doc, client, scope, extra)
    assert code, verifier
    status, _, body = token_call(
        stack,
        doc["token_endpoint"],
        {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": stack.callback_url,
            "code_verifier": verifier,
        },
    )
    assert status == 200, body
    tokens = json.loads(body)
    return tokens, b64json(tokens["id_token"].split(".")[1]), client


def jwt_parts(token):
    parts = token.split(".")
    return (b64json(parts[0]), b64json(parts[1])) if len(parts) == 3 else (None, None)


# ---- discovery ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "profile,shape,end_session",
    [
        ("oidc", r"^http://127\.0\.0\.1:\d+$", True),
        ("auth0", r"^http://127\.0\.0\.1:\d+/$", False),  # the trailing slash
        ("okta", r"^http://127\.0\.0\.1:\d+/oauth2/default$", True),
        ("entra", r"^http://127\.0\.0\.1:\d+/[0-9a-f-]{36}/v2\.0$", True),
        ("google", r"^http://127\.0\.0\.1:\d+$", False),  # Google has no end_session_endpoint
        ("keycloak", r"^http://127\.0\.0\.1:\d+/realms/gate$", True),
    ],
)
def test_discovery_issuer_and_logout(idp, profile, shape, end_session):
    stack = idp(profile)
    doc = discovery(stack)
    assert doc["issuer"] == stack.issuer == profiles.issuer(profile, stack.idp_url)
    assert re.match(shape, doc["issuer"]), doc["issuer"]
    assert ("end_session_endpoint" in doc) is end_session
    jwks = json.loads(Browserish().request(doc["jwks_uri"])[2])
    assert jwks["keys"] and "d" not in jwks["keys"][0]


# ---- claim shapes, access tokens, refresh tokens ------------------------------------------------


def test_oidc_default_is_unchanged(idp):
    tokens, claims, _ = sign_in(idp("oidc"))
    assert claims["groups"] == ["Admin"] and claims["iss"] == idp("oidc").issuer
    assert jwt_parts(tokens["access_token"]) == (None, None)  # opaque, as before
    assert tokens.get("refresh_token")


def test_auth0_namespaced_groups_audience_and_jwt_access_token(idp):
    stack = idp("auth0")
    tokens, claims, _ = sign_in(stack)
    assert claims["iss"].endswith("/") and claims["iss"] == stack.issuer
    assert claims[profiles.AUTH0_GROUPS_CLAIM] == ["Admin"] and "groups" not in claims
    assert claims["email_verified"] is True
    header, access = jwt_parts(tokens["access_token"])
    assert header["typ"] == "at+jwt" and access["aud"] == profiles.AUTH0_AUDIENCE
    assert access["client_id"] == stack.client_id
    assert tokens.get("refresh_token")  # offline_access was asked for
    # The provider recorded the extra authorize parameter the client sent.
    logged = [json.loads(line) for line in stack.processes[0].tail(200).splitlines() if '"authorize"' in line]
    assert logged[-1]["params"]["audience"] == profiles.AUTH0_AUDIENCE


def test_auth0_without_audience_gives_an_opaque_access_token_and_no_refresh_without_offline(idp):
    tokens, _, _ = sign_in(idp("auth0"), scope=["openid", "email"], extra={})
    assert jwt_parts(tokens["access_token"]) == (None, None)
    assert "refresh_token" not in tokens


def test_okta_groups_and_access_token_with_client_id_audience(idp):
    stack = idp("okta")
    tokens, claims, _ = sign_in(stack)
    assert claims["groups"] == ["Admin"]
    header, access = jwt_parts(tokens["access_token"])
    assert header["typ"] == "at+jwt" and access["aud"] == stack.client_id  # the trap: aud = client id
    assert access["cid"] == stack.client_id and access["groups"] == ["Admin"]
    assert tokens.get("refresh_token")
    tokens, _, _ = sign_in(stack, scope=["openid", "email", "profile", "groups"])
    assert "refresh_token" not in tokens  # Okta: only with offline_access


def test_entra_guids_roles_and_no_email_verified(idp):
    stack = idp("entra")
    tokens, claims, _ = sign_in(stack)
    assert claims["groups"] == [profiles.group_guid("Admin")]
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", claims["groups"][0])
    assert claims["roles"] == ["Gate.Admin"] and claims["ver"] == "2.0"
    assert claims["tid"] == profiles.ENTRA_TENANT and claims["oid"]
    assert "email_verified" not in claims and claims["email"] == "admin@example.com"
    header, access = jwt_parts(tokens["access_token"])
    assert header["typ"] == "at+jwt" and access["aud"] == stack.client_id and access["tid"] == profiles.ENTRA_TENANT
    logged = [json.loads(line) for line in stack.processes[0].tail(200).splitlines() if '"authorize"' in line]
    assert logged[-1]["params"]["domain_hint"] == "example.com"


@pytest.mark.parametrize("overage", ["sources", "hasgroups"])
def test_entra_group_overage(idp, overage):
    _, claims, _ = sign_in(idp("entra", entra_overage=overage))
    assert "groups" not in claims
    if overage == "sources":
        assert claims["_claim_names"] == {"groups": "src1"}
        assert claims["_claim_sources"]["src1"]["endpoint"].startswith("https://graph.microsoft.com/")
    else:
        assert claims["hasgroups"] is True
    assert claims["roles"] == ["Gate.Admin"]  # app roles still arrive: the documented way out


def test_google_no_groups_hd_and_opaque_access_token(idp):
    stack = idp("google")
    tokens, claims, _ = sign_in(stack)
    assert not any("group" in k for k in claims) and "realm_access" not in claims
    assert claims["hd"] == "example.com" and claims["email_verified"] is True
    assert claims["azp"] == stack.client_id
    assert jwt_parts(tokens["access_token"]) == (None, None)
    assert tokens.get("refresh_token")  # access_type=offline + prompt=consent


@pytest.mark.parametrize("extra", [{}, {"access_type": "offline"}, {"prompt": "consent"}])
def test_google_refresh_token_needs_offline_and_consent(idp, extra):
    tokens, _, _ = sign_in(idp("google"), extra=extra)
    assert "refresh_token" not in tokens


def test_keycloak_nested_roles_and_typ_in_payload(idp):
    stack = idp("keycloak")
    tokens, claims, _ = sign_in(stack, scope=["openid", "email", "profile"])
    assert claims["typ"] == "ID" and claims["azp"] == stack.client_id
    assert "Admin" in claims["realm_access"]["roles"] and "offline_access" in claims["realm_access"]["roles"]
    assert claims["resource_access"][stack.client_id]["roles"] == ["Gate.Admin"]
    assert "groups" not in claims
    header, access = jwt_parts(tokens["access_token"])
    assert header["typ"] == "at+jwt" and access["aud"] == stack.client_id and access["typ"] == "Bearer"
    assert tokens.get("refresh_token")  # Keycloak issues one on every code exchange


# ---- logout --------------------------------------------------------------------------------------


def first_hop(stack, client):
    """Where one authorization request sends a browser that has the provider's cookies."""
    doc = discovery(stack)
    _, challenge = pkce()
    status, headers, _ = client.request(
        doc["authorization_endpoint"]
        + "?"
        + urllib.parse.urlencode(
            {
                "response_type": "code",
                "client_id": stack.client_id,
                "redirect_uri": stack.callback_url,
                "scope": "openid",
                "state": "s",
                "code_challenge": challenge,
                "code_challenge_method": "S256",
            }
        )
    )
    assert status in (302, 303)
    return headers["Location"]


def test_auth0_v2_logout_ends_the_provider_session(idp):
    stack = idp("auth0")
    _, _, client = sign_in(stack)
    assert first_hop(stack, client).startswith(stack.callback_url)  # signed in at the provider: no form
    base = stack.issuer + "v2/logout?"
    bad = client.request(base + urllib.parse.urlencode({"client_id": stack.client_id, "returnTo": "http://evil.test/"}))
    assert bad[0] == 400
    wrong_client = {"client_id": "other", "returnTo": stack.signed_out_url}
    assert client.request(base + urllib.parse.urlencode(wrong_client))[0] == 400
    assert first_hop(stack, client).startswith(stack.callback_url)  # refused logouts changed nothing
    status, headers, _ = client.request(
        base + urllib.parse.urlencode({"client_id": stack.client_id, "returnTo": stack.signed_out_url})
    )
    assert status == 302 and headers["Location"] == stack.signed_out_url
    assert "/interaction/" in first_hop(stack, client)  # the sign-in form again
    logged = [json.loads(line) for line in stack.processes[0].tail(200).splitlines() if '"logout"' in line]
    assert logged[-1]["params"] == {"client_id": stack.client_id, "returnTo": stack.signed_out_url}


def test_auth0_oidc_logout_when_the_tenant_lists_it(idp):
    doc = discovery(idp("auth0", auth0_oidc_logout=True))
    assert doc["end_session_endpoint"].endswith("/oidc/logout")


@pytest.mark.parametrize("profile", ["okta", "entra", "keycloak"])
def test_standard_end_session_with_id_token_hint(idp, profile):
    stack = idp(profile)
    tokens, _, client = sign_in(stack)
    doc = discovery(stack)
    query = {
        "id_token_hint": tokens["id_token"],
        "client_id": stack.client_id,
        "post_logout_redirect_uri": stack.signed_out_url,
        "state": "bye",
    }
    status, _, body = client.request(doc["end_session_endpoint"] + "?" + urllib.parse.urlencode(query))
    assert status == 200 and "logout" in body.lower()
    query["post_logout_redirect_uri"] = "http://evil.test/"
    status, _, _ = client.request(doc["end_session_endpoint"] + "?" + urllib.parse.urlencode(query))
    assert status == 400


# ---- the local stack's gate config per profile -----------------------------------------------------


@pytest.mark.parametrize("profile", profiles.PROFILES[1:])
def test_profile_gate_config_matches_the_surface(site, profile):
    import tomllib

    stack = Stack("oidc", site_dir=site, profile=profile)
    stack.client_id, stack.client_secret = "gate-local", "secret"
    stack.issuer = profiles.issuer(profile, stack.idp_url)
    try:
        config = tomllib.loads(stack.config_text("issue14"))
        current = tomllib.loads(stack.config_text("current"))
    finally:
        stack.stop()
    assert config["idp"]["provider"] == profile and config["idp"]["issuer"] == stack.issuer
    assert current["idp"]["provider"] == "oidc" and "entry" not in current
    assert config["rules"][0]["paths"] == ["/admin", "/admin/*"]
    expected_groups_claim = {
        "auth0": profiles.AUTH0_GROUPS_CLAIM,
        "okta": "groups",
        "entra": "groups",
        "google": None,
        "keycloak": "realm_access.roles",
    }[profile]
    assert config["tokens"].get("groups_claim") == expected_groups_claim
    if profiles.is_public(profile):
        assert config["entry"]["email_domains"] == ["example.com"]  # never "anyone with an account"
    if profile == "auth0":
        assert config["idp"]["extra_authorize_params"] == {"audience": profiles.AUTH0_AUDIENCE}
        assert current["tokens"]["groups_claim"] == profiles.AUTH0_GROUPS_CLAIM  # dots, but one claim name
    if profile == "keycloak":
        assert "groups_claim" not in current["tokens"]  # no dotted paths in today's config
    if profile == "google":
        assert config["idp"]["extra_authorize_params"] == {"access_type": "offline", "prompt": "consent"}
        assert config["rules"][0]["emails"] == ["admin@example.com"]
        assert "rules" not in current  # today's rules decide by groups only: no email rule yet
    if profile == "keycloak":
        assert config["tokens"]["roles_claim"] == "resource_access.gate-local.roles"


# ---- through the gate (the built zip in the emulator), each profile's own config ----------------------------


def gate_sign_in(stack, path="/", group="Admin"):
    """Walk a sign-in through the emulator and the provider; return the final (status, body, url)."""
    client = Browserish()
    url = stack.site_url + path
    html = {"Accept": "text/html"}
    user = stack.user(group)
    for _ in range(15):
        status, headers, body = client.request(url, headers=html if url.startswith(stack.site_url) else None)
        if status in (301, 302, 303, 307):
            url = urllib.parse.urljoin(url, headers["Location"])
            continue
        if status == 200 and 'type="password"' in body:
            action = urllib.parse.urljoin(url, re.search(r'<form method="post" action="([^"]+)"', body).group(1))
            status, headers, body = client.request(action, {"username": user.username, "password": user.password})
            url = urllib.parse.urljoin(action, headers["Location"])
            continue
        return status, body, url
    raise AssertionError("too many redirects")


@pytest.mark.parametrize("profile", ["auth0", "okta", "entra", "google", "keycloak"])
def test_the_gate_signs_in_with_each_profile(site, profile):
    # Auth0's issuer ends with "/", Okta's, Entra's and Keycloak's have paths: the built gate must
    # discover the endpoints there and accept exactly that iss (issue 14: "the Auth0-style issuer
    # signs in"), with provider = "<profile>" and its [entry] (profiles.gate_config).
    with Stack("oidc", site_dir=site, profile=profile) as stack:
        assert stack.config_style == "issue14"  # build.py accepts the profile's own config
        status, headers, _ = Browserish().request(stack.site_url + "/", headers={"Accept": "text/html"})
        assert status == 302
        assert headers["Location"].startswith(discovery(stack)["authorization_endpoint"] + "?")
        status, body, url = gate_sign_in(stack)
        assert status == 200 and url == stack.site_url + "/", (status, url, body[:300], stack.logs())


@pytest.mark.parametrize("profile", ["okta", "entra"])
def test_the_gate_applies_the_admin_rule_with_each_profiles_groups(site, profile):
    # Okta: group names in `groups`; Entra: group object ids (GUIDs) in `groups`, so the rule names
    # the Admin group's GUID (profiles.gate_config).
    with Stack("oidc", site_dir=site, profile=profile) as stack:
        status, body, _ = gate_sign_in(stack, "/admin", group="Viewer")
        assert status == 403, (status, body[:300])
        status, body, url = gate_sign_in(stack, "/admin", group="Admin")
        assert status != 403 and url == stack.site_url + "/admin", (status, url, body[:300])


def test_demo_banner_says_where_the_profile_puts_groups(site):
    from local.demo import banner

    stack = Stack("oidc", site_dir=site, profile="entra")
    try:
        text = banner(stack)
    finally:
        stack.stop()
    assert "oidc-provider as entra" in text
    assert profiles.group_guid("Admin") in text and "no email_verified" in text
