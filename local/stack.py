"""Start a whole local stack: identity provider + built zip + CloudFront emulator.

    with Stack("cognito", site_dir="site/dist") as stack:
        print(stack.site_url, stack.users)

Steps, each bounded in time: start the provider (cognito-local through local/idp/cognito.cjs,
or oidc-provider through local/idp/oidc.mjs, optionally with a provider profile from
local/profiles.py: auth0, okta, entra, google, keycloak) on 127.0.0.1; for cognito-local, seed a user pool,
an app client (callback + sign-out URLs, a secret, token lifetimes), the groups Admin and
Viewer and the demo users with boto3; write the gate's TOML exactly as a user would; build the
zip with `python build.py --config ... --out ...` (which discovers the endpoints and fetches the
JWKS from the running provider); start `python -m local.emulator` on it. Every process runs in
its own process group and is killed as a group on stop(), on exit and on SIGTERM.
"""

from __future__ import annotations

import atexit
import base64
import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field

from local import profiles

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
IDP_DIR = os.path.join(ROOT, "local", "idp")
PROVIDERS = ("cognito", "oidc")
EXTERNAL = "external"  # the person's own provider, named by their gate TOML's [idp] (nothing started here)
DEFAULT_PORTS = {"site": 8080, "cognito": 9229, "oidc": 9230}


@dataclass(frozen=True)
class User:
    username: str
    password: str
    groups: tuple[str, ...]
    name: str
    sub: str


DEMO_USERS = (
    User("admin@example.com", "Admin-Passw0rd!", ("Admin",), "Ada Admin", "user-admin"),
    User("viewer@example.com", "Viewer-Passw0rd!", ("Viewer",), "Vic Viewer", "user-viewer"),
)
GROUPS = ("Admin", "Viewer")


class StackError(RuntimeError):
    pass


# A user's own gate TOML (demo --config): these sections are theirs; the identity provider,
# site URL, cookies and state secret are the local stack's.
USER_SECTIONS = ("paths", "rules", "tokens", "branding", "entry")


def read_user_sections(path: str) -> dict:
    """The sections of a user's gate config that the local stack keeps (validated by build.py)."""
    import tomllib

    try:
        with open(path, "rb") as f:
            raw = tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StackError(f"--config {path}: cannot read it as TOML ({exc}); give your gate.toml") from None
    return {k: v for k, v in raw.items() if k in USER_SECTIONS}


def read_whole_config(path: str) -> dict:
    import tomllib

    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except (OSError, tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise StackError(f"--config {path}: cannot read it as TOML ({exc}); give your gate.toml") from None


def names_a_provider(raw: dict) -> bool:
    """Whether a gate TOML names its own identity provider: an [idp] table with a client_id
    (with an issuer, or provider = "cognito" and a [cognito] pool). The demo then starts none."""
    idp = raw.get("idp")
    return isinstance(idp, dict) and bool(idp.get("client_id")) and (bool(idp.get("issuer")) or "cognito" in raw)


def laptop_overrides(raw: dict, site_url: str) -> list[str]:
    """The `build.py --set` values that make a person's own gate TOML run on this laptop, and
    nothing more: the site's URL (http on loopback), cookies without Secure (browsers drop Secure
    cookies from http://localhost in some versions, and the validator allows secure = false only
    for a localhost site.url), no cookie Domain (localhost is not the site's domain), and
    SameSite=None (which needs Secure) made Lax."""
    cookies = raw.get("cookies") if isinstance(raw.get("cookies"), dict) else {}
    sets = [f"site.url={json.dumps(site_url)}", "cookies.secure=false"]
    if cookies.get("domain"):
        sets.append('cookies.domain=""')
    if cookies.get("same_site") == "None":
        sets.append('cookies.same_site="Lax"')
    return sets


def _toml_value(value) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return json.dumps(value)  # a JSON string is a valid TOML basic string
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, dict):  # an inline table, e.g. extra_authorize_params = { audience = "..." }
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml_value(v)}" for k, v in value.items()) + " }"
    raise StackError(f"cannot write {value!r} back as TOML")


def toml_table(name: str, values: dict) -> list[str]:
    """`[name]` (or `[[rules]]` for name "[rules]") and its key = value lines."""
    lines = ["", f"[{name}]"]
    for key, value in values.items():
        if isinstance(value, dict) and name != "idp":
            raise StackError(f"[{name}].{key}: nested tables are not used by the gate's config")
        lines.append(f"{json.dumps(key) if not key.replace('_', '').isalnum() else key} = {_toml_value(value)}")
    return lines


