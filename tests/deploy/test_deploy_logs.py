"""`deploy.py logs`: every region's decision lines, merged by time (issue 24, item 7).

Lambda@Edge writes to /aws/lambda/us-east-1.<function> in the region of the edge location that
ran it ("Lambda@Edge CloudWatch metrics and logs", CloudFront developer guide), next to Lambda's
own START/END/REPORT lines. moto's CloudWatch Logs keeps each region apart and answers
FilterLogEvents with startTime, as AWS does; a region the account has not enabled (opt-in
regions) answers UnrecognizedClientException ("The security token included in the request is
invalid"), which moto cannot produce, so that one region is a botocore Stubber.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import json
import time

import boto3
import pytest
from botocore.stub import Stubber

from gatebuild.deploy.cli import main
from gatebuild.deploy.clients import Clients
from gatebuild.deploy.decision_logs import Filters, reason_link, tail

FUNCTION = "gate-fn-AbC123"
GROUP = f"/aws/lambda/us-east-1.{FUNCTION}"
SECRET = base64.urlsafe_b64encode(b"s" * 32).decode().rstrip("=")
OLD_SECRET = base64.urlsafe_b64encode(b"o" * 32).decode().rstrip("=")


def logged_subject(sub: str, secret: str) -> str:
    """The hash the gate logs, computed independently of edge/log.py (HMAC-SHA256, RFC 2104)."""
    raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
    return hmac.new(raw + b"gate-log-subject", sub.encode(), hashlib.sha256).hexdigest()[:16]


def decision(path, reason, status, sub=None, decision="forward", secret=SECRET, ms=1.5):
    subject = logged_subject(sub, secret) if sub else None
    return json.dumps(
        {
            "level": "info",
            "path": path,
            "decision": decision,
            "reason": reason,
            "status": status,
            "subject": subject,
            "ms": ms,
            "_aws": {"Timestamp": 0},
        },
        separators=(",", ":"),
    )


def put(region: str, events: list[tuple[int, str]]) -> None:
    logs = boto3.client("logs", region_name=region)
    try:
        logs.create_log_group(logGroupName=GROUP)
    except logs.exceptions.ResourceAlreadyExistsException:
        pass
    stream = f"2026/12/07/[{len(events)}]abc{time.monotonic_ns()}"
    logs.create_log_stream(logGroupName=GROUP, logStreamName=stream)
    logs.put_log_events(
        logGroupName=GROUP,
        logStreamName=stream,
        logEvents=[{"timestamp": t, "message": m} for t, m in sorted(events)],
    )


@pytest.fixture
def three_regions(moto_aws):
    now = int(time.time() * 1000)
    put(
        "us-east-1",
        [
            (now - 50_000, "START RequestId: 1 Version: 3"),
            (now - 50_000, decision("/", "valid_session", None, "ada")),
            (now - 20_000, decision("/admin", "missing_group", 403, "bob", "deny")),
            (now - 19_999, "REPORT RequestId: 1 Duration: 2.10 ms Billed Duration: 3 ms"),
        ],
    )
    put(
        "eu-west-1",
        [
            (now - 40_000, decision("/docs", "valid_session", None, "ada")),
            (now - 10_000, decision("/_gate/callback", "state_expired", 400, None, "respond")),
            (now - 7_000_000, decision("/old", "valid_session", None, "ada")),  # before --since
        ],
    )
    put("ap-southeast-2", [(now - 30_000, decision("/admin/x", "missing_group", 403, "ada", "deny", OLD_SECRET))])
    boto3.client("logs", region_name="sa-east-1")  # a region where the gate never ran: no group
    boto3.client("ssm", region_name="us-east-1").put_parameter(
        Name=f"/signin-gate/function/{FUNCTION}/state-secret",
        Value=json.dumps({"current": SECRET, "previous": OLD_SECRET, "rotated_at": int(time.time())}),
        Type="SecureString",
    )
    return now


def run(*args: str) -> list[str]:
    out = io.StringIO()
    clients = Clients(boto3.Session(region_name="us-east-1"))
    assert main(["logs", "--function-name", FUNCTION, *args], clients=clients, stdout=out, stderr=io.StringIO()) == 0
    return [line for line in out.getvalue().splitlines() if line]


REGIONS = "--regions=us-east-1,eu-west-1,ap-southeast-2,sa-east-1"


def test_every_regions_decisions_merged_by_time(three_regions):
    lines = run("--since", "1h", REGIONS)
    assert [(line.split()[1], line.split()[-2]) for line in lines] == [
        ("us-east-1", "/"),
        ("eu-west-1", "/docs"),
        ("ap-southeast-2", "/admin/x"),
        ("us-east-1", "/admin"),
        ("eu-west-1", "/_gate/callback"),
    ]
    refused = lines[3].split()
    assert refused[2:5] == ["403", "deny", "missing_group"] and refused[-1] == reason_link("missing_group")
    assert not any("REPORT" in line or "START" in line or "/old" in line for line in lines)


def test_filters_by_reason_path_and_subject(three_regions):
    assert [line.split()[-2] for line in run(REGIONS, "--reason", "missing_group")] == ["/admin/x", "/admin"]
    assert [line.split()[-2] for line in run(REGIONS, "--path", "/admin*")] == ["/admin/x", "/admin"]
    # a raw sub is hashed with the current AND the previous secret (the log spans a rotation)
    assert [line.split()[-2] for line in run(REGIONS, "--subject", "ada")] == ["/", "/docs", "/admin/x"]
    # the hash as it appears in a log line works without reading SSM
    assert [line.split()[-2] for line in run(REGIONS, "--subject", logged_subject("bob", SECRET))] == ["/admin"]


def test_every_region_the_sdk_knows_by_default(three_regions):
    lines = run("--since", "2h")
    assert {line.split()[1] for line in lines} == {"us-east-1", "eu-west-1", "ap-southeast-2"}
    assert len(lines) == 6  # the old one too, within 2 h


def test_a_region_not_enabled_is_skipped_and_another_error_is_said(three_regions):
    now = three_regions
    session = boto3.Session(region_name="us-east-1")
    off = session.client("logs", region_name="me-central-1")
    broken = session.client("logs", region_name="il-central-1")
    with Stubber(off) as off_stub, Stubber(broken) as broken_stub:
        off_stub.add_client_error(
            "filter_log_events", "UnrecognizedClientException", "The security token included in the request is invalid."
        )
        broken_stub.add_client_error("filter_log_events", "ThrottlingException", "Rate exceeded", 400)
        clients = {"me-central-1": off, "il-central-1": broken}
        lines: list[str] = []
        shown = tail(
            lambda r: clients.get(r) or session.client("logs", region_name=r),
            ["me-central-1", "us-east-1", "il-central-1"],
            FUNCTION,
            now - 3_600_000,
            Filters(),
            lines.append,
        )
    assert shown == 2
    assert lines[-1] == "# il-central-1: could not read the log (ThrottlingException)"
    assert not any("me-central-1" in line for line in lines)


def test_follow_prints_new_decisions_once(three_regions):
    now = three_regions
    lines: list[str] = []

    def more(_seconds: float) -> None:
        put("eu-west-1", [(int(time.time() * 1000), decision("/later", "valid_session", None, "ada"))])

    tail(
        lambda r: boto3.client("logs", region_name=r),
        ["us-east-1", "eu-west-1"],
        FUNCTION,
        now - 3_600_000,
        Filters(),
        lines.append,
        follow=True,
        polls=2,
        sleep=more,
    )
    paths = [line.split()[-2] for line in lines]
    assert paths == ["/", "/docs", "/admin", "/_gate/callback", "/later"]


def test_since_must_say_its_unit(three_regions):
    err = io.StringIO()
    clients = Clients(boto3.Session(region_name="us-east-1"))
    assert main(["logs", "--function-name", FUNCTION, "--since", "1 week"], clients=clients, stderr=err) != 0
    assert "--since 1 week: give a number and a unit" in err.getvalue()


def test_the_stack_names_its_function(three_regions):
    template = {
        "Resources": {"Placeholder": {"Type": "AWS::Logs::LogGroup", "Properties": {"LogGroupName": "placeholder"}}},
        "Outputs": {"FunctionName": {"Value": FUNCTION}},
    }
    boto3.client("cloudformation", region_name="us-east-1").create_stack(
        StackName="my-site", TemplateBody=json.dumps(template)
    )
    out = io.StringIO()
    clients = Clients(boto3.Session(region_name="us-east-1"))
    assert (
        main(["logs", "--stack-name", "my-site", REGIONS, "--reason", "state_expired"], clients=clients, stdout=out)
        == 0
    )
    assert [line.split()[-2] for line in out.getvalue().splitlines()] == ["/_gate/callback"]
    err = io.StringIO()
    assert main(["logs", "--stack-name", "nope", REGIONS], clients=clients, stdout=out, stderr=err) != 0
    assert "stack nope does not exist" in err.getvalue()
