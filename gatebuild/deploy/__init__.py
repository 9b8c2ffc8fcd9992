"""Deploying the gate to AWS with boto3: `scripts/deploy stack`, `publish` and `status`.

Modules: errors (one-line messages), progress (what the user sees), clients (boto3 clients,
always us-east-1), gatezip (building the function's zip, the bootstrap zip), upload (artifact
bucket, site files, stale-file pruning, invalidation), state_secret (the state secret in SSM),
logs (log retention in every region), stack (CloudFormation, the two-phase deploy), publish
(function + version without CloudFormation), status (checks a distribution), cli (argparse).
"""

from gatebuild.lambda_edge_rules import EDGE_REGION  # noqa: F401 (one constant, used by every module here)
from gatebuild.zipper import LIMIT_BYTES

RUNTIME = "python3.13"
HANDLER = "edge.handler.handler"
MEMORY_MB = 128
TIMEOUT_S = 5
ARCHITECTURE = "x86_64"
MAX_ZIP_BYTES = LIMIT_BYTES
CALLBACK_PATH = "/_gate/callback"
SIGNED_OUT_PATH = "/_gate/signed-out"
