"""End-to-end fixtures: a local stack per identity provider and a headless Debian Chromium.

Prerequisites: /usr/bin/chromium (apt-get install chromium chromium-driver), node + npm (the
stack runs `npm ci` in local/idp when node_modules is missing), python3.13 and the built site
(site/dist). Missing ones skip the suite, unless GATE_E2E_REQUIRED=1 (CI), where they fail it.
Every test fails on a CloudFront-level refusal in the emulator's log (no_cloudfront_refusals).
A failing test leaves a screenshot of every open page, and the stack's logs, in test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
import sys
import tempfile

import pytest

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from local.stack import Stack  # noqa: E402

ARTIFACTS = os.path.join(ROOT, "test-artifacts")
CHROMIUM = os.environ.get("GATE_CHROMIUM", "/usr/bin/chromium")
ID_TOKEN_TTL = int(os.environ.get("GATE_E2E_ID_TOKEN_TTL", "20"))  # seconds; the refresh test waits this long
# Not 0: the gate reads the clock before the code exchange, so with no leeway a token issued
# in the next second counts as "issued in the future" (see docs/local.md).
LEEWAY = 2
PROVIDERS = ("cognito", "oidc")


def _missing() -> list[str]:
    missing = []
    if not os.path.exists(CHROMIUM):
        missing.append(f"{CHROMIUM} (apt-get install chromium chromium-driver)")
    if not shutil.which("node") or not shutil.which("npm"):
        missing.append("node and npm")
    try:
        import playwright  # noqa: F401
    except ImportError:
        missing.append("the playwright Python package")
    return missing


def pytest_collection_modifyitems(config, items):
    missing = _missing()
    if not missing:
        return
    message = "e2e prerequisites missing: " + ", ".join(missing)
    if os.environ.get("GATE_E2E_REQUIRED") == "1":
        raise pytest.UsageError(message)
    for item in items:
        if "tests/e2e/" in item.nodeid.replace(os.sep, "/"):
            item.add_marker(pytest.mark.skip(reason=message))


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


def _site_dir(tmp_path_factory) -> str:
    """The built site (scripts/test builds it). Without it: fail under GATE_E2E_REQUIRED=1 (CI),
    else skip; never a stand-in site, whose pages would make every test here mean nothing."""
    built = os.path.join(ROOT, "site", "dist")
    if os.path.isfile(os.path.join(built, "index.html")):
        return built
    message = "site/dist is not built (cd site && npm ci && npm run build; scripts/test does it)"
    if os.environ.get("GATE_E2E_REQUIRED") == "1":
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session", params=PROVIDERS)
def stack(request, tmp_path_factory):
    if _missing():
        pytest.skip("e2e prerequisites missing")
    workdir = tempfile.mkdtemp(prefix=f"gate-e2e-{request.param}-")
    s = Stack(
        request.param,
        site_dir=_site_dir(tmp_path_factory),
        workdir=workdir,
        id_token_ttl=ID_TOKEN_TTL,
        refresh_window_seconds=5,
        leeway_seconds=LEEWAY,
        api=True,
        # issue 23: the assets behind CloudFront signed cookies, as in the demo; 0 runs the suite
        # with the gate on the assets instead
        signed_assets=os.environ.get("GATE_E2E_SIGNED_ASSETS", "1") == "1",
    )  # issue 13: local/api.py behind /api/* (tests/e2e/test_e2e_api.py)
    s.start()
    yield s
    s.stop()
    shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(autouse=True)
def no_cloudfront_refusals(request):
    """Every end-to-end test fails on a CloudFront-level refusal the emulator logged while it ran
    (a method a behavior does not allow, a Host it does not serve, a function failure, ...):
    the routing is cloudformation.yaml's, so such a refusal would happen on a real deploy too.
    A test that provokes one on purpose takes it with `expected_refusals`."""
    if "stack" not in request.fixturenames:
        yield
        return
    stack = request.getfixturevalue("stack")
    before = len(stack.cloudfront_refusals())
    expected: list[dict] = []
    request.node.expected_refusals = expected
    yield
    seen = stack.cloudfront_refusals()[before:]
    unexpected = [r for r in seen if not any(all(r.get(k) == v for k, v in e.items()) for e in expected)]
    assert unexpected == [], f"CloudFront would have refused: {unexpected}"


@pytest.fixture(scope="session")
def browser(chromium):
    return chromium


@pytest.fixture
def context(request, browser, stack):
    ctx = browser.new_context(viewport={"width": 1200, "height": 900})
    ctx.set_default_timeout(15_000)
    ctx.set_default_navigation_timeout(20_000)
    yield ctx
    report = getattr(request.node, "rep_call", None)
    if report is not None and report.failed:
        save_artifacts(request.node.nodeid, ctx, stack)
    ctx.close()


def save_artifacts(nodeid: str, ctx, stack) -> None:
    os.makedirs(ARTIFACTS, exist_ok=True)
    base = re.sub(r"[^A-Za-z0-9_.-]+", "_", nodeid.split("::", 1)[-1])
    for index, page in enumerate(ctx.pages):
        try:
            page.screenshot(path=os.path.join(ARTIFACTS, f"{base}-page{index}.png"), full_page=True)
        except Exception as exc:  # a closed page must not hide the real failure
            print(f"screenshot of page {index} failed: {exc}", file=sys.stderr)
    with open(os.path.join(ARTIFACTS, f"{base}.log"), "w") as f:
        f.write(stack.logs(200))


@pytest.fixture
def page(context):
    return context.new_page()
