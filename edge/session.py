"""The session as the browser carries it: read from cookies, written back under the size budget.

The session is the ID token (verified on every request), plus a refresh token and, for an API,
an access token, each in its own HttpOnly cookie (cookies.py does names, chunks and attributes).
A refresh is due on a page navigation when the ID token has expired, when only the refresh
cookie is left, or early, inside the refresh window: never in the first half of a token's life,
and never twice for the same token (`early_refresh_tried`), so no IdP answer can make a loop.
"""

from __future__ import annotations

from . import claims as claim_kinds
from .cookies import MAX_SESSION_BYTES, CookieNames, CookieWriter, pending_logins
from .cookies import read as read_cookie
from .errors import GateError, IdpError, TokenExpired
from .settings import Config
from .verifier import TokenVerifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .cfsign import AssetCookies
    from .idp import Deadline
    from .typing_aliases import Claims, Json

# base64url, JOSE dots, and what opaque tokens use (RFC 6750 b64token); no ; , " \ or spaces
SPENT_MARK_SECONDS = 300  # long enough for a racing sibling's answer to land
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")


class Session:
    """`claims` of a valid ID token, or None; `expired_claims` of a genuine expired one."""

    __slots__ = (
        "access_times",
        "claims",
        "early_refresh_tried",
        "expired_claims",
        "id_token",
        "reason",
        "refresh_token",
    )

    def __init__(
        self,
        claims: Claims | None,
        reason: str,
        refresh_token: str | None,
        id_token: str | None = None,
        expired_claims: Claims | None = None,
        early_refresh_tried: bool = False,
        access_times: Claims | None = None,
    ):
        self.claims = claims
        self.reason = reason
        self.refresh_token = refresh_token
        self.id_token = id_token
        self.expired_claims = expired_claims
        self.early_refresh_tried = early_refresh_tried
        # With [[apis]]: `exp` (and `iat`) of the access-token cookie, read unverified (the API
        # verifies it), so the session is as fresh as the earlier of the two tokens.
        self.access_times = access_times

    @property
    def signed_in(self) -> bool:
        return self.claims is not None

    @property
    def last_claims(self) -> Claims | None:
        """The verified claims of the ID token a refresh replaces, valid or expired (OIDC 12.2)."""
        return self.claims if self.claims is not None else self.expired_claims

    @property
    def expired(self) -> bool:
        return self.expired_claims is not None

    @property
    def refreshable(self) -> bool:
        """Not signed in, but a refresh may bring the session back: expired, or only the refresh cookie."""
        return self.claims is None and bool(self.refresh_token) and (self.expired or self.reason == "no_session")

    @property
    def sub(self) -> object:
        return self.claims.get("sub") if self.claims is not None else None

    @property
    def expires_at(self) -> object:
        """When the session stops working: the ID token's `exp`, or the access token's when an
        API needs it and it runs out first (who-am-I's `expiresAt`, the site's refresh timer)."""
        exp = self.claims.get("exp") if self.claims is not None else None
        if self.access_times is not None and isinstance(exp, (int, float)):
            return min(exp, self.access_times["exp"])
        return exp

    def access_expired(self, now: float, leeway: int) -> bool:
        return self.access_times is not None and now >= self.access_times["exp"] + leeway

    def wants_early_refresh(self, now: float, window_seconds: int) -> bool:
        """Inside the refresh window of the ID token (or of the access token an API needs), at
        most once per ID token."""
        if self.claims is None or not self.refresh_token or self.early_refresh_tried:
            return False
        if in_refresh_window(self.claims, now, window_seconds):
            return True
        return self.access_times is not None and in_refresh_window(self.access_times, now, window_seconds)


def in_refresh_window(claims: Claims, now: float, window_seconds: int) -> bool:
    """Time to refresh early. Never in the first half of a token's life: an ID token that lives
    no longer than the window would otherwise refresh on every navigation, for ever."""
    exp, iat = claims["exp"], claims.get("iat")
    window: float = window_seconds
    if isinstance(iat, (int, float)) and not isinstance(iat, bool) and exp > iat:
        window = min(window, (exp - iat) / 2)
    else:
        window = min(window, 60)
    return bool(exp - now <= window)


