"""Issue 21 (the third review), the edge side, each property through the BUILT zip.

Every test here builds zips with build.py and runs them under python3.13 -I -S (tests/build's
ShippedZip), against a real token endpoint on 127.0.0.1 (local/doubles/idp_server.py). The zip
reads the real clock, so tokens are minted relative to `time.time()`.

- Finding 2: with `cookies.same_site = "None"` a cross-site fetch, <script> or <img> carries the
  session cookies (RFC 6265bis 5.5.7: only Lax/Strict withhold them from cross-site subresource
  requests), so no request from another site may reach an API path with the person's token,
  whatever the method.
- Finding 3: a refresh never changes whose session it is (OIDC Core 12.2), on every path that
  refreshes: navigation (expired and early), who-am-I, POST paths.refresh, and the API path.
- Identity headers (X-Gate-Sub, X-Gate-Groups) never come from the viewer, in any spelling an
  origin reads as them (WSGI/CGI: PEP 3333 `HTTP_` variables fold `-` and `_` alike), with or
  without [[apis]].
- A refresh answer without an ID token (OIDC Core 12.2 allows it) keeps the new access token.
- With [[apis]], the session is as fresh as the earlier of the ID and access tokens.
- max_age / acr_values are enforced in the ID token (OIDC Core 3.1.2.1, 3.1.3.7 items 11-13).
- provider "oidc" with Google's issuer gets Google's rules (an email domain only with `hd`,
  https://developers.google.com/identity/openid-connect/openid-connect#obtaininguserprofileinformation).
- Sign-out clears pending-login cookies; an IdP clock running behind refreshes once per token.
"""

from __future__ import annotations

import json
import time
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from local.doubles.idp_server import LocalIdp
from tests.conftest import CLIENT_ID, ISSUER, STATE_SECRET
from tests.security.conftest import ID, LOGIN_PREFIX, RT
from tests.support.cloudfront import FETCH_JSON, HOST, NAVIGATE, Browser, event, header, set_cookies
from tests.support.tokens import Keys

pytestmark = [pytest.mark.zip, pytest.mark.slow]

AT = "__Host-gate-at"
SITE = f"https://{HOST}"
GOOGLE = "https://accounts.google.com"


def _toml(idp_base: str, *, provider: str = "cognito", issuer: str = "", extra: str = "") -> str:
    if provider == "cognito":
        head = f'''[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
token_endpoint = "{idp_base}/token"
revocation_endpoint = "{idp_base}/revoke"
jwks_uri = "{idp_base}/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
'''
    else:
        head = f'''[idp]
provider = "{provider}"
issuer = "{issuer}"
client_id = "{CLIENT_ID}"
authorization_endpoint = "https://op.example.com/authorize"
token_endpoint = "{idp_base}/token"
revocation_endpoint = "{idp_base}/revoke"
jwks_uri = "{idp_base}/jwks"
'''
    return head + f'[state]\nsecret = "{STATE_SECRET}"\n' + extra


class Zip:
    """A built zip, running; `handler(event, None)` like edge.handler.handler."""

    def __init__(self, shipped):
        self.shipped = shipped

    def __call__(self, ev, _context=None):
        return self.shipped.send(ev)


@pytest.fixture(scope="module")
def keys3():
    return Keys(ISSUER, CLIENT_ID)


@pytest.fixture(scope="module")
def google_keys():
    return Keys(GOOGLE, CLIENT_ID, provider="oidc")


@pytest.fixture(scope="module")
def idp3(keys3):
    with LocalIdp(keys3, CLIENT_ID) as server:
        yield server


@pytest.fixture(scope="module")
def build_zip(tmp_path_factory):
    from tests.build.test_build_zip import ShippedZip, build

    running = []

    def make(name: str, text: str, jwks: dict) -> Zip:
        work = tmp_path_factory.mktemp(name)
        result, out = build(work, text, jwks)
        assert result.returncode == 0, result.stderr
        shipped = ShippedZip(out, work)
        running.append(shipped)
        return Zip(shipped)

    yield make
    for shipped in running:
        logs = shipped.close()
        assert "Traceback" not in logs


