"""edge.paths and gatebuild.config.globs against independent oracles (hypothesis).

- glob_match and the matchers the gate builds for each pattern, against a regular expression made
  from the pattern ('*' -> '.*', '?' -> '.', everything else escaped), on paths that themselves
  hold '*' and '?' (issue 11, item 2: a literal '*' in the path beat the wildcard);
- the case-fold table, against str.upper/str.lower/str.casefold over every code point (item 3);
- gatebuild.config.globs.witness, against trying every short string;
- normalise: "+" never reaches the origin bare (item 1), the root never goes as "/" (item 8),
  what is forwarded normalises to itself, and the cut and PATH_INFO readings are there (item 7).
"""

from __future__ import annotations

import itertools
import re
import sys
import unicodedata

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge import paths
from gatebuild.config import globs

GLOB_CHARS = list("ab/*?.")
patterns = st.text(alphabet=st.sampled_from(GLOB_CHARS), max_size=8).map(lambda s: "/" + s)
texts = st.text(alphabet=st.sampled_from([*GLOB_CHARS, "A", "ı"]), max_size=12).map(lambda s: "/" + s)


def oracle(pattern: str) -> re.Pattern:
    return re.compile("".join(".*" if c == "*" else "." if c == "?" else re.escape(c) for c in pattern), re.DOTALL)


@given(patterns, texts)
@settings(max_examples=1500)
@pytest.mark.slow
def test_glob_match_agrees_with_a_regex_oracle(pattern, text):
    assert paths.glob_match(pattern, text) == bool(oracle(pattern).fullmatch(text))


@given(patterns, texts)
@settings(max_examples=1000)
def test_every_fast_matcher_agrees_with_the_oracle(pattern, text):
    expected = bool(oracle(pattern).fullmatch(text))
    assert paths._matcher(pattern)(text) == expected
    assert paths.Pattern(pattern, case_sensitive=True).exact(text) == expected


@pytest.mark.parametrize(
    "pattern,text,expected",
    [
        ("/*/private/*", "/*team/private/plan.pdf", True),
        ("/reports/*.pdf", "/reports/*q1.pdf", True),
        ("/a?c", "/a?c", True),
        ("/a?c", "/a*c", True),
        ("/a*", "/a", True),
        ("/*.css", "/.css", True),
        ("/*.css", "/css", False),
        ("/a*b*c", "/a*c", False),
        ("/*x*", "/**", False),
        ("/**", "/", True),
    ],
)
def test_glob_examples(pattern, text, expected):
    assert paths.glob_match(pattern, text) is expected
    assert paths._matcher(pattern)(text) is expected


def _expected_fold_table() -> dict[int, str]:
    table = {}
    for code in range(0x80, sys.maxunicode + 1):
        if 0xD800 <= code < 0xE000:
            continue
        char = chr(code)
        for mapping in (char.upper(), char.lower(), char.casefold()):
            letters = "".join(c for c in mapping if not unicodedata.combining(c))
            if letters and letters.isascii() and letters.isalpha():
                assert table.get(code, letters.lower()) == letters.lower(), hex(code)
                table[code] = letters.lower()
    return table


@pytest.mark.slow
def test_the_fold_table_is_complete_for_this_unicode_version():
    """Every character an origin could upper- or lower-case (or case-fold) to ASCII letters is in
    edge.paths._FOLD, and nothing else. A new Unicode version that adds one fails here."""
    assert _expected_fold_table() == paths._FOLD, unicodedata.unidata_version


@pytest.mark.parametrize(
    "char,folded",
    [
        ("\u0131", "i"),
        ("\u017f", "s"),
        ("\u0130", "i"),
        ("\u212a", "k"),
        ("\u00df", "ss"),
        ("\ufb01", "fi"),
        ("\u00e9", "\u00e9"),
        ("A", "a"),
    ],
)
def test_fold_examples(char, folded):
    assert paths.fold("/x" + char) == "/x" + folded


@given(st.text(max_size=20))
def test_fold_is_lower_case_and_idempotent(text):
    folded = paths.fold(text)
    assert paths.fold(folded) == folded
    assert not any("A" <= c <= "Z" or ord(c) in paths._FOLD for c in folded)


