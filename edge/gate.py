"""What the gate does with one viewer request.

`Gate.handle` routes the request and returns an Outcome: either the CloudFront request to pass
on (possibly rewritten) or a generated response, plus what to log. Everything here decides
from the request, the configuration and the clock; the only I/O goes through `self.idp`
(token endpoint, revocation, JWKS), which tests replace with a real local server.
"""

from __future__ import annotations

import os
import time

from . import claims as claim_kinds
from . import pages, responses
from .cookies import MAX_SESSION_BYTES, CookieNames, CookieWriter, is_login_id, pending_logins, strip_gate_cookies
from .cookies import read as read_cookie
from .digest import HmacKey, hmac_sha256, sha256
from .encoding import b64url_encode
from .errors import BadRequest, GateError, IdpError, LoginFailed, TokenExpired, TokenInvalid
from .idp import IdpClient
from .jwks import KeyStore
from .paths import Pattern, safe_return_path
from .request import ViewerRequest
from .signing import BadSignature, Signer
from .urls import urlencode
from .verifier import TokenVerifier

# base64url, JOSE dots, and what opaque tokens use (RFC 6750 b64token); no ; , " \ or spaces
_TOKEN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~+/=")
REQUEST_BUDGET_SECONDS = 4.3  # every answer well inside the 5 s viewer-request limit
MAX_LOGIN_COOKIES = 4
_VERIFIER_LENGTH = 43


class Outcome:
    __slots__ = ("result", "decision", "reason", "sub", "status")

    def __init__(self, result: dict, decision: str, reason: str, sub: str | None = None):
        self.result = result
        self.decision = decision
        self.reason = reason
        self.sub = sub
        self.status = int(result["status"]) if "status" in result else None


class Session:
    """`claims` of a valid ID token, or None; `expired_claims` of a genuine expired one."""
    __slots__ = ("claims", "reason", "refresh_token", "expired", "expired_claims", "early_refresh_tried")

    def __init__(self, claims, reason, refresh_token, expired=False, expired_claims=None,
                 early_refresh_tried=False):
        self.claims = claims
        self.reason = reason
        self.refresh_token = refresh_token
        self.expired = expired
        self.expired_claims = expired_claims
        self.early_refresh_tried = early_refresh_tried


class RefreshGaveNoIdToken(Exception):
    """The refresh answer had no ID token (OAuth allows it); `cookies` keep a rotated refresh token."""

    def __init__(self, cookies: list[str]):
        super().__init__("refresh_without_id_token")
        self.cookies = cookies


