"""The gate, configured as a user of each provider would configure it (local/profiles.py, the same
snippets as docs/providers.md), fed ID tokens shaped like that provider's DOCUMENTED tokens
(tests/support/provider_tokens.py cites the documentation per provider) and the traps each one
sets: access tokens with aud = the client id, unverified emails, Entra's group overage markers,
an Auth0 issuer without its slash, a personal Google account at a company address."""

from __future__ import annotations

import json
from urllib.parse import parse_qs, urlsplit

import pytest

from edge.provider import PROFILES
from gatebuild import config as gate_config
from local import profiles
from tests.conftest import STATE_SECRET
from tests.support import provider_tokens as pt
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event, header, is_response

ID = "__Host-gate-id"
IDP = "https://idp.example"
END_SESSION = {"okta": f"{IDP}/v1/logout", "entra": f"{IDP}/oauth2/v2.0/logout", "keycloak": f"{IDP}/logout"}
KEYS = {name: pt.provider_keys(name) for name in pt.ISSUERS}


def raw_for(provider: str, **changes) -> dict:
    keys = KEYS[provider]
    endpoints = {
        "authorization_endpoint": f"{IDP}/authorize",
        "token_endpoint": f"{IDP}/token",
        "jwks_uri": f"{IDP}/jwks",
        "revocation_endpoint": f"{IDP}/revoke",
        "end_session_endpoint": END_SESSION.get(provider, ""),
        "timeout_seconds": 1.0,
    }
    if provider == "cognito":
        raw = {
            "idp": {"provider": "cognito", "client_id": keys.client_id, **endpoints},
            "cognito": {"region": "eu-west-1", "user_pool_id": "eu-west-1_Example12", "domain": "auth.example.com"},
            "rules": [{"paths": ["/admin", "/admin/*"], "groups": ["Admin"]}],
        }
        del raw["idp"]["end_session_endpoint"]  # derived: <domain>/logout
    else:
        raw = profiles.gate_config(provider, issuer=keys.issuer, client_id=keys.client_id, client_secret="s3cret")
        raw["idp"].update(endpoints)
    raw["state"] = {"secret": STATE_SECRET}
    for section, values in changes.items():
        if isinstance(values, dict):
            raw.setdefault(section, {}).update(values)
        else:
            raw[section] = values
    return raw


@pytest.fixture
def gate_for(make_handler):
    def make(provider: str, **changes):
        config, _ = gate_config.validate(raw_for(provider, **changes))
        return make_handler(config, KEYS[provider].jwks())

    return make


def token(provider: str, **claims) -> str:
    keys = KEYS[provider]
    return keys.sign(pt.ID_CLAIMS[provider](keys, **claims), pt.ID_HEADERS[provider] or None)


def visit(handler, path: str, id_token: str, json_api: bool = False) -> dict:
    return handler(event(path, headers=FETCH_JSON if json_api else NAVIGATE, cookies=[f"{ID}={id_token}"]), None)


def status(result: dict) -> int:
    return int(result["status"]) if is_response(result) else 200  # forwarded to the origin


def reason(result: dict) -> str:
    return json.loads(result["body"])["error"]


# Admin and Viewer, as each provider's ID token carries them.
ADMIN = {
    "cognito": {"groups": ("Admin",)},
    "auth0": {"groups": ("Admin",)},
    "okta": {"groups": ("Admin",)},
    "entra": {"groups": (pt.ADMIN_GROUP_ID,)},
    "google": {"email": "admin@example.com"},
    "keycloak": {"realm_roles": ("Admin",)},
}
VIEWER = {
    "cognito": {"groups": ("Viewer",)},
    "auth0": {"groups": ("Viewer",)},
    "okta": {"groups": ("Viewer",)},
    "entra": {"groups": (pt.VIEWER_GROUP_ID,)},
    "google": {"email": "viewer@example.com"},
    "keycloak": {"realm_roles": ("Viewer",)},
}
VIEWER_REASON = {"google": "email_not_allowed"}


@pytest.mark.parametrize("provider", sorted(pt.ISSUERS))
def test_each_providers_documented_id_token_signs_in_and_the_admin_rule_decides(gate_for, provider):
    handler = gate_for(provider)
    assert status(visit(handler, "/docs", token(provider, **VIEWER[provider]))) == 200
    assert status(visit(handler, "/admin/x", token(provider, **ADMIN[provider]))) == 200
    denied = visit(handler, "/admin/x", token(provider, **VIEWER[provider]), json_api=True)
    assert status(denied) == 403 and reason(denied) == VIEWER_REASON.get(provider, "missing_group")
    page = visit(handler, "/admin/x", token(provider, **VIEWER[provider]))
    assert page["status"] == "403" and f"Reason: {VIEWER_REASON.get(provider, 'missing_group')}" in page["body"]


