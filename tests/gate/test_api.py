"""The site's API behind the gate and the SPA's session lifecycle (issue 13), through edge.handler.

API paths ([[apis]]): bearer forwarding from the HttpOnly cookie, gate cookies and a browser's
own Authorization stripped, spoofed identity headers stripped, CSRF proof for state-changing
methods, CORS preflight, JSON 401/403 with stable reasons, never a redirect. The refresh
endpoint and who-am-I's reasons, and X-Gate-Reason on 401s for any protected path.
Sec-Fetch-Site / Origin semantics: https://developer.mozilla.org/en-US/docs/Web/HTTP/Headers/Sec-Fetch-Site
(a same-origin fetch() POST sends `Sec-Fetch-Site: same-origin` and `Origin`; a cross-site
form POST sends `cross-site` and the foreign Origin).
"""

import json

import pytest
from freezegun import freeze_time

from gatebuild import config as gate_config
from tests.conftest import raw_config
from tests.support.cloudfront import ASSET, FETCH_JSON, HOST, Browser, header, is_response

ID, RT, AT = "__Host-gate-id", "__Host-gate-rt", "__Host-gate-at"
T0 = "2026-03-01 09:00:00"
SITE = f"https://{HOST}"
SAME_ORIGIN_POST = {
    "Accept": "application/json",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-origin",
    "Origin": SITE,
    "Content-Type": "application/json",
}
API = {"paths": ["/api/*"], "identity_headers": True}
REFRESH = {
    "Accept": "application/json",
    "Sec-Fetch-Mode": "cors",
    "Sec-Fetch-Site": "same-origin",
    "Origin": SITE,
    "X-Gate-Request": "1",
}


@pytest.fixture
def api_browser(make_config, make_handler):
    def make(**api):
        config = make_config(apis=[{**API, **api}]) if api is not None else make_config()
        return Browser(make_handler(config))

    return make


def make_config_with(local_idp, **sections):
    raw = raw_config(local_idp.base, **{k: v for k, v in sections.items() if k != "apis"})
    if "apis" in sections:
        raw["apis"] = sections["apis"]
    if raw["idp"]["provider"] == "oidc":
        raw.pop("cognito")
    return gate_config.validate(raw)[0]


@pytest.fixture
def make_config(idp):
    def make(**sections):
        return make_config_with(idp, **sections)

    return make


@pytest.fixture
def signed_in(api_browser, login):
    def make(groups=("Viewer",), **api):
        browser = api_browser(**api)
        with freeze_time(T0):
            assert login(browser, "/", groups=groups, lifetime=3600)["status"] == "302"
        return browser

    return make


def forwarded_headers(result: dict) -> dict:
    assert not is_response(result), result
    return {name: [e["value"] for e in entries] for name, entries in result["headers"].items()}


def body(result: dict) -> dict:
    assert header(result, "content-type") == "application/json"
    return json.loads(result["body"])


# -- forwarding --------------------------------------------------------------------------------


def test_api_get_is_forwarded_with_the_access_token_and_without_gate_cookies(signed_in):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/reports", headers=FETCH_JSON, extra_cookies=["theme=dark"])
    headers = forwarded_headers(result)
    assert headers["authorization"] == [f"Bearer {browser.jar[AT]}"]
    assert headers["cookie"] == ["theme=dark"]
    assert not any("gate-" in c for c in headers["cookie"])


def test_a_browser_supplied_authorization_is_replaced(signed_in):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/reports", headers={**FETCH_JSON, "Authorization": "Bearer forged"})
    assert forwarded_headers(result)["authorization"] == [f"Bearer {browser.jar[AT]}"]


def test_spoofed_identity_headers_are_replaced_on_api_paths_and_stripped_elsewhere(signed_in):
    browser = signed_in(groups=("Viewer", "Field, North"))
    spoof = {**FETCH_JSON, "X-Gate-Sub": "admin", "X-Gate-Groups": "Admin"}
    with freeze_time("2026-03-01 09:10:00"):
        api = forwarded_headers(browser.request("/api/reports", headers=spoof))
        page = forwarded_headers(
            browser.request("/assets/app.js", headers={**ASSET, "X-Gate-Sub": "admin", "X-Gate-Groups": "Admin"})
        )
    assert api["x-gate-sub"] != ["admin"] and len(api["x-gate-sub"][0]) > 10
    assert api["x-gate-groups"] == ["Field%2C%20North,Viewer"]
    assert "x-gate-sub" not in page and "x-gate-groups" not in page
    public = forwarded_headers(browser.request("/public/a.txt", headers={**ASSET, "X-Gate-Sub": "admin"}))
    assert "x-gate-sub" not in public


