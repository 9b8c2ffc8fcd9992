"""Issue 20 item 5: a first deploy that cannot strand the user, and never damages what the user has.

moto (5.2.1) models S3 bucket policies, lifecycle configurations and Cognito domains faithfully
enough here; it has no IAM policy simulator (no SimulatePrincipalPolicy in moto/iam) and its
Lambda `Code.Location` is a URL nobody serves, so those answers come from botocore's Stubber,
shaped after the IAM and Lambda API references."""

from __future__ import annotations

import http.server
import io
import json
import threading

import boto3
import pytest
from botocore.stub import ANY, Stubber
from edge_stack_model import EdgeStackModel  # tests/deploy has no __init__: its dir is on sys.path
from test_deploy_versions import ContentBuilder, _deploy

from gatebuild.deploy import upload
from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.errors import DeployError, explain, hint_for
from gatebuild.deploy.gatezip import sha256_b64
from gatebuild.deploy.preflight import check_domain_prefix, check_permissions, principal_arn
from gatebuild.deploy.stack import StackOptions, _failure_line, check_api_origin, check_updatable, deploy_stack
from gatebuild.deploy.upload import (
    ARTIFACT_PREFIX,
    LIFECYCLE_ID,
    POLICY_SID,
    ensure_artifact_bucket,
    merged_lifecycle,
    restore_artifact,
)

ACCOUNT = "123456789012"
BUCKET = "owners-bucket"

# ---------------------------------------------------------------------------- the user's own bucket

OWNER_DENY = {
    "Sid": "OwnersOwnDeny",
    "Effect": "Deny",
    "Principal": "*",
    "Action": "s3:DeleteObject",
    "Resource": f"arn:aws:s3:::{BUCKET}/backups/*",
    "Condition": {"StringNotEquals": {"aws:PrincipalAccount": ACCOUNT}},
}
OWNER_RULE = {
    "ID": "owners-logs-after-a-year",
    "Status": "Enabled",
    "Filter": {"Prefix": "logs/"},
    "Expiration": {"Days": 365},
}
BLOCK_ALL = {
    "BlockPublicAcls": True,
    "IgnorePublicAcls": True,
    "BlockPublicPolicy": True,
    "RestrictPublicBuckets": True,
}


def _owners_bucket(s3, *, block=BLOCK_ALL, rules=(OWNER_RULE,), kms=True):
    s3.create_bucket(Bucket=BUCKET)
    if block is not None:
        s3.put_public_access_block(Bucket=BUCKET, PublicAccessBlockConfiguration=block)
    s3.put_bucket_policy(Bucket=BUCKET, Policy=json.dumps({"Version": "2012-10-17", "Statement": [OWNER_DENY]}))
    if rules:
        s3.put_bucket_lifecycle_configuration(Bucket=BUCKET, LifecycleConfiguration={"Rules": list(rules)})
    if kms:
        s3.put_bucket_encryption(
            Bucket=BUCKET,
            ServerSideEncryptionConfiguration={
                "Rules": [{"ApplyServerSideEncryptionByDefault": {"SSEAlgorithm": "aws:kms", "KMSMasterKeyID": "k"}}]
            },
        )
    s3.put_object(Bucket=BUCKET, Key="backups/2026-12-01.tar", Body=b"precious")
    s3.put_object(Bucket=BUCKET, Key="logs/a.log", Body=b"log")


def _applies(rule, key):
    prefix = rule.get("Prefix", (rule.get("Filter") or {}).get("Prefix", ""))
    return rule.get("Status") == "Enabled" and key.startswith(prefix or "")


