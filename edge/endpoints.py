"""The gate's own endpoints: sign-in, the OAuth callback, sign-out, signed-out and who-am-I."""

from __future__ import annotations

from collections.abc import Callable

from . import answers, pages, responses
from .cookies import read as read_cookie
from .errors import BadRequest, GateError, LoginFailed
from .idp import Deadline, IdpClient
from .login import LoginFlow
from .outcome import Outcome
from .paths import safe_return_path
from .protected import ProtectedPaths
from .provider import Provider
from .refresh import Refresher, RefreshGaveNoIdToken
from .request import ViewerRequest
from .session import SessionStore
from .settings import Config

Route = Callable[[ViewerRequest, float, Deadline], Outcome]


class GateEndpoints:
    def __init__(self, config: Config, provider: Provider, store: SessionStore, login: LoginFlow,
                 refresher: Refresher, protected: ProtectedPaths, idp: IdpClient):
        self._config = config
        self._provider = provider
        self._store = store
        self._login = login
        self._refresher = refresher
        self._protected = protected
        self._idp = idp

    def routes(self) -> dict[str, Route]:
        paths = self._config.paths
        return {
            paths.callback: self.callback,
            paths.sign_in: self.sign_in,
            paths.sign_out: self.sign_out,
            paths.signed_out: self.signed_out,
            paths.whoami: self.whoami,
        }

    def sign_in(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        target = safe_return_path(request.param("return")) or "/"
        session = self._store.read(request.jar, now, deadline)
        if session.claims is not None:
            return Outcome.respond(responses.redirect(target), "allow", "already_signed_in", session.sub)
        return self._protected.login(request, now, target, "sign_in_requested")

    def callback(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        claims, set_cookies, target = self._login.finish(request, now, deadline)
        if self._config.cookies.same_site == "Strict":
            page = pages.continue_to(target, set_cookies)
        else:
            page = responses.redirect(target, set_cookies)
        return Outcome.respond(page, "login_complete", "code_exchanged", claims.get("sub"))

    def whoami(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        session = self._store.read(request.jar, now, deadline)
        claims, cookies, reason = session.claims, [], session.reason
        if session.refreshable:
            try:
                claims, cookies = self._refresher.refresh(request.jar, now, session.refresh_token or "",
                                                          session.expired_claims, deadline)
                reason = "token_refreshed"
            except RefreshGaveNoIdToken as answer:
                cookies, reason = answer.set_cookies, "refresh_without_id_token"
            except LoginFailed as exc:
                cookies, reason = self._store.clear(request.jar), f"refresh_{exc.reason}"
            except GateError as exc:
                return Outcome.respond(answers.json_error(exc, signed_in=False), "error", exc.reason)
        if claims is None:
            body = {"signedIn": False, "signInUrl": pages.sign_in_href(self._config.paths, "/")}
            return Outcome.respond(responses.json_response(401, body, cookies), "deny", reason)
        body = {
            "signedIn": True,
            "sub": claims.get("sub"),
            "username": self._provider.username(claims) or claims.get("sub"),
            "email": claims.get("email"),
            "name": claims.get("name"),
            "groups": sorted(self._provider.groups(claims)),
            "expiresAt": claims.get("exp"),
        }
        return Outcome.respond(responses.json_response(200, body, cookies), "whoami", reason, claims.get("sub"))

    def sign_out(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        if not request.is_navigation:
            raise BadRequest("sign_out_needs_navigation")
        names = self._store.names
        refresh_token = read_cookie(request.jar, names.refresh_token)
        id_token = read_cookie(request.jar, names.id_token)
        outcome = self._idp.revoke(refresh_token, deadline) if refresh_token else "no_refresh_token"
        signed_out_url = self._login.site_origin(request) + self._config.paths.signed_out
        location = self._provider.logout_location(signed_out_url, id_token)
        return Outcome.respond(responses.redirect(location, self._store.clear(request.jar)), "sign_out", outcome)

    def signed_out(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        page = pages.signed_out(self._config.paths)
        lines = self._store.clear(request.jar)
        if lines:
            page["headers"]["set-cookie"] = [{"key": "Set-Cookie", "value": line} for line in lines]
        return Outcome.respond(page, "signed_out", "signed_out_page")