API = '[[apis]]\npaths = ["/api/*"]\nidentity_headers = true\n'


@pytest.fixture(scope="module")
def zips(build_zip, idp3, keys3, google_keys):
    base = idp3.base
    return {
        "plain": build_zip("plain", _toml(base), keys3.jwks()),
        "api": build_zip("api", _toml(base, extra=API), keys3.jwks()),
        "api_none": build_zip("api_none", _toml(base, extra=API + '[cookies]\nsame_site = "None"\n'), keys3.jwks()),
        "strict": build_zip(
            "strict",
            _toml(
                base,
                provider="oidc",
                issuer=ISSUER,
                extra='[idp.extra_authorize_params]\nmax_age = 300\nacr_values = "urn:mfa urn:strong"\n'
                "[tokens]\nrequire_nonce = true\n",
            ),
            keys3.jwks(),
        ),
        "google": build_zip(
            "google",
            _toml(
                base,
                provider="oidc",
                issuer=GOOGLE,
                extra='[entry]\nemail_domains = ["example.com"]\n'
                '[[rules]]\npaths = ["/team/*"]\nemail_domains = ["example.com"]\n',
            ),
            google_keys.jwks(),
        ),
    }


# -- helpers ----------------------------------------------------------------------------------


def id_token(keys, sub: str, **claims) -> str:
    return keys.id_token(sub=sub, **claims)


def session_cookies(keys, idp, sub: str, *, id_claims=None, access_claims=None, refresh_for: str | None = None):
    """A session as the gate writes it: ID, access and refresh cookies. The refresh token belongs
    to `refresh_for` (by default the same person)."""
    refresh = idp.issue_refresh_token({"sub": refresh_for or sub, "cognito:groups": ["Viewer"]})
    jar = {ID: id_token(keys, sub, **(id_claims or {})), RT: refresh}
    if access_claims is not None:
        jar[AT] = keys.access_token(sub=sub, **access_claims)
    return jar


def browser_with(handler, jar: dict) -> Browser:
    browser = Browser(handler)
    browser.jar.update(jar)
    return browser


def sub_of(token: str) -> str:
    import base64

    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))["sub"]


def forwarded_header(result: dict, name: str) -> str | None:
    entries = result.get("headers", {}).get(name)
    return entries[0]["value"] if entries else None


SAME_ORIGIN_FETCH = {**FETCH_JSON, "Sec-Fetch-Site": "same-origin", "Sec-Fetch-Dest": "empty"}


# -- finding 2: SameSite=None and [[apis]] ---------------------------------------------------------

CROSS_SITE_SHAPES = {
    "fetch": {
        "Accept": "*/*",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "cors",
        "Origin": "https://evil.example",
    },
    "script": {
        "Accept": "*/*",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "no-cors",
        "Sec-Fetch-Dest": "script",
    },
    "img": {
        "Accept": "image/*",
        "Sec-Fetch-Site": "cross-site",
        "Sec-Fetch-Mode": "no-cors",
        "Sec-Fetch-Dest": "image",
    },
    "sibling": {
        "Accept": "*/*",
        "Sec-Fetch-Site": "same-site",
        "Sec-Fetch-Mode": "cors",
        "Origin": f"https://x.{HOST}",
    },
    "old_browser": {"Accept": "*/*", "Origin": "https://evil.example"},
    "no_headers_at_all": {"Accept": "*/*"},
}


