"""Hostile ID tokens, driven through the HANDLER as the `__Host-gate-id` cookie.

tests/gate/test_tokens.py proves the verifier's reason codes. Here every forged token is sent
the way an attacker would: on a page navigation, on the admin area, on an asset, to who-am-I
and to sign-in. None may pass, who-am-I must say 401, sign-in must start a real login.
"""

from __future__ import annotations

import json
import time

import pytest

import edge.handler as edge_handler
from tests.security.conftest import ID, assert_token_refused, is_response, json_body, protected_checks
from tests.security.forge import claims_of, hmac_token, parts, sign_raw, unsigned, with_payload
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, event
from tests.support.tokens import Keys, b64url

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

NESTED = 5000


def admin_claims(keys, **extra):
    return keys.id_claims(**{"cognito:groups": ["Admin"], **extra})


def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


def _dup(keys, claims: dict, key: str, first, second) -> bytes:
    """A JSON object with `key` twice: parsers disagree on which one wins."""
    body = json.dumps({k: v for k, v in claims.items() if k != key})[:-1]
    return f'{body}, "{key}": {json.dumps(first)}, "{key}": {json.dumps(second)}}}'.encode()


def _exp(keys, raw_exp: str) -> bytes:
    claims = admin_claims(keys)
    claims.pop("exp")
    return (json.dumps(claims)[:-1] + f', "exp": {raw_exp}}}').encode()


