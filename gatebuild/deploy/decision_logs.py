"""`deploy.py logs`: the gate's decision lines from every region, merged by time.

Lambda@Edge writes each invocation's log to `/aws/lambda/us-east-1.<function>` in the region of
the edge location that ran it ("Lambda@Edge CloudWatch metrics and logs", CloudFront developer
guide), so one person's page views can land in several regions. This reads that group in every
region where it exists (a region without it, or one the account has not enabled, is skipped),
keeps the gate's own JSON decision lines (edge/log.py; START/END/REPORT lines are Lambda's),
filters them, and prints one line per decision in time order.

Subjects are logged only as a keyed hash (edge/log.py `subject_hash`, keyed by the state
secret): `--subject` takes that 16-hex hash, or a raw `sub` which is hashed here with the state
secrets deploy.py keeps in SSM (current and previous, as the log may span a rotation).
"""

from __future__ import annotations

import base64
import fnmatch
import heapq
import json
import re
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime

from botocore.exceptions import BotoCoreError, ClientError

from .errors import DeployError
from .logs import SKIPPED_CODES, log_group_name

REASON_DOCS = "docs/operations.md#{anchor}"  # each reason code has its own anchor there
SINCE = re.compile(r"^(\d+)([smhd])$")
SUBJECT_HASH = re.compile(r"^[0-9a-f]{16}$")
POLL_SECONDS = 5.0


@dataclass(frozen=True)
class Decision:
    at_ms: int
    region: str
    path: str
    decision: str
    reason: str
    status: int | None
    ms: float | None
    subject: str | None
    event_id: str

    def line(self) -> str:
        when = datetime.fromtimestamp(self.at_ms / 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"
        status = "-" if self.status is None else str(self.status)
        ms = "-" if self.ms is None else f"{self.ms:.1f}ms"
        return (
            f"{when}  {self.region:<14} {status:>3} {self.decision:<9} {self.reason:<22} {ms:>8}  {self.path}"
            f"  {reason_link(self.reason)}"
        )


@dataclass(frozen=True)
class Filters:
    reason: str | None = None
    path_glob: str | None = None
    subject_hashes: frozenset[str] = frozenset()

    def keep(self, d: Decision) -> bool:
        if self.reason and d.reason != self.reason:
            return False
        if self.path_glob and not fnmatch.fnmatchcase(d.path, self.path_glob):
            return False
        return not self.subject_hashes or d.subject in self.subject_hashes


# Reasons made of a prefix and a part chosen elsewhere (a token check, the IdP's own error code,
# an HTTP status) share their family's entry: `id_token_wrong_audience` -> #id-token.
# tests/docs/test_reason_anchors.py checks every code and family has its anchor.
REASON_FAMILIES = ("id_token_", "refreshed_", "bearer_", "idp_error_", "idp_http_", "idp_bad_", "revoke_http_")


def reason_link(reason: str) -> str:
    family = next((prefix for prefix in REASON_FAMILIES if reason.startswith(prefix)), None)
    anchor = family.rstrip("_") if family else reason
    return REASON_DOCS.format(anchor=anchor.replace("_", "-"))


def parse_since(text: str, now_ms: int) -> int:
    """`15m`, `1h`, `2d` ... before now, in epoch milliseconds."""
    match = SINCE.match(text.strip())
    if not match:
        raise DeployError(f"--since {text}: give a number and a unit, e.g. 30m, 1h, 2d")
    seconds = int(match.group(1)) * {"s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2)]
    return now_ms - seconds * 1000


def decision_from(message: str, at_ms: int, region: str, event_id: str) -> Decision | None:
    """The gate's decision line, or None for anything else (Lambda's START/END/REPORT lines)."""
    text = message.strip()
    if not text.startswith("{"):
        return None
    try:
        record = json.loads(text)
    except ValueError:
        return None
    if not isinstance(record, dict) or not {"path", "decision", "reason"} <= record.keys():
        return None
    status = record.get("status")
    ms = record.get("ms")
    return Decision(
        at_ms=at_ms,
        region=region,
        path=str(record["path"]),
        decision=str(record["decision"]),
        reason=str(record["reason"]),
        status=status if isinstance(status, int) else None,
        ms=float(ms) if isinstance(ms, (int, float)) else None,
        subject=record.get("subject") if isinstance(record.get("subject"), str) else None,
        event_id=event_id,
    )


def subject_hashes(subject: str | None, secrets: Iterable[str]) -> frozenset[str]:
    """What `--subject` matches: the logged hash itself, or a raw sub hashed with each secret."""
    if not subject:
        return frozenset()
    if SUBJECT_HASH.match(subject):
        return frozenset({subject})
    from edge.log import DecisionLog  # the gate's own hashing, not a second copy of it

    hashes = set()
    for secret in secrets:
        raw = base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))
        hashed = DecisionLog("info", raw).subject_hash(subject)
        if hashed:
            hashes.add(hashed)
    if not hashes:
        raise DeployError(
            "--subject: the log keeps only a keyed hash of each subject; give the 16-hex hash from a log "
            "line, or give --stack-name/--function-name so the state secret in SSM can hash it"
        )
    return frozenset(hashes)