def test_deploy_into_the_owners_bucket_keeps_their_policy_rules_and_objects(
    moto_aws, tmp_path, site_dir, quiet_progress
):
    """The reproduction from the issue, through the whole deploy: before, the owner's Deny
    statement and rule were replaced and `backups/` would have expired after 90 days."""
    s3 = boto3.client("s3", region_name="us-east-1")
    _owners_bucket(s3)
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress, artifact_bucket=BUCKET)
    _deploy(model, tmp_path, site_dir, builder, quiet_progress, artifact_bucket=BUCKET)  # and again

    policy = json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])
    assert OWNER_DENY in policy["Statement"]
    ours = [s for s in policy["Statement"] if s.get("Sid") == POLICY_SID]
    assert len(ours) == 1 and ours[0]["Effect"] == "Deny" and len(policy["Statement"]) == 2

    rules = s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]
    assert [r for r in rules if r["ID"] == OWNER_RULE["ID"]] == [OWNER_RULE]
    (mine,) = [r for r in rules if r["ID"] == LIFECYCLE_ID]
    assert mine["Filter"] == {"Prefix": ARTIFACT_PREFIX}
    # what each rule would expire: nothing of the owner's is touched by ours
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert "backups/2026-12-01.tar" in keys and "logs/a.log" in keys
    assert not _applies(mine, "backups/2026-12-01.tar") and not _applies(mine, "logs/a.log")
    zips = [k for k in keys if k.endswith(".zip")]
    assert zips and all(k.startswith(f"{ARTIFACT_PREFIX}v-site/") and _applies(mine, k) for k in zips)
    # the owner's encryption (their KMS key) and public access block are as they were
    encryption = s3.get_bucket_encryption(Bucket=BUCKET)["ServerSideEncryptionConfiguration"]["Rules"][0]
    assert encryption["ApplyServerSideEncryptionByDefault"]["SSEAlgorithm"] == "aws:kms"
    assert s3.get_object(Bucket=BUCKET, Key="backups/2026-12-01.tar")["Body"].read() == b"precious"