def test_identity_headers_are_off_unless_configured_and_spoofs_still_stripped(signed_in):
    browser = signed_in(identity_headers=False)
    with freeze_time("2026-03-01 09:10:00"):
        headers = forwarded_headers(browser.request("/api/reports", headers={**FETCH_JSON, "X-Gate-Sub": "admin"}))
    assert "x-gate-sub" not in headers and "x-gate-groups" not in headers


def test_a_retry_query_on_an_asset_is_just_forwarded(signed_in):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/assets/x.js", "gate-retry=1", headers=ASSET)
    assert not is_response(result) and result["uri"] == "/assets/x.js" and result["querystring"] == "gate-retry=1"


# -- no session, expired, no access token ---------------------------------------------------------


def test_api_without_a_session_is_401_json_signed_out_and_never_a_redirect(api_browser):
    browser = api_browser()
    for headers in (FETCH_JSON, None, ASSET):  # even a navigation to an API path
        result = browser.request("/api/reports", headers=headers)
        assert result["status"] == "401" and header(result, "x-gate-reason") == "signed_out"
        assert body(result) == {
            "signedIn": False,
            "reason": "signed_out",
            "refreshUrl": "/_gate/refresh",
            "signInUrl": "/_gate/sign-in?return=%2F",
        }


def test_api_after_expiry_is_401_session_expired_and_does_not_refresh(signed_in, idp):
    browser = signed_in()
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.request("/api/reports", headers=FETCH_JSON)
    assert result["status"] == "401" and body(result)["reason"] == "session_expired"
    assert header(result, "x-gate-reason") == "session_expired"
    assert idp.token_calls("refresh_token") == []


def test_api_with_a_session_but_no_access_token_cookie_is_401_no_access_token(signed_in):
    browser = signed_in()
    del browser.jar[AT]
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/reports", headers=FETCH_JSON)
    assert result["status"] == "401" and body(result)["reason"] == "no_access_token"


def test_an_asset_after_expiry_gets_the_html_page_with_x_gate_reason(signed_in, api_browser):
    browser = signed_in()
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.request("/assets/Reports-1.js", headers=ASSET)
    assert result["status"] == "401" and header(result, "x-gate-reason") == "session_expired"
    assert header(result, "content-type").startswith("text/html")
    fresh = api_browser()
    assert header(fresh.request("/assets/a.js", headers=ASSET), "x-gate-reason") == "signed_out"
    json_401 = fresh.request("/docs/data.json", headers=FETCH_JSON)
    assert body(json_401)["reason"] == "signed_out" and body(json_401)["refreshUrl"] == "/_gate/refresh"


# -- groups -------------------------------------------------------------------------------------


def test_a_rule_on_an_api_path_answers_403_json_with_the_reason(make_config, make_handler, login):
    config = make_config(apis=[API], rules=[{"paths": ["/api/admin/*"], "groups": ["Admin"]}])
    browser = Browser(make_handler(config))
    with freeze_time(T0):
        login(browser, "/", groups=("Viewer",), lifetime=3600)
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/admin/stats", headers=FETCH_JSON)
        assert result["status"] == "403"
        # the reason, never the groups (a signed-in person must not read the site's rules from it)
        assert body(result) == {"error": "forbidden", "reason": "missing_group"}
        assert not is_response(browser.request("/api/reports", headers=FETCH_JSON))


# -- CSRF -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "PATCH", "DELETE"])
def test_same_origin_state_changing_requests_are_forwarded(signed_in, method):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/notes", headers=SAME_ORIGIN_POST, method=method)
    assert forwarded_headers(result)["authorization"] == [f"Bearer {browser.jar[AT]}"]


