"""The small stand-ins for urllib.parse, hashlib/hmac, base64 and json agree with the stdlib."""

import base64
import hashlib
import hmac
import json
import urllib.parse

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from edge import digest, encoding, log, paths, urls

text = st.text(st.characters(codec="utf-8"), max_size=60)
query_text = st.text(alphabet=st.sampled_from(list("ab=&+%2fAF0é x;")), max_size=40)


@given(text, st.sampled_from(["", "/", "/!$&'()*+,;=:@-._~"]))
def test_quote_matches_urllib(value, safe):
    assert urls.quote(value, safe) == urllib.parse.quote(value, safe=safe)


@given(st.dictionaries(text, text, max_size=5))
def test_urlencode_matches_urllib(fields):
    assert urls.urlencode(fields) == urllib.parse.urlencode(fields, quote_via=urllib.parse.quote)


@given(st.text(alphabet=st.sampled_from(list("a/%2F5c0gGé.")), max_size=40))
def test_unquote_to_bytes_matches_urllib(value):
    assert urls.unquote_to_bytes(value) == urllib.parse.unquote_to_bytes(value)


@given(query_text)
def test_parse_qsl_matches_urllib(query):
    try:
        expected = urllib.parse.parse_qsl(query, keep_blank_values=True, errors="strict", max_num_fields=50)
    except (ValueError, UnicodeDecodeError) as exc:
        expected = type(exc)
    try:
        got = urls.parse_qsl(query, 50)
    except (ValueError, UnicodeDecodeError) as exc:
        got = type(exc)
    if expected is UnicodeDecodeError:
        assert got in (UnicodeDecodeError, ValueError)
    else:
        assert got == expected


def test_parse_qsl_limits_fields():
    with pytest.raises(ValueError):
        urls.parse_qsl("&".join(["a=1"] * 51), 50)


@given(st.binary(max_size=200), st.binary(max_size=100))
def test_hmac_and_sha256_match_hashlib(key, message):
    assert digest.sha256(message) == hashlib.sha256(message).digest()
    assert digest.hmac_sha256(key, message) == hmac.new(key, message, hashlib.sha256).digest()


@given(st.binary(max_size=100))
def test_base64url_round_trip_matches_base64(data):
    encoded = encoding.b64url_encode(data)
    assert encoded == base64.urlsafe_b64encode(data).rstrip(b"=").decode()
    assert encoding.b64url_decode(encoded) == data
    assert encoding.b64_encode(data) == base64.b64encode(data).decode()


@pytest.mark.parametrize("bad", ["a", "ab=", "a+b/", "ab c", "é", "AB==", ""])
def test_base64url_decode_is_strict(bad):
    if bad == "":
        assert encoding.b64url_decode(bad) == b""
        return
    with pytest.raises(ValueError):
        encoding.b64url_decode(bad)


@given(st.one_of(st.none(), st.booleans(), st.integers(), text, st.floats(allow_nan=False, allow_infinity=False)))
def test_log_json_values_parse_back(value):
    assert json.loads(log.json_value(value)) == (str(value) if isinstance(value, str) else value)


@given(
    st.text(alphabet=st.sampled_from(list("ab/*?.")), max_size=8),
    st.text(alphabet=st.sampled_from(list("ab/.")), max_size=12),
)
@settings(max_examples=300)
def test_glob_matches_fnmatch_for_star_and_question_mark(pattern, path):
    import fnmatch

    assert paths.glob_match(pattern, path) == fnmatch.fnmatchcase(path, pattern)


@given(st.text(alphabet=st.sampled_from(list("/aB.-_~%2e5c;=: é\\")), min_size=1, max_size=30).map(lambda s: "/" + s))
@settings(max_examples=500)
def test_normalise_fast_path_agrees_with_the_full_one(uri):
    from edge.errors import BadRequest

    try:
        full = paths.normalise_fully(uri)
    except BadRequest:
        full = "refused"
    try:
        fast = paths.normalise(uri)
    except BadRequest:
        fast = "refused"
    assert fast == full


@given(st.text(max_size=30))
def test_log_values_are_ascii_json_for_any_text(value):
    encoded = log.json_value(value)
    assert encoded.isascii()
    assert json.loads(encoded) == value
