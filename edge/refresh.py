"""The refresh grant: new tokens for a session, and nothing that could change whose it is.

OIDC Core 12.2: a refreshed ID token must have the same `iss`, `sub`, `aud` and `azp` as the
one it replaces (kept verified even when it has expired); otherwise the session ends and a new
login starts. Every path that refreshes (a navigation's early or expired refresh, who-am-I,
POST paths.refresh) goes through `Refresher.refresh` with the Session it read, and this is the
one place that decides whether the refresh may happen at all: when the browser holds an ID token
that does not verify (a forged one, or one signed by a key the IdP has rotated out), whose
session it is cannot be known, so no refresh answer is installed and a new login is needed.
Only a browser that holds no ID token at all (just the refresh cookie the gate set) may refresh
without one. A refresh answer may carry no ID token: a rotated refresh token and a new access
token in it are kept. A refused refresh token (invalid_grant) is marked, never cleared: with
refresh-token rotation, parallel requests of one browser race and all but one are refused, and
clearing cookies would wipe the winner's (session.py, mark_refresh_spent).
"""

from __future__ import annotations

from . import claims as claim_kinds
from .errors import IdpError, LoginFailed, TokenInvalid
from .idp import Deadline, IdpClient
from .session import Session, SessionStore, check_token_values, unverified_times
from .verifier import TokenVerifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .typing_aliases import Claims


class RefreshGaveNoIdToken(Exception):
    """The refresh answer had no ID token; `set_cookies` keep a rotated refresh token and the new
    access token; `access_times` are the new access token's (unverified) exp and iat."""

    def __init__(self, set_cookies: list[str], access_times: Claims | None):
        super().__init__("refresh_without_id_token")
        self.set_cookies = set_cookies
        self.access_times = access_times


class Refresher:
    def __init__(self, idp: IdpClient, verifier: TokenVerifier, store: SessionStore, clock: Callable[[], float]):
        self._idp = idp
        self._verifier = verifier
        self._store = store
        self._clock = clock
        self._api_needs_access_token = store.api_needs_access_token

    def refresh(
        self, jar: dict[str, str], now: float, session: Session, deadline: Deadline
    ) -> tuple[Claims, list[str], Session]:
        """New claims, Set-Cookie lines and the session as it now stands. Raises LoginFailed
        (the session is over), IdpError, RefreshGaveNoIdToken."""
        previous = session.last_claims
        if not session.refresh_token:
            raise LoginFailed("no_refresh_token")
        if session.id_token is not None and previous is None:
            # an ID token that does not verify says nothing about whose session this is
            raise LoginFailed("identity_unverified")
        if self._store.refresh_spent(jar, session.refresh_token):
            raise LoginFailed("refresh_token_spent")  # refused before for this browser: never asked twice
        try:
            tokens = self._idp.refresh(session.refresh_token, deadline)
        except LoginFailed as exc:
            if exc.reason == "invalid_grant":
                raise LoginFailed("invalid_grant", self._store.mark_refresh_spent(session.refresh_token)) from None
            raise
        now = max(now, self._clock())  # the IdP stamped its tokens after we took `now`
        access_times = unverified_times(tokens.get("access_token")) if self._api_needs_access_token else None
        if "id_token" not in tokens:
            check_token_values(tokens, id_token_required=False)
            raise RefreshGaveNoIdToken(self._store.keep_tokens(jar, tokens), access_times)
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
        refresh_token = tokens.get("refresh_token") or session.refresh_token
        fresh = Session(claims, "token_refreshed", refresh_token, tokens["id_token"], access_times=access_times)
        return claims, cookies, fresh