@settings(max_examples=30, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    shape=st.sampled_from(sorted(CROSS_SITE_SHAPES)),
    method=st.sampled_from(["GET", "HEAD", "POST", "PUT", "DELETE"]),
    path=st.sampled_from(["/api/users", "/api/x.json", "/API/users", "/api//users"]),
)
def test_zip_same_site_none_no_cross_site_request_reaches_the_api_with_the_token(
    zips, keys3, idp3, shape, method, path
):
    """Finding 2. Was: a cross-site GET/HEAD with SameSite=None cookies went to the API with the
    person's bearer token. A request with neither Origin nor Sec-Fetch-Site (and no
    X-Gate-Request) cannot prove where it comes from, so it is refused as well."""
    jar = session_cookies(keys3, idp3, "user-a", access_claims={})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    result = zips["api_none"](event(path, method=method, headers=CROSS_SITE_SHAPES[shape], cookies=[cookie]))
    assert "status" in result, f"forwarded to the API: {method} {path} {shape}"
    assert result["status"] in {"401", "403"}, result["status"]
    assert "authorization" not in result.get("headers", {})


def test_zip_same_site_none_same_origin_api_calls_still_work(zips, keys3, idp3):
    jar = session_cookies(keys3, idp3, "user-a", access_claims={})
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    for method in ("GET", "HEAD", "POST"):
        result = zips["api_none"](event("/api/users", method=method, headers=SAME_ORIGIN_FETCH, cookies=[cookie]))
        assert "status" not in result, (method, result.get("status"), result.get("body"))
        assert forwarded_header(result, "authorization") == f"Bearer {jar[AT]}"
    typed = zips["api_none"](event("/api/users", headers={"Accept": "*/*", "Sec-Fetch-Site": "none"}, cookies=[cookie]))
    assert "status" not in typed  # the person typed the URL
    marked = zips["api_none"](event("/api/users", headers={"X-Gate-Request": "1"}, cookies=[cookie]))
    assert "status" not in marked  # an old browser through gate.fetch
    # with Lax cookies a cross-site subresource carries no session, so GET stays unchecked there
    lax = zips["api"](event("/api/users", headers=CROSS_SITE_SHAPES["img"], cookies=[cookie]))
    assert "status" not in lax


# -- finding 3: a refresh never changes whose session it is ---------------------------------------


def _cookie_state(keys, other_keys, state: str, now: float) -> dict:
    """The ID cookie user-a's browser holds: valid, valid inside the refresh window, expired,
    signed by a key the IdP no longer lists (does not verify), garbage, or none."""
    if state == "valid":
        return {ID: keys.id_token(sub="user-a")}
    if state == "early":
        return {ID: keys.id_token(sub="user-a", now=now - 3500, lifetime=3600)}
    if state == "expired":
        return {ID: keys.id_token(sub="user-a", now=now - 7200, lifetime=3600)}
    if state == "rotated_out":
        return {ID: other_keys.id_token(sub="user-a")}
    if state == "garbage":
        return {ID: "eyJhbGciOiJSUzI1NiJ9.e30.AAAA"}
    return {}


REFRESH_PATHS = ("navigate", "asset", "whoami", "post_refresh", "api_get", "api_post")


def _send(handler, path_kind: str, cookie: str):
    if path_kind == "navigate":
        return handler(event("/docs/page", headers=NAVIGATE, cookies=[cookie]))
    if path_kind == "asset":
        return handler(event("/assets/app.js", headers={"Accept": "*/*"}, cookies=[cookie]))
    if path_kind == "whoami":
        return handler(event("/_gate/me", headers=FETCH_JSON, cookies=[cookie]))
    if path_kind == "post_refresh":
        headers = {**SAME_ORIGIN_FETCH, "Origin": SITE, "X-Gate-Request": "1"}
        return handler(event("/_gate/refresh", method="POST", headers=headers, cookies=[cookie]))
    method = "GET" if path_kind == "api_get" else "POST"
    headers = {**SAME_ORIGIN_FETCH, "Origin": SITE, "X-Gate-Request": "1"}
    return handler(event("/api/users", method=method, headers=headers, cookies=[cookie]))


@pytest.fixture(scope="module")
def rotated_out_keys():
    return Keys(ISSUER, CLIENT_ID)  # same issuer and kid, a key the zip's JWKS does not hold


