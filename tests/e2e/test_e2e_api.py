"""Issue 13 end to end, in Chromium, against both local providers (cognito-local; oidc-provider,
which rotates refresh tokens and revokes the whole grant when a spent one is used again):
the React site keeps working after the ID token expires, and calls its API (local/api.py
behind the emulator's /api/* behavior) as the signed-in person.

"Idle" is a laptop lid: Playwright's fake clock is paused right after sign-in, so no timer of
the site's session module fires while the real token expires; then the clock jumps to the
real time and runs again (https://playwright.dev/python/docs/clock), as when a laptop wakes.
"""

from __future__ import annotations

import http.server
import json
import os
import threading
import time
import urllib.error
import urllib.request

import pytest

from tests.e2e.helpers import ID_COOKIE, cookie, jwt_claims, login, wait_past, whoami

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

REFRESHED = '"reason":"token_refreshed"'
REFRESH_POST = ("/_gate/refresh", "refreshed")  # the session module's early refresh: POST, X-Gate-Request: 1
# After expiry the module asks who-am-I first, which refreshes inline (site/README.md's contract):
REFRESH_WHOAMI = ("/_gate/me", "whoami")
# Issue 23: with signed asset cookies a chunk after expiry is CloudFront's 403 (the cookies went
# with the ID token) rather than the gate's 401; the module then asks who-am-I, as above.
SIGNED_REFUSAL = {"kind": "signed_cookies_MissingKey", "status": 403}


def refresh_lines(stack) -> list[tuple[str, str]]:
    """(path, decision) of every refresh grant the gate made, from its decision log as the
    emulator's log shows it: WHICH endpoint refreshed (POST /_gate/refresh answers "refreshed",
    who-am-I "whoami", a navigation the protected path's own decision)."""
    found = []
    with open(os.path.join(stack.workdir, "emulator.log"), encoding="utf-8", errors="replace") as f:
        for line in f:
            if REFRESHED in line:
                record = json.loads(line[line.index("{") :])
                found.append((record["path"], record["decision"]))
    return found


def refreshes(stack) -> int:
    return len(refresh_lines(stack))


def api_log(stack) -> str:
    with open(os.path.join(stack.workdir, "api.log"), encoding="utf-8", errors="replace") as f:
        return f.read()


def sleep_until_expired(context, stack) -> None:
    """Pause every timer in the pages, then wait (really) until the ID token has expired."""
    context.clock.pause_at(time.time() + 0.2)
    exp = jwt_claims(cookie(context, ID_COOKIE)["value"])["exp"]
    wait_past(exp + stack.leeway_seconds)


def wake(context) -> None:
    context.clock.set_system_time(time.time())
    context.clock.resume()


def api_fetch(page, path: str, method: str = "GET") -> dict:
    return page.evaluate(
        """async ([path, method]) => {
        const r = await fetch(path, {method, headers: {Accept: 'application/json', 'X-Gate-Request': '1'},
                                     cache: 'no-store'});
        const type = r.headers.get('content-type') || '';
        return {status: r.status, body: type.includes('json') ? await r.json() : await r.text()};
    }""",
        [path, method],
    )


@pytest.fixture
def clocked(context):
    context.clock.install(time=time.time())
    return context


def test_idle_past_expiry_then_a_route_change_renders_the_page(clocked, stack, request):
    request.node.expected_refusals.append(SIGNED_REFUSAL)
    page = clocked.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    user = stack.user("Viewer")
    login(page, stack, user, "/docs")
    sleep_until_expired(clocked, stack)
    before = refreshes(stack)
    documents: list[str] = []
    page.on("request", lambda r: r.resource_type == "document" and documents.append(r.url))
    wake(clocked)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", level=1, name="Reports").wait_for()
    page.get_by_text("Your own figures").wait_for()  # from the API, with the refreshed access token
    assert documents == [], documents  # no page load (a pushState is not one), no provider visit
    assert refresh_lines(stack)[before:] == [REFRESH_WHOAMI]  # the module's who-am-I on waking did it
    assert errors == []


