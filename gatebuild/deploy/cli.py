"""Command line of deploy.py: `stack` (the whole protected site) and `publish` (the function only)."""

from __future__ import annotations

import argparse
import os
import re
import sys
import time
from collections.abc import Callable
from typing import TextIO

from botocore.exceptions import BotoCoreError, ClientError

from gatebuild.config import ConfigFileError

from . import EDGE_REGION
from .clients import Clients
from .errors import DeployError, check_region, explain
from .gatezip import Builder
from .progress import Progress
from .publish import PublishOptions, publish
from .stack import StackOptions, deploy_stack
from .status import cognito_of, status

DEFAULT_CONFIG = "gate.toml"

DESCRIPTION = """\
Deploy the sign-in gate to AWS (always us-east-1: Lambda@Edge functions live there).

  stack    the whole protected site in one command: CloudFormation stack (private S3 bucket,
           CloudFront distribution with the gate on viewer request, optional Cognito user pool),
           the gate built for the stack's URL, site/dist uploaded, cache invalidated.
  publish  only build the gate and publish a numbered function version, to attach to a
           CloudFront distribution you already have.
  status   check a deployed (or console-associated) distribution and say what is wrong.

Credentials come from the usual places (aws configure, AWS_PROFILE, --profile, SSO).
See docs/deploy.md."""

STACK_EPILOG = """\
examples:
  # a new site with its own Cognito user pool (hosted UI at my-site-login.auth.us-east-1.amazoncognito.com)
  scripts/deploy stack --stack-name my-site --cognito-domain-prefix my-site-login

  # an existing Cognito pool or OIDC provider, described in gate.toml
  scripts/deploy stack --stack-name my-site --config gate.toml

  # a custom domain (the certificate must be in us-east-1)
  scripts/deploy stack --stack-name my-site --alias www.example.com \\
      --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/abcd-...

Running it again updates the stack, the gate and the site; options not given keep their values."""

