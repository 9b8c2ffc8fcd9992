"""A real OAuth token endpoint on 127.0.0.1 for the gate's tests (not a mock of urllib3).

It checks what a real provider checks and can be told to fail the way providers fail: hang,
refuse, 500/503 with HTML, invalid JSON, missing fields, invalid_grant, an empty or huge JWKS.

What it models, and where that comes from:
- POST /token, Cognito's token endpoint
  (https://docs.aws.amazon.com/cognito/latest/developerguide/token-endpoint.html) and RFC 6749:
  a client with a secret authenticates with HTTP Basic client_id:client_secret, both parts
  form-encoded (RFC 6749 2.3.1), a public client names itself with client_id in the body; a
  failure is 401 invalid_client (RFC 6749 5.2). grant_type=authorization_code: the code is
  single-use and redirect_uri must be the one the code was issued for (RFC 6749 4.1.3), the
  code_verifier must hash (S256) to the code_challenge (RFC 7636 4.6); any mismatch is 400
  invalid_grant (RFC 6749 5.2). grant_type=refresh_token (RFC 6749 6): a revoked or unknown
  token is invalid_grant; Cognito returns no new refresh token unless rotation is on (the
  token endpoint page; `rotate_refresh_tokens`). Another grant: 400 unsupported_grant_type.
- POST /revoke, Cognito's revoke endpoint
  (https://docs.aws.amazon.com/cognito/latest/developerguide/revocation-endpoint.html) and
  RFC 7009: the same client authentication as the token endpoint (RFC 7009 2.1; 401
  invalid_client otherwise), then 200 with an empty body whether or not the token was known
  (RFC 7009 2.2). Not modelled: unsupported_token_type (the gate only ever revokes refresh tokens).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, unquote_plus


class LocalIdp:
    def __init__(self, keys, client_id: str, client_secret: str = ""):
        self.keys = keys  # local.doubles.tokens.Keys
        self.client_id = client_id
        self.client_secret = client_secret
        self.codes: dict[str, dict] = {}
        self.refresh_tokens: dict[str, dict] = {}
        self.revoked: list[str] = []
        self.requests: list[dict] = []
        self.fault: str | None = None  # see _fault()
        self.fault_paths: tuple[str, ...] = ("/token", "/revoke", "/jwks")
        # Cognito refresh-token rotation (2025), from AWS's documentation: with rotation on, the
        # token endpoint's refresh_token grant "issues new ID, access, and optionally (with
        # refresh token rotation) refresh tokens" (developer guide, "Refresh tokens":
        # https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-refresh-token.html);
        # "the original refresh token that you're rotating out can remain valid for a period of
        # time of up to 60 seconds ... When RetryGracePeriodSeconds is 0, the grace period is
        # disabled and a successful request immediately invalidates the submitted refresh token"
        # (API reference, RefreshTokenRotationType:
        # https://docs.aws.amazon.com/cognito-user-identity-pools/latest/APIReference/API_RefreshTokenRotationType.html).
        # rotate_refresh_tokens turns it on; refresh_grace_seconds is RetryGracePeriodSeconds
        # (0-60); a spent token after its grace period is invalid_grant.
        self.rotate_refresh_tokens = False
        self.refresh_grace_seconds = 0.0
        self.refresh_delay_seconds = 0.0  # hold each refresh answer this long (to make races real)
        self.spent_refresh_tokens: dict[str, float] = {}  # token -> when it was rotated out
        self._grant_lock = threading.Lock()
        self.jwks_override: dict | None = None
        self.id_token_claims: dict = {}
        # refresh_answer(tokens, refresh_entry) -> the JSON body to send instead (a hostile or odd IdP)
        self.refresh_answer = None
        self.code_answer = None  # likewise for the authorization_code grant
        self.hang_seconds = 8.0
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)

    # -- lifecycle -----------------------------------------------------------------------
    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    @property
    def base(self) -> str:
        _host, port = self._server.server_address[:2]
        return f"http://127.0.0.1:{port}"

    # -- what tests arrange ----------------------------------------------------------------
    def issue_code(self, *, challenge: str, nonce: str | None, redirect_uri: str, claims: dict | None = None) -> str:
        code = secrets.token_urlsafe(24)
        self.codes[code] = {
            "challenge": challenge,
            "nonce": nonce,
            "redirect_uri": redirect_uri,
            "claims": claims or {},
        }
        return code

    def issue_refresh_token(self, claims: dict | None = None) -> str:
        token = "rt-" + secrets.token_urlsafe(48)
        self.refresh_tokens[token] = {"claims": claims or {}}
        return token

    def token_calls(self, grant_type: str | None = None) -> list[dict]:
        return [
            r
            for r in self.requests
            if r["path"] == "/token" and (grant_type is None or r["form"].get("grant_type") == grant_type)
        ]

    # -- behaviour -----------------------------------------------------------------------
    def _tokens(self, claims: dict, nonce: str | None) -> dict:
        # identity claims persist across refreshes; times are minted anew, as a real IdP does
        claims = {k: v for k, v in claims.items() if k not in ("iat", "exp", "nbf", "auth_time", "nonce")}
        id_claims = {**claims, **self.id_token_claims}
        if nonce is not None:
            id_claims.setdefault("nonce", nonce)
        refresh = self.issue_refresh_token(claims)
        return {
            "id_token": self.keys.id_token(**id_claims),
            "access_token": self.keys.access_token(**{k: v for k, v in claims.items() if k != "aud"}),
            "refresh_token": refresh,
            "token_type": "Bearer",
            "expires_in": 3600,
        }

    def _client_ok(self, headers, form) -> bool:
        """RFC 6749 2.3.1: HTTP Basic with both parts form-encoded for a client with a secret;
        a public client names itself in the body."""
        if not self.client_secret:
            return form.get("client_id") == self.client_id
        auth = headers.get("Authorization", "")
        if not auth.startswith("Basic "):
            return False
        try:
            pair = base64.b64decode(auth[6:], validate=True).decode()
        except (ValueError, UnicodeDecodeError):
            return False
        user, _, password = pair.partition(":")
        if form.get("client_id") not in (None, unquote_plus(user)):
            return False
        return (unquote_plus(user), unquote_plus(password)) == (self.client_id, self.client_secret)

    def _token(self, headers, form) -> tuple[int, dict]:
        if not self._client_ok(headers, form):
            return 401, {"error": "invalid_client"}
        grant = form.get("grant_type")
        if grant == "authorization_code":
            entry = self.codes.pop(form.get("code", ""), None)
            if entry is None:
                return 400, {"error": "invalid_grant"}
            verifier = form.get("code_verifier", "")
            challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
            if challenge != entry["challenge"] or form.get("redirect_uri") != entry["redirect_uri"]:
                return 400, {"error": "invalid_grant"}
            tokens = self._tokens(entry["claims"], entry["nonce"])
            if self.code_answer is not None:
                tokens = self.code_answer(tokens, entry)
            return 200, tokens
        if grant == "refresh_token":
            token = form.get("refresh_token", "")
            with self._grant_lock:  # one token endpoint: a rotation is atomic, as at the real one
                entry = self.refresh_tokens.get(token)
                spent_at = self.spent_refresh_tokens.get(token)
                if spent_at is not None and time.time() - spent_at >= self.refresh_grace_seconds:
                    self.refresh_tokens.pop(token, None)
                    entry = None
                if entry is None or token in self.revoked:
                    return 400, {"error": "invalid_grant"}
                tokens = self._tokens(entry["claims"], None)
                if self.rotate_refresh_tokens:
                    if self.refresh_grace_seconds > 0:
                        self.spent_refresh_tokens.setdefault(token, time.time())
                    else:
                        del self.refresh_tokens[token]
            if self.refresh_delay_seconds:
                time.sleep(self.refresh_delay_seconds)
            if not self.rotate_refresh_tokens:
                del self.refresh_tokens[tokens["refresh_token"]]
                tokens.pop("refresh_token")
            if self.refresh_answer is not None:
                tokens = self.refresh_answer(tokens, entry)
            return 200, tokens
        return 400, {"error": "unsupported_grant_type"}

    def _handler_class(self):
        idp = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _send(self, status: int, body: bytes, content_type="application/json"):
                self.send_response(status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _fault(self) -> bool:
                fault = idp.fault
                if not fault or not self.path.startswith(idp.fault_paths):
                    return False
                if fault == "hang":
                    time.sleep(idp.hang_seconds)
                    return True
                if fault == "reset":
                    self.connection.close()
                    return True
                pages = {
                    "500": (500, b"<html><body><h1>Internal Server Error</h1></body></html>", "text/html"),
                    "503": (503, b"<html><body>Service Unavailable</body></html>", "text/html"),
                    "bad_json": (200, b"{not json", "application/json"),
                    "json_array": (200, b"[1,2,3]", "application/json"),
                    "missing_fields": (200, b'{"token_type":"Bearer"}', "application/json"),
                    "huge": (200, b'{"x":"' + b"a" * (200 * 1024) + b'"}', "application/json"),
                    # 30,000 levels of arrays: under the 64 KB read limit, over json's recursion limit
                    "nested_json": (200, b'{"x":' + b"[" * 30000 + b"]" * 30000 + b"}", "application/json"),
                }
                status, body, ctype = pages[fault]
                self._send(status, body, ctype)
                return True

            def do_GET(self):
                idp.requests.append({"path": self.path, "form": {}, "headers": dict(self.headers)})
                if self._fault():
                    return
                if self.path.startswith("/jwks"):
                    self._send(200, json.dumps(idp.jwks_override or idp.keys.jwks()).encode())
                else:
                    self._send(404, b'{"error":"not_found"}')

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length).decode()
                form = {k: v[0] for k, v in parse_qs(raw, keep_blank_values=True).items()}
                idp.requests.append({"path": self.path, "form": form, "headers": dict(self.headers)})
                if self._fault():
                    return
                if self.path.startswith("/token"):
                    status, body = idp._token(self.headers, form)
                    self._send(status, json.dumps(body).encode())
                elif self.path.startswith("/revoke"):
                    if not idp._client_ok(self.headers, form):
                        self._send(401, b'{"error":"invalid_client"}')
                        return
                    if not form.get("token"):
                        self._send(400, b'{"error":"invalid_request"}')
                        return
                    idp.revoked.append(form["token"])
                    idp.refresh_tokens.pop(form["token"], None)
                    self._send(200, b"")
                else:
                    self._send(404, b'{"error":"not_found"}')

        return Handler