def test_the_session_module_refreshes_early_by_post_before_expiry(page, stack):
    """Issue 20: the early refresh the site's session module sends before the ID token expires
    (packages/gate-session: leadSeconds before expiresAt, at most half the time left) is a
    POST /_gate/refresh that reaches the gate through the template's /_gate/* behavior (all
    methods): 200 with the new session, made before the old one expired, and no CloudFront
    refusal in the emulator's log (the autouse fixture checks that too)."""
    user = stack.user("Viewer")
    login(page, stack, user, "/docs")
    first = whoami(page)["body"]
    before = refreshes(stack)
    with page.expect_response(
        lambda r: r.url == stack.site_url + "/_gate/refresh", timeout=(stack.id_token_ttl + 10) * 1000
    ) as answer:
        pass  # the module's own timer sends it; nothing here touches the page
    response = answer.value
    assert response.request.method == "POST"
    assert response.request.headers.get("x-gate-request") == "1"
    assert response.status == 200, response.text()
    assert time.time() < first["expiresAt"], "the refresh came only after expiry: not an early one"
    body = response.json()
    assert body["signedIn"] is True and body["sub"] == first["sub"] and body["expiresAt"] > first["expiresAt"]
    assert REFRESH_POST in refresh_lines(stack)[before:]
    assert [r for r in stack.cloudfront_refusals() if r["path"].startswith("/_gate/")] == []


def test_parallel_api_calls_after_expiry_cause_one_refresh_and_all_succeed(clocked, stack):
    page = clocked.new_page()
    login(page, stack, stack.user("Admin"), "/admin")
    page.get_by_text("Reports served").wait_for()  # the admin API answered
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_text("Your own figures").wait_for()
    sleep_until_expired(clocked, stack)
    before = refreshes(stack)
    wake(clocked)
    page.go_back()  # client-side, back to /admin: its chunk is loaded; two fetches start together
    page.get_by_text("Reports served").wait_for()
    page.get_by_role("caption").get_by_text("Team members").wait_for()
    assert refresh_lines(stack)[before:] == [REFRESH_WHOAMI]
    assert whoami(page)["status"] == 200


def test_three_tabs_waking_together_keep_the_session(clocked, stack):
    user = stack.user("Viewer")
    first = clocked.new_page()
    login(first, stack, user, "/docs")
    tabs = [first]
    for path in ("/docs/handbook", "/reports"):
        tab = clocked.new_page()
        tab.goto(stack.site_url + path)
        tab.locator(".session__name").wait_for()  # "Signed in as ..."
        tabs.append(tab)
    sleep_until_expired(clocked, stack)
    before = refreshes(stack)
    wake(clocked)  # every tab's refresh timer is overdue: all three wake at once
    for tab in tabs:
        tab.evaluate("document.dispatchEvent(new Event('visibilitychange'))")
    time.sleep(3)
    made = refresh_lines(stack)[before:]
    assert 1 <= len(made) <= 3 and set(made) <= {REFRESH_WHOAMI, REFRESH_POST}, made  # never a page load
    # With oidc-provider a spent refresh token used twice revokes the grant: the session would
    # be gone now. It is not: each tab still shows the person and the gate still knows them.
    for tab in tabs:
        assert whoami(tab)["status"] == 200
        tab.locator(".session__name").wait_for(timeout=3_000)
    second = tabs[1].goto(stack.site_url + "/docs/getting-started")
    assert second.status == 200 and tabs[1].url.startswith(stack.site_url)


def test_the_bearer_token_reaches_the_api_and_is_verified_there(page, stack, context):
    user = stack.user("Viewer")
    login(page, stack, user, "/reports")
    page.get_by_text("Your own figures").wait_for()
    me = whoami(page)["body"]
    answer = api_fetch(page, "/api/reports")
    assert answer["status"] == 200 and answer["body"]["person"]["sub"] == me["sub"]
    assert "GET /api/reports 200" in api_log(stack)
    # The API checks the token itself: the ID token (same issuer, same key) is not an access token.
    id_token = cookie(context, ID_COOKIE)["value"]
    request = urllib.request.Request(stack.api_url + "/api/reports", headers={"Authorization": f"Bearer {id_token}"})
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=5)
    assert refused.value.code == 401
    assert json.loads(refused.value.read())["reason"] == "not_access_token"


