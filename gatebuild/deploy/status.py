"""`deploy.py status`: check a deployed (or console-associated) distribution and say what is wrong.

Read-only. Looks at what CloudFront refuses or what breaks sign-in after the association:
every behavior runs a numbered version on viewer request, the gate's refresh path may be POSTed
(CloudFront's first-matching behavior allows it), the function's settings are what Lambda@Edge
accepts, its role trusts edgelambda.amazonaws.com, no error mapping replaces the gate's 403 page
or the origins' 404s, and the Cognito app client allows the gate's URLs.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from botocore.exceptions import ClientError

from gatebuild.lambda_edge_rules import EDGE_PYTHON_RUNTIMES, NUMBERED_VERSION_ARN

from . import CALLBACK_PATH, EDGE_REGION, MEMORY_MB, SIGNED_OUT_PATH, TIMEOUT_S
from .errors import DeployError
from .progress import Progress
from .publish import TRUSTED_SERVICES, _trusted

COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/(.+)$")


@dataclass
class Report:
    ok: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)

    def good(self, text: str) -> None:
        self.ok.append(text)

    def bad(self, text: str) -> None:
        self.problems.append(text)


def _code(exc: ClientError) -> str:
    return exc.response.get("Error", {}).get("Code", "")


def check_behaviors(config: dict, report: Report) -> list[str]:
    """Associations of every behavior; returns the version ARNs found."""
    behaviors = [("default (*)", config.get("DefaultCacheBehavior") or {})]
    behaviors += [(b.get("PathPattern", "?"), b) for b in (config.get("CacheBehaviors") or {}).get("Items") or []]
    arns: list[str] = []
    for label, behavior in behaviors:
        items = (behavior.get("LambdaFunctionAssociations") or {}).get("Items") or []
        viewer = [a for a in items if a.get("EventType") == "viewer-request"]
        if not viewer:
            report.bad(
                f"behavior {label}: no Lambda@Edge function on viewer request: its content is served "
                "without the gate; associate the gate's version ARN there too"
            )
            continue
        arn = viewer[0].get("LambdaFunctionARN", "")
        match = NUMBERED_VERSION_ARN.match(arn)
        if not match or not match.group("qualifier").isdigit():
            report.bad(
                f"behavior {label}: viewer request runs {arn}, not a numbered version (ending in :<number>); "
                "CloudFront needs a numbered version, never $LATEST or an alias"
            )
            continue
        if match.group("region") != EDGE_REGION:
            report.bad(f"behavior {label}: {arn} is not in {EDGE_REGION}")
            continue
        if viewer[0].get("IncludeBody"):
            report.bad(f"behavior {label}: Include body is on; the gate never reads the body: turn it off")
        if behavior.get("ViewerProtocolPolicy") == "allow-all":
            report.bad(
                f"behavior {label}: viewers may use plain HTTP; the gate's cookies are Secure, so sign-in "
                "fails there: set Redirect HTTP to HTTPS"
            )
        report.good(f"behavior {label}: viewer request runs {arn}")
        arns.append(arn)
    return arns


def check_gate_methods(config: dict, report: Report, paths: tuple[str, ...] = ("/_gate/refresh",)) -> None:
    """The behavior each gate path falls into (CloudFront's first match) must allow POST: the
    site's session module POSTs the refresh path, and a behavior allowing GET/HEAD/OPTIONS only
    answers with CloudFront's own 403 before the gate runs
    (https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/http-403-invalid-method.html)."""
    from gatebuild.cf_paths import path_matches

    behaviors = list((config.get("CacheBehaviors") or {}).get("Items") or [])
    behaviors.append({**(config.get("DefaultCacheBehavior") or {}), "PathPattern": "*"})
    for path in paths:
        chosen = next(b for b in behaviors if path_matches(b.get("PathPattern", "*"), path))
        label = "default (*)" if chosen["PathPattern"] == "*" else chosen["PathPattern"]
        methods = (chosen.get("AllowedMethods") or {}).get("Items") or ["GET", "HEAD"]
        if "POST" not in methods:
            report.bad(
                f"behavior {label}: {path} falls into it, and it does not allow POST, so CloudFront refuses "
                "the site's refresh with its own 403; add a /_gate/* behavior first with all methods "
                "(docs/deploy.md)"
            )
        else:
            report.good(f"behavior {label}: {path} may be POSTed")


def check_error_pages(config: dict, report: Report) -> None:
    """A custom error response is distribution-wide and answers what CloudFront or the origin
    refused, after the gate: a 403 mapped to a page answers CloudFront's own 403s (a method the
    behavior does not allow, a refused signed cookie) and the gate's with the app and the code
    the mapping names (200); a 404 mapped to /index.html turns the API's 404s and missing assets
    into the app's HTML. The gate serves client-side routes itself ([site] spa)."""
    fine = True
    for item in (config.get("CustomErrorResponses") or {}).get("Items") or []:
        page, code = item.get("ResponsePagePath"), item.get("ResponseCode") or item.get("ErrorCode")
        if int(item.get("ErrorCode", 0)) == 403 and page:
            report.bad(
                f"error page: 403 is answered with {page} ({code}); that hides the gate's own 403 page (no access) "
                "and is a bypass: CloudFront's own 403s (a method the behavior does not allow, a refused signed "
                f"cookie) would be answered with {page} as {code}; remove the 403 error response"
            )
            fine = False
        elif int(item.get("ErrorCode", 0)) == 404 and page:
            report.bad(
                f"error page: 404 is answered with {page} ({code}); that turns the API's 404s and missing assets "
                "into the app's HTML; remove it: the gate sends client-side routes to /index.html itself "
                "([site] spa, on by default)"
            )
            fine = False
    if fine:
        report.good("error pages: the gate's 403 page and the origins' 404s reach the viewer")


