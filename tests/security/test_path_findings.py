"""Issue 11, path findings 1, 2, 3, 6, 7 and 8: each one through `edge.handler.handler`, and again
through the built zip under python3.13 (marker `zip`).

1. S3 reads a literal "+" in a path as a space: "/Team+Docs/plan.pdf" got past a rule on
   "/Team Docs/*" and S3 served "Team Docs/plan.pdf".
2. A literal "*" in a path beat wildcard patterns: "/*team/private/plan.pdf" got past
   "/*/private/*", "/reports/*q1.pdf" past "/reports/*.pdf".
3. Unicode case folding: "/adm%C4%B1n/secret.html" ("ı", U+0131) got past "/admin/*", and an
   origin that compares by upper-casing serves /ADMIN/secret.html.
6. A public pattern or an earlier rule opened part of a rule: public "/*.json" with "/admin/*".
7. Public suffix patterns and "?"/"#"/PATH_INFO: "/admin/secret.html%3F.css" passed as public.
8. The bucket root: "//", "/x/..", "/%2e", "/%2F" went to S3 as "/", a bucket listing.

A spelling is held when the gate answers it at the edge, or forwards a URI that no origin model
(tests/security/conftest.py: ORIGINS and MORE_ORIGINS) maps to a protected path.
"""

from __future__ import annotations

import re

import pytest

from edge.paths import ROOT_OBJECT
from gatebuild.config import ConfigFileError
from tests.conftest import CLIENT_ID, ROOT
from tests.security.conftest import (
    ID,
    MORE_ORIGINS,
    ORIGINS,
    assert_not_let_in,
    assert_response,
    is_response,
    origin_root,
)
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

ALL_MODELS = {**ORIGINS, **MORE_ORIGINS}


def glob_regex(pattern: str) -> re.Pattern:
    """An oracle for a path pattern, independent of edge.paths: '*' any characters, '?' one."""
    body = "".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern)
    return re.compile(body, re.DOTALL | re.ASCII | re.IGNORECASE)  # ASCII case only: models fold the rest


def reaches(uri: str, patterns: list[str], models=ALL_MODELS) -> list[str]:
    """The models under which the forwarded `uri` is an object a pattern protects."""
    found = []
    for name, model in models.items():
        looked_up = model(uri)
        if any(glob_regex(p).fullmatch(looked_up) for p in patterns):
            found.append(f"{name}: {looked_up!r}")
    return found


def held(result, protected: list[str]) -> str | None:
    """None when a signed-in person without the group was kept out, else what went wrong."""
    if is_response(result):
        assert_response(result)
        return None if result["status"] in {"403", "400"} else f"status {result['status']}"
    found = reaches(result["uri"], protected)
    return f"forwarded as {result['uri']!r}, reaching {found}" if found else None


def failures_of(send, spellings, cookies, protected) -> list[str]:
    failures = []
    for uri in spellings:
        problem = held(send(event(uri, headers=NAVIGATE, cookies=cookies)), protected)
        if problem:
            failures.append(f"{uri!r}: {problem}")
    return failures


def token(keys, *groups) -> list[str]:
    return [f"{ID}={keys.id_token(**{'cognito:groups': list(groups)})}"]


# -- items 1, 2, 3: spellings of protected paths --------------------------------------------------------

# Every rule for the same group, so none weakens another (item 6 would refuse the build).
RULES = [
    {
        "paths": [
            "/admin",
            "/admin/*",
            "/Team Docs/*",
            "/*/private/*",
            "/reports/*.pdf",
            "/keys/*",
            "/secret/*",
            "/class/*",
            "/files/*",
        ],
        "groups": ["Admin"],
    }
]
PROTECTED = RULES[0]["paths"]
PUBLIC = ["/favicon.ico", "/admin/help.html"]  # an exception inside a rule: allowed (item 6)

