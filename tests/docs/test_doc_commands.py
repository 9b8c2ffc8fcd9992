"""The docs' commands cannot rot: every shell block marked `<!-- docs-test: offline -->` (the
convention is in docs/contributing.md, "Commands in the docs are tested") is run, line by line,
from the repository root with .venv/bin first on PATH and no network, and each line must exit 0."""

from __future__ import annotations

import glob
import os
import re
import subprocess
import sys

import pytest

from tests.build.test_build_zip import NO_NETWORK
from tests.conftest import ROOT

pytestmark = [pytest.mark.slow, pytest.mark.zip]  # builds the example zip; markers: docs/contributing.md "Tests"

MARK = "<!-- docs-test: offline -->"
BLOCK = re.compile(r"^" + re.escape(MARK) + r"\n```(?:sh|bash|console)\n(.*?)^```", re.M | re.S)


def marked_commands(text: str) -> list[str]:
    commands: list[str] = []
    for block in BLOCK.findall(text):
        for line in block.replace("\\\n", " ").splitlines():
            command = re.sub(r"(^|\s)#.*$", "", line).strip()
            if command:
                commands.append(command)
    return commands


def doc_files() -> list[str]:
    return [*sorted(glob.glob(os.path.join(ROOT, "docs", "*.md"))), os.path.join(ROOT, "README.md")]


def all_commands() -> list[tuple[str, str]]:
    found = []
    for path in doc_files():
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
        assert len(re.findall("^" + re.escape(MARK) + "$", text, re.M)) == len(BLOCK.findall(text)), (
            f"{path}: a {MARK} not right before a ```sh block"
        )
        found += [(os.path.relpath(path, ROOT), command) for command in marked_commands(text)]
    return found


def test_the_marked_blocks_are_found() -> None:
    commands = [command for _, command in all_commands()]
    assert "python3 build.py --config gate.example.toml --jwks-file tests/fixtures/jwks.json" in commands
    assert "python3 build.py --print-schema > /dev/null" in commands
    assert marked_commands(f"{MARK}\n```sh\na --x \\\n  --y   # say\n# only a comment\n```\n") == ["a --x    --y"]


@pytest.fixture(scope="module")
def vendor_cache(tmp_path_factory) -> None:
    """The first build of a clone downloads the pinned dependencies from PyPI (docs/getting-started.md,
    "Dependencies"); later builds use build/vendor-*. Warm that cache, so "offline" means what the
    docs say: nothing goes to the network for the IdP or PyPI once the cache is there."""
    out = tmp_path_factory.mktemp("warm") / "edge.zip"
    args = ["--config", "gate.example.toml", "--jwks-file", "tests/fixtures/jwks.json", "--out", str(out)]
    result = subprocess.run([sys.executable, "build.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


@pytest.mark.parametrize(("page", "command"), all_commands(), ids=lambda v: v if "/" not in v else None)
def test_doc_command_exits_0(page: str, command: str, tmp_path, vendor_cache) -> None:
    (tmp_path / "sitecustomize.py").write_text(NO_NETWORK)
    env = {
        **os.environ,
        "PATH": os.path.join(ROOT, ".venv", "bin") + os.pathsep + os.environ.get("PATH", ""),
        "PYTHONPATH": str(tmp_path),
    }
    result = subprocess.run(
        ["bash", "-c", f"set -euo pipefail; {command}"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, (
        f"{page}: `{command}` exited {result.returncode}\n{result.stdout[-2000:]}\n{result.stderr[-2000:]}"
    )