def test_a_second_run_changes_nothing(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    _owners_bucket(s3)
    ensure_artifact_bucket(s3, BUCKET, "us-east-1", ACCOUNT, quiet_progress)
    stub = Stubber(s3)  # only reads may follow: any put would find no stubbed answer
    owner = {"Bucket": BUCKET, "ExpectedBucketOwner": ACCOUNT}
    stub.add_response("head_bucket", {}, owner)
    stub.add_response("get_bucket_location", {}, owner)  # us-east-1: no LocationConstraint
    for op in ("get_public_access_block", "get_bucket_policy"):
        stub.add_response(op, _real(s3, op), owner)
    stub.add_response("get_bucket_lifecycle_configuration", _real(s3, "get_bucket_lifecycle_configuration"), owner)
    with stub:
        ensure_artifact_bucket(s3, BUCKET, "us-east-1", ACCOUNT, quiet_progress)
    stub.assert_no_pending_responses()


def _real(s3, op):
    reply = getattr(s3, op)(Bucket=BUCKET)
    reply.pop("ResponseMetadata", None)
    return reply


@pytest.mark.parametrize(
    "rule,words",
    [
        ({"ID": "all-30", "Status": "Enabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 30}}, "after 30 days"),
        (
            {
                "ID": "archive",
                "Status": "Enabled",
                "Filter": {"Prefix": "signin"},
                "Transitions": [{"Days": 10, "StorageClass": "GLACIER"}],
            },
            "moves objects to GLACIER",
        ),
    ],
)
def test_a_rule_that_would_delete_or_archive_our_zips_is_refused_and_nothing_changes(
    moto_aws, quiet_progress, rule, words
):
    s3 = boto3.client("s3", region_name="us-east-1")
    _owners_bucket(s3, rules=(rule,))
    before = (s3.get_bucket_policy(Bucket=BUCKET)["Policy"], s3.get_bucket_lifecycle_configuration(Bucket=BUCKET))
    with pytest.raises(DeployError, match=rf"{rule['ID']}.*{words}.*{ARTIFACT_PREFIX}.*nothing was changed"):
        ensure_artifact_bucket(s3, BUCKET, "us-east-1", ACCOUNT, quiet_progress)
    after = (s3.get_bucket_policy(Bucket=BUCKET)["Policy"], s3.get_bucket_lifecycle_configuration(Bucket=BUCKET))
    assert after[0] == before[0] and after[1]["Rules"] == before[1]["Rules"]


def test_rules_that_never_touch_our_prefix_are_fine(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    short = {"ID": "tmp", "Status": "Enabled", "Filter": {"Prefix": "tmp/"}, "Expiration": {"Days": 1}}
    tagged = {
        "ID": "tagged",
        "Status": "Enabled",
        "Filter": {"Tag": {"Key": "scratch", "Value": "yes"}},
        "Expiration": {"Days": 1},
    }
    off = {"ID": "off", "Status": "Disabled", "Filter": {"Prefix": ""}, "Expiration": {"Days": 1}}
    _owners_bucket(s3, rules=(short, tagged, off))
    ensure_artifact_bucket(s3, BUCKET, "us-east-1", ACCOUNT, quiet_progress)
    ids = [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=BUCKET)["Rules"]]
    assert ids == ["tmp", "tagged", "off", LIFECYCLE_ID]


def test_a_public_bucket_is_refused_and_left_alone(moto_aws, quiet_progress):
    s3 = boto3.client("s3", region_name="us-east-1")
    _owners_bucket(s3, block={**BLOCK_ALL, "BlockPublicPolicy": False, "RestrictPublicBuckets": False})
    with pytest.raises(DeployError, match=r"does not block public access.*neither uploads there nor changes"):
        ensure_artifact_bucket(s3, BUCKET, "us-east-1", ACCOUNT, quiet_progress)
    assert s3.get_public_access_block(Bucket=BUCKET)["PublicAccessBlockConfiguration"]["BlockPublicPolicy"] is False
    assert json.loads(s3.get_bucket_policy(Bucket=BUCKET)["Policy"])["Statement"] == [OWNER_DENY]


def test_old_form_rules_get_ours_in_the_same_form():
    """S3 refuses a configuration mixing top-level Prefix rules with Filter rules (S3 API reference,
    LifecycleRule: Prefix is deprecated, and a configuration uses one form)."""
    legacy = {"ID": "old", "Status": "Enabled", "Prefix": "tmp/", "Expiration": {"Days": 3}}
    rules, _ = merged_lifecycle({"Rules": [legacy]}, BUCKET)
    assert rules == [legacy, {**rules[1], "Prefix": ARTIFACT_PREFIX}] and "Filter" not in rules[1]


def test_earlier_versions_whole_bucket_rule_and_statement_are_replaced(moto_aws, quiet_progress):
    """The default bucket made by an earlier deploy.py: its Prefix "" rule and DenyPlainHttp
    statement were ours; they give way to the scoped ones instead of staying beside them."""
    s3 = boto3.client("s3", region_name="us-east-1")
    name = f"gate-artifacts-{ACCOUNT}-us-east-1"
    s3.create_bucket(Bucket=name)
    s3.put_public_access_block(Bucket=name, PublicAccessBlockConfiguration=BLOCK_ALL)
    old_statement = {**upload.tls_statement(name), "Sid": "DenyPlainHttp"}
    s3.put_bucket_policy(Bucket=name, Policy=json.dumps({"Version": "2012-10-17", "Statement": [old_statement]}))
    old_rule = {
        "ID": "old-gate-zips",
        "Status": "Enabled",
        "Filter": {"Prefix": ""},
        "Expiration": {"Days": 90},
        "AbortIncompleteMultipartUpload": {"DaysAfterInitiation": 1},
    }
    s3.put_bucket_lifecycle_configuration(Bucket=name, LifecycleConfiguration={"Rules": [old_rule]})
    ensure_artifact_bucket(s3, name, "us-east-1", ACCOUNT, quiet_progress)
    assert [s["Sid"] for s in json.loads(s3.get_bucket_policy(Bucket=name)["Policy"])["Statement"]] == [POLICY_SID]
    assert [r["ID"] for r in s3.get_bucket_lifecycle_configuration(Bucket=name)["Rules"]] == [LIFECYCLE_ID]


# ---------------------------------------------------------------------------- expired artifact


def test_an_expired_zip_is_restored_from_the_function_before_the_update(
    moto_aws, tmp_path, site_dir, quiet_progress, monkeypatch
):
    """Before: refresh_artifact's False was ignored, phase 2 went ahead, and a failed update would
    have rolled back to a zip the lifecycle rule had deleted (UPDATE_ROLLBACK_FAILED on
    GateFunction). moto's Code.Location is not served, so the download answers with the code
    moto's Lambda holds for that URL."""
    model, builder = EdgeStackModel(), ContentBuilder()
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    params = {p["ParameterKey"]: p["ParameterValue"] for p in model.stacks["v-site"]["Parameters"]}
    s3 = boto3.client("s3", region_name="us-east-1")
    running = s3.get_object(Bucket=params["CodeBucket"], Key=params["CodeKey"])["Body"].read()
    s3.delete_object(Bucket=params["CodeBucket"], Key=params["CodeKey"])  # what the lifecycle rule does
    asked = []

    def download(url, timeout=60.0):
        asked.append(url)
        assert url.startswith("https://awslambda-us-east-1-tasks.s3.")  # moto's Code.Location
        return running

    monkeypatch.setattr(upload, "_download", download)
    monkeypatch.setattr(upload.restore_artifact, "__defaults__", (download,))
    builder.extra = "# new code\n"
    _deploy(model, tmp_path, site_dir, builder, quiet_progress)
    assert asked
    assert s3.get_object(Bucket=params["CodeBucket"], Key=params["CodeKey"])["Body"].read() == running
    assert "had expired; restored it" in quiet_progress.err.getvalue()


class _ZipServer(http.server.BaseHTTPRequestHandler):
    body = b""

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", str(len(self.body)))
        self.end_headers()
        self.wfile.write(self.body)

    def log_message(self, *args):
        pass


@pytest.fixture
def zip_server():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _ZipServer)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def _lambda_with(location, sha):
    lam = boto3.client("lambda", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(lam)
    stub.add_response(
        "get_function",
        {"Configuration": {"FunctionName": "f", "CodeSha256": sha}, "Code": {"Location": location}},
        {"FunctionName": "f"},
    )
    return lam, stub


def test_restore_downloads_over_http_and_checks_the_hash(moto_aws, zip_server, quiet_progress):
    """GetFunction's Code.Location is a presigned URL of the deployment package (Lambda API
    reference); here a real HTTP server on 127.0.0.1 serves it."""
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket="art-bucket")
    _ZipServer.body = b"PK the running zip"
    url = f"http://127.0.0.1:{zip_server.server_address[1]}/code.zip"
    lam, stub = _lambda_with(url, sha256_b64(_ZipServer.body))
    with stub:
        restore_artifact(
            lam, s3, "art-bucket", "signin-gate/s/gate-1.zip", sha256_b64(_ZipServer.body), "f", ACCOUNT, quiet_progress
        )
    assert s3.get_object(Bucket="art-bucket", Key="signin-gate/s/gate-1.zip")["Body"].read() == _ZipServer.body
    # other code than the stack records: refused, nothing uploaded
    lam, stub = _lambda_with(url, sha256_b64(b"something else"))
    with stub, pytest.raises(DeployError, match="runs other code"):
        restore_artifact(
            lam, s3, "art-bucket", "signin-gate/s/gate-2.zip", sha256_b64(_ZipServer.body), "f", ACCOUNT, quiet_progress
        )
    # a download that is not what Lambda reported: refused
    lam, stub = _lambda_with(url, sha256_b64(b"x"))
    with stub, pytest.raises(DeployError, match="does not have the stack's CodeSha256"):
        restore_artifact(
            lam, s3, "art-bucket", "signin-gate/s/gate-3.zip", sha256_b64(b"x"), "f", ACCOUNT, quiet_progress
        )
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="art-bucket")["Contents"]]
    assert keys == ["signin-gate/s/gate-1.zip"]


