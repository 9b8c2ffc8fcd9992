"""Shared fixtures: an IdP's keys, a real local token endpoint, a gate wired like the zip's."""

from __future__ import annotations

import json
import os
import sys
from urllib.parse import urlsplit

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

import edge.handler as edge_handler  # noqa: E402
from edge.gate import Gate  # noqa: E402
from edge.log import DecisionLog  # noqa: E402
from gatebuild import config as gate_config  # noqa: E402
from tests.support import hygiene  # noqa: E402
from tests.support.cloudfront import HOST, Browser, location_query  # noqa: E402
from tests.support.idp_server import LocalIdp  # noqa: E402
from tests.support.tokens import Keys  # noqa: E402

ISSUER = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Test12345"
CLIENT_ID = "test-client-id"
CLIENT_SECRET = "test-client-secret-value-42"
STATE_SECRET = "c3RhdGUtc2VjcmV0LWZvci10ZXN0cy1vbmx5LTAxMjM0NTY3ODk"
ARTIFACTS = os.path.join(ROOT, "test-artifacts")


@pytest.fixture(scope="session")
def keys() -> Keys:
    return Keys(ISSUER, CLIENT_ID)


@pytest.fixture(scope="session")
def other_keys() -> Keys:
    """Same issuer and kid as `keys`, different private key: an attacker's."""
    return Keys(ISSUER, CLIENT_ID)


@pytest.fixture
def idp(keys):
    with LocalIdp(keys, CLIENT_ID) as server:
        yield server
        hygiene.register(*server.refresh_tokens, *server.revoked, *(r["form"].get("code", "") for r in server.requests))


def raw_config(idp_base: str, **sections) -> dict:
    raw = {
        "idp": {
            "provider": "cognito",
            "client_id": CLIENT_ID,
            "token_endpoint": f"{idp_base}/token",
            "revocation_endpoint": f"{idp_base}/revoke",
            "jwks_uri": f"{idp_base}/jwks",
            "timeout_seconds": 1.0,
        },
        "cognito": {"region": "us-east-1", "user_pool_id": "us-east-1_Test12345", "domain": "auth.example.com"},
        "paths": {"public": ["/favicon.ico", "/public/*"]},
        "rules": [{"paths": ["/admin", "/admin/*"], "groups": ["Admin"]}],
        "state": {"secret": STATE_SECRET},
    }
    for name, values in sections.items():
        if isinstance(values, list):  # [[rules]], [[apis]]
            raw[name] = values
        else:
            raw.setdefault(name, {}).update(values)
    return raw


@pytest.fixture
def make_config(idp):
    def make(**sections):
        config, _ = gate_config.validate(raw_config(idp.base, **sections))
        hygiene.register(config.client_secret, STATE_SECRET)
        return config

    return make


@pytest.fixture
def make_handler(keys):
    """Wire a Gate into edge.handler exactly as the zip's first request does."""

    def make(config, jwks=None):
        edge_handler._gate = Gate(config, jwks if jwks is not None else keys.jwks())
        edge_handler._log = DecisionLog(config.log_level, config.state_secret, stream=hygiene.LogTap())
        return edge_handler.handler

    yield make
    edge_handler._gate = None
    edge_handler._log = None


@pytest.fixture
def handler(make_config, make_handler):
    return make_handler(make_config())


@pytest.fixture
def browser(handler):
    return Browser(handler)


@pytest.fixture
def login(idp, keys):
    """Complete a real login in `browser` through the local IdP; returns the final response."""

    def do_login(browser: Browser, target: str = "/", groups=("Viewer",), **claims):
        first = browser.get(target)
        assert first["status"] == "302", first
        query = location_query(first)
        callback = urlsplit(query["redirect_uri"]).path
        code = idp.issue_code(
            challenge=query["code_challenge"],
            nonce=query["nonce"],
            redirect_uri=query["redirect_uri"],
            claims=keys.id_claims(**{"cognito:groups": list(groups), **claims}),
        )
        return browser.request(callback, f"code={code}&state={query['state']}")

    return do_login


CHROMIUM = os.environ.get("GATE_CHROMIUM", "/usr/bin/chromium")


@pytest.fixture(scope="session")
def chromium():
    """One headless Debian Chromium for every browser test of the run: Playwright's sync API
    allows one running instance per process (a second `sync_playwright()` fails)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        from local.screenshot import CHROMIUM_ARGS

        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def log_hygiene(keys, other_keys):
    """After every test: no token, code, cookie value or secret in anything the gate logged."""
    start = len(hygiene.LOG_LINES)
    yield
    hygiene.register(*keys.issued, *other_keys.issued, CLIENT_SECRET, STATE_SECRET)
    lines = hygiene.LOG_LINES[start:]
    for line in lines:
        record = json.loads(line)  # every line is one JSON object
        assert {"path", "decision", "reason", "subject", "ms"} <= record.keys()
    assert hygiene.leaks(lines) == []


NEEDS_313 = "needs python3.13, the Lambda runtime's version (its bytecode)"


def pytest_collection_modifyitems(config, items):
    """Without python3.13, skip only the tests marked needs_py313 (see gatebuild/runtime.py)."""
    marked = [item for item in items if item.get_closest_marker("needs_py313")]
    if not marked:
        return
    from gatebuild import runtime

    if runtime.find_python313() is None:
        if os.environ.get("GATE_PY313_REQUIRED") == "1":  # CI: never skip these
            raise pytest.UsageError(f"python3.13 is required (GATE_PY313_REQUIRED=1): {runtime.HOW_TO_GET}")
        for item in marked:
            item.add_marker(pytest.mark.skip(reason=NEEDS_313))


def pytest_terminal_summary(terminalreporter):
    skipped = [r for r in terminalreporter.stats.get("skipped", []) if NEEDS_313 in str(r.longrepr)]
    if skipped:
        from gatebuild import runtime

        terminalreporter.write_sep("=", f"{len(skipped)} skipped: no python3.13 on this machine", yellow=True)
        terminalreporter.write_line(
            "Everything else ran on " + runtime.best_python().name + ". These need "
            "python3.13 itself (zip bytecode, benchmark):"
        )
        for report in skipped:
            terminalreporter.write_line(f"  {report.nodeid}")
        terminalreporter.write_line(f"To run them, {runtime.HOW_TO_GET}.")


def pytest_sessionfinish(session, exitstatus):
    os.makedirs(ARTIFACTS, exist_ok=True)
    with open(os.path.join(ARTIFACTS, "gate-log.jsonl"), "w") as f:
        f.write("\n".join(hygiene.LOG_LINES) + "\n")


__all__ = ["HOST"]
