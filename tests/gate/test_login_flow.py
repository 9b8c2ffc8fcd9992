"""The four things the gate does on every viewer request (issue 2), through `handler`."""

import base64
import hashlib
import json
import time
from urllib.parse import unquote, urlsplit

import pytest
from freezegun import freeze_time

from edge.cookies import parse as parse_cookies
from tests.support.cloudfront import (
    ASSET,
    FETCH_JSON,
    NAVIGATE,
    Browser,
    event,
    header,
    is_response,
    location_query,
    set_cookies,
)

ID = "__Host-gate-id"
RT = "__Host-gate-rt"
AT = "__Host-gate-at"


def login_cookie_name(browser):
    names = [n for n in browser.jar if n.startswith("__Host-gate-login-")]
    assert len(names) == 1
    return names[0]


# -- 4. no session: redirect to the IdP -------------------------------------------------------


def test_no_cookie_navigation_redirects_to_authorize_with_pkce_state_and_nonce(browser):
    result = browser.get("/docs/page?tab=2&x=%2F")
    assert result["status"] == "302"
    location = header(result, "location")
    assert location.startswith("https://auth.example.com/oauth2/authorize?")
    query = location_query(result)
    assert query["response_type"] == "code"
    assert query["client_id"] == "test-client-id"
    assert query["redirect_uri"] == "https://d111111abcdef8.cloudfront.net/_gate/callback"
    assert query["code_challenge_method"] == "S256"
    assert len(query["code_challenge"]) == 43 and query["nonce"] and query["state"]
    assert query["scope"] == "openid email profile"
    # the PKCE verifier lives only in an HttpOnly cookie bound to this login, never in the URL
    verifier = browser.jar[login_cookie_name(browser)]
    digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    assert digest == query["code_challenge"]
    assert verifier not in location
    assert header(result, "cache-control") == "no-store"


def test_login_cookie_is_short_lived_httponly_secure_lax(browser):
    result = browser.get("/")
    (line,) = [c for c in set_cookies(result) if c.startswith("__Host-gate-login-")]
    assert "Max-Age=600" in line and "HttpOnly" in line and "Secure" in line
    assert "SameSite=Lax" in line and "Path=/" in line and "Domain" not in line


@pytest.mark.parametrize(
    "headers", [ASSET, FETCH_JSON, {"Accept": "application/json"}, {"Sec-Fetch-Mode": "cors", "Accept": "*/*"}]
)
def test_non_navigation_gets_401_not_a_redirect(browser, headers):
    result = browser.get("/api/data.json", headers=headers)
    assert result["status"] == "401"
    assert header(result, "location") is None
    assert header(result, "cache-control") == "no-store"


def test_json_401_is_json(browser):
    result = browser.get("/data.json", headers=FETCH_JSON)
    assert header(result, "content-type") == "application/json"
    assert json.loads(result["body"])["signedIn"] is False


def test_plain_curl_of_a_page_still_redirects(handler):
    result = handler(event("/index.html", headers={"Accept": "*/*", "User-Agent": "curl/8.5.0"}), None)
    assert result["status"] == "302"


def test_post_without_session_is_401(browser):
    result = browser.request("/form", method="POST")
    assert result["status"] == "401"


# -- 1. callback -----------------------------------------------------------------------------


def test_full_login_returns_to_the_exact_deep_link_with_query(browser, login, idp):
    result = login(browser, "/docs/deep/page?tab=2&q=a%20b")
    assert result["status"] == "302"
    assert header(result, "location") == "/docs/deep/page?tab=2&q=a%20b"
    assert {ID, RT, AT} <= set(browser.jar)
    assert not any(n.startswith("__Host-gate-login-") for n in browser.jar)  # login cookie cleared
    exchange = idp.token_calls("authorization_code")[0]["form"]
    assert exchange["redirect_uri"] == "https://d111111abcdef8.cloudfront.net/_gate/callback"
    assert len(exchange["code_verifier"]) == 43


def test_session_cookies_are_secure_httponly_lax_host_prefixed(browser, login):
    result = login(browser)
    lines = [c for c in set_cookies(result) if c.startswith(("__Host-gate-id", "__Host-gate-rt"))]
    assert len(lines) == 2
    for line in lines:
        assert "Secure" in line and "HttpOnly" in line and "SameSite=Lax" in line and "Path=/" in line


