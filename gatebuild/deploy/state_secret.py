"""The gate's state-signing secret, kept in SSM Parameter Store (us-east-1) between deploys.

A fresh CI checkout has no build/state-secret, so without this every run would bake a new
secret into the zip: a new function version and a distribution deployment even when nothing
changed. The SecureString parameter holds JSON:

    {"current": "<base64url>", "previous": "<base64url>", "rotated_at": <unix seconds>}

`previous` is there only after a rotation; the gate accepts it (for logins that started before
the rotation) until one login lifetime (cookies.login_max_age_seconds, at most an hour) has
passed, after which the next deploy drops it.
"""

from __future__ import annotations

import base64
import json
import secrets
import time

from botocore.exceptions import ClientError

from .errors import DeployError
from .progress import Progress

SECRET_BYTES = 32
MAX_LOGIN_LIFETIME = 3600  # gatebuild.config caps cookies.login_max_age_seconds here


def parameter_name(kind: str, name: str) -> str:
    """/signin-gate/stack/<stack>/state-secret or /signin-gate/function/<function>/state-secret."""
    return f"/signin-gate/{kind}/{name}/state-secret"


def _new() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(SECRET_BYTES)).decode().rstrip("=")


def _read(ssm, name: str) -> dict | None:
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    try:
        stored = json.loads(value)
    except ValueError:
        stored = None
    if not isinstance(stored, dict) or not isinstance(stored.get("current"), str) or not stored["current"]:
        raise DeployError(
            f"SSM parameter {name} does not hold the gate's state secret as deploy.py writes it; "
            f"delete it (aws ssm delete-parameter --name {name} --region us-east-1) to start over"
        )
    return stored


def stored_secrets(ssm, name: str) -> list[str]:
    """The current and previous state secrets kept in SSM (none when the parameter is missing)."""
    stored = _read(ssm, name)
    if stored is None:
        return []
    return [stored["current"], *([stored["previous"]] if stored.get("previous") else [])]


def write_secure_json(ssm, name: str, stored: dict, *, overwrite: bool, description: str) -> None:
    """One of the gate's secrets as an SSM SecureString holding JSON (state secret, asset key)."""
    ssm.put_parameter(
        Name=name,
        Value=json.dumps(stored, sort_keys=True),
        Type="SecureString",
        Overwrite=overwrite,
        Description=description,
    )


def _write(ssm, name: str, stored: dict, *, overwrite: bool) -> None:
    write_secure_json(
        ssm, name, stored, overwrite=overwrite, description="State-signing secret of the sign-in gate (deploy.py)"
    )


def state_secrets(
    ssm, name: str, progress: Progress, *, rotate: bool = False, now: float | None = None
) -> tuple[str, list[str]]:
    """(current secret, previous secrets still accepted), creating or rotating the parameter."""
    now = time.time() if now is None else now
    stored = _read(ssm, name)
    if stored is None:
        stored = {"current": _new()}
        try:
            _write(ssm, name, stored, overwrite=False)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
                raise
            stored = _read(ssm, name)  # another deploy created it a moment ago: use that one
        else:
            progress.note(f"created the gate's state secret in SSM parameter {name}")
    elif rotate:
        stored = {"current": _new(), "previous": stored["current"], "rotated_at": int(now)}
        _write(ssm, name, stored, overwrite=True)
        progress.note(f"rotated the state secret in {name}; the previous one is accepted for one login lifetime")
    elif stored.get("previous") and now - float(stored.get("rotated_at", 0)) > MAX_LOGIN_LIFETIME:
        stored = {"current": stored["current"]}
        _write(ssm, name, stored, overwrite=True)
        progress.note("the previous state secret is no longer accepted (a login lifetime has passed)")
    previous = [stored["previous"]] if stored.get("previous") else []
    return stored["current"], previous
