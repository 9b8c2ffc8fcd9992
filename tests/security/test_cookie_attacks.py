"""Cookie headers an attacker (or a confused browser) sends: duplicates, injection, size, bytes, chunks.

tests/gate covers several Cookie headers, first-of-duplicates in the parser, a missing chunk
and stale chunks. Here the same ideas are pushed through the handler with a forged token in
every position, and the forwarded request is checked for gate cookies left behind.
"""

from __future__ import annotations

import time

import pytest

from tests.security.conftest import AT, ID, LOGIN_PREFIX, RT, assert_not_let_in, assert_response, is_response, json_body
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"


@pytest.fixture
def tokens(keys, other_keys):
    class T:
        viewer = keys.id_token(sub="victim-viewer")
        admin = keys.id_token(sub="real-admin", **{"cognito:groups": ["Admin"]})
        forged_admin = other_keys.id_token(sub="attacker", **{"cognito:groups": ["Admin"]})
        expired = keys.id_token(now=int(time.time()) - 7200, **{"cognito:groups": ["Admin"]})

    return T


def send(handler, cookies: list[str], uri="/docs/page", headers=NAVIGATE):
    return handler(event(uri, headers=headers, cookies=cookies), None)


def forwarded_cookie_pairs(result) -> list[str]:
    pairs = []
    for entry in result["headers"].get("cookie", []):
        pairs += [p.strip() for p in entry["value"].split(";") if p.strip()]
    return pairs


def assert_passed_clean(result):
    """Let through, and not one of the gate's cookies goes on to the origin."""
    assert not is_response(result), result
    for pair in forwarded_cookie_pairs(result):
        assert not pair.startswith("__Host-gate-"), pair
        assert "eyJ" not in pair, pair  # no token rides along under another name or after a comma


# -- duplicate names ---------------------------------------------------------------------------


@pytest.mark.parametrize("layout", ["one_header", "two_headers", "three_headers"])
def test_forged_cookie_first_and_genuine_second_never_grants_the_forged_identity(handler, tokens, layout):
    forged, genuine = f"{ID}={tokens.forged_admin}", f"{ID}={tokens.viewer}"
    cookies = {
        "one_header": [f"{forged}; {genuine}"],
        "two_headers": [forged, genuine],
        "three_headers": ["theme=dark", forged, genuine],
    }[layout]
    # the first occurrence wins: the forged one, which is refused (not "the valid one somewhere")
    assert_not_let_in(send(handler, cookies, "/admin/x"))
    assert_not_let_in(send(handler, cookies))
    whoami = send(handler, cookies, "/_gate/me", FETCH_JSON)
    assert whoami["status"] == "401"


@pytest.mark.parametrize("layout", ["one_header", "two_headers"])
def test_genuine_cookie_first_and_forged_second_is_the_genuine_person_only(handler, tokens, layout):
    genuine, forged = f"{ID}={tokens.viewer}", f"{ID}={tokens.forged_admin}"
    cookies = [f"{genuine}; {forged}"] if layout == "one_header" else [genuine, forged]
    assert_passed_clean(send(handler, cookies))  # both copies stripped before the origin
    assert send(handler, cookies, "/admin/x")["status"] == "403"  # still a Viewer, not the forged Admin
    assert json_body(send(handler, cookies, "/_gate/me", FETCH_JSON))["sub"] == "victim-viewer"


def test_expired_admin_first_does_not_fall_back_to_a_later_cookie(handler, tokens):
    cookies = [f"{ID}={tokens.expired}; {ID}={tokens.admin}"]
    assert_not_let_in(send(handler, cookies, "/admin/x"))


@pytest.mark.parametrize(
    "name",
    [
        "__host-gate-id",
        "__HOST-gate-id",
        "__Host-Gate-Id",
        "__Secure-gate-id",
        "gate-id",
        "__Host-gate-id.",
        "__Host-gate-id.0",
        "__Host-gate-id%20",
        "__Host-gate-id\u200b",
        "__Host-gate-at",
        "__Host-gate-rt",
        "__Host-gate-login-x",
    ],
)
def test_a_genuine_token_under_a_lookalike_name_is_not_a_session(handler, tokens, name):
    """Only the exact cookie name counts; neighbours and lookalikes are never read as the ID token."""
    assert_not_let_in(send(handler, [f"{name}={tokens.admin}"], headers=FETCH_JSON))


def test_whitespace_around_the_name_is_the_same_cookie(handler, tokens):
    assert_passed_clean(send(handler, [f"  {ID}  ={tokens.viewer}"]))


# -- injection through ; and , ---------------------------------------------------------------------