WITNESS_ALPHABET = "a/x"
witness_patterns = st.text(alphabet=st.sampled_from(list("a/*?")), max_size=5)


def _brute_force(must, must_not, longest=6):
    for length in range(longest + 1):
        for chars in itertools.product(WITNESS_ALPHABET, repeat=length):
            text = "".join(chars)
            if all(oracle(p).fullmatch(text) for p in must) and not any(oracle(p).fullmatch(text) for p in must_not):
                return text
    return None


@given(st.lists(witness_patterns, min_size=1, max_size=2), st.lists(witness_patterns, max_size=2))
@settings(max_examples=400, deadline=None)
@pytest.mark.slow
def test_witness_agrees_with_brute_force(must, must_not):
    found = globs.witness(must, must_not)
    expected = _brute_force(must, must_not)
    if found is not None:
        assert all(oracle(p).fullmatch(found) for p in must), (found, must)
        assert not any(oracle(p).fullmatch(found) for p in must_not), (found, must_not)
        assert expected is None or len(found) <= len(expected)
    if expected is not None:
        assert found is not None and len(found) == len(expected)


URI_CHARS = [*list("/aB.-_~%2e5c;=:+ éı\\?#"), "%2B", "%3F", "%23", "%2F", "%2e%2e", "x.html"]
uris = st.lists(st.sampled_from(URI_CHARS), min_size=0, max_size=14).map(lambda parts: "/" + "".join(parts))


@given(uris)
@settings(max_examples=1500)
@pytest.mark.slow
def test_what_is_forwarded_is_never_ambiguous_to_s3(uri):
    from edge.errors import BadRequest

    try:
        path = paths.normalise(uri)
    except BadRequest:
        return
    assert "+" not in path.encoded  # S3 would read it as a space
    assert path.encoded != "/"  # S3 would list the bucket
    again = paths.normalise(path.encoded)
    assert again.encoded == path.encoded
    assert path.exacts[0] == path.exact and path.looses[0] == path.loose
    assert paths.normalise_fully(uri) == path  # the fast path gives the same readings


@pytest.mark.parametrize(
    "uri,exacts,looses",
    [
        ("/assets/index-abc.js", ["/assets/index-abc.js"], ["/assets/index-abc.js"]),
        (
            "/admin/secret.html/x.css",
            ["/admin/secret.html/x.css", "/admin/secret.html"],
            ["/admin/secret.html/x.css", "/admin/secret.html"],
        ),
        (
            "/admin/secret.html%3F.css",
            ["/admin/secret.html?.css", "/admin/secret.html"],
            ["/admin/secret.html?.css", "/admin/secret.html"],
        ),
        (
            "/Docs/A.b%23c/d",
            ["/Docs/A.b#c/d", "/Docs/A.b", "/Docs/A.b#c"],
            ["/docs/a.b#c/d", "/docs/a.b", "/docs/a.b#c"],
        ),
        ("/", ["/", "/index.html"], ["/", "/index.html"]),
        ("/adm%C4%B1n", ["/adm\u0131n"], ["/admin"]),
    ],
)
def test_readings(uri, exacts, looses):
    path = paths.normalise(uri)
    assert sorted(path.exacts) == sorted(exacts)
    assert sorted(path.looses) == sorted(looses)


def test_the_build_gives_up_loudly_on_patterns_too_complex_to_compare(monkeypatch):
    from gatebuild import config as gate_config
    from tests.conftest import raw_config

    monkeypatch.setattr(globs, "MAX_STATES", 3)
    with pytest.raises(globs.TooComplex):
        globs.witness(["/*a*b*"], ["/*b*a*"])
    rules = [{"paths": ["/*a*b*"], "groups": ["A"]}, {"paths": ["/*b*a*"], "groups": ["B"]}]
    with pytest.raises(gate_config.ConfigFileError, match="too complex to check for overlaps"):
        gate_config.validate(raw_config("https://idp.example.com", rules=rules))
