"""Regression tests for the outside review's token, session and cookie findings (issue 11).

Items 4, 5, 13, 14, 15, 16 and 17, each through `edge.handler.handler` against the real token
endpoint on 127.0.0.1. The IdP models here follow what the providers document:
- RFC 9068 (JWT access tokens): `typ: at+jwt`, `aud` may be the client id; Entra ID, Keycloak
  and Auth0 issue them (FIELD-NOTES, "IdP token shapes").
- OIDC Core 3.1.3.7 (azp) and 12.2 (a refreshed ID token keeps iss, sub, aud and azp; a refresh
  answer may carry no ID token), RFC 6749 5.1 (`access_token` is required in every answer).
- Cookies as RFC 6265 browsers send them: any bytes the attacker's page or a subdomain sets.
"""

from __future__ import annotations

import re
import time

import pytest
from freezegun import freeze_time

from tests.conftest import CLIENT_ID
from tests.security.conftest import (
    AUTHORIZE,
    ID,
    LOGIN_PREFIX,
    RT,
    assert_not_let_in,
    assert_response,
    assert_token_refused,
    is_response,
    json_body,
    response_size,
)
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, Browser, event, header, location_query, set_cookies

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

T0 = "2026-03-01 09:00:00"
GATE_NAMES = re.compile(r"^__Host-gate-(?:(?:id|at|rt)(?:\.[1-8])?|rtried|rspent|login-[A-Za-z0-9_-]{16})$")


def oidc_handler(make_config, make_handler, **tokens):
    config = make_config(**({"tokens": tokens} if tokens else {}))
    data = config.to_dict()
    config = type(config).from_dict(
        {**data, "provider": "oidc", "endpoints": {**data["endpoints"], "logout_style": "none"}}
    )
    return make_handler(config)


def follow(browser: Browser, target: str, max_hops: int = 10) -> tuple[dict, int]:
    result, hops = browser.get(target), 0
    while is_response(result) and result["status"] == "302" and header(result, "location").startswith("/"):
        hops += 1
        if hops > max_hops:
            break
        result = browser.get(header(result, "location"))
    return result, hops


def cookie_names(result) -> list[str]:
    return [line.split("=", 1)[0] for line in set_cookies(result)]


# -- 4. access tokens are never sessions ---------------------------------------------------------


@pytest.mark.parametrize("typ", ["at+jwt", "application/at+jwt", "AT+JWT", "Application/At+JWT"])
def test_oidc_mode_refuses_a_jwt_access_token_with_our_audience(make_config, make_handler, keys, typ):
    handler = oidc_handler(make_config, make_handler)
    token = keys.sign(keys.id_claims(token_use=None, **{"cognito:groups": ["Admin"]}), header={"typ": typ})
    assert_token_refused(handler, token)


def test_oidc_mode_refuses_an_id_token_for_another_authorized_party(make_config, make_handler, keys):
    handler = oidc_handler(make_config, make_handler)
    assert_token_refused(handler, keys.id_token(token_use=None, azp="another-client"))
    assert_token_refused(handler, keys.id_token(token_use=None, azp=""))


@pytest.mark.parametrize("token_use", ["access", "refresh", "", 1])
def test_oidc_mode_refuses_a_token_use_other_than_id(make_config, make_handler, keys, token_use):
    handler = oidc_handler(make_config, make_handler)
    assert_token_refused(handler, keys.id_token(token_use=token_use))


@pytest.mark.parametrize("extra", [{}, {"azp": CLIENT_ID}, {"token_use": "id"}])
def test_oidc_mode_still_accepts_a_plain_id_token(make_config, make_handler, keys, extra):
    handler = oidc_handler(make_config, make_handler)
    token = keys.sign(keys.id_claims(**{"token_use": None, **extra}), header={"typ": "JWT"})
    result = handler(event("/docs", headers=NAVIGATE, cookies=[f"{ID}={token}"]), None)
    assert not is_response(result), result.get("status")


# -- 5. a refresh never changes whose session it is ----------------------------------------------


