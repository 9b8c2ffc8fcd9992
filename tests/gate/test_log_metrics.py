"""The decision line carries decision counts in CloudWatch's Embedded Metric Format.

Checked against the EMF specification
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
the log event must be one JSON object with nothing before or after it; `_aws` holds a
millisecond `Timestamp` (number) and `CloudWatchMetrics`, an array of MetricDirectives, each
with a `Namespace` string, `Dimensions` (an array of DimensionSets: arrays of at most 30 strings,
each naming a root member whose value is a string) and `Metrics` (MetricDefinitions whose `Name`
names a root member holding a number, with an optional `Unit` from CloudWatch's list).
"""

from __future__ import annotations

import io
import json
import re
import time

from hypothesis import given
from hypothesis import strategies as st

from edge.log import DecisionLog

UNITS = {
    "Seconds",
    "Microseconds",
    "Milliseconds",
    "Bytes",
    "Kilobytes",
    "Megabytes",
    "Gigabytes",
    "Terabytes",
    "Bits",
    "Kilobits",
    "Megabits",
    "Gigabits",
    "Terabits",
    "Percent",
    "Count",
    "Bytes/Second",
    "Kilobytes/Second",
    "Megabytes/Second",
    "Gigabytes/Second",
    "Terabytes/Second",
    "Bits/Second",
    "Kilobits/Second",
    "Megabits/Second",
    "Gigabits/Second",
    "Terabits/Second",
    "Count/Second",
    "None",
}


def emf_problems(text: str) -> list[str]:
    """An independent reading of the spec: every rule the event breaks ([] when valid EMF)."""
    problems = []
    if text != text.strip() or not text.startswith("{"):
        problems.append("not a bare JSON object")
    try:
        root = json.loads(text)
    except ValueError as exc:
        return [f"not JSON: {exc}"]
    meta = root.get("_aws")
    if not isinstance(meta, dict):
        return ["no _aws object"]
    if not isinstance(meta.get("Timestamp"), int) or meta["Timestamp"] < 10**12:
        problems.append("Timestamp must be epoch milliseconds")
    directives = meta.get("CloudWatchMetrics")
    if not isinstance(directives, list) or not directives:
        return [*problems, "CloudWatchMetrics must be a non-empty array"]
    for directive in directives:
        namespace = directive.get("Namespace")
        if not isinstance(namespace, str) or not 1 <= len(namespace) <= 255 or namespace.startswith("AWS/"):
            problems.append(f"bad Namespace {namespace!r}")
        for dimension_set in directive.get("Dimensions", []):
            if not isinstance(dimension_set, list) or len(dimension_set) > 30:
                problems.append("a DimensionSet must be an array of at most 30 strings")
                continue
            for name in dimension_set:
                if not isinstance(root.get(name), str):
                    problems.append(f"dimension {name!r} must name a root member holding a string")
        metrics = directive.get("Metrics")
        if not isinstance(metrics, list) or not 1 <= len(metrics) <= 100:
            problems.append("Metrics must hold 1-100 MetricDefinitions")
            continue
        for metric in metrics:
            name = metric.get("Name")
            if not isinstance(root.get(name), (int, float)) or isinstance(root.get(name), bool):
                problems.append(f"metric {name!r} must name a root member holding a number")
            if "Unit" in metric and metric["Unit"] not in UNITS:
                problems.append(f"unit {metric['Unit']!r} is not a CloudWatch unit")
    return problems


def _line(**kwargs) -> str:
    stream = io.StringIO()
    log = DecisionLog("debug", b"k" * 32, stream)
    args = {
        "path": "/docs",
        "decision": "deny",
        "reason": "group_missing",
        "status": 403,
        "sub": "user-1",
        "duration_ms": 1.5,
    }
    args.update(kwargs)
    log.decision(**args)
    text = stream.getvalue()
    assert text.endswith("\n") and text.count("\n") == 1  # one line, one write
    return text[:-1]


def test_decision_line_is_valid_emf_counting_decisions_by_reason():
    before = int(time.time() * 1000)
    line = _line()
    assert emf_problems(line) == []
    record = json.loads(line)
    assert record["decision"] == "deny" and record["reason"] == "group_missing"  # the log fields stay
    assert record["decisions"] == 1
    (directive,) = record["_aws"]["CloudWatchMetrics"]
    assert directive["Namespace"] == "SignInGate"
    assert ["decision", "reason"] in directive["Dimensions"] and ["decision"] in directive["Dimensions"]
    assert directive["Metrics"] == [{"Name": "decisions", "Unit": "Count"}]
    assert before <= record["_aws"]["Timestamp"] <= int(time.time() * 1000)


def test_error_line_with_detail_is_valid_emf():
    line = _line(decision="error", reason="internal_error", status=502, sub=None, detail='Trace "x"\n\u2028')
    assert emf_problems(line) == []
    assert json.loads(line)["detail"] == 'Trace "x"\n\u2028'


@given(
    path=st.text(max_size=300),
    reason=st.from_regex(re.compile(r"[a-z_]{1,40}"), fullmatch=True),
    sub=st.one_of(st.none(), st.text(max_size=50)),
)
def test_any_path_and_reason_still_make_valid_emf(path, reason, sub):
    assert emf_problems(_line(path=path, reason=reason, sub=sub)) == []


def test_the_validator_catches_broken_events():
    good = _line()
    record = json.loads(good)
    assert emf_problems(good + " trailing") != []
    broken = dict(record, decisions="1")
    assert any("decisions" in p for p in emf_problems(json.dumps(broken)))
    broken = dict(record, reason=7)
    assert any("reason" in p for p in emf_problems(json.dumps(broken)))
    broken = json.loads(good)
    broken["_aws"]["Timestamp"] = 1234
    assert emf_problems(json.dumps(broken)) == ["Timestamp must be epoch milliseconds"]
