"""A request for a protected path: the session state machine.

valid session -> rules -> forward (gate cookies stripped) or 403;
valid but inside the refresh window, on a navigation -> one early refresh, 302 to the same URL;
expired, or only a refresh cookie, on a navigation -> refresh, 302 to the same URL;
no session on a navigation -> login (302 to the IdP); anything else -> 401 (JSON or a page),
always with `X-Gate-Reason: session_expired` (a POST to paths.refresh may bring it back) or
`signed_out`. [[apis]] paths are handed to api.py: never a redirect, the access token forwarded.
"""

from __future__ import annotations

from . import pages, responses
from .access import AccessPolicy, first_unmet
from .cookies import strip_gate_cookies
from .errors import GateError, LoginFailed
from .idp import Deadline
from .outcome import Outcome
from .paths import ROOT_OBJECT, normalise, safe_return_path
from .provider import Provider
from .request import ViewerRequest
from .session import Session, SessionStore
from .settings import Config

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable
    from typing import Protocol

    from .login import LoginFlow
    from .paths import ClientRoutes
    from .refresh import Refresher
    from .typing_aliases import Claims

    class Flows(Protocol):
        """Where the login and refresh flows come from: built on first use (edge/gate.py), so a
        request with a valid session never imports them."""

        @property
        def login(self) -> LoginFlow: ...

        @property
        def refresher(self) -> Refresher: ...


