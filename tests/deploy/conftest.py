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


def _secure_transport_like_aws(monkeypatch):
    """moto evaluates S3 bucket policies but not their Bool conditions, and answers DENIED when a
    condition does not hold even for a Deny statement (moto/iam/access_control.py,
    IAMPolicyStatement.is_action_permitted), so the artifact bucket's TLS-only Deny would refuse
    everything. AWS sets aws:SecureTransport to true for a request sent over TLS ("AWS global
    condition context keys", IAM user guide: a Deny on "false" then does not apply), and boto3
    always uses https: make exactly that statement not apply, as on AWS."""
    from moto.iam import access_control

    original = access_control.IAMPolicyStatement.is_action_permitted

    def is_action_permitted(self, action, resource="*", principal=None, incoming_condition_values=None):
        if self._statement.get("Condition") == {"Bool": {"aws:SecureTransport": "false"}}:
            return access_control.PermissionResult.NEUTRAL
        return original(self, action, resource, principal, incoming_condition_values)

    monkeypatch.setattr(access_control.IAMPolicyStatement, "is_action_permitted", is_action_permitted)


@pytest.fixture
def moto_aws(aws_env, monkeypatch):
    from moto import mock_aws

    _secure_transport_like_aws(monkeypatch)
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


class FakeBuilder:
    """Stands in for build.build: records each call, writes a small zip holding the overrides."""

    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, config_path, *, jwks_file=None, out="dist/edge.zip", overrides=None):
        import json
        import zipfile

        self.calls.append({"config_path": config_path, "jwks_file": jwks_file, "out": out, "overrides": overrides})
        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with zipfile.ZipFile(out, "w") as archive:
            archive.writestr("edge/handler.py", "def handler(event, context):\n    return event\n")
            archive.writestr(
                "edge/config.json", json.dumps({"overrides": overrides, "n": len(self.calls)}, sort_keys=True)
            )
        return out


@pytest.fixture
def fake_builder():
    return FakeBuilder()


@pytest.fixture
def site_dir(tmp_path):
    """A Vite-like build: index.html, hashed assets, a few non-hashed files, a dotfile to skip."""
    root = tmp_path / "dist"
    (root / "assets").mkdir(parents=True)
    (root / "admin").mkdir()
    (root / "index.html").write_text("<!doctype html><script type=module src=/assets/index-Ab12Cd34.js></script>")
    (root / "assets" / "index-Ab12Cd34.js").write_text("console.log('app')")
    (root / "assets" / "index-Zz99Yy88.css").write_text("body{}")
    (root / "assets" / "logo-Qq11.svg").write_text("<svg/>")
    (root / "assets" / "font-Ff22.woff2").write_bytes(b"wOF2")
    (root / "admin" / "index.html").write_text("<!doctype html>")
    (root / "favicon.svg").write_text("<svg/>")
    (root / "robots.txt").write_text("User-agent: *\nDisallow: /\n")
    (root / "manifest.webmanifest").write_text("{}")
    (root / ".DS_Store").write_bytes(b"junk")
    return str(root)


@pytest.fixture
def quiet_progress():
    import io

    from gatebuild.deploy.progress import Progress

    out, err = io.StringIO(), io.StringIO()
    progress = Progress(out, err)
    progress.out, progress.err = out, err
    return progress


MOTO_RESOURCES = ("SiteBucket", "GateRole", "GateFunction", "GateVersion")


@pytest.fixture
def moto_template(tmp_path):
    """The part of cloudformation.yaml moto can model (bucket, role, function, version), as a file."""
    import json

    from gatebuild.lambda_edge_rules import load_template

    template = json.loads(json.dumps(load_template(str(TEMPLATE_PATH))))
    template.pop("Rules")  # moto does not evaluate Rules
    template["Resources"] = {k: v for k, v in template["Resources"].items() if k in MOTO_RESOURCES}
    template["Outputs"] = {
        "SiteUrl": {"Value": "https://d111111abcdef8.cloudfront.net"},
        "BucketName": {"Value": {"Ref": "SiteBucket"}},
        "FunctionName": {"Value": {"Ref": "GateFunction"}},
    }
    path = tmp_path / "moto-template.json"
    path.write_text(json.dumps(template))
    return str(path)
