"""`deploy.py publish`: build the gate and publish a numbered Lambda@Edge version, no CloudFormation.

For people who attach the gate to a distribution they already have (CloudFront console ->
behavior -> Function associations -> Viewer request -> Lambda@Edge -> the version ARN).
Creates the function and its role in us-east-1 when missing; an existing function is brought
back to what Lambda@Edge accepts (no environment, no layers, 128 MB, 5 s, x86_64).
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass

from botocore.exceptions import ClientError

from gatebuild.config import read_toml

from . import ARCHITECTURE, EDGE_REGION, HANDLER, MEMORY_MB, RUNTIME, TIMEOUT_S
from .clients import Clients
from .cognito import report_urls
from .errors import DeployError
from .gatezip import Builder, build_gate_zip, final_config, sha256_b64
from .progress import Progress
from .state_secret import parameter_name, state_secrets

TRUSTED_SERVICES = ("lambda.amazonaws.com", "edgelambda.amazonaws.com")
TRUST_POLICY = {
    "Version": "2012-10-17",
    "Statement": [{"Effect": "Allow", "Principal": {"Service": list(TRUSTED_SERVICES)}, "Action": "sts:AssumeRole"}],
}
ROLE_RETRIES = 10  # IAM roles take a few seconds before Lambda may assume them


@dataclass
class PublishOptions:
    config_path: str
    function_name: str = "signin-gate"
    role_name: str | None = None
    site_url: str | None = None
    jwks_file: str | None = None
    zip_out: str = "dist/edge.zip"
    rotate_state_secret: bool = False


ROLE_SUFFIX = "-edge-role"
IAM_ROLE_NAME_MAX = 64


def default_role_name(function_name: str) -> str:
    """<function>-edge-role, shortened with a hash when that would pass IAM's 64 characters."""
    name = function_name + ROLE_SUFFIX
    if len(name) <= IAM_ROLE_NAME_MAX:
        return name
    digest = hashlib.sha256(function_name.encode()).hexdigest()[:8]
    keep = IAM_ROLE_NAME_MAX - len(ROLE_SUFFIX) - len(digest) - 1
    return f"{function_name[:keep]}-{digest}{ROLE_SUFFIX}"


def logs_policy(account: str, function_name: str) -> dict:
    """Logs in every region: Lambda@Edge logs to /aws/lambda/us-east-1.<name> where it ran."""
    return {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Effect": "Allow",
                "Action": ["logs:CreateLogGroup", "logs:CreateLogStream", "logs:PutLogEvents"],
                "Resource": [
                    f"arn:aws:logs:*:{account}:log-group:/aws/lambda/{function_name}:*",
                    f"arn:aws:logs:*:{account}:log-group:/aws/lambda/{EDGE_REGION}.{function_name}:*",
                ],
            }
        ],
    }


def _trusted(document) -> set[str]:
    if isinstance(document, str):
        document = json.loads(document)
    services: set[str] = set()
    for statement in document.get("Statement") or []:
        if statement.get("Effect") != "Allow":
            continue
        given = (statement.get("Principal") or {}).get("Service") or []
        services.update([given] if isinstance(given, str) else given)
    return services


