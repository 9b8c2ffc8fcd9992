"""Every token check AWS lists, plus the ones python-jose leaves to us."""

import base64
import hashlib
import hmac
import json

import pytest

from edge.claims import ACCESS_TOKEN, ID_TOKEN
from edge.errors import TokenExpired, TokenInvalid
from edge.jwks import REFETCH_INTERVAL_SECONDS, KeyStore
from edge.verifier import TokenVerifier
from tests.support.tokens import Keys, b64url

NOW = 1_800_000_000


@pytest.fixture
def config(make_config):
    return make_config()


@pytest.fixture
def verifier(config, keys):
    return TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms))


def reason_of(verifier, token, kind=ID_TOKEN, now=NOW):
    with pytest.raises(TokenInvalid) as caught:
        verifier.verify(token, kind, now)
    return caught.value.reason


def test_valid_id_token_passes(verifier, keys):
    claims = verifier.verify(keys.id_token(now=NOW), ID_TOKEN, NOW + 10)
    assert claims["cognito:username"] == "ada"


def test_valid_access_token_passes_as_access_only(verifier, keys):
    token = keys.access_token(now=NOW)
    assert verifier.verify(token, ACCESS_TOKEN, NOW)["client_id"] == keys.client_id
    assert reason_of(verifier, token, ID_TOKEN) == "wrong_audience"


def test_access_token_presented_as_id_token_fails_on_token_use(verifier, keys):
    claims = keys.id_claims(now=NOW, token_use="access")
    assert reason_of(verifier, keys.sign(claims)) == "wrong_token_use"


@pytest.mark.parametrize(
    "lifetime,offset,expired", [(3600, 3600 + 29, False), (3600, 3600 + 30, True), (3600, 10_000, True)]
)
def test_exp_with_bounded_leeway(verifier, keys, lifetime, offset, expired):
    token = keys.id_token(now=NOW, lifetime=lifetime)
    if expired:
        with pytest.raises(TokenExpired):
            verifier.verify(token, ID_TOKEN, NOW + offset)
    else:
        verifier.verify(token, ID_TOKEN, NOW + offset)


def test_exp_is_required(verifier, keys):
    assert reason_of(verifier, keys.sign(keys.id_claims(now=NOW, exp=None))) == "missing_exp"


@pytest.mark.parametrize("exp", ["1900000000", True, [1], 10**30, float("inf")])
def test_exp_of_the_wrong_kind_is_refused(verifier, keys, exp):
    claims = keys.id_claims(now=NOW)
    claims["exp"] = exp
    token = keys.sign(claims) if exp != float("inf") else keys.sign({**claims, "exp": 1e400})
    assert reason_of(verifier, token) in {"bad_exp", "malformed_token"}


def test_float_exp_is_accepted(verifier, keys):
    claims = keys.id_claims(now=NOW)
    claims["exp"] = NOW + 60.5
    verifier.verify(keys.sign(claims), ID_TOKEN, NOW)


def test_not_yet_valid(verifier, keys):
    token = keys.sign(keys.id_claims(now=NOW, nbf=NOW + 120))
    assert reason_of(verifier, token) == "token_not_yet_valid"
    verifier.verify(token, ID_TOKEN, NOW + 95)  # inside the 30 s leeway


def test_wrong_issuer(verifier, keys):
    assert reason_of(verifier, keys.id_token(now=NOW, iss="https://evil.example")) == "wrong_issuer"


def test_wrong_audience_and_another_client_of_the_same_pool(verifier, keys):
    assert reason_of(verifier, keys.id_token(now=NOW, aud="another-client")) == "wrong_audience"
    assert reason_of(verifier, keys.id_token(now=NOW, aud=None)) == "wrong_audience"
    token = keys.id_token(now=NOW, aud=["another-client", keys.client_id], azp="another-client")
    assert reason_of(verifier, token) == "wrong_audience"


def test_access_token_from_another_client(verifier, keys):
    claims = keys.id_claims(now=NOW, token_use="access", aud=None, client_id="another-client")
    assert reason_of(verifier, keys.sign(claims), ACCESS_TOKEN) == "wrong_client"


@pytest.mark.parametrize("alg", ["none", "None", "NONE", "HS256", "RS1", "ES256", "PS256", ""])
def test_algorithms_outside_the_allowlist(verifier, keys, alg):
    token = keys.id_token(now=NOW)
    header = b64url(json.dumps({"alg": alg, "kid": keys.kid}).encode())
    _, body, sig = token.split(".")
    assert reason_of(verifier, f"{header}.{body}.{sig}") == "alg_not_allowed"
    assert reason_of(verifier, f"{header}.{body}.") == "alg_not_allowed"


