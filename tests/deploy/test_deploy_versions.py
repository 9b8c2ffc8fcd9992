"""New code -> new numbered version -> the distribution's association moves; same code -> nothing.

CloudFormation's side is modelled in edge_stack_model.py (moto's CloudFormation updates $LATEST
only; the model follows the AWS documentation it cites), on top of moto's real Lambda and S3."""

from __future__ import annotations

import boto3
import pytest
from edge_stack_model import EdgeStackModel  # tests/deploy has no __init__: its dir is on sys.path

from gatebuild.deploy.clients import Clients
from gatebuild.deploy.gatezip import sha256_b64
from gatebuild.deploy.stack import StackOptions, deploy_stack

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

OIDC = (
    '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
    'authorization_endpoint = "https://login.example.com/a"\ntoken_endpoint = "https://login.example.com/t"\n'
    'jwks_uri = "https://login.example.com/j"\n'
)


class ContentBuilder:
    """A builder whose zip depends only on its inputs (like build.py): config text and overrides."""

    def __init__(self):
        self.extra = ""
        self.site_by_sha: dict[str, str] = {}

    def __call__(self, config_path, *, jwks_file=None, out="dist/edge.zip", overrides=None):
        import json
        import os
        import zipfile

        os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
        with zipfile.ZipFile(out, "w") as archive:
            info = zipfile.ZipInfo("edge/baked.py", date_time=(2020, 1, 1, 0, 0, 0))
            archive.writestr(info, f"CONFIG = {json.dumps(overrides, sort_keys=True)!r}\n{self.extra}")
        with open(out, "rb") as f:
            self.site_by_sha[sha256_b64(f.read())] = overrides["site"]["url"]
        return out


def _deploy(model, tmp_path, site_dir, builder, progress, **extra):
    config = tmp_path / "gate.toml"
    config.write_text(OIDC)
    opts = StackOptions(
        stack_name="v-site",
        config_path=str(config),
        site_dir=site_dir,
        zip_out=str(tmp_path / "edge.zip"),
        poll_seconds=0,
        **extra,
    )
    clients = Clients(cloudformation=model, cloudfront=model)
    return deploy_stack(opts, clients, progress, builder=builder, sleep=lambda s: None)


def test_changed_code_publishes_a_new_version_and_moves_the_association(moto_aws, tmp_path, site_dir, quiet_progress):
    model, builder = EdgeStackModel(), ContentBuilder()
    first = _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    # create: bootstrap version 1, then the built gate as version 2
    assert [arn.rsplit(":", 1)[1] for arn in model.published] == ["1", "2"]
    assert first["FunctionVersionArn"] == model.association == model.published[-1]
    lam = boto3.client("lambda", region_name="us-east-1")
    built = (tmp_path / "edge.zip").read_bytes()
    assert lam.get_function(FunctionName=model.association)["Configuration"]["CodeSha256"] == sha256_b64(built)

    builder.extra = "# new gate code\n"
    second = _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    assert second["FunctionVersionArn"].endswith(":3")
    assert model.association == second["FunctionVersionArn"]
    rebuilt = (tmp_path / "edge.zip").read_bytes()
    assert rebuilt != built
    assert lam.get_function(FunctionName=model.association)["Configuration"]["CodeSha256"] == sha256_b64(rebuilt)
    # the previous version still exists, unchanged (retained; replicas may still run it)
    assert lam.get_function(FunctionName=first["FunctionVersionArn"])["Configuration"]["CodeSha256"] == sha256_b64(
        built
    )
    assert quiet_progress.err.getvalue() == ""  # verify_association found the new version everywhere


def test_same_inputs_from_a_fresh_checkout_publish_nothing(moto_aws, tmp_path, site_dir, quiet_progress):
    """Item 12: the state secret comes back from SSM, so a second run (as from a fresh CI checkout,
    no build/state-secret) builds the identical zip: no new version, no distribution deployment."""
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    first = (tmp_path / "edge.zip").read_bytes()
    (tmp_path / "edge.zip").unlink()
    again = _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    assert (tmp_path / "edge.zip").read_bytes() == first
    assert len(model.published) == 2 and again["FunctionVersionArn"].endswith(":2")
    assert "function code unchanged" in quiet_progress.out.getvalue()


def test_rotating_the_state_secret_changes_the_zip(moto_aws, tmp_path, site_dir, quiet_progress):
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    config = tmp_path / "gate.toml"
    opts = StackOptions(
        stack_name="v-site",
        config_path=str(config),
        site_dir=site_dir,
        zip_out=str(tmp_path / "edge.zip"),
        poll_seconds=0,
        rotate_state_secret=True,
    )
    out = deploy_stack(
        opts, Clients(cloudformation=model, cloudfront=model), quiet_progress, builder=builder, sleep=lambda s: None
    )
    assert out["FunctionVersionArn"].endswith(":3")
    assert "rotated the state secret" in quiet_progress.out.getvalue()


def test_adding_an_alias_never_leaves_the_running_gate_without_its_callback_url(
    moto_aws, tmp_path, site_dir, quiet_progress
):
    """Item 7: the app client switches to the new URL in phase 1, the gate built for it reaches the
    edge only in phase 2. At every moment the model records, whatever code the distribution runs
    has its callback URL registered; afterwards only the new URL is."""
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    _deploy(
        model,
        tmp_path,
        site_dir,
        builder,
        quiet_progress,
        aliases=["www.example.com"],
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    )
    lam = boto3.client("lambda", region_name="us-east-1")
    checked = 0
    for association, callbacks in model.history:
        site = builder.site_by_sha.get(lam.get_function(FunctionName=association)["Configuration"]["CodeSha256"])
        if site:  # None: the bootstrap gate, which lets nobody in
            assert f"{site}/_gate/callback" in callbacks, (association, callbacks)
            checked += 1
    assert checked >= 4
    assert model.callbacks == ("https://www.example.com/_gate/callback",)
    assert "moves from https://d111111abcdef8.cloudfront.net" in quiet_progress.out.getvalue()
    stack = model.stacks["v-site"]
    assert {p["ParameterKey"]: p["ParameterValue"] for p in stack["Parameters"]}["PreviousSiteUrl"] == ""