PLUS = [
    "/Team+Docs/plan.pdf",
    "/Team+Docs/",
    "/Team+Docs%2Fplan.pdf",
    "/Team%20Docs/plan.pdf",
    "/Team+Docs/+",
    "/team+docs/plan.pdf",
    "/Team+Docs+/plan.pdf",
]
LITERAL_WILDCARDS = [
    "/*team/private/plan.pdf",
    "/%2Ateam/private/plan.pdf",
    "/%2A/private/x",
    "/*/private/*",
    "/x*y*/private/z",
    "/**/private/",
    "/reports/*q1.pdf",
    "/reports/%2Aq1.pdf",
    "/reports/*.pdf",
    "/reports/**x.pdf",
    "/reports/%3Fq1.pdf",
    "/reports/*a*b*.pdf",
    "/*ADMIN/private/x",
]
CASE_FOLDS = [
    "/adm%C4%B1n/secret.html",
    "/adm\u0131n/x",
    "/ADM%C4%B0N/secret.html",
    "/adm\u0130n/x",
    "/%E2%84%AAeys/x",
    "/\u212aEYS/x",
    "/%C5%BFecret/x",
    "/\u017fECRET/x",
    "/cla%C3%9F/x",
    "/CLA%E1%BA%9E/x",
    "/%EF%AC%81les/x",
    "/\ufb01LES/x",
    "/adm%C4%B1n",
    "/ADM\u0131N/private/x",
]


@pytest.fixture(params=[True, False], ids=["case_sensitive", "case_insensitive"])
def rules_handler(request, make_config, make_handler):
    return make_handler(make_config(paths={"public": PUBLIC, "case_sensitive": request.param}, rules=RULES))


@pytest.mark.parametrize("spellings", [PLUS, LITERAL_WILDCARDS, CASE_FOLDS], ids=["1_plus", "2_wildcards", "3_case"])
def test_a_viewer_cannot_reach_a_rule_by_plus_wildcard_or_case_folding(rules_handler, keys, spellings):
    failures = failures_of(lambda ev: rules_handler(ev, None), spellings, token(keys, "Viewer"), PROTECTED)
    assert not failures, "\n".join(failures)


def test_plus_goes_to_s3_as_a_plus(rules_handler, keys):
    """Item 1: the gate reads "+" as a plus, so it forwards "%2B", which S3 reads as a plus."""
    result = rules_handler(event("/docs/C++/notes+1.html", headers=NAVIGATE, cookies=token(keys, "Viewer")), None)
    assert not is_response(result)
    assert result["uri"] == "/docs/C%2B%2B/notes%2B1.html"
    assert ORIGINS["s3"](result["uri"]) == "/docs/C++/notes+1.html"
    admin = rules_handler(event("/Team+Docs/plan.pdf", headers=NAVIGATE, cookies=token(keys, "Admin")), None)
    assert admin["uri"] == "/Team%2BDocs/plan.pdf"  # the object "Team+Docs/plan.pdf", for anyone allowed


def test_the_rules_are_not_vacuous(rules_handler, keys):
    """An Admin gets in on the same spellings; a Viewer gets what no rule covers."""
    admin = token(keys, "Admin")
    for uri in ("/Team%20Docs/plan.pdf", "/x/private/y", "/reports/q1.pdf", "/keys/x", "/secret/x", "/adm%C4%B1n/x"):
        assert not is_response(rules_handler(event(uri, headers=NAVIGATE, cookies=admin), None)), uri
    viewer = token(keys, "Viewer")
    for uri in ("/reports/q1.txt", "/x/public/y", "/key/x", "/secrets", "/docs/stra%C3%9Fe.html", "/caf%C3%A9"):
        assert not is_response(rules_handler(event(uri, headers=NAVIGATE, cookies=viewer), None)), uri


# -- item 6: public patterns and earlier rules never open part of a rule ----------------------------------


@pytest.mark.parametrize(
    "public,rules,expected",
    [
        (
            ["/*.json"],
            [{"paths": ["/admin/*"], "groups": ["Admin"]}],
            "paths.public: '/*.json' would make part of rules[1].paths '/admin/*' public",
        ),
        (
            ["/*"],
            [{"paths": ["/admin"], "groups": ["Admin"]}],
            "rules[1].paths: '/admin' can never apply because paths.public has '/*'",
        ),
        (
            ["/ADMIN/*"],
            [{"paths": ["/admin/*"], "groups": ["Admin"]}],  # the same, to a case-insensitive origin
            "paths.public: '/ADMIN/*' would make part of rules[1].paths '/admin/*' public",
        ),
        (["/*/x"], [{"paths": ["/Admin/*"], "groups": ["Admin"]}], "paths.public: '/*/x' would make part of"),
        (
            [],
            [{"paths": ["/*.pdf"], "groups": ["Viewer"]}, {"paths": ["/admin/*"], "groups": ["Admin"]}],
            "rules[2].paths: '/admin/*' and rules[1].paths '/*.pdf' both match",
        ),
        (
            [],
            [{"paths": ["/admin/*"], "groups": ["Admin"]}, {"paths": ["/*.pdf"], "groups": ["Viewer"]}],
            "rules[2].paths: '/*.pdf' and rules[1].paths '/admin/*' both match",
        ),
        (
            [],
            [{"paths": ["/a/*"], "groups": ["A", "B"]}, {"paths": ["/*/b"], "groups": ["A"]}],
            "rules[2].paths: '/*/b' and rules[1].paths '/a/*' both match '/a/b'",
        ),
    ],
)
def test_the_build_refuses_an_overlap_that_weakens_a_rule(make_config, public, rules, expected):
    with pytest.raises(ConfigFileError) as refused:
        make_config(paths={"public": public}, rules=rules)
    message = str(refused.value)
    assert expected in message and "\n" not in message
    assert "narrow" in message or "move this rule" in message or "exception first" in message


