"""`deploy.py stack`: the whole protected site from one command, with CloudFormation.

The chicken-and-egg: the zip must contain the site's URL (and the Cognito client the stack
creates), but those exist only once the stack does. So:

  phase 1  create or update the stack's infrastructure; a new stack starts with a bootstrap
           function that answers 503 to everyone (fail closed), an existing one keeps its code;
  build    read the outputs (site URL, pool, client and its secret), build the real zip with
           them as config overrides, upload it to the artifact bucket (content-addressed key);
  phase 2  update only the Code* parameters: a new CodeSha256 publishes a new numbered
           version and the distribution's viewer request moves to it;
  site     upload site/dist with content types and cache headers, invalidate /*.

Each phase is a no-op when nothing changed, so running the command again is always safe.
"""

from __future__ import annotations

import os
import re
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from botocore.exceptions import ClientError

from gatebuild.config import read_toml
from gatebuild.site_policy import CSP_MAX, DEFAULT_CSP, CspError, site_csp  # noqa: F401 (CSP_MAX, DEFAULT_CSP re-exported)

from . import EDGE_REGION
from .clients import Clients
from .cognito import client_secret, report_urls
from .errors import DeployError, hint_for
from .gatezip import (
    Builder,
    bootstrap_zip,
    build_gate_zip,
    final_config,
    overrides_from_outputs,
    prevalidate,
    sha256_b64,
    sha256_hex,
    write_minimal_config,
)
from .logs import ensure_retention
from .preflight import preflight
from .progress import Progress
from .state_secret import parameter_name, state_secrets
from .upload import (
    STALE_GRACE_DAYS,
    artifact_bucket_name,
    artifact_key,
    ensure_artifact_bucket,
    invalidate_all,
    prune_site,
    read_state,
    refresh_artifact,
    restore_artifact,
    site_files,
    upload_artifact,
    upload_site,
    write_state,
)

ROOT = Path(__file__).resolve().parents[2]
TEMPLATE_PATH = ROOT / "cloudformation.yaml"
STACK_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9-]{0,58}$")  # "<name>-site" (the OAC) must fit 64
DOMAIN_PREFIX = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$")
ALIAS = re.compile(r"^(?=.{1,253}$)(\*\.)?([A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$")
CERT_ARN = re.compile(r"^arn:aws[a-z-]*:acm:(?P<region>[a-z0-9-]+):\d{12}:certificate/[A-Za-z0-9-]+$")
CODE_PARAMETERS = ("CodeBucket", "CodeKey", "CodeSha256")
SUCCESS = {"CREATE_COMPLETE", "UPDATE_COMPLETE", "IMPORT_COMPLETE"}
NOT_UPDATABLE = {
    "ROLLBACK_COMPLETE": "the stack's first creation failed and it can only be deleted: "
    "aws cloudformation delete-stack --stack-name {name} --region us-east-1, then run this again",
    "ROLLBACK_FAILED": "its rollback failed, usually on the Lambda@Edge function, whose replicas take hours to "
    "go. Delete it: aws cloudformation delete-stack --stack-name {name} --region us-east-1; "
    "if that ends in DELETE_FAILED on GateFunction, run it again with --retain-resources "
    "GateFunction. Then run this again (the new stack names its function anew) and delete the "
    "old function a few hours later (aws lambda delete-function)",
    # ContinueUpdateRollback (CloudFormation API reference): ResourcesToSkip names resources in
    # UPDATE_FAILED that CloudFormation then marks UPDATE_COMPLETE without rolling them back; a
    # plain retry fails the same way when the cause (e.g. a deleted zip) is still there.
    "UPDATE_ROLLBACK_FAILED": "its last rollback failed{failed}. Fix the cause if you can (the events in the "
    "CloudFormation console say it), then: aws cloudformation continue-update-rollback --stack-name {name} "
    "--region us-east-1, and if it fails again on the same resource, skip it: aws cloudformation "
    "continue-update-rollback --stack-name {name} --region us-east-1 --resources-to-skip {skip} "
    "(CloudFormation then keeps that resource as it is now); wait for UPDATE_ROLLBACK_COMPLETE and run this again",
    "DELETE_FAILED": "deleting it failed, usually on Lambda@Edge replicas; wait a few hours and delete it again, "
    "or now with aws cloudformation delete-stack --stack-name {name} --region us-east-1 "
    "--retain-resources GateFunction (see docs/deploy.md, Teardown)",
    "DELETE_IN_PROGRESS": "it is being deleted; wait until that finishes",
}