# name -> builder(keys, other_keys, idp_base) -> token
ATTACKS = {
    # -- algorithm confusion
    "alg_none_empty_sig": lambda k, o, b: unsigned({"alg": "none", "kid": k.kid}, admin_claims(k)),
    "alg_None_empty_sig": lambda k, o, b: unsigned({"alg": "None", "kid": k.kid}, admin_claims(k)),
    "alg_NONE_empty_sig": lambda k, o, b: unsigned({"alg": "NONE", "kid": k.kid}, admin_claims(k)),
    "alg_nOnE_no_kid": lambda k, o, b: unsigned({"alg": "nOnE"}, admin_claims(k)),
    "alg_none_with_real_sig": lambda k, o, b: (
        f"{b64url(json.dumps({'alg': 'none', 'kid': k.kid}).encode())}."
        f"{parts(k.id_token())[1]}.{parts(k.id_token())[2]}"
    ),
    "alg_none_two_parts": lambda k, o, b: unsigned({"alg": "none"}, admin_claims(k))[:-1],
    "alg_missing": lambda k, o, b: unsigned({"kid": k.kid}, admin_claims(k), "c2ln"),
    "alg_list": lambda k, o, b: sign_raw(k, {"alg": ["RS256"], "kid": k.kid}, admin_claims(k)),
    "alg_lowercase_rs256": lambda k, o, b: sign_raw(k, {"alg": "rs256", "kid": k.kid}, admin_claims(k)),
    "alg_rs256_trailing_space": lambda k, o, b: sign_raw(k, {"alg": "RS256 ", "kid": k.kid}, admin_claims(k)),
    "hs256_public_key_pem": lambda k, o, b: hmac_token(k.public_pem(), {"alg": "HS256", "kid": k.kid}, admin_claims(k)),
    "hs256_public_key_pem_no_newline": lambda k, o, b: hmac_token(
        k.public_pem().strip(), {"alg": "HS256", "kid": k.kid}, admin_claims(k)
    ),
    "hs256_public_key_jwk": lambda k, o, b: hmac_token(
        json.dumps(k.public_jwk()).encode(), {"alg": "HS256", "kid": k.kid}, admin_claims(k)
    ),
    "hs256_modulus_bytes": lambda k, o, b: hmac_token(
        k.private_key.public_key().public_numbers().n.to_bytes(256, "big"),
        {"alg": "HS256", "kid": k.kid},
        admin_claims(k),
    ),
    "hs512_public_key_pem": lambda k, o, b: hmac_token(
        k.public_pem(), {"alg": "HS512", "kid": k.kid}, admin_claims(k), alg="HS512"
    ),
    "rs384_not_allowlisted": lambda k, o, b: sign_raw(k, {"alg": "RS384", "kid": k.kid}, admin_claims(k), alg="RS384"),
    "ps256_right_key": lambda k, o, b: sign_raw(k, {"alg": "PS256", "kid": k.kid}, admin_claims(k), pss=True),
    "pss_signature_labelled_rs256": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid}, admin_claims(k), pss=True
    ),
    "es256_label": lambda k, o, b: unsigned({"alg": "ES256", "kid": k.kid}, admin_claims(k), "c2ln"),
    # -- kid
    "kid_missing": lambda k, o, b: sign_raw(k, {"alg": "RS256"}, admin_claims(k)),
    "kid_null": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": None}, admin_claims(k)),
    "kid_empty": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": ""}, admin_claims(k)),
    "kid_unknown": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": "not-a-key"}, admin_claims(k)),
    "kid_path_traversal": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": "../../../../etc/passwd"}, admin_claims(k)
    ),
    "kid_dev_null": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": "/dev/null"}, admin_claims(k)),
    "kid_sql": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": "' OR '1'='1"}, admin_claims(k)),
    "kid_url": lambda k, o, b: sign_raw(o, {"alg": "RS256", "kid": f"{b}/evil-jwks"}, admin_claims(o)),
    "kid_huge": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": "k" * 10_000}, admin_claims(k)),
    "kid_number": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": 1}, admin_claims(k)),
    "kid_object": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": {"kid": k.kid}}, admin_claims(k)),
    "kid_list": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": [k.kid]}, admin_claims(k)),
    "kid_right_but_case": lambda k, o, b: sign_raw(o, {"alg": "RS256", "kid": k.kid.upper()}, admin_claims(o)),
    # -- keys offered by the token itself
    "embedded_jwk_attacker_key": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": k.kid, "jwk": o.public_jwk()}, admin_claims(o)
    ),
    "embedded_jwk_unknown_kid": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": "attacker", "jwk": {**o.public_jwk(), "kid": "attacker"}}, admin_claims(o)
    ),
    "jku_attacker_jwks": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": "attacker", "jku": f"{b}/evil-jwks"}, admin_claims(o)
    ),
    "x5u_attacker_cert": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": k.kid, "x5u": f"{b}/evil-cert"}, admin_claims(o)
    ),
    "x5c_attacker_chain": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": k.kid, "x5c": ["MIIBIjANBg"]}, admin_claims(o)
    ),
    "crit_header": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid, "crit": ["exp"], "exp": 1}, admin_claims(k)
    ),
    # -- signatures
    "signature_stripped": lambda k, o, b: ".".join(parts(k.id_token(**{"cognito:groups": ["Admin"]}))[:2]) + ".",
    "signature_missing_part": lambda k, o, b: ".".join(parts(k.id_token(**{"cognito:groups": ["Admin"]}))[:2]),
    "signature_truncated": lambda k, o, b: k.id_token(**{"cognito:groups": ["Admin"]})[:-20],
    "signature_one_byte_short": lambda k, o, b: k.id_token(**{"cognito:groups": ["Admin"]})[:-2],
    "signature_bit_flipped": lambda k, o, b: (lambda t: t[:-5] + ("A" if t[-5] != "A" else "B") + t[-4:])(
        k.id_token(**{"cognito:groups": ["Admin"]})
    ),
    "signature_doubled": lambda k, o, b: (lambda t: t + parts(t)[2])(k.id_token()),
    "signature_padded": lambda k, o, b: k.id_token() + "==",
    "signature_all_zero": lambda k, o, b: ".".join(parts(k.id_token())[:2]) + "." + b64url(bytes(256)),
    "signature_from_another_token": lambda k, o, b: (
        ".".join(parts(k.id_token(**{"cognito:groups": ["Admin"]}))[:2]) + "." + parts(k.id_token())[2]
    ),
    "signature_from_another_key_same_kid": lambda k, o, b: o.id_token(**{"cognito:groups": ["Admin"]}),
    # -- payloads
    "payload_swapped_to_admin": lambda k, o, b: with_payload(k.id_token(), admin_claims(k)),
    "payload_swapped_from_another_user": lambda k, o, b: with_payload(
        k.id_token(), claims_of(k.id_token(sub="victim", **{"cognito:groups": ["Admin"]}))
    ),
    "payload_non_json_signed": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, b"not json at all"),
    "payload_json_array_signed": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, b'[{"sub":"x"}]'),
    "payload_json_string_signed": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, b'"admin"'),
    "payload_latin1_signed": lambda k, o, b: sign_raw(
        k,
        {"alg": "RS256", "kid": k.kid},
        json.dumps(admin_claims(k), ensure_ascii=False).replace("ada", "\u00e1da").encode("latin-1"),
    ),
    # parsed before the signature is checked, so by anyone: must be refused, never crash
    "payload_deeply_nested_attacker": lambda k, o, b: sign_raw(
        o, {"alg": "RS256", "kid": k.kid}, (json.dumps(admin_claims(o))[:-1] + f', "x": {_nested(NESTED)}}}').encode()
    ),
    "header_deeply_nested_attacker": lambda k, o, b: sign_raw(
        o, f'{{"alg":"RS256","kid":"{k.kid}","x":{_nested(NESTED)}}}'.encode(), admin_claims(o)
    ),
    "header_nested_objects_attacker": lambda k, o, b: sign_raw(
        o, ('{"alg":"RS256","kid":"key-1","x":' + '{"a":' * NESTED + "1" + "}" * NESTED + "}").encode(), admin_claims(o)
    ),
    "header_non_json": lambda k, o, b: f"{b64url(b'RS256')}.{parts(k.id_token())[1]}.{parts(k.id_token())[2]}",
    "header_json_array": lambda k, o, b: sign_raw(k, b'[{"alg":"RS256","kid":"key-1"}]', admin_claims(k)),
    "header_duplicate_alg": lambda k, o, b: sign_raw(k, b'{"alg":"none","alg":"RS256","kid":"key-1"}', admin_claims(k)),
    "header_duplicate_kid": lambda k, o, b: sign_raw(
        o, b'{"alg":"RS256","kid":"key-1","kid":"other"}', admin_claims(o)
    ),
    "duplicate_groups_claim": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid}, _dup(k, k.id_claims(), "cognito:groups", ["Viewer"], ["Admin"])
    ),
    "duplicate_sub_claim": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid}, _dup(k, admin_claims(k), "sub", "ada", "admin")
    ),
    "duplicate_aud_claim": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid}, _dup(k, admin_claims(k), "aud", "another-client", k.client_id)
    ),
    "duplicate_exp_claim": lambda k, o, b: sign_raw(
        k, {"alg": "RS256", "kid": k.kid}, _dup(k, admin_claims(k), "exp", 1, int(time.time()) + 3600)
    ),
    # -- size and encoding
    "huge_token_20kb": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, admin_claims(k, pad="x" * 15_000)),
    "huge_header_100kb": lambda k, o, b: f"{b64url(b'{' + b' ' * 100_000 + b'}')}.e30.c2ln",
    "non_ascii_token": lambda k, o, b: k.id_token()[:-3] + "\u00e9\u00e9\u00e9",
    "base64_standard_alphabet": lambda k, o, b: k.id_token().replace("-", "+").replace("_", "/"),
    "whitespace_inside": lambda k, o, b: (lambda t: t[:40] + " " + t[40:])(k.id_token()),
    "bearer_prefix": lambda k, o, b: "Bearer%20" + o.id_token(),
    "four_parts": lambda k, o, b: o.id_token() + "." + parts(k.id_token())[2],
    "quoted_value": lambda k, o, b: '"' + o.id_token() + '"',
    # -- claims (all validly signed by the IdP's key)
    "exp_string": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, '"9999999999"')),
    "exp_huge_int": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "9" * 40)),
    "exp_very_long_int": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "9" * 5000)),
    "exp_huge_float": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "1e300")),
    "exp_overflowing_float": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "1e999")),
    "exp_Infinity": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "Infinity")),
    "exp_NaN": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "NaN")),
    "exp_true": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "true")),
    "exp_null": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "null")),
    "exp_list": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "[9999999999]")),
    "exp_missing": lambda k, o, b: k.id_token(exp=None, **{"cognito:groups": ["Admin"]}),
    "exp_past_float": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, repr(time.time() - 120.5))),
    "exp_negative": lambda k, o, b: sign_raw(k, {"alg": "RS256", "kid": k.kid}, _exp(k, "-1")),
    "nbf_in_the_future": lambda k, o, b: k.id_token(nbf=int(time.time()) + 600, **{"cognito:groups": ["Admin"]}),
    "iat_in_the_future": lambda k, o, b: k.id_token(iat=int(time.time()) + 600, **{"cognito:groups": ["Admin"]}),
    "nbf_string": lambda k, o, b: k.id_token(nbf="0", **{"cognito:groups": ["Admin"]}),
    "expired_an_hour_ago": lambda k, o, b: k.id_token(now=int(time.time()) - 7200, **{"cognito:groups": ["Admin"]}),
    "access_token_as_id_token": lambda k, o, b: k.access_token(**{"cognito:groups": ["Admin"]}),
    "access_token_use_with_our_aud": lambda k, o, b: k.id_token(token_use="access", **{"cognito:groups": ["Admin"]}),
    "token_use_missing": lambda k, o, b: k.id_token(token_use=None, **{"cognito:groups": ["Admin"]}),
    "another_client_of_the_pool": lambda k, o, b: k.id_token(aud="another-client", **{"cognito:groups": ["Admin"]}),
    "aud_list_other_azp": lambda k, o, b: k.id_token(aud=["another-client", k.client_id], azp="another-client"),
    "aud_list_no_azp": lambda k, o, b: k.id_token(aud=["another-client", k.client_id]),
    "aud_prefix": lambda k, o, b: k.id_token(aud=k.client_id + "-evil"),
    "aud_object": lambda k, o, b: k.id_token(aud={k.client_id: True}),
    "aud_missing": lambda k, o, b: k.id_token(aud=None),
    "client_id_instead_of_aud": lambda k, o, b: k.id_token(aud=None, client_id=k.client_id),
    "wrong_issuer": lambda k, o, b: k.id_token(iss="https://evil.example", **{"cognito:groups": ["Admin"]}),
    "issuer_trailing_slash": lambda k, o, b: k.id_token(iss=k.issuer + "/"),
    "issuer_another_pool": lambda k, o, b: k.id_token(iss=k.issuer[:-3] + "XYZ"),
    "issuer_missing": lambda k, o, b: k.id_token(iss=None),
    "sub_missing": lambda k, o, b: k.id_token(sub=None),
    "sub_empty": lambda k, o, b: k.id_token(sub=""),
    "sub_number": lambda k, o, b: k.id_token(sub=12345),
}