def region_events(logs, region: str, group: str, start_ms: int) -> Iterator[Decision]:
    """Decision lines of one region's log group from `start_ms` on, in time order."""
    kwargs = {"logGroupName": group, "startTime": start_ms, "interleaved": True}
    while True:
        page = logs.filter_log_events(**kwargs)
        for event in page.get("events") or []:
            decision = decision_from(
                event.get("message", ""), int(event.get("timestamp", 0)), region, str(event.get("eventId", ""))
            )
            if decision is not None:
                yield decision
        token = page.get("nextToken")
        if not token or token == kwargs.get("nextToken"):
            return
        kwargs["nextToken"] = token


def read_regions(
    regional: Callable[[str], object], regions: Iterable[str], group: str, start_ms: int, notes: list[str]
) -> list[Decision]:
    """Every region's decisions from `start_ms`, merged by time (regions with no group skipped)."""
    per_region: list[list[Decision]] = []
    for region in regions:
        try:
            found = sorted(region_events(regional(region), region, group, start_ms), key=lambda d: d.at_ms)
        except ClientError as exc:
            code = exc.response.get("Error", {}).get("Code", "")
            if code == "ResourceNotFoundException" or code in SKIPPED_CODES:
                continue  # no edge location of this region ran the gate, or the region is off
            notes.append(f"{region}: could not read the log ({code})")
            continue
        except BotoCoreError as exc:
            notes.append(f"{region}: could not read the log ({type(exc).__name__})")
            continue
        if found:
            per_region.append(found)
    return list(heapq.merge(*per_region, key=lambda d: (d.at_ms, d.region)))


def tail(
    regional: Callable[[str], object],
    regions: list[str],
    function_name: str,
    start_ms: int,
    filters: Filters,
    write: Callable[[str], None],
    *,
    follow: bool = False,
    polls: int | None = None,
    sleep: Callable[[float], None] = time.sleep,
    now_ms: Callable[[], int] = lambda: int(time.time() * 1000),
) -> int:
    """Print the decisions; with `follow`, keep polling (until Ctrl-C, or `polls` rounds). Returns
    how many lines were printed."""
    group = log_group_name(function_name)
    seen: set[str] = set()
    printed = 0
    notes: list[str] = []
    rounds = 0
    while True:
        decisions = read_regions(regional, regions, group, start_ms, notes)
        for decision in decisions:
            if decision.event_id in seen:
                continue
            seen.add(decision.event_id)
            if filters.keep(decision):
                write(decision.line())
                printed += 1
        for note in dict.fromkeys(notes):
            write(f"# {note}")
        notes.clear()
        rounds += 1
        if not follow or (polls is not None and rounds >= polls):
            return printed
        # Lambda@Edge logs arrive late and out of order across regions: look back a minute.
        start_ms = max(start_ms, now_ms() - 60_000)
        sleep(POLL_SECONDS)