def test_after_login_the_request_passes_with_gate_cookies_removed(browser, login):
    login(browser)
    result = browser.request("/docs/page.html", extra_cookies=["theme=dark"])
    assert not is_response(result)
    assert result["uri"] == "/docs/page.html"
    cookie_values = [c["value"] for c in result["headers"].get("cookie", [])]
    assert cookie_values == ["theme=dark"]


def test_pass_through_without_other_cookies_drops_the_cookie_header(browser, login):
    login(browser)
    result = browser.get("/docs/page")
    assert "cookie" not in result["headers"]


def test_idp_error_parameter_gets_a_page_with_a_way_to_start_again(browser):
    browser.get("/")
    result = browser.request("/_gate/callback", "error=access_denied&error_description=User+cancelled")
    assert result["status"] == "400"
    assert "/_gate/sign-in" in result["body"] and "idp_error_access_denied" in result["body"]
    assert header(result, "location") is None  # a page, never a redirect loop


def test_callback_without_code_is_400(browser):
    assert browser.request("/_gate/callback", "state=abc")["status"] == "400"


def test_duplicate_code_parameter_is_400(browser):
    assert browser.request("/_gate/callback", "code=a&code=b&state=x")["status"] == "400"


def test_forged_state_is_refused(browser, idp):
    first = browser.get("/")
    query = location_query(first)
    state = query["state"]
    _body, stamp, mac = state.split(".")
    forged_body = base64.urlsafe_b64encode(b'{"i":"x","r":"//evil.example"}').rstrip(b"=").decode()
    code = idp.issue_code(challenge=query["code_challenge"], nonce=query["nonce"], redirect_uri=query["redirect_uri"])
    result = browser.request("/_gate/callback", f"code={code}&state={forged_body}.{stamp}.{mac}")
    assert result["status"] == "400" and "state_forged" in result["body"]
    assert idp.token_calls() == []  # never exchanged


def test_expired_state_is_refused(browser, idp):
    with freeze_time("2026-01-01 12:00:00"):
        query = location_query(browser.get("/"))
    code = idp.issue_code(challenge=query["code_challenge"], nonce=query["nonce"], redirect_uri=query["redirect_uri"])
    with freeze_time("2026-01-01 12:10:01"):
        result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert result["status"] == "400" and "state_expired" in result["body"]


def test_state_from_another_browser_is_refused(handler, idp, keys):
    victim, attacker = Browser(handler), Browser(handler)
    query = location_query(attacker.get("/"))
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    victim.get("/")  # the victim has a login in progress of their own
    result = victim.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert result["status"] == "400" and "state_not_for_this_browser" in result["body"]
    assert ID not in victim.jar


def test_replayed_callback_is_refused(browser, login):
    login(browser)
    callback = browser.history[-1]["request"]
    replay = browser.request(callback["uri"], callback["querystring"])
    assert replay["status"] == "400"
    assert "state_not_for_this_browser" in replay["body"]


def test_code_used_twice_is_refused_by_the_idp(handler, idp, keys):
    browser = Browser(handler)
    query = location_query(browser.get("/"))
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    login_cookie = login_cookie_name(browser)
    verifier = browser.jar[login_cookie]
    assert browser.request("/_gate/callback", f"code={code}&state={query['state']}")["status"] == "302"
    browser.jar[login_cookie] = verifier  # put the spent login back: only the IdP can refuse now
    again = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert again["status"] == "400" and "invalid_grant" in again["body"]


def test_nonce_mismatch_is_refused(browser, idp, keys):
    query = location_query(browser.get("/"))
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce="another-login-nonce",
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert result["status"] == "400" and "nonce_mismatch" in result["body"]
    assert ID not in browser.jar


def test_missing_nonce_is_refused_unless_configured(make_config, make_handler, idp, keys):
    for require, expected in ((True, "400"), (False, "302")):
        browser = Browser(make_handler(make_config(tokens={"require_nonce": require})))
        query = location_query(browser.get("/"))
        code = idp.issue_code(
            challenge=query["code_challenge"], nonce=None, redirect_uri=query["redirect_uri"], claims=keys.id_claims()
        )
        assert browser.request("/_gate/callback", f"code={code}&state={query['state']}")["status"] == expected