class Gate:
    def __init__(self, config, jwks: dict, idp: IdpClient | None = None, clock=None):
        self.config = config
        responses.set_branding(config.branding)
        self.clock = clock or (lambda: time.time())  # looked up per call: tests may freeze time
        self.idp = idp or IdpClient(config)
        self.keys = KeyStore(jwks, config.tokens.algorithms, fetch_jwks=self.idp.fetch_jwks)
        self.verifier = TokenVerifier(config, self.keys)
        self.names = CookieNames.for_settings(config.cookies)
        self.cookie_writer = CookieWriter(config.cookies)
        self.state_signer = Signer(config.state_secrets, "state")  # newest signs, all verify
        self._nonce_keys = tuple(HmacKey(hmac_sha256(s, b"gate-nonce")) for s in config.state_secrets)
        case_sensitive = config.paths.case_sensitive
        self.public = tuple(Pattern(p, case_sensitive) for p in config.paths.public)
        self.rules = tuple(
            (tuple(Pattern(p, case_sensitive) for p in rule.paths), frozenset(rule.groups))
            for rule in config.rules
        )
        paths = config.paths
        self.routes = {
            paths.callback: self._callback,
            paths.sign_in: self._sign_in,
            paths.sign_out: self._sign_out,
            paths.signed_out: self._signed_out,
            paths.whoami: self._whoami,
        }

    # -- entry -------------------------------------------------------------------------

    def handle(self, cf_request: dict, now: float) -> Outcome:
        self.idp.deadline = time.monotonic() + REQUEST_BUDGET_SECONDS
        request = None
        try:
            request = ViewerRequest(cf_request)
            route = self.routes.get(request.path.exact)
            if route is not None:
                return route(request, now)
            if self._is_public(request):
                strip_gate_cookies(cf_request["headers"], self.names.all_prefix)
                return Outcome(cf_request, "allow", "public_path")
            return self._protected(request, now)
        except GateError as exc:
            return self._error_outcome(exc, request=request)

    def _error_outcome(self, exc: GateError, set_cookies=(), request: ViewerRequest | None = None) -> Outcome:
        if request is not None and request.wants_json:
            return Outcome(responses.json_response(exc.status, {"error": exc.reason}, set_cookies),
                           "error", exc.reason)
        titles = {
            400: ("We couldn't complete that request", "Something in the link was not right. Start again."),
            401: ("Sign-in required", "You need to sign in to see this."),
            502: ("Sign-in is not working right now", "The sign-in service gave an answer we could not use. Try again in a moment."),
            503: ("Sign-in is unavailable", "The sign-in service could not be reached. Try again in a moment."),
            504: ("Sign-in is taking too long", "The sign-in service did not answer in time. Try again in a moment."),
        }
        title, message = titles.get(exc.status, titles[502])
        if isinstance(exc, LoginFailed):
            title, message = "We couldn't sign you in", "The sign-in did not complete. Start again."
            if exc.reason.startswith("idp_error_"):
                message = "The sign-in was cancelled or refused at the sign-in service. You can start again."
        page = pages.error(exc.status, title, message, self.config.paths, exc.reason, set_cookies,
                           action=self._way_on(exc, request))
        return Outcome(page, "error", exc.reason)

    def _way_on(self, exc: GateError, request: ViewerRequest | None) -> tuple[str, str] | None:
        """"Try again" for the page the person was on (503/504); after a failed sign-in,
        "Sign in again" back to where they were going (from the verified state at the callback)."""
        if request is None:
            return None
        paths = self.config.paths
        retry = exc.status in (503, 504)
        if request.path.exact == paths.callback:  # the code is spent: start a new sign-in
            return pages.sign_in_href(paths, self._state_return_path(request)), "Try again" if retry else "Sign in again"
        target = safe_return_path(request.original_target()) or "/"
        if request.path.exact in self.routes:
            target = "/"
        if retry and request.is_navigation:
            return target, "Try again"
        return pages.sign_in_href(paths, target), "Sign in again"

    def _state_return_path(self, request: ViewerRequest) -> str:
        """The return path inside a callback's state, only when its signature and age verify."""
        try:
            payload = self.state_signer.unsign(request.param("state") or "", self.clock(),
                                               self.config.cookies.login_max_age_seconds)
        except (GateError, BadSignature, ValueError, TypeError):
            return "/"
        return safe_return_path(payload.partition("\n")[2]) or "/"

    # -- protected pages -----------------------------------------------------------------

    def _is_public(self, request: ViewerRequest) -> bool:
        """Public only as spelled canonically (a public request goes on untouched, so the origin
        must see exactly the path that was matched; other spellings need a session), and only
        when every reading of the path is public (see paths.py). The root goes on as the index
        object, never as "/"."""
        path = request.path
        uri = request.raw["uri"]
        if path.encoded != uri and not (uri == "/" and path.exact == "/"):
            return False
        public = self.public
        for text in path.exacts:
            if not any(p.exact(text) for p in public):
                return False
        for text in path.looses:
            if not any(p.loose(text) for p in public):
                return False
        if path.encoded != uri:
            request.raw["uri"] = path.encoded
        return True

    def _required_groups(self, request: ViewerRequest) -> list[frozenset]:
        """The groups of the first rule matching each reading of the path (see paths.py)."""
        path = request.path
        required = []
        for text in path.exacts:
            for patterns, groups in self.rules:
                if any(p.exact(text) for p in patterns):
                    if groups not in required:
                        required.append(groups)
                    break
        for text in path.looses:
            for patterns, groups in self.rules:
                if any(p.loose(text) for p in patterns):
                    if groups not in required:
                        required.append(groups)
                    break
        return required

    def _read_session(self, request: ViewerRequest, now: float) -> Session:
        refresh_token = read_cookie(request.jar, self.names.refresh_token)
        id_token = read_cookie(request.jar, self.names.id_token)
        if id_token is None:
            return Session(None, "no_session", refresh_token)
        try:
            claims = self.verifier.verify(id_token, claim_kinds.ID_TOKEN, now)
        except TokenExpired as exc:
            return Session(None, exc.reason, refresh_token, expired=True, expired_claims=exc.claims)
        except GateError as exc:  # invalid, or its key could not be fetched: not signed in
            return Session(None, exc.reason, refresh_token)
        tried = request.jar.get(self.names.refresh_tried) == _token_mark(id_token)
        return Session(claims, "valid_session", refresh_token, early_refresh_tried=tried)

    def _protected(self, request: ViewerRequest, now: float) -> Outcome:
        session = self._read_session(request, now)
        navigation = request.is_navigation
        claims = session.claims
        if (claims is not None and navigation and session.refresh_token and not session.early_refresh_tried
                and self._in_refresh_window(claims, now)):
            return self._refresh_then_return(request, now, session, still_valid=True)
        if claims is None:
            if navigation and session.refresh_token and (session.expired or session.reason == "no_session"):
                return self._refresh_then_return(request, now, session, still_valid=False)
            if navigation:
                return self._start_login(request, now, request.original_target(), session.reason)
            return self._unauthenticated(request, session.reason)
        return self._authorize(request, claims)

    def _authorize(self, request: ViewerRequest, claims: dict) -> Outcome:
        sub = claims.get("sub")
        required = self._required_groups(request)
        member_of = self._groups(claims) if required else frozenset()
        for groups in required:
            if not groups & member_of:
                if request.wants_json:
                    page = responses.json_response(403, {"signedIn": True, "error": "missing_group"})
                else:
                    page = pages.forbidden(self.config.paths, _display_name(claims), "missing_group")
                return Outcome(page, "deny", "missing_group", sub)
        cf_request = request.raw
        strip_gate_cookies(cf_request["headers"], self.names.all_prefix)
        if cf_request["uri"] != request.path.encoded:
            cf_request["uri"] = request.path.encoded
        return Outcome(cf_request, "allow", "valid_session", sub)

    def _groups(self, claims: dict) -> frozenset:
        value = claims.get(self.config.tokens.groups_claim)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return frozenset()
        return frozenset(g for g in value if isinstance(g, str))

    def _in_refresh_window(self, claims: dict, now: float) -> bool:
        """Time to refresh early. Never for the first half of a token's life: an ID token that
        lives no longer than the window would otherwise refresh on every navigation, for ever."""
        exp, iat = claims["exp"], claims.get("iat")
        window = self.config.tokens.refresh_window_seconds
        if isinstance(iat, (int, float)) and not isinstance(iat, bool) and exp > iat:
            window = min(window, (exp - iat) / 2)
        else:
            window = min(window, 60)
        return exp - now <= window

    def _unauthenticated(self, request: ViewerRequest, reason: str) -> Outcome:
        if request.wants_json:
            body = {"signedIn": False, "signInUrl": pages.sign_in_href(self.config.paths, "/")}
            return Outcome(responses.json_response(401, body), "deny", reason)
        page = pages.unauthenticated(self.config.paths, safe_return_path(request.original_target()) or "/", reason)
        return Outcome(page, "deny", reason)

    # -- login -------------------------------------------------------------------------

    def _site_origin(self, request: ViewerRequest) -> str:
        return self.config.site_url or f"https://{request.host()}"

    def _nonce_for(self, verifier: str) -> str:
        return b64url_encode(self._nonce_keys[0].digest(verifier.encode()))

    def _nonces_for(self, verifier: str) -> tuple[str, ...]:
        """Every nonce a login in flight may carry: one started before a secret rotation too."""
        return tuple(b64url_encode(key.digest(verifier.encode())) for key in self._nonce_keys)

    def _start_login(self, request: ViewerRequest, now: float, target: str, reason: str,
                     extra_cookies=()) -> Outcome:
        return_path = safe_return_path(target) or "/"
        login_id = b64url_encode(os.urandom(12))
        verifier = b64url_encode(os.urandom(32))
        challenge = b64url_encode(sha256(verifier.encode()))
        state = self.state_signer.sign(f"{login_id}\n{return_path}", now)
        query = urlencode({
            "response_type": "code",
            "client_id": self.config.client_id,
            "redirect_uri": self._site_origin(request) + self.config.paths.callback,
            "scope": " ".join(self.config.scopes),
            "state": state,
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "nonce": self._nonce_for(verifier),
        })
        cookies_out = list(extra_cookies)
        pending = pending_logins(request.jar, self.names.login_prefix)
        if len(pending) >= MAX_LOGIN_COOKIES:
            cookies_out += [self.cookie_writer.clear(name, "Lax") for name in pending]
        cookies_out.append(self.cookie_writer.set(
            self.names.login_prefix + login_id, verifier,
            self.config.cookies.login_max_age_seconds, {}, same_site="Lax")[0])
        location = f"{self.config.endpoints.authorization}?{query}"
        return Outcome(responses.redirect(location, cookies_out), "login", reason)

    def _sign_in(self, request: ViewerRequest, now: float) -> Outcome:
        target = safe_return_path(request.param("return")) or "/"
        session = self._read_session(request, now)
        if session.claims is not None:
            return Outcome(responses.redirect(target), "allow", "already_signed_in", session.claims.get("sub"))
        return self._start_login(request, now, target, "sign_in_requested")

    def _callback(self, request: ViewerRequest, now: float) -> Outcome:
        if request.method != "GET":  # the IdP redirects with GET; nothing else may spend a code
            raise BadRequest("callback_needs_get")
        error = request.param("error")
        if error is not None:
            code = error if error.isascii() and error.replace("_", "").isalnum() and len(error) <= 40 else "unknown"
            return self._error_outcome(LoginFailed(f"idp_error_{code}"), request=request)
        code, state = request.param("code"), request.param("state")
        if not code or not state or len(code) > 2048:
            raise BadRequest("callback_missing_code_or_state")
        try:
            payload = self.state_signer.unsign(state, now, self.config.cookies.login_max_age_seconds)
        except BadSignature as exc:
            raise LoginFailed(exc.reason) from None
        login_id, separator, return_path = payload.partition("\n")
        if not separator or not is_login_id(login_id):
            raise LoginFailed("state_malformed")
        login_cookie = self.names.login_prefix + login_id
        verifier = request.jar.get(login_cookie)
        if not verifier or len(verifier) != _VERIFIER_LENGTH:
            raise LoginFailed("state_not_for_this_browser")
        clear_login = [self.cookie_writer.clear(login_cookie, "Lax")]
        try:
            tokens = self.idp.exchange_code(code, verifier, self._site_origin(request) + self.config.paths.callback)
            now = max(now, self.clock())  # the IdP stamped its tokens after we took `now`
            _check_size(tokens)
            claims = self.verifier.verify(tokens["id_token"], claim_kinds.ID_TOKEN, now,
                                          nonce=self._nonces_for(verifier),
                                          nonce_required=self.config.tokens.require_nonce)
        except TokenInvalid as exc:
            return self._error_outcome(LoginFailed(f"id_token_{exc.reason}"), clear_login, request)
        except GateError as exc:
            return self._error_outcome(exc, clear_login, request)
        session_cookies = self._session_cookies(request, tokens, claims, now, from_login=True)
        if session_cookies is None:
            return self._error_outcome(IdpError("session_too_large"), clear_login, request)
        target = safe_return_path(return_path) or "/"
        set_cookies = clear_login + session_cookies
        if self.config.cookies.same_site == "Strict":
            return Outcome(pages.continue_to(target, set_cookies), "login_complete", "code_exchanged", claims.get("sub"))
        return Outcome(responses.redirect(target, set_cookies), "login_complete", "code_exchanged", claims.get("sub"))

    def _session_cookies(self, request: ViewerRequest, tokens: dict, claims: dict, now: float,
                         from_login: bool) -> list[str] | None:
        """Set-Cookie lines for new tokens, or None when they cannot fit in a request.

        A login that returns no refresh token clears any refresh cookie already there: it may
        belong to whoever signed in before, and would turn this session back into theirs. A
        refresh that returns none keeps the one it used (no rotation)."""
        max_age = self.config.cookies.session_max_age_seconds
        names = self.names
        values = {names.id_token: tokens["id_token"]}
        if tokens.get("refresh_token"):
            values[names.refresh_token] = tokens["refresh_token"]
        access = tokens.get("access_token")
        if self.config.tokens.store_access_token and access:
            values[names.access_token] = access
        if sum(len(v) for v in values.values()) > MAX_SESSION_BYTES:
            values.pop(names.access_token, None)
            if sum(len(v) for v in values.values()) > MAX_SESSION_BYTES:
                return None
        lines: list[str] = []
        for name in names.session():
            if name in values:
                lines += self.cookie_writer.set(name, values[name], max_age, request.jar)
            elif name in request.jar and (name == names.access_token or from_login):
                lines += self.cookie_writer.clear_all(name, request.jar)
        if self._in_refresh_window(claims, now):
            # A new token that is already due for refresh (an IdP that hands back the same
            # near-expiry token, or whose clock runs behind) must not send the next navigation
            # round again: mark it as refreshed once.
            lines.append(self.cookie_writer.set(names.refresh_tried, _token_mark(tokens["id_token"]),
                                                max(1, int(claims["exp"] - now)), {})[0])
        elif names.refresh_tried in request.jar:
            lines.append(self.cookie_writer.clear(names.refresh_tried))
        return lines

    def _clear_session(self, request: ViewerRequest) -> list[str]:
        lines: list[str] = []
        for name in self.names.session():
            lines += self.cookie_writer.clear_all(name, request.jar)
        if self.names.refresh_tried in request.jar:
            lines.append(self.cookie_writer.clear(self.names.refresh_tried))
        lines += [self.cookie_writer.clear(name, "Lax")
                  for name in pending_logins(request.jar, self.names.login_prefix)]
        return lines

    # -- refresh -----------------------------------------------------------------------

    def _refresh(self, request: ViewerRequest, now: float, refresh_token: str,
                 previous: dict | None) -> tuple[dict, list[str]]:
        """New claims and cookies from the refresh grant. `previous` holds the verified claims of
        the ID token being replaced (valid or expired): the new one must be the same login's."""
        tokens = self.idp.refresh(refresh_token)
        now = max(now, self.clock())
        if "id_token" not in tokens:
            _check_size(tokens, id_token_required=False)
            keep = []
            if tokens.get("refresh_token"):  # a rotated refresh token must not be lost
                keep = self.cookie_writer.set(self.names.refresh_token, tokens["refresh_token"],
                                              self.config.cookies.session_max_age_seconds, request.jar)
            raise RefreshGaveNoIdToken(keep)
        _check_size(tokens)
        try:
            claims = self.verifier.verify(tokens["id_token"], claim_kinds.ID_TOKEN, now)
            if previous is not None:
                claim_kinds.check_same_login(previous, claims)
        except TokenInvalid as exc:
            if exc.reason == "identity_changed":
                # never let a refresh turn one person's session into another's: start again
                raise LoginFailed("identity_changed") from None
            raise IdpError(f"refreshed_{exc.reason}") from None
        cookies_out = self._session_cookies(request, tokens, claims, now, from_login=False)
        if cookies_out is None:
            raise IdpError("session_too_large")
        return claims, cookies_out

    def _refresh_then_return(self, request: ViewerRequest, now: float, session: Session,
                             still_valid: bool) -> Outcome:
        target = request.original_target()
        previous = session.claims if still_valid else session.expired_claims
        try:
            claims, cookies_out = self._refresh(request, now, session.refresh_token, previous)
        except RefreshGaveNoIdToken as answer:
            if still_valid:  # keep the rotated refresh token; don't try again for this ID token
                mark = self.cookie_writer.set(self.names.refresh_tried,
                                              _token_mark(read_cookie(request.jar, self.names.id_token)),
                                              max(1, int(session.claims["exp"] - now)), {})
                return Outcome(responses.redirect(safe_return_path(target) or "/", answer.cookies + mark),
                               "refreshed", "refresh_without_id_token", session.claims.get("sub"))
            return self._start_login(request, now, target, "refresh_without_id_token",
                                     extra_cookies=answer.cookies)
        except LoginFailed as exc:  # invalid_grant: the refresh token is spent or revoked
            if still_valid and exc.reason != "identity_changed":
                clear = self.cookie_writer.clear_all(self.names.refresh_token, request.jar)
                return Outcome(responses.redirect(safe_return_path(target) or "/", clear),
                               "refresh_failed", exc.reason, session.claims.get("sub"))
            return self._start_login(request, now, target, f"refresh_{exc.reason}",
                                     extra_cookies=self._clear_session(request))
        except GateError as exc:
            if still_valid:  # the IdP is down but the token is still good: let them in
                return self._authorize(request, session.claims)
            return self._error_outcome(exc, request=request)
        return Outcome(responses.redirect(safe_return_path(target) or "/", cookies_out),
                       "refreshed", "token_refreshed", claims.get("sub"))

    # -- who am I, sign-out --------------------------------------------------------------

    def _whoami(self, request: ViewerRequest, now: float) -> Outcome:
        session = self._read_session(request, now)
        claims, cookies_out, reason = session.claims, [], session.reason
        if claims is None and session.refresh_token and (session.expired or reason == "no_session"):
            try:
                claims, cookies_out = self._refresh(request, now, session.refresh_token, session.expired_claims)
                reason = "token_refreshed"
            except RefreshGaveNoIdToken as answer:
                cookies_out, reason = answer.cookies, "refresh_without_id_token"
            except LoginFailed as exc:
                cookies_out, reason = self._clear_session(request), f"refresh_{exc.reason}"
            except GateError as exc:
                return Outcome(responses.json_response(exc.status, {"signedIn": False, "error": exc.reason}),
                               "error", exc.reason)
        if claims is None:
            body = {"signedIn": False, "signInUrl": pages.sign_in_href(self.config.paths, "/")}
            return Outcome(responses.json_response(401, body, cookies_out), "deny", reason)
        body = {
            "signedIn": True,
            "sub": claims.get("sub"),
            "username": claims.get("cognito:username") or claims.get("preferred_username") or claims.get("sub"),
            "email": claims.get("email"),
            "name": claims.get("name"),
            "groups": sorted(self._groups(claims)),
            "expiresAt": claims.get("exp"),
        }
        return Outcome(responses.json_response(200, body, cookies_out), "whoami", reason, claims.get("sub"))

    def _sign_out(self, request: ViewerRequest, now: float) -> Outcome:
        if not request.is_navigation:
            raise BadRequest("sign_out_needs_navigation")
        refresh_token = read_cookie(request.jar, self.names.refresh_token)
        id_token = read_cookie(request.jar, self.names.id_token)
        outcome = "no_refresh_token"
        if refresh_token:
            outcome = self.idp.revoke(refresh_token)
        endpoints = self.config.endpoints
        signed_out_url = self._site_origin(request) + self.config.paths.signed_out
        if endpoints.logout_style == "cognito" and endpoints.logout:
            location = endpoints.logout + "?" + urlencode(
                {"client_id": self.config.client_id, "logout_uri": signed_out_url})
        elif endpoints.logout_style == "oidc" and endpoints.logout:
            params = {"client_id": self.config.client_id, "post_logout_redirect_uri": signed_out_url}
            if id_token and len(id_token) <= 4000:
                params["id_token_hint"] = id_token
            location = endpoints.logout + "?" + urlencode(params)
        else:
            location = self.config.paths.signed_out
        return Outcome(responses.redirect(location, self._clear_session(request)), "sign_out", outcome)

    def _signed_out(self, request: ViewerRequest, now: float) -> Outcome:
        page = pages.signed_out(self.config.paths)
        page["headers"]["set-cookie"] = [{"key": "Set-Cookie", "value": line}
                                         for line in self._clear_session(request)]
        if not page["headers"]["set-cookie"]:
            del page["headers"]["set-cookie"]
        return Outcome(page, "signed_out", "signed_out_page")


def _check_size(tokens: dict, id_token_required: bool = True) -> None:
    """The IdP's token values go into Set-Cookie: only cookie-safe characters, bounded size."""
    if id_token_required and len(tokens["id_token"]) > MAX_SESSION_BYTES:
        raise IdpError("session_too_large")
    for name in ("id_token", "access_token", "refresh_token"):
        value = tokens.get(name)
        if value is not None and (not value or not _TOKEN_CHARS.issuperset(value)):
            raise IdpError(f"idp_bad_{name}")


def _token_mark(token: str | None) -> str:
    """A short, cookie-safe tag of one token (the tail of its signature)."""
    return (token or "")[-16:]


def _display_name(claims: dict) -> str:
    for name in ("name", "email", "cognito:username", "preferred_username", "sub"):
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return "an unknown user"