@dataclass
class StackOptions:
    stack_name: str
    config_path: str | None = None
    cognito_domain_prefix: str | None = None
    allow_self_sign_up: bool | None = None
    aliases: list[str] = field(default_factory=list)
    certificate_arn: str | None = None
    price_class: str | None = None
    csp_file: str | None = None
    hsts_include_subdomains: bool | None = None
    hsts_preload: bool | None = None
    log_retention_days: int | None = None
    api_domain: str | None = None  # issue 13: the API origin behind ApiPathPattern ("" removes it)
    api_path: str | None = None
    # issue 23: the asset-cookie public keys by slot ("A"/"B": PEM, "" for none) and the asset pattern
    asset_keys: dict[str, str] | None = None
    asset_path: str | None = None
    rotate_state_secret: bool = False
    rotate_asset_key: bool = False  # issue 23: a new asset-cookie key, the old one trusted for an overlap window
    keep_old_assets_days: float = STALE_GRACE_DAYS
    site_dir: str = "site/dist"
    skip_site: bool = False
    invalidate: bool = True
    jwks_file: str | None = None
    zip_out: str = "dist/edge.zip"
    artifact_bucket: str | None = None
    template_path: str = str(TEMPLATE_PATH)
    check_permissions: bool = True  # first deploy: IAM's policy simulator (preflight.py)
    poll_seconds: float = 5.0
    timeout_seconds: float = 3600.0


# --------------------------------------------------------------------------- local checks


def read_csp(path: str | None, progress: Progress, site_dir: str | None = None) -> str:
    """The site's CSP, from gatebuild.site_policy (the local emulator reads the same)."""
    try:
        chosen = site_csp(site_dir, path)
    except CspError as exc:
        raise DeployError(str(exc)) from None
    if chosen.source == "default":
        progress.note(
            "no csp.txt beside the site and no --csp-file: using the default (same-origin only) Content-Security-Policy"
        )
    else:
        progress.note(f"Content-Security-Policy from {chosen.source}")
    return chosen.policy


def check_options(opts: StackOptions) -> None:
    if not STACK_NAME.match(opts.stack_name):
        raise DeployError(
            f"--stack-name {opts.stack_name!r}: use a letter then letters, digits or hyphens, at most 59 "
            "characters (the origin access control is named <stack>-site, at most 64)"
        )
    if opts.cognito_domain_prefix is not None and not DOMAIN_PREFIX.match(opts.cognito_domain_prefix):
        raise DeployError(
            f"--cognito-domain-prefix {opts.cognito_domain_prefix!r}: lower-case letters, digits and hyphens only"
        )
    if opts.cognito_domain_prefix and re.search(r"aws|amazon|cognito", opts.cognito_domain_prefix):
        raise DeployError("--cognito-domain-prefix: Cognito refuses prefixes containing aws, amazon or cognito")
    for alias in opts.aliases:
        if not ALIAS.match(alias):
            raise DeployError(f"--alias {alias!r} is not a domain name such as www.example.com")
    if opts.aliases and not opts.certificate_arn:
        raise DeployError("--alias needs --certificate-arn: an ACM certificate in us-east-1 covering the aliases")
    if opts.certificate_arn:
        match = CERT_ARN.match(opts.certificate_arn)
        if not match:
            raise DeployError(f"--certificate-arn {opts.certificate_arn!r} is not an ACM certificate ARN")
        if match.group("region") != EDGE_REGION:
            raise DeployError(
                f"--certificate-arn is in {match.group('region')}; CloudFront only uses ACM certificates from "
                "us-east-1: request or import one there"
            )
    if opts.jwks_file and not os.path.isfile(opts.jwks_file):
        raise DeployError(f"--jwks-file {opts.jwks_file}: no such file")
    if opts.hsts_preload and opts.hsts_include_subdomains is False:
        raise DeployError("--hsts-preload needs --hsts-include-subdomains (browsers' preload lists require it)")