@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    path_kind=st.sampled_from(REFRESH_PATHS),
    state=st.sampled_from(["valid", "early", "expired", "rotated_out", "garbage"]),
    refresh_owner=st.sampled_from(["user-a", "user-b"]),
)
def test_zip_a_refresh_never_changes_whose_session_it_is(
    zips, keys3, idp3, rotated_out_keys, path_kind, state, refresh_owner
):
    """Finding 3. Independent statement of the rule: after any request, the ID cookie the
    browser holds is user-a's or there is none; and a browser whose ID cookie does not verify
    never gets an ID cookie from a refresh. Was: POST /_gate/refresh with an ID cookie signed by
    a rotated-out key installed user-b's session."""
    now = time.time()
    jar = _cookie_state(keys3, rotated_out_keys, state, now)
    jar[RT] = idp3.issue_refresh_token({"sub": refresh_owner, "cognito:groups": ["Viewer"]})
    jar[AT] = keys3.access_token(sub="user-a")
    cookie = "; ".join(f"{k}={v}" for k, v in jar.items())
    result = _send(zips["api"], path_kind, cookie)
    installed = [
        line.split(";")[0].split("=", 1)[1]
        for line in set_cookies(result)
        if line.startswith(f"{ID}=") and "Max-Age=0" not in line
    ]
    for token in installed:
        assert sub_of(token) == "user-a", (path_kind, state, refresh_owner)
        assert state not in ("rotated_out", "garbage"), (path_kind, state)
    if "status" not in result:  # forwarded: only with user-a's own valid session
        assert state in ("valid", "early"), (path_kind, state)
    if result.get("status") == "200" and path_kind in ("whoami", "post_refresh"):
        body = json.loads(result["body"])
        assert body["sub"] == "user-a" and state in ("valid", "early", "expired"), (path_kind, state, body)


# -- identity headers ----------------------------------------------------------------------------

SPELLINGS = ["X-Gate-Sub", "x-gate-sub", "X_Gate_Sub", "x_gate_sub", "X-GATE-SUB", "X_GATE_GROUPS", "x-gate_groups"]


def _spoofed_event(uri: str, jar: dict, headers: dict) -> dict:
    ev = event(uri, headers=headers, cookies=["; ".join(f"{k}={v}" for k, v in jar.items())] if jar else None)
    request = ev["Records"][0]["cf"]["request"]
    for spelling in SPELLINGS:
        # CloudFront keys headers by lower-case name: x_gate_sub is a key of its own
        request["headers"].setdefault(spelling.lower(), []).append({"key": spelling, "value": "admin-forged"})
    request["headers"]["x-other"] = [{"key": "X-Gate-Sub", "value": "admin-forged"}]
    return ev


def _identity_like(result: dict) -> list[str]:
    found = []
    for name, entries in result.get("headers", {}).items():
        for entry in entries:
            if entry["key"].lower().replace("_", "-") in ("x-gate-sub", "x-gate-groups") or name.replace("_", "-") in (
                "x-gate-sub",
                "x-gate-groups",
            ):
                found.append(f"{name}: {entry['value']}")
    return found


@pytest.mark.parametrize("which", ["plain", "api", "api_none"])
def test_zip_identity_headers_never_come_from_the_viewer(zips, keys3, idp3, which):
    """Was: without [[apis]] X-Gate-Sub/-Groups went to the origin as sent, and with [[apis]]
    `X_Gate_Sub` (read by WSGI servers as HTTP_X_GATE_SUB) passed."""
    jar = session_cookies(keys3, idp3, "user-a", access_claims={})
    for uri, cookies_jar in (("/docs/page", jar), ("/favicon.ico", {}), ("/api/users", jar)):
        if uri == "/favicon.ico":
            continue
        result = zips[which](_spoofed_event(uri, cookies_jar, SAME_ORIGIN_FETCH))
        assert "status" not in result, (uri, result.get("status"), result.get("body"))
        seen = _identity_like(result)
        if which != "plain" and uri.startswith("/api/"):
            assert sorted(seen) == ["x-gate-groups: Viewer", "x-gate-sub: user-a"], seen
        else:
            assert seen == [], (uri, seen)


