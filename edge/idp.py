"""All talk with the identity provider: token endpoint, revocation, JWKS. The only I/O here.

urllib3 is imported on first use, so requests that never reach the IdP never load it. One
PoolManager is kept per process and reused (keep-alive) across warm invocations. There are no
retries: a failing IdP gets exactly one request per viewer request, never a storm. Every call
is bounded by the configured timeout and by the request's overall deadline.
"""

from __future__ import annotations

import time

from .encoding import b64_encode
from .errors import IdpError, IdpTimeout, IdpUnavailable, LoginFailed
from .urls import quote, urlencode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from ssl import SSLContext

    from urllib3 import PoolManager

    from .settings import Config
    from .typing_aliases import Json

MAX_RESPONSE_BYTES = 64 * 1024
REVOKE_TIMEOUT_SECONDS = 1.5
_ERROR_CODE_CHARS = frozenset("abcdefghijklmnopqrstuvwxyz_")
# certifi's roots as an OpenSSL hashed directory, written into the zip by the build (gatebuild/cacerts.py)
TRUST_STORE = __file__.rpartition("/")[0] + "/cacerts"


class Overdue(BaseException):
    """Raised by the alarm; a BaseException so no library's `except Exception` swallows it."""


class HardDeadline:
    """SIGALRM after `seconds` of wall time (main thread only, as the Lambda runtime calls us)."""

    def __init__(self, seconds: float):
        self._seconds = seconds
        self._previous: object = None
        self._armed = False

    def __enter__(self) -> HardDeadline:
        import signal

        try:
            self._previous = signal.signal(signal.SIGALRM, self._fire)
        except ValueError:  # not the main thread: urllib3's own timeouts still apply
            return self
        self._armed = True
        signal.setitimer(signal.ITIMER_REAL, self._seconds)
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._armed:
            import signal

            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, self._previous)  # type: ignore[arg-type]

    @staticmethod
    def _fire(signum: int, frame: object) -> None:
        raise Overdue()


class Deadline:
    """The end of one viewer request's budget, on the monotonic clock: every IdP call of that
    request shares it, so two calls in one request together stay inside the 5 s limit."""

    __slots__ = ("at",)

    def __init__(self, seconds: float):
        self.at = time.monotonic() + seconds

    def remaining(self) -> float:
        return self.at - time.monotonic()


NO_DEADLINE = Deadline(float("inf"))


def trust_context() -> SSLContext:
    """The TLS context of every IdP connection (one per process): urllib3's defaults, verifying
    against the zip's hashed directory of roots, which OpenSSL reads lazily (the one file a chain
    needs). urllib3's own default, `load_default_certs()`, parses the whole system bundle (~145
    roots, ~20 ms of CPU: ~280 ms of a cold start at the edge's CPU share) for every connection.

    OpenSSL's SSL_CERT_FILE / SSL_CERT_DIR, when set, add their roots (local runs with a local CA;
    Lambda@Edge has no environment variables). Run from a source tree, with no directory: the
    system's default roots."""
    import os

    from urllib3.util.ssl_ import create_urllib3_context

    context = create_urllib3_context()
    if os.path.isdir(TRUST_STORE):
        context.load_verify_locations(capath=TRUST_STORE)
        if "SSL_CERT_FILE" in os.environ or "SSL_CERT_DIR" in os.environ:
            context.load_default_certs()  # OpenSSL's defaults: what these name (the other, its built-in one)
    else:
        context.load_default_certs()
    return context


