"""The site's session module in Chromium, against a gate that follows the contract
(tests/site/contract_gate.py): what a person notices when the session expires while a page
is open. Needs /usr/bin/chromium, the playwright package and site/node_modules (skipped
without them unless GATE_E2E_REQUIRED=1).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time

import pytest

from tests.site.contract_gate import ContractGate

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SITE = os.path.join(ROOT, "site")
CHROMIUM = os.environ.get("GATE_CHROMIUM", "/usr/bin/chromium")

pytestmark = pytest.mark.e2e


def _missing() -> list[str]:
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(CHROMIUM)
    if not os.path.isdir(os.path.join(SITE, "..", "node_modules", "gate-session")) or not shutil.which("npx"):
        missing.append("node_modules (npm ci in the repository root: the site's workspace)")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("playwright")
    return missing


@pytest.fixture(scope="module")
def dist(tmp_path_factory):
    missing = _missing()
    if missing:
        if os.environ.get("GATE_E2E_REQUIRED") == "1":
            pytest.fail("missing: " + ", ".join(missing))
        pytest.skip("missing: " + ", ".join(missing))
    out = str(tmp_path_factory.mktemp("site-dist"))
    run = subprocess.run(["npx", "vite", "build", "--outDir", out, "--emptyOutDir"], cwd=SITE,
                         capture_output=True, text=True, timeout=300)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    return out


@pytest.fixture(scope="module")
def browser(dist, chromium):
    return chromium  # tests/conftest.py: one Chromium per run


@pytest.fixture
def context(browser):
    ctx = browser.new_context()
    ctx.set_default_timeout(15_000)
    yield ctx
    ctx.close()


def open_signed_in(context, gate, path="/"):
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.goto(gate.url + "/")  # the stand-in signs the browser in on /
    if path != "/":
        page.goto(gate.url + path)
    page.get_by_role("banner").get_by_text("Ada Lovelace").wait_for()
    return page, errors


def test_route_change_after_expiry_renders_the_page(context, dist):
    with ContractGate(dist) as gate:
        page, errors = open_signed_in(context, gate, "/docs")
        gate.expire()  # the ID token runs out while the page stays open
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        page.get_by_role("heading", level=1, name="Reports").wait_for()
        page.get_by_text("Your own figures (ada)").wait_for()
        chunk = [p for _, p in gate.requests("/assets/Reports-")]
        # the chunk got a 401 once, then loaded under a new URL after one refresh
        assert len(chunk) == 2 and chunk[1].endswith("?gate-retry=1"), chunk
        assert gate.spends == 1 and not gate.reuse
        assert errors == []


def test_session_ended_elsewhere_shows_a_way_back_to_this_page(context, dist):
    with ContractGate(dist) as gate:
        page, _ = open_signed_in(context, gate, "/docs?tab=2")
        gate.sign_out()  # e.g. signed out in another tab
        page.get_by_role("navigation", name="Main").get_by_role("link", name="Reports").click()
        page.get_by_role("heading", level=1, name="Sign in again to see this page").wait_for()
        link = page.get_by_role("link", name="Sign in again")
        assert link.get_attribute("href") == "/_gate/sign-in?return=%2Freports"
        assert not gate.requests("/_gate/refresh")


def test_three_tabs_keep_a_rotating_session(context, dist):
    # A 5 s session: every tab's timer comes due again and again, together.
    with ContractGate(dist, ttl=5) as gate:
        tabs = [open_signed_in(context, gate, "/docs")[0] for _ in range(3)]
        start = gate.spends
        time.sleep(22)
        assert not gate.reuse, "two tabs spent the same refresh token"
        assert 1 <= gate.spends - start <= 4
        for tab in tabs:
            tab.get_by_role("banner").get_by_text("Ada Lovelace").wait_for(timeout=2_000)
