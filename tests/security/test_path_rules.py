"""No spelling of a path steps around a rule, and no public pattern opens anything else.

Configuration (tests/conftest.py): rule `/admin`, `/admin/*` for group Admin; public
`/favicon.ico`, `/public/*`. A Viewer is signed in for the rule tests; nobody for the public ones.

For each spelling the gate must answer 403 or 400, or pass the request on with a URI that no
origin model (tests/security/conftest.py: S3 with "+" as a space, an RFC 3986 server, Windows/
case-insensitive origins folding by upper- and by lower-casing, a proxy parsing again at a decoded
"?"/"#") maps to an object under /admin. tests/gate/test_sessions.py has the first 16 of these.
"""

from __future__ import annotations

import pytest

from tests.security.conftest import (
    ID,
    MORE_ORIGINS,
    ORIGINS,
    assert_not_let_in,
    assert_response,
    is_response,
    origins_reaching,
)
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

RULE_SPELLINGS = {
    "plain": [
        "/admin",
        "/admin/",
        "/admin/x",
        "/admin/secret.html",
        "/admin//x",
        "/admin/./x",
        "/admin/x/..",
        "/admin/x/../",
        "/admin/x/../..",
    ],
    "dot_segments": [
        "/admin/../admin/x",
        "/x/../admin",
        "/x/../admin/secret.html",
        "/./admin",
        "/x/./../admin",
        "/docs/%2e%2e/admin",
        "/docs/%2E%2E/admin/x",
        "/docs/.%2e/admin",
        "/docs/%2e./admin",
        "/docs/x/%2e%2e/%2e%2e/admin",
        "/%2e/admin",
        "/docs/%2e%2e%2fadmin",
        "/docs/..%2fadmin/x",
        "/%2e%2e/admin",
        "/../admin",
        "/docs/../../admin",
        "/admin/..%2f..%2fadmin/x",
    ],
    "slashes": [
        "//admin",
        "///admin/x",
        "//admin//x",
        "/%2fadmin",
        "/%2Fadmin/x",
        "/%2f%2fadmin",
        "/admin%2fx",
        "/admin%2Fsecret.html",
        "/docs%2f..%2fadmin",
        "/docs%2F..%2Fadmin/x",
    ],
    "backslashes": [
        "/admin\\x",
        "/docs\\..\\admin",
        "/\\admin",
        "/admin%5cx",
        "/docs%5c..%5cadmin",
        "/docs%5C..%5Cadmin%5Cx",
        "\\admin",
        "/docs/..\\admin",
    ],
    "case": [
        "/ADMIN",
        "/Admin/x",
        "/aDmIn",
        "/%41dmin",
        "/%61dmin/x",
        "/%61%64%6d%69%6e",
        "/ADMIN%2FX",
        "/%41%44%4D%49%4E/x",
    ],
    "trailing_dots_and_spaces": [
        "/admin.",
        "/admin..",
        "/admin./x",
        "/admin%2e",
        "/admin%2e%2e/x",
        "/admin. /x",
        "/admin%20",
        "/admin%20/x",
        "/admin%20%20",
        "/admin.%20.%20/x",
        "/admin /x",
        "/admin+/x",
    ],
    "controls_and_nul": [
        "/admin%00",
        "/admin%00.html",
        "/admin/x%00",
        "/admin%09",
        "/admin%0a/x",
        "/admin%0d",
        "/admin%7f",
        "/admin\x00",
        "/admin\t/x",
    ],
    "overlong_and_invalid_utf8": [
        "/%c0%ae%c0%ae/admin",
        "/docs/%c0%ae%c0%ae/admin",
        "/%c0%afadmin",
        "/docs/%e0%80%ae%e0%80%ae/admin",
        "/admin%c0%af",
        "/docs/%c0%ae%c0%ae%c0%afadmin",
        "/admin%ff",
        "/%ed%a0%80admin",
        "/docs/..%c0%afadmin",
        "/docs/..%c1%9cadmin",
    ],
    "double_encoding": [
        "/%252e%252e/admin",
        "/docs/%252e%252e/admin/x",
        "/%2561dmin",
        "/admin%252fx",
        "/docs%252f..%252fadmin",
        "/%25%32%65%25%32%65/admin",
        "/docs/%252E%252E%252Fadmin",
    ],
    "query_and_fragment_markers": [
        "/admin?x",
        "/admin%3fx",
        "/admin%3Fx/y",
        "/admin#x",
        "/admin%23x",
        "/admin%23/x",
        "/admin/%3f",
        "/admin%3F/../x",
        "/admin%23/../x",
        "/ADMIN%3F/../x",
        "/x%3F/../admin",
    ],
    "unicode_lookalikes": [
        "/\uff41\uff44\uff4d\uff49\uff4e",
        "/%EF%BD%81dmin",
        "/adm\u0131n",
        "/ADM\u0130N",
        "/admin\u200b",
        "/ad\u00admin",
        "/\u0430dmin",
        "/admin\uff0fx",
        "/admin%EF%BC%8Fx",
        "/admin\u2215x",
        "/adm%C4%B1n",
        "/ADM%C4%B0N/x",
        "/adm%C4%B1n/secret.html",
        "/%E2%80%8Cadmin",
    ],
    "long": [
        "/admin/" + "x/" * 2000,
        "/" + "x/../" * 1500 + "admin",
        "/" + "./" * 3000 + "admin",
        "/admin" + "%20" * 1000,
    ],
}