class _build_lock:
    """An exclusive lock on build/.local-build.lock (fcntl), so local builds do not overlap."""

    def __enter__(self):
        import fcntl

        os.makedirs(os.path.join(ROOT, "build"), exist_ok=True)
        self._file = open(os.path.join(ROOT, "build", ".local-build.lock"), "w")
        fcntl.flock(self._file, fcntl.LOCK_EX)
        return self

    def __exit__(self, *exc):
        self._file.close()


def private_file(path: str):
    """Open `path` for writing text, readable by this user only from its first byte (0600)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    os.fchmod(fd, 0o600)  # an existing file keeps its old mode through O_CREAT
    return os.fdopen(fd, "w")


def with_admin_token(client, token: str) -> None:
    """Make a boto3 cognito-idp client send the token local/idp/cognito.cjs requires on its
    management API (without it any web page open in the browser could call that API)."""

    def add(request, **_) -> None:
        request.headers["X-Gate-Local-Admin"] = token

    client.meta.events.register("before-sign.cognito-idp.*", add)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def port_in_use(port: int) -> bool:
    with socket.socket() as s:
        return s.connect_ex(("127.0.0.1", port)) == 0


def node_modules_ready() -> bool:
    return all(
        os.path.isdir(os.path.join(IDP_DIR, "node_modules", name)) for name in ("cognito-local", "oidc-provider")
    )


def install_idp_packages(timeout: float = 600) -> None:
    """`npm ci` in local/idp (the pinned lock file), only when node_modules is missing."""
    if node_modules_ready():
        return
    npm = shutil.which("npm")
    if not npm:
        raise StackError("npm not found: install Node.js 20+ (it brings npm)")
    print("[stack] installing local/idp npm packages (npm ci) ...", file=sys.stderr, flush=True)
    run = subprocess.run(
        [npm, "ci", "--no-audit", "--no-fund"], cwd=IDP_DIR, timeout=timeout, capture_output=True, text=True
    )
    if run.returncode != 0:
        raise StackError(f"npm ci in local/idp failed:\n{run.stdout[-2000:]}\n{run.stderr[-2000:]}")


class Process:
    """A child in its own process group, output to a log file (and optionally echoed)."""

    def __init__(
        self,
        name: str,
        argv: list[str],
        log_path: str,
        *,
        cwd: str = ROOT,
        env: dict | None = None,
        echo=None,
        echo_on: threading.Event | None = None,
    ):
        self.name = name
        self.log_path = log_path
        self._log = open(log_path, "ab", buffering=0)  # noqa: SIM115  # closed in stop(), lives with the child
        self.proc = subprocess.Popen(
            argv,
            cwd=cwd,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self._echo = echo
        self._echo_on = echo_on  # echo only once it is set (the demo: after its banner)
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        for line in iter(self.proc.stdout.readline, b""):
            self._log.write(line)
            if self._echo and (self._echo_on is None or self._echo_on.is_set()):
                self._echo(line.decode("utf-8", "replace").rstrip("\n"))
        self.proc.stdout.close()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def tail(self, lines: int = 40) -> str:
        try:
            with open(self.log_path, "rb") as f:
                return b"\n".join(f.read().splitlines()[-lines:]).decode("utf-8", "replace")
        except OSError:
            return ""

    def stop(self, grace: float = 5.0) -> None:
        if self.proc.poll() is None:
            for sig, wait in ((signal.SIGTERM, grace), (signal.SIGKILL, 5.0)):
                try:
                    os.killpg(self.proc.pid, sig)
                except ProcessLookupError:
                    break
                try:
                    self.proc.wait(timeout=wait)
                    break
                except subprocess.TimeoutExpired:
                    continue
        else:  # the leader is gone; its group may not be
            try:
                os.killpg(self.proc.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self._reader.join(timeout=2)
        self._log.close()


def wait_until(check, what: str, timeout: float, process: Process | None = None, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    last_error = None
    while time.monotonic() < deadline:
        if process is not None and not process.alive():
            raise StackError(f"{process.name} exited while waiting for {what}:\n{process.tail()}")
        try:
            result = check()
            if result:
                return result
        except Exception as exc:  # retried until the deadline
            last_error = exc
        time.sleep(interval)
    tail = f"\n{process.tail()}" if process is not None else ""
    raise StackError(f"timed out after {timeout:.0f} s waiting for {what} (last error: {last_error}){tail}")


def http_get(url: str, headers: dict | None = None, timeout: float = 3.0) -> tuple[int, bytes]:
    req = urllib.request.Request(url, headers=headers or {})
    opener = urllib.request.build_opener(NoRedirect)
    try:
        with opener.open(req, timeout=timeout) as resp:
            return resp.status, resp.read()
    except urllib.error.HTTPError as err:
        return err.code, err.read()


class NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


@dataclass
class Stack:
    """One provider + the gate + the emulator. Use as a context manager, or start()/stop()."""

    provider: str = "cognito"
    site_dir: str = os.path.join(ROOT, "site", "dist")
    site_port: int = 0  # 0: a free port
    idp_port: int = 0
    workdir: str | None = None  # TOML, zip, logs, provider data; default a temp dir
    id_token_ttl: int = 3600  # seconds
    access_token_ttl: int | None = None  # default: same as the ID token
    refresh_window_seconds: int = 300
    leeway_seconds: int = 30
    echo_emulator: bool = False  # copy the emulator's log lines to stderr
    users: tuple[User, ...] = DEMO_USERS
    timeout: float = 60.0  # for each readiness wait
    build_timeout: float = 300.0
    cognito_config_style: str | None = None  # "cognito" or "oidc"; None: the validator decides
    user_config: str | None = None  # a user's gate TOML: its paths, rules, branding, ... (see below)
    csp_file: str | None = None  # the site's CSP; default as deployed (gatebuild/site_policy.py)
    notice_shown: bool = False  # the caller already said the Python-version notice
    profile: str = "oidc"  # provider "oidc" only: behave like auth0, okta, ... (local/profiles.py)
    profile_surface: str | None = None  # "issue14" or "current"; None: the validator decides
    profile_options: dict = field(default_factory=dict)  # profiles.idp_args options, e.g. entra_overage="sources"
    api: bool = False  # issue 13: run local/api.py behind [[apis]] paths = ["/api/*"]
    api_port: int = 0
    signed_assets: bool = True  # issue 23: [assets] signed_cookies = true, CloudFront checks the assets
    cpu_share: bool = False  # the emulator's --cpu-share: workers at the 128 MB Lambda@Edge CPU share

    site_url: str = field(init=False, default="")
    idp_url: str = field(init=False, default="")
    issuer: str = field(init=False, default="")
    client_id: str = field(init=False, default="")
    client_secret: str = field(init=False, default="")
    config_path: str = field(init=False, default="")
    zip_path: str = field(init=False, default="")
    config_style: str = field(init=False, default="")
    processes: list[Process] = field(init=False, default_factory=list)
    refusal_log: str = field(init=False, default="")

    def __post_init__(self):
        self.external = self.provider == EXTERNAL
        if self.external:
            if not self.user_config:
                raise StackError("an external provider is named by a gate TOML: give user_config (demo --config)")
            if self.api or self.profile != "oidc":
                raise StackError("with your own provider the demo runs no API and no provider profile of its own")
        elif self.provider not in PROVIDERS:
            raise StackError(f"provider must be one of {PROVIDERS}, not {self.provider!r}")
        if self.profile not in profiles.PROFILES or (self.profile != "oidc" and self.provider != "oidc"):
            raise StackError(
                f"profile must be one of {', '.join(profiles.PROFILES)} (with provider oidc), not {self.profile!r}"
            )
        self._own_workdir = self.workdir is None
        self.workdir = self.workdir or tempfile.mkdtemp(prefix=f"gate-local-{self.provider}-")
        # The workdir holds the client secret, the state secret (config, zip, the provider's data)
        # and the demo users' passwords: only this user may read it (issue 21, "Also noticed").
        os.makedirs(self.workdir, mode=0o700, exist_ok=True)
        os.chmod(self.workdir, 0o700)
        self.idp_admin_token = secrets.token_urlsafe(32)
        self.site_port = self.site_port or free_port()
        self.idp_port = 0 if self.external else (self.idp_port or free_port())
        if self.api and self.profile != "oidc":
            raise StackError("the demo API runs with the cognito provider or the plain oidc profile")
        self.api_port = (self.api_port or free_port()) if self.api else 0
        self.api_url = f"http://127.0.0.1:{self.api_port}" if self.api else ""
        self.site_url = f"http://localhost:{self.site_port}"
        self.idp_url = f"http://127.0.0.1:{self.idp_port}"
        self.build_sets: list[str] = []  # build.py --set values (the external provider's laptop overrides)
        if self.external:
            self._resolve_external()
            self.echo_on = threading.Event()
            self.echo_on.set()
            self._stopped = False
            return
        self._user_sections = read_user_sections(self.user_config) if self.user_config else {}
        user_paths = self._user_sections.get("paths", {})
        self.callback_url = self.site_url + user_paths.get("callback", "/_gate/callback")
        self.signed_out_url = self.site_url + user_paths.get("signed_out", "/_gate/signed-out")
        self.groups = tuple(sorted(set(GROUPS) | set(self.groups_in_rules())))
        if self.user_config and self.users == DEMO_USERS:
            # The admin is in every group the user's rules name, so both answers can be seen.
            admin, *others = DEMO_USERS
            self.users = (User(admin.username, admin.password, self.groups, admin.name, admin.sub), *others)
        self.echo_on = threading.Event()
        self.echo_on.set()
        self._stopped = False

    def _resolve_external(self) -> None:
        """The person's file, validated as build.py will see it (their file + the laptop overrides)."""
        raw = read_whole_config(self.user_config)
        if not names_a_provider(raw):
            raise StackError(f"--config {self.user_config}: its [idp] names no provider (issuer and client_id)")
        self.build_sets = laptop_overrides(raw, self.site_url)
        overrides = self.overrides
        sys.path.insert(0, ROOT)
        try:
            from gatebuild import config as gate_config

            try:
                config, _ = gate_config.validate(gate_config.deep_merge(raw, overrides))
            except gate_config.ConfigFileError as exc:
                raise StackError(
                    "\n".join(f"config error: {line}" for line in exc.mistakes) + f"\n(in {self.user_config})"
                ) from None
        finally:
            sys.path.remove(ROOT)
        self.resolved = config
        # the person's file decides, as on AWS: the emulator checks signed asset cookies only
        # when their [assets] signed_cookies is on (the build then writes the asset key)
        self.signed_assets = config.assets.signed_cookies
        self.issuer = config.issuer
        self.idp_url = config.issuer
        self.client_id = config.client_id
        self.callback_url = self.site_url + config.paths.callback
        self.signed_out_url = self.site_url + config.paths.signed_out
        self.groups_claim = config.tokens.groups_claim
        self._user_sections = {k: v for k, v in raw.items() if k in USER_SECTIONS}
        self.groups = tuple(self.groups_in_rules())
        self.users = ()

    @property
    def overrides(self) -> dict:
        """build_sets as the overrides dict builder.load_config takes."""
        import tomllib

        out: dict = {}
        for item in self.build_sets:
            key, _, text = item.partition("=")
            section, _, name = key.partition(".")
            out.setdefault(section, {})[name] = tomllib.loads(f"v = {text}")["v"]
        return out

    def build_command(self) -> str:
        sets = "".join(f" --set '{item}'" for item in self.build_sets)
        return f"python build.py --config {self.config_path}{sets}"

    def hint_context(self) -> dict[str, str]:
        return {
            "config": self.config_path or str(self.user_config),
            "client_id": self.client_id,
            "callback": self.callback_url,
            "signed_out": self.signed_out_url,
            "groups_claim": getattr(self, "groups_claim", "groups"),
            "site_url": self.site_url,
            "issuer": self.issuer,
        }

    # -- lifecycle ---------------------------------------------------------------------

    def start(self) -> Stack:
        if not os.path.isfile(os.path.join(self.site_dir, "index.html")):
            raise StackError(
                f"{self.site_dir}: no index.html; build the site first (cd site && npm ci && npm run build)"
            )
        for port in (self.site_port, self.idp_port):
            if port and port_in_use(port):
                raise StackError(f"port {port} on 127.0.0.1 is already in use; choose another")
        if not self.external:
            install_idp_packages()
        atexit.register(self.stop)
        try:
            if self.external:
                pass  # the person's own provider: nothing to start
            elif self.provider == "cognito":
                self._start_cognito()
            else:
                self._start_oidc()
            if self.api:
                self._start_api()
            self._write_config()
            self._build()
            self._start_emulator()
        except BaseException:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._stopped:
            return
        self._stopped = True
        for process in reversed(self.processes):
            process.stop()
        if self._own_workdir and not os.environ.get("GATE_KEEP_WORKDIR"):
            shutil.rmtree(self.workdir, ignore_errors=True)

    def __enter__(self) -> Stack:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def logs(self, lines: int = 60) -> str:
        return "\n".join(f"----- {p.name} ({p.log_path})\n{p.tail(lines)}" for p in self.processes)

    # -- providers ---------------------------------------------------------------------

    def _node(self) -> str:
        node = shutil.which("node")
        if not node:
            raise StackError("node not found: install Node.js 20+")
        return node

    def _start_cognito(self) -> None:
        data_dir = os.path.join(self.workdir, "cognito-data")
        os.makedirs(data_dir, exist_ok=True)
        env = {
            **os.environ,
            "AWS_SDK_JS_SUPPRESS_MAINTENANCE_MODE_MESSAGE": "1",
            "GATE_IDP_ADMIN_TOKEN": self.idp_admin_token,
        }
        proc = Process(
            "cognito-local",
            [
                self._node(),
                os.path.join(IDP_DIR, "cognito.cjs"),
                "--port",
                str(self.idp_port),
                "--host",
                "127.0.0.1",
                "--data-dir",
                data_dir,
            ],
            os.path.join(self.workdir, "cognito-local.log"),
            env=env,
        )
        self.processes.append(proc)
        wait_until(lambda: http_get(self.idp_url + "/health")[0] == 200, "cognito-local", self.timeout, proc)
        self._seed_cognito()

    def _seed_cognito(self) -> None:
        import boto3

        client = boto3.client(
            "cognito-idp",
            endpoint_url=self.idp_url,
            region_name="us-east-1",
            aws_access_key_id="local",
            aws_secret_access_key="local",
        )
        with_admin_token(client, self.idp_admin_token)
        pool = client.create_user_pool(
            PoolName="gate-local", UsernameAttributes=["email"], AutoVerifiedAttributes=["email"]
        )["UserPool"]
        pool_id = pool["Id"]
        ttl = self.id_token_ttl
        app = client.create_user_pool_client(
            UserPoolId=pool_id,
            ClientName="gate-local",
            GenerateSecret=True,
            CallbackURLs=[self.callback_url],
            LogoutURLs=[self.signed_out_url],
            AllowedOAuthFlows=["code"],
            AllowedOAuthFlowsUserPoolClient=True,
            AllowedOAuthScopes=["openid", "email", "profile"],
            SupportedIdentityProviders=["COGNITO"],
            IdTokenValidity=ttl,
            AccessTokenValidity=self.access_token_ttl or ttl,
            RefreshTokenValidity=30,
            TokenValidityUnits={"IdToken": "seconds", "AccessToken": "seconds", "RefreshToken": "days"},
            EnableTokenRevocation=True,
        )["UserPoolClient"]
        for group in self.groups:
            client.create_group(UserPoolId=pool_id, GroupName=group)
        for user in self.users:
            client.admin_create_user(
                UserPoolId=pool_id,
                Username=user.username,
                MessageAction="SUPPRESS",
                TemporaryPassword=user.password,
                UserAttributes=[
                    {"Name": "email", "Value": user.username},
                    {"Name": "email_verified", "Value": "true"},
                    {"Name": "name", "Value": user.name},
                ],
            )
            client.admin_set_user_password(
                UserPoolId=pool_id, Username=user.username, Password=user.password, Permanent=True
            )
            for group in user.groups:
                client.admin_add_user_to_group(UserPoolId=pool_id, Username=user.username, GroupName=group)
        self.pool_id = pool_id
        self.client_id = app["ClientId"]
        self.client_secret = app.get("ClientSecret", "")
        self.issuer = f"{self.idp_url}/{pool_id}"

    def _start_oidc(self) -> None:
        self.client_id = "gate-local"
        self.client_secret = secrets.token_urlsafe(24)
        self.issuer = profiles.issuer(self.profile, self.idp_url)
        users_file = os.path.join(self.workdir, "oidc-users.json")
        with private_file(users_file) as f:
            json.dump(
                [
                    {
                        "sub": u.sub,
                        "username": u.username,
                        "password": u.password,
                        "name": u.name,
                        "groups": list(u.groups),
                    }
                    for u in self.users
                ],
                f,
            )
        ttl = self.id_token_ttl
        argv = [
            self._node(),
            os.path.join(IDP_DIR, "oidc.mjs"),
            "--port",
            str(self.idp_port),
            "--host",
            "127.0.0.1",
            "--client-id",
            self.client_id,
            "--redirect-uri",
            self.callback_url,
            "--post-logout-redirect-uri",
            self.signed_out_url,
            "--users",
            users_file,
            "--id-token-ttl",
            str(ttl),
            "--access-token-ttl",
            str(self.access_token_ttl or ttl),
            *profiles.idp_args(self.profile, **self.profile_options),
        ]
        if self.api:
            argv.append("--jwt-access-tokens")
        # The secret goes in the environment, which only this user can read (/proc/PID/environ),
        # never on the command line, which every local user sees in ps.
        proc = Process(
            "oidc-provider",
            argv,
            os.path.join(self.workdir, "oidc-provider.log"),
            env={**os.environ, "OIDC_CLIENT_SECRET": self.client_secret},
        )
        self.processes.append(proc)
        self.discovery_url = self.issuer.rstrip("/") + "/.well-known/openid-configuration"
        discovered = wait_until(
            lambda: (lambda r: r[0] == 200 and json.loads(r[1]))(http_get(self.discovery_url)),
            "oidc-provider",
            self.timeout,
            proc,
        )
        self.token_endpoint = discovered["token_endpoint"]
        self.jwks_uri = discovered["jwks_uri"]

    def _start_api(self) -> None:
        """local/api.py, verifying the access tokens this provider issues: cognito-local's have
        token_use "access", client_id and cognito:groups (its tokenGenerator.js); oidc-provider's
        with --jwt-access-tokens are RFC 9068 (typ at+jwt, client_id, aud = the client id, groups)."""
        if self.provider == "cognito":
            jwks, groups, extra = f"{self.issuer}/.well-known/jwks.json", "cognito:groups", []
        else:
            jwks, groups, extra = self.jwks_uri, "groups", ["--audience", self.client_id]
        argv = [
            sys.executable,
            "-m",
            "local.api",
            "--port",
            str(self.api_port),
            "--issuer",
            self.issuer,
            "--jwks-url",
            jwks,
            "--client-id",
            self.client_id,
            "--groups-claim",
            groups,
            *extra,
        ]
        proc = Process("api", argv, os.path.join(self.workdir, "api.log"), env={**os.environ, "PYTHONUNBUFFERED": "1"})
        self.processes.append(proc)
        wait_until(
            lambda: http_get(f"{self.api_url}/api/health")[0] == 200, "the demo API (/api/health)", self.timeout, proc
        )

    # -- the gate ----------------------------------------------------------------------

    def config_text(self, style: str) -> str:
        """The gate's TOML for this stack, written the way a user would write it."""
        secret = base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip("=")
        profile = f" (profile {self.profile})" if self.profile != "oidc" else ""
        lines = [
            f"# Generated by local/stack.py for {self.provider}{profile} on {self.idp_url} (config style: {style}).",
            "",
        ]
        if self.provider == "oidc" and self.profile != "oidc":
            return self._profile_config_text(lines, secret, style)
        if self.provider == "oidc":
            lines += [
                "[idp]",
                'provider = "oidc"',
                f'issuer = "{self.issuer}"   # endpoints are discovered at build time',
                f'client_id = "{self.client_id}"',
                f'client_secret = "{self.client_secret}"',
                'scopes = ["openid", "email", "profile", "groups"]',
            ]
            groups_claim, nonce = "groups", "true"
        elif style == "cognito":
            lines += [
                "[idp]",
                'provider = "cognito"',
                f'client_id = "{self.client_id}"',
                f'client_secret = "{self.client_secret}"',
                'scopes = ["openid", "email", "profile"]',
                "# cognito-local's issuer is not https://cognito-idp.<region>.amazonaws.com/<pool>:",
                f'issuer = "{self.issuer}"',
                f'jwks_uri = "{self.issuer}/.well-known/jwks.json"',
                "",
                "[cognito]",
                'region = "local"',
                f'user_pool_id = "{self.pool_id}"',
                f'domain = "{self.idp_url}"   # hosted UI: /oauth2/*, /logout',
            ]
            groups_claim, nonce = "cognito:groups", "false"
        else:
            lines += [
                "[idp]",
                "# cognito-local as a generic OIDC provider: its pool id (local_...) and http issuer",
                "# do not pass the [cognito] checks. Endpoints come from the discovery document.",
                'provider = "oidc"',
                f'issuer = "{self.issuer}"',
                f'client_id = "{self.client_id}"',
                f'client_secret = "{self.client_secret}"',
                'scopes = ["openid", "email", "profile"]',
            ]
            groups_claim, nonce = "cognito:groups", "false"
        lines += ["", "[site]", f'url = "{self.site_url}"', ""]
        user = self._user_sections
        if user:
            lines += [f"# From {self.user_config}: everything but the identity provider, site and cookies."]
        lines += toml_table("paths", user.get("paths") or {"public": ["/favicon.svg", "/robots.txt"]})
        rules = user.get("rules", [{"paths": ["/admin", "/admin/*"], "groups": ["Admin"]}] if not user else [])
        for rule in rules:
            lines += toml_table("[rules]", rule)
        if self.api:
            lines += toml_table("[apis]", {"paths": ["/api/*"], "identity_headers": True})
        if "branding" in user:
            lines += toml_table("branding", user["branding"])
        tokens = {k: v for k, v in user.get("tokens", {}).items() if k not in ("groups_claim", "require_nonce")}
        tokens.update(
            groups_claim=groups_claim,
            refresh_window_seconds=self.refresh_window_seconds,
            leeway_seconds=self.leeway_seconds,
        )
        lines += toml_table("tokens", tokens)
        if nonce == "false":
            lines.append("require_nonce = false   # cognito-local drops the nonce from its ID tokens")
        lines += self._assets_lines()
        lines += [
            "",
            "[cookies]",
            "secure = false   # http://localhost only",
            "",
            "[state]",
            f'secret = "{secret}"',
            "",
            "[log]",
            'level = "debug"',
            "",
        ]
        return "\n".join(lines)

    def _profile_config_text(self, lines: list[str], secret: str, surface: str) -> str:
        """The gate TOML for a provider profile (local/profiles.py), the user's sections kept."""
        sections = profiles.gate_config(
            self.profile,
            issuer=self.issuer,
            client_id=self.client_id,
            client_secret=self.client_secret,
            surface=surface,
        )
        user = self._user_sections
        lines += toml_table("idp", sections["idp"])
        lines += ["", "[site]", f'url = "{self.site_url}"']
        lines += toml_table("paths", user.get("paths") or {"public": ["/favicon.svg", "/robots.txt"]})
        entry = user.get("entry", sections.get("entry"))
        if entry and surface != "current":
            lines += toml_table("entry", entry)
        for rule in user.get("rules", sections["rules"]):
            lines += toml_table("[rules]", rule)
        if "branding" in user:
            lines += toml_table("branding", user["branding"])
        tokens = {
            k: v for k, v in user.get("tokens", {}).items() if k not in ("groups_claim", "roles_claim", "require_nonce")
        }
        tokens.update(
            sections["tokens"], refresh_window_seconds=self.refresh_window_seconds, leeway_seconds=self.leeway_seconds
        )
        lines += toml_table("tokens", tokens)
        lines += self._assets_lines()
        lines += [
            "",
            "[cookies]",
            "secure = false   # http://localhost only",
            "",
            "[state]",
            f'secret = "{secret}"',
            "",
            "[log]",
            'level = "debug"',
            "",
        ]
        return "\n".join(lines)

    def _assets_lines(self) -> list[str]:
        if not self.signed_assets:
            return []
        return ["", "[assets]", 'paths = ["/assets/*"]', "signed_cookies = true", ""]

    @property
    def asset_key_path(self) -> str:
        return os.path.join(self.workdir or "", "asset-key")

    def _choose_style(self) -> str:
        if self.provider == "oidc" and self.profile != "oidc":
            # The issue-14 config surface when the validator knows it, else what it accepts today.
            if self.profile_surface:
                return self.profile_surface
            return "issue14" if self._validates(self.config_text("issue14")) else "current"
        if self.provider == "oidc":
            return "oidc"
        if self.cognito_config_style:
            return self.cognito_config_style
        # provider = "cognito" when the validator accepts cognito-local's pool id and issuer,
        # else the generic OIDC form (see docs/local.md).
        sys.path.insert(0, ROOT)
        try:
            import tomllib

            from gatebuild import config as gate_config

            gate_config.validate(tomllib.loads(self.config_text("cognito")))
            return "cognito"
        except Exception:  # ConfigFileError or an older validator
            return "oidc"
        finally:
            sys.path.remove(ROOT)

    @staticmethod
    def _validates(text: str) -> bool:
        sys.path.insert(0, ROOT)
        try:
            import tomllib

            from gatebuild import config as gate_config

            gate_config.validate(tomllib.loads(text))
            return True
        except Exception:
            return False
        finally:
            sys.path.remove(ROOT)

    def _write_config(self) -> None:
        if self.external:  # the person's file itself, as build.py and the deploy read it
            self.config_style, self.config_path = "external", os.path.abspath(str(self.user_config))
            return
        self.config_style = self._choose_style()
        self.config_path = os.path.join(self.workdir, f"gate.{self.provider}.local.toml")
        with private_file(self.config_path) as f:
            f.write(self.config_text(self.config_style))

    def _build(self) -> None:
        self.zip_path = os.path.join(self.workdir, "edge.zip")
        log_path = os.path.join(self.workdir, "build.log")
        argv = [sys.executable, os.path.join(ROOT, "build.py"), "--config", self.config_path, "--out", self.zip_path]
        if self.signed_assets:
            argv += ["--asset-key", self.asset_key_path]
        for item in self.build_sets:
            argv += ["--set", item]
        # build.py stages in the shared build/staging: one build at a time from here, and one
        # retry when another build (someone else's test run) collided with this one.
        for attempt in (1, 2, 3):
            with _build_lock():
                try:
                    run = subprocess.run(
                        argv,
                        cwd=ROOT,
                        capture_output=True,
                        text=True,
                        timeout=self.build_timeout,
                        start_new_session=True,
                    )
                except subprocess.TimeoutExpired:
                    raise StackError(f"build.py took more than {self.build_timeout:.0f} s") from None
            with open(log_path, "a") as f:
                f.write(f"--- attempt {attempt}: exit {run.returncode}\n{run.stdout}{run.stderr}")
            if run.returncode == 0:
                return
            if run.returncode == 2 or "build/staging" not in run.stderr:
                break
            time.sleep(1.0 * attempt)
        raise StackError(f"build.py failed (exit {run.returncode}):\n{run.stdout[-1500:]}{run.stderr[-3000:]}")

    def _start_emulator(self) -> None:
        from local.hints import Hinter

        hinter = Hinter(self.hint_context())

        def echo(line: str) -> None:
            print(line, file=sys.stderr, flush=True)
            said = hinter.for_line(line)
            if said:
                print(said, file=sys.stderr, flush=True)

        echo = echo if self.echo_emulator else None  # type: ignore[assignment]
        argv = [
            sys.executable,
            "-m",
            "local.emulator",
            "--zip",
            self.zip_path,
            "--site",
            self.site_dir,
            "--port",
            str(self.site_port),
        ]
        # CloudFront-level refusals (a method a behavior does not allow, a Host it does not
        # serve, ...) as JSON lines: the end-to-end tests fail on any (tests/e2e/conftest.py).
        self.refusal_log = os.path.join(self.workdir, "cloudfront-refusals.jsonl")
        argv += ["--refusal-log", self.refusal_log]
        if self.api:
            argv += ["--api-origin", self.api_url, "--api-path", "/api/*"]
        if self.signed_assets:
            argv += ["--asset-key", self.asset_key_path]
        if self.csp_file:
            argv += ["--csp-file", self.csp_file]
        if self.cpu_share:
            argv += ["--cpu-share"]
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}
        if self.notice_shown:
            env["GATE_NOTICE_SHOWN"] = "1"
        proc = Process(
            "emulator", argv, os.path.join(self.workdir, "emulator.log"), echo=echo, env=env, echo_on=self.echo_on
        )
        self.processes.append(proc)
        # The gate answers /_gate/me with 401 JSON when nobody is signed in: proof that the
        # emulator, a warm worker and the built handler all work.
        url = f"http://127.0.0.1:{self.site_port}/_gate/me"
        wait_until(
            lambda: http_get(url, {"Accept": "application/json", "Host": f"localhost:{self.site_port}"})[0] == 401,
            "the emulator and the gate (GET /_gate/me -> 401)",
            self.timeout,
            proc,
        )

    # -- helpers for tests ---------------------------------------------------------------

    def cloudfront_refusals(self) -> list[dict]:
        """Every CloudFront-level refusal the emulator logged so far (local/emulator.py)."""
        try:
            with open(self.refusal_log, encoding="utf-8") as f:
                return [json.loads(line) for line in f if line.strip()]
        except FileNotFoundError:
            return []

    def groups_in_rules(self) -> list[str]:
        rules = self._user_sections.get("rules") if self._user_sections else None
        if rules is None:
            return list(GROUPS)
        return sorted({g for rule in rules for g in rule.get("groups", [])})

    def user(self, group: str) -> User:
        return next(u for u in self.users if group in u.groups)

    def refresh_token_works(self, refresh_token: str) -> bool:
        """Whether the provider still accepts this refresh token (after sign-out it must not)."""
        token_url = (
            f"{self.idp_url}/oauth2/token"
            if self.provider == "cognito"
            else getattr(self, "token_endpoint", f"{self.idp_url}/token")
        )
        body = urllib.parse.urlencode(
            {"grant_type": "refresh_token", "refresh_token": refresh_token, "client_id": self.client_id}
        ).encode()
        pair = base64.b64encode(f"{self.client_id}:{self.client_secret}".encode()).decode()
        req = urllib.request.Request(
            token_url,
            data=body,
            headers={"Content-Type": "application/x-www-form-urlencoded", "Authorization": f"Basic {pair}"},
        )
        try:
            with urllib.request.urlopen(req, timeout=5) as resp:
                return resp.status == 200
        except urllib.error.HTTPError:
            return False
