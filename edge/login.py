"""Starting a login (PKCE S256, nonce, signed state, the authorize URL) and finishing it.

The PKCE verifier lives in a per-login HttpOnly cookie `<prefix>-login-<id>` (so two tabs can
log in at once); the nonce is an HMAC of the verifier under the state secret; the state is
`<id>\\n<return path>`, signed for this purpose and valid for `login_max_age_seconds`. The
callback needs all three to agree before the code is spent.
"""

from __future__ import annotations

import os

from . import claims as claim_kinds
from . import responses
from .cookies import is_login_id, pending_logins
from .digest import HmacKey, hmac_sha256, sha256
from .encoding import b64url_encode
from .errors import BadRequest, GateError, IdpError, LoginFailed, TokenInvalid
from .idp import Deadline, IdpClient
from .paths import safe_return_path
from .request import ViewerRequest
from .session import SessionStore, check_token_values
from .settings import Config
from .signing import BadSignature, Signer
from .urls import urlencode
from .verifier import TokenVerifier

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from .typing_aliases import CfResponse, Claims

MAX_LOGIN_COOKIES = 4  # pending logins kept before a new one clears them
VERIFIER_LENGTH = 43  # base64url of 32 random bytes
MAX_CODE_LENGTH = 2048


class LoginFlow:
    def __init__(
        self, config: Config, idp: IdpClient, verifier: TokenVerifier, store: SessionStore, clock: Callable[[], float]
    ):
        self._config = config
        self._idp = idp
        self._verifier = verifier
        self._store = store
        self._clock = clock
        self.signer = Signer(config.state_secrets, "state")  # newest signs, all verify
        self._leeway = config.tokens.leeway_seconds
        self._nonce_keys = tuple(HmacKey(hmac_sha256(s, b"gate-nonce")) for s in config.state_secrets)

    def site_origin(self, request: ViewerRequest) -> str:
        return self._config.site_url or f"https://{request.host()}"

    def callback_url(self, request: ViewerRequest) -> str:
        return f"{self.site_origin(request)}{self._config.paths.callback}"

    def _nonces_for(self, verifier: str) -> tuple[str, ...]:
        """Every nonce a login in flight may carry, the newest secret's first (one started
        before a secret rotation carries an older one)."""
        return tuple(b64url_encode(key.digest(verifier.encode())) for key in self._nonce_keys)

    # -- start -----------------------------------------------------------------------------

    def start(self, request: ViewerRequest, now: float, target: str, set_cookies: Sequence[str] = ()) -> CfResponse:
        """A 302 to the IdP's authorize endpoint, with this login's verifier cookie."""
        config = self._config
        return_path = safe_return_path(target) or "/"
        login_id = b64url_encode(os.urandom(12))
        verifier = b64url_encode(os.urandom(32))
        state = self.signer.sign(f"{login_id}\n{return_path}", now)
        query = urlencode(
            {
                **dict(config.extra_authorize_params),  # safe keys only (build); the gate's own come after
                "response_type": "code",
                "client_id": config.client_id,
                "redirect_uri": self.callback_url(request),
                "scope": " ".join(config.scopes),
                "state": state,
                "code_challenge": b64url_encode(sha256(verifier.encode())),
                "code_challenge_method": "S256",
                "nonce": self._nonces_for(verifier)[0],
            }
        )
        names, writer = self._store.names, self._store.writer
        cookies_out = list(set_cookies)
        pending = pending_logins(request.jar, names.login_prefix)
        if len(pending) >= MAX_LOGIN_COOKIES:
            cookies_out += [writer.clear(name, "Lax") for name in pending]
        cookies_out += writer.set(
            names.login_prefix + login_id, verifier, config.cookies.login_max_age_seconds, {}, same_site="Lax"
        )[:1]
        return responses.redirect(f"{config.endpoints.authorization}?{query}", cookies_out)

    # -- finish ----------------------------------------------------------------------------

    def return_path_of(self, state: str | None) -> str:
        """Where a login was going, from its state, only when the state's signature and age verify."""
        try:
            payload = self.signer.unsign(state or "", self._clock(), self._config.cookies.login_max_age_seconds)
        except (BadSignature, ValueError, TypeError):
            return "/"
        return safe_return_path(payload.partition("\n")[2]) or "/"

    def finish(self, request: ViewerRequest, now: float, deadline: Deadline) -> tuple[Claims, list[str], str]:
        """(claims, Set-Cookie lines, return path) of a completed login; raises GateError, with
        the spent login cookie to clear once the browser binding is known."""
        if request.method != "GET":  # the IdP redirects with GET; nothing else may spend a code
            raise BadRequest("callback_needs_get")
        error = request.param("error")
        if error is not None:
            code = error if error.isascii() and error.replace("_", "").isalnum() and len(error) <= 40 else "unknown"
            raise LoginFailed(f"idp_error_{code}")
        given_code, state = request.param("code"), request.param("state")
        if not given_code or not state or len(given_code) > MAX_CODE_LENGTH:
            raise BadRequest("callback_missing_code_or_state")
        try:
            payload = self.signer.unsign(state, now, self._config.cookies.login_max_age_seconds)
        except BadSignature as exc:
            raise LoginFailed(exc.reason) from None
        login_id, separator, return_path = payload.partition("\n")
        if not separator or not is_login_id(login_id):
            raise LoginFailed("state_malformed")
        login_cookie = self._store.names.login_prefix + login_id
        verifier = request.jar.get(login_cookie)
        if not verifier or len(verifier) != VERIFIER_LENGTH:
            raise LoginFailed("state_not_for_this_browser")
        clear_login = [self._store.writer.clear(login_cookie, "Lax")]
        try:
            tokens = self._idp.exchange_code(given_code, verifier, self.callback_url(request), deadline)
            now = max(now, self._clock())  # the IdP stamped its tokens after we took `now`
            check_token_values(tokens)
            claims = self._verifier.verify(
                tokens["id_token"],
                claim_kinds.ID_TOKEN,
                now,
                nonce=self._nonces_for(verifier),
                nonce_required=self._config.tokens.require_nonce,
                deadline=deadline,
            )
            check_requested_authentication(claims, self._config.extra_authorize_params, now, self._leeway)
        except TokenInvalid as exc:
            raise LoginFailed(f"id_token_{exc.reason}", clear_login) from None
        except GateError as exc:
            exc.set_cookies = clear_login + exc.set_cookies
            raise
        session_cookies = self._store.write(request.jar, tokens, claims, now, from_login=True)
        if session_cookies is None:
            raise IdpError("session_too_large", clear_login)
        return claims, clear_login + session_cookies, safe_return_path(return_path) or "/"


def check_requested_authentication(claims: Claims, params: Sequence[tuple[str, str]], now: float, leeway: int) -> None:
    """What the authorize request asked of the sign-in, checked in the ID token, since the person
    can delete it from the authorize URL. OIDC Core 3.1.2.1: with `max_age`, `auth_time` is
    required and the sign-in may be no older than that (3.1.3.7, 12); with `acr_values`, the
    `acr` must be one of them (the gate asks for no other, 2)."""
    asked = dict(params)
    max_age = asked.get("max_age")
    if max_age is not None:
        if not (max_age.isascii() and max_age.isdigit()):
            raise TokenInvalid("bad_max_age")  # the build refuses it; never a login it cannot check
        auth_time = claims.get("auth_time")
        if isinstance(auth_time, bool) or not isinstance(auth_time, (int, float)):
            raise TokenInvalid("missing_auth_time")
        if now - auth_time > int(max_age) + leeway:
            raise TokenInvalid("auth_time_too_old")
    acr_values = asked.get("acr_values")
    if acr_values is not None:
        acr = claims.get("acr")
        if not isinstance(acr, str) or acr not in acr_values.split():
            raise TokenInvalid("acr_not_requested")