@pytest.mark.parametrize(
    "headers, reason",
    [
        ({"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"}, "cross_site"),
        ({"Sec-Fetch-Site": "same-site", "Origin": "https://other.cloudfront.net"}, "cross_site"),
        ({"Origin": "https://evil.example"}, "cross_site"),  # an older browser: Origin only
        ({"Origin": "null"}, "cross_site"),  # a sandboxed page or data: URL
        ({"Sec-Fetch-Site": "cross-site"}, "cross_site"),
        ({}, "missing_request_header"),  # neither header, no X-Gate-Request
        ({"X-Gate-Request": "0"}, "missing_request_header"),
    ],
)
def test_cross_site_state_changing_requests_are_refused_before_anything_else(signed_in, idp, headers, reason):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/notes", headers={"Content-Type": "text/plain", **headers}, method="POST")
    assert result["status"] == "403" and body(result) == {"error": "forbidden", "reason": reason}


def test_neither_header_but_x_gate_request_is_allowed(signed_in):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/notes", headers={"X-Gate-Request": "1"}, method="POST")
    assert not is_response(result)


def test_cross_site_get_is_not_a_csrf_concern_but_cookies_decide(signed_in):
    browser = signed_in()
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request("/api/reports", headers={**FETCH_JSON, "Sec-Fetch-Site": "cross-site"})
    assert not is_response(result)  # SameSite=Lax keeps the cookies off a real cross-site fetch


# -- CORS preflight -------------------------------------------------------------------------------


def test_options_is_403_unless_the_origin_is_listed(signed_in):
    browser = signed_in(cors_origins=["https://app.example.com"])
    pre = {
        "Origin": "https://app.example.com",
        "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "x-gate-request",
    }
    ok = browser.request("/api/notes", headers=pre, method="OPTIONS")
    assert ok["status"] == "204"
    assert header(ok, "access-control-allow-origin") == "https://app.example.com"
    assert header(ok, "access-control-allow-credentials") == "true"
    for origin in ("https://evil.example", SITE):
        refused = browser.request("/api/notes", headers={**pre, "Origin": origin}, method="OPTIONS")
        assert refused["status"] == "403" and body(refused)["reason"] == "cors_not_allowed"
    with freeze_time("2026-03-01 09:10:00"):
        listed = browser.request(
            "/api/notes", headers={"Origin": "https://app.example.com", "Sec-Fetch-Site": "cross-site"}, method="POST"
        )
    assert not is_response(listed)


# -- bearer clients -------------------------------------------------------------------------------


def test_a_non_browser_bearer_token_is_refused_unless_accept_bearer(api_browser, keys):
    token = keys.access_token()
    plain = api_browser()
    result = plain.request("/api/reports", headers={"Authorization": f"Bearer {token}"})
    assert result["status"] == "401" and body(result)["reason"] == "signed_out"


def test_accept_bearer_forwards_a_verified_access_token_only(api_browser, keys, other_keys):
    browser = api_browser(accept_bearer=True, bearer_scopes=["openid"])
    good = keys.access_token(**{"cognito:groups": ["Viewer"]})
    result = browser.request("/api/reports", headers={"Authorization": f"Bearer {good}"})
    headers = forwarded_headers(result)
    assert headers["authorization"] == [f"Bearer {good}"] and headers["x-gate-groups"] == ["Viewer"]
    for bad in (
        keys.id_token(),  # an ID token is not an access token
        keys.sign({**keys.id_claims(token_use="access", aud=None), "client_id": "someone-else"}),
        keys.access_token(iss="https://evil.example"),
        keys.access_token(exp=1000, iat=900),
        other_keys.access_token(),  # not our IdP's key
        "not-a-jwt",
    ):
        refused = browser.request("/api/reports", headers={"Authorization": f"Bearer {bad}"})
        assert refused["status"] == "401" and body(refused)["reason"] == "invalid_bearer_token", bad


def test_accept_bearer_ignores_authorization_from_a_browser(signed_in, keys):
    browser = signed_in(accept_bearer=True, bearer_scopes=["openid"])
    other = keys.access_token(sub="someone-else")
    with freeze_time("2026-03-01 09:10:00"):
        result = browser.request(
            "/api/reports", headers={**FETCH_JSON, "Sec-Fetch-Site": "same-origin", "Authorization": f"Bearer {other}"}
        )
    assert forwarded_headers(result)["authorization"] == [f"Bearer {browser.jar[AT]}"]


