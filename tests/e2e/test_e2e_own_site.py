"""`scripts/demo --site PATH --config gate.toml` (issue 17): the gate in front of a user's own
build, with their rules and branding, the site's own CSP from csp.txt beside the build (as
deploy.py takes it), driven through Chromium. Runs the demo's real command line."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import pytest

from local.stack import DEMO_USERS, free_port
from tests.e2e.conftest import ROOT
from tests.e2e.helpers import submit_login, wait_for_login_form
from tests.gate.test_pages import wcag_ratio

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

OWN_CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self'; "
    "connect-src 'self'; object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
LOGO = (
    '<svg xmlns="http://www.w3.org/2000/svg" width="40" height="40"><rect width="40" height="40" fill="#14532d"/></svg>'
)


def make_own_site(root) -> tuple[str, str]:
    app = root / "my-app"
    dist = app / "dist"
    (dist / "assets").mkdir(parents=True)
    (dist / "brand").mkdir()
    (dist / "index.html").write_text(
        '<!doctype html><html><head><title>My app</title><script type="module" src="/assets/app.js"></script>'
        '</head><body><h1 id="where">My app</h1></body></html>'
    )
    (dist / "assets" / "app.js").write_text("document.getElementById('where').textContent = location.pathname;\n")
    (dist / "brand" / "logo.svg").write_text(LOGO)
    (app / "csp.txt").write_text(OWN_CSP + "\n")
    config = root / "gate.toml"
    config.write_text(
        '[paths]\npublic = ["/brand/*"]\n\n[[rules]]\npaths = ["/private/*"]\ngroups = ["Staff"]\n\n'
        '[branding]\nname = "My App"\nlogo = "/brand/logo.svg"\naccent = "#14532d"\n'
    )
    return str(dist), str(config)


@pytest.fixture(scope="module")
def own_demo(tmp_path_factory):
    from tests.e2e.conftest import _missing

    if _missing():
        pytest.skip("e2e prerequisites missing")
    site, config = make_own_site(tmp_path_factory.mktemp("own"))
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.demo",
            "--site",
            site,
            "--config",
            config,
            "--port",
            str(port),
            "--idp-port",
            str(free_port()),
        ],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    before_banner: list[str] = []
    deadline = time.monotonic() + 300
    try:
        for line in proc.stdout:
            before_banner.append(line)
            if "Ctrl-C stops everything." in line or time.monotonic() > deadline:
                break
        assert any("Ctrl-C stops everything." in line for line in before_banner), "".join(before_banner)[-3000:]
        yield {"url": f"http://localhost:{port}", "output": "".join(before_banner), "proc": proc}
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)


def test_banner_comes_first_and_names_the_site_and_its_csp(own_demo):
    output = own_demo["output"]
    banner_at = output.index("The site, behind the sign-in gate:")
    assert "/_gate/me" not in output[:banner_at]  # the readiness probe stays in the emulator's log
    assert "[emulator]" not in output[:banner_at] and "Traceback" not in output
    assert re.search(r"Site: +\S+my-app/dist +\(CSP from \S+my-app/csp.txt\)", output)
    assert "Paths, rules and branding from" in output
    assert "groups: Admin, Staff, Viewer" in output  # the admin can see what Staff sees
    from gatebuild.runtime import find_python313

    # said exactly once (in the banner) when there is no python3.13, else not at all
    assert output.count("NOTE: no python3.13 here") == (0 if find_python313() else 1)


def _rgb(value: str) -> str:
    r, g, b = (int(n) for n in re.findall(r"\d+", value)[:3])
    return f"#{r:02x}{g:02x}{b:02x}"


def test_own_site_behind_the_gate_with_its_rules_branding_and_csp(own_demo, browser):
    url = own_demo["url"]
    context = browser.new_context()
    context.set_default_timeout(20_000)
    try:
        page = context.new_page()
        csp_errors: list[str] = []
        page.on("console", lambda m: "Content Security Policy" in m.text and csp_errors.append(m.text))
        page.goto(url + "/private/report?q=1")
        wait_for_login_form(page, type("S", (), {"idp_url": "http://127.0.0.1"})())
        viewer = next(u for u in DEMO_USERS if "Viewer" in u.groups)
        with page.expect_response(lambda r: r.url == url + "/private/report?q=1") as answer:
            submit_login(page, viewer)
        assert answer.value.status == 403
        page.wait_for_load_state("load")
        assert page.title() == "You don't have access to this page \u00b7 My App"
        logo = page.locator("header img")
        assert logo.get_attribute("alt") == "My App"
        assert page.evaluate("() => document.querySelector('header img').naturalWidth") == 40
        button = page.locator("a.button").first
        colours = button.evaluate("e => [getComputedStyle(e).color, getComputedStyle(e).backgroundColor]")
        assert wcag_ratio(_rgb(colours[0]), _rgb(colours[1])) >= 7
        body = page.evaluate(
            "() => [getComputedStyle(document.body).color, getComputedStyle(document.body).backgroundColor]"
        )
        assert wcag_ratio(_rgb(body[0]), _rgb(body[1])) >= 7
        assert csp_errors == []

        served = page.goto(url + "/docs/anything")  # signed in; no rule: the user's own app
        assert served.status == 200 and served.headers["content-security-policy"] == OWN_CSP
        page.wait_for_function("() => document.getElementById('where').textContent === '/docs/anything'")
        assert csp_errors == []
    finally:
        context.close()