def unverified_times(token: str | None) -> Claims | None:
    """`exp` (and `iat`) of a JWT access token, unverified (the API verifies it): only to know
    when it runs out. None for an opaque token, one without a numeric `exp`, or no token."""
    parts = (token or "").split(".")
    if len(parts) != 3:
        return None
    try:
        from .encoding import b64url_decode
        from .jws import parse_json_object

        payload = parse_json_object(b64url_decode(parts[1]))
    except (ValueError, GateError):
        return None
    times: Claims = {}
    for name in ("exp", "iat"):
        value = payload.get(name)
        if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= 10**11:
            times[name] = value
    return times if "exp" in times else None


def token_mark(token: str | None) -> str:
    """A short, cookie-safe tag of one token (the tail of its signature)."""
    return (token or "")[-16:]


def check_token_values(tokens: Json, id_token_required: bool = True) -> None:
    """The IdP's token values go into Set-Cookie: only cookie-safe characters, bounded size."""
    if id_token_required and len(tokens["id_token"]) > MAX_SESSION_BYTES:
        raise IdpError("session_too_large")
    for name in ("id_token", "access_token", "refresh_token"):
        value = tokens.get(name)
        if value is not None and (not value or not _TOKEN_CHARS.issuperset(value)):
            raise IdpError(f"idp_bad_{name}")