def ensure_role(iam, role_name: str, function_name: str, account: str, progress: Progress) -> tuple[str, bool]:
    """The role's ARN, and whether it was just created."""
    try:
        role = iam.get_role(RoleName=role_name)["Role"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "NoSuchEntity":
            raise
    else:
        check_trust(role, progress)
        return role["Arn"], False
    progress.note(f"creating IAM role {role_name} (trusts lambda.amazonaws.com and edgelambda.amazonaws.com)")
    role = iam.create_role(
        RoleName=role_name,
        AssumeRolePolicyDocument=json.dumps(TRUST_POLICY),
        Description=f"Execution role of the sign-in gate {function_name} (Lambda@Edge)",
    )["Role"]
    iam.put_role_policy(
        RoleName=role_name,
        PolicyName="logs-in-every-region",
        PolicyDocument=json.dumps(logs_policy(account, function_name)),
    )
    return role["Arn"], True


def check_trust(role: dict, progress: Progress) -> None:
    missing = [s for s in TRUSTED_SERVICES if s not in _trusted(role.get("AssumeRolePolicyDocument") or {})]
    if missing:
        raise DeployError(
            f"IAM role {role['RoleName']} does not trust {' and '.join(missing)}; CloudFront refuses to "
            "replicate a Lambda@Edge function whose role does not. Add it to the role's trust policy "
            "(IAM console -> Roles -> Trust relationships) and run this again"
        )


def _role_name_of(arn: str) -> str:
    return arn.rsplit("/", 1)[-1]


def _wait(lam, waiter: str, name: str) -> None:
    lam.get_waiter(waiter).wait(FunctionName=name, WaiterConfig={"Delay": 2, "MaxAttempts": 90})


def create_function(
    lam, name: str, role_arn: str, data: bytes, progress: Progress, sleep: Callable[[float], None]
) -> None:
    progress.note(f"creating function {name} in {EDGE_REGION}")
    for attempt in range(1, ROLE_RETRIES + 1):
        try:
            lam.create_function(
                FunctionName=name,
                Runtime=RUNTIME,
                Handler=HANDLER,
                Role=role_arn,
                Code={"ZipFile": data},
                MemorySize=MEMORY_MB,
                Timeout=TIMEOUT_S,
                Architectures=[ARCHITECTURE],
                Publish=False,
                Description="Sign-in gate (Lambda@Edge viewer request); configuration is baked into the zip",
            )
            break
        except ClientError as exc:
            message = exc.response.get("Error", {}).get("Message", "")
            if (
                exc.response["Error"].get("Code") == "InvalidParameterValueException"
                and "assume" in message
                and attempt < ROLE_RETRIES
            ):
                sleep(min(2 * attempt, 10))  # the new role is not visible to Lambda yet
                continue
            raise
    _wait(lam, "function_active_v2", name)


def edge_settings_changes(current: dict) -> dict:
    """update_function_configuration arguments that bring a function to what Lambda@Edge accepts
    ("Restrictions on Lambda@Edge", CloudFront developer guide); {} when it already is."""
    changes: dict = {}
    wanted = {"Runtime": RUNTIME, "Handler": HANDLER, "MemorySize": MEMORY_MB, "Timeout": TIMEOUT_S}
    for key, value in wanted.items():
        if current.get(key) != value:
            changes[key] = value
    if (current.get("Environment") or {}).get("Variables"):
        changes["Environment"] = {"Variables": {}}
    if current.get("Layers"):
        changes["Layers"] = []
    if (current.get("VpcConfig") or {}).get("SubnetIds"):
        changes["VpcConfig"] = {"SubnetIds": [], "SecurityGroupIds": []}
    if (current.get("DeadLetterConfig") or {}).get("TargetArn"):
        changes["DeadLetterConfig"] = {"TargetArn": ""}  # an empty ARN removes it
    if (current.get("TracingConfig") or {}).get("Mode") == "Active":
        changes["TracingConfig"] = {"Mode": "PassThrough"}
    if (current.get("EphemeralStorage") or {}).get("Size", 512) != 512:
        changes["EphemeralStorage"] = {"Size": 512}
    if (current.get("SnapStart") or {}).get("ApplyOn", "None") != "None":
        changes["SnapStart"] = {"ApplyOn": "None"}
    return changes


def update_function(lam, name: str, current: dict, data: bytes, progress: Progress) -> None:
    """Bring an existing function to the Lambda@Edge settings, then replace its code."""
    changes = edge_settings_changes(current)
    if "Environment" in changes:
        progress.note("removing the function's environment variables (Lambda@Edge refuses them)")
    if changes:
        progress.note("setting " + ", ".join(sorted(changes)) + " for Lambda@Edge")
        lam.update_function_configuration(FunctionName=name, **changes)
        _wait(lam, "function_updated_v2", name)
    try:
        runtime = lam.get_runtime_management_config(FunctionName=name)
    except ClientError:
        runtime = {}
    if runtime.get("UpdateRuntimeOn", "Auto") != "Auto":
        progress.note("setting runtime management to Auto (Lambda@Edge accepts no other mode)")
        lam.put_runtime_management_config(FunctionName=name, UpdateRuntimeOn="Auto")
    progress.note(f"uploading code to {name}")
    lam.update_function_code(FunctionName=name, ZipFile=data, Architectures=[ARCHITECTURE], Publish=False)
    _wait(lam, "function_updated_v2", name)


def publish(
    opts: PublishOptions,
    clients: Clients,
    progress: Progress,
    builder: Builder | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> str:
    """Build, upload and publish; returns the numbered version ARN."""
    if len(opts.function_name) > 64 or not opts.function_name.replace("-", "").replace("_", "").isalnum():
        raise DeployError(f"--function-name {opts.function_name!r}: letters, digits, - and _ only, at most 64")
    overrides = {"site": {"url": opts.site_url.rstrip("/")}} if opts.site_url else {}
    raw = read_toml(opts.config_path)  # a missing or broken file: one line, before anything else
    if not (raw.get("state") or {}).get("secret"):
        # kept in SSM so a fresh checkout (CI) builds the same zip for the same inputs
        current, older = state_secrets(
            clients.ssm, parameter_name("function", opts.function_name), progress, rotate=opts.rotate_state_secret
        )
        overrides["state"] = {"secret": current, **({"previous_secrets": older} if older else {})}
    overrides = overrides or None

    progress.step("building the gate")
    data = build_gate_zip(builder, opts.config_path, jwks_file=opts.jwks_file, out=opts.zip_out, overrides=overrides)
    sha = sha256_b64(data)
    progress.note(f"{opts.zip_out}: {len(data)} bytes, sha256 {sha}")

    progress.step(f"publishing {opts.function_name} in {EDGE_REGION}")
    lam, iam = clients.lambda_, clients.iam
    account = clients.sts.get_caller_identity()["Account"]
    try:
        current = lam.get_function(FunctionName=opts.function_name)["Configuration"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") != "ResourceNotFoundException":
            raise
        current = None
    if current is None:
        role_arn, _ = ensure_role(
            iam, opts.role_name or default_role_name(opts.function_name), opts.function_name, account, progress
        )
        create_function(lam, opts.function_name, role_arn, data, progress, sleep)
    else:
        try:
            check_trust(iam.get_role(RoleName=_role_name_of(current["Role"]))["Role"], progress)
        except ClientError as exc:
            progress.note(
                f"could not read the function's role to check its trust policy "
                f"({exc.response.get('Error', {}).get('Code')})"
            )
        update_function(lam, opts.function_name, current, data, progress)
    version = lam.publish_version(FunctionName=opts.function_name, CodeSha256=sha, Description=f"gate code {sha}")
    arn = version["FunctionArn"]
    if not arn.rsplit(":", 1)[-1].isdigit():
        # Lambda: "the version number ... increments"; only $LATEST is unnumbered ("Lambda function versions")
        raise DeployError(f"Lambda returned {arn}, not a numbered version; publish again")

    progress.step("done")
    progress.note(
        "attach it: CloudFront console -> your distribution -> Behaviors -> edit the behavior -> "
        "Function associations -> Viewer request: Lambda@Edge, paste the ARN below -> Save"
    )
    config = final_config(opts.config_path, overrides)
    site = opts.site_url or (config.site_url if config is not None else "")
    if site:
        report_urls(config, site, clients, progress)
    else:
        progress.note(
            "register https://<your site>/_gate/callback (callback) and "
            "https://<your site>/_gate/signed-out (sign-out) with your identity provider"
        )
    progress.result("Function version ARN", arn)
    return arn
