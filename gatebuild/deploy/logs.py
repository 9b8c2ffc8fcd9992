"""Retention for the gate's log groups in every region.

Lambda@Edge writes to /aws/lambda/us-east-1.<function> in the region of the edge location that
ran it ("Lambda@Edge CloudWatch metrics and logs", CloudFront developer guide), and a log group
Lambda creates keeps its events forever. The stack sets the retention in us-east-1; this sets it
everywhere else, creating the group first so the retention holds from its first line.
"""

from __future__ import annotations

from botocore.exceptions import BotoCoreError, ClientError

from . import EDGE_REGION
from .progress import Progress

SKIPPED_CODES = {
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AuthFailure",
    "OptInRequired",
    "AccessDeniedException",
    "AccessDenied",
}


def log_group_name(function_name: str) -> str:
    return f"/aws/lambda/us-east-1.{function_name}"


def set_retention(logs, group: str, days: int) -> str:
    """'created', 'updated' or 'kept' for one region's client."""
    outcome = "kept"
    try:
        logs.create_log_group(logGroupName=group)
        outcome = "created"
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceAlreadyExistsException":
            raise
    found = logs.describe_log_groups(logGroupNamePrefix=group).get("logGroups") or []
    current = next((g.get("retentionInDays") for g in found if g.get("logGroupName") == group), None)
    if current != days:
        logs.put_retention_policy(logGroupName=group, retentionInDays=days)
        outcome = "updated" if outcome == "kept" else outcome
    return outcome


def ensure_retention(
    clients,
    function_name: str,
    days: int,
    region_list: list[str],
    progress: Progress,
    skip: tuple[str, ...] = (EDGE_REGION,),
) -> dict[str, str]:
    """Set the retention in each region; a region this account cannot use is skipped, never fatal."""
    group = log_group_name(function_name)
    done: dict[str, str] = {}
    for region in region_list:
        if region in skip:
            continue
        try:
            done[region] = set_retention(clients.regional("logs", region), group, days)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            done[region] = f"skipped ({code})"
            if code not in SKIPPED_CODES:
                progress.note(f"could not set log retention in {region} ({code})")
        except BotoCoreError as exc:
            done[region] = f"skipped ({type(exc).__name__})"
    changed = [r for r, o in done.items() if o in ("created", "updated")]
    if changed:
        progress.note(f"log retention {days} days for {group} set in {len(changed)} region(s)")
    return done
