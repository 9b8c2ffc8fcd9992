"""The identity provider fails in every way a network can: right status, a page, bounded time, no storm.

The IdP is a real HTTP server on 127.0.0.1 (FaultyIdp, a LocalIdp with more failure modes),
and every request it receives is counted. Each IdP call the gate makes (code exchange, refresh,
JWKS refetch, revocation) meets each fault; the gate must answer with the right status and a
page with a way on, inside its time budget, having asked the IdP exactly once.

tests/gate/test_login_flow.py covers the exchange with hang/500/503/bad JSON/missing fields and
a refused connection; tests/gate/test_sessions.py refresh failures and a hanging revocation.
"""

from __future__ import annotations

import json
import time

import pytest
from freezegun import freeze_time

from tests.security.conftest import ID, RT, assert_response, is_response, json_body
from tests.security.faulty_idp import FaultyIdp, SilentListener, refused_base
from tests.security.forge import sign_raw
from tests.support import hygiene
from tests.support.cloudfront import ASSET, FETCH_JSON, NAVIGATE, Browser, event, header, location_query
from tests.support.tokens import Keys

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

CONFIGURED_TIMEOUT = 1.0  # tests/conftest.py raw_config: idp.timeout_seconds
SLACK = 0.6
GATE_BUDGET = 4.5  # the whole answer, whatever happens (Lambda@Edge allows 5 s)


@pytest.fixture
def idp(keys):
    """Overrides tests/conftest.py's `idp` for this module: the same server, more faults."""
    with FaultyIdp(keys, "test-client-id") as server:
        server.hang_seconds = 3.0
        yield server
        hygiene.register(*server.refresh_tokens, *server.revoked, *(r["form"].get("code", "") for r in server.requests))


def start_login(browser: Browser) -> dict:
    first = browser.get("/docs")
    assert first["status"] == "302"
    return location_query(first)


def callback(browser, idp, keys, query, **claims):
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(**claims),
    )
    started = time.monotonic()
    result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    return result, time.monotonic() - started


def assert_error_page(result, status: str, reason: str | None):
    assert_response(result)
    assert result["status"] == status, (result["status"], result["body"][-160:])
    assert reason is None or f"Reason: {reason}<" in result["body"], result["body"][-160:]
    assert header(result, "location") is None
    assert "/_gate/sign-in" in result["body"] or 'href="/"' in result["body"]  # a way on
    for entry in result["headers"].get("set-cookie", []):
        assert not entry["value"].startswith((f"{ID}=", f"{RT}=")) or "Max-Age=0" in entry["value"]


# fault -> (status, reason in the page)
EXCHANGE_FAULTS = {
    "hang": ("504", "idp_timeout"),
    "reset": ("502", "idp_connection_failed"),
    "500": ("502", "idp_http_500"),
    "503": ("503", "idp_http_503"),
    "bad_json": ("502", "idp_bad_json"),
    "json_array": ("502", "idp_bad_json"),
    "missing_fields": ("502", "idp_no_id_token"),
    "huge": ("502", "idp_response_too_large"),
    "short_body": ("504", "idp_timeout"),
    "close_mid_body": ("502", "idp_connection_failed"),
    "endless": ("502", "idp_response_too_large"),
    "garbage": ("502", "idp_connection_failed"),
    "status_999": ("502", "idp_http_error"),
    "redirect": ("502", "idp_http_302"),
    "html_400": ("502", "idp_http_400"),
    "invalid_client": ("502", "idp_invalid_client"),
    "rate_limited": ("502", "idp_slow_down"),
    "id_token_number": ("502", "idp_no_id_token"),
    "id_token_garbage": ("400", "id_token_malformed_token"),
    "access_token_list": ("502", "idp_bad_json"),
}


# "drip"/"drip_body" trickle one byte every 0.2 s: urllib3's timeouts are per socket read, so
# only the gate's own whole-call deadline stops them (was a FINDING: the gate waited 6 s+).
@pytest.mark.parametrize("fault", [*EXCHANGE_FAULTS, "drip", "drip_body"])
def test_code_exchange_faults(browser, idp, keys, fault):
    query = start_login(browser)
    idp.fault, idp.fault_paths = fault, ("/token",)
    result, elapsed = callback(browser, idp, keys, query)
    status, reason = EXCHANGE_FAULTS.get(fault, ("504", "idp_timeout"))
    assert elapsed < CONFIGURED_TIMEOUT + SLACK, f"{fault}: answered after {elapsed:.2f}s"
    assert_error_page(result, status, reason)
    assert ID not in browser.jar
    assert idp.hits["/token"] == 1, dict(idp.hits)  # exactly one attempt: no retries


