"""Issue 21, confirmed finding 1, through build.py and the built zip: an [[apis]] path is never
public. Before the fix `public = ["/*.json"]` beside `[[apis]] paths = ["/api/*"]` built, and
/api/users.json reached the API with no session (the build compared the API pattern with
paths.public on one sample path, "/api/x"). Now the build refuses every overlap (one line, exit
2, no zip), and for a config that builds, no generated spelling of a path under an API pattern
gets past the zip without a session: it is answered at the edge (401 for an API, or a login
redirect / 400), or forwarded as a URI that no origin model (tests/security/conftest.py) maps
under an API pattern.

Also noticed in issue 21: a branding.logo ending in a newline crashed build.py with a traceback.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.build.test_build_messages import assert_one_line_fix
from tests.conftest import CLIENT_ID, STATE_SECRET
from tests.security.conftest import assert_response, is_response
from tests.security.test_path_findings import reaches
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event

pytestmark = [pytest.mark.slow, pytest.mark.zip]  # markers: docs/contributing.md "Tests"

PUBLIC = ["/favicon.ico", "/assets/*", "/index.html"]
APIS = [["/api/*"], ["/v2/*/data", "/v2/*/data/*"]]
API_PATTERNS = [p for paths in APIS for p in paths]


def gate_toml(public: list[str], apis: list[list[str]], branding: str = "") -> str:
    def toml_list(values):
        return "[" + ", ".join(f'"{v}"' for v in values) + "]"

    lines = [
        "[idp]",
        'provider = "cognito"',
        f'client_id = "{CLIENT_ID}"',
        'token_endpoint = "https://auth.example.com/oauth2/token"',
        'jwks_uri = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test12345/.well-known/jwks.json"',
        "[cognito]",
        'region = "us-east-1"',
        'user_pool_id = "us-east-1_Test12345"',
        'domain = "auth.example.com"',
        "[paths]",
        f"public = {toml_list(public)}",
        "[state]",
        f'secret = "{STATE_SECRET}"',
    ]
    if branding:
        lines += ["[branding]", branding]
    for paths in apis:
        lines += ["[[apis]]", f"paths = {toml_list(paths)}"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def zip_tools():
    from tests.build.test_build_zip import ShippedZip, build

    return build, ShippedZip


@pytest.fixture(scope="module")
def api_zip(zip_tools, tmp_path_factory, keys):
    build, ShippedZip = zip_tools
    work = tmp_path_factory.mktemp("apis")
    result, out = build(work, gate_toml(PUBLIC, APIS), keys.jwks())
    assert result.returncode == 0, result.stderr
    running = ShippedZip(out, work)
    yield running
    assert "Traceback" not in running.close()


@pytest.mark.parametrize(
    "public, apis, expected",
    [
        (["/*.json"], [["/api/*"]], "config error: paths.public: '/*.json' would make part of apis[1].paths '/api/*'"),
        (["/api/health"], [["/api/*"]], "paths.public: '/api/health' would make part of apis[1].paths '/api/*'"),
        (["/API/*"], [["/api/*"]], "paths.public: '/API/*' would make part of apis[1].paths '/api/*'"),
        (
            ["/*.css"],
            [["/v2/*/data", "/v2/*/data/*"]],
            "paths.public: '/*.css' would make part of apis[1].paths '/v2/*/data/*'",
        ),
    ],
)
def test_the_build_refuses_a_public_pattern_overlapping_an_api(zip_tools, tmp_path, keys, public, apis, expected):
    build, _ = zip_tools
    result, out = build(tmp_path, gate_toml(public, apis), keys.jwks())
    assert_one_line_fix(result, out, expected, "an API path needs a session")


def test_a_logo_path_ending_in_a_newline_is_a_config_message(zip_tools, tmp_path, keys):
    build, _ = zip_tools
    result, out = build(tmp_path, gate_toml(["/brand/*"], [], branding='logo = "/brand/logo.svg\\n"'), keys.jwks())
    assert_one_line_fix(result, out, "config error: branding.logo: '/brand/logo.svg\\n' must be a plain path")


# Spellings of paths under the API patterns: each piece changes some reading the gate or an
# origin makes (case, Unicode folds, encoded "?"/"#"/"/", ";" and ":", dot segments, "+",
# dotted directories read as PATH_INFO, public-looking suffixes).
HEADS = ["/api/", "/API/", "/Api/", "/%61pi/", "/ap%69/", "/api;x/", "/api:x/", "/api./", "/v2/x/data/", "/v2/x/DATA/"]
PIECES = [
    "users",
    "users.json",
    "x.css",
    "index.html",
    "favicon.ico",
    "%3F",
    "%23",
    "%2F",
    "%2e",
    ";",
    ":",
    ".",
    "..",
    "/",
    "+",
    "%C4%B1",
    "%E2%84%AA",
    "assets",
    "data",
]
uris = st.builds(
    lambda head, tail: head + "".join(tail), st.sampled_from(HEADS), st.lists(st.sampled_from(PIECES), max_size=5)
)


@settings(max_examples=250, deadline=None)
@given(uri=uris, fetch=st.booleans())
def test_no_path_under_an_api_passes_the_zip_without_a_session(api_zip, uri, fetch):
    result = api_zip.send(event(uri, headers=FETCH_JSON if fetch else NAVIGATE))
    if is_response(result):
        assert_response(result)
        assert result["status"] in {"302", "400", "401", "403"}, (uri, result["status"])
        return
    assert not reaches(result["uri"], API_PATTERNS), (uri, result["uri"], reaches(result["uri"], API_PATTERNS))


def test_public_paths_still_pass_and_api_paths_need_a_session(api_zip):
    assert api_zip.send(event("/assets/app.js"))["uri"] == "/assets/app.js"
    assert api_zip.send(event("/index.html"))["uri"] == "/index.html"
    for uri in ("/api/users.json", "/api/users", "/v2/x/data", "/v2/x/data/favicon.ico"):
        answer = api_zip.send(event(uri, headers=FETCH_JSON))
        assert answer.get("status") == "401", (uri, answer)