# --------------------------------------------------------------------------- documented permissions

# API operation -> the IAM action docs/deploy.md must name (Service Authorization Reference:
# HeadBucket and ListObjectsV2 are authorised by s3:ListBucket, HeadObject by s3:GetObject, ...)
IAM_ACTION = {
    "HeadBucket": "ListBucket",
    "ListObjectsV2": "ListBucket",
    "HeadObject": "GetObject",
    "PutBucketEncryption": "PutEncryptionConfiguration",
    "PutPublicAccessBlock": "PutBucketPublicAccessBlock",
    "PutBucketLifecycleConfiguration": "PutLifecycleConfiguration",
    "DeleteObjects": "DeleteObject",
    "CopyObject": "PutObject",
    "GetBucketLifecycleConfiguration": "GetLifecycleConfiguration",
    "GetPublicAccessBlock": "GetBucketPublicAccessBlock",
}


def test_every_call_a_deploy_makes_is_in_the_documented_permissions(
    moto_aws, tmp_path, site_dir, quiet_progress, monkeypatch
):
    """Item 10: record every AWS operation a create + update + alias change makes, and find each
    IAM action in docs/deploy.md's Prerequisites."""
    from pathlib import Path

    from botocore.client import BaseClient

    seen: set[tuple[str, str]] = set()
    original = BaseClient._make_api_call

    def recording(self, operation, params):
        seen.add((self.meta.service_model.service_name, operation))
        return original(self, operation, params)

    monkeypatch.setattr(BaseClient, "_make_api_call", recording)
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    builder.extra = "# changed\n"
    _deploy(
        model,
        tmp_path,
        site_dir,
        builder,
        quiet_progress,
        aliases=["www.example.com"],
        certificate_arn="arn:aws:acm:us-east-1:123456789012:certificate/abc-123",
    )
    # what the model answers in CloudFormation's and CloudFront's place, and what CloudFormation
    # itself does with the deployer's permissions
    model_calls = {
        ("cloudformation", op) for op in ("CreateStack", "UpdateStack", "DescribeStacks", "DescribeStackEvents")
    }
    model_calls |= {("cloudfront", "GetDistributionConfig"), ("cloudfront", "CreateInvalidation")}
    model_calls |= {("lambda", op) for op in ("CreateFunction", "UpdateFunctionCode", "PublishVersion")}
    model_calls |= {("iam", "CreateRole"), ("iam", "PutRolePolicy"), ("s3", "CreateBucket")}
    deploy_calls = seen
    docs = (Path(__file__).resolve().parents[2] / "docs" / "deploy.md").read_text()
    permissions = docs[docs.index("- **Permissions** for the identity") : docs.index("- Nothing to install by hand")]
    missing = sorted(
        {
            f"{service}:{IAM_ACTION.get(op, op)}"
            for service, op in deploy_calls | model_calls
            if f"`{IAM_ACTION.get(op, op)}`" not in permissions
        }
    )
    assert missing == []
    assert (
        ("s3", "PutBucketPolicy") in seen and ("ssm", "PutParameter") in seen and ("logs", "PutRetentionPolicy") in seen
    )
    for action in ("DisableReplication*", "EnableReplication*", "TagResource", "PassRole"):
        assert f"`{action}`" in permissions
    # and the attachable policy grants every one of them
    from fnmatch import fnmatchcase

    from gatebuild.deploy.preflight import COGNITO_ACTIONS, CRITICAL_ACTIONS, policy_actions

    granted = policy_actions()
    needed = {f"{service}:{IAM_ACTION.get(op, op)}" for service, op in deploy_calls | model_calls}
    needed |= set(CRITICAL_ACTIONS) | set(COGNITO_ACTIONS) | {"iam:CreateServiceLinkedRole"}
    needed |= {"lambda:EnableReplication", "lambda:DisableReplication", "cognito-idp:DescribeUserPoolDomain"}
    ungranted = sorted(a for a in needed if not any(fnmatchcase(a, g) for g in granted))
    assert ungranted == [], "docs/deploy-policy.json lacks these"
    assert "deploy-policy.json" in permissions


def test_the_documented_hand_deploy_satisfies_the_templates_rules():
    """Item 8: docs/deploy.md's `aws cloudformation deploy` must pass the template's own Rules."""
    import re
    from pathlib import Path

    from gatebuild.lambda_edge_rules import load_template

    root = Path(__file__).resolve().parents[2]
    docs = (root / "docs" / "deploy.md").read_text()
    command = docs[docs.index("aws cloudformation deploy") :]
    command = command[: command.index("```")].replace("\\\n", " ")
    given = dict(re.findall(r"(\w+)=(\S+)", command.split("--parameter-overrides", 1)[1]))
    template = load_template(str(root / "cloudformation.yaml"))
    values = {k: str(v.get("Default", "")) for k, v in template["Parameters"].items()}
    values.update(given)
    assert set(given) <= set(template["Parameters"])
    # CognitoNeedsDomainPrefix: CreateCognito "true" needs a prefix
    rule = template["Rules"]["CognitoNeedsDomainPrefix"]
    assert rule["RuleCondition"] == {"Fn::Equals": [{"Ref": "CreateCognito"}, "true"]}
    if values["CreateCognito"] == "true":
        assert values["CognitoDomainPrefix"] not in ("", "...")
