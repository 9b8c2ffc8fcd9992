"""`deploy.py status`: moto for Lambda, IAM and Cognito; CloudFront and CloudFormation stubbed
(moto's CloudFront drops LambdaFunctionAssociations). The stubbed GetDistributionConfig answers
are cloudformation.yaml's distribution (local/distribution.py, the same reader the emulator
uses), in the shape of the CloudFront API reference (lists as {Quantity, Items}), with one
mistake at a time."""

from __future__ import annotations

import io
import json

import boto3
import pytest
from botocore.stub import Stubber

from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.errors import DeployError
from gatebuild.deploy.progress import Progress
from gatebuild.deploy.publish import TRUST_POLICY
from gatebuild.deploy.status import status

pytestmark = [pytest.mark.slow]  # markers: docs/contributing.md "Tests"

DIST = "E2STATUS000001"
SITE = "https://www.example.com"
ZIP = b"PK\x05\x06" + b"\0" * 18


CERT = "arn:aws:acm:us-east-1:123456789012:certificate/abc"


def _config(arn, *, assets_arn="same", errors=(), protocol="redirect-to-https", include_body=False):
    """GetDistributionConfig's answer for cloudformation.yaml's distribution, as `deploy.py stack
    --alias www.example.com` creates it (local/distribution.py evaluates the template with the
    deploy's own parameter builder), with GateVersion's ARN; then one mistake at a time."""
    from local import distribution as cf

    given = cf.local_parameters(csp="default-src 'self'", aliases=["www.example.com"], certificate_arn=CERT)
    config = cf.api_distribution_config(cf.load(), given, {"GateVersion": arn})
    config["CallerReference"] = "c"
    default = config["DefaultCacheBehavior"]
    default["ViewerProtocolPolicy"] = protocol
    default["LambdaFunctionAssociations"]["Items"][0]["IncludeBody"] = include_body
    (assets,) = [b for b in config["CacheBehaviors"]["Items"] if b["PathPattern"] == "/assets/*"]
    if assets_arn is None:
        del assets["LambdaFunctionAssociations"]
    elif assets_arn != "same":
        assets["LambdaFunctionAssociations"]["Items"][0]["LambdaFunctionARN"] = assets_arn
    if errors:
        config["CustomErrorResponses"] = {"Quantity": len(errors), "Items": list(errors)}
    return {"ETag": "E1", "DistributionConfig": config}


@pytest.fixture
def edge(moto_aws):
    """A correct function + version in moto, a Cognito client allowing the site's URLs."""
    iam = boto3.client("iam", region_name="us-east-1")
    role = iam.create_role(RoleName="gate-role", AssumeRolePolicyDocument=json.dumps(TRUST_POLICY))["Role"]["Arn"]
    lam = boto3.client("lambda", region_name="us-east-1")
    lam.create_function(
        FunctionName="gate",
        Runtime="python3.13",
        Handler="edge.handler.handler",
        Role=role,
        Code={"ZipFile": ZIP},
        MemorySize=128,
        Timeout=5,
    )
    arn = lam.publish_version(FunctionName="gate")["FunctionArn"]
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = cognito.create_user_pool(PoolName="p")["UserPool"]["Id"]
    client = cognito.create_user_pool_client(
        UserPoolId=pool,
        ClientName="gate",
        GenerateSecret=True,
        CallbackURLs=[f"{SITE}/_gate/callback"],
        LogoutURLs=[f"{SITE}/_gate/signed-out"],
    )["UserPoolClient"]["ClientId"]
    cloudfront = boto3.client("cloudfront", region_name="us-east-1")
    stub = Stubber(cloudfront)
    stub.activate()
    yield {"arn": arn, "role": role, "pool": pool, "client": client, "cf": cloudfront, "stub": stub, "lam": lam}
    stub.deactivate()


def _run(edge, config, **kwargs):
    edge["stub"].add_response("get_distribution_config", config, {"Id": DIST})
    out, err = io.StringIO(), io.StringIO()
    report = status(Clients(cloudfront=edge["cf"]), Progress(out, err), distribution_id=DIST, **kwargs)
    edge["stub"].assert_no_pending_responses()
    return report, out.getvalue()


def test_a_correct_deployment_has_no_problems(edge):
    report, out = _run(edge, _config(edge["arn"]), pool_id=edge["pool"], client_id=edge["client"])
    assert report.problems == [], report.problems
    assert "behavior /assets/*: viewer request runs" in out
    assert "trusts lambda.amazonaws.com and edgelambda.amazonaws.com" in out
    assert f"allows {SITE}/_gate/callback" in out  # site URL from the distribution's alias


@pytest.mark.parametrize(
    "mutate,words",
    [
        (lambda e: _config(e["arn"].rsplit(":", 1)[0] + ":$LATEST"), ["not a numbered version"]),
        (lambda e: _config(e["arn"], assets_arn=None), ["/assets/*", "without the gate"]),
        (
            lambda e: _config(
                e["arn"],
                errors=[
                    {
                        "ErrorCode": 403,
                        "ResponsePagePath": "/index.html",
                        "ResponseCode": "200",
                        "ErrorCachingMinTTL": 10,
                    }
                ],
            ),
            ["403", "/index.html", "hides the gate's own 403 page"],
        ),
        (lambda e: _config(e["arn"], protocol="allow-all"), ["plain HTTP"]),
        (lambda e: _config(e["arn"], include_body=True), ["Include body"]),
    ],
)
def test_each_distribution_mistake_is_named(edge, mutate, words):
    report, _ = _run(edge, mutate(edge))
    assert report.problems, "the mistake went unnoticed"
    assert len({p.split(":", 1)[1] for p in report.problems}) == 1, report.problems  # one kind of problem
    for word in words:
        assert word in report.problems[0]