# ---------------------------------------------------------------------------- Cognito domain prefix


def test_a_taken_prefix_is_refused_before_anything_is_created(moto_aws):
    """DescribeUserPoolDomain: an empty DomainDescription for a free prefix (moto models AWS here)."""
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    check_domain_prefix(cognito, "free-prefix", ACCOUNT)
    pool = cognito.create_user_pool(PoolName="left-behind")["UserPool"]["Id"]
    cognito.create_user_pool_domain(Domain="used-prefix", UserPoolId=pool)
    with pytest.raises(DeployError, match=r"taken|already belongs"):
        check_domain_prefix(cognito, "used-prefix", ACCOUNT)


def test_a_prefix_of_our_own_pool_or_another_account(aws_env):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    stub = Stubber(cognito)
    for account in (ACCOUNT, "999999999999"):
        stub.add_response(
            "describe_user_pool_domain",
            {
                "DomainDescription": {
                    "UserPoolId": "us-east-1_Old",
                    "AWSAccountId": account,
                    "Domain": "p",
                    "Status": "ACTIVE",
                }
            },
            {"Domain": "p"},
        )
    with stub:
        with pytest.raises(
            DeployError, match=r"already belongs to your user pool us-east-1_Old.*delete-user-pool-domain"
        ):
            check_domain_prefix(cognito, "p", ACCOUNT)
        with pytest.raises(DeployError, match=r"is taken.*choose another prefix"):
            check_domain_prefix(cognito, "p", ACCOUNT)


