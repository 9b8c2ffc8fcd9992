"""gatebuild.config.overlap against independent oracles (hypothesis), and the [[apis]] policy it
serves (issue 21, confirmed finding 1: `public = ["/*.json"]` beside `[[apis]] paths = ["/api/*"]`
built, and /api/users.json reached the API with no session).

Two oracles, neither calling the checker's code (nor gatebuild.config.globs):

- `meet(a, b)`: whether some string matches both patterns, by recursion on the patterns
  themselves ('*' matches nothing, or eats what the other pattern's first token produces), not
  by walking automata; a sample the checker gives is verified with `re` (`as_regex`).
- `strings(...)`: every string over the patterns' own characters plus one they do not name, up to
  a bound, matched with `re`: the brute-force statement of inclusion. The bound: a '*' or '?'
  treats all characters the patterns do not name alike, so one such character stands for all.

Patterns here are ASCII, so the oracles' case folding is str.lower; the Unicode folds the gate
also applies (edge.paths.fold: "ı" as "i", ...) are shown by one example below.
"""

from __future__ import annotations

import functools
import itertools
import re

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access import AccessPolicy
from edge.api import ApiPaths
from edge.errors import BadRequest
from edge.paths import normalise
from gatebuild.config import ConfigFileError, validate
from gatebuild.config.overlap import covers, first_overlap, forms, overlapping
from tests.conftest import raw_config

OTHER = "x"  # a character no generated pattern names
TOKENS = ["a", "A", "b", ".", "/", "*", "?"]
patterns = st.lists(st.sampled_from(TOKENS), min_size=0, max_size=4).map(lambda t: "/" + "".join(t))


