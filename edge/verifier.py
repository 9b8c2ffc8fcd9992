"""Verify ID and access tokens completely, with a bounded cache of already-verified tokens.

The cache is keyed by the whole token string, so a hit means these exact bytes passed the
signature, issuer, audience and token_use checks before; the time claims are still checked
against the clock on every hit. Verification with a nonce (at the callback) is never cached.
"""

from __future__ import annotations

from . import claims as claim_checks
from .errors import TokenExpired
from .jws import verify_signature

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .idp import Deadline
    from .jwks import KeyStore
    from .settings import Config
    from .typing_aliases import Claims

CACHE_SIZE = 512


class TokenVerifier:
    def __init__(
        self, config: Config, keys: KeyStore, check_token_use: bool | None = None, cache_size: int = CACHE_SIZE
    ):
        if check_token_use is None:
            from .provider import provider_for

            check_token_use = provider_for(config).checks_token_use
        self._config = config
        self._check_token_use = check_token_use
        self._keys = keys
        self._cache: dict[tuple[str, str], Claims] = {}
        self._cache_size = cache_size

    def verify(
        self,
        token: str,
        kind: str,
        now: float,
        nonce: str | tuple[str, ...] | None = None,
        nonce_required: bool = True,
        deadline: Deadline | None = None,
    ) -> Claims:
        """The verified claims; raises TokenInvalid (TokenExpired) or the IdP's error when an
        unknown `kid` made the JWKS be fetched again and that failed."""
        leeway = self._config.tokens.leeway_seconds
        if nonce is None:
            cached = self._cache.get((kind, token))
            if cached is not None:
                _check_time(cached, now, leeway)
                return cached
        claims = verify_signature(
            token,
            self._keys,
            self._config.tokens.algorithms,
            now,
            check_header=lambda header: claim_checks.check_type(header, kind),
            deadline=deadline,
        )
        claim_checks.check_identity(
            claims,
            kind=kind,
            issuer=self._config.issuer,
            client_id=self._config.client_id,
            check_token_use=self._check_token_use,
            nonce=nonce,
            nonce_required=nonce_required,
        )
        _check_time(claims, now, leeway)
        if nonce is None:
            if len(self._cache) >= self._cache_size:
                del self._cache[next(iter(self._cache))]
            self._cache[(kind, token)] = claims
        return claims


def _check_time(claims: Claims, now: float, leeway: int) -> None:
    try:
        claim_checks.check_time(claims, now, leeway)
    except TokenExpired as exc:
        exc.claims = claims  # genuine but expired: what a refresh must keep the same (OIDC 12.2)
        raise
