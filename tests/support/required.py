"""Skips CI never reports as a pass: where a prerequisite is missing, a test skips on a
developer's machine but fails in CI, which sets GATE_E2E_REQUIRED=1 (browser, Node, the built
site) and GATE_PY313_REQUIRED=1 (python3.13) in .ci/run. Same rule as tests/e2e/conftest.py
and tests/conftest.py's needs_py313 marker."""

from __future__ import annotations

import os
import shutil

import pytest


def skip_or_fail(reason: str, env: str = "GATE_E2E_REQUIRED") -> None:
    if os.environ.get(env) == "1":
        pytest.fail(f"{reason} ({env}=1: required here, never skipped)", pytrace=False)
    pytest.skip(reason)


@pytest.fixture
def node_required() -> None:
    """Use with pytest.mark.usefixtures("node_required") on a module that starts Node."""
    if shutil.which("node") is None:
        skip_or_fail("node is not installed")
