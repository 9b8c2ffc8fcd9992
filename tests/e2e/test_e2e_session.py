"""The site's session module (packages/gate-session) in Chromium against the real gate: the
built zip in the emulator with cloudformation.yaml's routing, both local providers. These were
tests/site/test_session_chromium.py against a stand-in gate (tests/site/contract_gate.py);
issue 20: no browser test uses a stand-in gate. The site's Vitest unit tests keep their doubles.
"""

from __future__ import annotations

import time

import pytest

from tests.e2e.helpers import login, whoami
from tests.e2e.test_e2e_api import (
    REFRESH_POST,
    REFRESH_WHOAMI,
    SIGNED_REFUSAL,
    refresh_lines,
    sleep_until_expired,
    wake,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


@pytest.fixture
def clocked(context):
    context.clock.install(time=time.time())
    return context


# Issue 23: with signed asset cookies (on in the local stack) an asset the browser has no valid
# cookies for is CloudFront's own 403, before any function; the session module treats it as any
# failed chunk: one refresh (which re-mints the cookies), then the retry.


def test_route_change_after_expiry_loads_the_chunk_after_one_refresh(clocked, stack, request):
    """The lazily loaded chunk of the next route is refused (the gate's 401, session expired, not
    a navigation; or, with signed asset cookies, CloudFront's 403: the cookies expired with the
    ID token), the module refreshes once (its who-am-I, which refreshes an expired session
    inline) and loads it again under a new URL."""
    request.node.expected_refusals.append(SIGNED_REFUSAL)
    page = clocked.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    login(page, stack, stack.user("Viewer"), "/docs")
    sleep_until_expired(clocked, stack)
    before = len(refresh_lines(stack))
    chunks: list[tuple[str, int]] = []
    page.on("response", lambda r: "/assets/Reports-" in r.url and chunks.append((r.url, r.status)))
    wake(clocked)
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", level=1, name="Reports").wait_for()
    page.get_by_text("Your own figures").wait_for()
    refused = 403 if stack.signed_assets else 401
    assert [status for _, status in chunks] == [refused, 200], chunks
    assert chunks[1][0].endswith("?gate-retry=1"), chunks
    assert refresh_lines(stack)[before:] == [REFRESH_WHOAMI]  # one refresh, by the module's who-am-I
    assert errors == []


def test_session_ended_elsewhere_shows_a_way_back_to_this_page(context, stack, request):
    request.node.expected_refusals.append(SIGNED_REFUSAL)  # sign-out cleared the asset cookies too
    page = context.new_page()
    login(page, stack, stack.user("Viewer"), "/docs?tab=2")
    other = context.new_page()  # signed out in another tab
    other.goto(stack.site_url + "/_gate/sign-out")
    if other.url.startswith(stack.idp_url):  # oidc-provider asks before ending its own session
        other.get_by_role("button", name="Yes, sign me out").click()
    other.wait_for_url(lambda url: url.startswith(stack.site_url + "/_gate/signed-out"))
    other.close()
    posts: list[str] = []
    page.on("request", lambda r: r.url.endswith("/_gate/refresh") and posts.append(r.method))
    page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
    page.get_by_role("heading", level=1, name="Sign in again to see this page").wait_for()
    link = page.get_by_role("link", name="Sign in again")
    assert link.get_attribute("href") == "/_gate/sign-in?return=%2Freports"
    assert posts == []  # nothing left to refresh with: no refresh attempt


def test_three_tabs_keep_a_rotating_session(context, stack):
    """Every tab's timer comes due before the ID token expires (the early POST refresh), more
    than once; with
    oidc-provider (rotation, reuse revokes the grant) a refresh token spent twice would end the
    session for every tab. After two token lifetimes all three still show the person."""
    user = stack.user("Viewer")
    tabs = []
    first = context.new_page()
    login(first, stack, user, "/docs")
    tabs.append(first)
    for path in ("/docs/handbook", "/reports"):
        tab = context.new_page()
        tab.goto(stack.site_url + path)
        tab.locator(".session__name").wait_for()
        tabs.append(tab)
    before = len(refresh_lines(stack))
    time.sleep(2 * stack.id_token_ttl + 2)
    made = refresh_lines(stack)[before:]
    assert made and set(made) == {REFRESH_POST}, made
    for tab in tabs:
        assert whoami(tab)["status"] == 200
        tab.locator(".session__name").wait_for(timeout=3_000)