def check_change(opts: StackOptions, previous: dict[str, str] | None) -> None:
    """Refuse, before anything starts, a change CloudFormation would fail on halfway."""
    if not previous:
        return
    old_prefix = previous.get("CognitoDomainPrefix", "")
    if opts.cognito_domain_prefix and old_prefix and opts.cognito_domain_prefix != old_prefix:
        raise DeployError(
            f"--cognito-domain-prefix {opts.cognito_domain_prefix}: stack {opts.stack_name} already has the hosted UI "
            f"at {old_prefix}; a user pool takes only one domain and CloudFormation would have to replace it, "
            "which fails. Keep the prefix (leave the option out), or see docs/deploy.md, Changing the Cognito "
            "domain prefix"
        )


DEFAULT_API_PATH = "/api/*"  # cloudformation.yaml's ApiPathPattern default


def check_api_origin(opts: StackOptions, previous: dict[str, str] | None, config, config_path: str) -> None:
    """The stack's API origin and the config's [[apis]] must describe the same paths.

    With an API origin but no [[apis]] covering its path pattern, requests there reach the API
    through a behavior whose gate treats them as ordinary pages (no bearer, no CSRF check, no JSON
    401s); with [[apis]] but no API origin, they reach the site bucket. Both refused before
    anything changes. "Covering": no path CloudFront sends to the API escapes every [[apis]]
    pattern (gatebuild/config/globs.py decides it exactly; CloudFront's '*' and '?' mean what the
    gate's mean: "Path pattern", CloudFront developer guide)."""
    from gatebuild.config.globs import TooComplex, witness

    domain = opts.api_domain if opts.api_domain is not None else (previous or {}).get("ApiDomainName", "")
    path = opts.api_path or (previous or {}).get("ApiPathPattern") or DEFAULT_API_PATH
    apis = [pattern for api in getattr(config, "apis", ()) or () for pattern in api.paths]
    if domain and not apis:
        raise DeployError(
            f"--api-domain {domain}: {config_path} has no [[apis]], so the gate would send {path} to the API "
            f'without the person\'s token or its API checks; add [[apis]] paths = ["{path}"] to the config, or '
            'drop the API origin with --api-domain ""'
        )
    if domain:
        try:
            escaped = witness([path], apis)
        except TooComplex:
            escaped = None if path in apis else path
        if escaped is not None:
            raise DeployError(
                f"--api-path {path}: CloudFront sends it to the API at {domain}, but {config_path}'s [[apis]] "
                f"paths {apis} do not cover it (e.g. {escaped}); make them match (e.g. [[apis]] paths = "
                f'["{path}"]) or pass --api-path with the pattern the config names'
            )
    elif apis:
        raise DeployError(
            f"{config_path} has [[apis]] (paths {apis}) but the stack has no API origin, so those requests would "
            f"reach the site's bucket; pass --api-domain with the API's domain name (and --api-path "
            f"{apis[0]} if it is not {DEFAULT_API_PATH}), or remove [[apis]] from the config"
        )


def previous_site_url(opts: StackOptions, stack: dict | None) -> str:
    """The site URL to keep registered during this deploy ("" when it does not change)."""
    if not stack or not opts.aliases:
        return parameters_of(stack).get("PreviousSiteUrl", "") if stack else ""
    old = outputs_of(stack).get("SiteUrl", "").rstrip("/")
    new = f"https://{opts.aliases[0]}"
    return old if old and old != new else parameters_of(stack).get("PreviousSiteUrl", "")


# --------------------------------------------------------------------------- CloudFormation


def describe(cfn, name: str) -> dict | None:
    try:
        return cfn.describe_stacks(StackName=name)["Stacks"][0]
    except ClientError as exc:
        message = exc.response.get("Error", {}).get("Message", "")
        if exc.response.get("Error", {}).get("Code") == "ValidationError" and "does not exist" in message:
            return None
        raise


def rollback_failures(cfn, name: str) -> list[str]:
    """Resources that failed the stack's last update rollback (newest events first, up to the
    UPDATE_ROLLBACK_IN_PROGRESS that started it): what --resources-to-skip may name."""
    failed: list[str] = []
    try:
        events = cfn.describe_stack_events(StackName=name).get("StackEvents") or []
    except ClientError:
        return failed
    for event in events:
        if event.get("LogicalResourceId") == name and event.get("ResourceStatus") == "UPDATE_ROLLBACK_IN_PROGRESS":
            break
        if event.get("ResourceStatus") == "UPDATE_FAILED" and event.get("LogicalResourceId") not in failed:
            failed.append(event["LogicalResourceId"])
    return failed


