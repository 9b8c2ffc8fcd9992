"""django-oauth-toolkit 3.x as a real OpenID provider on 127.0.0.1 (Django's runserver).

A provider this project never shaped: it lists `revocation_endpoint` only in its RFC 8414
metadata (`/.well-known/oauth-authorization-server`), not in its OIDC discovery document; RP-
initiated logout asks the person to confirm (Cancel keeps their session there); ID tokens carry
`at_hash` and no `azp`; it rotates refresh tokens (ROTATE_REFRESH_TOKEN, the default). Its issuer
is `http://127.0.0.1:<port>/o`, pinned with OIDC_ISS_ENDPOINT (otherwise it follows Host).

    with DotProvider(redirect_uris=[...]) as op:
        op.issuer, op.client_id, op.client_secret, op.username, op.password

or from a shell: `python -m local.idp.dot --port 9400 --redirect-uri URL` (prints the same and
runs until interrupted). State lives in a temporary folder, removed on exit.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))))


def _rsa_pem() -> str:
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()


def _free_port() -> int:
    from local.stack import free_port

    return int(free_port())


class DotProvider:
    def __init__(
        self,
        redirect_uris: list[str],
        post_logout_redirect_uris: list[str] | None = None,
        port: int | None = None,
        username: str = "ada",
        password: str | None = None,
        client_id: str = "gate-site",
        python: str = sys.executable,
    ):
        self.port = port or _free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.issuer = f"{self.base}/o"
        self.redirect_uris = redirect_uris
        self.post_logout_redirect_uris = post_logout_redirect_uris or []
        self.username = username
        self.password = password or secrets.token_urlsafe(12)
        self.email = f"{username}@example.com"
        self.client_id = client_id
        self.client_secret = secrets.token_urlsafe(32)
        self.python = python
        self.data_dir = ""
        self.proc: subprocess.Popen[bytes] | None = None

    def _env(self) -> dict[str, str]:
        return {
            **os.environ,
            "PYTHONPATH": ROOT,
            "DJANGO_SETTINGS_MODULE": "local.idp.dot.settings",
            "DOT_DATA_DIR": self.data_dir,
            "DOT_ISSUER": self.issuer,
            "DOT_SECRET_KEY": secrets.token_urlsafe(32),
        }

    def start(self) -> DotProvider:
        self.data_dir = tempfile.mkdtemp(prefix="gate-dot-")
        os.chmod(self.data_dir, 0o700)
        key_path = os.path.join(self.data_dir, "rsa.pem")
        with open(os.open(key_path, os.O_WRONLY | os.O_CREAT, 0o600), "w") as f:
            f.write(_rsa_pem())
        env = self._env()
        env["DOT_PREPARE"] = json.dumps(
            {
                "username": self.username,
                "email": self.email,
                "password": self.password,
                "client_id": self.client_id,
                "client_secret": self.client_secret,
                "redirect_uris": self.redirect_uris,
                "post_logout_redirect_uris": self.post_logout_redirect_uris,
            }
        )
        subprocess.run(
            [self.python, "-m", "local.idp.dot.prepare"], env=env, cwd=ROOT, check=True, capture_output=True, timeout=120
        )
        env.pop("DOT_PREPARE")
        self.proc = subprocess.Popen(
            [self.python, "-m", "django", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=env,
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.issuer}/.well-known/openid-configuration", timeout=2) as resp:
                    if resp.status == 200:
                        return self
            except (urllib.error.URLError, OSError):
                pass
            if self.proc.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("django-oauth-toolkit did not start")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None
        if self.data_dir:
            shutil.rmtree(self.data_dir, ignore_errors=True)
            self.data_dir = ""

    def __enter__(self) -> DotProvider:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def describe(self) -> dict[str, str]:
        return {
            "issuer": self.issuer,
            "client_id": self.client_id,
            "client_secret": self.client_secret,
            "username": self.username,
            "password": self.password,
            "login_url": f"{self.base}/accounts/login/",
        }