def test_the_first_deploy_stops_on_a_taken_prefix_before_any_write(moto_aws, tmp_path, site_dir, quiet_progress):
    cognito = boto3.client("cognito-idp", region_name="us-east-1")
    pool = cognito.create_user_pool(PoolName="x")["UserPool"]["Id"]
    cognito.create_user_pool_domain(Domain="my-login", UserPoolId=pool)
    model = EdgeStackModel()
    opts = StackOptions("v-site", site_dir=site_dir, zip_out=str(tmp_path / "e.zip"), cognito_domain_prefix="my-login")
    clients = Clients(cloudformation=model, cloudfront=model)
    # moto reports a random AWSAccountId for the domain's owner, so it reads as another account's
    with pytest.raises(DeployError, match=r"my-login.*(is taken|already belongs)"):
        deploy_stack(opts, clients, quiet_progress, builder=ContentBuilder(), sleep=lambda s: None)
    assert model.stacks == {}
    assert boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


# ---------------------------------------------------------------------------- permissions


def _iam(assumed=True, slr_exists=False, decisions=None):
    iam = boto3.client("iam", region_name="us-east-1", aws_access_key_id="x", aws_secret_access_key="x")
    stub = Stubber(iam)
    if assumed:
        stub.add_response(
            "get_role",
            {
                "Role": {
                    "Path": "/aws-reserved/sso.amazonaws.com/",
                    "RoleName": "Deployer",
                    "RoleId": "AROAEXAMPLE12345678",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/Deployer",
                    "CreateDate": "2026-01-01T00:00:00Z",
                    "AssumeRolePolicyDocument": "{}",
                }
            },
            {"RoleName": "Deployer"},
        )
    if slr_exists:
        stub.add_response(
            "get_role",
            {
                "Role": {
                    "Path": "/aws-service-role/replicator.lambda.amazonaws.com/",
                    "RoleName": "AWSServiceRoleForLambdaReplicator",
                    "RoleId": "AROAEXAMPLE87654321",
                    "Arn": f"arn:aws:iam::{ACCOUNT}:role/aws-service-role/x",
                    "CreateDate": "2026-01-01T00:00:00Z",
                }
            },
            {"RoleName": "AWSServiceRoleForLambdaReplicator"},
        )
    else:
        stub.add_client_error(
            "get_role",
            service_error_code="NoSuchEntity",
            service_message="The role with name AWSServiceRoleForLambdaReplicator cannot be found.",
            http_status_code=404,
        )
    return iam, stub


def _simulate(stub, decisions: dict[str, str]):
    """One SimulatePrincipalPolicy answer per resource group, in the order preflight asks."""
    from gatebuild.deploy.preflight import COGNITO_ACTIONS, CRITICAL_ACTIONS, _resource_for

    actions = [*CRITICAL_ACTIONS, *COGNITO_ACTIONS, "iam:CreateServiceLinkedRole"]
    groups: dict[str, list[str]] = {}
    for action in actions:
        groups.setdefault(_resource_for(action, ACCOUNT, "s"), []).append(action)
    for resource, batch in groups.items():
        results = [
            {"EvalActionName": a, "EvalResourceName": resource, "EvalDecision": decisions.get(a, "allowed")}
            for a in batch
        ]
        expected = {"PolicySourceArn": ANY, "ActionNames": batch, "ResourceArns": [resource]}
        if "iam:CreateServiceLinkedRole" in batch:
            expected["ContextEntries"] = ANY
        stub.add_response("simulate_principal_policy", {"EvaluationResults": results, "IsTruncated": False}, expected)