@pytest.mark.parametrize(
    "public,rules",
    [
        (["/assets/*.json", "/favicon.ico"], [{"paths": ["/admin", "/admin/*"], "groups": ["Admin"]}]),
        (["/admin/help.html"], [{"paths": ["/admin/*"], "groups": ["Admin"]}]),  # an exception, on purpose
        (
            [],
            [{"paths": ["/reports/summary.pdf"], "groups": ["Viewer"]}, {"paths": ["/reports/*"], "groups": ["Admin"]}],
        ),
        (
            [],
            [
                {"paths": ["/admin/*.pdf"], "groups": ["Admin"]},
                {"paths": ["/*.pdf"], "groups": ["Viewer"]},
                {"paths": ["/admin/*"], "groups": ["Admin"]},
            ],
        ),  # the overlap decided by an earlier exception
        ([], [{"paths": ["/admin/*"], "groups": ["Admin"]}, {"paths": ["/*.pdf"], "groups": ["Admin", "Viewer"]}]),
    ],
)
def test_the_build_accepts_disjoint_patterns_exceptions_and_stricter_earlier_rules(make_config, public, rules):
    make_config(paths={"public": public}, rules=rules)


def test_an_overlap_decided_by_an_earlier_exception_works(make_config, make_handler, keys):
    handler = make_handler(
        make_config(
            paths={"public": ["/assets/*.json"]},
            rules=[
                {"paths": ["/admin/*.pdf"], "groups": ["Admin"]},
                {"paths": ["/*.pdf"], "groups": ["Viewer"]},
                {"paths": ["/admin/*"], "groups": ["Admin"]},
            ],
        )
    )

    def status(uri, *groups):
        result = handler(event(uri, headers=NAVIGATE, cookies=token(keys, *groups) if groups else None), None)
        return result["status"] if is_response(result) else "pass"

    assert status("/admin/x.pdf", "Viewer") == "403"
    assert status("/admin/x.pdf", "Admin") == "pass"
    assert status("/docs/x.pdf", "Viewer") == "pass"
    assert status("/docs/x.pdf", "Admin") == "403"
    assert status("/assets/a.json") == "pass"
    assert status("/admin/users.json") == "302"


def test_the_default_and_example_configs_still_build():
    from gatebuild import config as gate_config

    for name in ("gate.example.toml",):
        gate_config.validate(gate_config.read_toml(f"{ROOT}/{name}"))


# -- item 7: public suffix patterns, "?"/"#" and PATH_INFO ----------------------------------------------

SUFFIX_PUBLIC = ["/*.css", "/assets/*"]
FILE_RULES = [{"paths": ["/secret.html", "/reports/q1.pdf"], "groups": ["Admin"]}]
PUBLIC_TRICKS = [
    "/admin/secret.html%3F.css",
    "/admin/secret.html%23.css",
    "/admin/secret.html/x.css",
    "/docs/secret.html%3Fx.css",
    "/docs/page.html%23/x.css",
    "/docs/secret.html%3f/../x.css",
    "/admin/secret.html%3F/x.css",
    "/admin/secret.html;.css",
    "/secret.html/x.css",
    "/reports/q1.pdf/x.css",
    "/assets/../secret.html%3F.css",
    "/admin%23/x.css",
    "/x.html%3F%2F.css",
    "/assets/x.css%3F/../../secret.html",
    "/reports/q1.pdf%23.css",
    "/admin/secret.html%3F",
]
STILL_PUBLIC = [
    "/site.css",
    "/css/site.css",
    "/a/b/c.css",
    "/assets/index-abc.js",
    "/assets/app.css",
    "/assets/v1.2/x.js",
    "/assets/fonts/a.woff2",
]


