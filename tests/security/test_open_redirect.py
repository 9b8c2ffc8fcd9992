"""Open redirects: every trick, through every place a return path enters the gate.

A return path enters through `/_gate/sign-in?return=`, and through the request URI (plus query)
that a login, a refresh or a 401 page comes back to. Each payload goes through each entry,
and the login is completed for real; every Location the gate emits must then be a same-site path
(`assert_location_same_site`) or the IdP's authorize URL, or the gate refuses (400).
"""

from __future__ import annotations

import re
from urllib.parse import quote, unquote

import pytest
from freezegun import freeze_time

from tests.security.conftest import AUTHORIZE, ID, SITE, assert_location_same_site, assert_response, is_response
from tests.support.cloudfront import Browser, header, location_query

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

CATEGORIES = {
    "protocol_relative_and_backslash": [
        "//evil.example",
        "//evil.example/",
        "///evil.example",
        "////evil.example",
        "/\\evil.example",
        "\\\\evil.example",
        "\\/evil.example",
        "/\\/evil.example",
        "/\\\\evil.example",
        "//evil.example@site",
        "//evil.example%2F",
        "//evil.example:443",
        "//%65vil.example",
    ],
    "encoded_slashes": [
        "/%2F%2Fevil.example",
        "/%2f%2fevil.example",
        "/%2F/evil.example",
        "%2F%2Fevil.example",
        "/%5Cevil.example",
        "/%5cevil.example",
        "/%5C%5Cevil.example",
        "/%5C/evil.example",
        "/%252F%252Fevil.example",
    ],
    "schemes": [
        "https:evil.example",
        "https:/evil.example",
        "https://evil.example",
        "HTTPS://evil.example",
        "http://evil.example",
        "hTtPs://evil.example",
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        "java\tscript:alert(1)",
        "jav&#x09;ascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "/javascript:alert(1)",
    ],
    "cr_lf_tab_nul": [
        "/%0d%0aSet-Cookie:x=1",
        "/%0D%0ALocation:%20//evil.example",
        "/ok\r\nSet-Cookie: x=1",
        "/ok\n",
        "/ok?x\n",
        "/ok?x=%0d%0a",
        "/ok?x=\r\n",
        "/\t/evil.example",
        "/%09/evil.example",
        "\t//evil.example",
        "/\n/evil.example",
        "/\r/evil.example",
        "/%0a/evil.example",
        "/%00//evil.example",
        "/\x00/evil.example",
        "/\x0b/evil.example",
        "/\x7f/evil.example",
        "/%7F/evil.example",
        "/ok%0d",
        "/ok#%0a",
    ],
    "spaces_and_lookalikes": [
        " //evil.example",
        "/ /evil.example",
        "/%20/evil.example",
        "/\u00a0/evil.example",
        "/\u3000/evil.example",
        "/\uff0fevil.com",
        "/%EF%BC%8Fevil.com",
        "/\u2215evil.com",
        "/%E2%88%95evil.com",
        "/\u2044evil.com",
        "/\uff3cevil.com",
        "/%EF%BC%BCevil.com",
        "/\u29f5evil.com",
        "\uff0f\uff0fevil.com",
        "/%C0%AF/evil.com",
        "/%C0%AFevil.com",
        "/\u200b/evil.com",
    ],
    "dot_segments": [
        "/.//evil.example",
        "/./\\evil.example",
        "/..//evil.example",
        "/%2e//evil.example",
        "/%2e%2e//evil.example",
        "/.%2F/evil.example",
        "/%2e/%2fevil.example",
        "/x/..//evil.example",
        "/x/../..//evil.example",
    ],
    "authority_fragment_relative": [
        "/@evil.example",
        "/:@evil.example",
        "@evil.example",
        "/?//evil.example",
        "/#//evil.example",
        "#//evil.example",
        "?//evil.example",
        "/%23/evil.example",
        "evil.example",
        "./evil.example",
        "../evil.example",
        ".//evil.example",
        "",
        "/",
        "/ok?next=//evil.example",
        "/ok?next=https://evil.example",
    ],
}
PAYLOADS = [p for payloads in CATEGORIES.values() for p in payloads]
URI_PAYLOADS = [p for p in PAYLOADS if p.startswith("/")]
QUERY_PAYLOADS = [
    "x=//evil.example",
    "next=https://evil.example",
    "%0d%0aSet-Cookie:x=1",
    "\r\nSet-Cookie: x=1",
    "x=\n",
    "\t",
    "x=%09",
    "x=\u00e9",
    "x=%C0%AF",
    "#//evil",
    "?//evil",
    "/\\evil",
    "\\\\evil",
]
KNOWN_FINDINGS: dict[str, str] = {}  # payload -> reason, when one gets through (none today)


def check_all(payloads, check) -> None:
    """Run `check(payload)` for each payload; fail once, naming every payload that got through."""
    failures = []
    for payload in payloads:
        try:
            check(payload)
        except AssertionError as exc:
            if payload not in KNOWN_FINDINGS:
                failures.append(f"{payload!r}: {str(exc).splitlines()[0][:200]}")
    assert not failures, "\n".join(failures)


def complete_login(browser: Browser, idp, keys, first: dict) -> dict:
    assert first["status"] == "302", first
    location = header(first, "location")
    assert location.startswith(AUTHORIZE), location
    query = location_query(first)
    assert query["redirect_uri"] == f"{SITE}/_gate/callback"
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(),
    )
    return browser.request("/_gate/callback", f"code={code}&state={query['state']}")