CALLER = f"arn:aws:sts::{ACCOUNT}:assumed-role/Deployer/me@example.com"


def test_missing_replication_and_service_linked_role_permissions_stop_the_first_deploy(quiet_progress):
    iam, stub = _iam()
    _simulate(stub, {"lambda:EnableReplication": "implicitDeny", "iam:CreateServiceLinkedRole": "explicitDeny"})
    with stub, pytest.raises(DeployError) as refused:
        check_permissions(iam, CALLER, True, quiet_progress, ACCOUNT, "s")
    line = str(refused.value)
    assert "lambda:EnableReplication (implicitDeny)" in line and "iam:CreateServiceLinkedRole (explicitDeny)" in line
    assert "docs/deploy-policy.json" in line and "--no-permission-check" in line
    stub.assert_no_pending_responses()


def test_all_allowed_goes_on(quiet_progress):
    iam, stub = _iam()
    _simulate(stub, {})
    with stub:
        check_permissions(iam, CALLER, True, quiet_progress, ACCOUNT, "s")
    assert "policy simulator" in quiet_progress.out.getvalue()


def test_principal_of_an_assumed_role_keeps_its_path():
    iam, stub = _iam(slr_exists=True)
    with stub:
        assert principal_arn(iam, CALLER) == f"arn:aws:iam::{ACCOUNT}:role/aws-reserved/sso.amazonaws.com/Deployer"
    assert principal_arn(iam, f"arn:aws:iam::{ACCOUNT}:user/ci") == f"arn:aws:iam::{ACCOUNT}:user/ci"
    assert principal_arn(iam, f"arn:aws:iam::{ACCOUNT}:root") is None


def test_no_permission_to_simulate_warns_and_goes_on(quiet_progress):
    iam, stub = _iam()
    stub.add_client_error(
        "simulate_principal_policy",
        service_error_code="AccessDenied",
        service_message="User: x is not authorized to perform: iam:SimulatePrincipalPolicy",
        http_status_code=403,
    )
    with stub:
        check_permissions(iam, CALLER, False, quiet_progress, ACCOUNT, "s")
    assert "could not check this identity's permissions" in quiet_progress.err.getvalue()


def test_help_names_the_permission_check(capsys):
    with pytest.raises(SystemExit):
        main(["stack", "--help"])
    out = capsys.readouterr().out
    assert "--no-permission-check" in out and "[[apis]]" in out


# ---------------------------------------------------------------------------- failure hints, real texts