# Spellings that servlet and NTFS origins resolve to /admin (were FINDINGS; see the end).
PATH_PARAMETERS = [
    "/admin;x",
    "/admin;/x",
    "/admin;jsessionid=1/secret.html",
    "/docs/..;/admin/x",
    "/admin;x/secret.html",
    "/admin%3bx/y",
    "/admin%3B/x",
    "/x;/../admin;/y",
]
NTFS_STREAMS = [
    "/admin::$INDEX_ALLOCATION/x",
    "/admin:$i30:$INDEX_ALLOCATION/secret.html",
    "/admin::$DATA",
    "/admin:x",
    "/admin%3a%3a$INDEX_ALLOCATION/x",
]


def check_spelling(handler, cookies, path, models=ORIGINS):
    result = handler(event(path, headers=NAVIGATE, cookies=cookies), None)  # a raw "?" stays in the URI
    if is_response(result):
        assert_response(result)
        assert result["status"] in {"403", "400"}, (path, result["status"])
        return result["status"]
    reached = origins_reaching(result["uri"], "/admin", models)
    assert not reached, f"{path!r} passed as {result['uri']!r}, which {reached} resolve under /admin"
    assert not any(
        p.startswith("__Host-gate-") for e in result["headers"].get("cookie", []) for p in e["value"].split("; ")
    )
    return "pass"


def check_all(handler, cookies, paths, models=ORIGINS):
    failures = []
    for path in paths:
        try:
            check_spelling(handler, cookies, path, models)
        except AssertionError as exc:
            failures.append(str(exc).splitlines()[0][:240])
    assert not failures, "\n".join(failures)


@pytest.fixture
def viewer_cookie(keys):
    return [f"{ID}={keys.id_token(**{'cognito:groups': ['Viewer']})}"]


@pytest.mark.parametrize("category", sorted(RULE_SPELLINGS))
def test_a_viewer_cannot_reach_admin_by_any_spelling(handler, viewer_cookie, category):
    check_all(handler, viewer_cookie, RULE_SPELLINGS[category])


@pytest.mark.parametrize("category", sorted(RULE_SPELLINGS))
def test_the_same_spellings_with_a_case_insensitive_config(make_config, make_handler, viewer_cookie, category):
    check_all(make_handler(make_config(paths={"case_sensitive": False})), viewer_cookie, RULE_SPELLINGS[category])


def test_the_rule_is_not_vacuous(handler, keys, viewer_cookie):
    """An Admin gets in on the plain spellings, and a Viewer gets everything outside /admin."""
    admin = [f"{ID}={keys.id_token(**{'cognito:groups': ['Admin']})}"]
    for path in ("/admin", "/admin/x", "/Admin/x"):
        assert not is_response(handler(event(path, headers=NAVIGATE, cookies=admin), None)), path
    for path in ("/docs/admin", "/administrator", "/admin-panel", "/docs", "/x/admin/y"):
        assert not is_response(handler(event(path, headers=NAVIGATE, cookies=viewer_cookie), None)), path
    assert handler(event("/admin/x", headers=NAVIGATE, cookies=viewer_cookie), None)["status"] == "403"


def test_the_uri_forwarded_to_the_origin_is_the_checked_one(handler, keys, viewer_cookie):
    """What S3 looks up is exactly the path the rules saw: re-normalising it changes nothing.
    (A fetch: a page navigation to a path without a dot goes on as the app, /index.html, [site] spa.)"""
    from edge.paths import ROOT_OBJECT, normalise

    for path in ("/docs//a/./b/../c%20d", "/docs/caf%C3%A9", "/docs/%2e%2e/x", "/docs\\x", "/Docs/A.%20"):
        result = handler(event(path, headers=FETCH_JSON, cookies=viewer_cookie), None)
        assert not is_response(result), path
        again = normalise(result["uri"])
        assert again.encoded == result["uri"], (path, result["uri"])
        assert normalise(path).exact == again.exact
        navigation = handler(event(path, headers=NAVIGATE, cookies=viewer_cookie), None)
        assert navigation["uri"] in (result["uri"], ROOT_OBJECT), (path, navigation["uri"])


# -- public patterns -----------------------------------------------------------------------------------

