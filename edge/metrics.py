"""Decision counts as CloudWatch metrics, carried by the decision log line itself.

CloudWatch Logs extracts metrics from a log event that follows the Embedded Metric Format
(https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html):
an `_aws` member with a millisecond Timestamp and MetricDirectives naming the namespace, the
dimension sets (root members holding strings) and the metrics (root members holding numbers).
So the line gains `"_aws":{...},"decisions":1`: no PutMetricData call, nothing on the request
path but string formatting. Lambda@Edge writes its log lines in the region that served the
request, so the metrics are per region too.
"""

import time

NAMESPACE = "SignInGate"
METRIC = "decisions"
# Per decision (allow/login/deny/...) and per decision and reason code: both sets stay small,
# because reason codes are the gate's own stable identifiers.
_DIRECTIVE = (
    '"CloudWatchMetrics":[{"Namespace":"' + NAMESPACE + '","Dimensions":[["decision"],["decision","reason"]],'
    '"Metrics":[{"Name":"' + METRIC + '","Unit":"Count"}]}]'
)


def emf_members(now: float | None = None) -> str:
    """The members to append inside the decision line's JSON object (leading comma included)."""
    stamp = int((time.time() if now is None else now) * 1000)
    return f',"_aws":{{"Timestamp":{stamp},{_DIRECTIVE}}},"{METRIC}":1'
