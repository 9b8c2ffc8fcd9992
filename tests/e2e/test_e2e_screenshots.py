"""scripts/screenshots works: `python -m local.screenshot --all` (what the script runs) signs each
demo user in through the local provider in headless Chromium and writes every shot the docs use
(tests/docs/test_screenshots.py checks that list against the docs). Written to a temporary folder,
so the committed images are not touched."""

from __future__ import annotations

import os
import struct
import subprocess
import sys

import pytest

from local.screenshot import SHOTS
from tests.e2e.conftest import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]


def test_screenshot_script_writes_every_shot(tmp_path) -> None:
    if not os.path.isfile(os.path.join(ROOT, "site", "dist", "index.html")):
        pytest.skip("site/dist is not built (scripts/test builds it before e2e tests)")
    result = subprocess.run(
        [sys.executable, "-m", "local.screenshot", "--all", "--out-dir", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    for shot in SHOTS:
        with open(tmp_path / os.path.basename(shot.out), "rb") as fh:
            head = fh.read(24)
        assert head[:8] == b"\x89PNG\r\n\x1a\n", shot.out
        assert struct.unpack(">II", head[16:24]) == (1280, 860), shot.out  # the viewport, not a blank error