def test_code_exchange_with_the_connection_refused(make_config, make_handler, keys):
    browser = Browser(make_handler(make_config(idp={"token_endpoint": refused_base() + "/token"})))
    query = start_login(browser)
    started = time.monotonic()
    result = browser.request("/_gate/callback", f"code=abcdefgh&state={query['state']}")
    assert time.monotonic() - started < 0.5
    assert_error_page(result, "503", "idp_unreachable")


def test_code_exchange_with_a_server_that_accepts_but_never_answers(make_config, make_handler):
    silent = SilentListener()
    try:
        browser = Browser(make_handler(make_config(idp={"token_endpoint": silent.base + "/token"})))
        query = start_login(browser)
        started = time.monotonic()
        result = browser.request("/_gate/callback", f"code=abcdefgh&state={query['state']}")
        assert time.monotonic() - started < CONFIGURED_TIMEOUT + SLACK
        assert_error_page(result, "504", "idp_timeout")
    finally:
        silent.close()


# -- refresh -------------------------------------------------------------------------------------------

REFRESH_FAULTS = {
    f: EXCHANGE_FAULTS[f]
    for f in (
        "hang",
        "reset",
        "500",
        "503",
        "bad_json",
        "json_array",
        "missing_fields",
        "huge",
        "html_400",
        "id_token_number",
    )
}


def expired_session(browser, login):
    with freeze_time("2026-03-01 09:00:00"):
        assert login(browser, "/", lifetime=3600)["status"] == "302"


@pytest.mark.parametrize("fault", [*REFRESH_FAULTS, "drip"])
def test_refresh_faults_on_a_page(browser, login, idp, fault):
    expired_session(browser, login)
    idp.fault, idp.fault_paths = fault, ("/token",)
    idp.hits.clear()
    with freeze_time("2026-03-01 10:30:00", tick=True):
        started = time.perf_counter()
        result = browser.get("/docs")
        elapsed = time.perf_counter() - started
    status, reason = REFRESH_FAULTS.get(fault, ("504", "idp_timeout"))
    assert elapsed < CONFIGURED_TIMEOUT + SLACK, elapsed
    assert_error_page(result, status, reason)
    assert idp.hits["/token"] == 1


def test_refresh_and_jwks_with_the_connection_refused(make_config, make_handler, login, keys):
    refused = refused_base()
    browser = Browser(
        make_handler(make_config(idp={"token_endpoint": refused + "/token", "jwks_uri": refused + "/jwks"}))
    )
    with freeze_time("2026-03-01 09:00:00"):  # a session from before the outage
        browser.jar[ID] = keys.id_token(lifetime=3600, now=int(time.time()))
        browser.jar[RT] = "rt-some-refresh-token"
    with freeze_time("2026-03-01 10:30:00", tick=True):
        started = time.monotonic()
        page = browser.get("/docs")
        whoami = browser.get("/_gate/me", headers=FETCH_JSON)
        unknown = sign_raw(keys, {"alg": "RS256", "kid": "rotated"}, keys.id_claims())
        asset = browser.handler(event("/app.js", headers=ASSET, cookies=[f"{ID}={unknown}"]), None)
        elapsed = time.monotonic() - started
    assert_error_page(page, "503", "idp_unreachable")
    assert whoami["status"] == "503" and json_body(whoami) == {"signedIn": False, "error": "idp_unreachable"}
    assert asset["status"] == "401"
    assert elapsed < 1.0


@pytest.mark.parametrize("fault", ["hang", "500", "503", "bad_json", "missing_fields"])
def test_refresh_faults_in_who_am_i_are_json(browser, login, idp, fault):
    expired_session(browser, login)
    idp.fault, idp.fault_paths = fault, ("/token",)
    idp.hits.clear()
    with freeze_time("2026-03-01 10:30:00", tick=True):
        result = browser.get("/_gate/me", headers=FETCH_JSON)
    assert_response(result)
    status, reason = REFRESH_FAULTS[fault]
    assert result["status"] == status and json_body(result) == {"signedIn": False, "error": reason}
    assert idp.hits["/token"] == 1