REAL_TEXTS = [
    # aws-samples/aws-cdk-examples#279, anomalyco/sst#3704 (CloudFormation's wrapping from sst)
    (
        'Distribution (AWS::CloudFront::Distribution): Resource handler returned message: "Access denied for '
        "operation 'AWS::CloudFront::Distribution: Your account must be verified before you can add new "
        "CloudFront resources. To verify your account, please contact AWS Support "
        "(https://console.aws.amazon.com/support/home#/) and include this error message.'\"",
        ["AWS Support", "delete-stack"],
    ),
    # serverless/serverless#10135
    (
        "UserPoolDomain (AWS::Cognito::UserPoolDomain): Domain already associated with another user pool. "
        "(Service: AWSCognitoIdentityProviderService; Status Code: 400; Error Code: InvalidParameterException; "
        "Request ID: 141f64af-60ff-492a-93e3-98aadc2322f6; Proxy: null)",
        ["--cognito-domain-prefix"],
    ),
    # serverless-operations/serverless-lambda-edge-pre-existing-cloudfront#36
    (
        "Distribution (AWS::CloudFront::Distribution): Lambda@Edge cannot enable replication for the specified "
        "Lambda function. Update the IAM policy to add permission: lambda:EnableReplication* for resource: "
        "arn:aws:lambda:us-east-1:123456789012:function:my-site-GateFunction-AbC:2 and try again.",
        ["lambda:EnableReplication*", "docs/deploy.md"],
    ),
    # IAM's wording (StreisandEffect/streisand#1249), the Lambda@Edge role's ARN (CloudFront guide)
    (
        "Distribution (AWS::CloudFront::Distribution): User: arn:aws:iam::123456789012:user/deployer is not "
        "authorized to perform: iam:CreateServiceLinkedRole on resource: arn:aws:iam::123456789012:role/"
        "aws-service-role/replicator.lambda.amazonaws.com/AWSServiceRoleForLambdaReplicator",
        ["create-service-linked-role --aws-service-name replicator.lambda.amazonaws.com"],
    ),
    # amplify-education/serverless-domain-manager#112
    ("Caller does not have permissions to create a Service Linked Role", ["iam:CreateServiceLinkedRole"]),
    # serverless/serverless#13208 (an earlier deployment's artifact, gone)
    (
        'GateFunction (AWS::Lambda::Function): Resource handler returned message: "Error occurred while '
        "GetObject. S3 Error Code: NoSuchKey. S3 Error Message: The specified key does not exist. (Service: "
        'Lambda, Status Code: 400, Request ID: ad9bb8d6-5c12-432e-8438-8584ce7c9024)" (RequestToken: x, '
        "HandlerErrorCode: InvalidRequest)",
        ["lifecycle rule", "Code.Location"],
    ),
    # localstack/localstack#11947 quoting the AWS CLI
    (
        "UserPool (AWS::Cognito::UserPool): The user pool cannot be deleted because deletion protection is "
        "activated. Deletion protection must be inactivated first.",
        ["Deletion protection"],
    ),
]


@pytest.mark.parametrize("text,words", REAL_TEXTS, ids=[f"text{i}" for i in range(len(REAL_TEXTS))])
def test_each_failure_gets_one_line_naming_the_fix(text, words):
    hint = hint_for(text, "my-site")
    assert hint, text
    for word in words:
        assert word in hint
    line = _failure_line("my-site", "ROLLBACK_COMPLETE", {}, [_event(text)])
    assert "\n" not in line and hint in line


def _event(text, status="CREATE_FAILED", n=1):
    resource, _, reason = text.partition(" (")
    kind, _, reason = reason.partition("): ")
    return {
        "EventId": f"e{n}",
        "LogicalResourceId": resource,
        "ResourceType": kind,
        "ResourceStatus": status,
        "ResourceStatusReason": reason or text,
    }


def test_unverified_account_as_an_api_error_is_not_the_generic_access_line():
    from botocore.exceptions import ClientError

    error = ClientError(
        {
            "Error": {
                "Code": "AccessDenied",
                "Message": "Your account must be verified before you can add new CloudFront resources. To verify "
                "your account, please contact AWS Support (https://console.aws.amazon.com/support/home#/) and "
                "include this error message.",
            },
            "ResponseMetadata": {"HTTPStatusCode": 403},
        },
        "CreateDistribution",
    )
    line = explain(error, "my-site")
    assert "AWS Support" in line and "needs permission" not in line


