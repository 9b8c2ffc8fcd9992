"""See the sign-in gate working on your machine: no AWS account, nothing beyond the registries.

    scripts/demo                                   # cognito-local, in front of site/dist
    scripts/demo --provider oidc                   # oidc-provider, a generic OpenID Connect provider
    scripts/demo --provider oidc --profile keycloak   # ... behaving like Keycloak (auth0, okta, entra, google)
    scripts/demo --site ../my-app/dist             # YOUR built site behind the gate
    scripts/demo --site ../my-app/dist --config gate.toml   # ... with your paths, rules, branding
    scripts/demo --config gate.toml                # YOUR provider: the file's [idp] (issuer + client_id)

(`scripts/demo` is `.venv/bin/python -m local.demo` after scripts/setup.)
With --site, the site's CSP comes from where deploy.py takes it: --csp-file, else csp.txt beside
the site directory, else the strict default (gatebuild/site_policy.py).

Installs local/idp's npm packages if missing (npm ci), builds the site if site/dist is missing
(npm ci + npm run build in site/), starts the identity provider, writes the gate's TOML, builds
the zip with build.py, starts the CloudFront emulator, and prints the URL and the demo users.
Ctrl-C stops every process it started. Files (TOML, zip, logs) are in build/local/<provider>/.

Your own provider: when --config names one ([idp] with client_id, and an issuer or a [cognito]
pool) and no --provider/--profile is given, no local provider is started: build.py builds YOUR
file as the deploy would, with only the laptop's overrides laid on it (`--set site.url=
http://localhost:PORT --set cookies.secure=false`, printed in the banner), and the banner says
which callback and sign-out URLs to register for your client id.
"""

from __future__ import annotations

import argparse
import os
import shutil
import signal
import subprocess
import sys
import threading

from gatebuild import runtime
from gatebuild.site_policy import CspError, site_csp
from local import profiles
from local.cpushare import LAMBDA_EDGE_FRACTION, CpuShare
from local.profiles import PROFILES
from local.stack import (
    DEFAULT_PORTS,
    EXTERNAL,
    ROOT,
    Stack,
    StackError,
    install_idp_packages,
    names_a_provider,
    port_in_use,
    read_whole_config,
)

SITE = os.path.join(ROOT, "site")


class UsageError(StackError):
    """A mistake in the demo's arguments: one line, exit 2."""


def build_site(force: bool) -> str:
    dist = os.path.join(SITE, "dist")
    if os.path.isfile(os.path.join(dist, "index.html")) and not force:
        return dist
    npm = shutil.which("npm")
    if not npm:
        raise StackError("npm not found: install Node.js 20+ to build the site")
    steps = []
    # The site and the gate-session package are npm workspaces of the repository root.
    if not os.path.isdir(os.path.join(ROOT, "node_modules", "gate-session")):
        steps.append(([npm, "ci", "--no-audit", "--no-fund"], ROOT))
    steps.append(([npm, "run", "build"], SITE))
    for argv, cwd in steps:
        print(f"[demo] site: {' '.join(argv[1:])} ...", file=sys.stderr, flush=True)
        run = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=900)
        if run.returncode != 0:
            raise StackError(f"site: `{' '.join(argv[1:])}` failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")
    return dist