@pytest.mark.parametrize(
    "header",
    [
        "theme=dark;{ID}={forged}",
        "theme=dark;;;{ID}={forged}",
        'theme="dark; {ID}={forged}"',
        "theme=dark, {ID}={forged}",
        "theme=dark,{ID}={forged}",
        "{ID}={forged}, {ID}={genuine}",
        "{ID}={forged};{ID}={genuine}",
        "{ID}={forged}\r\n{ID}={genuine}",
        "{ID}={forged}%3B{ID}={genuine}",
        "{ID}={forged}%3b%20{ID}={genuine}",
        "{ID}={forged}&{ID}={genuine}",
        "{ID}= {forged} ; {ID}={genuine}",
        "{ID}=={forged}",
        "={ID}={forged}",
        "{ID}",
        "{ID}=",
        "{ID}=;{ID}={forged}",
    ],
)
def test_injection_through_separators_never_passes_a_forged_token(handler, tokens, header):
    line = header.format(ID=ID, forged=tokens.forged_admin, genuine=tokens.admin)
    for uri, headers in (("/admin/x", NAVIGATE), ("/docs", FETCH_JSON)):
        assert_not_let_in(send(handler, [line], uri, headers))


def test_genuine_token_after_a_comma_is_not_read_and_never_leaks_to_the_origin(handler, tokens):
    """`a=1, ID=tok` is one cookie `a` (RFC 6265); with a real session first, nothing leaks on."""
    line = f"{ID}={tokens.viewer}; theme=dark"
    assert_passed_clean(send(handler, [line]))
    # the comma form carries no session: refused, not silently accepted
    assert_not_let_in(send(handler, [f"theme=dark, {ID}={tokens.viewer}"], headers=FETCH_JSON))


def test_empty_and_odd_cookie_entries_are_ignored(handler, tokens):
    for entries in (
        [{"key": "Cookie"}],
        [{"key": "Cookie", "value": None}],
        [{"key": "Cookie", "value": 5}],
        ["not-a-dict"],
        [None],
        [{"key": "Cookie", "value": ["a=1"]}],
    ):
        ev = event("/docs", headers=NAVIGATE)
        ev["Records"][0]["cf"]["request"]["headers"]["cookie"] = entries
        result = handler(ev, None)
        assert_not_let_in(result)
        assert result["status"] == "302"
    ev = event("/docs", headers=NAVIGATE, cookies=[f"{ID}={tokens.viewer}"])
    ev["Records"][0]["cf"]["request"]["headers"]["cookie"].insert(0, {"key": "Cookie", "value": None})
    assert_passed_clean(handler(ev, None))


# -- oversized ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "shape", ["many_small", "one_huge", "many_headers", "huge_then_token", "token_then_huge", "hundred_kb"]
)
def test_oversized_cookie_headers_answer_quickly_and_never_open(handler, tokens, shape):
    junk = {
        "many_small": [";".join(f"c{i}={i}" for i in range(3000))],
        "one_huge": ["big=" + "x" * 64_000],
        "many_headers": [f"c{i}=v{i}" for i in range(2000)],
        "huge_then_token": ["big=" + "x" * 21_000, f"{ID}={tokens.admin}"],  # past CloudFront's 20 KB
        "token_then_huge": [f"{ID}={tokens.forged_admin}", "big=" + "x" * 21_000],
        "hundred_kb": ["x=" + "y" * 100_000, f"{ID}={tokens.forged_admin}"],
    }[shape]
    started = time.perf_counter()
    result = send(handler, junk, "/admin/x")
    assert time.perf_counter() - started < 1.0
    assert_not_let_in(result)  # a session behind more than a request can carry is not read


def test_a_genuine_session_with_big_unrelated_cookies_passes_and_keeps_them(handler, tokens):
    cookies = [f"{ID}={tokens.viewer}", "; ".join(f"site{i}=" + "v" * 50 for i in range(100))]
    result = send(handler, cookies)
    assert_passed_clean(result)
    assert len(forwarded_cookie_pairs(result)) == 100


BROWSER_COOKIE_LIMIT = 180  # Chromium keeps at most 180 cookies per domain; Firefox fewer