def check_function(lam, iam, arn: str, report: Report) -> None:
    try:
        config = lam.get_function_configuration(FunctionName=arn)
    except ClientError as exc:
        report.bad(f"function {arn}: cannot be read ({_code(exc)}); it must exist in {EDGE_REGION}")
        return
    where = f"function {arn}"
    before = len(report.problems)
    if config.get("Runtime") not in EDGE_PYTHON_RUNTIMES:
        report.bad(f"{where}: runtime {config.get('Runtime')} (the gate ships for python3.13)")
    if config.get("Handler") != "edge.handler.handler":
        report.bad(f"{where}: handler {config.get('Handler')}, expected edge.handler.handler")
    if int(config.get("MemorySize", 128)) > MEMORY_MB or int(config.get("Timeout", 3)) > TIMEOUT_S:
        report.bad(
            f"{where}: {config.get('MemorySize')} MB / {config.get('Timeout')} s; a viewer-request "
            f"function may have at most {MEMORY_MB} MB and {TIMEOUT_S} s"
        )
    if (config.get("Environment") or {}).get("Variables"):
        report.bad(f"{where}: has environment variables, which Lambda@Edge refuses")
    if config.get("Layers"):
        report.bad(f"{where}: uses layers, which Lambda@Edge refuses")
    if (config.get("Architectures") or ["x86_64"]) != ["x86_64"]:
        report.bad(f"{where}: architecture {config.get('Architectures')}; Lambda@Edge runs x86_64 only")
    if (config.get("DeadLetterConfig") or {}).get("TargetArn"):
        report.bad(f"{where}: has a dead-letter queue, which Lambda@Edge does not support")
    if (config.get("TracingConfig") or {}).get("Mode") == "Active":
        report.bad(f"{where}: X-Ray tracing is on, which Lambda@Edge does not support")
    if (config.get("VpcConfig") or {}).get("SubnetIds"):
        report.bad(f"{where}: runs in a VPC, which Lambda@Edge does not support")
    if len(report.problems) == before:
        report.good(
            f"{where}: {config.get('Runtime')}, {config.get('MemorySize')} MB, {config.get('Timeout')} s, "
            "no environment, no layers"
        )
    role_arn = config.get("Role", "")
    try:
        role = iam.get_role(RoleName=role_arn.rsplit("/", 1)[-1])["Role"]
    except ClientError as exc:
        report.bad(f"role {role_arn}: cannot be read ({_code(exc)}) to check its trust policy")
        return
    document = role.get("AssumeRolePolicyDocument") or {}
    if isinstance(document, str):
        from urllib.parse import unquote

        document = json.loads(unquote(document))
    missing = [s for s in TRUSTED_SERVICES if s not in _trusted(document)]
    if missing:
        report.bad(
            f"role {role['RoleName']}: does not trust {' and '.join(missing)}; CloudFront refuses to "
            "replicate the function: add it to the role's trust policy"
        )
    else:
        report.good(f"role {role['RoleName']}: trusts lambda.amazonaws.com and edgelambda.amazonaws.com")