def test_an_idp_outage_is_one_call_per_navigation_and_none_for_assets(browser, login, idp):
    """No storm: 20 page loads while the IdP is down are 20 calls, 30 assets are none."""
    expired_session(browser, login)
    idp.fault, idp.fault_paths = "503", ("/token",)
    idp.hits.clear()
    with freeze_time("2026-03-01 10:30:00", tick=True):
        pages = [browser.get("/docs") for _ in range(20)]
        assets = [browser.get(f"/assets/{i}.js", headers=ASSET) for i in range(30)]
    assert {p["status"] for p in pages} == {"503"}
    assert {a["status"] for a in assets} == {"401"}
    assert idp.hits["/token"] == 20


# -- JWKS refetch ---------------------------------------------------------------------------------------


def _huge_jwks(keys):
    filler = [{**keys.public_jwk(), "kid": f"filler-{i}"} for i in range(200)]
    return {"keys": filler}


JWKS_DOCUMENTS = {
    "no_keys": {"keys": []},
    "keys_not_a_list": {"keys": {"kid": "key-2"}},
    "not_a_jwks": {"hello": "world"},
    "wrong_kty": lambda rotated: {"keys": [{**rotated.public_jwk(), "kty": "EC"}]},
    "enc_key": lambda rotated: {"keys": [{**rotated.public_jwk(), "use": "enc"}]},
    "weak_key": lambda rotated: {
        "keys": [Keys(rotated.issuer, rotated.client_id, kid="key-2", bits=1024).public_jwk()]
    },
    "bad_modulus": lambda rotated: {"keys": [{**rotated.public_jwk(), "n": "!!!"}]},
    "exponent_one": lambda rotated: {"keys": [{**rotated.public_jwk(), "e": "AQ"}]},
    "huge": _huge_jwks,
}


