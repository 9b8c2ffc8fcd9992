"""A missing prerequisite skips on a developer's machine and fails in CI (tests/support/required.py)."""

from __future__ import annotations

import pytest

from tests.support.required import skip_or_fail


def test_missing_prerequisite_skips_locally(monkeypatch):
    monkeypatch.delenv("GATE_E2E_REQUIRED", raising=False)
    with pytest.raises(pytest.skip.Exception, match="node is not installed"):
        skip_or_fail("node is not installed")


def test_missing_prerequisite_fails_in_ci(monkeypatch):
    monkeypatch.setenv("GATE_E2E_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="GATE_E2E_REQUIRED=1"):
        skip_or_fail("node is not installed")
    monkeypatch.setenv("GATE_PY313_REQUIRED", "1")
    with pytest.raises(pytest.fail.Exception, match="GATE_PY313_REQUIRED=1"):
        skip_or_fail("python3.13 not installed", "GATE_PY313_REQUIRED")