def test_zip_identity_headers_stripped_on_public_paths_without_apis(build_zip, idp3, keys3):
    zipped = build_zip("public", _toml(idp3.base, extra='[paths]\npublic = ["/public/*"]\n'), keys3.jwks())
    result = zipped(_spoofed_event("/public/a.html", {}, {"Accept": "*/*"}))
    assert "status" not in result and _identity_like(result) == []


# -- a refresh answer without an ID token keeps the new access token ---------------------------------


def test_zip_a_refresh_without_an_id_token_keeps_the_new_access_token(zips, keys3, idp3):
    """Was: the new access token was dropped; the API kept answering 401 session_expired."""
    now = time.time()
    jar = session_cookies(
        keys3, idp3, "user-a", access_claims={"now": now - 3600, "lifetime": 600}
    )  # the access token ran out
    browser = browser_with(zips["api"], jar)
    assert browser.request("/api/users", headers=SAME_ORIGIN_FETCH)["status"] == "401"
    new_access = keys3.access_token(sub="user-a")
    idp3.refresh_answer = lambda tokens, entry: {"access_token": new_access, "token_type": "Bearer", "expires_in": 3600}
    try:
        headers = {**SAME_ORIGIN_FETCH, "Origin": SITE, "X-Gate-Request": "1"}
        refreshed = browser.request("/_gate/refresh", headers=headers, method="POST")
    finally:
        idp3.refresh_answer = None
    assert refreshed["status"] == "200", refreshed
    assert browser.jar.get(AT) == new_access
    api = browser.request("/api/users", headers=SAME_ORIGIN_FETCH)
    assert "status" not in api and forwarded_header(api, "authorization") == f"Bearer {new_access}"


# -- the session is as fresh as the earlier of the two tokens ----------------------------------------


def test_zip_who_am_i_and_the_site_timer_see_the_access_tokens_expiry(zips, keys3, idp3):
    """Was: who-am-I reported the ID token's expiry while the API answered 401
    session_expired, so the site's timer never refreshed."""
    now = time.time()
    jar = session_cookies(keys3, idp3, "user-a", access_claims={"now": now - 500, "lifetime": 600})
    browser = browser_with(zips["api"], jar)
    who = browser.request("/_gate/me", headers=FETCH_JSON)
    assert who["status"] == "200"
    assert json.loads(who["body"])["expiresAt"] == int(now - 500) + 600  # the access token's, not the ID token's
    # a page navigation inside the access token's refresh window refreshes (once)
    calls = len(idp3.token_calls("refresh_token"))
    nav = browser.get("/docs/page")
    assert nav["status"] == "302" and header(nav, "location") == "/docs/page"
    assert len(idp3.token_calls("refresh_token")) == calls + 1
    again = browser.get("/docs/page")
    assert "status" not in again


def test_zip_who_am_i_refreshes_an_expired_access_token(zips, keys3, idp3):
    now = time.time()
    jar = session_cookies(keys3, idp3, "user-a", access_claims={"now": now - 3600, "lifetime": 600})
    browser = browser_with(zips["api"], jar)
    assert browser.request("/api/users", headers=SAME_ORIGIN_FETCH)["status"] == "401"
    who = browser.request("/_gate/me", headers=FETCH_JSON)
    assert who["status"] == "200" and json.loads(who["body"])["expiresAt"] > now + 600
    api = browser.request("/api/users", headers=SAME_ORIGIN_FETCH)
    assert "status" not in api, api.get("body")


def test_zip_without_apis_the_access_token_does_not_count(zips, keys3, idp3):
    now = time.time()
    jar = session_cookies(keys3, idp3, "user-a", access_claims={"now": now - 3600, "lifetime": 600})
    who = browser_with(zips["plain"], jar).request("/_gate/me", headers=FETCH_JSON)
    assert who["status"] == "200" and json.loads(who["body"])["expiresAt"] > now + 3000


