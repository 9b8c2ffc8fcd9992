"""Command line of deploy.py: `stack` (the whole protected site) and `publish` (the function only)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import Callable, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from gatebuild.config_file import ConfigFileError

from . import EDGE_REGION
from .clients import Clients
from .errors import DeployError, check_region, explain
from .gatezip import Builder
from .progress import Progress
from .publish import PublishOptions, publish
from .stack import StackOptions, deploy_stack

DEFAULT_CONFIG = "gate.toml"

DESCRIPTION = """\
Deploy the sign-in gate to AWS (always us-east-1: Lambda@Edge functions live there).

  stack    the whole protected site in one command: CloudFormation stack (private S3 bucket,
           CloudFront distribution with the gate on viewer request, optional Cognito user pool),
           the gate built for the stack's URL, site/dist uploaded, cache invalidated.
  publish  only build the gate and publish a numbered function version, to attach to a
           CloudFront distribution you already have.

Credentials come from the usual places (aws configure, AWS_PROFILE, --profile, SSO).
See docs/deploy.md."""

STACK_EPILOG = """\
examples:
  # a new site with its own Cognito user pool (hosted UI at my-site-login.auth.us-east-1.amazoncognito.com)
  python deploy.py stack --stack-name my-site --cognito-domain-prefix my-site-login

  # an existing Cognito pool or OIDC provider, described in gate.toml
  python deploy.py stack --stack-name my-site --config gate.toml

  # a custom domain (the certificate must be in us-east-1)
  python deploy.py stack --stack-name my-site --alias www.example.com \\
      --certificate-arn arn:aws:acm:us-east-1:123456789012:certificate/abcd-...

