"""The claim checks AWS lists for Cognito tokens, and OIDC's for ID tokens.

python-jose lets a missing `exp` pass, accepts a token without `aud` when an audience was
asked for, and never looks at `token_use`; so every claim is checked here, explicitly.
"""

from __future__ import annotations

import math

from .digest import compare_digest
from .errors import TokenExpired, TokenInvalid

ID_TOKEN = "id"
ACCESS_TOKEN = "access"
MAX_FUTURE_SECONDS = 10 * 365 * 86400


def _numeric_date(claims: dict, name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise TokenInvalid(f"missing_{name}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        raise TokenInvalid(f"bad_{name}")
    return value


def check_time(claims: dict, now: float, leeway: int) -> None:
    """exp required; nbf and iat optional; all with the same bounded leeway."""
    exp = _numeric_date(claims, "exp", required=True)
    if exp > now + MAX_FUTURE_SECONDS:
        raise TokenInvalid("bad_exp")
    if now >= exp + leeway:
        raise TokenExpired("token_expired")
    nbf = _numeric_date(claims, "nbf", required=False)
    if nbf is not None and now + leeway < nbf:
        raise TokenInvalid("token_not_yet_valid")
    iat = _numeric_date(claims, "iat", required=False)
    if iat is not None and now + leeway < iat:
        raise TokenInvalid("token_issued_in_future")


def check_identity(claims: dict, *, kind: str, issuer: str, client_id: str,
                   check_token_use: bool, nonce: str | None = None,
                   nonce_required: bool = True) -> None:
    if claims.get("iss") != issuer:
        raise TokenInvalid("wrong_issuer")
    sub = claims.get("sub")
    if not isinstance(sub, str) or not sub:
        raise TokenInvalid("missing_sub")
    if kind == ID_TOKEN:
        aud = claims.get("aud")
        audiences = aud if isinstance(aud, list) else [aud]
        if client_id not in audiences:
            raise TokenInvalid("wrong_audience")
        if len(audiences) > 1 and claims.get("azp") != client_id:
            raise TokenInvalid("wrong_audience")
    else:
        if claims.get("client_id") != client_id:
            raise TokenInvalid("wrong_client")
    if check_token_use and claims.get("token_use") != kind:
        raise TokenInvalid("wrong_token_use")
    if nonce is not None:
        given = claims.get("nonce")
        if given is None and not nonce_required:
            return
        if not isinstance(given, str) or not compare_digest(given.encode(), nonce.encode()):
            raise TokenInvalid("nonce_mismatch")