SESSION_TRAPS = {  # tokens that must never be a session at all
    "cognito": ["access_token_as_id_token"],
    "auth0": ["access_token_aud_client_id", "issuer_without_slash"],
    "okta": ["access_token_aud_client_id"],
    "entra": ["access_token_aud_client_id", "v1_issuer"],
    "google": ["legacy_issuer"],
    "keycloak": ["access_token_aud_client_id"],
}


@pytest.mark.parametrize("provider,trap", [(p, t) for p, ts in SESSION_TRAPS.items() for t in ts])
def test_traps_are_never_a_session(gate_for, provider, trap):
    handler = gate_for(provider)
    bad = pt.traps(provider, KEYS[provider])[trap]
    assert status(visit(handler, "/docs", bad, json_api=True)) == 401
    assert status(visit(handler, "/admin", bad, json_api=True)) == 401
    login = visit(handler, "/admin", bad)
    assert login["status"] == "302" and header(login, "location").startswith(f"{IDP}/authorize?")


def test_the_auth0_issuer_keeps_its_slash():
    config, _ = gate_config.validate(raw_for("auth0"))
    assert config.issuer == pt.ISSUERS["auth0"] and config.issuer.endswith("/")


@pytest.mark.parametrize("provider", ["auth0", "google"])
def test_an_unverified_email_never_decides_entry(gate_for, provider):
    # Auth0 and Google: [entry] email_domains = ["example.com"] (profiles.gate_config)
    handler = gate_for(provider)
    unverified = pt.traps(provider, KEYS[provider])["email_unverified"]
    for path in ("/docs", "/admin"):
        result = visit(handler, path, unverified, json_api=True)
        assert status(result) == 403 and reason(result) == "email_not_verified"
    assert "not verified" in visit(handler, "/docs", unverified)["body"]


def test_an_unverified_email_never_decides_a_rule(gate_for):
    handler = gate_for("okta", rules=[{"paths": ["/admin", "/admin/*"], "emails": ["ada@example.com"]}])
    assert status(visit(handler, "/admin", token("okta"))) == 200
    result = visit(handler, "/admin", pt.traps("okta", KEYS["okta"])["email_unverified"], json_api=True)
    assert reason(result) == "email_not_verified"


@pytest.mark.parametrize("trap", ["no_hd_consumer_account", "hd_spoofed_in_email_only", "email_domain_without_hd"])
def test_google_email_domain_needs_the_workspace_hd(gate_for, trap):
    handler = gate_for("google")
    result = visit(handler, "/docs", pt.traps("google", KEYS["google"])[trap], json_api=True)
    assert status(result) == 403 and reason(result) == "not_allowed_to_enter"
    # ... while a Workspace account of that domain enters
    assert status(visit(handler, "/docs", token("google", email="ada@example.com", hd="example.com"))) == 200
    # an exact address still decides without hd (a verified address is the person's)
    exact = gate_for("google", entry={"email_domains": [], "emails": ["ada@gmail.com"]})
    assert status(visit(exact, "/docs", pt.traps("google", KEYS["google"])["no_hd_consumer_account"])) == 200


@pytest.mark.parametrize("shape", ["sources", "hasgroups"])
def test_entra_overage_says_too_many_groups(gate_for, shape):
    handler = gate_for("entra")
    over = token("entra", overage=shape)
    result = visit(handler, "/admin", over, json_api=True)
    assert status(result) == 403 and reason(result) == "groups_overage"
    page = visit(handler, "/admin", over)["body"]
    assert "too many groups" in page and "app roles" in page and "groups assigned to the application" in page
    assert status(visit(handler, "/docs", over)) == 200  # no rule on /docs: signed in is enough
    # the fix: an app role decides whatever the groups
    assert status(visit(handler, "/admin", token("entra", overage=shape, roles=("Gate.Admin",)))) == 200


def test_entra_app_roles_decide_and_viewer_roles_do_not(gate_for):
    handler = gate_for("entra")
    assert status(visit(handler, "/admin", token("entra", groups=(), roles=("Gate.Admin",)))) == 200
    result = visit(handler, "/admin", token("entra", groups=(), roles=("Gate.Viewer",)), json_api=True)
    assert reason(result) == "missing_group"


def test_keycloak_realm_and_client_roles(gate_for):
    rules = [{"paths": ["/admin", "/admin/*"], "roles": ["site-admin"]}]
    handler = gate_for("keycloak", rules=rules)  # roles_claim defaults to resource_access.<client>.roles
    assert status(visit(handler, "/admin", token("keycloak", client_roles=("site-admin",)))) == 200
    result = visit(handler, "/admin", token("keycloak", realm_roles=("site-admin",)), json_api=True)
    assert reason(result) == "missing_role"  # a realm role of that name is not the client role


