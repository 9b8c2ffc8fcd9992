"""`build.py --check-idp` against oidc-provider (npm, the real package, started alone by the
launcher): it checks `redirect_uri` against the client's registered URIs before any sign-in
(its authorization endpoint renders an `invalid_redirect_uri` error page, never redirecting to
an unregistered URI: RFC 6749 4.1.2.1), so the probe can say "refused"; a registered callback
goes on to its interaction (sign-in) page, where the probe cannot tell."""

from __future__ import annotations

import shutil
import subprocess
import sys

import pytest

from local.stack import Stack
from tests.local.conftest import ROOT

pytestmark = [
    pytest.mark.slow,
    pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed"),
]


@pytest.fixture(scope="module")
def oidc(tmp_path_factory):
    from tests.local.standin import make_site

    stack = Stack("oidc", site_dir=make_site(str(tmp_path_factory.mktemp("site"))))
    stack._start_oidc()
    yield stack
    stack.stop()


def check(tmp_path, stack, site_url: str) -> str:
    config = tmp_path / "gate.toml"
    config.write_text(
        f'[idp]\nprovider = "oidc"\nissuer = "{stack.issuer}"\nclient_id = "{stack.client_id}"\n'
        f'client_secret = "{stack.client_secret}"\nscopes = ["openid", "email", "profile", "groups"]\n'
        f'[site]\nurl = "{site_url}"\n[cookies]\nsecure = false\n'
        '[[rules]]\npaths = ["/admin/*"]\ngroups = ["Admin"]\n'
    )
    run = subprocess.run(
        [sys.executable, "build.py", "--config", str(config), "--check-idp"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert run.returncode == 0, run.stderr
    return run.stdout


def test_a_callback_the_provider_does_not_know_is_reported_refused(oidc, tmp_path):
    out = check(tmp_path, oidc, "http://localhost:1")  # not the stack's registered site
    assert (
        f"callback:    the provider refused redirect_uri http://localhost:1/_gate/callback for client {oidc.client_id}"
        in out
    )


def test_a_registered_callback_is_not_reported_refused_and_groups_are_listed(oidc, tmp_path):
    out = check(tmp_path, oidc, oidc.site_url)
    assert "refused" not in out
    assert "callback:    the provider asks for sign-in first" in out
    assert 'groups:      claim "groups" of the ID token' in out
    assert "claims_supported does not list it" not in out  # oidc-provider lists groups
    assert f"issuer:      {oidc.issuer}" in out
