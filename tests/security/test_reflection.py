"""What the gate writes back into its own pages: never markup an attacker chose.

A person may set their own `name` in many user pools, so a claim is attacker-controlled text
even in a validly signed token. Query parameters and paths are reflected in links. Every page
is also served with a CSP that allows no script at all.
"""

from __future__ import annotations

from html.parser import HTMLParser

import pytest

from tests.security.conftest import ID, assert_response, json_body
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event, header

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

MARKUP = [
    "<script>alert(1)</script>",
    '"><img src=x onerror=alert(1)>',
    "'><svg onload=alert(1)>",
    "</title><script>alert(1)</script>",
    "javascript:alert(1)",
    "&lt;script&gt;",
    "\u202e<b>x</b>",
]


ALLOWED_TAGS = {"html", "head", "meta", "title", "style", "body", "main", "h1", "p", "a", "strong"}
ALLOWED_ATTRIBUTES = {"lang", "charset", "name", "content", "class", "href", "http-equiv"}


class Elements(HTMLParser):
    def __init__(self):
        super().__init__()
        self.found: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        self.found.append((tag, dict(attrs)))


def assert_inert(result):
    """Only the gate's own elements and attributes, links to paths, and a CSP with no script."""
    assert_response(result)
    parser = Elements()
    parser.feed(result["body"])
    for tag, attributes in parser.found:
        assert tag in ALLOWED_TAGS, (tag, attributes)
        assert set(attributes) <= ALLOWED_ATTRIBUTES, (tag, attributes)
        href = attributes.get("href")
        if href is not None:
            assert (href.startswith("/") and not href.startswith("//")) or href.startswith(
                "https://auth.example.com/oauth2/authorize?"
            ), href  # the redirect page links the IdP
    if header(result, "content-type").startswith("text/html"):
        csp = header(result, "content-security-policy")
        assert csp and "default-src 'none'" in csp and "script-src" not in csp


@pytest.mark.parametrize("markup", MARKUP)
def test_a_name_claim_on_the_forbidden_page_is_text(handler, keys, markup):
    token = keys.id_token(name=markup, **{"cognito:groups": ["Viewer"]})
    result = handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={token}"]), None)
    assert result["status"] == "403"
    assert_inert(result)


@pytest.mark.parametrize("markup", MARKUP)
def test_who_am_i_is_json_that_no_browser_sniffs_as_html(handler, keys, markup):
    token = keys.id_token(name=markup, email=markup)
    result = handler(event("/_gate/me", headers=FETCH_JSON, cookies=[f"{ID}={token}"]), None)
    assert_response(result)
    assert header(result, "content-type") == "application/json"
    assert header(result, "x-content-type-options") == "nosniff"
    assert json_body(result)["name"] == markup


@pytest.mark.parametrize("markup", MARKUP)
def test_callback_error_parameters_are_not_reflected(handler, markup):
    from urllib.parse import quote

    for query in (
        f"error={quote(markup)}",
        f"error=access_denied&error_description={quote(markup)}",
        f"code={quote(markup)}&state={quote(markup)}",
    ):
        result = handler(event("/_gate/callback", query, headers=NAVIGATE), None)
        assert result["status"] == "400"
        assert_inert(result)


@pytest.mark.parametrize(
    "path",
    [
        "/x'onmouseover=alert(1)",
        '/x"><script>alert(1)</script>',
        "/x?'><svg onload=1>",
        "/a(b)*c!d$e&f",
        "/%3Cscript%3E",
    ],
)
def test_return_paths_in_401_and_redirect_pages_are_encoded(handler, path):
    uri, _, query = path.partition("?")
    for headers in (NAVIGATE, {"Accept": "*/*", "Sec-Fetch-Mode": "no-cors"}):
        result = handler(event(uri, query, headers=headers), None)
        assert_inert(result)
    result = handler(event("/_gate/sign-in", "return=" + path.replace("&", "%26"), headers=NAVIGATE), None)
    assert_inert(result)
