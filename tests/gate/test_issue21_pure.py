"""Issue 21's pure decisions against independent statements of their rules (hypothesis).

- Identity headers: an origin behind WSGI/CGI reads a header as the environ key
  `HTTP_` + upper-case name with `-` as `_` (PEP 3333, CGI RFC 3875 4.1.18); whatever maps to
  HTTP_X_GATE_SUB or HTTP_X_GATE_GROUPS must never reach it from a viewer.
- A bearer token's purpose (accept_bearer): RFC 9068 2.2 `aud` and `scope` (space-separated),
  Entra/Okta `scp`.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.api import check_bearer_purpose
from edge.errors import TokenInvalid
from edge.identity_headers import strip_identity_headers

WSGI_IDENTITY = {"HTTP_X_GATE_SUB", "HTTP_X_GATE_GROUPS"}


def wsgi_key(name: str) -> str:
    return "HTTP_" + name.upper().replace("-", "_")


def _mix_case(draw, text):
    flips = draw(st.lists(st.booleans(), min_size=len(text), max_size=len(text)))
    return "".join(c.upper() if f else c.lower() for c, f in zip(text, flips, strict=True))


@st.composite
def header_names(draw):
    base = draw(st.sampled_from(["x-gate-sub", "x-gate-groups", "x-gate-subs", "x-gate", "x-gate-reason", "accept"]))
    seps = draw(st.lists(st.sampled_from(["-", "_"]), min_size=base.count("-"), max_size=base.count("-")))
    parts = base.split("-")
    name = parts[0] + "".join(s + p for s, p in zip(seps, parts[1:], strict=True))
    return _mix_case(draw, name)


@given(st.lists(st.tuples(header_names(), header_names()), max_size=6))
def test_no_header_an_origin_reads_as_an_identity_header_survives(pairs):
    headers = {}
    for key_name, entry_name in pairs:
        headers.setdefault(key_name.lower(), []).append({"key": entry_name, "value": "forged"})
    strip_identity_headers(headers)
    for name, entries in headers.items():
        assert wsgi_key(name) not in WSGI_IDENTITY
        for entry in entries:
            assert wsgi_key(entry["key"]) not in WSGI_IDENTITY
    # and nothing else was removed
    kept = {
        k
        for k, _ in pairs
        if wsgi_key(k) not in WSGI_IDENTITY
        and all(wsgi_key(e) not in WSGI_IDENTITY for kk, e in pairs if kk.lower() == k.lower())
    }
    assert {k.lower() for k in kept} <= set(headers)


WORDS = st.sampled_from(["api", "api/read", "api/write", "openid", "https://api.example", "other"])


@given(
    aud=st.one_of(st.none(), WORDS, st.lists(WORDS, max_size=3), st.integers()),
    scope=st.one_of(st.none(), st.lists(WORDS, max_size=3).map(" ".join), st.integers()),
    scp=st.one_of(st.none(), st.lists(WORDS, max_size=3)),
    audiences=st.lists(WORDS, max_size=2, unique=True).map(tuple),
    scopes=st.lists(WORDS, max_size=2, unique=True).map(tuple),
)
def test_a_bearer_token_passes_only_when_meant_for_this_api(aud, scope, scp, audiences, scopes):
    claims = {k: v for k, v in {"aud": aud, "scope": scope, "scp": scp}.items() if v is not None}
    token_auds = set(aud if isinstance(aud, list) else [aud]) if isinstance(aud, (str, list)) else set()
    granted = set(scope.split()) if isinstance(scope, str) else set()
    granted |= set(scp or [])
    expected = bool(audiences or scopes)
    if audiences:
        expected = expected and bool(token_auds & set(audiences))
    if scopes:
        expected = expected and set(scopes) <= granted
    try:
        check_bearer_purpose(claims, audiences, scopes)
        passed = True
    except TokenInvalid:
        passed = False
    assert passed is expected


def test_nothing_configured_means_no_bearer_token_passes():
    with pytest.raises(TokenInvalid):
        check_bearer_purpose({"aud": "x", "scope": "api"}, (), ())