@pytest.mark.parametrize("key_form", ["pem", "jwk"])
def test_hs256_signed_with_the_public_key_is_refused(verifier, keys, key_form):
    secret = keys.public_pem() if key_form == "pem" else json.dumps(keys.public_jwk()).encode()
    header = b64url(json.dumps({"alg": "HS256", "kid": keys.kid}).encode())
    body = b64url(json.dumps(keys.id_claims(now=NOW)).encode())
    mac = hmac.new(secret, f"{header}.{body}".encode(), hashlib.sha256).digest()
    assert reason_of(verifier, f"{header}.{body}.{b64url(mac)}") == "alg_not_allowed"


def test_unknown_missing_and_hostile_kid(verifier, keys):
    claims = keys.id_claims(now=NOW)
    assert reason_of(verifier, keys.sign(claims, header={"kid": "nope"})) == "unknown_kid"
    assert reason_of(verifier, keys.sign(claims, header={"kid": None})) == "bad_kid"
    assert reason_of(verifier, keys.sign(claims, header={"kid": "../../etc/passwd"})) == "unknown_kid"
    assert reason_of(verifier, keys.sign(claims, header={"kid": "k" * 5000})) == "bad_kid"
    assert reason_of(verifier, keys.sign(claims, header={"kid": 7})) == "bad_kid"


def test_signature_from_another_key_with_the_same_kid(verifier, other_keys):
    assert reason_of(verifier, other_keys.id_token(now=NOW)) == "bad_signature"


def test_tampered_payload_and_swapped_signature(verifier, keys):
    token = keys.id_token(now=NOW)
    header, body, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["cognito:groups"] = ["Admin"]
    assert reason_of(verifier, f"{header}.{b64url(json.dumps(claims).encode())}.{sig}") == "bad_signature"
    other = keys.id_token(now=NOW, sub="someone-else")
    assert reason_of(verifier, f"{header}.{body}.{other.split('.')[2]}") == "bad_signature"
    assert reason_of(verifier, f"{header}.{body}.") == "bad_signature"
    assert reason_of(verifier, f"{header}.{body}.{sig[:-10]}") in {"bad_signature", "malformed_token"}


@pytest.mark.parametrize(
    "token", ["", "a.b", "a.b.c.d", "!!!.e30.sig", "e30.e30.e30", "x" * 20000, "\u00e9.e30.e30", None, 42]
)
def test_malformed_tokens(verifier, token):
    assert reason_of(verifier, token) in {"malformed_token", "alg_not_allowed"}


def test_deeply_nested_and_non_json_parts(verifier, keys):
    nested = b64url(("[" * 100000 + "]" * 100000).encode())
    assert reason_of(verifier, f"{nested}.e30.sig") == "malformed_token"
    header = b64url(b'{"alg":"RS256","kid":"key-1"}')
    assert reason_of(verifier, f"{header}.bm90IGpzb24.sig") == "bad_signature"


def test_duplicated_header_claims_are_refused(verifier, keys):
    header = b64url(b'{"alg":"none","alg":"RS256","kid":"key-1"}')
    _, body, sig = keys.id_token(now=NOW).split(".")
    assert reason_of(verifier, f"{header}.{body}.{sig}") == "malformed_token"


def test_jwk_jku_x5u_headers_are_ignored(verifier, keys, other_keys):
    attacker_jwk = other_keys.public_jwk()
    token = other_keys.sign(
        other_keys.id_claims(now=NOW),
        header={"jwk": attacker_jwk, "jku": "https://evil.example/jwks", "x5u": "https://evil.example/c"},
    )
    assert reason_of(verifier, token) == "bad_signature"


def test_crit_header_is_refused(verifier, keys):
    assert reason_of(verifier, keys.sign(keys.id_claims(now=NOW), header={"crit": ["exp"]})) == "crit_not_supported"


def test_rs384_only_when_allowed(make_config, keys):
    token = keys.sign(keys.id_claims(now=NOW), alg="RS384")
    plain = make_config()
    jwks = {"keys": [{**keys.public_jwk(), "alg": "RS384"}]}
    with pytest.raises(TokenInvalid):
        TokenVerifier(plain, KeyStore(keys.jwks(), plain.tokens.algorithms)).verify(token, ID_TOKEN, NOW)
    wide = make_config(tokens={"algorithms": ["RS256", "RS384"]})
    TokenVerifier(wide, KeyStore(jwks, wide.tokens.algorithms)).verify(token, ID_TOKEN, NOW)