def test_entry_refuses_others_everywhere_but_public_paths(gate_for):
    handler = gate_for("okta", entry={"groups": ["Staff"]}, paths={"public": ["/robots.txt"]})
    outsider = token("okta", groups=("Viewer",))
    for path in ("/", "/docs", "/admin"):
        result = visit(handler, path, outsider, json_api=True)
        assert status(result) == 403 and reason(result) == "not_allowed_to_enter", path
    assert "only for certain people" in visit(handler, "/docs", outsider)["body"]
    assert status(visit(handler, "/robots.txt", outsider)) == 200
    assert status(visit(handler, "/docs", token("okta", groups=("Staff",)))) == 200
    assert status(visit(handler, "/admin", token("okta", groups=("Staff",)), json_api=True)) == 403


def test_the_authorize_url_carries_the_profiles_safe_extras_and_the_gates_own_params(gate_for):
    google = gate_for("google")(event("/docs", headers=NAVIGATE), None)
    query = parse_qs(urlsplit(header(google, "location")).query)
    assert query["access_type"] == ["offline"] and query["prompt"] == ["consent"]
    auth0 = gate_for("auth0")(event("/docs", headers=NAVIGATE), None)
    query = parse_qs(urlsplit(header(auth0, "location")).query)
    assert query["audience"] == [profiles.AUTH0_AUDIENCE]
    assert query["client_id"] == [KEYS["auth0"].client_id] and query["response_type"] == ["code"]
    assert query["code_challenge_method"] == ["S256"] and len(query["state"]) == 1
    # an empty value removes a profile default
    no_consent = gate_for("google", idp={"extra_authorize_params": {"prompt": ""}})(event("/", headers=NAVIGATE), None)
    query = parse_qs(urlsplit(header(no_consent, "location")).query)
    assert "prompt" not in query and query["access_type"] == ["offline"]


def sign_out_location(handler, id_token: str) -> str:
    result = handler(event("/_gate/sign-out", headers=NAVIGATE, cookies=[f"{ID}={id_token}"]), None)
    assert result["status"] == "302"
    return header(result, "location")


SIGNED_OUT = f"https://{event()['Records'][0]['cf']['config']['distributionDomainName']}/_gate/signed-out"


@pytest.mark.parametrize("provider", sorted(pt.ISSUERS))
def test_sign_out_in_each_providers_style(gate_for, provider):
    handler = gate_for(provider)
    id_token = token(provider)
    location = sign_out_location(handler, id_token)
    query = {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}
    client_id = KEYS[provider].client_id
    if provider == "cognito":
        assert location.startswith("https://auth.example.com/logout?")
        assert query == {"client_id": client_id, "logout_uri": SIGNED_OUT}
    elif provider == "auth0":  # no end_session_endpoint discovered: Auth0's own /v2/logout
        assert location.startswith(pt.ISSUERS["auth0"] + "v2/logout?")
        assert query == {"client_id": client_id, "returnTo": SIGNED_OUT}
    elif provider == "google":
        assert location == "/_gate/signed-out"
    else:
        assert location.startswith(END_SESSION[provider] + "?")
        assert query == {"client_id": client_id, "post_logout_redirect_uri": SIGNED_OUT, "id_token_hint": id_token}


def test_auth0_uses_the_standard_logout_when_discovery_lists_it(gate_for):
    handler = gate_for("auth0", idp={"end_session_endpoint": f"{IDP}/oidc/logout"})
    location = sign_out_location(handler, token("auth0"))
    assert location.startswith(f"{IDP}/oidc/logout?") and "post_logout_redirect_uri=" in location


def test_every_profile_is_a_class_behind_the_seam():
    assert set(PROFILES) == {"cognito", "oidc", "auth0", "okta", "entra", "google", "keycloak"}
    assert {n for n, p in PROFILES.items() if p.public} == set(profiles.PUBLIC_PROVIDERS)


@pytest.mark.parametrize(
    "typ,ok", [("ID", True), ("JWT", True), ("Bearer", False), ("Refresh", False), ("Offline", False), (1, False)]
)
def test_keycloak_payload_typ_tells_id_tokens_from_the_others(gate_for, typ, ok):
    # Keycloak's own token type in the payload (provider_tokens.py cites it): only "ID" is an ID token
    result = visit(gate_for("keycloak"), "/docs", token("keycloak", typ=typ), json_api=True)
    assert status(result) == (200 if ok else 401)
