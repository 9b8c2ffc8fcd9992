"""[site] spa (issue 20, item 3): a single-page app's client-side routes are the gate's job.

A GET/HEAD page navigation to a path that names no file, outside [[apis]], [assets] and the
gate's own paths, goes on to the origin as /index.html (the app, 200); everything else goes on
as it came, so an API's 404 stays the API's and a missing asset stays a 404, never HTML. The
rewrite happens only after the access check of the path asked for has passed, and only when the
person may also see /index.html itself.

The rule is tested against an independent statement of it (`expected_uri`: fnmatch and
PurePosixPath over the path's readings), then through the gate in process (sessions, rules,
public paths, APIs); tests/build/test_build_spa.py runs the same through the built zip.
"""

from __future__ import annotations

import fnmatch
from pathlib import PurePosixPath

import pytest
from freezegun import freeze_time
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.errors import BadRequest
from edge.gate import client_routes
from edge.paths import ClientRoutes, fold, normalise
from tests.support.cloudfront import ASSET, FETCH_JSON, NAVIGATE, Browser, is_response

INDEX = "/index.html"
T0 = "2026-03-01 09:00:00"
LATER = "2026-03-01 09:10:00"


# -- the rule, stated a second time --------------------------------------------------------------


def _matches(pattern: str, text: str) -> bool:
    """CloudFront path-pattern matching: '*' any run of characters ('/' too), '?' one character.
    fnmatch does the same for patterns without '[' (none are generated here)."""
    return fnmatch.fnmatchcase(text, pattern)


def expected_uri(
    enabled: bool,
    excluded: list[str],
    case_sensitive: bool,
    uri: str,
    method: str,
    fetch_mode: str | None,
    accept: str | None,
) -> str | None:
    """/index.html when the request is a client-side route, else None.

    The path's readings come from edge.paths.normalise (tested on their own in test_paths.py);
    `fold` is the gate's case folding (also tested there, against unicodedata)."""
    if not enabled or method not in {"GET", "HEAD"}:
        return None
    navigation = fetch_mode == "navigate" if fetch_mode is not None else "text/html" in (accept or "").lower()
    if not navigation:
        return None
    path = normalise(uri)
    if "." in PurePosixPath(path.exact).name:
        return None  # a file name: the origin answers it, a 404 included
    for pattern in excluded:
        exact_hit = any(
            _matches(pattern, text) if case_sensitive else _matches(fold(pattern), fold(text)) for text in path.exacts
        )
        loose_hit = any(_matches(fold(pattern), text) for text in path.looses)
        if exact_hit or loose_hit:
            return None
    return INDEX


SEGMENTS = [
    "dashboard",
    "settings",
    "assets",
    "Assets",
    "ASSETS",
    "api",
    "API",
    "_gate",
    "me",
    "x.js",
    "chunk-3f2a.js",
    "v1.2",
    "index.html",
    "",
    ".",
    "..",
    "%2E",
    "%2e.",
    "a%2Fb",
    "%3F.js",
    "%23x",
    "page;.js",
    "doc:x",
    "doc:x%23y",  # cut at the decoded "#": an exact reading "/doc:x" that no loose one matches
    "end.",
    "s%C5%BFx",  # 'ſ', folded to 's'
    "%E2%84%AA",  # Kelvin sign, folded to 'k'
    "a+b",
    "%20",
]
PATTERNS = ["/assets/*", "/api/*", "/_gate/*", "/static/*.js", "/a?i/*", "/dashboard", "*.map", "/me", "/doc:x"]
# weighted towards what a rewrite needs, so the interesting cases are common
MODES = [None, None, None, "navigate", "navigate", "navigate", "NAVIGATE", "cors", "no-cors", "same-origin", ""]
ACCEPTS = [
    None,
    "",
    "text/html",
    "TEXT/HTML,*/*;q=0.8",
    "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8",
    "application/json",
    "*/*",
    "application/xhtml+xml",
    "image/avif,image/webp,*/*",
]
METHODS = ["GET", "GET", "GET", "HEAD", "HEAD", "POST", "PUT", "OPTIONS", "DELETE", "get", "head"]


@st.composite
def uris(draw) -> str:
    segments = draw(st.lists(st.sampled_from(SEGMENTS), min_size=0, max_size=4))
    return "/" + "/".join(segments) + draw(st.sampled_from(["", "/"]))


