"""The deploy command against moto's own CloudFormation, with the part of the template moto can
model (bucket, role, function, version): real create_stack/update_stack/describe_stack_events calls,
the bootstrap code first, then the built code."""

from __future__ import annotations

import boto3
import pytest

from gatebuild.deploy.clients import Clients
from gatebuild.deploy.gatezip import sha256_b64
from gatebuild.deploy.stack import StackOptions, deploy_stack

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"


def test_deploy_against_moto_cloudformation(moto_aws, moto_template, tmp_path, site_dir, fake_builder, quiet_progress):
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        'authorization_endpoint = "https://login.example.com/a"\n'
        'token_endpoint = "https://login.example.com/t"\njwks_uri = "https://login.example.com/j"\n'
    )
    opts = StackOptions(
        stack_name="moto-site",
        config_path=str(config),
        site_dir=site_dir,
        csp_file=None,
        zip_out=str(tmp_path / "edge.zip"),
        invalidate=False,
        template_path=moto_template,
        poll_seconds=0,
    )
    outputs = deploy_stack(opts, Clients(), quiet_progress, builder=fake_builder, sleep=lambda s: None)

    cfn = boto3.client("cloudformation", region_name="us-east-1")
    described = cfn.describe_stacks(StackName="moto-site")["Stacks"][0]
    assert described["StackStatus"] == "UPDATE_COMPLETE"
    parameters = {p["ParameterKey"]: p["ParameterValue"] for p in described["Parameters"]}
    built = (tmp_path / "edge.zip").read_bytes()
    assert parameters["CodeSha256"] == sha256_b64(built)
    assert parameters["CodeKey"].startswith("signin-gate/moto-site/gate-")
    assert parameters["CreateCognito"] == "false"

    function = boto3.client("lambda", region_name="us-east-1").get_function(FunctionName=outputs["FunctionName"])
    assert function["Configuration"]["CodeSha256"] == sha256_b64(built)  # phase 2 replaced the bootstrap
    assert function["Configuration"]["MemorySize"] == 128

    s3 = boto3.client("s3", region_name="us-east-1")
    head = s3.head_object(Bucket=outputs["BucketName"], Key="assets/index-Ab12Cd34.js")
    assert head["CacheControl"] == "private, max-age=31536000, immutable"
    out = quiet_progress.out.getvalue()
    assert "CREATE_COMPLETE" in out and "UPDATE_COMPLETE" in out
    assert "register with your identity provider" in out

    # a second run updates in place and builds again
    deploy_stack(opts, Clients(), quiet_progress, builder=fake_builder, sleep=lambda s: None)
    assert len(fake_builder.calls) == 2