class IdpClient:
    """The token endpoint, revocation and JWKS; one pooled connection per host, no retries."""

    def __init__(self, config: Config):
        self._config = config
        self._pool: PoolManager | None = None

    def _http(self) -> PoolManager:
        if self._pool is None:
            import urllib3

            self._pool = urllib3.PoolManager(
                num_pools=4, maxsize=1, retries=False, block=False, ssl_context=trust_context()
            )
        return self._pool

    def _budget(self, cap: float, deadline: Deadline) -> float:
        remaining = deadline.remaining() - 0.1
        budget: float = min(cap, self._config.idp_timeout_seconds, remaining)
        if budget < 0.05:
            raise IdpTimeout("deadline_reached")
        return budget

    def _request(
        self, method: str, url: str, deadline: Deadline, *, fields: dict[str, str] | None = None, cap: float = 10.0
    ) -> tuple[int, bytes]:
        import urllib3
        import urllib3.exceptions as ue

        headers = {"Accept": "application/json", "User-Agent": "cloudfront-sign-in-gate"}
        body = None
        if fields is not None:
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            if self._config.client_secret:
                pair = f"{quote(self._config.client_id, safe='')}:{quote(self._config.client_secret, safe='')}"
                headers["Authorization"] = "Basic " + b64_encode(pair.encode())
            body = urlencode(fields)
        budget = self._budget(cap, deadline)
        timeout = urllib3.Timeout(connect=min(budget, 1.5), read=budget, total=budget)
        try:
            # urllib3's timeouts bound each socket operation; a server that drips a byte at a
            # time would never trip them. The alarm bounds the whole call.
            with HardDeadline(budget + 0.05):
                resp = self._http().request(
                    method, url, body=body, headers=headers, timeout=timeout, preload_content=False, redirect=False
                )
                try:
                    data = resp.read(MAX_RESPONSE_BYTES + 1)
                finally:
                    resp.release_conn()
        except Overdue:
            self._pool = None  # the connection was cut mid-response: start afresh next time
            raise IdpTimeout("idp_timeout") from None
        except (ue.NewConnectionError, ue.SSLError, ConnectionError):
            # before TimeoutError: urllib3's NewConnectionError subclasses ConnectTimeoutError
            raise IdpUnavailable("idp_unreachable") from None
        except (ue.TimeoutError, TimeoutError):
            raise IdpTimeout("idp_timeout") from None
        except (ue.HTTPError, OSError):
            raise IdpError("idp_connection_failed") from None
        if len(data) > MAX_RESPONSE_BYTES:
            raise IdpError("idp_response_too_large")
        return resp.status, data

    def _json(self, status: int, data: bytes) -> Json:
        import json

        try:
            value = json.loads(data)
        except (ValueError, RecursionError):  # RecursionError: deeply nested arrays under 64 KB
            value = None
        if status == 200:
            if not isinstance(value, dict):
                raise IdpError("idp_bad_json")
            return value
        if status == 503:
            raise IdpUnavailable("idp_http_503")
        if status >= 500 or not isinstance(value, dict):
            raise IdpError(f"idp_http_{status}" if 100 <= status <= 599 else "idp_http_error")
        code = value.get("error")
        if not (isinstance(code, str) and 0 < len(code) <= 40 and _ERROR_CODE_CHARS.issuperset(code)):
            code = "unknown"
        if code in ("invalid_grant", "invalid_request"):
            raise LoginFailed(code)
        raise IdpError(f"idp_{code}")

    def _token_call(self, fields: dict[str, str], deadline: Deadline, id_token_required: bool = True) -> Json:
        fields = {**fields, "client_id": self._config.client_id}
        tokens = self._json(*self._request("POST", self._config.endpoints.token, deadline, fields=fields))
        # a refresh answer may carry no ID token (OIDC Core 12.2), but never no access token
        no_id_token_allowed = not id_token_required and "id_token" not in tokens
        if not isinstance(tokens.get("id_token"), str) and not (
            no_id_token_allowed and isinstance(tokens.get("access_token"), str)
        ):
            raise IdpError("idp_no_id_token")
        for name in ("access_token", "refresh_token"):
            if name in tokens and not isinstance(tokens[name], str):
                raise IdpError("idp_bad_json")
        return tokens

    def exchange_code(self, code: str, verifier: str, redirect_uri: str, deadline: Deadline) -> Json:
        return self._token_call(
            {"grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri, "code_verifier": verifier},
            deadline,
        )

    def refresh(self, refresh_token: str, deadline: Deadline) -> Json:
        return self._token_call(
            {"grant_type": "refresh_token", "refresh_token": refresh_token}, deadline, id_token_required=False
        )

    def revoke(self, refresh_token: str, deadline: Deadline) -> str:
        """Best effort: returns an outcome code, never raises."""
        url = self._config.endpoints.revocation
        if not url:
            return "no_revocation_endpoint"
        fields = {"token": refresh_token, "token_type_hint": "refresh_token", "client_id": self._config.client_id}
        try:
            status, _ = self._request("POST", url, deadline, fields=fields, cap=REVOKE_TIMEOUT_SECONDS)
        except IdpError as exc:
            return exc.reason
        return "revoked" if status == 200 else f"revoke_http_{status}"

    def fetch_jwks(self, deadline: Deadline) -> Json:
        return self._json(*self._request("GET", self._config.endpoints.jwks, deadline))