def not_updatable_advice(status: str, name: str, failed: list[str] | None = None) -> str:
    failed = [f for f in failed or [] if f != name]
    return NOT_UPDATABLE[status].format(
        name=name,
        failed=f" on {', '.join(failed)}" if failed else "",
        skip=" ".join(failed) if failed else "<the LogicalResourceId in UPDATE_FAILED>",
    )


def check_updatable(stack: dict | None, name: str, cfn=None) -> None:
    if stack is None:
        return
    status = stack["StackStatus"]
    if status in NOT_UPDATABLE:
        failed = rollback_failures(cfn, name) if cfn is not None and status == "UPDATE_ROLLBACK_FAILED" else []
        raise DeployError(f"stack {name} is in {status}: " + not_updatable_advice(status, name, failed))
    if status.endswith("_IN_PROGRESS"):
        raise DeployError(
            f"stack {name} is in {status}: another operation is running; wait for it to finish "
            "(CloudFormation console or aws cloudformation describe-stacks), then run this again"
        )


def outputs_of(stack: dict) -> dict[str, str]:
    return {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}


def parameters_of(stack: dict | None) -> dict[str, str]:
    if not stack:
        return {}
    return {p["ParameterKey"]: p.get("ParameterValue", "") for p in stack.get("Parameters") or []}


def asset_signing(opts: StackOptions, config_path: str, name: str, clients, progress: Progress, clock):
    """[assets] signed_cookies (issue 23): the key slots' public keys into opts (the template's
    AssetPublicKeyA/B and AssetPathPattern), and (current slot, its key) for the build; off:
    both slots emptied, so the assets behavior runs the gate again, and None."""
    from gatebuild.config import read_toml

    from .asset_key import asset_keys
    from .asset_key import parameter_name as asset_parameter

    assets = read_toml(config_path).get("assets") or {}
    patterns = assets.get("paths", ["/assets/*"])
    if not assets.get("signed_cookies"):
        opts.asset_keys = None
        if opts.rotate_asset_key:
            progress.warn("--rotate-asset-key: [assets] signed_cookies is off, there is no asset key to rotate")
        return None
    if len(patterns) != 1:
        raise DeployError(
            f"[assets] paths has {len(patterns)} patterns; the template has one signed asset behavior "
            "(AssetPathPattern): give one pattern, or set signed_cookies = false"
        )
    pems, slot, key = asset_keys(
        clients.ssm, asset_parameter("stack", name), progress, rotate=opts.rotate_asset_key, now=clock()
    )
    opts.asset_keys = pems
    opts.asset_path = patterns[0]
    return slot, key


def stack_parameters(
    opts: StackOptions,
    csp: str,
    previous: dict[str, str] | None,
    code: tuple[str, str, str] | None,
    declared: set[str] | None = None,
) -> list[dict]:
    """Parameters for create/update: what the user gave; on update the rest keep their values.

    Earlier values are passed explicitly (as read from describe_stacks), which is what
    UsePreviousValue would do; `declared` (the template's parameter names) drops any the
    template no longer has.
    """
    given: dict[str, str] = {"ContentSecurityPolicy": csp}
    if opts.cognito_domain_prefix:
        given["CreateCognito"] = "true"
        given["CognitoDomainPrefix"] = opts.cognito_domain_prefix
    elif previous is None:
        given["CreateCognito"] = "false"
    if opts.allow_self_sign_up is not None:
        given["AllowSelfSignUp"] = "true" if opts.allow_self_sign_up else "false"
    if opts.aliases:
        given["Aliases"] = ",".join(opts.aliases)
    if opts.certificate_arn:
        given["CertificateArn"] = opts.certificate_arn
    if opts.price_class:
        given["PriceClass"] = opts.price_class
    for key, value in (("HstsIncludeSubdomains", opts.hsts_include_subdomains), ("HstsPreload", opts.hsts_preload)):
        if value is not None:
            given[key] = "true" if value else "false"
    if opts.hsts_preload:
        given["HstsIncludeSubdomains"] = "true"
    if opts.log_retention_days is not None:
        given["LogRetentionDays"] = str(opts.log_retention_days)
    if opts.api_domain is not None:
        given["ApiDomainName"] = opts.api_domain
    if opts.api_path:
        given["ApiPathPattern"] = opts.api_path
    if opts.asset_keys is not None:
        given["AssetPublicKeyA"] = opts.asset_keys.get("A", "")
        given["AssetPublicKeyB"] = opts.asset_keys.get("B", "")
    else:  # signed cookies off: a key left from before is dropped, so the gate runs on the assets again
        given.update({k: "" for k in ("AssetPublicKeyA", "AssetPublicKeyB") if (previous or {}).get(k)})
    if opts.asset_path:
        given["AssetPathPattern"] = opts.asset_path
    if code:
        given.update(zip(CODE_PARAMETERS, code, strict=False))
    # a first creation that fails must be able to delete its (empty) pool: protection comes on
    # with the first update, which the same deploy makes right after (see cloudformation.yaml)
    given["CognitoDeletionProtection"] = "INACTIVE" if previous is None else "ACTIVE"
    for key, value in (previous or {}).items():
        given.setdefault(key, value)
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in given.items() if declared is None or k in declared]


