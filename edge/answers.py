"""Turning a GateError into the answer a person or a script sees: the HTTP status is chosen here.

400 for a request or login that cannot go on, 401 for no valid token, 502 for an IdP answer we
cannot use, 503 when the IdP cannot be reached, 504 when it is too slow; never 200 for an error.
A request that asked for JSON gets JSON; a person gets a short page with a way on.
"""

from __future__ import annotations

from . import pages, responses
from .errors import BadRequest, GateError, IdpTimeout, IdpUnavailable, LoginFailed, TokenInvalid
from .outcome import Outcome
from .paths import safe_return_path
from .request import ViewerRequest
from .settings import Paths

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import CfResponse


def status_of(exc: GateError) -> int:
    if isinstance(exc, (BadRequest, LoginFailed)):
        return 400
    if isinstance(exc, TokenInvalid):
        return 401
    if isinstance(exc, IdpTimeout):
        return 504
    if isinstance(exc, IdpUnavailable):
        return 503
    return 502


def json_error(exc: GateError, signed_in: bool | None = None) -> CfResponse:
    body: dict[str, object] = {"error": exc.reason}
    if signed_in is not None:
        body = {"signedIn": signed_in, **body}
    return responses.json_response(status_of(exc), body, exc.set_cookies)


def error(
    exc: GateError,
    request: ViewerRequest | None,
    paths: Paths,
    gate_paths: frozenset[str],
    return_path_at_callback: str = "/",
) -> Outcome:
    """The answer to a GateError. `return_path_at_callback`: where a failed login was going
    (from its verified state), so "Sign in again" keeps the deep link."""
    status = status_of(exc)
    if request is not None and request.wants_json:
        return Outcome.respond(json_error(exc), "error", exc.reason)
    title, message = pages.error_copy(status, exc.reason, isinstance(exc, LoginFailed))
    action = _way_on(status, request, paths, gate_paths, return_path_at_callback)
    page = pages.error(status, title, message, paths, exc.reason, exc.set_cookies, action=action)
    return Outcome.respond(page, "error", exc.reason)


def _way_on(
    status: int, request: ViewerRequest | None, paths: Paths, gate_paths: frozenset[str], return_path_at_callback: str
) -> tuple[str, str] | None:
    """ "Try again" for the page the person was on (503/504); after a failed sign-in, "Sign in
    again" back to where they were going."""
    if request is None:
        return None
    retry = status in (503, 504)
    if request.path.exact == paths.callback:  # the code is spent: start a new sign-in
        return pages.sign_in_href(paths, return_path_at_callback), "Try again" if retry else "Sign in again"
    target = safe_return_path(request.original_target()) or "/"
    if request.path.exact in gate_paths:
        target = "/"
    if retry and request.is_navigation:
        return target, "Try again"
    return pages.sign_in_href(paths, target), "Sign in again"