Running it again updates the stack, the gate and the site; options not given keep their values."""

PUBLISH_EPILOG = """\
example:
  python deploy.py publish --config gate.toml --function-name my-site-gate
  -> prints arn:aws:lambda:us-east-1:<account>:function:my-site-gate:<N>; in the CloudFront
     console: behavior -> Function associations -> Viewer request -> Lambda@Edge -> paste it."""


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="python deploy.py", description=DESCRIPTION,
                                  formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = top.add_subparsers(dest="command", metavar="{stack,publish}", required=True)

    def common(p: argparse.ArgumentParser) -> None:
        aws = p.add_argument_group("AWS")
        aws.add_argument("--profile", help="AWS profile to use (default: AWS_PROFILE or the default profile)")
        aws.add_argument("--region", default=None,
                         help=f"must be {EDGE_REGION} (the only region for Lambda@Edge functions); the default")
        build = p.add_argument_group("build")
        build.add_argument("--jwks-file", help="use this JWKS file instead of fetching the provider's keys")
        build.add_argument("--zip-out", default="dist/edge.zip", help="where to write the zip (default: %(default)s)")
        p.add_argument("--quiet", "-q", action="store_true", help="print only results, warnings and errors")

    stack = commands.add_parser(
        "stack", help="create or update the whole protected site (CloudFormation)",
        description="Create or update the CloudFormation stack, build and attach the gate, upload the site.",
        epilog=STACK_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    stack.add_argument("--stack-name", required=True, help="CloudFormation stack name (at most 59 characters)")
    stack.add_argument("--config", help="the gate's TOML config (default: gate.toml if present; optional when "
                                        "the stack creates the Cognito pool)")
    idp = stack.add_argument_group("Cognito")
    idp.add_argument("--cognito-domain-prefix", metavar="PREFIX",
                     help="create a Cognito user pool with hosted UI at https://PREFIX.auth.us-east-1.amazoncognito.com, "
                          "an app client and the groups Admin and Viewer")
    signup = idp.add_mutually_exclusive_group()
    signup.add_argument("--self-sign-up", dest="self_sign_up", action="store_true", default=None,
                        help="let anyone create an account on the hosted UI (default: administrators create users)")
    signup.add_argument("--no-self-sign-up", dest="self_sign_up", action="store_false")
    site = stack.add_argument_group("site")
    site.add_argument("--alias", action="append", default=[], metavar="DOMAIN",
                      help="custom domain for the site (repeatable; the first is the site URL); needs --certificate-arn")
    site.add_argument("--certificate-arn", help="ACM certificate in us-east-1 covering every --alias")
    site.add_argument("--price-class", choices=["PriceClass_100", "PriceClass_200", "PriceClass_All"],
                      help="CloudFront price class (new stacks: PriceClass_100)")
    site.add_argument("--site-dir", default="site/dist", help="site build to upload (default: %(default)s)")
    site.add_argument("--csp-file", default="site/csp.txt",
                      help="one-line Content-Security-Policy for the site (default: %(default)s; a strict "
                           "self-only policy when missing)")
    site.add_argument("--skip-site", action="store_true", help="do not upload the site")
    site.add_argument("--no-invalidate", dest="invalidate", action="store_false",
                      help="do not invalidate /* after uploading")
    stack.add_argument("--artifact-bucket", help="bucket in us-east-1 for the function's zips "
                                                 "(default: gate-artifacts-<account>-us-east-1, created if missing)")
    stack.add_argument("--template", default=None, help=argparse.SUPPRESS)
    common(stack)

    pub = commands.add_parser(
        "publish", help="only build and publish a numbered function version (for an existing distribution)",
        description="Build the gate and publish a new numbered Lambda@Edge version in us-east-1 (creating the "
                    "function and its role when missing). Prints the version ARN to attach in CloudFront.",
        epilog=PUBLISH_EPILOG, formatter_class=argparse.RawDescriptionHelpFormatter)
    pub.add_argument("--config", default=DEFAULT_CONFIG, help="the gate's TOML config (default: %(default)s)")
    pub.add_argument("--function-name", default="signin-gate", help="Lambda function name (default: %(default)s)")
    pub.add_argument("--role-name", help="IAM role to create for a new function (default: <function-name>-edge-role)")
    pub.add_argument("--site-url", help="the site's origin, e.g. https://www.example.com (overrides site.url)")
    common(pub)
    return top


def main(argv: list[str] | None = None, *, clients: Clients | None = None, builder: Builder | None = None,
         stdout: TextIO | None = None, stderr: TextIO | None = None,
         sleep: Callable[[float], None] = time.sleep) -> int:
    args = parser().parse_args(argv)
    stderr = stderr or sys.stderr
    progress = Progress(stdout, stderr, quiet=args.quiet)
    stack_name = getattr(args, "stack_name", "<stack>")
    try:
        region = check_region(args.region)
        if clients is None:
            import boto3

            clients = Clients(boto3.Session(profile_name=args.profile) if args.profile else boto3.Session(),
                              region=region)
        if args.command == "stack":
            config = args.config
            if config is None and os.path.exists(DEFAULT_CONFIG):
                config = DEFAULT_CONFIG
                progress.note(f"using {DEFAULT_CONFIG}")
            opts = StackOptions(
                stack_name=args.stack_name, config_path=config, cognito_domain_prefix=args.cognito_domain_prefix,
                allow_self_sign_up=args.self_sign_up, aliases=args.alias, certificate_arn=args.certificate_arn,
                price_class=args.price_class, csp_file=args.csp_file, site_dir=args.site_dir,
                skip_site=args.skip_site, invalidate=args.invalidate, jwks_file=args.jwks_file,
                zip_out=args.zip_out, artifact_bucket=args.artifact_bucket,
            )
            if args.template:
                opts.template_path = args.template
            deploy_stack(opts, clients, progress, builder=builder, sleep=sleep)
        else:
            opts = PublishOptions(config_path=args.config, function_name=args.function_name,
                                  role_name=args.role_name, site_url=args.site_url, jwks_file=args.jwks_file,
                                  zip_out=args.zip_out)
            publish(opts, clients, progress, builder=builder, sleep=sleep)
    except ConfigFileError as exc:
        print(f"error: config: {exc}", file=stderr)
        return 2
    except (DeployError, ClientError, BotoCoreError) as exc:
        print(f"error: {explain(exc, stack_name)}", file=stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted; a CloudFormation operation already started goes on (see the console)", file=stderr)
        return 130
    return 0
