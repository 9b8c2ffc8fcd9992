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

REFRESHED = '"reason":"token_refreshed"'


def refreshes(stack) -> int:
    """Refresh grants the gate made (its decision log, as the emulator's log shows it)."""
    with open(os.path.join(stack.workdir, "emulator.log"), encoding="utf-8", errors="replace") as f:
        return sum(line.count(REFRESHED) for line in f)


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


def test_idle_past_expiry_then_a_route_change_renders_the_page(clocked, stack):
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
    assert refreshes(stack) - before == 1
    assert errors == []


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
    assert refreshes(stack) - before == 1
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
    made = refreshes(stack) - before
    assert 1 <= made <= 3, made
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