def test_accept_bearer_for_oidc_needs_an_rfc9068_access_token(idp, make_handler):
    from tests.support.tokens import Keys

    config = make_config_with(
        idp,
        idp={"provider": "oidc", "issuer": "https://idp.example", "authorization_endpoint": f"{idp.base}/authorize"},
        apis=[{"paths": ["/api/*"], "accept_bearer": True, "bearer_audiences": ["https://api.example"]}],
        tokens={"groups_claim": "groups"},
    )
    keys = Keys("https://idp.example", config.client_id, provider="oidc")
    browser = Browser(make_handler(config, keys.jwks()))
    plain = keys.access_token()
    at_jwt = keys.sign(
        {**keys.id_claims(), "client_id": config.client_id, "aud": "https://api.example"}, header={"typ": "at+jwt"}
    )
    assert browser.request("/api/r", headers={"Authorization": f"Bearer {plain}"})["status"] == "401"
    assert not is_response(browser.request("/api/r", headers={"Authorization": f"Bearer {at_jwt}"}))


# -- the refresh endpoint -------------------------------------------------------------------------


def test_refresh_gives_fresh_tokens_and_who_am_i(signed_in, idp):
    browser = signed_in()
    idp.rotate_refresh_tokens = True
    old = dict(browser.jar)
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.request("/_gate/refresh", headers=REFRESH, method="POST")
        assert result["status"] == "200"
        me = body(result)
        assert me["signedIn"] is True and me["expiresAt"] > 1772359500
        assert browser.jar[ID] != old[ID] and browser.jar[RT] != old[RT] and browser.jar[AT] != old[AT]
        assert not is_response(browser.request("/api/reports", headers=FETCH_JSON))
    assert len(idp.token_calls("refresh_token")) == 1


def test_refresh_refuses_cross_site_and_header_less_requests(signed_in, idp):
    browser = signed_in()
    for headers in (
        {**REFRESH, "X-Gate-Request": None},
        {**REFRESH, "Sec-Fetch-Site": "cross-site"},
        {**REFRESH, "Origin": "https://evil.example"},
        {"X-Gate-Request": "1", "Sec-Fetch-Site": "same-site"},
    ):
        result = browser.request("/_gate/refresh", headers={k: v for k, v in headers.items() if v}, method="POST")
        assert result["status"] == "403" and body(result)["error"] == "forbidden"
    get = browser.request("/_gate/refresh", headers=REFRESH)
    assert get["status"] == "405" and header(get, "allow") == "POST"
    assert idp.token_calls("refresh_token") == []


def test_refresh_refused_by_the_idp_ends_the_session(signed_in, idp):
    browser = signed_in()
    idp.revoked.extend(idp.refresh_tokens)
    with freeze_time("2026-03-01 09:30:00"):
        result = browser.request("/_gate/refresh", headers=REFRESH, method="POST")
        assert result["status"] == "401" and header(result, "x-gate-reason") == "refresh_refused"
        assert body(result)["reason"] == "refresh_refused" and "location" not in result["headers"]
        # a first invalid_grant only marks the token (another tab may have won a rotation race)
        assert RT in browser.jar and "__Host-gate-rspent" in browser.jar
        calls = len(idp.token_calls("refresh_token"))
        again = browser.request("/_gate/refresh", headers=REFRESH, method="POST")
    assert again["status"] == "401" and body(again)["reason"] == "refresh_refused"
    assert len(idp.token_calls("refresh_token")) == calls  # never asked twice
    assert ID not in browser.jar and RT not in browser.jar


def test_refresh_without_a_refresh_cookie_is_signed_out(api_browser):
    result = api_browser().request("/_gate/refresh", headers=REFRESH, method="POST")
    assert result["status"] == "401" and body(result)["reason"] == "signed_out"


@pytest.mark.parametrize("fault, status", [("503", "503"), ("reset", "502"), ("bad_json", "502")])
def test_refresh_with_the_idp_down_is_5xx_json_and_keeps_the_session(signed_in, idp, fault, status):
    browser = signed_in()
    idp.fault = fault
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.request("/_gate/refresh", headers=REFRESH, method="POST")
    assert result["status"] == status and body(result)["signedIn"] is False and body(result)["error"]
    assert RT in browser.jar


# -- who-am-I reasons -----------------------------------------------------------------------------


