"""Issue 24, "Your own provider, locally": `python -m local.demo --config <file naming a provider>`
against a real OpenID provider the local stack does not start itself, in Chromium.

The provider is django-oauth-toolkit 3.x (PyPI), started here by the fixture through
local/idp/dot on 127.0.0.1, never by the demo. Its own login form (Django's LoginView) signs the
person in; it shows its own error page for a redirect URI it does not know (oauthlib raises
MismatchingRedirectURIError, a FatalClientError, which must never be redirected: RFC 6749 4.1.2.1),
answers a wrong client secret with 401 invalid_client (RFC 6749 5.2), puts no `groups` claim in
its ID tokens, and asks the person to confirm RP-initiated logout.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
import time
from html import unescape

import pytest

from local.stack import free_port
from tests.e2e.conftest import CHROMIUM, ROOT, make_standin_site

pytest.importorskip("oauth2_provider")
pytestmark = [pytest.mark.e2e, pytest.mark.slow, pytest.mark.zip]

PORTS = {"good": free_port(), "bad_secret": free_port(), "unregistered": free_port(), "check": free_port()}
REGISTERED = ("good", "bad_secret", "check")


@pytest.fixture(scope="module")
def dot():
    from local.idp.dot import DotProvider

    callbacks = [f"http://localhost:{PORTS[k]}/_gate/callback" for k in REGISTERED]
    signed_out = [f"http://localhost:{PORTS[k]}/_gate/signed-out" for k in REGISTERED]
    with DotProvider(callbacks, signed_out) as provider:
        yield provider


@pytest.fixture(scope="module")
def site(tmp_path_factory) -> str:
    return make_standin_site(str(tmp_path_factory.mktemp("own-provider-site")))


def gate_toml(path, dot, secret: str | None = None, issuer: str | None = None) -> str:
    """The file a person would deploy with: a real site URL and Secure cookies."""
    path.write_text(
        f"""[idp]
provider = "oidc"
issuer = "{issuer or dot.issuer}"
client_id = "{dot.client_id}"
client_secret = "{secret or dot.client_secret}"
# django-oauth-toolkit checks the secret against a PBKDF2 hash (Django's password hasher): seconds
# on a loaded 2-core machine, so the gate's longest wait for the token endpoint.
timeout_seconds = 4

[site]
url = "https://www.example.com"

[[rules]]
paths = ["/admin", "/admin/*"]
groups = ["Admin"]

[cookies]
domain = "example.com"
"""
    )
    return str(path)


class Demo:
    """`python -m local.demo` as a subprocess, its output collected line by line."""

    def __init__(self, config: str, port: int, site: str):
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "local.demo", "--config", config, "--port", str(port), "--site", site],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,
        )
        self.lines: list[str] = []
        self.url = f"http://localhost:{port}"
        self.port = port
        threading.Thread(target=self._pump, daemon=True).start()

    def _pump(self) -> None:
        for line in self.proc.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def text(self) -> str:
        return "\n".join(self.lines)

    def wait_for(self, needle: str, timeout: float = 300) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if needle in self.text:
                return self.text
            if self.proc.poll() is not None:
                time.sleep(0.3)  # the pump's last lines
                if needle in self.text:
                    return self.text
                raise AssertionError(f"demo exited {self.proc.returncode} before {needle!r}:\n{self.text}")
            time.sleep(0.2)
        raise AssertionError(f"no {needle!r} within {timeout} s:\n{self.text}")

    def stop(self) -> None:
        self._stop()
        # the demo keeps its files for a person to read (build/local/external-PORT); a test's go
        shutil.rmtree(os.path.join(ROOT, "build", "local", f"external-{self.port}"), ignore_errors=True)

    def _stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()  # SIGTERM: the demo stops everything it started
            try:
                self.proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
                self.proc.wait()


@pytest.fixture
def browser_page():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        context = browser.new_context()
        try:
            yield context.new_page()
        finally:
            browser.close()


def dot_sign_in(page, dot) -> None:
    page.wait_for_url(re.compile(re.escape(dot.base) + r"/accounts/login/"), timeout=30_000)
    page.locator("input[name=username]").fill(dot.username)
    page.locator("input[name=password]").fill(dot.password)
    page.get_by_role("button", name="Sign in").click()


def me_status(page, site_url: str) -> int:
    """GET /_gate/me with this browser's cookies (the gate's own pages forbid scripts' fetch by CSP)."""
    return page.context.request.get(site_url + "/_gate/me", headers={"Accept": "application/json"}).status