def assert_safe_or_refused(result: dict) -> None:
    assert is_response(result), f"passed to the origin instead of answering: {result.get('uri')!r}"
    assert_response(result)
    assert result["status"] in {"302", "400", "200", "401"}, result["status"]
    if result["status"] == "302":
        location = header(result, "location")
        if not location.startswith(AUTHORIZE):
            assert_location_same_site(location)
    for href in re.findall(r'(?:href|url)=["]?([^">]*)', result["body"]):
        href = unquote(href.replace("&amp;", "&"))
        assert not href.lstrip().startswith(("//", "\\", "/\\", "javascript:", "http:", "https://evil")), href


def return_query(payload: str, raw: bool) -> str:
    return "return=" + (payload if raw else quote(payload, safe=""))


# -- 1. /_gate/sign-in?return= ----------------------------------------------------------------------


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_sign_in_return_when_signed_out_lands_on_the_site(handler, idp, keys, category):
    def check(payload):
        for raw in (False, True):
            browser = Browser(handler)
            first = browser.request("/_gate/sign-in", return_query(payload, raw))
            assert_safe_or_refused(first)
            if first["status"] == "302":
                final = complete_login(browser, idp, keys, first)
                assert_safe_or_refused(final)
                assert final["status"] == "302" and ID in browser.jar

    check_all(CATEGORIES[category], check)


@pytest.mark.parametrize("category", sorted(CATEGORIES))
def test_sign_in_return_when_already_signed_in_lands_on_the_site(signed_in, category):
    browser = signed_in("Viewer")

    def check(payload):
        for raw in (False, True):
            result = browser.request("/_gate/sign-in", return_query(payload, raw))
            assert_safe_or_refused(result)
            if result["status"] == "302":
                assert_location_same_site(header(result, "location"))

    check_all(CATEGORIES[category], check)


def test_a_good_return_path_is_kept(browser, idp, keys, signed_in):
    """The filter is not just "always /": an ordinary deep link with a query comes back intact."""
    target = "/reports/q3?tab=2&q=a%20b"
    final = complete_login(browser, idp, keys, browser.request("/_gate/sign-in", return_query(target, False)))
    assert header(final, "location") == target
    assert header(signed_in().request("/_gate/sign-in", return_query(target, False)), "location") == target


# -- 2. the request URI a login, a refresh or a 401 page returns to ------------------------------------


def test_request_uri_returned_to_after_login_is_same_site(handler, idp, keys):
    def check(payload):
        browser = Browser(handler)
        path, _, query = payload.partition("?")
        first = browser.request(path, query)
        assert_safe_or_refused(first)
        if first["status"] == "302":
            assert_safe_or_refused(complete_login(browser, idp, keys, first))

    check_all(URI_PAYLOADS, check)


def test_request_query_returned_to_after_login_is_same_site(handler, idp, keys):
    def check(query):
        browser = Browser(handler)
        first = browser.request("/docs", query)
        assert_safe_or_refused(first)
        if first["status"] == "302":
            assert_safe_or_refused(complete_login(browser, idp, keys, first))

    check_all(QUERY_PAYLOADS, check)


def test_request_uri_returned_to_after_a_refresh_is_same_site(browser, login):
    with freeze_time("2026-03-01 09:00:00"):
        login(browser, "/", lifetime=3600)
    signed_in_jar = dict(browser.jar)

    def check(payload):
        browser.jar = dict(signed_in_jar)
        with freeze_time("2026-03-01 10:30:00"):  # expired: the navigation refreshes and comes back
            path, _, query = payload.partition("?")
            assert_safe_or_refused(browser.request(path, query))

    check_all(URI_PAYLOADS + [f"/docs?{q}" for q in QUERY_PAYLOADS], check)


def test_the_401_page_links_only_to_a_same_site_sign_in(browser):
    def check(payload):
        path, _, query = payload.partition("?")
        result = browser.request(path, query, headers={"Accept": "*/*", "Sec-Fetch-Mode": "no-cors"})
        assert_safe_or_refused(result)
        for href in re.findall(r'href="([^"]*)"', result["body"]):
            assert href.startswith(("/_gate/sign-in?return=%2F", "/")) and not href.startswith("//"), href

    check_all(URI_PAYLOADS, check)


def test_strict_same_site_hop_page_is_same_site_too(make_config, make_handler, idp, keys):
    handler = make_handler(make_config(cookies={"same_site": "Strict"}))

    def check(payload):
        browser = Browser(handler)
        first = browser.request("/_gate/sign-in", return_query(payload, False))
        assert_safe_or_refused(first)
        final = complete_login(browser, idp, keys, first)
        assert_safe_or_refused(final)
        assert final["status"] == "200"
        (url,) = re.findall(r'content="0;url=([^"]*)"', final["body"])
        assert_location_same_site(url.replace("&amp;", "&"))

    check_all(PAYLOADS, check)


# -- 3. the host the redirect_uri is built from ---------------------------------------------------------


@pytest.mark.parametrize(
    "host",
    [
        "evil.example",
        "evil.example\n",
        "evil.example/x",
        "evil.example@site",
        "site.example:443@evil.example",
        "evil.example:99999",
        "[::1]",
        "",
        "site.example\r\nSet-Cookie: x=1",
        "\u0435vil.example",
    ],
)
def test_host_header_never_makes_an_unsafe_redirect_uri(handler, host):
    """Without site.url the gate builds redirect_uri from Host (CloudFront only forwards its own
    names; this is the defence if something else does): a hostile Host is refused or encoded."""
    from tests.support.cloudfront import NAVIGATE, event

    result = handler(event("/docs", headers=NAVIGATE, host=host), None)
    assert_response(result)
    if result["status"] == "302":
        query = location_query(result)
        assert query["redirect_uri"] == f"https://{host}/_gate/callback"
        assert "\n" not in host and "/" not in host and "@" not in host, host
    else:
        assert result["status"] == "400"