@pytest.mark.parametrize(
    "fault",
    [
        "hang",
        "reset",
        "500",
        "503",
        "bad_json",
        "json_array",
        "huge",
        "endless",
        "garbage",
        *(f"doc:{d}" for d in JWKS_DOCUMENTS),
    ],
)
def test_jwks_refetch_faults_leave_known_keys_working(handler, idp, keys, fault):
    """An unknown kid triggers one JWKS fetch; whatever the IdP does, that request is simply
    not signed in (in bounded time), and tokens under the known key go on working."""
    rotated = Keys(keys.issuer, keys.client_id, kid="key-2")
    if fault.startswith("doc:"):
        document = JWKS_DOCUMENTS[fault[4:]]
        idp.jwks_override = document(rotated) if callable(document) else document
        if fault == "doc:huge":
            idp.jwks_override = _huge_jwks(keys)
    else:
        idp.fault, idp.fault_paths = fault, ("/jwks",)
    forged = sign_raw(rotated, {"alg": "RS256", "kid": "key-2"}, rotated.id_claims(**{"cognito:groups": ["Admin"]}))
    if fault == "doc:exponent_one":  # with e=1 "verification" is signature == padded digest: forge exactly that
        forged = _forge_for_exponent_one(rotated)
    started = time.monotonic()
    results = [handler(event("/admin", headers=h, cookies=[f"{ID}={forged}"]), None) for h in (NAVIGATE, ASSET)]
    assert time.monotonic() - started < CONFIGURED_TIMEOUT + SLACK
    assert [r["status"] for r in results] == ["302", "401"], [r.get("status", r.get("uri")) for r in results]
    honest = keys.id_token(**{"cognito:groups": ["Admin"]})
    assert not is_response(handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={honest}"]), None))
    assert idp.hits["/jwks"] == 1


def _forge_for_exponent_one(rotated: Keys) -> str:
    """A token that "verifies" under n, e=1: the signature is the PKCS#1 v1.5 encoded digest."""
    import hashlib

    from tests.support.tokens import b64url

    header = b64url(json.dumps({"alg": "RS256", "kid": "key-2"}).encode())
    payload = b64url(json.dumps(rotated.id_claims(**{"cognito:groups": ["Admin"]})).encode())
    digest = hashlib.sha256(f"{header}.{payload}".encode()).digest()
    prefix = bytes.fromhex("3031300d060960864801650304020105000420")
    k = (rotated.private_key.public_key().public_numbers().n.bit_length() + 7) // 8
    em = b"\x00\x01" + b"\xff" * (k - 3 - len(prefix) - len(digest)) + b"\x00" + prefix + digest
    return f"{header}.{payload}.{b64url(em)}"


def test_a_jwks_key_with_exponent_one_is_never_used(shipped_jose_backend, handler, idp, keys):
    """With e=1 and the zip's pure-Python backend, 'verification' is signature == padded digest:
    anyone could sign for that kid (was a FINDING; such keys are now refused as weak)."""
    rotated = Keys(keys.issuer, keys.client_id, kid="key-2")
    idp.jwks_override = {"keys": [{**rotated.public_jwk(), "e": "AQ"}]}
    forged = _forge_for_exponent_one(rotated)
    result = handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={forged}"]), None)
    assert is_response(result), "a forged Admin token was let through"


def test_jwks_refetch_is_at_most_once_per_window_even_when_it_fails(handler, idp, keys):
    idp.fault, idp.fault_paths = "500", ("/jwks",)
    with freeze_time("2026-03-01 09:00:00") as frozen:
        for i in range(30):
            token = sign_raw(keys, {"alg": "RS256", "kid": f"kid-{i}"}, keys.id_claims())
            assert handler(event("/docs", headers=ASSET, cookies=[f"{ID}={token}"]), None)["status"] == "401"
            frozen.tick(0.25)  # 30 tokens in 7.5 s
    assert idp.hits["/jwks"] == 1


# -- revocation at sign-out ---------------------------------------------------------------------------


@pytest.mark.parametrize("fault", ["hang", "reset", "500", "503", "garbage", "refused", "drip"])
def test_sign_out_with_a_failing_revocation_still_signs_out(make_config, make_handler, login, idp, fault):
    config = (
        make_config(idp={"revocation_endpoint": refused_base() + "/revoke"}) if fault == "refused" else make_config()
    )
    browser = Browser(make_handler(config))
    login(browser)
    idp.fault, idp.fault_paths = (None if fault == "refused" else fault), ("/revoke",)
    started = time.monotonic()
    result = browser.get("/_gate/sign-out")
    elapsed = time.monotonic() - started
    assert_response(result)
    assert result["status"] == "302" and browser.jar == {}
    assert elapsed < 1.0 + SLACK, elapsed  # revocation has its own 1.5 s cap; the configured 1 s is lower
    assert idp.hits["/revoke"] == (0 if fault == "refused" else 1)


# -- the whole-request budget -------------------------------------------------------------------------


@pytest.fixture
def slow_config(make_config):
    return make_config(idp={"timeout_seconds": 4.0})  # the largest timeout the build accepts


def test_a_hanging_exchange_with_the_largest_timeout_fits_the_budget(make_handler, slow_config, idp, keys):
    browser = Browser(make_handler(slow_config))
    query = start_login(browser)
    idp.fault, idp.fault_paths, idp.hang_seconds = "hang", ("/token",), 6.0
    result, elapsed = callback(browser, idp, keys, query)
    assert elapsed < GATE_BUDGET, elapsed
    assert_error_page(result, "504", "idp_timeout")


@pytest.mark.parametrize("jwks_fault", ["hang", "drip"])
def test_two_idp_calls_in_one_callback_fit_the_budget(make_handler, slow_config, idp, keys, jwks_fault):
    """A slow exchange (3 s) whose ID token names a new kid, then a JWKS endpoint that hangs or
    drips: the refetch gets only what is left of the request's budget."""
    browser = Browser(make_handler(slow_config))
    query = start_login(browser)
    idp.keys = Keys(keys.issuer, keys.client_id, kid="key-2")  # the IdP rotated its key
    idp.delay_seconds, idp.delay_paths = 3.0, ("/token",)
    idp.fault, idp.fault_paths, idp.hang_seconds = jwks_fault, ("/jwks",), 6.0
    result, elapsed = callback(browser, idp, keys, query)
    assert elapsed < GATE_BUDGET, elapsed
    assert_response(result)
    assert result["status"] in {"400", "502", "503", "504"} and ID not in browser.jar
    assert (idp.hits["/token"], idp.hits["/jwks"]) == (1, 1)


@pytest.mark.parametrize("fault,status", [("hang", "504"), ("503", "503")])
def test_a_failed_jwks_refetch_at_the_callback_is_reported_as_an_idp_failure(browser, idp, keys, fault, status):
    """Was a FINDING: a 400 'We couldn't sign you in' (id_token_unknown_kid)."""
    query = start_login(browser)
    idp.keys = Keys(keys.issuer, keys.client_id, kid="key-2")
    idp.fault, idp.fault_paths = fault, ("/jwks",)
    result, _ = callback(browser, idp, keys, query)
    assert result["status"] == status, (result["status"], result["body"][-120:])


def test_a_rotated_key_is_fetched_once_at_the_callback_and_the_login_works(browser, idp, keys):
    query = start_login(browser)
    rotated = Keys(keys.issuer, keys.client_id, kid="key-2")
    idp.keys = rotated
    idp.jwks_override = {"keys": [keys.public_jwk(), rotated.public_jwk()]}
    result, _ = callback(browser, idp, keys, query)
    assert result["status"] == "302" and ID in browser.jar
    assert idp.hits["/jwks"] == 1


def test_a_refresh_then_a_hanging_jwks_fits_the_budget(make_handler, slow_config, login, idp, keys):
    browser = Browser(make_handler(slow_config))
    with freeze_time("2026-03-01 09:00:00"):
        login(browser, "/", lifetime=3600)
    idp.keys = Keys(keys.issuer, keys.client_id, kid="key-2")
    idp.delay_seconds, idp.delay_paths = 3.0, ("/token",)
    idp.fault, idp.fault_paths, idp.hang_seconds = "hang", ("/jwks",), 6.0
    idp.hits.clear()
    with freeze_time("2026-03-01 10:30:00", tick=True):
        started = time.perf_counter()
        result = browser.get("/docs")
        elapsed = time.perf_counter() - started
    assert elapsed < GATE_BUDGET, elapsed
    assert_response(result)
    assert result["status"] in {"502", "503", "504"}
    assert (idp.hits["/token"], idp.hits["/jwks"]) == (1, 1)


# -- what a token endpoint returns ends up in Set-Cookie ----------------------------------------------

HOSTILE_TOKEN_VALUES = {
    "semicolon_attributes": "rt-abc; Domain=evil.example; Max-Age=999999999",
    "crlf_header": "rt-abc\r\nLocation: https://evil.example/",
    "lf": "rt-abc\nx",
    "comma": "rt-abc, __Host-gate-id=forged",
    "space": "rt abc",
    "quote": 'rt-"abc"',
    "nul": "rt-\x00abc",
    "non_ascii": "rt-\u00e9\u2028abc",
    "empty_name_equals": "=rt-abc",
}


@pytest.mark.parametrize("field", ["refresh_token", "access_token"])
@pytest.mark.parametrize("value", sorted(HOSTILE_TOKEN_VALUES))
def test_token_values_from_the_idp_never_inject_into_set_cookie(browser, idp, keys, field, value):
    """Refresh and access tokens are opaque to the gate and go into Set-Cookie: a value that is
    not a cookie-octet string must be refused, never written. (Was a FINDING: written as they
    were, so '; Domain=...' added attributes and CR/LF reached a header.)"""
    query = start_login(browser)
    idp.mutate_tokens = lambda tokens: {**tokens, field: HOSTILE_TOKEN_VALUES[value]}
    result, _ = callback(browser, idp, keys, query)
    assert_response(result)  # no CR/LF or other control character in any header value
    for entry in result["headers"].get("set-cookie", []):
        line = entry["value"]
        pair, _, attributes = line.partition("; ")
        assert pair.count("=") >= 1 and ";" not in pair and "," not in pair.split("=", 1)[1], line
        assert not pair.split("=", 1)[1].startswith(" ") and " " not in pair.split("=", 1)[1], line
        assert "evil.example" not in line and line.isascii(), line
        assert attributes.count("Domain=") <= 0, line  # __Host- cookies never carry a Domain
