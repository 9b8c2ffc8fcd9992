"""Client-side routes ([site] spa, issue 20 item 3) through the BUILT zip, as Lambda runs it:
what the origin receives for each kind of request once a person is signed in."""

from urllib.parse import urlsplit

import pytest

from tests.build.test_build_zip import ShippedZip, build
from tests.conftest import CLIENT_ID
from tests.support import hygiene
from tests.support.cloudfront import ASSET, FETCH_JSON, NAVIGATE, event, location_query

pytestmark = [pytest.mark.slow, pytest.mark.zip]

CONFIG = """
[idp]
provider = "cognito"
client_id = "{client_id}"
token_endpoint = "{base}/token"
revocation_endpoint = "{base}/revoke"
jwks_uri = "{base}/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
[[rules]]
paths = ["/admin", "/admin/*"]
groups = ["Admin"]
[[apis]]
paths = ["/api/*"]
{extra}
"""


def signed_in(shipped, idp, keys):
    first = shipped.send(event("/", headers=NAVIGATE))
    query = location_query(first)
    login_cookie = next(c["value"].split(";")[0] for c in first["headers"]["set-cookie"])
    code = idp.issue_code(
        challenge=query["code_challenge"],
        nonce=query["nonce"],
        redirect_uri=query["redirect_uri"],
        claims=keys.id_claims(**{"cognito:groups": ["Viewer"]}),
    )
    callback = shipped.send(
        event(
            urlsplit(query["redirect_uri"]).path,
            f"code={code}&state={query['state']}",
            headers=NAVIGATE,
            cookies=[login_cookie],
        )
    )
    assert callback["status"] == "302", callback
    return "; ".join(
        c["value"].split(";")[0] for c in callback["headers"]["set-cookie"] if "Max-Age=0" not in c["value"]
    )


def run(tmp_path, keys, idp, extra=""):
    text = CONFIG.format(client_id=CLIENT_ID, base=idp.base, extra=extra)
    result, out = build(tmp_path, text, keys.jwks())
    assert result.returncode == 0, result.stderr
    return ShippedZip(out, tmp_path)


def test_the_built_zip_sends_client_routes_to_the_app_and_nothing_else(tmp_path, keys, idp):
    shipped = run(tmp_path, keys, idp)
    try:
        session = signed_in(shipped, idp, keys)

        def origin_uri(uri, headers, method="GET"):
            result = shipped.send(event(uri, method=method, headers=headers, cookies=[session]))
            assert "status" not in result, result  # forwarded to the origin, not answered
            return result["uri"]

        assert origin_uri("/dashboard/settings", NAVIGATE) == "/index.html"
        assert origin_uri("/dashboard/settings", NAVIGATE, method="HEAD") == "/index.html"
        assert origin_uri("/dashboard/settings", {"Accept": "text/html"}) == "/index.html"  # no Sec-Fetch-*
        assert origin_uri("/assets/missing.js", NAVIGATE) == "/assets/missing.js"
        assert origin_uri("/assets/missing.js", ASSET) == "/assets/missing.js"
        assert origin_uri("/api/missing", NAVIGATE) == "/api/missing"
        assert origin_uri("/api/missing", FETCH_JSON) == "/api/missing"
        assert origin_uri("/dashboard", FETCH_JSON) == "/dashboard"
        assert origin_uri("/dashboard", {"Accept": "application/json"}) == "/dashboard"
        # the access check of the path asked for comes first: a Viewer never gets the app for /admin
        refused = shipped.send(event("/admin/users", headers=NAVIGATE, cookies=[session]))
        assert refused["status"] == "403"
    finally:
        logs = shipped.close()
    hygiene.LOG_LINES.extend(line for line in logs.splitlines() if line.startswith("{"))
    assert "Traceback" not in logs


@pytest.mark.parametrize(
    "extra,expected",
    [
        (
            '[assets]\npaths = ["/static/*"]\n',
            {"/static/app": "/static/app", "/assets/app": "/index.html", "/": "/index.html"},
        ),
        (
            "[site]\nspa = false\n",
            {"/dashboard/settings": "/dashboard/settings", "/": "/index.html"},  # the root is always the index
        ),
    ],
)
def test_the_built_zip_follows_site_spa_and_assets_paths(tmp_path, keys, idp, extra, expected):
    shipped = run(tmp_path, keys, idp, extra=extra)
    try:
        session = signed_in(shipped, idp, keys)
        got = {uri: shipped.send(event(uri, headers=NAVIGATE, cookies=[session]))["uri"] for uri in expected}
        assert got == expected
    finally:
        logs = shipped.close()
    hygiene.LOG_LINES.extend(line for line in logs.splitlines() if line.startswith("{"))