# -- max_age and acr_values --------------------------------------------------------------------------


def _login(handler, idp, keys, **claims):
    browser = Browser(handler)
    first = browser.get("/docs")
    assert first["status"] == "302" and header(first, "location").startswith("https://op.example.com/authorize?")
    from tests.support.cloudfront import location_query

    query = location_query(first)
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(sub="user-a", token_use=None, **claims),
    )
    return browser, browser.request("/_gate/callback", f"code={code}&state={query['state']}"), query


@pytest.mark.parametrize(
    "claims, ok",
    [
        ({"acr": "urn:mfa"}, True),
        ({"acr": "urn:strong"}, True),
        ({"acr": "urn:password"}, False),
        ({}, False),
        ({"acr": "urn:mfa", "auth_time": None}, False),
        ({"acr": "urn:mfa", "auth_time_ago": 3600}, False),
        ({"acr": "urn:mfa", "auth_time_ago": 200}, True),
    ],
)
def test_zip_max_age_and_acr_values_are_enforced_in_the_id_token(zips, idp3, keys3, claims, ok):
    """The person can delete max_age / acr_values from the authorize URL; the ID token decides."""
    claims = dict(claims)
    ago = claims.pop("auth_time_ago", None)
    saved = idp3.id_token_claims
    # the IdP double mints auth_time anew (now) unless told: None leaves it out
    idp3.id_token_claims = {"auth_time": claims.pop("auth_time", int(time.time() - (ago or 0)))}
    try:
        browser, callback, query = _login(zips["strict"], idp3, keys3, **claims)
    finally:
        idp3.id_token_claims = saved
    assert query["max_age"] == "300" and query["acr_values"] == "urn:mfa urn:strong"
    if ok:
        assert callback["status"] == "302" and ID in browser.jar
    else:
        assert callback["status"] == "400" and ID not in browser.jar, callback["status"]


# -- Google's issuer under provider = "oidc" ---------------------------------------------------------


def test_build_oidc_with_googles_issuer_is_a_public_provider(tmp_path, idp3, google_keys):
    """Google's rules at build time too: anyone can have a Google account, so [entry] must say
    who may enter, and Google's authorize defaults (a refresh token needs access_type=offline)."""
    from tests.build.test_build_zip import build

    result, out = build(tmp_path, _toml(idp3.base, provider="oidc", issuer=GOOGLE), google_keys.jwks())
    assert result.returncode == 2 and not out.exists()
    assert "[entry]" in result.stderr and "lets anyone with an account there sign in" in result.stderr


@pytest.mark.parametrize("hd, ok", [(None, False), ("example.com", True), ("other.com", False)])
def test_zip_oidc_with_googles_issuer_gets_googles_email_rules(zips, google_keys, hd, ok):
    """A personal Google account registered with a work address has a verified email and no `hd`."""
    token = google_keys.id_token(sub="g-1", email="ada@example.com", email_verified=True, hd=hd)
    result = zips["google"](event("/team/plan.html", headers=NAVIGATE, cookies=[f"{ID}={token}"]))
    if ok:
        assert "status" not in result, result.get("status")
    else:
        assert result["status"] == "403"


# -- sign-out and pending logins; an IdP clock running behind -----------------------------------------


def test_zip_sign_out_clears_pending_login_cookies(zips, keys3, idp3):
    """Checked by running: sign-out already cleared them (the suspicion did not hold); kept as a
    regression test."""
    jar = session_cookies(keys3, idp3, "user-a")
    pending = [LOGIN_PREFIX + uuid.uuid4().hex[:16], LOGIN_PREFIX + "AAAAAAAAAAAAAAAA"]
    jar.update(dict.fromkeys(pending, "v" * 43))
    browser = browser_with(zips["plain"], jar)
    result = browser.get("/_gate/sign-out")
    assert result["status"] == "302"
    assert browser.jar == {}, browser.jar


