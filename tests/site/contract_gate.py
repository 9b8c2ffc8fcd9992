"""A stand-in for the gate, as the site's session module sees it, serving a built site/dist.

It answers by the contract in site/README.md ("What the gate must provide"): who-am-I with
`expiresAt` that refreshes inline once the ID token has expired, POST refresh guarded by
`X-Gate-Request: 1`, and 401 + `X-Gate-Reason` for any non-navigation request (chunks, API
calls) without a valid session; navigations refresh as the gate does for a plain site.
Behind it an IdP that rotates refresh tokens and, on reuse of a spent one, revokes the whole
family (oidc-provider's default, FIELD-NOTES "Refresh-token rotation"). The real gate is
tested end to end in tests/e2e; this lets the site's side be tested in Chromium on its own.
"""

from __future__ import annotations

import json
import os
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".json": "application/json",
         ".html": "text/html", ".txt": "text/plain"}
USER = {"sub": "sub-ada", "username": "ada", "email": "ada@acme.example", "name": "Ada Lovelace",
        "groups": ["Field"]}


class ContractGate:
    def __init__(self, dist: str, ttl: float = 600):
        self.dist = dist
        self.ttl = ttl
        self.lock = threading.Lock()
        self.exp = time.time() + ttl
        self.counter = 0
        self.spent: set[str] = set()
        self.revoked = False
        self.spends = 0
        self.reuse = False
        self.log: list[tuple[str, str]] = []
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.05},
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self._server.server_address[1]}"

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._server.shutdown()
        self._server.server_close()

    def expire(self) -> None:
        self.exp = time.time() - 1

    def sign_out(self) -> None:
        self.revoked = True

    def requests(self, prefix: str) -> list[tuple[str, str]]:
        return [r for r in self.log if r[1].startswith(prefix)]

    def _spend(self, rt: str | None) -> str | None:
        """Spend the refresh token the request carried; the new cookie, or None if refused."""
        with self.lock:
            self.spends += 1
            if self.revoked or not rt:
                return None
            if rt in self.spent:
                self.reuse = self.revoked = True
                return None
            self.spent.add(rt)
            self.counter += 1
            self.exp = time.time() + self.ttl
            return f"rt=rt-{self.counter}; Path=/; HttpOnly; SameSite=Lax"

    def _handler(self):
        gate = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def _rt(self):
                for part in (self.headers.get("Cookie") or "").split(";"):
                    name, _, value = part.strip().partition("=")
                    if name == "rt":
                        return value
                return None

            def _send(self, status, body, ctype="application/json", headers=None):
                data = json.dumps(body).encode() if isinstance(body, dict) else body
                self.send_response(status)
                self.send_header("Content-Type", ctype)
                self.send_header("Content-Length", str(len(data)))
                self.send_header("Cache-Control", "no-store")
                for k, v in (headers or {}).items():
                    self.send_header(k, v)
                self.end_headers()
                self.wfile.write(data)

            def _me(self):
                return {"signedIn": True, **USER, "expiresAt": int(gate.exp)}

            def _refused(self, reason):
                return self._send(401, {"signedIn": False, "reason": reason, "signInUrl": "/_gate/sign-in?return=%2F",
                                        "refreshUrl": "/_gate/refresh"}, headers={"X-Gate-Reason": reason})

            def do_POST(self):
                gate.log.append(("POST", self.path))
                if self.path != "/_gate/refresh":
                    return self._send(404, {"error": "not_found"})
                if self.headers.get("X-Gate-Request") != "1":
                    return self._send(403, {"error": "forbidden", "reason": "cross_site"})
                time.sleep(0.05)  # the IdP round trip: long enough for requests to overlap
                cookie = gate._spend(self._rt())
                if cookie is None:
                    return self._send(401, {"signedIn": False, "reason": "refresh_refused"})
                return self._send(200, self._me(), headers={"Set-Cookie": cookie})

            def do_GET(self):
                path = self.path.split("?", 1)[0]
                gate.log.append(("GET", self.path))
                navigation = self.headers.get("Sec-Fetch-Mode") == "navigate"
                headers = {}
                if path == "/" and self._rt() is None and not gate.revoked:
                    headers["Set-Cookie"] = "rt=rt-0; Path=/; HttpOnly; SameSite=Lax"  # "signed in"
                elif gate.revoked:
                    if path == "/_gate/me" or not navigation:
                        return self._refused("signed_out")
                elif time.time() >= gate.exp:
                    if not navigation and path != "/_gate/me":
                        return self._refused("session_expired")
                    time.sleep(0.05)
                    cookie = gate._spend(self._rt())
                    if cookie is None:
                        return self._refused("refresh_refused")
                    headers["Set-Cookie"] = cookie
                if path == "/_gate/me":
                    return self._send(200, self._me(), headers=headers)
                if path == "/api/reports":
                    return self._send(200, {"person": {"sub": USER["sub"], "username": USER["username"]},
                                            "regions": [{"region": "North", "visits": 3, "findings": 2, "closed": 1}]})
                file = os.path.normpath(os.path.join(gate.dist, path.lstrip("/")))
                if file.startswith(gate.dist + os.sep) and os.path.isfile(file):
                    ctype = TYPES.get(os.path.splitext(file)[1], "application/octet-stream")
                    with open(file, "rb") as f:
                        return self._send(200, f.read(), ctype, headers)
                with open(os.path.join(gate.dist, "index.html"), "rb") as f:  # CloudFront's SPA fallback
                    return self._send(200, f.read(), "text/html", headers)

        return Handler