def site_urls(config: dict) -> list[str]:
    aliases = (config.get("Aliases") or {}).get("Items") or []
    return [f"https://{a}" for a in aliases]


def check_app_client(cognito, pool_id: str, client_id: str, site_url: str, report: Report) -> None:
    try:
        client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except ClientError as exc:
        report.bad(f"Cognito app client {client_id}: cannot be read ({_code(exc)})")
        return
    site = site_url.rstrip("/")
    fine = True
    for label, key, url in (
        ("callback", "CallbackURLs", site + CALLBACK_PATH),
        ("sign-out", "LogoutURLs", site + SIGNED_OUT_PATH),
    ):
        if url not in (client.get(key) or []):
            report.bad(
                f"Cognito app client {client_id}: {label} URL {url} is not allowed: "
                + ("sign-in fails with redirect_mismatch" if label == "callback" else "sign-out fails")
            )
            fine = False
    if fine:
        report.good(f"Cognito app client {client_id}: allows {site}{CALLBACK_PATH} and {site}{SIGNED_OUT_PATH}")


def status(
    clients,
    progress: Progress,
    *,
    stack_name: str | None = None,
    distribution_id: str | None = None,
    site_url: str | None = None,
    pool_id: str | None = None,
    client_id: str | None = None,
    cognito_region: str = EDGE_REGION,
) -> Report:
    report = Report()
    if stack_name:
        try:
            stack = clients.cloudformation.describe_stacks(StackName=stack_name)["Stacks"][0]
        except ClientError as exc:
            if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
                raise DeployError(f"stack {stack_name} does not exist in {EDGE_REGION}; check --stack-name") from None
            raise
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        report.good(f"stack {stack_name}: {stack['StackStatus']}")
        if not stack["StackStatus"].endswith("_COMPLETE") or "ROLLBACK" in stack["StackStatus"]:
            report.bad(f"stack {stack_name} is {stack['StackStatus']}; run deploy.py stack again (or see its events)")
        distribution_id = distribution_id or outputs.get("DistributionId")
        site_url = site_url or outputs.get("SiteUrl")
        pool_id = pool_id or outputs.get("UserPoolId")
        client_id = client_id or outputs.get("UserPoolClientId")
    if not distribution_id:
        raise DeployError("say which distribution: --stack-name NAME or --distribution-id ID")
    config = clients.cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    arns = check_behaviors(config, report)
    check_gate_methods(config, report)
    check_error_pages(config, report)
    for arn in sorted(set(arns)):
        check_function(clients.lambda_, clients.iam, arn, report)
    if not site_url:
        urls = site_urls(config)
        site_url = urls[0] if urls else None
    if pool_id and client_id and site_url:
        check_app_client(clients.regional("cognito-idp", cognito_region), pool_id, client_id, site_url, report)
    elif site_url:
        report.good(
            f"identity provider: register {site_url}{CALLBACK_PATH} (callback) and "
            f"{site_url}{SIGNED_OUT_PATH} (sign-out); not checked without a Cognito pool"
        )
    for line in report.ok:
        progress.result("ok", line)
    for line in report.problems:
        progress.result("problem", line)
    return report


def cognito_of(config) -> tuple[str | None, str | None, str]:
    """(pool id, client id, region) from a validated gate config with a Cognito issuer."""
    match = COGNITO_ISSUER.match(getattr(config, "issuer", "") or "")
    if not match or config.provider != "cognito":
        return None, None, EDGE_REGION
    return match.group(2), config.client_id, match.group(1)