def test_a_refresh_answering_with_another_persons_token_ends_the_session(browser, login, idp, keys):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600, sub="user-a")
    idp.refresh_answer = lambda tokens, entry: {**tokens, "id_token": keys.id_token(sub="user-b")}
    with freeze_time("2026-03-01 10:30:00"):  # A's token has expired: the page refreshes
        result = browser.get("/docs")
        assert_not_let_in(result)
        assert header(result, "location").startswith(AUTHORIZE)  # a new login, not B's session
        assert ID not in browser.jar and RT not in browser.jar
        whoami = browser.get("/_gate/me", headers=FETCH_JSON)
    assert whoami["status"] == "401" and json_body(whoami)["signedIn"] is False


def test_an_early_refresh_answering_with_another_persons_token_is_refused(browser, login, idp, keys):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600, sub="user-a")
    idp.refresh_answer = lambda tokens, entry: {**tokens, "id_token": keys.id_token(sub="user-b")}
    with freeze_time("2026-03-01 09:58:00"):  # A's token is still valid, inside the refresh window
        result = browser.get("/docs")
        assert header(result, "location").startswith(AUTHORIZE), result["status"]
        assert ID not in browser.jar
        assert json_body(browser.get("/_gate/me", headers=FETCH_JSON))["signedIn"] is False


@pytest.mark.parametrize(
    "changed",
    [
        {"aud": [CLIENT_ID, "other"], "azp": CLIENT_ID},
        {"azp": CLIENT_ID},
        {"iss": "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other"},
    ],
)
def test_who_am_i_refresh_requires_the_same_iss_aud_and_azp(browser, login, idp, keys, changed):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600, sub="user-a")
    idp.refresh_answer = lambda tokens, entry: {**tokens, "id_token": keys.id_token(sub="user-a", **changed)}
    with freeze_time("2026-03-01 10:30:00"):
        whoami = browser.get("/_gate/me", headers=FETCH_JSON)
    assert whoami["status"] in {"401", "502"} and json_body(whoami)["signedIn"] is False
    assert ID not in browser.jar or whoami["status"] == "502"


def test_a_login_without_refresh_token_clears_the_previous_persons(browser, login, idp, keys):
    """Was a FINDING: B's login kept A's refresh cookie; the next refresh made it A's session."""
    with freeze_time(T0):
        login(browser, "/", lifetime=3600, sub="user-a")
        assert RT in browser.jar
        idp.code_answer = lambda tokens, entry: {k: v for k, v in tokens.items() if k != "refresh_token"}
        browser.jar.pop(ID)  # A's ID cookie gone, A's refresh cookie kept; B signs in
        query = location_query(browser.get("/_gate/sign-in?return=%2F"))
        code = idp.issue_code(
            challenge=query["code_challenge"],
            nonce=query["nonce"],
            redirect_uri=query["redirect_uri"],
            claims=keys.id_claims(sub="user-b"),
        )
        result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert result["status"] == "302" and RT not in browser.jar
    with freeze_time("2026-03-01 10:30:00"):  # B's token expired: nothing to refresh into A
        result = browser.get("/docs")
    assert header(result, "location").startswith(AUTHORIZE)
    assert idp.token_calls("refresh_token") == []


def test_a_refresh_that_keeps_the_login_still_works(browser, login, idp):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600, sub="user-a")
    with freeze_time("2026-03-01 10:30:00"):
        result, hops = follow(browser, "/docs")
        assert not is_response(result) and hops == 1
        assert json_body(browser.get("/_gate/me", headers=FETCH_JSON))["sub"] == "user-a"


# -- 13, 14. only the gate's own cookie names are written back, and answers always fit ----------

HOSTILE_NAMES = [
    LOGIN_PREFIX + "x\r\nX-Injected: 1",
    LOGIN_PREFIX + "x\x00y",
    LOGIN_PREFIX + "x\x7f",
    LOGIN_PREFIX + "a b",
    LOGIN_PREFIX + "a,b",
    LOGIN_PREFIX + 'a"b',
    LOGIN_PREFIX + "é" * 16,
    LOGIN_PREFIX + "A" * 15 + "\u0663",
    ID + ".\u0662",
    ID + ".\u00b2",
    RT + ".\u0663",
    ID + ".9",
    ID + ".0",
    ID + ".01",
    ID + ". 1",
]