def test_two_tabs_logging_in_at_once_both_succeed(browser, idp, keys):
    first = location_query(browser.get("/tab-one"))
    second = location_query(browser.get("/tab-two"))
    codes = [
        idp.issue_code(
            challenge=q["code_challenge"], nonce=q["nonce"], redirect_uri=q["redirect_uri"], claims=keys.id_claims()
        )
        for q in (first, second)
    ]
    r1 = browser.request("/_gate/callback", f"code={codes[0]}&state={first['state']}")
    r2 = browser.request("/_gate/callback", f"code={codes[1]}&state={second['state']}")
    assert (header(r1, "location"), header(r2, "location")) == ("/tab-one", "/tab-two")


@pytest.mark.parametrize(
    "fault,status,reason",
    [
        ("hang", "504", "idp_timeout"),
        ("500", "502", "idp_http_500"),
        ("503", "503", "idp_http_503"),
        ("bad_json", "502", "idp_bad_json"),
        ("missing_fields", "502", "idp_no_id_token"),
    ],
)
def test_code_exchange_failures_get_the_right_status_and_a_page(browser, idp, keys, fault, status, reason):
    query = location_query(browser.get("/"))
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    idp.fault = fault
    idp.hang_seconds = 3
    started = time.monotonic()
    result = browser.request("/_gate/callback", f"code={code}&state={query['state']}")
    assert time.monotonic() - started < 2.5  # the 1 s configured timeout, not the server's hang
    assert result["status"] == status
    assert reason in result["body"] and "/_gate/sign-in" in result["body"]
    assert ID not in browser.jar
    assert len(idp.token_calls()) == 1  # no retries


def test_code_exchange_with_idp_down_is_503(make_config, make_handler, keys):
    import socket

    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()  # nothing listens there now: connection refused
    config = make_config(idp={"token_endpoint": f"http://127.0.0.1:{port}/token"})
    browser = Browser(make_handler(config))
    query = location_query(browser.get("/"))
    result = browser.request("/_gate/callback", f"code=abcdefgh&state={query['state']}")
    assert result["status"] == "503" and "idp_unreachable" in result["body"]


def test_client_secret_is_sent_as_basic_auth(make_config, make_handler, idp, keys):
    idp.client_secret = "s3cr3t-value-of-client"
    browser = Browser(make_handler(make_config(idp={"client_secret": "s3cr3t-value-of-client"})))
    query = location_query(browser.get("/"))
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    assert browser.request("/_gate/callback", f"code={code}&state={query['state']}")["status"] == "302"
    assert idp.token_calls()[0]["headers"]["Authorization"].startswith("Basic ")


def test_configured_site_url_is_used_for_redirect_uri(make_config, make_handler):
    browser = Browser(make_handler(make_config(site={"url": "https://www.example.com"})))
    query = location_query(browser.get("/"))
    assert query["redirect_uri"] == "https://www.example.com/_gate/callback"


def test_strict_same_site_completes_login_with_a_same_site_hop(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(cookies={"same_site": "Strict"})))
    result = login(browser, "/docs")
    assert result["status"] == "200"
    assert 'http-equiv="refresh"' in result["body"] and "url=/docs" in result["body"]
    assert ID in browser.jar


# -- 2. public paths ----------------------------------------------------------------------------


def test_public_path_spelled_otherwise_needs_a_session(handler):
    for uri in ("/%5c/public/logo.svg", "/x/../public/logo.svg", "/public//logo.svg", "/%70ublic/logo.svg"):
        result = handler(event(uri, headers={"Accept": "text/html"}), None)
        assert result["status"] == "302", uri


def test_public_paths_pass_untouched(handler):
    ev = event("/public/logo.svg", cookies=["theme=dark"])
    original = json.loads(json.dumps(ev["Records"][0]["cf"]["request"]))
    assert handler(ev, None) == original


def test_public_paths_never_carry_the_gate_cookies_to_the_origin(handler):
    """Issue 11.17: the session's tokens are the gate's, never the origin's, on any path."""
    ev = event("/public/logo.svg", cookies=["__Host-gate-id=whatever; theme=dark", "__Host-gate-rt=x"])
    result = handler(ev, None)
    assert result["uri"] == "/public/logo.svg"
    assert result["headers"]["cookie"] == [{"key": "Cookie", "value": "theme=dark"}]


# -- 3. valid cookie, rules ---------------------------------------------------------------------


def test_viewer_is_forbidden_on_admin_with_a_page_not_a_loop(browser, login):
    login(browser, groups=["Viewer"])
    result = browser.get("/admin/users")
    assert result["status"] == "403"
    assert header(result, "location") is None
    assert "ada@example.com" in result["body"] or "ada" in result["body"]
    assert "/_gate/sign-out" in result["body"]