@settings(max_examples=3000, deadline=None)
@given(
    enabled=st.sampled_from([True, True, True, False]),
    excluded=st.lists(st.sampled_from(PATTERNS), max_size=4),
    case_sensitive=st.booleans(),
    uri=uris(),
    method=st.sampled_from(METHODS),
    fetch_mode=st.sampled_from(MODES),
    accept=st.sampled_from(ACCEPTS),
)
def test_the_rule_matches_its_independent_statement(enabled, excluded, case_sensitive, uri, method, fetch_mode, accept):
    try:
        path = normalise(uri)
    except BadRequest:
        return  # the gate answers 400 before any rewrite
    routes = ClientRoutes(enabled, tuple(excluded), case_sensitive)
    got = routes.index_for(path, method, fetch_mode, accept)
    assert got == expected_uri(enabled, excluded, case_sensitive, uri, method, fetch_mode, accept)


@pytest.mark.parametrize(
    "uri,method,headers,rewritten",
    [
        ("/dashboard/settings", "GET", NAVIGATE, True),
        ("/dashboard/settings/", "GET", NAVIGATE, True),
        ("/dashboard", "HEAD", NAVIGATE, True),
        ("/dashboard", "GET", {"Accept": "text/html"}, True),  # no Sec-Fetch-Mode: Accept decides
        ("/dashboard", "GET", {"Accept": "*/*"}, False),  # curl's default is not a page load
        ("/dashboard", "GET", {}, False),
        ("/dashboard", "GET", FETCH_JSON, False),
        ("/dashboard", "GET", ASSET, False),
        ("/dashboard", "GET", {"Accept": "text/html", "Sec-Fetch-Mode": "cors"}, False),
        ("/dashboard", "POST", NAVIGATE, False),
        ("/assets/missing.js", "GET", NAVIGATE, False),
        ("/assets/missing", "GET", NAVIGATE, False),  # an asset path, with or without a dot
        ("/ASSETS/missing", "GET", NAVIGATE, False),  # in any reading
        ("/api/missing", "GET", NAVIGATE, False),
        ("/_gate/unknown", "GET", NAVIGATE, False),
        ("/_gate/me", "GET", NAVIGATE, False),
        ("/docs/v1.2", "GET", NAVIGATE, False),  # a dot in the last segment names a file
        ("/docs/v1.2/", "GET", NAVIGATE, False),
        ("/v1.2/docs", "GET", NAVIGATE, True),
        ("/docs/page%2Ehtml", "GET", NAVIGATE, False),  # decoded before the dot is looked for
    ],
)
def test_examples(make_config, uri, method, headers, rewritten):
    config = make_config(apis=[{"paths": ["/api/*"]}])
    routes = client_routes(config)
    lowered = {k.lower(): v for k, v in headers.items()}
    got = routes.index_for(normalise(uri), method, lowered.get("sec-fetch-mode"), lowered.get("accept"))
    assert got == (INDEX if rewritten else None)


def test_spa_false_rewrites_nothing(make_config):
    routes = client_routes(make_config(site={"spa": False}))
    assert routes.index_for(normalise("/dashboard"), "GET", "navigate", "text/html") is None


def test_the_asset_paths_are_configurable(make_config):
    routes = client_routes(make_config(assets={"paths": ["/static/*"]}))
    assert routes.index_for(normalise("/static/app"), "GET", "navigate", None) is None
    assert routes.index_for(normalise("/assets/app"), "GET", "navigate", None) == INDEX


# -- through the gate ------------------------------------------------------------------------------


def signed_in(make_config, make_handler, login, groups=("Viewer",), **sections):
    browser = Browser(make_handler(make_config(**sections)))
    with freeze_time(T0):
        assert login(browser, "/", groups=groups, lifetime=3600)["status"] == "302"
    return browser


def forwarded(browser, uri, headers=NAVIGATE, method="GET"):
    with freeze_time(LATER):
        result = browser.request(uri, headers=headers, method=method)
    assert not is_response(result), result.get("status")
    return result["uri"]


def test_a_signed_in_navigation_to_a_client_route_gets_the_app(make_config, make_handler, login):
    browser = signed_in(make_config, make_handler, login, apis=[{"paths": ["/api/*"]}])
    assert forwarded(browser, "/dashboard/settings") == INDEX
    assert forwarded(browser, "/dashboard/settings", method="HEAD") == INDEX
    assert forwarded(browser, "/dashboard", FETCH_JSON) == "/dashboard"  # a fetch() is not a page load
    assert forwarded(browser, "/assets/missing.js") == "/assets/missing.js"
    assert forwarded(browser, "/assets/missing.js", ASSET) == "/assets/missing.js"
    assert forwarded(browser, "/api/missing") == "/api/missing"  # the API's own 404
    assert forwarded(browser, "/_gate/unknown") == "/_gate/unknown"
    assert forwarded(browser, "/") == INDEX


