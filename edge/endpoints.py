"""The gate's own endpoints: sign-in, the OAuth callback, sign-out, signed-out, who-am-I and refresh.

who-am-I and refresh answer 401 with `reason`: signed_out (no session, or nothing a refresh
could use), session_expired (the ID token expired and no refresh was possible), or
refresh_refused (the IdP refused the refresh token, or the refresh changed the identity).
"""

from __future__ import annotations

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
from .session import Session, SessionStore
from .settings import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import Claims, Json


class GateEndpoints:
    def __init__(
        self,
        config: Config,
        provider: Provider,
        store: SessionStore,
        login: LoginFlow,
        refresher: Refresher,
        protected: ProtectedPaths,
        idp: IdpClient,
    ):
        self._config = config
        self._provider = provider
        self._store = store
        self._login = login
        self._refresher = refresher
        self._protected = protected
        self._idp = idp
        self._leeway = config.tokens.leeway_seconds

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
        claims, reason = session.claims, session.reason
        cookies: list[str] = []
        stale_access = session.access_expired(now, self._leeway) and bool(session.refresh_token)
        if session.refreshable or stale_access:
            try:
                claims, cookies, session = self._refresher.refresh(request.jar, now, session, deadline)
                reason = "token_refreshed"
            except RefreshGaveNoIdToken as answer:
                cookies, reason = answer.set_cookies, "refresh_without_id_token"
                session.access_times = answer.access_times
            except LoginFailed as exc:
                claims, cookies, reason = None, self._refused(request, exc), f"refresh_{exc.reason}"
            except GateError as exc:
                if claims is None:
                    return Outcome.respond(answers.json_error(exc, signed_in=False), "error", exc.reason)
                reason = exc.reason  # the ID token still holds: who-am-I says so, with the earlier expiry
        if claims is None:
            if reason.startswith("refresh_"):
                code = "refresh_refused"
            else:
                code = "session_expired" if session.expired else "signed_out"
            return self._signed_out(code, reason, cookies)
        return Outcome.respond(
            responses.json_response(200, self._who(claims, session), cookies), "whoami", reason, claims.get("sub")
        )

    def _signed_out(self, code: str, reason: str, cookies: list[str]) -> Outcome:
        paths = self._config.paths
        body = {
            "signedIn": False,
            "reason": code,
            "signInUrl": pages.sign_in_href(paths, "/"),
            "refreshUrl": paths.refresh,
        }
        extra = {"x-gate-reason": responses.header("X-Gate-Reason", code)}
        return Outcome.respond(responses.json_response(401, body, cookies, extra), "deny", reason)

    def refresh(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        """POST paths.refresh, from the site's own pages: always spends the refresh cookie for
        fresh tokens (same iss/sub/aud/azp, refresh.py). Never a redirect: 200 with who-am-I's
        body, 401 signed_out | refresh_refused, 403 for a cross-site or header-less request,
        502/503/504 when the IdP fails."""
        if request.method != "POST":
            page = responses.json_response(
                405, {"error": "method_not_allowed"}, (), {"allow": responses.header("Allow", "POST")}
            )
            return Outcome.respond(page, "deny", "refresh_needs_post")
        from .api import same_origin_refusal

        refusal = same_origin_refusal(request, self._login.site_origin(request), require_header=True)
        if refusal is not None:
            page = responses.json_response(403, {"error": "forbidden", "reason": refusal})
            return Outcome.respond(page, "deny", refusal)
        session = self._store.read(request.jar, now, deadline)
        if not session.refresh_token:
            return self._signed_out("signed_out", "no_refresh_token", self._store.clear(request.jar))
        try:
            claims, cookies, fresh = self._refresher.refresh(request.jar, now, session, deadline)
        except RefreshGaveNoIdToken as answer:  # a rotated refresh token and a new access token are kept
            if session.claims is not None:
                session.access_times = answer.access_times
                return Outcome.respond(
                    responses.json_response(200, self._who(session.claims, session), answer.set_cookies),
                    "refreshed",
                    "refresh_without_id_token",
                    session.sub,
                )
            return self._signed_out("refresh_refused", "refresh_without_id_token", answer.set_cookies)
        except LoginFailed as exc:  # invalid_grant (spent, revoked, reused) or identity_changed
            return self._signed_out("refresh_refused", f"refresh_{exc.reason}", self._refused(request, exc))
        except GateError as exc:
            return Outcome.respond(answers.json_error(exc, signed_in=False), "error", exc.reason)
        return Outcome.respond(
            responses.json_response(200, self._who(claims, fresh), cookies),
            "refreshed",
            "token_refreshed",
            claims.get("sub"),
        )

    def _refused(self, request: ViewerRequest, exc: LoginFailed) -> list[str]:
        """Set-Cookie lines for a refused refresh: a first invalid_grant only marks the refresh
        token (a sibling request may have won a rotation race; its cookies must survive); any
        other refusal ends the session."""
        if exc.reason == "invalid_grant":
            return exc.set_cookies
        return self._store.clear(request.jar)

    def _who(self, claims: Claims, session: Session) -> Json:
        return {
            "signedIn": True,
            "sub": claims.get("sub"),
            "username": self._provider.username(claims) or claims.get("sub"),
            "email": claims.get("email"),
            "name": claims.get("name"),
            "groups": sorted(self._provider.groups(claims)),
            "expiresAt": session.expires_at,
        }

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
        page = pages.signed_out(self._config.paths, self._store.clear(request.jar))
        return Outcome.respond(page, "signed_out", "signed_out_page")