def test_a_distribution_without_the_gate_behavior_cannot_take_the_refresh_post(edge):
    """Issue 20: an existing distribution associated by hand keeps its default behavior's
    GET/HEAD/OPTIONS; the refresh POST falls into it and CloudFront refuses it."""
    config = _config(edge["arn"])
    items = config["DistributionConfig"]["CacheBehaviors"]["Items"]
    config["DistributionConfig"]["CacheBehaviors"] = {
        "Quantity": len(items) - 1,
        "Items": [b for b in items if b["PathPattern"] != "/_gate/*"],
    }
    report, _ = _run(edge, config)
    assert len(report.problems) == 1, report.problems
    assert "default (*)" in report.problems[0] and "/_gate/refresh" in report.problems[0]
    assert "POST" in report.problems[0]
    _, out = _run(edge, _config(edge["arn"]))
    assert "behavior /_gate/*: /_gate/refresh may be POSTed" in out


def test_a_404_mapping_is_named_too(edge):
    """The gate serves client-side routes itself ([site] spa): a 404 -> /index.html mapping only
    turns the API's 404s and missing assets into the app's HTML (issue 20)."""
    report, _ = _run(
        edge,
        _config(edge["arn"], errors=[{"ErrorCode": 404, "ResponsePagePath": "/index.html", "ResponseCode": "200"}]),
    )
    assert len(report.problems) == 1
    for word in ("404", "/index.html", "API's 404s", "missing assets", "[site] spa"):
        assert word in report.problems[0]


def test_a_403_mapping_is_called_a_bypass(edge):
    errors = [{"ErrorCode": 403, "ResponsePagePath": "/index.html", "ResponseCode": "200"}]
    report, _ = _run(edge, _config(edge["arn"], errors=errors))
    assert "bypass" in report.problems[0] and "method the behavior does not allow" in report.problems[0]
    assert "signed cookie" in report.problems[0] and "as 200" in report.problems[0]


def test_role_without_edgelambda_and_function_settings(edge):
    iam = boto3.client("iam", region_name="us-east-1")
    lambda_only = {
        "Version": "2012-10-17",
        "Statement": [
            {"Effect": "Allow", "Principal": {"Service": "lambda.amazonaws.com"}, "Action": "sts:AssumeRole"}
        ],
    }
    iam.update_assume_role_policy(RoleName="gate-role", PolicyDocument=json.dumps(lambda_only))
    lam = edge["lam"]
    lam.create_function(
        FunctionName="big",
        Runtime="python3.12",
        Handler="edge.handler.handler",
        Role=edge["role"],
        Code={"ZipFile": ZIP},
        MemorySize=512,
        Timeout=30,
        Environment={"Variables": {"A": "b"}},
    )
    arn = lam.publish_version(FunctionName="big")["FunctionArn"]
    report, _ = _run(edge, _config(arn))
    text = "\n".join(report.problems)
    assert "does not trust edgelambda.amazonaws.com" in text
    assert "512 MB / 30 s" in text and "environment variables" in text


def test_missing_function_and_unregistered_urls(edge):
    missing = edge["arn"].rsplit(":", 2)[0] + ":nope:4"
    report, _ = _run(
        edge, _config(missing), pool_id=edge["pool"], client_id=edge["client"], site_url="https://other.example.com"
    )
    text = "\n".join(report.problems)
    assert "cannot be read (ResourceNotFoundException)" in text
    assert "https://other.example.com/_gate/callback is not allowed" in text and "redirect_mismatch" in text
    assert "https://other.example.com/_gate/signed-out is not allowed" in text


def test_cli_status_for_a_stack_exits_1_on_a_problem(edge):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with Stubber(cfn) as cfn_stub:
        cfn_stub.add_response(
            "describe_stacks",
            {
                "Stacks": [
                    {
                        "StackName": "s",
                        "StackStatus": "UPDATE_COMPLETE",
                        "CreationTime": "2026-01-01T00:00:00Z",
                        "Outputs": [
                            {"OutputKey": "DistributionId", "OutputValue": DIST},
                            {"OutputKey": "SiteUrl", "OutputValue": SITE},
                            {"OutputKey": "UserPoolId", "OutputValue": edge["pool"]},
                            {"OutputKey": "UserPoolClientId", "OutputValue": edge["client"]},
                        ],
                    }
                ]
            },
            {"StackName": "s"},
        )
        edge["stub"].add_response("get_distribution_config", _config(edge["arn"], assets_arn=None), {"Id": DIST})
        out, err = io.StringIO(), io.StringIO()
        code = main(
            ["status", "--stack-name", "s"],
            clients=Clients(cloudformation=cfn, cloudfront=edge["cf"]),
            stdout=out,
            stderr=err,
        )
    assert code == 1
    assert "problem: behavior /assets/*" in out.getvalue()
    assert f"ok: Cognito app client {edge['client']}: allows {SITE}/_gate/callback" in out.getvalue()


def test_status_of_a_missing_stack(edge):
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    with pytest.raises(DeployError, match="does not exist"):
        status(
            Clients(cloudformation=cfn, cloudfront=edge["cf"]),
            Progress(io.StringIO(), io.StringIO()),
            stack_name="nope",
        )
