"""The gate, built from gate TOML by build.py, in the CloudFront emulator, in front of the site,
with a real local identity provider; driven through headless Chromium. Every test runs once per
provider: cognito-local and oidc-provider."""

from __future__ import annotations

import base64
import json
import time

import pytest

from tests.e2e.helpers import (
    ID_COOKIE,
    REFRESH_COOKIE,
    cookie,
    jwt_claims,
    login,
    on_login_form,
    session_cookies,
    set_cookie_value,
    submit_login,
    wait_for_login_form,
    wait_past,
    whoami,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

# A fragment never reaches a server, so no gate can carry it through a login: path and query.
DEEP_LINK = "/docs/getting-started?tab=install&q=field%20kit&empty="


def test_deep_link_with_query_comes_back_to_the_exact_url(page, stack):
    user = stack.user("Viewer")
    first = page.goto(stack.site_url + DEEP_LINK)
    assert first.status == 200 and first.url.startswith(stack.idp_url), "the first visit must go to the login form"
    assert on_login_form(page, stack)
    submit_login(page, user)
    page.wait_for_url(stack.site_url + DEEP_LINK, timeout=20_000)
    assert page.url == stack.site_url + DEEP_LINK  # path and query exactly as they were
    page.wait_for_load_state("networkidle")
    assert page.locator("#root").inner_text().strip(), "the site rendered nothing"
    assert whoami(page)["body"]["signedIn"] is True


def test_assets_load_after_login(page, stack):
    failures: list[str] = []
    page.on("requestfailed", lambda r: failures.append(f"failed {r.url}: {r.failure}"))
    page.on("response", lambda r: r.status >= 400 and failures.append(f"{r.status} {r.url}"))
    console_errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and console_errors.append(m.text))
    login(page, stack, stack.user("Viewer"), "/docs")
    page.reload()
    page.wait_for_load_state("networkidle")
    assert failures == []
    scripts = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name)")
    assert any(u.endswith(".js") for u in scripts) and any(u.endswith(".css") for u in scripts)
    assert page.locator("h1").first.inner_text().strip()
    assert not [e for e in console_errors if "Content Security Policy" in e], console_errors


def test_admin_page_allowed_for_admin(page, stack):
    login(page, stack, stack.user("Admin"), "/admin")
    response = page.goto(stack.site_url + "/admin")
    assert response.status == 200
    data = page.request.get(stack.site_url + "/admin/overview.json", headers={"Accept": "application/json"})
    assert data.status == 200 and "members" in data.json()
    assert "Admin" in whoami(page)["body"]["groups"]


def test_admin_page_forbidden_for_viewer(page, stack):
    user = stack.user("Viewer")
    page.goto(stack.site_url + "/admin")
    wait_for_login_form(page, stack)
    with page.expect_response(lambda r: r.url == stack.site_url + "/admin") as answer:
        submit_login(page, user)
    assert answer.value.status == 403
    response = page.goto(stack.site_url + "/admin/")
    assert response.status == 403
    assert page.request.get(stack.site_url + "/admin/overview.json").status == 403
    assert page.goto(stack.site_url + "/docs").status == 200  # signed in, just not an admin


def test_session_refreshes_after_the_id_token_expires(page, stack, context):
    login(page, stack, stack.user("Viewer"), "/docs")
    old_id = cookie(context, ID_COOKIE)["value"]
    assert cookie(context, REFRESH_COOKIE), "no refresh-token cookie after login"
    expires = jwt_claims(old_id)["exp"]
    assert expires - time.time() <= stack.id_token_ttl + 5, "the provider ignored the short ID-token lifetime"
    wait_past(expires + stack.leeway_seconds)  # expired even with the leeway
    documents: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and documents.append(frame.url))
    response = page.goto(stack.site_url + "/docs/handbook?after=refresh")
    assert response.status == 200
    assert page.url == stack.site_url + "/docs/handbook?after=refresh"
    assert not any(url.startswith(stack.idp_url) for url in documents), documents  # no visit to the login form
    new_id = cookie(context, ID_COOKIE)["value"]
    assert new_id != old_id
    assert jwt_claims(new_id)["exp"] > time.time()
    page.wait_for_load_state("networkidle")
    assert whoami(page)["status"] == 200


