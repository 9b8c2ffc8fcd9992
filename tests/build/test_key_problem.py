"""One RSA key-strength check (edge.jwks.key_problem) for the gate and the build (issue 12): the
build refuses exactly the keys the gate would refuse at request time, with the reason the gate logs."""

import base64
import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from edge.errors import TokenInvalid
from edge.jwks import MIN_RSA_BITS, construct_key, key_problem
from gatebuild import builder
from gatebuild.builder import BuildError


def b64(number: int) -> str:
    return (
        base64.urlsafe_b64encode(number.to_bytes(max(1, (number.bit_length() + 7) // 8), "big")).rstrip(b"=").decode()
    )


def jwk(bits: int, exponent: int) -> dict:
    return {"kty": "RSA", "kid": "k", "alg": "RS256", "n": b64((1 << (bits - 1)) | 1), "e": b64(exponent)}


class Tokens:
    algorithms = ("RS256",)


class Endpoints:
    jwks = "unused"


class Config:
    tokens = Tokens()
    endpoints = Endpoints()


def build_refusal(key: dict, tmp_path) -> str | None:
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [key]}))
    try:
        builder._load_jwks(Config(), str(path))
    except BuildError as exc:
        assert exc.exit_code == 2
        return str(exc)
    return None


@given(bits=st.integers(min_value=16, max_value=4096), exponent=st.integers(min_value=0, max_value=70000))
def test_key_problem_is_what_an_independent_rule_says(bits, exponent):
    """Oracle: RFC 8017 keys of at least MIN_RSA_BITS bits with an odd exponent of at least 3."""
    problem = key_problem(jwk(bits, exponent))
    safe = bits >= MIN_RSA_BITS and exponent >= 3 and exponent % 2 == 1
    assert (problem is None) == safe
    if problem is not None:
        assert problem[0] == "weak_jwk"


@pytest.mark.parametrize(
    "key,reason,message",
    [
        (
            jwk(1024, 65537),
            "weak_jwk",
            "JWKS key 'k' is 1024-bit RSA; the gate requires at least 2048: use a 2048-bit or larger key at the IdP",
        ),
        (jwk(2048, 1), "weak_jwk", "JWKS key 'k' has the unsafe RSA exponent 1; use 65537 at the IdP"),
        (jwk(2048, 65536), "weak_jwk", "JWKS key 'k' has the unsafe RSA exponent 65536; use 65537 at the IdP"),
        (
            dict(jwk(2048, 65537), n="!!not base64!!"),
            "bad_jwk",
            "JWKS key 'k' has a malformed modulus or exponent; check the JWKS",
        ),
    ],
)
def test_the_gate_and_the_build_refuse_the_same_keys(key, reason, message, tmp_path):
    with pytest.raises(TokenInvalid) as refused:
        construct_key(key, "RS256")
    assert refused.value.reason == reason
    assert build_refusal(key, tmp_path) == message
