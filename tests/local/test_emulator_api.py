"""The emulator's API behavior (issue 13), shaped as cloudformation.yaml's: requests matching
the API path pattern go to a second origin after the viewer-request function ran, with every
method allowed, the body, and every viewer header but Host (the managed
AllViewerExceptHostHeader origin request policy: "all headers in the viewer request except
Host", https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/using-managed-origin-request-policies.html),
including the Authorization header the function added. The routing is cloudformation.yaml's
(local/distribution.py); it has no custom error responses, so the API's 404 stays the API's."""

from __future__ import annotations

import http.client
import http.server
import json
import threading

import pytest

from local import emulator as em
from tests.local.standin import make_site, make_zip

HANDLER = """
def handler(event, context):
    request = event["Records"][0]["cf"]["request"]
    request["headers"]["authorization"] = [{"key": "Authorization", "value": "Bearer from-the-gate"}]
    return request
"""


class ApiOrigin(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def _answer(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length).decode() if length else ""
        if self.path.startswith("/api/missing"):
            data, status = b'{"error":"not_found"}', 404
        else:
            data, status = (
                json.dumps(
                    {"method": self.command, "path": self.path, "body": body, "headers": dict(self.headers.items())}
                ).encode(),
                200,
            )
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    do_GET = do_POST = do_PUT = do_PATCH = do_DELETE = do_OPTIONS = _answer


@pytest.fixture(scope="module")
def emu(tmp_path_factory):
    api = http.server.ThreadingHTTPServer(("127.0.0.1", 0), ApiOrigin)
    threading.Thread(target=api.serve_forever, daemon=True).start()
    site = make_site(str(tmp_path_factory.mktemp("site")))
    zip_path = make_zip(str(tmp_path_factory.mktemp("zip") / "edge.zip"), HANDLER)
    emulator = em.Emulator(
        zip_path, site, max_workers=1, api_origin=f"http://127.0.0.1:{api.server_address[1]}", api_paths=("/api/*",)
    ).start()
    emulator.api_port = api.server_address[1]
    yield emulator
    emulator.stop()
    api.shutdown()
    api.server_close()


def call(emu, method, path, body=b"", headers=()):
    conn = http.client.HTTPConnection("127.0.0.1", emu.port, timeout=30)
    conn.putrequest(method, path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", f"localhost:{emu.port}")
    for name, value in headers:
        conn.putheader(name, value)
    if body:
        conn.putheader("Content-Length", str(len(body)))
    conn.endheaders(body or None)
    resp = conn.getresponse()
    data = resp.read()
    conn.close()
    return resp, data


@pytest.mark.parametrize("method", ["GET", "POST", "PUT", "PATCH", "DELETE"])
def test_api_paths_reach_the_api_with_what_the_function_added(emu, method):
    resp, data = call(
        emu,
        method,
        "/api/notes?x=1",
        b'{"a":1}' if method != "GET" else b"",
        [("Cookie", "theme=dark"), ("X-Custom", "v"), ("Content-Type", "application/json")],
    )
    assert resp.status == 200
    seen = json.loads(data)
    assert seen["method"] == method and seen["path"] == "/api/notes?x=1"
    assert seen["body"] == ('{"a":1}' if method != "GET" else "")
    headers = {k.lower(): v for k, v in seen["headers"].items()}
    assert headers["authorization"] == "Bearer from-the-gate"
    assert headers["host"] == f"127.0.0.1:{emu.api_port}"  # not the viewer's Host
    assert headers["cookie"] == "theme=dark" and headers["x-custom"] == "v"
    assert headers["x-amz-cf-id"]


def test_other_paths_stay_on_the_bucket_with_its_methods(emu):
    resp, data = call(emu, "POST", "/docs", b"x")  # the default behavior: GET, HEAD, OPTIONS
    assert resp.status == 403 and b"not configured to allow the HTTP request method" in data
    assert emu.refusals[-1]["kind"] == "method_not_allowed" and emu.refusals[-1]["behavior"] == "*"
    resp, data = call(emu, "GET", "/api")  # "/api/*" does not match "/api"
    assert resp.status == 404 and b"NoSuchKey" in data  # the bucket, not the API


def test_an_api_404_stays_the_apis(emu):
    """No distribution-wide 404 -> /index.html mapping any more (issue 20): the API's own 404."""
    resp, data = call(emu, "GET", "/api/missing")
    assert resp.status == 404 and b"<html" not in data.lower()