def banner(stack: Stack, csp_source: str = "default", notice: str = "", cpu: str = "") -> str:
    width = max(len(u.username) for u in stack.users)
    users = "\n".join(f"    {u.username:<{width}}  {u.password:<18} groups: {', '.join(u.groups)}" for u in stack.users)
    name = "cognito-local" if stack.provider == "cognito" else "oidc-provider"
    if stack.profile != "oidc":
        name += f" as {stack.profile}"
    if stack.user_config:
        hint = f"  Paths, rules and branding from {stack.user_config}."
    else:
        hint = "  /admin needs the Admin group: sign in as the viewer to see the gate refuse it."
    notice = "\n" + "\n".join("  " + line for line in notice.splitlines()) + "\n" if notice else ""
    if stack.profile != "oidc":
        hint += f"\n  {profiles.note(stack.profile, stack.client_id)}"
    api = (
        f"  API: {stack.site_url}/api/* -> {stack.api_url} (local/api.py; the gate adds the bearer token)\n"
        if getattr(stack, "api", False)
        else ""
    )
    return f"""
  The site, behind the sign-in gate:  {stack.site_url}/
  Identity provider ({name}):  {stack.idp_url}   (issuer {stack.issuer})

  Demo users (password, groups):
{users}
{hint}
  Sign out: {stack.site_url}/_gate/sign-out      Who am I: {stack.site_url}/_gate/me
{api}
  Site:        {stack.site_dir}   (CSP from {csp_source})
  Gate config: {stack.config_path}
  Zip:         {stack.zip_path}
  Lambda:      awslambdaric behind a local Runtime API; {cpu or "CPU share: off (full CPU; try --cpu-share)"}
  Logs:        {stack.workdir}/*.log   (the emulator's lines are shown below)
{notice}
  Ctrl-C stops everything.
"""


def provider_report(stack: Stack) -> list[str]:
    """build.py --check-idp's lines for the stack's own file and overrides (gatebuild/doctor.py)."""
    from gatebuild import doctor
    from gatebuild.builder import BuildError
    from gatebuild.config import ConfigFileError
    from gatebuild.discovery import FetchError

    try:
        return doctor.report(str(stack.config_path), stack.overrides)
    except (BuildError, ConfigFileError, FetchError) as exc:
        return [f"(could not check the provider: {exc})"]


def external_banner(
    stack: Stack, report: list[str], csp_source: str = "default", notice: str = "", cpu: str = ""
) -> str:
    notice = "\n" + "\n".join("  " + line for line in notice.splitlines()) + "\n" if notice else ""
    checked = "\n".join(f"    {line}" for line in report if not line.startswith("register:"))
    refused = next((line for line in report if line.startswith("callback:") and "refused" in line), "")
    warning = f"\n  !! {refused.partition(':')[2].strip()}\n" if refused else ""
    overrides = "\n".join(f"    {item}" for item in stack.build_sets)
    return f"""
  The site, behind the sign-in gate:  {stack.site_url}/
  Identity provider: YOURS, from {stack.user_config}  (no local provider started)
    issuer {stack.issuer}   client id {stack.client_id}

  Register at the provider, for client {stack.client_id}:
    callback (redirect URI):         {stack.callback_url}
    sign-out (post-logout redirect): {stack.signed_out_url}
  If the provider shows its own error page about the redirect URI (redirect_uri mismatch,
  invalid_request) instead of its sign-in form, the callback above is not registered.{warning}

  Your file, exactly as build.py and deploy.py read it, with only these laptop overrides:
{overrides}
    (the build: {stack.build_command()})

  What the gate will do with this provider (build.py --check-idp):
{checked}

  Sign out: {stack.site_url}{stack.resolved.paths.sign_out}      Who am I: {stack.site_url}{stack.resolved.paths.whoami}
  Site:        {stack.site_dir}   (CSP from {csp_source})
  Zip:         {stack.zip_path}
  Lambda:      awslambdaric behind a local Runtime API; {cpu or "CPU share: off (full CPU; try --cpu-share)"}
  Logs:        {stack.workdir}/*.log   (the emulator's lines are shown below, with a
               "[demo] hint (reason): ..." line the first time a reason a person can fix shows up)
{notice}
  Ctrl-C stops everything.
"""