def test_weak_keys_are_refused(make_config):
    small = Keys("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test12345", "test-client-id", bits=1024)
    config = make_config()
    verifier = TokenVerifier(config, KeyStore(small.jwks(), config.tokens.algorithms))
    assert reason_of(verifier, small.id_token(now=NOW)) == "weak_jwk"


def test_cache_hit_still_checks_the_clock(verifier, keys):
    token = keys.id_token(now=NOW, lifetime=60)
    verifier.verify(token, ID_TOKEN, NOW)
    verifier.verify(token, ID_TOKEN, NOW + 1)  # cached
    with pytest.raises(TokenExpired):
        verifier.verify(token, ID_TOKEN, NOW + 91)


def test_cache_is_bounded(config, keys):
    verifier = TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms), cache_size=3)
    for i in range(10):
        verifier.verify(keys.id_token(now=NOW, sub=f"user-{i}"), ID_TOKEN, NOW)
    assert len(verifier._cache) == 3


# -- JWKS refetch -----------------------------------------------------------------------


class CountingFetch:
    def __init__(self, result):
        self.result, self.calls = result, 0

    def __call__(self, deadline):  # the request's Deadline (None outside a request)
        self.calls += 1
        if isinstance(self.result, Exception):
            raise self.result
        return self.result


def test_unknown_kid_triggers_at_most_one_fetch_per_window(config, keys):
    fetch = CountingFetch({"keys": []})
    store = KeyStore(keys.jwks(), config.tokens.algorithms, fetch_jwks=fetch)
    for i in range(50):
        with pytest.raises(TokenInvalid):
            store.key_for(f"made-up-{i}", "RS256", NOW + i * 0.1)
    assert fetch.calls == 1
    with pytest.raises(TokenInvalid):
        store.key_for("made-up-late", "RS256", NOW + REFETCH_INTERVAL_SECONDS + 1)
    assert fetch.calls == 2


def test_rotated_key_is_found_by_refetch(config, keys):
    rotated = Keys(keys.issuer, keys.client_id, kid="key-2")
    fetch = CountingFetch({"keys": [keys.public_jwk(), rotated.public_jwk()]})
    verifier = TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms, fetch_jwks=fetch))
    verifier.verify(rotated.id_token(now=NOW), ID_TOKEN, NOW)
    assert fetch.calls == 1


def test_known_keys_keep_working_when_the_refetch_fails(config, keys):
    from edge.errors import IdpUnavailable

    fetch = CountingFetch(IdpUnavailable("idp_unreachable"))
    verifier = TokenVerifier(config, KeyStore(keys.jwks(), config.tokens.algorithms, fetch_jwks=fetch))
    with pytest.raises(IdpUnavailable):  # the new key could not be checked: the IdP's error, not "invalid"
        verifier.verify(keys.sign(keys.id_claims(now=NOW), header={"kid": "new"}), ID_TOKEN, NOW)
    with pytest.raises(TokenInvalid):  # inside the window: no second fetch, plainly unknown
        verifier.verify(keys.sign(keys.id_claims(now=NOW), header={"kid": "new"}), ID_TOKEN, NOW + 1)
    assert verifier.verify(keys.id_token(now=NOW), ID_TOKEN, NOW)["sub"]
    assert fetch.calls == 1


def test_unknown_kid_cookies_cause_one_jwks_fetch_then_a_rotated_key_works(browser, idp, keys):
    """Through the handler, against the real local JWKS endpoint."""
    from tests.support.cloudfront import ASSET, is_response

    rotated = Keys(keys.issuer, keys.client_id, kid="key-rotated")
    for _ in range(20):
        browser.jar["__Host-gate-id"] = rotated.id_token()
        assert browser.get("/docs", headers=ASSET)["status"] == "401"
    jwks_calls = [r for r in idp.requests if r["path"].startswith("/jwks")]
    assert len(jwks_calls) == 1  # twenty unknown kids, one fetch in the 10 s window
    idp.jwks_override = {"keys": [keys.public_jwk(), rotated.public_jwk()]}
    browser.jar["__Host-gate-id"] = keys.id_token()
    assert not is_response(browser.get("/docs", headers=ASSET))  # known key, no fetch needed
    assert len([r for r in idp.requests if r["path"].startswith("/jwks")]) == 1
