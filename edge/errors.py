"""Every way a request can fail, as a small hierarchy with a stable reason code.

`reason` is a short lowercase code: it goes into the log line, the page's reference line and
the tests. The errors say what went wrong, never how to answer: the HTTP status is chosen where
answers are made (edge/answers.py). `set_cookies` carries Set-Cookie lines the answer must still
send (a spent login cookie to clear, a rotated refresh token to keep).
"""

from __future__ import annotations


class GateError(Exception):
    reason = "internal_error"

    def __init__(self, reason: str | None = None, set_cookies: list[str] | tuple[str, ...] = ()):
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason
        self.set_cookies = list(set_cookies)


class BadRequest(GateError):
    """The request itself is malformed or unsafe (bad path, bad query, bad state)."""

    reason = "bad_request"


class LoginFailed(GateError):
    """A login could not complete (state, PKCE binding, IdP error, bad token, refused grant)."""

    reason = "login_failed"


class TokenInvalid(GateError):
    """A token failed verification. Never shown as-is; it only means 'not signed in'."""

    reason = "token_invalid"


class TokenExpired(TokenInvalid):
    """A genuine token past its `exp`; `claims` holds its verified claims."""

    reason = "token_expired"
    claims: dict[str, object] | None = None


class IdpError(GateError):
    """The identity provider answered, but not usefully (5xx, bad JSON, refused grant)."""

    reason = "idp_error"


class IdpUnavailable(IdpError):
    """The identity provider could not be reached."""

    reason = "idp_unavailable"


class IdpTimeout(IdpError):
    """The identity provider did not answer within the request's budget."""

    reason = "idp_timeout"