def run_until_stopped(stack: Stack, stop: threading.Event) -> int:
    """Echo the stack's output until Ctrl-C (0) or one of its processes dies (1); then stop it."""
    stack.echo_on.set()
    try:
        while not stop.wait(0.5):
            dead = [p.name for p in stack.processes if not p.alive()]
            if dead:
                print(f"demo: {', '.join(dead)} exited; stopping. Logs: {stack.workdir}", file=sys.stderr)
                return 1
    finally:
        print("[demo] stopping ...", file=sys.stderr, flush=True)
        stack.stop()
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.demo", description=__doc__.split("\n\n")[0])
    parser.add_argument("--provider", choices=("cognito", "oidc"), help="cognito (default) or oidc")
    parser.add_argument(
        "--profile",
        choices=PROFILES,
        help="with --provider oidc: behave like this provider "
        "(issuer, claims, logout, refresh rules; see docs/providers.md)",
    )
    parser.add_argument("--port", type=int, default=DEFAULT_PORTS["site"], help="the site's port (default 8080)")
    parser.add_argument("--idp-port", type=int, help="the provider's port (default 9229 cognito, 9230 oidc)")
    parser.add_argument(
        "--id-token-ttl", type=int, default=3600, help="ID/access token lifetime in seconds (try 60 to watch refreshes)"
    )
    parser.add_argument("--rebuild-site", action="store_true", help="run the site's build even if site/dist exists")
    parser.add_argument(
        "--site",
        metavar="DIR",
        help="your own built site (a directory with index.html) instead of this repository's site/dist",
    )
    parser.add_argument(
        "--config",
        metavar="TOML",
        help="your gate config. If its [idp] names a provider (client_id and an issuer or a [cognito] pool) and "
        "neither --provider nor --profile is given, that provider is used and none is started (the banner says "
        "what to register there); otherwise its [paths], [[rules]], [tokens], [branding] and [entry] are used with "
        "the bundled provider. Either way site.url and the cookies are the demo's (http://localhost)",
    )
    parser.add_argument(
        "--csp-file",
        metavar="FILE",
        help="the site's Content-Security-Policy "
        "(default: csp.txt beside the site directory, else the strict default; as deploy.py)",
    )
    parser.add_argument("--quiet", action="store_true", help="do not echo the emulator's log lines")
    parser.add_argument(
        "--no-api",
        action="store_true",
        help="do not run the demo API behind /api/* (local/api.py; it runs with cognito and the plain oidc provider)",
    )
    parser.add_argument(
        "--cpu-share",
        action="store_true",
        help="run the function at the 128 MB Lambda@Edge CPU share (7.2%% of one CPU, a cgroup quota) "
        "to feel a cold start; the banner says what was used",
    )
    args = parser.parse_args(argv)
    external = False
    if args.config and os.path.isfile(args.config) and args.provider is None and args.profile is None:
        try:
            external = names_a_provider(read_whole_config(args.config))
        except StackError as exc:
            print(f"demo: {exc}", file=sys.stderr)
            return 2
    if external:
        return run_external(args)
    profile = args.profile or "oidc"
    if args.provider is None:
        args.provider = "oidc" if args.profile else "cognito"
    idp_port = args.idp_port or DEFAULT_PORTS[args.provider]
    workdir = os.path.join(ROOT, "build", "local", args.provider + (f"-{profile}" if profile != "oidc" else ""))
    try:
        if args.provider == "cognito" and args.profile:
            raise UsageError(f"--profile {args.profile} needs --provider oidc (cognito-local is the Cognito profile)")
        for port, what in ((args.port, "--port"), (idp_port, "--idp-port")):
            if port_in_use(port):
                raise StackError(f"port {port} is in use on 127.0.0.1; pick another with {what}")
        if args.site:
            site_dir = os.path.abspath(args.site)
            if not os.path.isfile(os.path.join(site_dir, "index.html")):
                raise UsageError(
                    f"--site {args.site}: no index.html there; give your site's build output "
                    "directory (e.g. my-app/dist after npm run build)"
                )
        if args.config and not os.path.isfile(args.config):
            raise UsageError(f"--config {args.config}: no such file; give your gate's TOML (see gate.example.toml)")
        try:
            csp = site_csp(args.site or os.path.join(SITE, "dist"), args.csp_file)
        except CspError as exc:
            raise UsageError(str(exc)) from None
        install_idp_packages()
        if not args.site:
            site_dir = build_site(args.rebuild_site)
        interpreter = runtime.best_python()
        notice = "" if interpreter.exact else runtime.mismatch_notice(interpreter)
        shutil.rmtree(workdir, ignore_errors=True)  # a fresh pool, client and secret every run
        print(
            f"[demo] starting {args.provider} on 127.0.0.1:{idp_port}, building the gate, "
            f"starting the emulator on :{args.port} ...",
            file=sys.stderr,
            flush=True,
        )
        stack = Stack(
            args.provider,
            site_dir=site_dir,
            site_port=args.port,
            idp_port=idp_port,
            workdir=workdir,
            id_token_ttl=args.id_token_ttl,
            echo_emulator=not args.quiet,
            user_config=os.path.abspath(args.config) if args.config else None,
            csp_file=args.csp_file,
            notice_shown=True,
            profile=profile,
            api=profile == "oidc" and not args.no_api,
            cpu_share=args.cpu_share,
        )
        stack.echo_on.clear()  # the emulator's start-up and readiness lines go to its log, not before the banner
    except (StackError, subprocess.TimeoutExpired) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) else 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stack.start()
    except StackError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 1
    cpu = (
        "CPU share " + CpuShare.probe(LAMBDA_EDGE_FRACTION) if args.cpu_share else ""
    )  # what the emulator's workers got
    print(banner(stack, csp.source, notice, cpu), flush=True)
    return run_until_stopped(stack, stop)