def test_with_spa_false_only_the_root_is_the_app(make_config, make_handler, login):
    browser = Browser(make_handler(make_config(site={"spa": False})))
    with freeze_time(T0):
        login(browser, "/", lifetime=3600)
    assert forwarded(browser, "/dashboard/settings") == "/dashboard/settings"
    assert forwarded(browser, "/") == INDEX


RULES = [{"paths": ["/admin", "/admin/*"], "groups": ["Admin"]}]


@pytest.mark.parametrize(
    "spelling",
    [
        "/admin/users",
        "/admin",
        "/ADMIN/users",
        "/admin;x/users",
        "/x/../admin/users",
        "/%61dmin/users",
        "/admin./users",
    ],
)
def test_a_refused_path_is_refused_before_any_rewrite(make_config, make_handler, login, spelling):
    """Every reading of the path asked for is checked first: a Viewer navigating to any spelling
    of /admin/* gets the 403 page, never the app (which they could see at /index.html)."""
    browser = signed_in(make_config, make_handler, login, rules=RULES)
    with freeze_time(LATER):
        result = browser.get(spelling)
    assert result["status"] == "403"
    assert "missing_group" in result["body"]


def test_an_allowed_path_with_the_app_under_no_rule(make_config, make_handler, login):
    """A person allowed on /dashboard/* by a rule, with /index.html under no rule (any signed-in
    person, past [entry]): the app is theirs to see, so the client route gets it."""
    rules = [{"paths": ["/dashboard/*"], "groups": ["Ops"]}]
    ops = signed_in(make_config, make_handler, login, groups=("Ops",), rules=rules)
    assert forwarded(ops, "/dashboard/settings") == INDEX
    viewer = signed_in(make_config, make_handler, login, groups=("Viewer",), rules=rules)
    with freeze_time(LATER):
        assert viewer.get("/dashboard/settings")["status"] == "403"


def test_the_app_behind_its_own_rule_must_be_allowed_too(make_config, make_handler, login):
    """When /index.html is under a rule the person does not pass, a client route elsewhere that
    they may see does not hand them the app: 403 with the app's reason. Their fetch() of the
    same path still goes on as it is (it is not rewritten, and they may see that path)."""
    rules = [
        {"paths": ["/reports/*"], "groups": ["Auditors"]},
        {"paths": ["/", "/index.html", "/app/*"], "groups": ["Staff"]},
    ]
    auditor = signed_in(make_config, make_handler, login, groups=("Auditors",), rules=rules)
    with freeze_time(LATER):
        refused = auditor.get("/reports/q1")
    assert refused["status"] == "403" and "missing_group" in refused["body"]
    assert forwarded(auditor, "/reports/q1", FETCH_JSON) == "/reports/q1"
    assert forwarded(auditor, "/reports/q1.csv") == "/reports/q1.csv"  # a file: never rewritten
    both = signed_in(make_config, make_handler, login, groups=("Auditors", "Staff"), rules=rules)
    assert forwarded(both, "/reports/q1") == INDEX


def test_entry_applies_to_the_app_as_to_every_protected_path(make_config, make_handler, login):
    entry = {"groups": ["Staff"]}
    outsider = signed_in(make_config, make_handler, login, groups=("Viewer",), entry=entry)
    with freeze_time(LATER):
        assert outsider.get("/dashboard")["status"] == "403"
    staff = signed_in(make_config, make_handler, login, groups=("Staff",), entry=entry)
    assert forwarded(staff, "/dashboard") == INDEX


def test_no_session_is_sent_to_sign_in_not_to_the_app(handler):
    browser = Browser(handler)
    with freeze_time(LATER):
        result = browser.get("/dashboard/settings")
    assert result["status"] == "302"
    assert result["headers"]["location"][0]["value"].startswith("https://auth.example.com/oauth2/authorize?")


def public(browser, uri, headers=NAVIGATE):
    result = browser.request(uri, headers=headers)
    assert not is_response(result), result.get("status")
    return result["uri"]


def test_a_public_client_route_gets_the_app_only_when_the_app_is_public(make_config, make_handler):
    """No session is read on a public path, so the app goes out there only when anyone may
    fetch /index.html anyway; otherwise the path goes on as it is (the origin's 404)."""
    open_app = Browser(make_handler(make_config(paths={"public": ["/", "/index.html", "/about", "/help/*"]})))
    assert public(open_app, "/about") == INDEX
    assert public(open_app, "/help/faq") == INDEX
    assert public(open_app, "/help/faq.pdf") == "/help/faq.pdf"
    assert public(open_app, "/about", FETCH_JSON) == "/about"
    closed_app = Browser(make_handler(make_config(paths={"public": ["/about", "/help/*"]})))
    assert public(closed_app, "/about") == "/about"
    assert public(closed_app, "/help/faq") == "/help/faq"
