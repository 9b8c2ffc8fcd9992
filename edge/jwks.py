"""Signing keys by `kid`, constructed once, refreshed at most once per window.

The JWKS baked in at build time is the starting set. A token whose `kid` is unknown may
trigger one fetch of the JWKS (key rotation), but never more than one per
REFETCH_INTERVAL_SECONDS however many such tokens arrive; if that fetch fails, the keys already
known go on working. Like aws-jwt-verify's cache, this bounds what a flood of made-up `kid`s
can cost.
"""

from __future__ import annotations

from .encoding import b64url_decode
from .errors import GateError, TokenInvalid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .idp import Deadline
    from .typing_aliases import Json

    class VerifyingKey(Protocol):  # what python-jose's key classes offer
        def verify(self, msg: bytes, sig: bytes) -> bool: ...


REFETCH_INTERVAL_SECONDS = 10.0
MAX_KEYS = 50
MAX_KID_LENGTH = 256
MIN_RSA_BITS = 2048
PUBLIC_MEMBERS = ("kty", "kid", "use", "alg", "n", "e")
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")


def usable_jwks(jwks: object, algorithms: tuple[str, ...]) -> dict[str, Json]:
    """The signature keys of a JWKS document we may use, by kid. Malformed entries are skipped."""
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        return {}
    found: dict[str, Json] = {}
    for jwk in jwks["keys"][:MAX_KEYS]:
        if not isinstance(jwk, dict) or jwk.get("kty") != "RSA":
            continue
        kid = jwk.get("kid")
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            continue
        if jwk.get("use", "sig") != "sig":
            continue
        if "alg" in jwk and jwk["alg"] not in algorithms:
            continue
        if not isinstance(jwk.get("n"), str) or not isinstance(jwk.get("e"), str):
            continue
        found[kid] = {name: jwk[name] for name in PUBLIC_MEMBERS if name in jwk}
    return found


def private_members(jwk: Json) -> list[str]:
    """The private-key members (RFC 7518 6.3.2) a JWK carries; a JWKS must carry none."""
    return [name for name in PRIVATE_MEMBERS if name in jwk]


def key_problem(jwk: Json) -> tuple[str, str] | None:
    """Why an RSA JWK must not verify tokens, as (reason code, sentence with the fix), or None.

    One check for both sides: the gate refuses such a key at request time (the reason), the
    build refuses to embed it (the sentence, after "JWKS key 'kid' ").
    """
    try:
        bits = int.from_bytes(b64url_decode(jwk["n"]), "big").bit_length()
        exponent = int.from_bytes(b64url_decode(jwk["e"]), "big")
    except ValueError:
        return "bad_jwk", "has a malformed modulus or exponent; check the JWKS"
    if bits < MIN_RSA_BITS:
        return "weak_jwk", (
            f"is {bits}-bit RSA; the gate requires at least {MIN_RSA_BITS}: "
            f"use a {MIN_RSA_BITS}-bit or larger key at the IdP"
        )
    if exponent < 3 or exponent % 2 == 0:  # e=1 makes any signature "valid"
        return "weak_jwk", f"has the unsafe RSA exponent {exponent}; use 65537 at the IdP"
    return None


def construct_key(jwk: Json, algorithm: str) -> VerifyingKey:
    from jose import jwk as jose_jwk  # lazy: only requests that carry a token pay for jose
    from jose.exceptions import JOSEError

    problem = key_problem(jwk)
    if problem is not None:
        raise TokenInvalid(problem[0])
    try:
        key: VerifyingKey = jose_jwk.construct(jwk, algorithm)
    except (JOSEError, ValueError, TypeError):
        raise TokenInvalid("bad_jwk") from None
    return key


class KeyStore:
    def __init__(
        self, jwks: Json, algorithms: tuple[str, ...], fetch_jwks: Callable[[Deadline | None], Json] | None = None
    ):
        self._algorithms = algorithms
        self._jwks_by_kid = usable_jwks(jwks, algorithms)
        self._keys: dict[tuple[str, str], VerifyingKey] = {}
        self._fetch_jwks = fetch_jwks
        self._last_fetch = float("-inf")

    def key_for(self, kid: object, algorithm: str, now: float, deadline: Deadline | None = None) -> VerifyingKey:
        if not isinstance(kid, str) or not kid or len(kid) > MAX_KID_LENGTH:
            raise TokenInvalid("bad_kid")
        key = self._keys.get((kid, algorithm))
        if key is not None:
            return key
        jwk = self._jwks_by_kid.get(kid)
        if jwk is None:
            failure = self._refetch(now, deadline)
            jwk = self._jwks_by_kid.get(kid)
            if jwk is None:
                if failure is not None:  # the keys could not be checked: say so, as the IdP's error
                    raise failure
                raise TokenInvalid("unknown_kid")
        if "alg" in jwk and jwk["alg"] != algorithm:
            raise TokenInvalid("alg_mismatch")
        key = construct_key(jwk, algorithm)
        self._keys[(kid, algorithm)] = key
        return key

    def _refetch(self, now: float, deadline: Deadline | None) -> GateError | None:
        """Fetch the JWKS again unless one was fetched in the window; the failure, if any."""
        if self._fetch_jwks is None or now - self._last_fetch < REFETCH_INTERVAL_SECONDS:
            return None
        self._last_fetch = now
        try:
            fresh = usable_jwks(self._fetch_jwks(deadline), self._algorithms)
        except GateError as exc:
            return exc
        # Keys already known keep working even when the new document drops them: a token
        # they signed stays valid until it expires, as with the embedded set.
        self._jwks_by_kid = {**self._jwks_by_kid, **fresh}
        return None
