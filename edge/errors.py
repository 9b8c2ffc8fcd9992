"""Every way a request can fail, as a small hierarchy with a reason code and an HTTP status.

`reason` is a stable, short, lowercase code: it goes into the log line and the test suite
asserts on it. `detail` is for the human page and must never contain a token, code or secret.
"""


class GateError(Exception):
    status = 502
    reason = "internal_error"

    def __init__(self, reason: str | None = None, detail: str = ""):
        super().__init__(reason or self.reason)
        if reason:
            self.reason = reason
        self.detail = detail


class BadRequest(GateError):
    """The request itself is malformed or unsafe (bad path, bad query, bad state)."""
    status = 400
    reason = "bad_request"


class LoginFailed(GateError):
    """The callback could not complete a login (state, PKCE binding, IdP error, bad token)."""
    status = 400
    reason = "login_failed"


class TokenInvalid(GateError):
    """A token failed verification. Never shown as-is; it only means 'not signed in'."""
    status = 401
    reason = "token_invalid"


class TokenExpired(TokenInvalid):
    """A genuine token past its `exp`; `claims` holds its verified claims."""
    reason = "token_expired"
    claims: dict | None = None


class IdpError(GateError):
    """The identity provider answered, but not usefully (5xx, bad JSON, refused grant)."""
    status = 502
    reason = "idp_error"


class IdpUnavailable(IdpError):
    """The identity provider could not be reached."""
    status = 503
    reason = "idp_unavailable"


class IdpTimeout(IdpError):
    status = 504
    reason = "idp_timeout"
