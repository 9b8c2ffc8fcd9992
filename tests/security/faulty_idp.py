"""LocalIdp with more ways to fail, and sockets that misbehave below HTTP.

LocalIdp (tests/support/idp_server.py) already hangs, resets, answers 500/503 HTML, bad JSON,
a JSON array, missing fields and a huge body. FaultyIdp adds:

  drip            status line and headers one byte at a time, every `drip_interval` s, for
                  `drip_seconds`: no single read ever waits long enough to time out
  drip_body       headers at once, then the body one byte at a time
  short_body      Content-Length 1000, 10 bytes sent, then silence
  close_mid_body  Content-Length 1000, 10 bytes sent, then the connection is closed
  endless         a chunked body that never ends
  garbage         a response that is not HTTP at all
  status_999      an impossible status code
  redirect        302 to another host
  html_400        400 with an HTML body
  invalid_client  401 {"error":"invalid_client"}
  rate_limited    429 with Retry-After
  id_token_number, id_token_garbage, access_token_list: a 200 with a broken token field

`mutate_tokens` rewrites a successful token response (say, a refresh token with a ";" in it).
`delay_seconds` (on `delay_paths`) delays every answer, faulty or not, so a slow-but-working
endpoint can be combined with a failing one. `hits` counts requests per path.
"""

from __future__ import annotations

import json
import socket
import time
from collections import Counter

from tests.support.idp_server import LocalIdp


class FaultyIdp(LocalIdp):
    def __init__(self, keys, client_id: str, client_secret: str = ""):
        self.delay_seconds = 0.0
        self.delay_paths: tuple[str, ...] = ("/token",)
        self.drip_interval = 0.2
        self.drip_seconds = 6.0
        self.hits: Counter = Counter()
        self.mutate_tokens = None  # tokens dict -> tokens dict, applied to every 200 from /token
        super().__init__(keys, client_id, client_secret)

    def _token(self, headers, form):
        status, body = super()._token(headers, form)
        if status == 200 and self.mutate_tokens is not None:
            body = self.mutate_tokens(dict(body))
        return status, body

    def _handler_class(self):
        base = super()._handler_class()
        idp = self

        class Handler(base):
            def _fault(self) -> bool:
                idp.hits[self.path.split("?")[0]] += 1
                if idp.delay_seconds and self.path.startswith(idp.delay_paths):
                    time.sleep(idp.delay_seconds)
                fault = idp.fault
                if fault in EXTRA_FAULTS and self.path.startswith(idp.fault_paths):
                    try:
                        EXTRA_FAULTS[fault](self, idp)
                    except OSError:
                        pass  # the gate gave up and closed the connection, as it should
                    return True
                return super()._fault()

        return Handler


def _raw(handler, data: bytes) -> None:
    handler.wfile.write(data)
    handler.wfile.flush()


def _drip(handler, idp, data: bytes) -> None:
    deadline = time.monotonic() + idp.drip_seconds
    for i in range(len(data)):
        if time.monotonic() > deadline:
            break
        _raw(handler, data[i : i + 1])
        time.sleep(idp.drip_interval)
    handler.close_connection = True


def _drip_headers(handler, idp):
    _drip(handler, idp, b"HTTP/1.1 200 OK\r\n" + b"X-Padding: " + b"a" * 500 + b"\r\n\r\n{}")


def _drip_body(handler, idp):
    body = json.dumps({"id_token": "x" * 2000}).encode()
    _raw(
        handler,
        b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: "
        + str(len(body)).encode()
        + b"\r\n\r\n",
    )
    _drip(handler, idp, body)


def _short_body(handler, idp):
    _raw(handler, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id_token')
    time.sleep(idp.hang_seconds)


def _close_mid_body(handler, idp):
    _raw(handler, b'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"id_token')
    handler.connection.shutdown(socket.SHUT_RDWR)
    handler.close_connection = True


def _endless(handler, idp):
    _raw(handler, b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
    chunk = b"1000\r\n" + b"a" * 0x1000 + b"\r\n"
    deadline = time.monotonic() + idp.drip_seconds
    while time.monotonic() < deadline:
        _raw(handler, chunk)
    handler.close_connection = True


def _send(handler, status: int, body: bytes, ctype="application/json", extra=()):
    handler.send_response(status)
    handler.send_header("Content-Type", ctype)
    for name, value in extra:
        handler.send_header(name, value)
    handler.send_header("Content-Length", str(len(body)))
    handler.end_headers()
    handler.wfile.write(body)


EXTRA_FAULTS = {
    "drip": _drip_headers,
    "drip_body": _drip_body,
    "short_body": _short_body,
    "close_mid_body": _close_mid_body,
    "endless": _endless,
    "garbage": lambda h, idp: (_raw(h, b"SSH-2.0-OpenSSH_9.6\r\n\r\n"), setattr(h, "close_connection", True)),
    "status_999": lambda h, idp: (
        _raw(h, b"HTTP/1.1 999 Whatever\r\nContent-Length: 2\r\n\r\n{}"),
        setattr(h, "close_connection", True),
    ),
    "redirect": lambda h, idp: _send(h, 302, b"", extra=[("Location", "https://evil.example/token")]),
    "html_400": lambda h, idp: _send(h, 400, b"<html><body>Bad Request</body></html>", "text/html"),
    "invalid_client": lambda h, idp: _send(h, 401, b'{"error":"invalid_client"}'),
    "rate_limited": lambda h, idp: _send(h, 429, b'{"error":"slow_down"}', extra=[("Retry-After", "0")]),
    "id_token_number": lambda h, idp: _send(h, 200, b'{"id_token": 12345, "token_type": "Bearer"}'),
    "id_token_garbage": lambda h, idp: _send(h, 200, b'{"id_token": "not.a.jwt", "token_type": "Bearer"}'),
    "access_token_list": lambda h, idp: _send(
        h, 200, json.dumps({"id_token": idp.keys.id_token(), "access_token": ["x"]}).encode()
    ),
}


class SilentListener:
    """A TCP port that completes the handshake (the kernel does) but never reads or answers."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.base = f"http://127.0.0.1:{self.sock.getsockname()[1]}"

    def close(self):
        self.sock.close()


def refused_base() -> str:
    """A local port where nothing listens: connection refused."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    sock.close()
    return f"http://127.0.0.1:{port}"