def test_sign_out_clears_the_session(page, stack, context):
    login(page, stack, stack.user("Viewer"), "/docs")
    refresh_token = cookie(context, REFRESH_COOKIE)["value"]
    page.goto(stack.site_url + "/_gate/sign-out")
    if page.url.startswith(stack.idp_url):  # oidc-provider asks before ending its own session
        page.get_by_role("button", name="Yes, sign me out").click()
    page.wait_for_url(stack.site_url + "/_gate/signed-out", timeout=15_000)
    assert session_cookies(context) == {}, "gate cookies left after sign-out"
    assert not stack.refresh_token_works(refresh_token), "the refresh token was not revoked"
    page.goto(stack.site_url + "/docs")
    wait_for_login_form(page, stack)
    assert on_login_form(page, stack)


def test_two_tabs_logging_in_at_once(context, stack):
    user = stack.user("Viewer")
    first, second = context.new_page(), context.new_page()
    targets = {first: "/docs?tab=one", second: "/reports?tab=two"}
    for tab, target in targets.items():
        tab.goto(stack.site_url + target)
    for tab in targets:
        wait_for_login_form(tab, stack)
    for tab in targets:
        submit_login(tab, user)
    for tab, target in targets.items():
        tab.wait_for_url(stack.site_url + target, timeout=20_000)
        tab.wait_for_load_state("networkidle")
        assert tab.locator("#root").inner_text().strip()
    assert not [c for c in context.cookies() if c["name"].startswith("gate-login-") and c["value"]], (
        "login cookies left behind"
    )


def test_tampered_id_token_cookie_means_login_again(page, stack, context):
    viewer = stack.user("Viewer")
    login(page, stack, viewer, "/docs")
    token = cookie(context, ID_COOKIE)["value"]
    header, payload, signature = token.split(".")

    # 1. a changed signature
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    visit_with_tampered_cookie(page, stack, context, f"{header}.{payload}.{flipped}", "/docs?tampered=signature")

    # 2. a viewer who makes themself an admin in the payload (signature left as it was)
    token = cookie(context, ID_COOKIE)["value"]
    header, payload, signature = token.split(".")
    claims = jwt_claims(token)
    claims[groups_claim(stack)] = ["Admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    visit_with_tampered_cookie(page, stack, context, f"{header}.{forged}.{signature}", "/admin", expect_status=403)

    # 3. not a JWT at all
    visit_with_tampered_cookie(page, stack, context, "not-a-jwt", "/reports")


def visit_with_tampered_cookie(page, stack, context, value: str, target: str, expect_status: int = 200) -> None:
    """The tampered cookie gets a redirect to the provider, never the page; the person then
    signs in again (cognito-local shows its form every time; oidc-provider still has its own
    session and sends the browser straight back) and gets a fresh, valid token."""
    set_cookie_value(context, stack, ID_COOKIE, value)
    url = stack.site_url + target
    site_documents: list = []

    def record(response):
        if response.request.resource_type == "document" and response.url.startswith(stack.site_url):
            site_documents.append((response.url, response.status, response.headers.get("location", "")))

    page.on("response", record)
    try:
        page.goto(url)
        page.wait_for_load_state()
        if on_login_form(page, stack):
            submit_login(page, stack.user("Viewer"))
        page.wait_for_url(url, timeout=20_000)
        page.wait_for_load_state("networkidle")
    finally:
        page.remove_listener("response", record)
    first_url, first_status, location = site_documents[0]
    assert first_url == url and first_status == 302, site_documents
    assert location.startswith(stack.idp_url), "the tampered cookie did not send the browser to log in"
    callback = [i for i, (u, _s, _l) in enumerate(site_documents) if "/_gate/callback" in u]
    assert callback, "no new login went through the callback"
    assert site_documents[-1][:2] == (url, expect_status), site_documents
    fresh = cookie(context, ID_COOKIE)["value"]
    assert fresh != value and fresh.count(".") == 2


def groups_claim(stack) -> str:
    return "groups" if stack.provider == "oidc" else "cognito:groups"