def public_failures(send, patterns=SUFFIX_PUBLIC) -> list[str]:
    failures = []
    for uri in PUBLIC_TRICKS:
        for headers in (NAVIGATE, FETCH_JSON):
            result = send(event(uri, headers=headers))
            if is_response(result):
                try:
                    assert_not_let_in(result)
                except AssertionError as exc:
                    failures.append(f"{uri!r}: {exc}")
                continue
            for name, model in ALL_MODELS.items():
                looked_up = model(result["uri"])
                if not any(glob_regex(p).fullmatch(looked_up) for p in patterns):
                    failures.append(f"{uri!r} passed as public; {name} looks up {looked_up!r}")
    return failures


@pytest.fixture
def suffix_handler(make_config, make_handler):
    return make_handler(make_config(paths={"public": SUFFIX_PUBLIC}, rules=FILE_RULES))


def test_public_suffix_patterns_open_nothing_through_query_fragment_or_path_info(suffix_handler):
    failures = public_failures(lambda ev: suffix_handler(ev, None))
    assert not failures, "\n".join(failures)


def test_public_suffix_patterns_still_serve_assets(suffix_handler):
    for uri in STILL_PUBLIC:
        result = suffix_handler(event(uri, headers={"Accept": "*/*", "Sec-Fetch-Mode": "no-cors"}), None)
        assert not is_response(result) and result["uri"] == uri, uri


def test_a_rule_on_a_file_covers_what_path_info_and_reparsing_serve_from_it(suffix_handler, keys):
    spellings = [
        "/secret.html/x",
        "/secret.html%3Fx",
        "/secret.html%23x",
        "/secret.html/",
        "/reports/q1.pdf/",
        "/reports/q1.pdf/a/b.txt",
        "/reports/q1.pdf%3F.txt",
        "/SECRET.HTML/x",
        "/secret.html;x/y",
    ]
    failures = failures_of(
        lambda ev: suffix_handler(ev, None), spellings, token(keys, "Viewer"), FILE_RULES[0]["paths"]
    )
    assert not failures, "\n".join(failures)


def test_the_readings_hold_even_for_a_config_the_build_would_refuse(make_config, make_handler, keys):
    """Defence in depth: public "/*.css" beside a rule on "/admin/*" (the issue's example) is
    refused at build, but the gate's readings keep the admin page shut even so."""
    from edge.settings import Rule

    config = make_config(paths={"public": SUFFIX_PUBLIC}, rules=[])._replace(
        rules=(Rule(("/admin", "/admin/*"), ("Admin",)),)
    )
    handler = make_handler(config)
    failures = public_failures(lambda ev: handler(ev, None))
    failures += failures_of(lambda ev: handler(ev, None), PUBLIC_TRICKS, token(keys, "Viewer"), ["/admin", "/admin/*"])
    assert not failures, "\n".join(failures)


# -- item 8: the bucket root ------------------------------------------------------------------------------

ROOT_SPELLINGS = [
    "/",
    "//",
    "///",
    "/x/..",
    "/x/../",
    "/%2e",
    "/%2E/",
    "/%2F",
    "/%2f%2f",
    "/./",
    "/\\",
    "/%5c",
    "/x/%2e%2e",
    "/%3F",
    "/%23",
    "/x/..%2f",
]


def test_the_root_goes_to_the_origin_as_the_index_object(handler, keys):
    viewer = token(keys, "Viewer")
    for uri in ROOT_SPELLINGS:
        result = handler(event(uri, headers=NAVIGATE, cookies=viewer), None)
        if is_response(result):
            assert result["status"] == "400", (uri, result["status"])
            continue
        assert origin_root(result["uri"]) != "/<listing>", (uri, result["uri"])
        if uri in ("/", "//", "/x/..", "/%2e", "/%2F"):
            assert result["uri"] == ROOT_OBJECT, (uri, result["uri"])


def test_a_public_root_is_the_index_object_and_needs_it_public(make_config, make_handler):
    both = make_handler(make_config(paths={"public": ["/", "/index.html"]}))
    result = both(event("/"), None)
    assert not is_response(result) and result["uri"] == ROOT_OBJECT
    assert_not_let_in(both(event("//"), None))  # only the canonical spelling is public
    only_root = make_handler(make_config(paths={"public": ["/"]}))
    assert_not_let_in(only_root(event("/"), None))  # "/" is served as /index.html, which is not public