@pytest.mark.parametrize("route", ["/_gate/sign-out", "/_gate/signed-out", "/docs", "/_gate/sign-in"])
def test_cookie_names_from_the_request_never_reach_set_cookie(handler, route):
    cookies = ["; ".join(f"{name}=v" for name in HOSTILE_NAMES)]
    cookies.append("; ".join(f"{LOGIN_PREFIX}{'abcdefghijklmno'}{i}=v" for i in range(6)))  # real-shaped
    result = handler(event(route, headers=NAVIGATE, cookies=cookies), None)
    assert_response(result)
    for name in cookie_names(result):
        assert GATE_NAMES.match(name), repr(name)
    assert "X-Injected" not in str(result["headers"])


@pytest.mark.parametrize("route", ["/_gate/sign-out", "/_gate/signed-out", "/docs"])
def test_a_flood_of_login_cookies_with_a_cookie_domain_never_gives_a_502(make_config, make_handler, route):
    """175 cookies of ~105 bytes (18 KB: within browser and CloudFront limits)."""
    handler = make_handler(make_config(cookies={"prefix": "sess", "domain": "example.com"}))
    flood = [f"sess-login-{i:090d}=v" for i in range(175)]
    real = [f"sess-login-{'abcdefghijklmno'}{chr(65 + i % 26)}=v" for i in range(175)]
    for cookies in (flood, real):
        header_values = ["; ".join(cookies[:90]), "; ".join(cookies[90:])]
        result = handler(event(route, headers=NAVIGATE, cookies=header_values), None)
        assert_response(result)
        assert result["status"] in {"200", "302"}, result["status"]
        assert response_size(result) < 40 * 1024
        assert sum("Max-Age=0" in line for line in set_cookies(result)) <= 8 + 3 * 9 + 1


# -- 15. bad IdP data is the IdP's error, never an internal one ----------------------------------


def test_deeply_nested_json_from_the_token_endpoint_is_the_idps_error(browser, idp, keys):
    first = browser.get("/docs")
    query = location_query(first)
    idp.fault, idp.fault_paths = "nested_json", ("/token",)
    result = browser.request("/_gate/callback", f"code=abc&state={query['state']}")
    assert_response(result)
    assert result["status"] == "502" and "idp_bad_json" in result["body"]


def test_deeply_nested_json_from_the_jwks_endpoint_keeps_the_known_keys(
    make_config, make_handler, keys, other_keys, idp
):
    handler = make_handler(make_config())
    idp.fault, idp.fault_paths = "nested_json", ("/jwks",)
    forged = other_keys.sign(other_keys.id_claims(), header={"kid": "rotated-in"})
    result = handler(event("/docs", headers=NAVIGATE, cookies=[f"{ID}={forged}"]), None)
    assert_not_let_in(result)
    assert header(result, "location").startswith(AUTHORIZE)  # not signed in; not a 502 internal_error
    good = handler(event("/docs", headers=NAVIGATE, cookies=[f"{ID}={keys.id_token()}"]), None)
    assert not is_response(good)


@pytest.mark.parametrize(
    "claim, value",
    [("exp", 10**400), ("exp", -(10**400)), ("iat", -(10**400)), ("iat", 10**400), ("nbf", 10**400), ("exp", 2**64)],
)
def test_huge_numeric_dates_are_refused_not_crashed_on(handler, keys, claim, value):
    token = keys.id_token(**{claim: value})
    for kind, headers in (("page", NAVIGATE), ("whoami", FETCH_JSON)):
        result = handler(
            event("/_gate/me" if kind == "whoami" else "/docs", headers=headers, cookies=[f"{ID}={token}"]), None
        )
        assert_response(result)
        assert result["status"] in {"302", "401"}, (kind, result["status"])
        assert "internal_error" not in result["body"]


def test_huge_exp_at_the_callback_is_a_login_failure(browser, idp, keys):
    idp.id_token_claims = {"exp": 10**400}
    first = browser.get("/docs")
    query = location_query(first)
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert_response(result)
    assert result["status"] == "400" and "id_token_bad_exp" in result["body"]


# -- 16. refresh never goes round ----------------------------------------------------------------


