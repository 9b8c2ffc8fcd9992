"""Issue 23 in Chromium: with [assets] signed_cookies (on in the local stack, as in the demo) a
signed-in page view runs the gate only for the navigation and the gate's own endpoints; every
asset loads on CloudFront's own check of the signed cookies; an asset without them, or after
sign-out, is CloudFront's 403. Invocations are counted from the emulator's log (one
`START RequestId` per function run, as Lambda logs it)."""

from __future__ import annotations

import os
import re
import time

import pytest

from tests.e2e.helpers import login

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def _log(stack) -> str:
    with open(os.path.join(stack.workdir, "emulator.log"), encoding="utf-8", errors="replace") as f:
        return f.read()


def test_a_signed_in_page_view_runs_the_gate_only_for_the_page_and_its_endpoints(page, context, stack, request):
    login(page, stack, stack.user("Viewer"), "/docs")
    view = context.new_page()  # a second page view, nothing from the HTTP cache
    cdp = context.new_cdp_session(view)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    seen: list[tuple[int, str]] = []
    view.on("response", lambda r: seen.append((r.status, r.url)))
    before = len(_log(stack))
    view.goto(stack.site_url + "/docs")
    view.wait_for_load_state("networkidle")
    time.sleep(0.5)  # the emulator's last log lines
    log = _log(stack)[before:]
    invocations = log.count("START RequestId")
    # what reached the emulator (Chromium may answer a favicon from its own cache): its access lines
    served = re.findall(r"\[emulator\] [A-Z]+ (\S+) -> (\d+)", log)
    assets = [(status, url) for status, url in seen if "/assets/" in url]
    others = [path for path, _ in served if not path.startswith("/assets/")]
    assert len(assets) >= 2 and all(status == 200 for status, _ in assets), assets
    assert [p for p, status in served if p.startswith("/assets/") and status == "200"], served
    assert invocations == len(others) >= 1, (invocations, served)  # the navigation and /_gate/*, never an asset
    assert view.locator("h1").first.inner_text().strip()

    # without the cookies (another browser): CloudFront's own 403, and still no function run
    asset_url = assets[0][1]
    request.node.expected_refusals.extend(
        [{"kind": "signed_cookies_MissingKey", "status": 403}, {"kind": "signed_cookies_AccessDenied", "status": 403}]
    )
    stranger = context.browser.new_context()
    try:
        refused = stranger.request.get(asset_url)
        assert refused.status == 403 and "MissingKey" in refused.text()
    finally:
        stranger.close()
    # after sign-out the same browser is refused too
    page.goto(stack.site_url + "/_gate/sign-out")
    page.wait_for_load_state("networkidle")
    assert not [c for c in context.cookies() if c["name"].startswith("CloudFront-")]
    after = context.request.get(asset_url)
    assert after.status == 403
