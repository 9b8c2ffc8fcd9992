"""Deploying the gate to AWS with boto3: `python deploy.py stack` and `python deploy.py publish`.

Modules: errors (one-line messages), progress (what the user sees), clients (boto3 clients,
always us-east-1), gatezip (building the function's zip, the bootstrap zip), upload (artifact
bucket, site files, invalidation), stack (CloudFormation, the two-phase deploy), publish
(function + version without CloudFormation), cli (argparse).
"""

EDGE_REGION = "us-east-1"
RUNTIME = "python3.13"
HANDLER = "edge.handler.handler"
MEMORY_MB = 128
TIMEOUT_S = 5
ARCHITECTURE = "x86_64"
MAX_ZIP_BYTES = 1024 * 1024
CALLBACK_PATH = "/_gate/callback"
SIGNED_OUT_PATH = "/_gate/signed-out"