def test_an_idp_that_returns_the_same_near_expiry_token_costs_one_hop(browser, login, idp):
    idp.id_token_claims = {"lifetime": 600}  # what the IdP mints (it re-stamps times)
    with freeze_time(T0):
        login(browser, "/")
    stale = browser.jar[ID]
    idp.refresh_answer = lambda tokens, entry: {**tokens, "id_token": stale}
    with freeze_time("2026-03-01 09:08:00"):  # 2 min left, inside the window
        result, hops = follow(browser, "/docs")
        assert not is_response(result), result.get("status")
        assert hops == 1 and len(idp.token_calls("refresh_token")) == 1
        for _ in range(3):  # later navigations with the same token don't call the IdP again
            assert not is_response(browser.get("/docs"))
    assert len(idp.token_calls("refresh_token")) == 1


def test_an_idp_whose_clock_runs_behind_costs_one_hop(browser, login, idp, keys):
    """5-minute tokens from an IdP 3 minutes behind are born inside the refresh window."""
    idp.id_token_claims = {"lifetime": 300}
    with freeze_time(T0):
        login(browser, "/")
    idp.refresh_answer = lambda tokens, entry: {
        **tokens,
        "id_token": keys.id_token(sub=entry["claims"]["sub"], now=int(time.time()) - 180, lifetime=300),
    }
    with freeze_time("2026-03-01 09:03:00"):
        result, hops = follow(browser, "/docs")
        assert not is_response(result) and hops == 1
        result, hops = follow(browser, "/reports")
        assert not is_response(result) and hops == 0
    assert len(idp.token_calls("refresh_token")) == 1


def _no_id_token(rotated: bool):
    def answer(tokens, entry):
        tokens = {k: v for k, v in tokens.items() if k != "id_token"}
        if rotated:
            tokens["refresh_token"] = "rt-rotated-" + "x" * 20
        return tokens

    return answer


@pytest.mark.parametrize("rotated", [True, False])
def test_a_refresh_answer_without_id_token_on_an_expired_session_signs_in_again(browser, login, idp, rotated):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    idp.rotate_refresh_tokens = rotated
    idp.refresh_answer = _no_id_token(rotated)
    with freeze_time("2026-03-01 10:30:00"):
        result = browser.get("/docs")
    assert_response(result)
    assert header(result, "location").startswith(AUTHORIZE)
    if rotated:  # the rotated refresh token is kept, not thrown away
        assert browser.jar[RT] == "rt-rotated-" + "x" * 20


def test_a_refresh_answer_without_id_token_inside_the_window_costs_one_hop(browser, login, idp):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    idp.rotate_refresh_tokens = True
    idp.refresh_answer = _no_id_token(True)
    with freeze_time("2026-03-01 09:58:00"):
        result, hops = follow(browser, "/docs")
        assert not is_response(result) and hops == 1
        assert browser.jar[RT] == "rt-rotated-" + "x" * 20
        assert not is_response(browser.get("/docs"))
    assert len(idp.token_calls("refresh_token")) == 1


def test_who_am_i_with_a_refresh_answer_without_id_token(browser, login, idp):
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    idp.rotate_refresh_tokens = True
    idp.refresh_answer = _no_id_token(True)
    with freeze_time("2026-03-01 10:30:00"):
        whoami = browser.get("/_gate/me", headers=FETCH_JSON)
    assert whoami["status"] == "401" and json_body(whoami)["signedIn"] is False
    assert browser.jar[RT] == "rt-rotated-" + "x" * 20


# -- 17. the callback completes a login only on GET -----------------------------------------------


@pytest.mark.parametrize("method", ["POST", "PUT", "OPTIONS", "HEAD", "DELETE", "PATCH"])
def test_the_callback_spends_no_code_except_on_get(browser, idp, keys, method):
    first = browser.get("/docs")
    query = location_query(first)
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    result = browser.request("/_gate/callback", f"code={code}&state={query['state']}", method=method)
    assert_response(result)
    assert result["status"] == "400" and ID not in browser.jar
    assert idp.token_calls() == []
    done = browser.request("/_gate/callback", f"code={code}&state={query['state']}")  # the real GET
    assert done["status"] == "302" and ID in browser.jar