def run_external(args: argparse.Namespace) -> int:
    """The demo against the person's own provider: nothing local but the gate and the emulator."""
    workdir = os.path.join(ROOT, "build", "local", f"{EXTERNAL}-{args.port}")  # one per port: demos may run at once
    try:
        if port_in_use(args.port):
            raise StackError(f"port {args.port} is in use on 127.0.0.1; pick another with --port")
        if args.site:
            site_dir = os.path.abspath(args.site)
            if not os.path.isfile(os.path.join(site_dir, "index.html")):
                raise UsageError(
                    f"--site {args.site}: no index.html there; give your site's build output "
                    "directory (e.g. my-app/dist after npm run build)"
                )
        try:
            csp = site_csp(args.site or os.path.join(SITE, "dist"), args.csp_file)
        except CspError as exc:
            raise UsageError(str(exc)) from None
        stack = Stack(  # validates the person's file (with the laptop overrides) before anything starts
            EXTERNAL,
            site_dir=site_dir if args.site else os.path.join(SITE, "dist"),
            site_port=args.port,
            workdir=workdir,
            echo_emulator=not args.quiet,
            user_config=os.path.abspath(args.config),
            csp_file=args.csp_file,
            notice_shown=True,
            cpu_share=args.cpu_share,
        )
        if not args.site:
            stack.site_dir = build_site(args.rebuild_site)
        interpreter = runtime.best_python()
        notice = "" if interpreter.exact else runtime.mismatch_notice(interpreter)
        shutil.rmtree(workdir, ignore_errors=True)
        os.makedirs(workdir, mode=0o700, exist_ok=True)
        print(
            f"[demo] your provider {stack.issuer} (from {args.config}): building the gate with "
            f"{' '.join('--set ' + s for s in stack.build_sets)}, starting the emulator on :{args.port} ...",
            file=sys.stderr,
            flush=True,
        )
        stack.echo_on.clear()
    except (StackError, subprocess.TimeoutExpired) as exc:
        print(f"demo: {exc}", file=sys.stderr)
        return 2 if isinstance(exc, UsageError) or str(exc).startswith("config error") else 1
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        stack.start()
    except StackError as exc:
        print(f"demo: {exc}", file=sys.stderr)
        text = str(exc)
        if "names issuer" in text:  # discovery's issuer is not idp.issuer (gatebuild/discovery.py)
            print(
                "[demo] hint (issuer mismatch): the provider's discovery document names another issuer; "
                "copy its `issuer` value into idp.issuer exactly (scheme, host, path, trailing slash)",
                file=sys.stderr,
            )
        return 1
    cpu = "CPU share " + CpuShare.probe(LAMBDA_EDGE_FRACTION) if args.cpu_share else ""
    print(external_banner(stack, provider_report(stack), csp.source, notice, cpu), flush=True)
    return run_until_stopped(stack, stop)


if __name__ == "__main__":
    sys.exit(main())
