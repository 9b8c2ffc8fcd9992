"""`scripts/demo` mistakes: one line naming the fix, exit 2, nothing started (issue 17)."""

import subprocess
import sys

import pytest

from local.stack import free_port
from tests.local.conftest import ROOT


@pytest.mark.parametrize(
    "args,needle",
    [
        (
            ["--site", "/nonexistent/dist"],
            "--site /nonexistent/dist: no index.html there; give your site's build output",
        ),
        (["--config", "/nonexistent/gate.toml"], "--config /nonexistent/gate.toml: no such file"),
        (["--csp-file", "/nonexistent/csp.txt"], "/nonexistent/csp.txt: cannot read the Content-Security-Policy file"),
        (["--provider", "cognito", "--profile", "keycloak"], "--profile keycloak needs --provider oidc"),
    ],
)
def test_demo_argument_mistakes(args, needle):
    run = subprocess.run(
        [sys.executable, "-m", "local.demo", "--port", str(free_port()), "--idp-port", str(free_port()), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2
    assert run.stderr.strip().splitlines() == [f"demo: {needle}" + run.stderr.strip().split(needle, 1)[1]]
    assert "Traceback" not in run.stderr + run.stdout