def test_demo_with_your_own_provider_signs_in_there_and_out(dot, site, tmp_path, browser_page):
    demo = Demo(gate_toml(tmp_path / "gate.toml", dot), PORTS["good"], site)
    try:
        banner = demo.wait_for("Ctrl-C stops everything")
        # No provider of the stack's own: the banner names this one and what to register there.
        assert "no local provider started" in banner
        assert "cognito-local" not in banner and "oidc-provider" not in banner
        assert f"callback (redirect URI):         {demo.url}/_gate/callback" in banner
        assert f"sign-out (post-logout redirect): {demo.url}/_gate/signed-out" in banner
        assert f"for client {dot.client_id}:" in banner
        # Exactly what was laid on the person's file, and nothing else.
        assert f'site.url="{demo.url}"' in banner and "cookies.secure=false" in banner
        assert 'cookies.domain=""' in banner
        assert f"issuer:      {dot.issuer}" in banner
        assert "revokes the refresh token" in banner

        page = browser_page
        page.goto(demo.url + "/reports/2026")
        dot_sign_in(page, dot)  # django-oauth-toolkit's own login form
        page.wait_for_url(demo.url + "/reports/2026", timeout=30_000)
        assert page.locator("h1").inner_text() == "/reports/2026"  # the stand-in site's page, served
        assert me_status(page, demo.url) == 200

        # A rule needs the Admin group; django-oauth-toolkit sends no groups claim at all.
        answer = page.goto(demo.url + "/admin")
        assert answer.status == 403
        assert "did not say which groups you are in" in page.content()
        assert "Reason: groups_claim_missing" in page.content()
        demo.wait_for("[demo] hint (groups_claim_missing)", timeout=20)
        assert 'no "groups" claim' in demo.text

        # Sign out: the gate revokes, then RP-initiated logout at the provider (it asks to confirm).
        page.goto(demo.url + "/_gate/sign-out")
        page.wait_for_url(re.compile(re.escape(dot.issuer) + r"/logout/"), timeout=30_000)
        page.locator("input[name=allow]").click()
        page.wait_for_url(demo.url + "/_gate/signed-out", timeout=30_000)
        assert "You are signed out" in page.content()
        assert me_status(page, demo.url) == 401
        page.goto(demo.url + "/reports/2026")  # the provider's session ended too: its form again
        page.wait_for_url(re.compile(re.escape(dot.base) + r"/accounts/login/"), timeout=30_000)
    finally:
        demo.stop()
    assert demo.proc.returncode == 0, demo.text
    assert "Traceback" not in demo.text


def test_wrong_client_secret_gets_a_hint_on_the_page_and_in_the_terminal(dot, site, tmp_path, browser_page):
    demo = Demo(gate_toml(tmp_path / "gate.toml", dot, secret="not-the-secret"), PORTS["bad_secret"], site)
    try:
        demo.wait_for("Ctrl-C stops everything")
        page = browser_page
        page.goto(demo.url + "/")
        dot_sign_in(page, dot)
        page.wait_for_url(re.compile(re.escape(demo.url) + r"/_gate/callback\?"), timeout=30_000)
        page.wait_for_load_state()
        content = unescape(page.content())
        assert "Sign-in is not working right now" in content and "Reason: idp_invalid_client" in content
        assert "check the client secret" in content  # the one line for the site's owner
        assert "not-the-secret" not in page.content()
        text = demo.wait_for("[demo] hint (idp_invalid_client)", timeout=20)
        assert "idp.client_secret" in text and dot.client_id in text
    finally:
        demo.stop()


def test_unregistered_redirect_uri_the_provider_says_so_and_the_banner_explains(dot, site, tmp_path, browser_page):
    demo = Demo(gate_toml(tmp_path / "gate.toml", dot), PORTS["unregistered"], site)
    try:
        banner = demo.wait_for("Ctrl-C stops everything")
        assert "If the provider shows its own error page about the redirect URI" in banner
        assert f"{demo.url}/_gate/callback" in banner
        page = browser_page
        page.goto(demo.url + "/")
        dot_sign_in(page, dot)
        # The provider's own error page, never a redirect to an unregistered URI (RFC 6749 4.1.2.1).
        page.wait_for_load_state()
        assert page.url.startswith(dot.issuer + "/authorize/")
        assert "redirect" in page.content().lower()
    finally:
        demo.stop()


def test_issuer_mismatch_stops_the_demo_with_a_hint(dot, site, tmp_path):
    demo = Demo(gate_toml(tmp_path / "gate.toml", dot, issuer=dot.issuer + "/"), PORTS["check"], site)
    try:
        demo.proc.wait(timeout=300)
    finally:
        demo.stop()
    time.sleep(0.3)
    assert demo.proc.returncode == 1
    assert f"names issuer '{dot.issuer}'" in demo.text
    assert "[demo] hint (issuer mismatch)" in demo.text


def test_build_check_idp_says_what_the_gate_will_do(dot, tmp_path):
    config = gate_toml(tmp_path / "gate.toml", dot)
    run = subprocess.run(
        [sys.executable, "build.py", "--config", config, "--check-idp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    out = run.stdout
    assert f"issuer:      {dot.issuer}  (provider profile 'oidc'" in out
    assert "the gate accepts RS256; the provider signs ID tokens with RS256" in out
    assert 'groups:      claim "groups" of the ID token' in out
    assert "claims_supported does not list it" in out  # django-oauth-toolkit sends no groups
    # revocation only in RFC 8414 metadata; logout by its end_session_endpoint
    assert f"revokes the refresh token at {dot.issuer}/revoke_token/ (RFC 8414 metadata" in out
    assert f"logs out at the provider: {dot.issuer}/logout/ (RP-initiated logout" in out
    assert "1 access rule(s) needing groups Admin" in out
    assert f"for client {dot.client_id}" in out
    assert "https://www.example.com/_gate/callback" in out
    assert len(out.splitlines()) <= 8
    assert not (tmp_path / "dist").exists()