def code_parameters(previous: dict[str, str], code: tuple[str, str, str], declared: set[str]) -> list[dict]:
    """Phase 2: new code, every other parameter exactly as phase 1 left it."""
    values = {**previous, **dict(zip(CODE_PARAMETERS, code, strict=False)), "CognitoDeletionProtection": "ACTIVE"}
    return [{"ParameterKey": k, "ParameterValue": v} for k, v in values.items() if k in declared]


def read_template(path: str) -> tuple[str, set[str]]:
    """The template's text and parameter names, refused if it breaks a Lambda@Edge rule."""
    from cfnlint.decode import decode_str

    from gatebuild.lambda_edge_rules import check_template

    with open(path, encoding="utf-8") as f:
        body = f.read()
    template, matches = decode_str(body)
    if template is None:
        raise DeployError(f"{path} cannot be read: {matches[0].message if matches else 'not a template'}")
    problems = check_template(template, region=EDGE_REGION)
    if problems:
        raise DeployError(f"{path}: {problems[0]}" + (f" (and {len(problems) - 1} more)" if len(problems) > 1 else ""))
    return body, set(template.get("Parameters") or {})


def declared_parameters(template_body: str) -> set[str]:
    from cfnlint.decode import decode_str

    template, _ = decode_str(template_body)
    return set((template or {}).get("Parameters") or {})


def _newest_event_id(cfn, name: str) -> str | None:
    try:
        events = cfn.describe_stack_events(StackName=name).get("StackEvents") or []
    except ClientError:
        return None
    return events[0]["EventId"] if events else None


def _events_since(cfn, name: str, marker: str | None) -> list[dict]:
    """Events newer than `marker`, oldest first."""
    fresh: list[dict] = []
    token = None
    while True:
        kwargs = {"StackName": name, **({"NextToken": token} if token else {})}
        page = cfn.describe_stack_events(**kwargs)
        for event in page.get("StackEvents") or []:
            if event["EventId"] == marker:
                return list(reversed(fresh))
            fresh.append(event)
        token = page.get("NextToken")
        if not token or (marker is None and len(fresh) > 500):
            return list(reversed(fresh))


def wait_for_stack(
    cfn,
    name: str,
    marker: str | None,
    progress: Progress,
    *,
    poll: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
) -> dict:
    """Print events as they arrive until the stack settles; return it, or raise on failure."""
    started = clock()
    seen: set[str] = set()
    operation: list[dict] = []
    last_print = started
    while True:
        for event in _events_since(cfn, name, marker):
            if event["EventId"] in seen:
                continue
            seen.add(event["EventId"])
            operation.append(event)
            progress.stack_event(event)
            last_print = clock()
        stack = cfn.describe_stacks(StackName=name)["Stacks"][0]
        status = stack["StackStatus"]
        if not status.endswith("_IN_PROGRESS"):
            if status in SUCCESS:
                return stack
            raise DeployError(_failure_line(name, status, stack, operation))
        now = clock()
        if now - started > timeout:
            raise DeployError(
                f"stack {name} is still {status} after {int(timeout // 60)} minutes; follow it in the "
                "CloudFormation console and run this command again once it has finished"
            )
        if now - last_print >= 120:
            progress.note(f"still {status} (CloudFront distributions take 5-15 minutes)")
            last_print = now
        sleep(poll)


