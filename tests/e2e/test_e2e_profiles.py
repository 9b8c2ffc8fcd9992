"""The same Chromium flow against each provider profile (issue 14): deep link, sign-in, the rules
(a Viewer gets 403 on /admin with the profile's reason, an Admin gets in), refresh after the ID
token expires, and sign-out in that provider's logout style. The provider is local/idp/oidc.mjs
--profile X (oidc-provider made to behave like X per its documentation, cited there); the gate
config is the one a user of X would write (local/profiles.py, docs/providers.md), built by
build.py with provider = "X". The generic "oidc" and "cognito" providers run the fuller suite in
test_e2e_gate.py."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile

import pytest

from tests.e2e.conftest import LEEWAY, _missing, _site_dir, save_artifacts
from tests.e2e.helpers import (
    ID_COOKIE,
    REFRESH_COOKIE,
    cookie,
    jwt_claims,
    on_login_form,
    session_cookies,
    submit_login,
    wait_for_login_form,
    wait_past,
    whoami,
)

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PROFILES = ("auth0", "okta", "entra", "google", "keycloak")
TTL = int(os.environ.get("GATE_E2E_PROFILE_ID_TOKEN_TTL", "10"))  # seconds: the refresh step waits this long
DEEP_LINK = "/docs/getting-started?tab=install&q=field%20kit"
# Why a Viewer may not see /admin, per profile (the /admin rule of local/profiles.py): Google has no
# groups, so its rule names the admin's email address.
VIEWER_REASON = {
    "auth0": "missing_group",
    "okta": "missing_group",
    "entra": "missing_group",
    "google": "email_not_allowed",
    "keycloak": "missing_group",
}


@pytest.fixture(scope="module", params=PROFILES)
def profile_stack(request, tmp_path_factory):
    if _missing():
        pytest.skip("e2e prerequisites missing")
    from local.stack import Stack

    workdir = tempfile.mkdtemp(prefix=f"gate-e2e-{request.param}-")
    stack = Stack(
        "oidc",
        profile=request.param,
        site_dir=_site_dir(tmp_path_factory),
        workdir=workdir,
        id_token_ttl=TTL,
        refresh_window_seconds=2,
        leeway_seconds=LEEWAY,
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture
def contexts(request, browser, profile_stack):
    made = []

    def new():
        ctx = browser.new_context(viewport={"width": 1200, "height": 900})
        ctx.set_default_timeout(15_000)
        ctx.set_default_navigation_timeout(20_000)
        made.append(ctx)
        return ctx

    yield new
    report = getattr(request.node, "rep_call", None)
    for ctx in made:
        if report is not None and report.failed:
            save_artifacts(request.node.nodeid, ctx, profile_stack)
        ctx.close()


def test_the_flow_with_each_provider_profile(profile_stack, contexts):
    stack, profile = profile_stack, profile_stack.profile
    assert stack.config_style == "issue14", "the stack fell back to the generic config: build.py refused it"
    with open(stack.config_path) as f:
        assert f'provider = "{profile}"' in f.read()

    # deep link: to the provider's form, back to the exact URL
    ctx = contexts()
    page = ctx.new_page()
    viewer = stack.user("Viewer")
    first = page.goto(stack.site_url + DEEP_LINK)
    assert first.url.startswith(stack.idp_url) and on_login_form(page, stack)
    submit_login(page, viewer)
    page.wait_for_url(stack.site_url + DEEP_LINK, timeout=20_000)
    page.wait_for_load_state("networkidle")
    assert whoami(page)["body"]["signedIn"] is True

    # rules: a Viewer is refused /admin, and told why (page and JSON carry the same reason code)
    denied = page.goto(stack.site_url + "/admin")
    assert denied.status == 403
    assert f"Reason: {VIEWER_REASON[profile]}" in page.content()
    data = page.request.get(stack.site_url + "/admin/overview.json", headers={"Accept": "application/json"})
    assert data.status == 403 and data.json()["error"] == VIEWER_REASON[profile]

    # refresh: once the ID token has expired, the next navigation refreshes without the login form
    old_id = cookie(ctx, ID_COOKIE)["value"]
    assert cookie(ctx, REFRESH_COOKIE), f"{profile}: no refresh token (what the profile's refresh needs is missing)"
    wait_past(jwt_claims(old_id)["exp"] + LEEWAY)
    documents: list[str] = []
    page.on("framenavigated", lambda frame: frame == page.main_frame and documents.append(frame.url))
    assert page.goto(stack.site_url + "/docs?after=refresh").status == 200
    assert page.url == stack.site_url + "/docs?after=refresh"
    assert not any(url.startswith(stack.idp_url) for url in documents), documents
    assert cookie(ctx, ID_COOKIE)["value"] != old_id

    # sign-out in the profile's style
    refresh_token = cookie(ctx, REFRESH_COOKIE)["value"]
    seen: list[str] = []
    page.on("request", lambda r: r.is_navigation_request() and seen.append(r.url))
    page.goto(stack.site_url + "/_gate/sign-out")
    if page.url.startswith(stack.idp_url) and page.locator("#logout-yes").count():
        page.locator("#logout-yes").click()  # oidc-provider's end-session asks first
    page.wait_for_url(stack.site_url + "/_gate/signed-out", timeout=15_000)
    at_idp = [u for u in seen if u.startswith(stack.idp_url)]
    if profile == "google":
        assert at_idp == []  # no end-session endpoint: cookies cleared, straight to signed-out
    elif profile == "auth0":
        assert at_idp and at_idp[0].startswith(stack.idp_url + "/v2/logout?") and "returnTo=" in at_idp[0]
    else:
        assert at_idp and "id_token_hint=" in at_idp[0] and "post_logout_redirect_uri=" in at_idp[0]
    assert session_cookies(ctx) == {}
    assert not stack.refresh_token_works(refresh_token), "the refresh token was not revoked"

    # an Admin gets in (a fresh browser: no provider session)
    admin_page = contexts().new_page()
    admin_page.goto(stack.site_url + "/admin")
    wait_for_login_form(admin_page, stack)
    with admin_page.expect_response(lambda r: r.url == stack.site_url + "/admin") as answer:
        submit_login(admin_page, stack.user("Admin"))
    assert answer.value.status == 200


@pytest.fixture(scope="module")
def entra_overage_stack(tmp_path_factory):
    if _missing():
        pytest.skip("e2e prerequisites missing")
    from local.stack import Stack

    workdir = tempfile.mkdtemp(prefix="gate-e2e-entra-overage-")
    stack = Stack(
        "oidc",
        profile="entra",
        profile_options={"entra_overage": "sources"},
        site_dir=_site_dir(tmp_path_factory),
        workdir=workdir,
        leeway_seconds=LEEWAY,
    )
    stack.start()
    yield stack
    stack.stop()
    shutil.rmtree(workdir, ignore_errors=True)


def test_entra_group_overage_is_explained_and_app_roles_still_decide(entra_overage_stack, browser, request):
    # The double sends Entra's overage marker (_claim_names/_claim_sources) instead of groups for
    # everyone, and app roles Gate.<group> in `roles`; the /admin rule names the Admin group's
    # GUID and the Gate.Admin role (local/profiles.py).
    stack = entra_overage_stack
    for group, expected in (("Viewer", 403), ("Admin", 200)):
        ctx = browser.new_context()
        try:
            page = ctx.new_page()
            page.goto(stack.site_url + "/admin")
            wait_for_login_form(page, stack)
            with page.expect_response(lambda r: r.url == stack.site_url + "/admin") as answer:
                submit_login(page, stack.user(group))
            assert answer.value.status == expected, group
            if expected == 403:
                text = page.content()
                assert "Reason: groups_overage" in text and "too many groups" in text
                assert "groups assigned to the application" in text
        except AssertionError:
            save_artifacts(request.node.nodeid, ctx, stack)
            raise
        finally:
            ctx.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(pytest.main([__file__, "-q"]))
