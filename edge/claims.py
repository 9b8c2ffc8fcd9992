"""The claim checks AWS lists for Cognito tokens, and OIDC's for ID tokens.

python-jose lets a missing `exp` pass, accepts a token without `aud` when an audience was
asked for, and never looks at `token_use`; so every claim is checked here, explicitly.
"""

from __future__ import annotations

import math

from .digest import compare_digest
from .errors import TokenExpired, TokenInvalid

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import Claims, Json

ID_TOKEN = "id"
ACCESS_TOKEN = "access"
MAX_FUTURE_SECONDS = 10 * 365 * 86400
# A NumericDate beyond this (year 5138) is not a date: refusing it keeps huge integers (10**400)
# out of float arithmetic, where they would raise OverflowError.
MAX_NUMERIC_DATE = 10**11


def _numeric_date(claims: Claims, name: str, required: bool) -> float | None:
    value = claims.get(name)
    if value is None:
        if required:
            raise TokenInvalid(f"missing_{name}")
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TokenInvalid(f"bad_{name}")
    if isinstance(value, float) and not math.isfinite(value):
        raise TokenInvalid(f"bad_{name}")
    if not 0 <= value <= MAX_NUMERIC_DATE:
        raise TokenInvalid(f"bad_{name}")
    return value


def check_time(claims: Claims, now: float, leeway: int) -> None:
    """exp required; nbf and iat optional; all with the same bounded leeway."""
    exp = _numeric_date(claims, "exp", required=True)
    if exp is None:  # required=True raised already
        raise TokenInvalid("missing_exp")
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


# RFC 9068 access tokens: `typ` is "at+jwt", or the full media type (compared case-insensitively)
ACCESS_TOKEN_TYPES = ("at+jwt", "application/at+jwt")


def check_type(header: Json, kind: str) -> None:
    """An ID token must not be a JWT access token, whatever its `aud` says."""
    typ = header.get("typ")
    if typ is None:
        return
    if not isinstance(typ, str):
        raise TokenInvalid("bad_typ")
    if kind == ID_TOKEN and typ.lower() in ACCESS_TOKEN_TYPES:
        raise TokenInvalid("access_token_as_id_token")


SAME_LOGIN_CLAIMS = ("iss", "sub", "aud", "azp")


def check_same_login(previous: Claims, fresh: Claims) -> None:
    """OIDC Core 12.2: a refreshed ID token has the same iss, sub, aud and azp (or no azp)."""
    for name in SAME_LOGIN_CLAIMS:
        if _as_set(previous.get(name)) != _as_set(fresh.get(name)):
            raise TokenInvalid("identity_changed")


def _as_set(value: object) -> object:
    if isinstance(value, list):
        return frozenset(v for v in value if isinstance(v, str)), len(value)
    return value


def check_identity(
    claims: Claims,
    *,
    kind: str,
    issuer: str,
    client_id: str,
    check_token_use: bool,
    nonce: str | tuple[str, ...] | None = None,
    nonce_required: bool = True,
) -> None:
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
        # OIDC Core 3.1.3.7: an `azp` that is present must be our client, even with one audience
        if "azp" in claims and claims["azp"] != client_id:
            raise TokenInvalid("wrong_authorized_party")
        # Cognito's access tokens say token_use "access"; any IdP's `token_use` must say "id"
        if "token_use" in claims and claims["token_use"] != ID_TOKEN:
            raise TokenInvalid("wrong_token_use")
        # Access tokens whose aud is the client id, told apart by what only access tokens carry:
        # Keycloak's payload `typ` ("Bearer", "Refresh"; its ID tokens say "ID"; a bare "JWT" says
        # nothing), Entra's and Okta's `scp`.
        typ = claims.get("typ")
        if typ is not None and (not isinstance(typ, str) or typ.lower() not in ("id", "jwt")):
            raise TokenInvalid("access_token_as_id_token")
        if "scp" in claims:
            raise TokenInvalid("access_token_as_id_token")
    else:
        if claims.get("client_id") != client_id:
            raise TokenInvalid("wrong_client")
    if check_token_use and claims.get("token_use") != kind:
        raise TokenInvalid("wrong_token_use")
    if nonce is not None:
        given = claims.get("nonce")
        if given is None and not nonce_required:
            return
        expected = (nonce,) if isinstance(nonce, str) else nonce
        if not isinstance(given, str) or not any(compare_digest(given.encode(), n.encode()) for n in expected):
            raise TokenInvalid("nonce_mismatch")