def _failure_line(name: str, status: str, stack: dict, events: list[dict]) -> str:
    cancelled = ("cancelled", "canceled")
    cause = next(
        (
            e
            for e in events
            if e.get("ResourceStatus", "").endswith("_FAILED")
            and e.get("ResourceStatusReason")
            and not any(c in e["ResourceStatusReason"].lower() for c in cancelled)
        ),
        None,
    )
    if cause:
        reason = f"{cause['LogicalResourceId']} ({cause.get('ResourceType', '')}): {cause['ResourceStatusReason']}"
    else:
        reason = stack.get("StackStatusReason") or "see the events above"
    reason = " ".join(reason.split())
    line = f"stack {name} ended in {status}: {reason}"
    hint = hint_for(reason, name)
    if hint:
        line += f"; {hint}"
    if status == "ROLLBACK_COMPLETE":
        line += f"; the failed stack must be deleted before trying again (aws cloudformation delete-stack --stack-name {name} --region us-east-1)"
    if status == "UPDATE_ROLLBACK_FAILED":
        start = max(
            (i for i, e in enumerate(events) if e.get("ResourceStatus") == "UPDATE_ROLLBACK_IN_PROGRESS"), default=-1
        )
        failed = [e["LogicalResourceId"] for e in events[start + 1 :] if e.get("ResourceStatus") == "UPDATE_FAILED"]
        line += "; " + not_updatable_advice(status, name, list(dict.fromkeys(failed)))
    return line


def apply(
    cfn,
    name: str,
    template_body: str,
    parameters: list[dict],
    exists: bool,
    progress: Progress,
    *,
    poll: float,
    timeout: float,
    sleep: Callable[[float], None] = time.sleep,
) -> tuple[dict, bool]:
    """Create or update the stack and wait. Returns (stack, whether anything changed)."""
    marker = _newest_event_id(cfn, name) if exists else None
    kwargs = {
        "StackName": name,
        "TemplateBody": template_body,
        "Parameters": parameters,
        "Capabilities": ["CAPABILITY_IAM"],
    }
    if exists:
        try:
            cfn.update_stack(**kwargs)
        except ClientError as exc:
            if "No updates are to be performed" in exc.response.get("Error", {}).get("Message", ""):
                progress.note("no changes")
                return cfn.describe_stacks(StackName=name)["Stacks"][0], False
            raise
    else:
        cfn.create_stack(**kwargs, Tags=[{"Key": "gate:stack", "Value": name}])
    return wait_for_stack(cfn, name, marker, progress, poll=poll, timeout=timeout, sleep=sleep), True


# --------------------------------------------------------------------------- CloudFront


def verify_association(cloudfront, distribution_id: str, version_arn: str, progress: Progress) -> bool:
    """Check every behavior of the distribution runs exactly this version on viewer request."""
    config = cloudfront.get_distribution_config(Id=distribution_id)["DistributionConfig"]
    behaviors = [("default", config.get("DefaultCacheBehavior") or {})]
    behaviors += [(b.get("PathPattern", "?"), b) for b in (config.get("CacheBehaviors") or {}).get("Items") or []]
    fine = True
    for label, behavior in behaviors:
        items = (behavior.get("LambdaFunctionAssociations") or {}).get("Items") or []
        found = [a.get("LambdaFunctionARN") for a in items if a.get("EventType") == "viewer-request"]
        if found != [version_arn]:
            progress.warn(
                f"distribution {distribution_id} behavior {label} runs {found or 'no function'} on viewer request, "
                f"expected {version_arn}; check the stack's Distribution resource"
            )
            fine = False
    return fine


# --------------------------------------------------------------------------- the command