@pytest.mark.parametrize("uri", ["/docs", "/_gate/sign-out", "/_gate/signed-out"])
def test_as_many_gate_cookies_as_a_browser_can_hold_still_get_a_real_answer(handler, uri):
    """Every pending-login and chunk cookie is cleared; with a browser's maximum that still fits."""
    logins = [f"{LOGIN_PREFIX}{i:016d}={'v' * 43}" for i in range(BROWSER_COOKIE_LIMIT // 2)]
    chunks = [f"{ID}.{i}=v" for i in range(1, BROWSER_COOKIE_LIMIT // 2)]
    result = send(handler, ["; ".join(logins + chunks)], uri)
    assert_response(result)
    assert result["status"] == ("200" if uri.endswith("signed-out") else "302"), result["body"][-300:]


@pytest.mark.parametrize("count", [600, 2000])
def test_more_gate_cookies_than_a_browser_holds_get_a_well_formed_small_answer(handler, count):
    """Only a scripted client can send this; it gets a valid response under 40 KB (possibly the
    502 safety net), never a crash or an oversized answer."""
    flood = "; ".join(f"{LOGIN_PREFIX}{i}=v" for i in range(count))
    for uri in ("/docs", "/_gate/sign-out"):
        result = send(handler, [flood[:16_000]], uri)
        assert_response(result)
        assert result["status"] in {"302", "502"}


# -- bytes -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "value",
    ["caf\u00e9", "\u00c3\u00a9", "\x00", "\x7f", "\udcff", "\ud800", "\u202e", "\ufeff", "tab\there", "\U0001f600"],
)
def test_non_ascii_and_control_bytes_in_cookies(handler, tokens, value):
    # in the ID cookie: never a session
    forged_variant = tokens.admin[:-4] + value
    assert_not_let_in(send(handler, [f"{ID}={forged_variant}"], "/admin/x"))
    assert_not_let_in(send(handler, [f"{ID}={value}"], "/docs", FETCH_JSON))
    # beside a genuine session: passes, other cookie untouched, gate cookie stripped
    result = send(handler, [f"{ID}={tokens.viewer}; other={value}"])
    assert_passed_clean(result)


# -- chunks ----------------------------------------------------------------------------------------


def chunked(name: str, token: str, n: int) -> list[str]:
    size = -(-len(token) // n)
    pieces = [token[i : i + size] for i in range(0, len(token), size)]
    return [f"{name}={len(pieces)}"] + [f"{name}.{i}={p}" for i, p in enumerate(pieces, start=1)]


def test_a_genuine_token_in_chunks_passes(handler, tokens):
    assert_passed_clean(send(handler, ["; ".join(chunked(ID, tokens.viewer, 3))]))


@pytest.mark.parametrize(
    "count", ["0", "9", "99", "-1", "+2", " 2", "2 ", "02", "2.0", "\u0663", "\u00b2", "3", "1e1", "", "x"]
)
def test_bogus_chunk_counts_never_pass(handler, tokens, count):
    """The chunks hold a genuine token, but the count cookie lies: never a session from it,
    unless it is exactly the right count (3 here)."""
    parts = chunked(ID, tokens.admin, 3)[1:]
    result = send(handler, [f"{ID}={count}; " + "; ".join(parts)], "/admin/x", FETCH_JSON)
    if count in ("3", " 3", "3 "):
        assert not is_response(result)
    else:
        assert_not_let_in(result)


def test_a_count_of_nine_reads_no_more_than_nine_chunks(handler, tokens):
    pieces = chunked(ID, tokens.admin, 9)
    assert pieces[0] == f"{ID}=9"
    assert not is_response(send(handler, ["; ".join(pieces)], "/admin/x", FETCH_JSON))
    assert_not_let_in(send(handler, ["; ".join(pieces[:-1])], "/admin/x", FETCH_JSON))


@pytest.mark.parametrize(
    "mutation",
    [
        "missing_first",
        "missing_middle",
        "missing_last",
        "empty_chunk",
        "swapped",
        "extra_forged_chunk",
        "forged_middle",
        "duplicate_chunk_forged_first",
        "count_and_whole_token",
    ],
)
def test_tampered_chunks_never_pass(handler, tokens, mutation):
    count, c1, c2, c3 = chunked(ID, tokens.admin, 3)
    f1, f2, f3 = chunked(ID, tokens.forged_admin, 3)[1:]
    cookies = {
        "missing_first": [count, c2, c3],
        "missing_middle": [count, c1, c3],
        "missing_last": [count, c1, c2],
        "empty_chunk": [count, c1, f"{ID}.2=", c3],
        "swapped": [count, c2.replace(".2=", ".1="), c1.replace(".1=", ".2="), c3],
        "extra_forged_chunk": [f"{ID}=4", c1, c2, c3, f"{ID}.4=AAAA"],
        "forged_middle": [count, c1, f2, c3],
        "duplicate_chunk_forged_first": [count, f1, c1, f2, c2, f3, c3],
        "count_and_whole_token": [f"{ID}={tokens.forged_admin}", c1, c2, c3],
    }[mutation]
    assert_not_let_in(send(handler, ["; ".join(cookies)], "/admin/x", FETCH_JSON))


def test_every_chunk_is_stripped_before_the_origin(handler, tokens):
    cookies = [*chunked(ID, tokens.viewer, 4), f"{AT}.1=x", f"{RT}=y", f"{RT}.2=z", f"{LOGIN_PREFIX}abc=q", "keep=me"]
    result = send(handler, ["; ".join(cookies)])
    assert_passed_clean(result)
    assert forwarded_cookie_pairs(result) == ["keep=me"]
