"""The asset-cookie signing key ([assets] signed_cookies, issue 23), kept in SSM Parameter Store
(us-east-1) between deploys, like the state secret (state_secret.py).

The SecureString parameter holds JSON:

    {"slots": {"A": <key>, "B": <key or null>}, "current": "A", "rotated_at": <unix seconds>}

where <key> is gatebuild/asset_key.py's stored form (RSA-2048, hex). The template has two
AWS::CloudFront::PublicKey slots in one key group; the gate signs with the `current` slot's
key. `--rotate-asset-key` puts a new key into the other slot and makes it current: the old key
stays in the key group for OVERLAP_SECONDS, so cookies signed before the rotation (which live
no longer than an ID token) keep working; the first deploy after that drops it. The private
key is never printed; it reaches only the zip (mode 0600 entries, like the state secret).
"""

from __future__ import annotations

import json
import time

from botocore.exceptions import ClientError

from gatebuild import asset_key

from .errors import DeployError
from .progress import Progress
from .state_secret import write_secure_json

# Cookies live as long as the ID token they were minted with: Cognito's longest is one day.
OVERLAP_SECONDS = 24 * 3600
SLOTS = ("A", "B")


def parameter_name(kind: str, name: str) -> str:
    return f"/signin-gate/{kind}/{name}/asset-key"


def _read(ssm, name: str) -> dict | None:
    try:
        value = ssm.get_parameter(Name=name, WithDecryption=True)["Parameter"]["Value"]
    except ClientError as exc:
        if exc.response.get("Error", {}).get("Code") == "ParameterNotFound":
            return None
        raise
    try:
        stored = json.loads(value)
        current = stored["current"]
        asset_key.check(stored["slots"][current])
    except (ValueError, KeyError, TypeError):
        raise DeployError(
            f"SSM parameter {name} does not hold the gate's asset key as deploy.py writes it; "
            f"delete it (aws ssm delete-parameter --name {name} --region us-east-1) to start over"
        ) from None
    return stored


def _write(ssm, name: str, stored: dict, *, overwrite: bool) -> None:
    write_secure_json(
        ssm, name, stored, overwrite=overwrite, description="Asset-cookie signing key of the sign-in gate (deploy.py)"
    )


def asset_keys(
    ssm, name: str, progress: Progress, *, rotate: bool = False, now: float | None = None
) -> tuple[dict[str, str], str, dict]:
    """({slot: public key PEM or ""}, the current slot, the current slot's stored key), creating
    or rotating the parameter."""
    now = time.time() if now is None else now
    stored = _read(ssm, name)
    if stored is None:
        stored = {"slots": {"A": asset_key.new_key(), "B": None}, "current": "A"}
        try:
            _write(ssm, name, stored, overwrite=False)
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "ParameterAlreadyExists":
                raise
            stored = _read(ssm, name) or stored  # another deploy made it a moment ago: use that one
        else:
            progress.note(f"created the gate's asset-cookie key in SSM parameter {name}")
    elif rotate:
        other = "B" if stored["current"] == "A" else "A"
        stored = {
            "slots": {stored["current"]: stored["slots"][stored["current"]], other: asset_key.new_key()},
            "current": other,
            "rotated_at": int(now),
        }
        _write(ssm, name, stored, overwrite=True)
        progress.note(
            f"rotated the asset-cookie key in {name} (now slot {other}); the previous key stays trusted for "
            f"{OVERLAP_SECONDS // 3600} hours"
        )
    else:
        other = "B" if stored["current"] == "A" else "A"
        if stored["slots"].get(other) and now - float(stored.get("rotated_at", 0)) > OVERLAP_SECONDS:
            stored = {
                "slots": {stored["current"]: stored["slots"][stored["current"]], other: None},
                "current": stored["current"],
            }
            _write(ssm, name, stored, overwrite=True)
            progress.note("the previous asset-cookie key leaves the key group (its overlap window has passed)")
    pems = {
        slot: asset_key.public_pem(key) if key else "" for slot, key in ((s, stored["slots"].get(s)) for s in SLOTS)
    }
    return pems, stored["current"], stored["slots"][stored["current"]]
