"""The short human pages the gate answers with. Every page says what happened in a sentence,
offers a way on, and keeps the reason code as a small reference for the site's support."""

from __future__ import annotations

from . import __version__, responses
from .responses import escape
from .urls import quote

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .settings import Paths
    from .typing_aliases import CfResponse


_ERROR_COPY = {
    400: ("We couldn't complete that request", "Something in the link was not right. Start again."),
    401: ("Sign-in required", "You need to sign in to see this."),
    502: (
        "Sign-in is not working right now",
        "The sign-in service gave an answer we could not use. Try again in a moment.",
    ),
    503: ("Sign-in is unavailable", "The sign-in service could not be reached. Try again in a moment."),
    504: ("Sign-in is taking too long", "The sign-in service did not answer in time. Try again in a moment."),
}


def error_copy(status: int, reason: str, login_failed: bool) -> tuple[str, str]:
    """The title and the sentence of an error page."""
    if login_failed:
        if reason.startswith("idp_error_"):
            return (
                "We couldn't sign you in",
                "The sign-in was cancelled or refused at the sign-in service. You can start again.",
            )
        return "We couldn't sign you in", "The sign-in did not complete. Start again."
    return _ERROR_COPY.get(status, _ERROR_COPY[502])


# One line for whoever runs the site, by reason code: the likely cause and where to fix it. No
# configuration value is shown (any visitor sees these pages); the log line has the reason code.
_OWNER_HINTS = {
    "idp_invalid_client": "If you run this site: the sign-in service refused the gate's client credentials; "
    "check the client secret.",
    "idp_unauthorized_client": "If you run this site: the app client may not use the authorization-code grant there.",
    "idp_error_invalid_request": "If you run this site: check that the gate's callback URL is registered for "
    "the app client at the sign-in service.",
    "idp_error_redirect_mismatch": "If you run this site: register the gate's callback URL for the app client "
    "at the sign-in service.",
    "idp_error_unauthorized_client": "If you run this site: the app client may not use the authorization-code "
    "grant there.",
    "idp_error_invalid_scope": "If you run this site: a scope the gate asks for is not allowed for the app client.",
}


def _link(href: str, text: str) -> str:
    return f'<a class="button" href="{escape(href)}">{escape(text)}</a>'


def _reference(reason: str) -> str:
    # "Reason: <code>" last: support asks for it, the log line carries the same code.
    return (
        f'<p class="ref">If you ask the site\'s support, quote: gate {__version__} \u00b7 Reason: {escape(reason)}</p>'
    )


def sign_in_href(paths: Paths, return_path: str = "/") -> str:
    return f"{paths.sign_in}?return={quote(return_path, safe='')}"


def error(
    status: int,
    title: str,
    message: str,
    paths: Paths,
    reason: str,
    set_cookies: Iterable[str] = (),
    action: tuple[str, str] | None = None,
) -> CfResponse:
    """action: (href, label) of the way on; default "Sign in again" to the home page."""
    href, label = action or (sign_in_href(paths), "Sign in again")
    owner = _OWNER_HINTS.get(reason)
    hint = f'<p class="ref">{escape(owner)}</p>' if owner else ""
    body = (
        f"<p>{escape(message)}</p><p>{_link(href, label)}{_link('/', 'Go to the home page')}</p>"
        f"{hint}{_reference(reason)}"
    )
    return responses.html_page(status, title, body, set_cookies)


# What failed, in a sentence, by reason code (edge/access.py). Names of groups, roles and
# addresses are not shown: any signed-in person would learn the site's configuration.
_FORBIDDEN_COPY = {
    "missing_group": "this page needs a group you are not in.",
    "missing_role": "this page needs a role you do not have.",
    "email_not_allowed": "this page is only for certain email addresses, and yours is not one of them.",
    "email_not_verified": (
        "your email address is not verified at the sign-in service, so it cannot "
        "decide. Verify it there, then sign in again."
    ),
    "groups_claim_missing": (
        "the sign-in service did not say which groups you are in, so the site cannot tell "
        "whether you may see this. The site's owner can fix it at the sign-in service."
    ),
    "not_allowed_to_enter": "this site is only for certain people, and this account is not one of them.",
    "groups_overage": (
        "your account is in too many groups for the sign-in token to carry them, so the "
        "site cannot tell whether you may see this. The site's owner can fix it in the app "
        "registration: give access by app roles, or emit only the groups assigned to the "
        "application."
    ),
}


def forbidden(paths: Paths, who: str, reason: str) -> CfResponse:
    why = _FORBIDDEN_COPY.get(reason, _FORBIDDEN_COPY["missing_group"])
    ask = (
        ""
        if reason in ("email_not_verified", "groups_overage", "groups_claim_missing")
        else " Ask the site's owner for access, or use another account."
    )
    body = (
        f"<p>You are signed in as <strong>{escape(who)}</strong>, but {escape(why)}{escape(ask)}</p>"
        f"<p>{_link(paths.sign_out, 'Sign out or switch account')}"
        f"{_link('/', 'Go to the home page')}</p>"
        f"{_reference(reason)}"
    )
    return responses.html_page(403, "You don't have access to this page", body)


def unauthenticated(paths: Paths, return_path: str, reason: str) -> CfResponse:
    body = (
        "<p>You need to sign in to see this.</p>"
        f"<p>{_link(sign_in_href(paths, return_path), 'Sign in')}</p>"
        f"{_reference(reason)}"
    )
    return responses.html_page(
        401,
        "Sign-in required",
        body,
        extra={"www-authenticate": [{"key": "WWW-Authenticate", "value": 'Cookie realm="site"'}]},
    )


def signed_out(paths: Paths, set_cookies: Iterable[str] = ()) -> CfResponse:
    body = f"<p>You have signed out of this site.</p><p>{_link(sign_in_href(paths), 'Sign in again')}</p>"
    return responses.html_page(200, "You are signed out", body, set_cookies)


def continue_to(location: str, set_cookies: Iterable[str]) -> CfResponse:
    """A same-site hop for SameSite=Strict cookies, which a cross-site redirect chain drops."""
    body = (
        f'<meta http-equiv="refresh" content="0;url={escape(location)}">'
        f"<p>You are signed in. {_link(location, 'Continue')}</p>"
    )
    return responses.html_page(200, "Signed in", body, set_cookies)