class ProtectedPaths:
    def __init__(
        self,
        config: Config,
        access: AccessPolicy,
        provider: Provider,
        store: SessionStore,
        flows: Flows,
        error: Callable[..., Outcome],
        client_routes: ClientRoutes | None = None,
    ):
        self._config = config
        self._access = access
        self._provider = provider
        self._store = store
        self._flows = flows
        self._error = error
        self._window = config.tokens.refresh_window_seconds
        self._client_routes = client_routes if client_routes is not None and client_routes.enabled else None
        # what the app itself (the index object) asks of a person: a client route needs that too
        self._index_required = access.required(normalise(ROOT_OBJECT))
        self._api = None
        if config.apis:
            from .api import ApiPaths  # lazy: only a site with an API pays for it

            self._api = ApiPaths(config, store, provider, access, store.verifier, flows.login.site_origin)

    def handle(self, request: ViewerRequest, now: float, deadline: Deadline) -> Outcome:
        if self._api is not None:
            api = self._api.match(request.path)
            if api is not None:
                return self._api.handle(api, request, now, deadline, self.unauthenticated)
        session = self._store.read(request.jar, now, deadline)
        navigation = request.is_navigation
        if navigation and session.wants_early_refresh(now, self._window):
            return self._refresh_then_return(request, now, session, deadline)
        if session.claims is None:
            if navigation and session.refreshable:
                return self._refresh_then_return(request, now, session, deadline)
            if navigation:
                return self.login(request, now, request.original_target(), session.reason)
            return self.unauthenticated(request, session)
        due = navigation and request.method == "GET" and self._store.asset_cookies_due(request.jar)
        target = request.original_target() if due else ""  # before authorize rewrites a client route
        outcome = self.authorize(request, session.claims)
        if due and outcome.forwarded:
            # [assets] signed_cookies: the page's assets would be CloudFront's 403; mint them
            # and come back (once: the marker comes with them)
            back = safe_return_path(target) or "/"
            lines = self._store.asset_lines(session.claims, now)
            return Outcome.respond(responses.redirect(back, lines), "allow", "asset_cookies_renewed", session.sub)
        return outcome

    def login(
        self, request: ViewerRequest, now: float, target: str, reason: str, set_cookies: list[str] | None = None
    ) -> Outcome:
        return Outcome.respond(self._flows.login.start(request, now, target, set_cookies or []), "login", reason)

    def authorize(self, request: ViewerRequest, claims: Claims) -> Outcome:
        """Forward a signed-in person's request when [entry] and the rules of every reading let
        them; a client route ([site] spa) goes on as the app (ROOT_OBJECT), and then the person
        must also be let in to the app by its own rules: the rewrite never shows anything they
        could not fetch at ROOT_OBJECT themselves."""
        sub = claims.get("sub")
        required = self._access.required(request.path)
        uri = request.path.encoded
        routes = self._client_routes
        if routes is not None:
            index = routes.index_for_request(request)
            if index is not None:
                uri = index
                required += [needed for needed in self._index_required if needed not in required]
        if required:
            reason = first_unmet(self._provider.person(claims), required)
            if reason is not None:
                if request.wants_json:
                    page = responses.json_response(403, {"signedIn": True, "error": reason})
                else:
                    page = pages.forbidden(self._config.paths, self._provider.display_name(claims), reason)
                return Outcome.respond(page, "deny", reason, sub)
        cf_request = request.raw
        strip_gate_cookies(cf_request["headers"], self._store.names.all_prefix)
        if cf_request["uri"] != uri:
            cf_request["uri"] = uri
        return Outcome.forward(cf_request, "allow", "valid_session", sub)

    def unauthenticated(
        self, request: ViewerRequest, session: Session, force_json: bool = False, reason: str | None = None
    ) -> Outcome:
        """401 for a request that cannot be sent to sign in. `X-Gate-Reason` (and `reason` in
        JSON) says whether a refresh may help: session_expired, or signed_out."""
        paths = self._config.paths
        code = reason or gate_reason(session)
        extra = {"x-gate-reason": responses.header("X-Gate-Reason", code)}
        if force_json or request.wants_json:
            body = {
                "signedIn": False,
                "reason": code,
                "signInUrl": pages.sign_in_href(paths, "/"),
                "refreshUrl": paths.refresh,
            }
            return Outcome.respond(responses.json_response(401, body, (), extra), "deny", session.reason)
        page = pages.unauthenticated(paths, safe_return_path(request.original_target()) or "/", session.reason)
        page["headers"].update(extra)
        return Outcome.respond(page, "deny", session.reason)

    def _refresh_then_return(self, request: ViewerRequest, now: float, session: Session, deadline: Deadline) -> Outcome:
        from .refresh import RefreshGaveNoIdToken

        target = request.original_target()
        back = safe_return_path(target) or "/"
        still_valid = session.claims is not None
        try:
            claims, cookies, _ = self._flows.refresher.refresh(request.jar, now, session, deadline)
        except RefreshGaveNoIdToken as answer:
            if still_valid:  # keep the rotated refresh token; don't try again for this ID token
                mark = self._store.mark_refresh_tried(session.id_token, session.claims or {}, now)
                return Outcome.respond(
                    responses.redirect(back, answer.set_cookies + mark),
                    "refreshed",
                    "refresh_without_id_token",
                    session.sub,
                )
            return self.login(request, now, target, "refresh_without_id_token", answer.set_cookies)
        except LoginFailed as exc:
            if exc.reason == "invalid_grant":
                # spent or revoked, maybe by a sibling request of this browser that won a rotation
                # race: clear nothing, come back once with the cookies the browser then holds
                mark = exc.set_cookies
                if still_valid:
                    mark += self._store.mark_refresh_tried(session.id_token, session.claims or {}, now)
                return Outcome.respond(responses.redirect(back, mark), "refresh_failed", exc.reason, session.sub)
            if still_valid and exc.reason == "refresh_token_spent":
                return self.authorize(request, session.claims or {})
            return self.login(request, now, target, f"refresh_{exc.reason}", self._store.clear(request.jar))
        except GateError as exc:
            if still_valid:  # the IdP is down but the token is still good: let them in
                return self.authorize(request, session.claims or {})
            return self._error(exc, request)
        return Outcome.respond(responses.redirect(back, cookies), "refreshed", "token_refreshed", claims.get("sub"))


def gate_reason(session: Session) -> str:
    """session_expired when a refresh may bring the session back (an expired ID token, or a
    refresh cookie left); signed_out otherwise (no cookies, or a token that is not valid)."""
    return "session_expired" if session.expired or session.refreshable else "signed_out"
