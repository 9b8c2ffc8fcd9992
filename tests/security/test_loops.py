"""Nothing hangs in the browser either: no redirect loop, whatever the IdP's token lifetime.

A browser follows 302s until it gives up (about 20 hops: ERR_TOO_MANY_REDIRECTS). Peers' gates
looped on refresh (aws-samples/cloudfront-authorization-at-edge #190, #198, #271, #292). Here a
browser follows every same-site redirect the gate sends and must reach the page in a few hops.
"""

from __future__ import annotations

import pytest
from freezegun import freeze_time

from tests.security.conftest import ID, is_response
from tests.support.cloudfront import Browser, header

MAX_HOPS = 10


def follow(browser: Browser, target: str) -> tuple[dict, int]:
    """Navigate to `target` and follow same-site redirects; (final result, hops)."""
    result = browser.get(target)
    hops = 0
    while is_response(result) and result["status"] == "302" and header(result, "location").startswith("/"):
        hops += 1
        if hops > MAX_HOPS:
            break
        result = browser.get(header(result, "location"))
    return result, hops


@pytest.mark.parametrize("lifetime", [3600, 900, 300, 120])
def test_short_lived_id_tokens_never_loop(browser, login, idp, lifetime):
    """Was a FINDING: a token living no longer than refresh_window_seconds (300 s; Cognito's
    shortest ID-token validity is 5 minutes) refreshed and redirected to itself for ever."""
    idp.id_token_claims = {"lifetime": lifetime}
    with freeze_time("2026-03-01 09:00:00", tick=True):
        assert login(browser, "/", lifetime=lifetime)["status"] == "302"
        refreshes_before = len(idp.token_calls("refresh_token"))
        result, hops = follow(browser, "/docs")
        refreshes = len(idp.token_calls("refresh_token")) - refreshes_before
    assert not is_response(result), f"still redirecting after {hops} hops"
    assert hops <= 1 and refreshes <= 1, (hops, refreshes)


def test_an_expired_session_refreshes_once_then_loads(browser, login, idp):
    with freeze_time("2026-03-01 09:00:00"):
        login(browser, "/", lifetime=3600)
    with freeze_time("2026-03-01 10:30:00", tick=True):
        result, hops = follow(browser, "/docs?x=1")
    assert not is_response(result) and hops == 1
    assert len(idp.token_calls("refresh_token")) == 1


def test_a_refresh_the_idp_refuses_ends_in_one_login_not_a_loop(browser, login, idp):
    with freeze_time("2026-03-01 09:00:00"):
        login(browser, "/", lifetime=3600)
    idp.refresh_tokens.clear()  # every refresh token is now invalid_grant
    with freeze_time("2026-03-01 10:30:00", tick=True):
        result, hops = follow(browser, "/docs")
        assert hops == 1  # back once with the refused token marked (issue 21: rotation races)
        assert result["status"] == "302" and header(result, "location").startswith("https://auth.example.com/")
        assert ID not in browser.jar
        again = browser.get("/docs")
    assert again["status"] == "302" and header(again, "location").startswith("https://auth.example.com/")
    assert len(idp.token_calls("refresh_token")) == 1  # the spent refresh token is not retried


def test_a_viewer_on_an_admin_page_gets_a_page_not_a_loop(browser, login):
    login(browser, "/", groups=("Viewer",))
    result, hops = follow(browser, "/admin/x")
    assert result["status"] == "403" and hops == 0


def test_sign_in_when_signed_in_goes_straight_back(browser, login):
    login(browser, "/")
    result, hops = follow(browser, "/_gate/sign-in?return=%2Fdocs")
    assert not is_response(result) and hops == 1


def test_a_big_session_beside_the_sites_own_cookies_is_still_read(browser, login, idp, keys):
    """Was a FINDING: a Cookie header over 16 KB was skipped whole, so a big session (~8.7 KB of
    ID-token chunks) beside ~8 KB of the site's own older cookies was never read, nor the login
    cookie at the callback: the person could not sign in."""
    browser.jar.update({f"site{i}": "v" * 90 for i in range(85)})  # older cookies come first
    groups = [f"team-{i:03d}-with-a-fairly-long-descriptive-name" for i in range(120)]
    assert login(browser, "/", groups=groups)["status"] == "302"
    assert 16 * 1024 < len(browser.cookie_header()[0]) < 19 * 1024
    result, hops = follow(browser, "/docs")
    assert not is_response(result) and hops == 0, (result.get("status"), header(result, "location"))
