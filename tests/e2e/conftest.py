"""End-to-end fixtures: a local stack per identity provider and a headless Debian Chromium.

Prerequisites: /usr/bin/chromium (apt-get install chromium chromium-driver), node + npm (the
stack runs `npm ci` in local/idp when node_modules is missing) and python3.13. Missing ones
skip the suite, unless GATE_E2E_REQUIRED=1 (CI), where they fail it.
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
    built = os.path.join(ROOT, "site", "dist")
    if os.path.isfile(os.path.join(built, "index.html")):
        return built
    return make_standin_site(str(tmp_path_factory.mktemp("standin-site")))


def make_standin_site(root: str) -> str:
    """Used only while site/dist is not built: index.html + hashed-looking assets + admin JSON."""
    files = {
        "index.html": "<!doctype html><html><head><title>Stand-in site</title>"
        '<link rel="stylesheet" href="/assets/index-standin.css"></head><body>'
        '<div id="root"></div><script type="module" src="/assets/index-standin.js"></script>'
        "</body></html>",
        "assets/index-standin.js": "const h = document.createElement('h1'); h.textContent = location.pathname;"
        "document.getElementById('root').append(h);\n"
        "fetch('/_gate/me', {headers: {Accept: 'application/json'}});\n",
        "assets/index-standin.css": "body { font-family: sans-serif; }\n",
        "admin/overview.json": '{"members": []}\n',
        "favicon.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',
        "robots.txt": "User-agent: *\nDisallow: /\n",
    }
    for name, text in files.items():
        path = os.path.join(root, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as f:
            f.write(text)
    return root


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
    )  # issue 13: local/api.py behind /api/* (tests/e2e/test_e2e_api.py)
    s.start()
    yield s
    s.stop()
    shutil.rmtree(workdir, ignore_errors=True)


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
