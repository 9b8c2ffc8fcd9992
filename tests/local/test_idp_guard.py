"""Only the demo itself can manage the demo's identity provider (issue 21, item 6), and the demo
keeps its secrets to the user who runs it ("Also noticed").

cognito-local answers its management API (the Cognito Identity Provider JSON API: POST / with
`X-Amz-Target: AWSCognitoIdentityProviderService.<Action>`, as boto3 sends it) with
`Access-Control-Allow-Origin: *` and no authentication. local/idp/cognito.cjs puts a guard in
front. A browser sends a cross-origin request with a custom header only after a CORS preflight
(Fetch standard, "CORS-preflight fetch"), so refusing the preflight and requiring a header the page
cannot know closes the API to other pages; the Host check closes DNS rebinding (a page whose
name resolves to 127.0.0.1 is same-origin with the server, but its Host header names it).
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import stat
import subprocess
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import boto3
import pytest
from botocore.exceptions import ClientError

from local.stack import Stack, with_admin_token

pytestmark = pytest.mark.skipif(
    shutil.which("node") is None and not os.environ.get("GATE_E2E_REQUIRED"), reason="node is not installed"
)

TARGET = "AWSCognitoIdentityProviderService.ListUserPools"


@pytest.fixture(scope="module")
def cognito(tmp_path_factory):
    site = tmp_path_factory.mktemp("site")
    (site / "index.html").write_text("<!doctype html><title>t</title>")
    stack = Stack("cognito", site_dir=str(site), id_token_ttl=120)
    stack._start_cognito()
    yield stack
    stack.stop()


def management_call(stack, headers: dict[str, str], host: str | None = None) -> tuple[int, dict, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", stack.idp_port, timeout=10)
    base = {
        "Content-Type": "application/x-amz-json-1.1",
        "X-Amz-Target": TARGET,
        "Host": host or f"127.0.0.1:{stack.idp_port}",
    }
    conn.request("POST", "/", body=json.dumps({"MaxResults": 10}), headers={**base, **headers})
    resp = conn.getresponse()
    return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()


def client(stack):
    return boto3.client(
        "cognito-idp",
        endpoint_url=stack.idp_url,
        region_name="us-east-1",
        aws_access_key_id="local",
        aws_secret_access_key="local",
    )


def test_management_api_needs_the_demos_token(cognito):
    with pytest.raises(ClientError) as refused:
        client(cognito).list_user_pools(MaxResults=10)
    assert refused.value.response["Error"]["Code"] == "AccessDeniedException"

    wrong = client(cognito)
    with_admin_token(wrong, "not-" + cognito.idp_admin_token)
    with pytest.raises(ClientError):
        wrong.list_user_pools(MaxResults=10)

    own = client(cognito)
    with_admin_token(own, cognito.idp_admin_token)
    pools = own.list_user_pools(MaxResults=10)["UserPools"]
    assert [p["Id"] for p in pools] == [cognito.pool_id]


def test_no_cors_for_other_origins(cognito):
    conn = http.client.HTTPConnection("127.0.0.1", cognito.idp_port, timeout=10)
    conn.request(
        "OPTIONS",
        "/",
        headers={
            "Origin": "http://evil.example",
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type,x-amz-target,x-gate-local-admin",
        },
    )
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 403
    assert not [h for h, _ in resp.getheaders() if h.lower().startswith("access-control-")]

    # Even with the token (which a page cannot have), another origin is refused.
    status, headers, _ = management_call(
        cognito, {"Origin": "http://evil.example", "X-Gate-Local-Admin": cognito.idp_admin_token}
    )
    assert status == 403 and "access-control-allow-origin" not in headers


def test_a_foreign_host_is_refused_everywhere(cognito):
    # DNS rebinding: the page's own name, resolved to 127.0.0.1, arrives as the Host.
    status, _, body = management_call(
        cognito, {"X-Gate-Local-Admin": cognito.idp_admin_token}, host=f"rebind.example:{cognito.idp_port}"
    )
    assert status == 421, body
    conn = http.client.HTTPConnection("127.0.0.1", cognito.idp_port, timeout=10)
    conn.request("GET", f"/{cognito.pool_id}/.well-known/jwks.json", headers={"Host": "rebind.example"})
    resp = conn.getresponse()
    resp.read()
    assert resp.status == 421
    # ... while the provider's own names still work (the gate fetches these by 127.0.0.1 or localhost)
    for host in (f"127.0.0.1:{cognito.idp_port}", f"localhost:{cognito.idp_port}"):
        conn = http.client.HTTPConnection("127.0.0.1", cognito.idp_port, timeout=10)
        conn.request("GET", f"/{cognito.pool_id}/.well-known/jwks.json", headers={"Host": host})
        resp = conn.getresponse()
        assert resp.status == 200 and json.loads(resp.read())["keys"]


class _EvilPage(BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"<!doctype html><title>another site</title>"
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


@pytest.mark.e2e
def test_a_page_in_chromium_cannot_read_the_client_secret(cognito, chromium):
    """What the review did, in a real browser: a page of another origin calls the provider's
    DescribeUserPoolClient (which returns ClientSecret) while the demo runs."""
    server = ThreadingHTTPServer(("127.0.0.1", 0), _EvilPage)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        page = chromium.new_page()
        page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        outcome = page.evaluate(
            """async ([url, pool, clientId]) => {
                try {
                  const r = await fetch(url, {method: 'POST', headers: {
                    'Content-Type': 'application/x-amz-json-1.1',
                    'X-Amz-Target': 'AWSCognitoIdentityProviderService.DescribeUserPoolClient'},
                    body: JSON.stringify({UserPoolId: pool, ClientId: clientId})});
                  return 'read: ' + (await r.text());
                } catch (e) { return 'blocked: ' + e.name; }
            }""",
            [cognito.idp_url + "/", cognito.pool_id, cognito.client_id],
        )
        page.close()
    finally:
        server.shutdown()
    assert outcome.startswith("blocked"), outcome
    assert cognito.client_secret not in outcome


def test_the_demos_files_are_private(cognito, tmp_path):
    """The workdir holds the provider's data (client secret), the gate TOML (client and state
    secrets) and the zip: 0700, and the files the stack writes itself are 0600."""
    assert stat.S_IMODE(os.stat(cognito.workdir).st_mode) == 0o700
    cognito._write_config()
    assert stat.S_IMODE(os.stat(cognito.config_path).st_mode) == 0o600


def test_the_oidc_client_secret_is_not_on_a_command_line(tmp_path):
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text("<!doctype html><title>t</title>")
    stack = Stack("oidc", site_dir=str(site), id_token_ttl=120)
    try:
        stack._start_oidc()
        proc = next(p for p in stack.processes if p.name == "oidc-provider")
        ps = subprocess.run(["ps", "-o", "args=", "-p", str(proc.proc.pid)], capture_output=True, text=True).stdout
        assert "oidc.mjs" in ps and stack.client_secret not in ps
        users = os.path.join(stack.workdir, "oidc-users.json")
        assert stat.S_IMODE(os.stat(users).st_mode) == 0o600
    finally:
        stack.stop()
