"""Shared fixtures for the deploy tests: fake AWS credentials, moto, the real template."""

from __future__ import annotations

import copy
import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TEMPLATE_PATH = ROOT / "cloudformation.yaml"


@pytest.fixture
def aws_env(monkeypatch, tmp_path):
    """Fake credentials in us-east-1; nothing from the developer's own AWS config leaks in."""
    for name in list(os.environ):
        if name.startswith("AWS_"):
            monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


@pytest.fixture
def moto_aws(aws_env):
    from moto import mock_aws

    with mock_aws():
        yield


@pytest.fixture(scope="session")
def _template_once():
    from gatebuild.lambda_edge_rules import load_template

    return load_template(str(TEMPLATE_PATH))


@pytest.fixture
def template(_template_once):
    """A deep copy of the real template, safe to mutate."""
    return copy.deepcopy(_template_once)