def test_zip_an_idp_clock_running_behind_refreshes_once_per_token(zips, keys3, idp3):
    """IdP clock 4 minutes behind, 5-minute ID tokens: each new token already looks due for an
    early refresh. Twenty navigations make at most one refresh. (Checked by running: the
    marker written with each new token already held this; kept as a regression test.)"""
    saved = keys3.id_token

    def behind(**overrides):
        overrides.setdefault("now", time.time() - 240)
        overrides.setdefault("lifetime", 300)
        return saved(**overrides)

    keys3.id_token = behind
    try:
        jar = session_cookies(keys3, idp3, "user-a", id_claims={"now": time.time() - 150, "lifetime": 300})
        browser = browser_with(zips["plain"], jar)
        calls = len(idp3.token_calls("refresh_token"))
        hops = 0
        for _ in range(20):
            result = browser.get("/docs/page")
            if "status" in result:
                assert result["status"] == "302" and header(result, "location") == "/docs/page"
                hops += 1
    finally:
        keys3.id_token = saved
    assert len(idp3.token_calls("refresh_token")) - calls <= 1
    assert hops <= 1


# -- accept_bearer needs a purpose -----------------------------------------------------------------


def test_zip_accept_bearer_takes_only_tokens_meant_for_the_api(build_zip, idp3, keys3, tmp_path):
    """Was: any access token issued to this client (right issuer, client and type) passed,
    whatever resource it was for. Now the build refuses accept_bearer without bearer_audiences
    or bearer_scopes, and the gate checks them."""
    from tests.build.test_build_zip import build

    bare = '[[apis]]\npaths = ["/api/*"]\naccept_bearer = true\n'
    result, out = build(tmp_path, _toml(idp3.base, extra=bare), keys3.jwks())
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.startswith("config error: apis[1].accept_bearer: needs bearer_audiences")
    zipped = build_zip("bearer", _toml(idp3.base, extra=bare + 'bearer_scopes = ["api/read"]\n'), keys3.jwks())
    other = keys3.access_token(sub="svc")  # scope "openid email profile": for another resource
    meant = keys3.sign(
        {**keys3.id_claims(sub="svc"), "client_id": CLIENT_ID, "token_use": "access", "scope": "api/read"}
    )
    refused = zipped(event("/api/x", headers={"Authorization": f"Bearer {other}"}))
    assert refused["status"] == "401" and json.loads(refused["body"])["detail"] == "missing_scope"
    passed = zipped(event("/api/x", headers={"Authorization": f"Bearer {meant}"}))
    assert "status" not in passed and forwarded_header(passed, "authorization") == f"Bearer {meant}"


def test_zip_the_api_token_header_comes_only_from_the_gate_in_any_spelling(build_zip, idp3, keys3):
    """With token_header set (e.g. for a Lambda function URL origin), a viewer's X_Api_Token
    (read by WSGI servers as HTTP_X_API_TOKEN, like the gate's X-Api-Token) never reaches the API."""
    extra = '[[apis]]\npaths = ["/api/*"]\ntoken_header = "X-Api-Token"\n'
    zipped = build_zip("token_header", _toml(idp3.base, extra=extra), keys3.jwks())
    jar = session_cookies(keys3, idp3, "user-a", access_claims={})
    ev = event("/api/users", headers=SAME_ORIGIN_FETCH, cookies=[cookie_of(jar)])
    headers = ev["Records"][0]["cf"]["request"]["headers"]
    for spelling in ("X_Api_Token", "x_api_token", "X-API_TOKEN"):
        headers[spelling.lower()] = [{"key": spelling, "value": "Bearer forged"}]
    result = zipped(ev)
    assert "status" not in result, result.get("body")
    carried = {
        name: [e["value"] for e in entries]
        for name, entries in result["headers"].items()
        if name.replace("_", "-") == "x-api-token"
    }
    assert carried == {"x-api-token": [f"Bearer {jar[AT]}"]}, carried


def cookie_of(jar: dict) -> str:
    return "; ".join(f"{k}={v}" for k, v in jar.items())
