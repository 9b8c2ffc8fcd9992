"""The refresh grant: new tokens for a session, and nothing that could change whose it is.

OIDC Core 12.2: a refreshed ID token must have the same `iss`, `sub`, `aud` and `azp` as the
one it replaces (kept verified even when it has expired); otherwise the session ends and a new
login starts. A refresh answer may carry no ID token: a rotated refresh token in it is kept.
"""

from __future__ import annotations

from . import claims as claim_kinds
from .errors import IdpError, LoginFailed, TokenInvalid
from .idp import Deadline, IdpClient
from .session import SessionStore, check_token_values
from .verifier import TokenVerifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .typing_aliases import Claims


class RefreshGaveNoIdToken(Exception):
    """The refresh answer had no ID token; `set_cookies` keep a rotated refresh token."""

    def __init__(self, set_cookies: list[str]):
        super().__init__("refresh_without_id_token")
        self.set_cookies = set_cookies


class Refresher:
    def __init__(self, idp: IdpClient, verifier: TokenVerifier, store: SessionStore, clock: Callable[[], float]):
        self._idp = idp
        self._verifier = verifier
        self._store = store
        self._clock = clock

    def refresh(
        self, jar: dict[str, str], now: float, refresh_token: str, previous: Claims | None, deadline: Deadline
    ) -> tuple[Claims, list[str]]:
        """New claims and Set-Cookie lines. `previous`: the verified claims of the ID token
        being replaced. Raises LoginFailed (the session is over), IdpError, RefreshGaveNoIdToken."""
        tokens = self._idp.refresh(refresh_token, deadline)
        now = max(now, self._clock())  # the IdP stamped its tokens after we took `now`
        if "id_token" not in tokens:
            check_token_values(tokens, id_token_required=False)
            keep = self._store.keep_refresh_token(jar, tokens["refresh_token"]) if tokens.get("refresh_token") else []
            raise RefreshGaveNoIdToken(keep)
        check_token_values(tokens)
        try:
            claims = self._verifier.verify(tokens["id_token"], claim_kinds.ID_TOKEN, now, deadline=deadline)
            if previous is not None:
                claim_kinds.check_same_login(previous, claims)
        except TokenInvalid as exc:
            if exc.reason == "identity_changed":
                # never let a refresh turn one person's session into another's: start again
                raise LoginFailed("identity_changed") from None
            raise IdpError(f"refreshed_{exc.reason}") from None
        cookies = self._store.write(jar, tokens, claims, now, from_login=False)
        if cookies is None:
            raise IdpError("session_too_large")
        return claims, cookies