def test_admin_is_allowed_on_admin(browser, login):
    login(browser, groups=["Admin"])
    for path in ("/admin", "/admin/users"):
        assert not is_response(browser.get(path))


def test_several_cookie_headers_are_all_read(handler, login, keys):
    browser = Browser(handler)
    login(browser)
    id_token = browser.jar[ID]
    ev = event("/docs", headers=NAVIGATE, cookies=["theme=dark", f"{ID}={id_token}", "lang=en"])
    result = handler(ev, None)
    assert not is_response(result)
    assert [c["value"] for c in result["headers"]["cookie"]] == ["theme=dark", "lang=en"]


def test_cookie_parser_keeps_first_of_duplicate_names():
    jar = parse_cookies({"cookie": [{"key": "Cookie", "value": "a=1; b=2"}, {"key": "Cookie", "value": "a=3"}]})
    assert jar == {"a": "1", "b": "2"}


# -- responses are CloudFront-shaped ---------------------------------------------------------------

from tests.security.conftest import FORBIDDEN_HEADERS as FORBIDDEN  # noqa: E402  # one list of what CloudFront forbids


def assert_cloudfront_shaped(result):
    assert isinstance(result["status"], str) and result["status"].isdigit()
    assert isinstance(result["statusDescription"], str)
    for name, entries in result["headers"].items():
        assert name == name.lower() and name not in FORBIDDEN
        assert not name.startswith(("x-amz-cf-", "x-amzn-", "x-edge-", "proxy-"))
        for entry in entries:
            assert set(entry) == {"key", "value"} and entry["key"].lower() == name
    assert header(result, "cache-control") == "no-store"
    size = len(result["body"].encode()) + sum(
        len(e["key"]) + len(e["value"]) for v in result["headers"].values() for e in v
    )
    assert size < 40 * 1024


def test_every_generated_response_is_cloudfront_shaped(browser, login):
    results = [
        browser.get("/"),
        browser.get("/x", headers=FETCH_JSON),
        browser.request("/_gate/callback", "error=x"),
        login(browser),
        browser.get("/admin"),
        browser.get("/_gate/me", headers=FETCH_JSON),
        browser.get("/_gate/sign-out"),
        browser.get("/_gate/signed-out"),
    ]
    for result in results:
        assert_cloudfront_shaped(result)


def test_error_pages_are_never_200(browser):
    for query in ("error=server_error", "code=x", "state=y", "code=x&state=y"):
        status = browser.request("/_gate/callback", query)["status"]
        assert status in {"400", "401", "403", "502", "503", "504"}


def test_unexpected_exception_gives_502_and_never_lets_through(handler, monkeypatch):
    import edge.handler as edge_handler

    def explode(*args, **kwargs):
        raise RuntimeError("boom: eyJhbGciOi-secret-looking")

    monkeypatch.setattr(edge_handler._gate, "handle", explode)
    result = handler(event("/docs"), None)
    assert result["status"] == "502" and "uri" not in result


def test_a_cold_start_that_fails_answers_502_and_leaves_the_garbage_collector_on(monkeypatch):
    """The cold start runs without the cyclic GC (issue 22); however it ends, the GC is on again."""
    import gc

    import edge.handler as edge_handler

    def broken_config():
        raise RuntimeError("no baked configuration")

    monkeypatch.setattr(edge_handler, "_gate", None)
    monkeypatch.setattr(edge_handler, "_load", broken_config)
    assert gc.isenabled()
    try:
        result = edge_handler.handler(event("/docs"), None)
    finally:
        gc.unfreeze()  # the cold start froze this test process's objects
    assert result["status"] == "502" and "uri" not in result
    assert gc.isenabled()


@pytest.mark.parametrize(
    "bad_event",
    [
        {},
        {"Records": []},
        {"Records": [{"cf": {}}]},
        None,
        "x",
        {"Records": [{"cf": {"request": {"uri": 5, "headers": {}}}}]},
    ],
)
def test_malformed_events_never_raise(handler, bad_event):
    result = handler(bad_event, None)
    assert result["status"] in {"400", "502"}


def test_redirect_target_decoded_is_what_was_asked(browser, login):
    result = login(browser, "/caf%C3%A9/menu?x=%2F%2Fevil")
    assert unquote(header(result, "location")) == "/café/menu?x=//evil"
    assert urlsplit(header(result, "location")).netloc == ""
