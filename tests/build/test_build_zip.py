"""build.py's zip: offline, trimmed, deterministic, under the limit, and it runs as shipped."""

import json
import os
import stat
import subprocess
import sys
import threading
import zipfile
from urllib.parse import urlsplit

import pytest

from edge import __version__
from gatebuild.runtime import best_python
from tests.conftest import CLIENT_ID, ROOT
from tests.support import hygiene
from tests.support.cloudfront import NAVIGATE, event, header, location_query

pytestmark = [pytest.mark.slow, pytest.mark.zip]  # markers: docs/contributing.md "Tests"

RUNNER = best_python()  # python3.13 when there is one; the zip is then bytecode for it
needs_313 = pytest.mark.needs_py313  # skipped, and said in the summary, without python3.13
NO_NETWORK = "import socket\ndef _no(*a, **k):\n    raise OSError('network used during an offline build')\nsocket.socket.connect = _no\nsocket.create_connection = _no\n"


def build(tmp_path, config_text, jwks, extra_args=(), env=None):
    config = tmp_path / "gate.toml"
    config.write_text(config_text)
    jwks_file = tmp_path / "jwks.json"
    jwks_file.write_text(json.dumps(jwks))
    out = tmp_path / "edge.zip"
    result = subprocess.run(
        [
            sys.executable,
            os.path.join(ROOT, "build.py"),
            "--config",
            str(config),
            "--jwks-file",
            str(jwks_file),
            "--out",
            str(out),
            *extra_args,
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env=env,
    )
    return result, out


@pytest.fixture(scope="module")
def example_build(tmp_path_factory, keys):
    tmp_path = tmp_path_factory.mktemp("example")
    with open(os.path.join(ROOT, "gate.example.toml")) as f:
        text = f.read()
    build(tmp_path, text, keys.jwks())  # fills the vendor cache if this checkout has none yet
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(NO_NETWORK)
    env = {**os.environ, "PYTHONPATH": str(offline)}
    result, out = build(tmp_path, text, keys.jwks(), env=env)
    return result, out, text, tmp_path


def test_example_config_builds_offline_and_reports_size(example_build):
    result, out, _, _ = example_build
    assert result.returncode == 0, result.stderr
    assert "total" in result.stdout and "% of the 1 MB viewer-request limit" in result.stdout
    for package in ("edge", "jose", "rsa", "urllib3"):
        assert f"  {package} " in result.stdout
    assert "edge.handler.handler" in result.stdout
    assert f"gate {__version__}" in result.stdout.splitlines()[0]
    assert out.stat().st_size < 1024 * 1024


def test_the_version_is_stamped_into_the_zip(example_build):
    _, out, _, _ = example_build
    with zipfile.ZipFile(out) as archive:
        baked = next(n for n in archive.namelist() if n in ("edge/baked.pyc", "edge/baked.py"))
        # a str constant is stored as its bytes in both a source and a marshalled .pyc
        assert f"VERSION = {__version__!r}".encode() in archive.read(baked) or (
            baked.endswith(".pyc") and __version__.encode() in archive.read(baked)
        )


def test_zip_is_trimmed_to_what_the_function_imports(example_build):
    _, out, _, _ = example_build
    names = zipfile.ZipFile(out).namelist()
    assert "edge/handler.pyc" in names or "edge/handler.py" in names
    assert "edge/baked.pyc" in names or "edge/baked.py" in names
    assert not [n for n in names if "/tests/" in n or "/test_" in n or n.startswith("test")]
    assert not [n for n in names if "cryptography_backend" in n or n.startswith(("boto", "pip/", "setuptools"))]
    assert not [n for n in names if n.endswith((".md", ".rst", ".txt")) and "dist-info" not in n]
    assert not [n for n in names if n.startswith("urllib3/contrib/")]


@needs_313
def test_every_module_ships_as_bytecode_and_the_zip_fits_1_mb(example_build):
    """Cookie, callback and JWKS-fetch paths alike (issue 15): /var/task is read-only, so a
    shipped .py is compiled again at every cold start (urllib3 from source cost ~115 ms)."""
    _, out, _, _ = example_build
    names = set(zipfile.ZipFile(out).namelist())
    for module in (
        "edge/gate",
        "edge/handler",
        "edge/idp",
        "jose/jwk",
        "rsa/pkcs1",
        "jose/backends/rsa_backend",
        "urllib3/__init__",
        "urllib3/poolmanager",
        "urllib3/connectionpool",
        "urllib3/response",
    ):
        assert f"{module}.pyc" in names and f"{module}.py" not in names
    assert not [n for n in names if n.endswith(".py")]
    assert out.stat().st_size < 1024 * 1024


def test_the_trimmed_jose_chain_ships_no_ec_or_asn1_code(example_build):
    """vendor/*.patch: jose no longer imports ecdsa, six or pyasn1 (nor ships their licences)."""
    _, out, _, _ = example_build
    tops = {n.split("/", 1)[0] for n in zipfile.ZipFile(out).namelist()}
    assert not tops & {"ecdsa", "six.py", "six.pyc", "pyasn1", "ecdsa-0.19.2.dist-info", "pyasn1-0.6.5.dist-info"}
    assert {"jose", "rsa", "urllib3", "edge"} <= tops


def test_same_inputs_give_a_byte_identical_zip(example_build, keys):
    _, out, text, tmp_path = example_build
    again_dir = tmp_path / "again"
    again_dir.mkdir()
    result, again = build(again_dir, text, keys.jwks())
    assert result.returncode == 0
    assert again.read_bytes() == out.read_bytes()


def test_generated_state_secret_never_appears_in_build_output_or_repo(example_build, tmp_path):
    result, out, _, _ = example_build
    secret_file = os.path.join(ROOT, "build", "state-secret")
    with open(secret_file) as f:
        secret = f.read().strip()
    assert stat.S_IMODE(os.stat(secret_file).st_mode) == 0o600
    assert secret not in result.stdout + result.stderr
    tracked = subprocess.run(["git", "ls-files", "build"], capture_output=True, text=True, cwd=ROOT).stdout
    assert tracked == ""
    task = tmp_path / "secret-check"  # the secret is baked into the zip, and nowhere else
    zipfile.ZipFile(out).extractall(task)
    baked = subprocess.run(
        [
            RUNNER.path,
            "-I",
            "-S",
            "-c",
            f"import sys; sys.path.insert(0, {str(task)!r}); import edge.baked as b; "
            "print(b.CONFIG['state_secret'], b.VERSION)",
        ],
        capture_output=True,
        text=True,
    )
    assert baked.stdout.split() == [secret.rstrip("="), __version__]


def test_refuses_a_jwks_without_usable_keys(tmp_path):
    with open(os.path.join(ROOT, "gate.example.toml")) as f:
        result, out = build(tmp_path, f.read(), {"keys": [{"kty": "EC", "kid": "x"}]})
    assert result.returncode == 2 and "no RSA signing key" in result.stderr and not out.exists()


def test_site_env_carries_the_gate_paths(tmp_path, keys):
    with open(os.path.join(ROOT, "gate.example.toml")) as f:
        text = f.read().replace('whoami = "/_gate/me"', 'whoami = "/auth/me"')
    env_file = tmp_path / "site.env"
    result, _ = build(tmp_path, text, keys.jwks(), extra_args=("--site-env", str(env_file)))
    assert result.returncode == 0, result.stderr
    assert "VITE_GATE_WHOAMI=/auth/me" in env_file.read_text()
    assert "VITE_GATE_REFRESH=/_gate/refresh" in env_file.read_text()  # issue 13: the site's refresh endpoint


# -- the zip as it ships, under python3.13 -I -S -----------------------------------------------


class ShippedZip:
    def __init__(self, zip_path, work, python=None):
        self.dir = work / "task"
        with zipfile.ZipFile(zip_path) as archive:
            archive.extractall(self.dir)
        for root, dirs, files in os.walk(self.dir):
            for name in files + dirs:
                os.chmod(os.path.join(root, name), 0o555 if name in dirs else 0o444)
        os.chmod(self.dir, 0o555)
        runner = os.path.join(ROOT, "tests", "support", "zip_runner.py")
        self.proc = subprocess.Popen(
            [python or RUNNER.path, "-I", "-S", "-B", runner, str(self.dir)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=str(work),
        )
        # the handler's log lines: read as they come, or a long run fills the pipe and blocks the zip
        self._logs: list[str] = []
        self._reader = threading.Thread(target=lambda: self._logs.extend(self.proc.stderr), daemon=True)
        self._reader.start()

    def send(self, message):
        self.proc.stdin.write(json.dumps(message) + "\n")
        self.proc.stdin.flush()
        return json.loads(self.proc.stdout.readline())

    def close(self) -> str:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)
        self._reader.join(timeout=30)
        return "".join(self._logs)


def test_built_zip_runs_the_whole_flow_in_an_isolated_python313(tmp_path, keys, idp):
    """Under python3.13 when there is one (bytecode); else the best Python here runs the
    sources-only zip the build then writes, and only the bytecode checks are left out."""
    text = f'''
[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
token_endpoint = "{idp.base}/token"
revocation_endpoint = "{idp.base}/revoke"
jwks_uri = "{idp.base}/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
[[rules]]
paths = ["/admin/*"]
groups = ["Admin"]
'''
    result, out = build(tmp_path, text, keys.jwks())
    assert result.returncode == 0, result.stderr
    shipped = ShippedZip(out, tmp_path)
    try:
        first = shipped.send(event("/docs/a?b=1", headers=NAVIGATE))
        assert first["status"] == "302"
        info = shipped.send("modules")
        assert info["path"][0] == str(shipped.dir)
        assert not any(p.endswith("site-packages") for p in info["path"])
        loaded = info["modules"]
        assert "jose" not in loaded and "urllib3" not in loaded  # the redirect path loads neither
        # nor the flows a valid session never needs (issue 22): only login, for the redirect
        assert "edge.login" in loaded and not {"edge.refresh", "edge.endpoints", "edge.answers"} & set(loaded)
        # the cold start ran without the cyclic GC (issue 22); it is on again, its objects frozen
        collector = shipped.send("gc")
        assert collector["enabled"] is True and collector["frozen"] > 1000
        assert loaded["edge.gate"].endswith("edge/gate.pyc" if RUNNER.exact else "edge/gate.py")
        query = location_query(first)
        login_cookie = next(c["value"].split(";")[0] for c in first["headers"]["set-cookie"])
        code = idp.issue_code(
            challenge=query["code_challenge"],
            nonce=query["nonce"],
            redirect_uri=query["redirect_uri"],
            claims=keys.id_claims(),
        )
        callback = shipped.send(
            event(
                urlsplit(query["redirect_uri"]).path,
                f"code={code}&state={query['state']}",
                headers=NAVIGATE,
                cookies=[login_cookie],
            )
        )
        assert callback["status"] == "302" and header(callback, "location") == "/docs/a?b=1"
        session = "; ".join(
            c["value"].split(";")[0] for c in callback["headers"]["set-cookie"] if "Max-Age=0" not in c["value"]
        )
        passed = shipped.send(event("/docs/a", headers=NAVIGATE, cookies=[session, "theme=dark"]))
        assert "status" not in passed and passed["headers"]["cookie"] == [{"key": "Cookie", "value": "theme=dark"}]
        assert shipped.send(event("/admin/x", headers=NAVIGATE, cookies=[session]))["status"] == "403"
        loaded = shipped.send("modules")["modules"]
        assert loaded["jose.backends"].endswith(".pyc" if RUNNER.exact else ".py")
        assert "jose.backends.rsa_backend" in loaded
        assert "cryptography" not in loaded
    finally:
        logs = shipped.close()
    lines = [line for line in logs.splitlines() if line.startswith("{")]
    assert [json.loads(line)["decision"] for line in lines] == ["login", "login_complete", "allow", "deny"]
    hygiene.LOG_LINES.extend(lines)
    assert "Traceback" not in logs


def test_without_python313_the_build_writes_a_working_sources_only_zip(tmp_path, keys):
    """The Debian 12 case (only 3.11/3.12): GATE_PYTHON313=none hides every 3.13. The zip must
    carry the pure-Python RSA backend (a `cryptography` in this venv must not be traced in)
    and run under a bare interpreter with nothing but the zip on its path."""
    with open(os.path.join(ROOT, "gate.example.toml")) as f:
        text = f.read()
    result, out = build(tmp_path, text, keys.jwks(), env={**os.environ, "GATE_PYTHON313": "none"})
    assert result.returncode == 0, result.stderr
    assert "sources only" in result.stdout and "no python3.13 found" in result.stderr
    assert "pyenv install 3.13" in result.stderr and len(result.stderr.strip().splitlines()) == 1
    names = zipfile.ZipFile(out).namelist()
    assert not [n for n in names if n.endswith(".pyc")]
    assert "rsa/pkcs1.py" in names and "jose/backends/rsa_backend.py" in names
    assert "jose/backends/cryptography_backend.py" not in names
    shipped = ShippedZip(out, tmp_path, python=sys.executable)
    try:
        assert shipped.send(event("/docs", headers=NAVIGATE))["status"] == "302"
        loaded = shipped.send("modules")["modules"]
        assert loaded["edge.gate"].endswith("edge/gate.py") and "cryptography" not in loaded
    finally:
        logs = shipped.close()
    hygiene.LOG_LINES.extend(line for line in logs.splitlines() if line.startswith("{"))
    assert "Traceback" not in logs


def test_readme_offline_build_command_works(tmp_path):
    """The command in docs/getting-started.md (tests/docs runs it too): example config, JWKS fixture, no network."""
    offline = tmp_path / "offline"
    offline.mkdir()
    (offline / "sitecustomize.py").write_text(NO_NETWORK)
    out = tmp_path / "edge.zip"
    result = subprocess.run(
        [
            sys.executable,
            "build.py",
            "--config",
            "gate.example.toml",
            "--jwks-file",
            "tests/fixtures/jwks.json",
            "--out",
            str(out),
        ],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=600,
        env={**os.environ, "PYTHONPATH": str(offline)},
    )
    assert result.returncode == 0, result.stderr
    assert out.stat().st_size < 1024 * 1024 and "% of the 1 MB viewer-request limit" in result.stdout


def test_the_built_zip_sends_the_token_under_token_header(tmp_path, keys, idp):
    """[[apis]] token_header survives the build (baked config) and the shipped handler uses it:
    a bearer client's verified access token goes to the API as X-Gate-Token, and Authorization
    is left free for CloudFront's SigV4 signature (origin access control for a Lambda function
    URL; docs/deploy.md, "Which header carries the person's token")."""
    text = f'''
[idp]
provider = "cognito"
client_id = "{CLIENT_ID}"
token_endpoint = "{idp.base}/token"
jwks_uri = "{idp.base}/jwks"
[cognito]
region = "us-east-1"
user_pool_id = "us-east-1_Test12345"
domain = "auth.example.com"
[[apis]]
paths = ["/api/*"]
accept_bearer = true
bearer_scopes = ["openid"]
token_header = "X-Gate-Token"
'''
    result, out = build(tmp_path, text, keys.jwks())
    assert result.returncode == 0, result.stderr
    shipped = ShippedZip(out, tmp_path)
    try:
        token = keys.access_token()
        forwarded = shipped.send(
            event("/api/reports", headers={"Authorization": f"Bearer {token}", "X-Gate-Token": "Bearer forged"})
        )
    finally:
        shipped.close()
    assert "status" not in forwarded, forwarded
    assert forwarded["headers"]["x-gate-token"] == [{"key": "X-Gate-Token", "value": f"Bearer {token}"}]
    assert "authorization" not in forwarded["headers"]