PUBLIC_TRICKS = [
    "/public/../admin",
    "/public/..%2fadmin",
    "/public/..%2Fadmin/x",
    "/public/%2e%2e/admin",
    "/public/%2e%2e%2fadmin",
    "/public%2f..%2fadmin",
    "/public/..\\admin",
    "/public/..%5cadmin",
    "/public/%2e%2e%5cadmin",
    "/public\\..\\admin",
    "/public//../admin",
    "/public/./../admin",
    "/PUBLIC/../admin",
    "/public/x/../../admin",
    "/public/x/..%2f..%2fadmin",
    "/public/../docs/secret",
    "/public/..",
    "/public/../",
    "/public/%2e%2e",
    "/public",
    "/Public/x",
    "/PUBLIC/x",
    "/public./x",
    "/public%20/x",
    "/public%2e/x",
    "/favicon.ico/../admin",
    "/favicon.ico%2f..%2fadmin",
    "/favicon.ico/..",
    "/favicon.ico/x",
    "/favicon.ico.",
    "/FAVICON.ICO",
    "/favicon.ico%20",
    "/favicon.ico;/admin",
    "/favicon.ico/..;/admin",
    "/public/.. /admin",
    "/public/../ admin",
    "/public/..%00/admin",
    "/public/..%20/admin",
    "/public/....//admin",
    "/public/..%c0%afadmin",
    "/public/%c0%ae%c0%ae/admin",
    "/public/..%ef%bc%8fadmin",
    "/public/%ef%bc%8e%ef%bc%8e/admin",
    "/public/%252e%252e/admin",
    "/public/..%252fadmin",
    "/public/x/%2e%2e/%2e%2e/admin",
    "/public/" + "../" * 3 + "admin",
    "/%2fpublic/../admin",
    "//public/../admin",
]


def test_public_patterns_open_nothing_else(handler):
    """Nobody is signed in: a trick either answers at the edge (login, 401, 400) or, when it
    passes as public, every origin model still looks up something under /public or the favicon."""
    failures = []
    for path in PUBLIC_TRICKS:
        for headers in (NAVIGATE, FETCH_JSON):
            result = handler(event(path, headers=headers), None)
            if is_response(result):
                try:
                    assert_not_let_in(result)
                except AssertionError as exc:
                    failures.append(f"{path!r}: {exc}")
                continue
            for name, model in ORIGINS.items():
                looked_up = model(result["uri"])
                if not (looked_up.startswith("/public/") or looked_up == "/favicon.ico"):
                    failures.append(f"{path!r} passed as public; {name} looks up {looked_up!r}")
    assert not failures, "\n".join(failures)


def test_public_paths_still_work(handler):
    for path in ("/public/logo.svg", "/public/a/b/c.css", "/favicon.ico", "/public/caf%C3%A9.css"):
        assert not is_response(handler(event(path), None)), path


# -- servlet and NTFS origins ------------------------------------------------------------------------


def test_path_parameters_cannot_step_around_a_rule(handler, viewer_cookie):
    """Was a FINDING: a Viewer's /admin;x/secret.html and /docs/..;/admin/x passed, and a servlet
    container (Tomcat, Jetty, Spring) cuts ';...' and serves /admin/...; /public/..;/admin passed
    as public."""
    check_all(handler, viewer_cookie, PATH_PARAMETERS, {"servlet": MORE_ORIGINS["servlet"]})
    for path in ("/public/..;/admin", "/favicon.ico/..;/admin", "/public/..;/docs/secret"):
        result = handler(event(path, headers=FETCH_JSON), None)
        assert is_response(result), f"{path!r} passed as public; a servlet serves {MORE_ORIGINS['servlet'](path)!r}"


def test_ntfs_stream_names_cannot_step_around_a_rule(handler, viewer_cookie):
    """Was a FINDING: a Viewer's /admin::$INDEX_ALLOCATION/x and /admin:x passed; NTFS opens /admin/x."""
    check_all(handler, viewer_cookie, NTFS_STREAMS, {"ntfs_streams": MORE_ORIGINS["ntfs_streams"]})


def test_a_public_request_goes_on_with_exactly_the_path_that_was_matched(handler):
    """A public request goes on untouched, so only its canonical spelling may be public: S3
    does not resolve dot segments, and /admin/../public/x would be the key 'admin/../public/x'.
    (Was a FINDING: such spellings passed as public with the raw URI.) Other spellings either
    need a session or go on as the normalised path."""
    from edge.paths import normalise

    for raw in (
        "/admin/../public/x",
        "/admin/x/../../public/y",
        "/admin//..//public/z",
        "/admin%2F..%2Fpublic/x",
        "/admin\\..\\public\\x",
        "//public/x",
        "/public/./x",
        "/public/x/../y.js",
        "/public//z",
        "/%70ublic/x",
        "/public/%78",
    ):
        result = handler(event(raw), None)
        if is_response(result):
            assert_not_let_in(result)
            continue
        assert result["uri"] == normalise(raw).encoded, (raw, result["uri"])
        for name, model in ORIGINS.items():
            assert model(result["uri"]).startswith("/public/"), (raw, name, model(result["uri"]))