def test_the_index_object_is_the_templates_default_root_object():
    with open(f"{ROOT}/cloudformation.yaml") as f:
        declared = re.search(r"^\s*DefaultRootObject:\s*(\S+)\s*$", f.read(), re.M).group(1)
    assert "/" + declared == ROOT_OBJECT


# -- the same through the built zip ---------------------------------------------------------------------------


def _toml(public: list[str], rules: list[dict], case_sensitive: bool = True) -> str:
    from tests.conftest import STATE_SECRET

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
        f"public = {public!r}".replace("'", '"'),
        f"case_sensitive = {str(case_sensitive).lower()}",
        "[state]",
        f'secret = "{STATE_SECRET}"',
    ]
    for rule in rules:
        lines += [
            "[[rules]]",
            f"paths = {rule['paths']!r}".replace("'", '"'),
            f"groups = {rule['groups']!r}".replace("'", '"'),
        ]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def zip_tools():
    from tests.build.test_build_zip import ShippedZip, build

    return build, ShippedZip  # the zip runs under the best interpreter there is (gatebuild.runtime)


@pytest.fixture(scope="module")
def shipped(zip_tools, tmp_path_factory, keys):
    """Two zips built by build.py and run under python3.13 -I -S: the rules of items 1-3 and 8
    (with a public exception inside a rule, item 6), and the suffix patterns of item 7."""
    build, ShippedZip = zip_tools
    running = {}
    for name, public, rules in (("rules", PUBLIC, RULES), ("suffix", SUFFIX_PUBLIC, FILE_RULES)):
        work = tmp_path_factory.mktemp(name)
        result, out = build(work, _toml(public, rules), keys.jwks())
        assert result.returncode == 0, result.stderr
        running[name] = ShippedZip(out, work)
    yield running
    for zipped in running.values():
        logs = zipped.close()
        assert "Traceback" not in logs


@pytest.mark.zip
@pytest.mark.parametrize("spellings", [PLUS, LITERAL_WILDCARDS, CASE_FOLDS], ids=["1_plus", "2_wildcards", "3_case"])
def test_zip_a_viewer_cannot_reach_a_rule(shipped, keys, spellings):
    failures = failures_of(shipped["rules"].send, spellings, token(keys, "Viewer"), PROTECTED)
    assert not failures, "\n".join(failures)
    assert (
        shipped["rules"].send(event("/Team+Docs/x", headers=FETCH_JSON, cookies=token(keys, "Admin")))["uri"]
        == "/Team%2BDocs/x"
    )


@pytest.mark.zip
def test_zip_public_patterns_open_no_part_of_a_rule(shipped, zip_tools, tmp_path, keys):
    """Item 6: the build refuses "/*.json" beside "/admin/*" (one line, exit 2, no zip); an
    exception written inside a rule is public and the rest of the rule is not."""
    build, _ = zip_tools
    result, out = build(tmp_path, _toml(["/*.json"], [{"paths": ["/admin/*"], "groups": ["Admin"]}]), keys.jwks())
    assert result.returncode == 2 and not out.exists()
    assert result.stderr.strip().startswith("config error: paths.public: '/*.json' would make part of rules[1]")
    assert len(result.stderr.strip().splitlines()) == 1
    rules = shipped["rules"]
    assert "status" not in rules.send(event("/admin/help.html"))
    assert_not_let_in(rules.send(event("/admin/users.json")))
    assert rules.send(event("/admin/users.json", headers=NAVIGATE, cookies=token(keys, "Viewer")))["status"] == "403"


@pytest.mark.zip
def test_zip_public_suffix_patterns_and_files(shipped, keys):
    """Item 7."""
    suffix = shipped["suffix"]
    failures = public_failures(suffix.send)
    failures += failures_of(
        suffix.send,
        ["/secret.html/x", "/secret.html%3Fx", "/reports/q1.pdf/x.css"],
        token(keys, "Viewer"),
        FILE_RULES[0]["paths"],
    )
    assert not failures, "\n".join(failures)
    for uri in STILL_PUBLIC:
        assert suffix.send(event(uri))["uri"] == uri


@pytest.mark.zip
def test_zip_the_root_is_never_a_listing(shipped, keys):
    """Item 8."""
    for uri in ("/", "//", "/x/..", "/%2e", "/%2F"):
        result = shipped["rules"].send(event(uri, headers=NAVIGATE, cookies=token(keys, "Viewer")))
        assert result.get("uri") == ROOT_OBJECT, (uri, result)