def test_a_viewer_calling_the_admin_api_gets_403_json_and_the_page_says_so(page, stack):
    login(page, stack, stack.user("Viewer"), "/docs")
    answer = api_fetch(page, "/api/admin/stats")
    assert answer["status"] == 403
    assert answer["body"] == {"error": "forbidden", "reason": "missing_group", "required": ["Admin"]}
    # /admin itself is the Admin group's (the gate refuses the page load), but the SPA can route
    # there client-side: the chunk loads, and both its data calls are refused.
    page.evaluate("history.pushState({}, '', '/admin'); dispatchEvent(new PopStateEvent('popstate'))")
    page.get_by_text("The admin API refused your request: your account is not in the Admin group.").wait_for()
    page.get_by_text("The gate refused the team overview").wait_for()


class _EvilPage(http.server.BaseHTTPRequestHandler):
    target = ""

    def log_message(self, *args):
        pass

    def do_GET(self):
        body = (
            f'<!doctype html><form id="f" method="POST" action="{self.target}" enctype="text/plain">'
            '<input name="note" value="pwned"></form><script>document.getElementById("f").submit()</script>'
        )
        data = body.encode()
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)


def test_a_cross_site_pages_post_to_the_api_is_refused(page, stack):
    login(page, stack, stack.user("Admin"), "/docs")
    handler = type("Evil", (_EvilPage,), {"target": stack.site_url + "/api/notes"})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)  # another site: 127.0.0.1 vs localhost
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        with page.expect_response(lambda r: r.url == stack.site_url + "/api/notes") as response:
            page.goto(f"http://127.0.0.1:{server.server_address[1]}/")
        assert response.value.status == 403
        assert response.value.json() == {"error": "forbidden", "reason": "cross_site"}
    finally:
        server.shutdown()
        server.server_close()
    assert "/api/notes" not in api_log(stack)  # it never reached the API
    # the same POST from the site's own page goes through the gate to the API (which has no POST)
    page.goto(stack.site_url + "/docs")
    assert api_fetch(page, "/api/notes", "POST")["status"] == 405


def test_missing_api_path_missing_asset_and_a_client_route(page, stack):
    """Issue 20, "done when", in Chromium through the template's routing: a missing API path is
    the API's own 404 (JSON), a missing asset (an old chunk after a redeploy) is a 404 that is
    not HTML, and navigating straight to a client-side route loads the app (the gate rewrites
    the navigation to /index.html; no distribution-wide error mapping does it)."""
    login(page, stack, stack.user("Viewer"), "/docs")
    missing_api = page.evaluate(
        """async () => {
        const r = await fetch('/api/no-such-thing', {headers: {Accept: 'application/json', 'X-Gate-Request': '1'}});
        return {status: r.status, type: r.headers.get('content-type') || '', body: await r.text()};
    }"""
    )
    assert missing_api["status"] == 404 and json.loads(missing_api["body"]) == {"error": "not_found"}
    assert "GET /api/no-such-thing 404" in api_log(stack)
    old_chunk = page.evaluate(
        """async () => {
        const r = await fetch('/assets/Reports-0ld0ld0l.js');
        return {status: r.status, type: r.headers.get('content-type') || '', body: await r.text()};
    }"""
    )
    assert old_chunk["status"] == 404, old_chunk
    assert "html" not in old_chunk["type"] and "<html" not in old_chunk["body"].lower(), old_chunk
    response = page.goto(stack.site_url + "/reports/no-such-client-route?x=1")
    assert response.status == 200 and "text/html" in response.headers["content-type"]
    page.locator(".session__name").wait_for()  # the app rendered and knows the person
