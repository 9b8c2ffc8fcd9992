"""Build the Lambda@Edge zip (`python build.py --config gate.toml [--jwks-file F] [--out F]`).

Validates the config once, resolves the IdP endpoints (Cognito: derived; OIDC: discovered at
build time unless given), embeds config and JWKS, installs and trims the pinned dependencies,
compiles bytecode for python3.13 (sources only when there is no python3.13: see
gatebuild/runtime.py) and writes a deterministic zip whose handler is `edge.handler.handler`,
stamped with the gate's version (edge/__init__.py). Exit status 2 for a user's mistake (the
config, --config, --jwks-file, the IdP unreachable or answering nonsense: one line naming the
fix), 1 for any other build failure; never a traceback and never a zip for either.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import shutil
import sys
import tempfile

from edge import __version__
from edge.jwks import key_problem, private_members, usable_jwks
from edge.provider import profile_for
from gatebuild import asset_key as gatebuild_asset_key
from gatebuild import cacerts, discovery, runtime, secret_store, vendor, zipper
from gatebuild import config as gate_config
from gatebuild.config import ConfigFileError

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

DEFAULT_OUT = os.path.join("dist", "edge.zip")
BUILD_DIR = os.path.join(ROOT, "build")
# Shipped as source, not bytecode. Empty: every module ships as python3.13 bytecode, urllib3 (the
# callback and JWKS-fetch paths) included: compiling it at a cold start cost ~115 ms, and the zip
# still fits the 1 MB limit.
COLD_PACKAGES: tuple[str, ...] = ()


class BuildError(Exception):
    """A build that cannot go on; str() is the one line shown. exit_code 2: the user can fix it."""

    def __init__(self, message: str, exit_code: int = 1):
        super().__init__(message)
        self.exit_code = exit_code


OFFLINE_HINT = "build offline with --jwks-file FILE (the IdP's JWKS, saved) and every endpoint under [idp]"


def load_config(
    config_path: str,
    *,
    jwks_file: str | None = None,
    overrides: dict | None = None,
    secret_path: str | None = None,
    asset_key_path: str | None = None,
):
    """The validated, fully resolved Config and its JWKS (network only without jwks_file).

    overrides["asset_key"] (the deploy's, from SSM: gatebuild/asset_key.py's stored form, with
    CloudFront's key id) is the asset-cookie key; without it a local key in build/asset-key."""
    raw = gate_config.read_toml(config_path)
    overrides = dict(overrides or {})
    asset_key = overrides.pop("asset_key", None)
    config, to_discover = gate_config.validate(gate_config.deep_merge(raw, overrides))
    if not config.state_secret:
        config = config._replace(
            state_secret=secret_store.load_or_create(secret_path or os.path.join(BUILD_DIR, "state-secret"))
        )
    if config.assets.signed_cookies:
        stored = asset_key or gatebuild_asset_key.load_or_create(asset_key_path or os.path.join(BUILD_DIR, "asset-key"))
        config = config._replace(
            assets=config.assets._replace(key_id=stored["key_id"], private_key=gatebuild_asset_key.baked(stored))
        )
    if to_discover:
        if jwks_file:
            required = [k for k in to_discover if k in gate_config.ENDPOINT_KEYS]
            if required:
                raise ConfigFileError(
                    f"idp.{required[0]}: not given, and --jwks-file means no network for discovery; "
                    "add it under [idp] or build without --jwks-file"
                )
            found = dict.fromkeys(to_discover, "")
        else:
            try:
                found = discovery.discover(config.issuer, to_discover)
            except discovery.FetchError as exc:
                raise BuildError(
                    f"OIDC discovery failed: {exc}; check idp.issuer and the network, or {OFFLINE_HINT}", 2
                ) from None
        config = gate_config.with_endpoints(
            config,
            **{
                {
                    "authorization_endpoint": "authorization",
                    "token_endpoint": "token",
                    "jwks_uri": "jwks",
                    "revocation_endpoint": "revocation",
                    "end_session_endpoint": "logout",
                }[k]: v
                for k, v in found.items()
            },
        )
        if "end_session_endpoint" in found:  # the profile knows its logout style (edge/provider.py)
            logout, style = profile_for(config.provider, config.issuer).logout_endpoint(
                config.issuer, found["end_session_endpoint"]
            )
            config = gate_config.with_endpoints(config, logout=logout, logout_style=style)
    jwks = _load_jwks(config, jwks_file)
    return config, jwks


def _load_jwks(config, jwks_file: str | None) -> dict:
    if jwks_file:
        try:
            with open(jwks_file, "rb") as f:
                jwks = json.loads(f.read())
        except IsADirectoryError:
            raise BuildError(f"--jwks-file {jwks_file}: is a directory; give the JWKS JSON file", 2) from None
        except OSError as exc:
            raise BuildError(
                f"--jwks-file {jwks_file}: cannot read it ({exc.strerror}); "
                "give the path of the IdP's saved JWKS (JSON)",
                2,
            ) from None
        except ValueError as exc:
            raise BuildError(
                f"--jwks-file {jwks_file}: not JSON ({exc}); save the IdP's jwks_uri "
                'document as it is, {"keys": [...]}',
                2,
            ) from None
        if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
            raise BuildError(f'--jwks-file {jwks_file}: not a JWKS; it must be a JSON object {{"keys": [...]}}', 2)
        where = f"--jwks-file {jwks_file}"
    else:
        try:
            jwks = discovery.fetch_json(config.endpoints.jwks)
        except discovery.FetchError as exc:
            raise BuildError(
                f"fetching the JWKS failed: {exc}; check the network and idp.jwks_uri, "
                "or build offline with --jwks-file FILE (the IdP's JWKS, saved)",
                2,
            ) from None
        where = config.endpoints.jwks
    for jwk in jwks.get("keys") if isinstance(jwks.get("keys"), list) else []:
        secret = private_members(jwk) if isinstance(jwk, dict) else []
        if secret:
            raise BuildError(
                f"JWKS key {jwk.get('kid')!r} carries private-key members ({', '.join(secret)}): anyone who can "
                "read the zip could sign tokens the gate accepts; give the provider's public JWKS (jwks_uri)",
                2,
            )
    usable = usable_jwks(jwks, config.tokens.algorithms) if isinstance(jwks.get("keys"), list) else {}
    if not usable:
        raise BuildError(
            f"{where}: the JWKS has no RSA signing key usable with tokens.algorithms "
            f"({', '.join(config.tokens.algorithms)}); check that it is your IdP's JWKS",
            2,
        )
    for kid, jwk in usable.items():
        problem = key_problem(jwk)
        if problem is not None:
            raise BuildError(f"JWKS key {kid!r} {problem[1]}", 2)
    return {"keys": list(usable.values())}


def _stage(staging: str, vendor_dir: str, config, jwks: dict) -> list[str]:
    """Lay out what the zip may hold; returns the trust store's files (shipped as they are)."""
    shutil.rmtree(staging, ignore_errors=True)
    shutil.copytree(vendor_dir, staging, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", ".complete"))
    edge_target = os.path.join(staging, "edge")
    os.makedirs(edge_target)
    for name in sorted(os.listdir(os.path.join(ROOT, "edge"))):
        if name.endswith(".py"):
            shutil.copyfile(os.path.join(ROOT, "edge", name), os.path.join(edge_target, name))
    with open(os.path.join(edge_target, "baked.py"), "w") as f:
        f.write(baked_module(config, jwks))
    return _stage_trust_store(staging)


def _stage_trust_store(staging: str) -> list[str]:
    """certifi's roots as the hashed directory edge/cacerts/ (see gatebuild/cacerts.py), and its licence."""
    with open(os.path.join(staging, cacerts.BUNDLE), encoding="ascii") as f:
        files = cacerts.hashed_directory(f.read())
    target = os.path.join(staging, cacerts.DIRECTORY)
    os.makedirs(target, exist_ok=True)
    for name, pem in files.items():
        with open(os.path.join(target, name), "wb") as f:
            f.write(pem)
    written = [f"{cacerts.DIRECTORY}/{name}" for name in sorted(files)]
    for licence in glob.glob(os.path.join(staging, cacerts.LICENCE_GLOB, "**", "LICENSE*"), recursive=True):
        written.append(os.path.relpath(licence, staging).replace(os.sep, "/"))
    return written


def baked_module(config, jwks: dict) -> str:
    """Config and JWKS as Python literals: loaded from bytecode, with no json import at cold start."""

    def literal(value) -> str:
        return repr(json.loads(json.dumps(value, sort_keys=True)))

    return (
        "# Written by build.py: the gate's resolved configuration and signing keys.\n"
        f"VERSION = {__version__!r}\n"
        f"CONFIG = {literal(config.to_dict())}\n"
        f"JWKS = {literal(jwks)}\n"
    )


def build(
    config_path: str,
    *,
    jwks_file: str | None = None,
    out: str = DEFAULT_OUT,
    overrides: dict | None = None,
    site_env: str | None = None,
    quiet: bool = False,
    asset_key_path: str | None = None,
) -> str:
    say = (lambda *a: None) if quiet else (lambda *a: print(*a))
    config, jwks = load_config(config_path, jwks_file=jwks_file, overrides=overrides, asset_key_path=asset_key_path)
    notice = discovery.sign_out_notice(
        config.endpoints.revocation, config.endpoints.logout, config.endpoints.logout_style
    )
    if notice and not quiet:
        print(notice, file=sys.stderr)
    python313 = runtime.find_python313()
    if python313 is None and not quiet:
        print(
            "warning: no python3.13 found: writing a sources-only zip (the same gate; every cold start "
            f"compiles it, ~0.3-0.5 s slower). For bytecode, {runtime.HOW_TO_GET}.",
            file=sys.stderr,
        )
    try:
        vendor_dir = vendor.install(BUILD_DIR, python313)
    except vendor.VendorError as exc:
        raise BuildError(str(exc)) from None
    staging = tempfile.mkdtemp(prefix="staging-", dir=BUILD_DIR)  # one per build: builds may run at once
    try:
        data = _zip_from_staging(staging, vendor_dir, config, jwks, python313)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    if len(data) > zipper.LIMIT_BYTES:
        raise BuildError(f"the zip would be {len(data):,} bytes, over the 1 MB viewer-request limit; not written")
    os.makedirs(os.path.dirname(os.path.abspath(out)), exist_ok=True)
    write_private(out, data)
    if site_env:
        _write_site_env(site_env, config)
    say(
        f"wrote {out}: gate {__version__} (handler: edge.handler.handler, provider: {config.provider}, "
        f"{len(jwks['keys'])} signing key(s) embedded, {'bytecode for python3.13' if python313 else 'sources only'})"
    )
    say(zipper.format_report(data))
    return out


def write_private(path: str, data: bytes) -> None:
    """Write a file only its owner can read: the zip holds the state and client secrets."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        os.fchmod(f.fileno(), 0o600)  # an existing file keeps its old mode otherwise
        f.write(data)


def _zip_from_staging(staging: str, vendor_dir: str, config, jwks: dict, python313: str | None) -> bytes:
    trust_store = _stage(staging, vendor_dir, config, jwks)
    try:
        traced = vendor.traced_files(staging, python313 or sys.executable)
    except vendor.VendorError as exc:
        raise BuildError(str(exc)) from None
    edge_files = sorted(f"edge/{n}" for n in os.listdir(os.path.join(staging, "edge")) if n.endswith(".py"))
    sources = sorted(set(vendor.keep_list(staging, traced)) | set(edge_files))
    if python313:
        hot = [f for f in sources if f.endswith(".py") and not (COLD_PACKAGES and f.startswith(COLD_PACKAGES))]
        entries = [f for f in sources if f not in hot] + zipper.compile_tree(staging, hot, python313)
    else:
        entries = sources
    return zipper.write_zip(staging, entries + trust_store)


def _write_site_env(path: str, config) -> None:
    lines = [
        f"VITE_GATE_WHOAMI={config.paths.whoami}",
        f"VITE_GATE_SIGN_IN={config.paths.sign_in}",
        f"VITE_GATE_SIGN_OUT={config.paths.sign_out}",
        f"VITE_GATE_REFRESH={config.paths.refresh}",
    ]
    with open(path, "w") as f:
        f.write("# written by build.py from the gate's config: the site's gate paths\n" + "\n".join(lines) + "\n")


def parse_sets(values: list[str]) -> dict:
    """`--set section.key=VALUE` as overrides (VALUE read as a TOML value, else as a string):
    what `scripts/demo` lays on a person's own file for a laptop (site.url, cookies.secure)."""
    import tomllib

    overrides: dict = {}
    for item in values:
        key, eq, text = item.partition("=")
        parts = key.strip().split(".")
        if not eq or len(parts) != 2 or not all(parts):
            raise BuildError(f"--set {item}: write section.key=VALUE, e.g. --set site.url=http://localhost:8080", 2)
        try:
            value = tomllib.loads(f"v = {text}")["v"]
        except tomllib.TOMLDecodeError:
            value = text
        overrides.setdefault(parts[0], {})[parts[1]] = value
    return overrides


def check_idp(config_path: str, overrides: dict) -> int:
    from gatebuild import doctor

    try:
        lines = doctor.report(config_path, overrides)
    except discovery.FetchError as exc:
        raise BuildError(f"{exc}; check idp.issuer and the network", 2) from None
    print("\n".join(lines), flush=True)
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=f"Build the sign-in gate's Lambda@Edge zip (gate {__version__}).")
    parser.add_argument("--version", action="version", version=f"gate {__version__}")
    parser.add_argument("--config", help="the gate's TOML config (see gate.example.toml); required")
    parser.add_argument("--jwks-file", help="embed this JWKS instead of fetching it (no network at all)")
    parser.add_argument("--out", default=DEFAULT_OUT, help=f"zip to write (default {DEFAULT_OUT})")
    parser.add_argument("--site-env", help="also write the site's VITE_GATE_* paths to this .env file")
    parser.add_argument(
        "--asset-key",
        help="[assets] signed_cookies: the asset-cookie key file (made when missing, mode 0600; default build/asset-key)",
    )
    parser.add_argument(
        "--print-schema",
        action="store_true",
        help="print the config's JSON Schema (for TOML editors; docs/gate.schema.json) and exit",
    )
    parser.add_argument(
        "--check-idp",
        action="store_true",
        help="fetch the provider's discovery, RFC 8414 metadata and JWKS and say what the gate will do with it "
        "(issuer, algorithms, groups, sign-out, profile rules, the URLs to register); writes no zip",
    )
    parser.add_argument(
        "--set",
        action="append",
        default=[],
        metavar="SECTION.KEY=VALUE",
        help="lay a value over the config file (VALUE as TOML, else a string), e.g. --set site.url=http://localhost:8080",
    )
    args = parser.parse_args(argv)
    if args.print_schema:
        try:
            print(json.dumps(gate_config.json_schema(), indent=2), flush=True)
        except BrokenPipeError:  # `| head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    if not args.config:
        parser.error("the following arguments are required: --config")
    try:
        overrides = parse_sets(args.set)
        if args.check_idp:
            return check_idp(args.config, overrides)
        build(
            args.config,
            jwks_file=args.jwks_file,
            out=args.out,
            site_env=args.site_env,
            overrides=overrides or None,
            asset_key_path=args.asset_key,
        )
    except ConfigFileError as exc:
        for line in exc.mistakes:
            print(f"config error: {line}", file=sys.stderr)
        return 2
    except BuildError as exc:
        print(f"{'error' if exc.exit_code == 2 else 'build failed'}: {exc}", file=sys.stderr)
        return exc.exit_code
    return 0