def as_regex(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


def oracle_forms(case_sensitive: bool):
    return (lambda s: s, str.lower) if case_sensitive else (str.lower,)


@functools.cache
def meet(a: str, b: str) -> bool:
    """Some string matches both globs ('*' any characters, '?' exactly one)."""
    if not a or not b:
        rest = a or b
        return all(c == "*" for c in rest)
    if a[0] == "*":
        # a's star matches nothing more, or takes what b's first token makes (if that is b's own
        # star, the shorter of the two stars can be taken as empty)
        return meet(a[1:], b) or meet(a, b[1:])
    if b[0] == "*":
        return meet(b, a)
    return (a[0] == b[0] or "?" in (a[0], b[0])) and meet(a[1:], b[1:])


def strings(*patterns_: str, extra: int = 1):
    """Every path ("/" and then any characters of the patterns' own, or OTHER) no longer than
    the patterns' characters other than '*' together, plus `extra`."""
    alphabet = sorted({c for p in patterns_ for c in p if c not in "*?"} | {OTHER})
    longest = sum(len(p.replace("*", "")) for p in patterns_) + extra
    for length in range(longest):
        for chars in itertools.product(alphabet, repeat=length):
            yield "/" + "".join(chars)


@settings(max_examples=400, deadline=None)
@given(a=patterns, b=patterns, case_sensitive=st.booleans())
def test_overlapping_finds_a_shared_path_exactly_when_there_is_one(a, b, case_sensitive):
    sample = overlapping(a, b, case_sensitive)
    exists = any(meet(f(a), f(b)) for f in oracle_forms(case_sensitive))
    assert (sample is not None) == exists, (a, b, case_sensitive, sample)
    if sample is not None:
        assert any(
            as_regex(f(a)).fullmatch(sample) and as_regex(f(b)).fullmatch(sample) for f in oracle_forms(case_sensitive)
        ), sample
    assert (overlapping(b, a, case_sensitive) is None) == (sample is None)


small_patterns = st.lists(st.sampled_from(["a", "A", ".", "/", "*", "?"]), max_size=3).map(lambda t: "/" + "".join(t))


@settings(max_examples=150, deadline=None)
@given(
    a=small_patterns,
    b=small_patterns,
    case_sensitive=st.booleans(),
)
def test_covers_agrees_with_trying_every_short_string(a, b, case_sensitive):
    """covers(a, b): nothing b matches escapes a, in each form."""
    escapes = [
        s
        for f in oracle_forms(case_sensitive)
        for s in strings(f(a), f(b))
        if as_regex(f(b)).fullmatch(s) and not as_regex(f(a)).fullmatch(s)
    ]
    assert covers(a, b, case_sensitive) == (not escapes), (a, b, case_sensitive, escapes[:3])


def test_forms_and_first_overlap_name_the_pair_and_a_path():
    assert len(forms(True)) == 2 and len(forms(False)) == 1
    assert first_overlap(["/api/*"], ["/favicon.ico", "/*.json"]) == ("/api/*", "/*.json", "/api/.json")
    assert first_overlap(["/api/*"], ["/favicon.ico", "/assets/*"]) is None
    assert overlapping("/API/*", "/api/*", case_sensitive=True) == "/api/"  # a case-insensitive origin
    assert overlapping("/ı/*", "/i/*", case_sensitive=True) is not None  # U+0131 folds to "i" (edge.paths.fold)


# -- the [[apis]] policy: the build refuses every overlap, and what builds has no public API path --------------


def _validate(public, apis, case_sensitive=True):
    raw = raw_config("https://idp.example.com", paths={"public": public, "case_sensitive": case_sensitive}, rules=[])
    raw["apis"] = [{"paths": list(p)} for p in apis]
    raw["assets"] = {"paths": []}  # public vs API only: the default /assets/* would meet an API "/a*" (issue 20)
    return validate(raw)[0]


def test_the_issue_example_is_refused_in_one_line():
    with pytest.raises(ConfigFileError) as refused:
        _validate(["/*.json"], [["/api/*"]])
    assert str(refused.value) == (
        "paths.public: '/*.json' would make part of apis[1].paths '/api/*' public (both match '/api/.json'); "
        "an API path needs a session: narrow the public pattern so it stays outside the API"
    )


@pytest.mark.parametrize(
    "public, apis, case_sensitive, expected",
    [
        (["/*.json"], [["/api/*"]], True, "'/*.json' would make part of apis[1].paths '/api/*' public"),
        (["/api/health"], [["/api/*"]], True, "'/api/health' would make part of apis[1].paths '/api/*'"),
        (["/API/*"], [["/api/*"]], True, "'/API/*' would make part of apis[1].paths '/api/*'"),
        (["/ı*"], [["/i/*"]], True, "'/ı*' would make part of apis[1].paths '/i/*'"),
        (["/assets/*"], [["/v1/*"], ["/*/data"]], True, "apis[2].paths '/*/data'"),
        (["/public/*"], [["/public/*"]], True, "apis[1].paths: '/public/*' is also public in paths.public"),
        (["/*"], [["/api/*"]], False, "apis[1].paths: '/api/*' is also public in paths.public"),
    ],
)
def test_every_overlap_of_an_api_with_a_public_pattern_is_refused(public, apis, case_sensitive, expected):
    with pytest.raises(ConfigFileError) as refused:
        _validate(public, apis, case_sensitive)
    message = str(refused.value)
    assert expected in message and "\n" not in message


def test_disjoint_public_and_api_patterns_build():
    config = _validate(["/favicon.ico", "/assets/*", "/*.css"], [["/api/*.json", "/v2/*/data"]])
    assert config.apis[0].paths == ("/api/*.json", "/v2/*/data")


# Request paths built from pieces that change a reading: encoded "?"/"#", ";" and ":" (loose
# reading), dotted directories (PATH_INFO prefixes), case and Unicode folds, dot segments.
PIECES = ["a", "A", "b", ".", "/", "json", ".json", ".css", "%3F", "%23", ";", ":", "..", "%2e", "%C4%B1", "%2F", "x"]


def resolved(pattern: str) -> bool:
    """Written as a resolved path (the build refuses the rest as never matching)."""
    return not ("//" in pattern or "/./" in pattern or "/../" in pattern or pattern.endswith(("/.", "/..")))


config_patterns = (
    st.lists(st.sampled_from(["a", "A", "b", ".", "/", "*", "?", ".json"]), max_size=4)
    .map(lambda t: "/" + "".join(t))
    .filter(resolved)
)
public_patterns = st.lists(config_patterns, min_size=1, max_size=3)


@settings(max_examples=300, deadline=None)
@given(
    public=public_patterns,
    api=config_patterns,
    case_sensitive=st.booleans(),
    uris=st.lists(st.lists(st.sampled_from(PIECES), max_size=6).map(lambda t: "/" + "".join(t)), max_size=8),
)
def test_what_builds_never_makes_an_api_path_public(public, api, case_sensitive, uris):
    """Refused exactly when the oracle finds a public pattern and the API pattern meeting in some
    form; and when it builds, no request path both passes as public and is one the API answers
    (the gate's own AccessPolicy and ApiPaths decide, on every reading)."""
    meets = any(meet(f(p), f(api)) for p in public for f in oracle_forms(case_sensitive))
    try:
        config = _validate(public, [[api]], case_sensitive)
    except ConfigFileError as refused:
        assert meets, (public, api, str(refused))
        assert "apis[1].paths" in str(refused) and "\n" not in str(refused)
        return
    assert not meets, (public, api)
    policy = AccessPolicy(config.paths, config.rules)
    api_paths = ApiPaths(config, None, None, None, None, None)  # match() needs only the config
    for uri in [*uris, api.replace("*", "x").replace("?", "y")]:
        try:
            path = normalise(uri)
        except BadRequest:  # answered 400 before any of this
            continue
        assert not (policy.public_uri(path, uri) is not None and api_paths.match(path) is not None), uri


# -- also noticed: "$" let a trailing newline through ------------------------------------------------------------


@pytest.mark.parametrize(
    "section, values, expected",
    [
        ("branding", {"logo": "/public/logo.svg\n"}, "branding.logo: '/public/logo.svg\\n' must be a plain path"),
        ("branding", {"logo": "https://cdn.example.com/logo.svg\n"}, "branding.logo:"),
        ("branding", {"accent": "#1e40af\n"}, "branding.accent:"),
        ("cookies", {"prefix": "gate\n"}, "cookies.prefix:"),
        ("cookies", {"domain": "example.com\n"}, "cookies.domain:"),
        ("paths", {"callback": "/_gate/cb\n"}, "paths.callback:"),
        ("cognito", {"region": "us-east-1\n"}, "cognito.region:"),
        ("cognito", {"user_pool_id": "us-east-1_Test12345\n"}, "cognito.user_pool_id:"),
        ("entry", {"emails": ["ada@example.com\n"]}, "entry.emails:"),
        ("entry", {"email_domains": ["example.com\n"]}, "entry.email_domains:"),
        ("site", {"url": "https://docs.example.com\n"}, "site.url:"),
        ("idp", {"token_endpoint": "https://auth.example.com/oauth2/token\n"}, "idp.token_endpoint:"),
        ("idp", {"issuer": "https://idp.example.com/\n"}, "idp.issuer:"),
    ],
)
def test_a_value_ending_in_a_newline_is_a_config_mistake(section, values, expected):
    raw = raw_config("https://idp.example.com", **{section: values})
    with pytest.raises(ConfigFileError) as refused:
        validate(raw)
    assert expected in str(refused.value)