def test_update_rollback_failed_names_the_resources_to_skip(aws_env):
    """ContinueUpdateRollback's ResourcesToSkip takes resources in UPDATE_FAILED (CloudFormation
    API reference); the advice names them from the rollback's own events."""
    cfn = boto3.client("cloudformation", region_name="us-east-1")
    stub = Stubber(cfn)
    stack_events = [  # newest first
        {"LogicalResourceId": "s", "ResourceStatus": "UPDATE_ROLLBACK_FAILED"},
        {"LogicalResourceId": "GateFunction", "ResourceStatus": "UPDATE_FAILED"},
        {"LogicalResourceId": "s", "ResourceStatus": "UPDATE_ROLLBACK_IN_PROGRESS"},
        {"LogicalResourceId": "Distribution", "ResourceStatus": "UPDATE_FAILED"},
    ]
    page = {
        "StackEvents": [
            {**e, "StackId": "id", "EventId": f"e{i}", "StackName": "s", "Timestamp": "2026-01-01T00:00:00Z"}
            for i, e in enumerate(stack_events)
        ]
    }
    stub.add_response("describe_stack_events", page, {"StackName": "s"})
    with stub, pytest.raises(DeployError) as refused:
        check_updatable({"StackStatus": "UPDATE_ROLLBACK_FAILED"}, "s", cfn)
    line = str(refused.value)
    assert "failed on GateFunction" in line
    assert "continue-update-rollback --stack-name s --region us-east-1 --resources-to-skip GateFunction" in line
    assert "Distribution" not in line
    # when the deploy itself watched it happen
    events = [
        _event(f"{e['LogicalResourceId']} (T): r", e["ResourceStatus"], i) for i, e in enumerate(reversed(stack_events))
    ]
    line = _failure_line("s", "UPDATE_ROLLBACK_FAILED", {}, events)
    assert "--resources-to-skip GateFunction" in line


# ---------------------------------------------------------------------------- --api-domain and [[apis]]


class _Api:
    def __init__(self, *paths):
        self.paths = paths


class _Config:
    def __init__(self, *apis):
        self.apis = apis


@pytest.mark.parametrize(
    "domain,path,previous,apis,refused",
    [
        ("api.example.com", None, None, (), "has no \\[\\[apis\\]\\]"),
        ("api.example.com", "/v1/*", None, (_Api("/api/*"),), "do not cover it"),
        ("api.example.com", "/api/*", None, (_Api("/api/v1/*"),), "do not cover it"),
        (None, None, {"ApiDomainName": "api.example.com"}, (), "has no \\[\\[apis\\]\\]"),
        (None, None, None, (_Api("/api/*"),), "no API origin"),
        ("", None, {"ApiDomainName": "api.example.com"}, (_Api("/api/*"),), "no API origin"),
        ("api.example.com", None, None, (_Api("/api/*"),), None),
        ("api.example.com", "/api/v1/*", None, (_Api("/api/*"),), None),
        ("api.example.com", "/data/*", None, (_Api("/api/*"), _Api("/data/*")), None),
        (None, None, {"ApiDomainName": "a.example.com", "ApiPathPattern": "/x/*"}, (_Api("/x/*"),), None),
        (None, None, None, (), None),
    ],
)
def test_api_origin_and_apis_must_match(domain, path, previous, apis, refused):
    opts = StackOptions("s", api_domain=domain, api_path=path)
    if refused is None:
        check_api_origin(opts, previous, _Config(*apis), "gate.toml")
    else:
        with pytest.raises(DeployError, match=refused):
            check_api_origin(opts, previous, _Config(*apis), "gate.toml")


def test_the_deploy_refuses_the_mismatch_before_touching_aws(moto_aws, tmp_path, site_dir, quiet_progress):
    model = EdgeStackModel()
    with pytest.raises(DeployError, match=r"--api-domain api.example.com.*has no \[\[apis\]\]"):
        _deploy(model, tmp_path, site_dir, ContentBuilder(), quiet_progress, api_domain="api.example.com")
    assert model.stacks == {} and boto3.client("s3", region_name="us-east-1").list_buckets()["Buckets"] == []


def test_cli_prints_one_line(moto_aws, tmp_path, site_dir):
    config = tmp_path / "gate.toml"
    config.write_text(
        '[idp]\nprovider = "oidc"\nclient_id = "c"\nissuer = "https://login.example.com"\n'
        'authorization_endpoint = "https://login.example.com/a"\ntoken_endpoint = "https://login.example.com/t"\n'
        'jwks_uri = "https://login.example.com/j"\n'
    )
    err = io.StringIO()
    code = main(
        [
            "stack",
            "--stack-name",
            "s",
            "--config",
            str(config),
            "--site-dir",
            site_dir,
            "--api-domain",
            "a.example.com",
        ],
        stdout=io.StringIO(),
        stderr=err,
    )
    assert code == 1 and err.getvalue().count("\n") == 1 and "[[apis]]" in err.getvalue()