def test_who_am_i_reasons(signed_in, api_browser, idp):
    assert body(api_browser().request("/_gate/me", headers=FETCH_JSON))["reason"] == "signed_out"
    browser = signed_in()
    del browser.jar[RT]
    with freeze_time("2026-03-01 10:05:00"):
        expired = browser.request("/_gate/me", headers=FETCH_JSON)
    assert expired["status"] == "401" and body(expired)["reason"] == "session_expired"
    refused = signed_in()
    idp.revoked.extend(idp.refresh_tokens)
    with freeze_time("2026-03-01 10:05:00"):
        result = refused.request("/_gate/me", headers=FETCH_JSON)
    assert body(result)["reason"] == "refresh_refused" and header(result, "x-gate-reason") == "refresh_refused"


# -- configuration --------------------------------------------------------------------------------


def test_apis_without_a_stored_access_token_is_a_build_error(idp):
    with pytest.raises(gate_config.ConfigFileError, match="store_access_token: must be true"):
        make_config_with(idp, tokens={"store_access_token": False}, apis=[API])


@pytest.mark.parametrize(
    "apis, match",
    [
        ([{"paths": []}], "paths"),
        ([{"paths": ["/public/*"]}], "also public"),
        ([{"paths": ["/_gate/refresh"]}], "gate answers that path"),
        ([{"paths": ["/api/*"], "cors_origins": ["https://a.example/path"]}], "must be an origin"),
        ([{"paths": ["/api/*"], "bearer": True}], "unknown key"),
    ],
)
def test_bad_apis_sections_name_the_fix(idp, apis, match):
    with pytest.raises(gate_config.ConfigFileError, match=match):
        make_config_with(idp, apis=apis)


# -- the same-origin proof, against an independent statement of the rule -------------------------

from hypothesis import given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from edge.api import same_origin_refusal  # noqa: E402
from edge.request import ViewerRequest  # noqa: E402

OK_FETCH_SITES = ("same-origin", "none")


@settings(max_examples=400, deadline=None)
@given(
    origin=st.sampled_from([None, SITE, "https://app.example.com", "https://evil.example", "null", SITE + ":8443"]),
    fetch_site=st.sampled_from([None, "same-origin", "none", "same-site", "cross-site", "Same-Origin"]),
    marker=st.sampled_from([None, "1", "0", "true", " 1"]),
    allowed=st.sampled_from([(), ("https://app.example.com",)]),
    require=st.booleans(),
)
def test_same_origin_proof(origin, fetch_site, marker, allowed, require):
    """Accepted iff there is no evidence of another site, there is positive proof of this one
    (or a trusted origin), and, where required, the custom header."""
    trusted = {SITE, *allowed}
    foreign_origin = origin is not None and origin not in trusted
    foreign_fetch = fetch_site is not None and fetch_site not in OK_FETCH_SITES and origin not in allowed
    proof = origin in trusted or fetch_site in OK_FETCH_SITES or marker == "1"
    expected = not foreign_origin and not foreign_fetch and proof and (not require or marker == "1")
    headers = {
        name: [{"key": name, "value": value}]
        for name, value in (("origin", origin), ("sec-fetch-site", fetch_site), ("x-gate-request", marker))
        if value is not None
    }
    request = ViewerRequest({"uri": "/api/x", "method": "POST", "querystring": "", "headers": headers})
    refusal = same_origin_refusal(request, SITE, allowed, require_header=require)
    assert (refusal is None) == expected, refusal
    if refusal is not None:
        assert refusal in ("cross_site", "missing_request_header")


def test_accept_bearer_needs_a_configured_audience_or_scope(idp, api_browser, keys):
    """Issue 21: issuer, client and type alone accept a token this client got for any resource."""
    with pytest.raises(gate_config.ConfigFileError, match=r"apis\[1\]\.accept_bearer: needs bearer_audiences"):
        make_config_with(idp, apis=[{"paths": ["/api/*"], "accept_bearer": True}])
    browser = api_browser(accept_bearer=True, bearer_scopes=["api/read"])
    other_resource = keys.access_token(scope="openid email")
    refused = browser.request("/api/reports", headers={"Authorization": f"Bearer {other_resource}"})
    assert refused["status"] == "401" and body(refused)["detail"] == "missing_scope"
    meant = keys.sign({**keys.id_claims(), "client_id": keys.client_id, "token_use": "access", "scope": "api/read"})
    assert not is_response(browser.request("/api/reports", headers={"Authorization": f"Bearer {meant}"}))