class SessionStore:
    """Reads the session from a request's cookies and writes or clears it with Set-Cookie lines."""

    def __init__(self, config: Config, verifier: TokenVerifier):
        self.names = CookieNames.for_settings(config.cookies)
        self.writer = CookieWriter(config.cookies)
        self._verifier = verifier
        self.verifier = verifier  # edge/api.py verifies bearer access tokens with it
        self._max_age = config.cookies.session_max_age_seconds
        self._store_access_token = config.tokens.store_access_token
        self._window = config.tokens.refresh_window_seconds
        self.api_needs_access_token = bool(config.apis)
        # [assets] signed_cookies: CloudFront's asset cookies ride along with every session
        # write and clear (edge/cfsign.py, imported on those paths only)
        self._config = config
        self._asset_cookies: AssetCookies | None = None
        self.signs_assets = config.assets.signed_cookies and config.assets.private_key is not None
        # who may have them: the gate sets this to its [entry] check (no [[rules]] pattern
        # overlaps an asset path: the build refuses it, gatebuild/config/assets.py)
        self.may_see_assets: Callable[[Claims], bool] = lambda claims: True

    def assets(self) -> AssetCookies:
        if self._asset_cookies is None:
            from .cfsign import AssetCookies

            config = self._config
            self._asset_cookies = AssetCookies(config.assets, config.cookies, config.site_url)
        return self._asset_cookies

    def asset_lines(self, claims: Claims, now: float) -> list[str]:
        """Signed asset cookies valid no longer than the ID token (its `exp`), or, for a person
        [entry] refuses, lines clearing any left from before."""
        if not self.signs_assets:
            return []
        if not self.may_see_assets(claims):
            return self.clear_assets()
        until = min(int(claims["exp"]), int(now) + self._max_age)
        # the marker (Path=/, so the gate sees it on a navigation) says which key they carry
        marker = self.writer.set(self.names.all_prefix + "cf", self._config.assets.key_id, max(1, until - int(now)), {})
        return self.assets().mint(until, now) + marker

    def clear_assets(self) -> list[str]:
        return [*self.assets().clear(), self.writer.clear(self.names.all_prefix + "cf")]

    def asset_cookies_due(self, jar: dict[str, str]) -> bool:
        """A signed-in browser without this key's asset cookies: the feature was just turned on,
        the key rotated, or the cookies were deleted. The gate cannot see the cookies themselves
        (they reach only the asset paths), so it reads the marker set with them."""
        return self.signs_assets and jar.get(self.names.all_prefix + "cf") != self._config.assets.key_id

    def read(self, jar: dict[str, str], now: float, deadline: Deadline | None = None) -> Session:
        names = self.names
        refresh_token = read_cookie(jar, names.refresh_token)
        id_token = read_cookie(jar, names.id_token)
        if id_token is None:
            return Session(None, "no_session", refresh_token)
        try:
            claims = self._verifier.verify(id_token, claim_kinds.ID_TOKEN, now, deadline=deadline)
        except TokenExpired as exc:
            return Session(None, exc.reason, refresh_token, id_token, expired_claims=exc.claims or {})
        except GateError as exc:  # invalid, or its key could not be fetched: not signed in
            return Session(None, exc.reason, refresh_token, id_token)
        tried = jar.get(names.refresh_tried) == token_mark(id_token)
        access_times = unverified_times(self.access_token(jar)) if self.api_needs_access_token else None
        return Session(
            claims, "valid_session", refresh_token, id_token, early_refresh_tried=tried, access_times=access_times
        )

    def access_token(self, jar: dict[str, str]) -> str | None:
        return read_cookie(jar, self.names.access_token)

    def write(
        self, jar: dict[str, str], tokens: Json, claims: Claims, now: float, from_login: bool
    ) -> list[str] | None:
        """Set-Cookie lines for new tokens, or None when they cannot fit in a request.

        A login that returns no refresh token clears any refresh cookie already there: it may
        belong to whoever signed in before, and would turn this session back into theirs. A
        refresh that returns none keeps the one it used (no rotation)."""
        names = self.names
        values = {names.id_token: tokens["id_token"]}
        if tokens.get("refresh_token"):
            values[names.refresh_token] = tokens["refresh_token"]
        access = tokens.get("access_token")
        if self._store_access_token and access:
            values[names.access_token] = access
        if sum(len(v) for v in values.values()) > MAX_SESSION_BYTES:
            values.pop(names.access_token, None)
            if sum(len(v) for v in values.values()) > MAX_SESSION_BYTES:
                return None
        lines: list[str] = []
        for name in names.session():
            if name in values:
                lines += self.writer.set(name, values[name], self._max_age, jar)
            elif name in jar and (name == names.access_token or from_login):
                lines += self.writer.clear_all(name, jar)
        access_times = unverified_times(access) if self.api_needs_access_token else None
        if in_refresh_window(claims, now, self._window) or (
            access_times is not None and in_refresh_window(access_times, now, self._window)
        ):
            # A new token that is already due for refresh (an IdP that hands back the same
            # near-expiry token, or whose clock runs behind) must not send the next navigation
            # round again: mark it as refreshed once.
            lines += self.mark_refresh_tried(tokens["id_token"], claims, now)
        elif names.refresh_tried in jar:
            lines.append(self.writer.clear(names.refresh_tried))
        return lines + self.asset_lines(claims, now)

    def keep_tokens(self, jar: dict[str, str], tokens: Json) -> list[str]:
        """Set-Cookie lines for a refresh answer without an ID token: a rotated refresh token
        and a new access token are kept (the ID token they came with stays)."""
        lines: list[str] = []
        if tokens.get("refresh_token"):
            lines += self.writer.set(self.names.refresh_token, tokens["refresh_token"], self._max_age, jar)
        access = tokens.get("access_token")
        if self._store_access_token and access and len(access) <= MAX_SESSION_BYTES // 2:
            lines += self.writer.set(self.names.access_token, access, self._max_age, jar)
        return lines

    def mark_refresh_tried(self, id_token: str | None, claims: Claims, now: float) -> list[str]:
        return [
            self.writer.set(self.names.refresh_tried, token_mark(id_token), max(1, int(claims["exp"] - now)), {})[0]
        ]

    def refresh_spent(self, jar: dict[str, str], refresh_token: str) -> bool:
        """The IdP already refused this refresh token for this browser (see mark_refresh_spent)."""
        return jar.get(self.names.refresh_spent) == token_mark(refresh_token)

    def mark_refresh_spent(self, refresh_token: str) -> list[str]:
        """The IdP refused this refresh token. With rotation (Cognito with a 0 s grace period,
        oidc-provider) that is what every request but the first gets when several requests of
        one browser refresh at once; the first one's answer sets the new tokens. So a refusal
        clears nothing (it could land after the winner's cookies and wipe them): it marks the
        token, and the request comes back once with whatever cookies the browser then holds."""
        return self.writer.set(self.names.refresh_spent, token_mark(refresh_token), SPENT_MARK_SECONDS, {})[:1]

    def clear_refresh_token(self, jar: dict[str, str]) -> list[str]:
        return self.writer.clear_all(self.names.refresh_token, jar)

    def clear(self, jar: dict[str, str]) -> list[str]:
        """Clear every cookie of the session and of pending logins (names the gate could have set)."""
        lines: list[str] = []
        for name in self.names.session():
            lines += self.writer.clear_all(name, jar)
        for marker in (self.names.refresh_tried, self.names.refresh_spent):
            if marker in jar:
                lines.append(self.writer.clear(marker))
        lines += [self.writer.clear(name, "Lax") for name in pending_logins(jar, self.names.login_prefix)]
        if self.signs_assets:
            lines += self.clear_assets()
        return lines