def deploy_stack(
    opts: StackOptions,
    clients: Clients,
    progress: Progress,
    builder: Builder | None = None,
    sleep: Callable[[float], None] = time.sleep,
    clock: Callable[[], float] = time.time,
) -> dict[str, str]:
    """The one deploy command. Returns the stack's final outputs."""
    check_options(opts)
    csp = read_csp(opts.csp_file, progress, opts.site_dir)  # also with --skip-site: never reset the policy
    if not opts.skip_site:
        site_files(opts.site_dir)  # fail now, not after 15 minutes of CloudFormation
    template_body, declared = read_template(opts.template_path)
    name = opts.stack_name

    progress.step(f"checking AWS account and stack {name} in {EDGE_REGION}")
    caller = clients.sts.get_caller_identity()
    account = caller["Account"]
    stack = describe(clients.cloudformation, name)
    check_updatable(stack, name, clients.cloudformation)
    previous = parameters_of(stack) if stack else None
    check_change(opts, previous)
    creates_cognito = bool(opts.cognito_domain_prefix) or (previous or {}).get("CreateCognito") == "true"
    keep_url = previous_site_url(opts, stack)

    with tempfile.TemporaryDirectory(prefix="gate-deploy-") as scratch:
        config_path = opts.config_path
        if not config_path:
            if not creates_cognito:
                raise DeployError(
                    "say which identity provider the gate uses: --cognito-domain-prefix PREFIX creates a Cognito "
                    "user pool, or --config gate.toml names an existing pool or OIDC provider"
                )
            config_path = write_minimal_config(scratch)
            progress.note(
                "no --config: the gate uses the stack's Cognito pool, sign-in required everywhere, "
                "/admin for the Admin group"
            )
        config = prevalidate(config_path, creates_cognito)
        check_api_origin(opts, previous, config, opts.config_path or "the config")
        if stack is None:
            preflight(
                clients,
                account,
                caller["Arn"],
                name,
                opts.cognito_domain_prefix,
                opts.check_permissions,
                progress,
            )

        bucket = opts.artifact_bucket or artifact_bucket_name(account, EDGE_REGION)
        ensure_artifact_bucket(clients.s3, bucket, EDGE_REGION, account, progress)
        code = None
        if stack is None:
            boot = bootstrap_zip()
            key = artifact_key(name, f"bootstrap-{sha256_hex(boot)[:16]}.zip")
            upload_artifact(clients.s3, bucket, key, boot, account, progress)
            code = (bucket, key, sha256_b64(boot))
        elif (
            previous.get("CodeBucket") == bucket
            and previous.get("CodeKey")
            # a failed update rolls back to this zip: keep the lifecycle rule away from it, and
            # put it back from the function itself if the rule already took it
            and not refresh_artifact(clients.s3, bucket, previous["CodeKey"], account)
        ):
            function = outputs_of(stack).get("FunctionName", "")
            restore_artifact(
                clients.lambda_,
                clients.s3,
                bucket,
                previous["CodeKey"],
                previous.get("CodeSha256", ""),
                function,
                account,
                progress,
            )

        progress.step(
            ("creating" if stack is None else "updating")
            + f" stack {name} (infrastructure)"
            + (": CloudFront takes 5-15 minutes" if stack is None else "")
        )
        signing = asset_signing(opts, config_path, name, clients, progress, clock)
        parameters = stack_parameters(opts, csp, previous, code, declared)
        if keep_url and "PreviousSiteUrl" in declared:
            progress.note(
                f"the site moves from {keep_url}: its sign-in URLs stay registered until the new gate "
                "is deployed everywhere"
            )
            parameters = [p for p in parameters if p["ParameterKey"] != "PreviousSiteUrl"]
            parameters.append({"ParameterKey": "PreviousSiteUrl", "ParameterValue": keep_url})
        stack, _ = apply(
            clients.cloudformation,
            name,
            template_body,
            parameters,
            exists=previous is not None,
            progress=progress,
            poll=opts.poll_seconds,
            timeout=opts.timeout_seconds,
            sleep=sleep,
        )
        outputs = outputs_of(stack)

        progress.step(f"building the gate for {outputs['SiteUrl']}")
        secret = ""
        if outputs.get("UserPoolId"):
            secret = client_secret(clients.cognito_idp, outputs["UserPoolId"], outputs["UserPoolClientId"])
        overrides = overrides_from_outputs(outputs, secret)
        if signing is not None:
            slot, key = signing
            overrides["asset_key"] = {**key, "key_id": outputs[f"AssetKey{slot}Id"]}
        raw = read_toml(config_path)
        if (raw.get("state") or {}).get("secret"):
            if opts.rotate_state_secret:
                progress.warn(
                    f"{config_path} sets state.secret; --rotate-state-secret changes only the one "
                    "deploy.py keeps in SSM, so it has no effect here"
                )
        else:
            current, older = state_secrets(
                clients.ssm, parameter_name("stack", name), progress, rotate=opts.rotate_state_secret, now=clock()
            )
            overrides["state"] = {"secret": current, **({"previous_secrets": older} if older else {})}
        given_site = (raw.get("site") or {}).get("url", "")
        if isinstance(given_site, str) and given_site and given_site.rstrip("/") != overrides["site"]["url"]:
            progress.warn(
                f"site.url in {config_path} is {given_site}; the stack serves {overrides['site']['url']}, "
                "which the gate is built for"
            )
        os.makedirs(os.path.dirname(os.path.abspath(opts.zip_out)), exist_ok=True)
        data = build_gate_zip(builder, config_path, jwks_file=opts.jwks_file, out=opts.zip_out, overrides=overrides)
        key = artifact_key(name, f"gate-{sha256_hex(data)[:32]}.zip")
        upload_artifact(clients.s3, bucket, key, data, account, progress)
        config = final_config(config_path, overrides)

    progress.step(f"updating stack {name} (function code)")
    parameters = code_parameters(parameters_of(stack), (bucket, key, sha256_b64(data)), declared)
    stack, changed = apply(
        clients.cloudformation,
        name,
        template_body,
        parameters,
        exists=True,
        progress=progress,
        poll=opts.poll_seconds,
        timeout=opts.timeout_seconds,
        sleep=sleep,
    )
    outputs = outputs_of(stack)
    if not changed:
        progress.note("function code unchanged")
    if parameters_of(stack).get("PreviousSiteUrl"):
        # CloudFormation reports the distribution updated once it is deployed: the new gate runs
        # everywhere, so the old URL can go
        progress.step(f"updating stack {name} (removing the previous site URL from the app client)")
        parameters = [
            {**p, "ParameterValue": ""} if p["ParameterKey"] == "PreviousSiteUrl" else p
            for p in code_parameters(parameters_of(stack), (bucket, key, sha256_b64(data)), declared)
        ]
        stack, _ = apply(
            clients.cloudformation,
            name,
            template_body,
            parameters,
            exists=True,
            progress=progress,
            poll=opts.poll_seconds,
            timeout=opts.timeout_seconds,
            sleep=sleep,
        )
        outputs = outputs_of(stack)
    if outputs.get("DistributionId") and outputs.get("FunctionVersionArn"):
        verify_association(clients.cloudfront, outputs["DistributionId"], outputs["FunctionVersionArn"], progress)
    if outputs.get("FunctionName"):
        days = int(parameters_of(stack).get("LogRetentionDays") or opts.log_retention_days or 30)
        ensure_retention(clients, outputs["FunctionName"], days, clients.available_regions("logs"), progress)

    if not opts.skip_site:
        progress.step(f"uploading {opts.site_dir} to s3://{outputs['BucketName']}")
        upload_site(clients.s3, outputs["BucketName"], opts.site_dir, progress, account)
        state_key = artifact_key(name, "stale-assets.json")
        known = read_state(clients.s3, bucket, state_key, account) or read_state(
            clients.s3,
            bucket,
            f"{name}/stale-assets.json",
            account,  # where earlier versions kept it
        )
        stale = prune_site(
            clients.s3,
            outputs["BucketName"],
            opts.site_dir,
            progress,
            stale_since=known,
            now=clock(),
            grace_days=opts.keep_old_assets_days,
            account=account,
        )
        write_state(clients.s3, bucket, state_key, stale, account)
    if opts.invalidate:
        invalidate_all(clients.cloudfront, outputs["DistributionId"], progress)

    _summary(outputs, config, clients, progress)
    return outputs


def _summary(outputs: dict[str, str], config, clients: Clients, progress: Progress) -> None:
    progress.step("done")
    if outputs.get("UserPoolId"):
        pool = outputs["UserPoolId"]
        progress.note("add people (they get an e-mail with a temporary password):")
        progress.note(
            f"  aws cognito-idp admin-create-user --region {EDGE_REGION} --user-pool-id {pool} "
            "--username someone@example.com"
        )
        progress.note(
            f"  aws cognito-idp admin-add-user-to-group --region {EDGE_REGION} --user-pool-id {pool} "
            "--username someone@example.com --group-name Admin"
        )
    else:
        report_urls(config, outputs["SiteUrl"], clients, progress)
    progress.result("Site", outputs["SiteUrl"])
    progress.result("Function version", outputs.get("FunctionVersionArn", "?"))
    progress.result("Distribution", outputs.get("DistributionId", "?"))
    progress.result("Bucket", outputs.get("BucketName", "?"))
    if outputs.get("UserPoolId"):
        progress.result("User pool", outputs["UserPoolId"])
        progress.result("Hosted UI", f"https://{outputs['CognitoDomain']}")