@pytest.fixture
def attack_tokens(keys, other_keys, idp):
    return lambda name: ATTACKS[name](keys, other_keys, idp.base)


@pytest.mark.parametrize("name", sorted(ATTACKS))
def test_forged_id_token_never_passes(handler, attack_tokens, idp, name):
    token = attack_tokens(name)
    assert_token_refused(handler, token)
    # keys a token names are never fetched: only the configured JWKS URL is ever asked
    assert all(r["path"] == "/jwks" for r in idp.requests), [r["path"] for r in idp.requests]


def test_every_forged_token_is_refused_with_the_shipped_pure_python_backend(
    shipped_jose_backend, handler, attack_tokens, keys
):
    """The same attacks, verified by python-rsa as in the zip (the test venv defaults to cryptography)."""
    failures = []
    for name in sorted(ATTACKS):
        try:
            assert_token_refused(handler, attack_tokens(name))
        except AssertionError as exc:
            failures.append(f"{name}: {str(exc).splitlines()[0][:160]}")
    assert not failures, "\n".join(failures)
    honest = keys.id_token(**{"cognito:groups": ["Admin"]})
    assert not is_response(handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={honest}"]), None))
    key = edge_handler._gate.keys.key_for(keys.kid, "RS256", time.time())
    assert isinstance(key, shipped_jose_backend)  # really verified by the pure-Python backend


def test_the_same_cookies_with_an_honest_token_do_pass(handler, keys):
    """The checks above are not vacuous: a genuine Admin token gets through everywhere."""
    results = protected_checks(handler, f"{ID}={keys.id_token(**{'cognito:groups': ['Admin']})}")
    for kind in ("page", "admin", "asset"):
        assert not is_response(results[kind]), kind
    assert json_body(results["whoami"])["signedIn"] is True
    assert results["sign_in"]["status"] == "302"


def test_float_exp_in_the_future_is_a_valid_numeric_date(handler, keys):
    """RFC 7519 NumericDate may be fractional: accepted, and only until it passes."""
    claims = keys.id_claims()
    claims["exp"] = time.time() + 600.25
    assert not is_response(handler(event("/docs", headers=NAVIGATE, cookies=[f"{ID}={keys.sign(claims)}"]), None))


@pytest.mark.parametrize(
    "name",
    [
        "signature_from_another_key_same_kid",
        "payload_swapped_to_admin",
        "alg_none_with_real_sig",
        "header_duplicate_alg",
    ],
)
def test_a_refused_token_does_not_poison_the_cache(handler, keys, attack_tokens, name):
    """A forged token tried first, then and again after the genuine one, is refused every time."""
    honest = keys.id_token()
    forged = attack_tokens(name)
    assert_token_refused(handler, forged)
    assert not is_response(handler(event("/docs", headers=NAVIGATE, cookies=[f"{ID}={honest}"]), None))
    assert_token_refused(handler, forged)


def test_a_viewer_token_re_signed_by_the_attacker_stays_a_viewer(handler, keys, other_keys):
    """The real Viewer signature with an Admin payload, and an Admin payload under the attacker's key."""
    viewer = keys.id_token()
    escalated = with_payload(viewer, {**claims_of(viewer), "cognito:groups": ["Admin"]})
    for token in (escalated, other_keys.sign(claims_of(escalated))):
        result = handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={token}"]), None)
        assert_token_refused(handler, token)
        assert is_response(result)
    assert handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={viewer}"]), None)["status"] == "403"


def test_many_made_up_kids_cause_at_most_one_jwks_fetch(handler, keys, idp):
    """A flood of unknown kids is one JWKS request per 10 s, not one per token."""
    for i in range(40):
        token = sign_raw(keys, {"alg": "RS256", "kid": f"made-up-{i}"}, keys.id_claims())
        result = handler(event("/docs", headers=FETCH_JSON, cookies=[f"{ID}={token}"]), None)
        assert result["status"] == "401"
    assert len([r for r in idp.requests if r["path"] == "/jwks"]) <= 1


def test_an_attacker_signed_token_with_a_rotated_in_kid_is_refused(handler, keys, other_keys, idp):
    """The IdP rotates to key-2; the attacker's key-2 token is checked against the IdP's key-2."""
    rotated = Keys(keys.issuer, keys.client_id, kid="key-2")
    idp.jwks_override = {"keys": [keys.public_jwk(), rotated.public_jwk()]}
    forged = sign_raw(other_keys, {"alg": "RS256", "kid": "key-2"}, admin_claims(other_keys))
    assert_token_refused(handler, forged)
    honest = rotated.id_token(**{"cognito:groups": ["Admin"]})
    assert not is_response(handler(event("/admin", headers=NAVIGATE, cookies=[f"{ID}={honest}"]), None))