PUBLISH_EPILOG = """\
example:
  scripts/deploy publish --config gate.toml --function-name my-site-gate
  -> prints arn:aws:lambda:us-east-1:<account>:function:my-site-gate:<N>; in the CloudFront
     console: behavior -> Function associations -> Viewer request -> Lambda@Edge -> paste it."""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(
        prog="scripts/deploy", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    commands = top.add_subparsers(dest="command", metavar="{stack,publish,status,logs}", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        aws = p.add_argument_group("AWS")
        aws.add_argument("--profile", help="AWS profile to use (default: AWS_PROFILE or the default profile)")
        aws.add_argument(
            "--region",
            default=None,
            help=f"must be {EDGE_REGION} (the only region for Lambda@Edge functions); the default",
        )
        build = p.add_argument_group("build")
        build.add_argument("--jwks-file", help="use this JWKS file instead of fetching the provider's keys")
        build.add_argument("--zip-out", default="dist/edge.zip", help="where to write the zip (default: %(default)s)")
        p.add_argument("--quiet", "-q", action="store_true", help="print only results, warnings and errors")

    stack = commands.add_parser(
        "stack",
        help="create or update the whole protected site (CloudFormation)",
        description="Create or update the CloudFormation stack, build and attach the gate, upload the site.",
        epilog=STACK_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    stack.add_argument("--stack-name", required=True, help="CloudFormation stack name (at most 59 characters)")
    stack.add_argument(
        "--config",
        help="the gate's TOML config (default: gate.toml if present; optional when the stack creates the Cognito pool)",
    )
    idp = stack.add_argument_group("Cognito")
    idp.add_argument(
        "--cognito-domain-prefix",
        metavar="PREFIX",
        help="create a Cognito user pool with hosted UI at https://PREFIX.auth.us-east-1.amazoncognito.com, "
        "an app client and the groups Admin and Viewer",
    )
    signup = idp.add_mutually_exclusive_group()
    signup.add_argument(
        "--self-sign-up",
        dest="self_sign_up",
        action="store_true",
        default=None,
        help="let anyone create an account on the hosted UI (default: administrators create users)",
    )
    signup.add_argument("--no-self-sign-up", dest="self_sign_up", action="store_false")
    site = stack.add_argument_group("site")
    site.add_argument(
        "--alias",
        action="append",
        default=[],
        metavar="DOMAIN",
        help="custom domain for the site (repeatable; the first is the site URL); needs --certificate-arn",
    )
    site.add_argument("--certificate-arn", help="ACM certificate in us-east-1 covering every --alias")
    site.add_argument(
        "--price-class",
        choices=["PriceClass_100", "PriceClass_200", "PriceClass_All"],
        help="CloudFront price class (new stacks: PriceClass_100)",
    )
    site.add_argument("--site-dir", default="site/dist", help="site build to upload (default: %(default)s)")
    site.add_argument(
        "--csp-file",
        default=None,
        help="one-line Content-Security-Policy for the site (default: csp.txt beside the site "
        "directory, e.g. ../my-app/csp.txt for ../my-app/dist; a strict same-origin policy "
        "when there is none). The local emulator applies the same policy.",
    )
    site.add_argument(
        "--hsts-include-subdomains",
        dest="hsts_subdomains",
        action="store_true",
        default=None,
        help="add includeSubDomains to Strict-Transport-Security (forces HTTPS on every subdomain "
        "of an apex alias; off by default)",
    )
    site.add_argument("--no-hsts-include-subdomains", dest="hsts_subdomains", action="store_false")
    site.add_argument(
        "--hsts-preload",
        dest="hsts_preload",
        action="store_true",
        default=None,
        help="add preload to Strict-Transport-Security (implies --hsts-include-subdomains)",
    )
    site.add_argument("--no-hsts-preload", dest="hsts_preload", action="store_false")
    site.add_argument(
        "--keep-old-assets-days",
        type=float,
        default=7,
        metavar="DAYS",
        help="hashed assets the new build no longer has are deleted after DAYS (default: %(default)s)",
    )
    site.add_argument("--skip-site", action="store_true", help="do not upload the site")
    site.add_argument(
        "--no-invalidate", dest="invalidate", action="store_false", help="do not invalidate /* after uploading"
    )
    api = stack.add_argument_group("API (issue 13)")
    api.add_argument(
        "--api-domain",
        metavar="DOMAIN",
        default=None,
        help="the site's API origin (e.g. abc.execute-api.us-east-1.amazonaws.com) behind --api-path "
        'with the gate adding the bearer token; "" removes it (default: keep the stack\'s). The config '
        "must have [[apis]] covering --api-path, and a config with [[apis]] needs this",
    )
    api.add_argument(
        "--api-path",
        metavar="PATTERN",
        default=None,
        help="CloudFront path pattern of the API (default /api/*; match [[apis]] paths)",
    )
    stack.add_argument(
        "--artifact-bucket",
        help="bucket in us-east-1 for the function's zips "
        "(default: gate-artifacts-<account>-us-east-1, created if missing)",
    )
    stack.add_argument(
        "--log-retention-days",
        type=int,
        default=None,
        metavar="DAYS",
        choices=[
            1,
            3,
            5,
            7,
            14,
            30,
            60,
            90,
            120,
            150,
            180,
            365,
            400,
            545,
            731,
            1096,
            1827,
            2192,
            2557,
            2922,
            3288,
            3653,
        ],
        help="days CloudWatch keeps the gate's logs, in every region (new stacks: 30)",
    )
    stack.add_argument(
        "--rotate-state-secret",
        action="store_true",
        help="replace the state-signing secret kept in SSM (see docs/deploy.md, Secrets)",
    )
    stack.add_argument(
        "--rotate-asset-key",
        action="store_true",
        help="[assets] signed_cookies: a new asset-cookie key; the old one stays trusted for a day (docs/deploy.md)",
    )
    stack.add_argument(
        "--no-permission-check",
        dest="check_permissions",
        action="store_false",
        help="skip simulating this identity's permissions with IAM's policy simulator before a first deploy "
        "(for policies the simulator misjudges; docs/deploy.md, Permissions)",
    )
    stack.add_argument("--template", default=None, help=argparse.SUPPRESS)
    common(stack)

    pub = commands.add_parser(
        "publish",
        help="only build and publish a numbered function version (for an existing distribution)",
        description="Build the gate and publish a new numbered Lambda@Edge version in us-east-1 (creating the "
        "function and its role when missing). Prints the version ARN to attach in CloudFront.",
        epilog=PUBLISH_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    pub.add_argument("--config", default=DEFAULT_CONFIG, help="the gate's TOML config (default: %(default)s)")
    pub.add_argument("--function-name", default="signin-gate", help="Lambda function name (default: %(default)s)")
    pub.add_argument("--role-name", help="IAM role to create for a new function (default: <function-name>-edge-role)")
    pub.add_argument("--site-url", help="the site's origin, e.g. https://www.example.com (overrides site.url)")
    pub.add_argument(
        "--rotate-state-secret",
        action="store_true",
        help="replace the state-signing secret kept in SSM (see docs/deploy.md, Secrets)",
    )
    common(pub)

    st = commands.add_parser(
        "status",
        help="check a deployed or console-associated distribution (read-only)",
        description="Check a distribution running the gate and say what is wrong: the viewer-request association "
        "(numbered version, every behavior), the function's settings and role, error pages hiding the "
        "gate's 403, and the Cognito app client's URLs. Exit status 1 when something is wrong.",
    )
    which = st.add_mutually_exclusive_group(required=True)
    which.add_argument("--stack-name", help="a stack made by `stack`")
    which.add_argument("--distribution-id", help="any distribution (e.g. one you associated in the console)")
    st.add_argument("--config", help="the gate's TOML config, to check a Cognito app client's URLs")
    st.add_argument("--site-url", help="the site's origin (default: the stack's, or the first alias)")
    aws = st.add_argument_group("AWS")
    aws.add_argument("--profile", help="AWS profile to use")
    aws.add_argument("--region", default=None, help=f"must be {EDGE_REGION}; the default")
    st.add_argument("--quiet", "-q", action="store_true", help=argparse.SUPPRESS)

    lg = commands.add_parser(
        "logs",
        help="the gate's decisions from every region's log, merged by time (read-only)",
        description="Lambda@Edge logs in the region of the edge location that ran it. This reads the gate's log "
        "group in every region where it exists and prints one line per decision: time, region, status, decision, "
        "reason, duration, path, and where the reason code is explained.",
    )
    named = lg.add_mutually_exclusive_group(required=True)
    named.add_argument("--stack-name", help="a stack made by `stack`")
    named.add_argument("--function-name", help="the function `publish` updated (or any gate function)")
    lg.add_argument("--since", default="1h", help="how far back: 30m, 1h, 2d (default 1h)")
    lg.add_argument("--follow", "-f", action="store_true", help="keep printing new decisions (Ctrl-C stops)")
    lg.add_argument("--reason", help="only this reason code, e.g. missing_group")
    lg.add_argument("--path", dest="path_glob", help="only paths matching this glob, e.g. '/admin/*'")
    lg.add_argument("--subject", help="only this person: the 16-hex subject hash of a log line, or their sub")
    lg.add_argument("--regions", help="comma-separated regions to read (default: every region)")
    aws = lg.add_argument_group("AWS")
    aws.add_argument("--profile", help="AWS profile to use")
    aws.add_argument("--region", default=None, help=f"must be {EDGE_REGION}; the default")
    lg.add_argument("--quiet", "-q", action="store_true", help=argparse.SUPPRESS)
    return top


def main(
    argv: list[str] | None = None,
    *,
    clients: Clients | None = None,
    builder: Builder | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    args = parser().parse_args(argv)
    stderr = stderr or sys.stderr
    progress = Progress(stdout, stderr, quiet=args.quiet)
    stack_name = getattr(args, "stack_name", "<stack>")
    try:
        region = check_region(args.region)
        if clients is None:
            import boto3

            clients = Clients(
                boto3.Session(profile_name=args.profile) if args.profile else boto3.Session(), region=region
            )
        if args.command == "stack":
            config = args.config
            if config is None and os.path.exists(DEFAULT_CONFIG):
                config = DEFAULT_CONFIG
                progress.note(f"using {DEFAULT_CONFIG}")
            opts = StackOptions(
                stack_name=args.stack_name,
                config_path=config,
                cognito_domain_prefix=args.cognito_domain_prefix,
                allow_self_sign_up=args.self_sign_up,
                aliases=args.alias,
                certificate_arn=args.certificate_arn,
                price_class=args.price_class,
                csp_file=args.csp_file,
                site_dir=args.site_dir,
                skip_site=args.skip_site,
                invalidate=args.invalidate,
                jwks_file=args.jwks_file,
                zip_out=args.zip_out,
                artifact_bucket=args.artifact_bucket,
            )
            opts.hsts_include_subdomains = args.hsts_subdomains
            opts.hsts_preload = args.hsts_preload
            opts.log_retention_days = args.log_retention_days
            opts.api_domain = args.api_domain
            opts.api_path = args.api_path
            opts.rotate_state_secret = args.rotate_state_secret
            opts.rotate_asset_key = args.rotate_asset_key
            opts.keep_old_assets_days = args.keep_old_assets_days
            opts.check_permissions = args.check_permissions
            if args.template:
                opts.template_path = args.template
            deploy_stack(opts, clients, progress, builder=builder, sleep=sleep)
        elif args.command == "logs":
            return print_logs(args, clients, stdout or sys.stdout, sleep)
        elif args.command == "publish":
            opts = PublishOptions(
                config_path=args.config,
                function_name=args.function_name,
                role_name=args.role_name,
                site_url=args.site_url,
                jwks_file=args.jwks_file,
                zip_out=args.zip_out,
                rotate_state_secret=args.rotate_state_secret,
            )
            publish(opts, clients, progress, builder=builder, sleep=sleep)
        else:
            pool = client_id = None
            cognito_region = EDGE_REGION
            if args.config:
                from gatebuild.config import read_toml

                from .gatezip import final_config

                read_toml(args.config)
                config = final_config(args.config, None)
                if config is not None:
                    pool, client_id, cognito_region = cognito_of(config)
            report = status(
                clients,
                progress,
                stack_name=args.stack_name,
                distribution_id=args.distribution_id,
                site_url=args.site_url,
                pool_id=pool,
                client_id=client_id,
                cognito_region=cognito_region,
            )
            return 1 if report.problems else 0
    except ConfigFileError as exc:
        for line in exc.mistakes:
            print(f"error: config: {line}", file=stderr)
        return 2
    except (DeployError, ClientError, BotoCoreError) as exc:
        print(f"error: {explain(exc, stack_name)}", file=stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "interrupted; a CloudFormation operation already started goes on (see the console); "
            "run the same command again once it has finished",
            file=stderr,
        )
        return 130
    return 0


def print_logs(args, clients: Clients, out: TextIO, sleep: Callable[[float], None]) -> int:
    from .decision_logs import Filters, parse_since, subject_hashes, tail
    from .state_secret import parameter_name, stored_secrets

    now_ms = int(time.time() * 1000)
    start_ms = parse_since(args.since, now_ms)
    if args.stack_name:
        try:
            stack = clients.cloudformation.describe_stacks(StackName=args.stack_name)["Stacks"][0]
        except ClientError as exc:
            if "does not exist" in exc.response.get("Error", {}).get("Message", ""):
                raise DeployError(
                    f"stack {args.stack_name} does not exist in {EDGE_REGION}; check --stack-name"
                ) from None
            raise
        outputs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
        function_name = outputs.get("FunctionName")
        if not function_name:
            raise DeployError(f"stack {args.stack_name} has no FunctionName output; is it the gate's stack?")
        parameter = parameter_name("stack", args.stack_name)
    else:
        function_name = args.function_name
        parameter = parameter_name("function", function_name)
    secrets: list[str] = []
    if args.subject and not re.match(r"^[0-9a-f]{16}$", args.subject):
        secrets = stored_secrets(clients.ssm, parameter)
    filters = Filters(args.reason, args.path_glob, subject_hashes(args.subject, secrets))
    regions = [r.strip() for r in args.regions.split(",") if r.strip()] if args.regions else None
    regions = regions or clients.available_regions("logs") or [EDGE_REGION]

    def write(line: str) -> None:
        print(line, file=out, flush=True)

    try:
        shown = tail(
            lambda region: clients.regional("logs", region),
            regions,
            function_name,
            start_ms,
            filters,
            write,
            follow=args.follow,
            sleep=sleep,
        )
    except KeyboardInterrupt:
        return 0
    if not shown and not args.quiet:
        print(f"no decisions since {args.since} in {len(regions)} region(s)", file=sys.stderr)
    return 0
