"""The function's zip: the real one (built by build.py with values from the stack) and the
bootstrap one the stack starts with before the site's domain is known.
"""

from __future__ import annotations

import base64
import hashlib
import os
from collections.abc import Callable

from gatebuild.builder import BuildError
from gatebuild.config import ConfigFileError, deep_merge, read_toml, validate
from gatebuild.zipper import zip_bytes

from . import CALLBACK_PATH, EDGE_REGION, MAX_ZIP_BYTES, SIGNED_OUT_PATH
from .errors import DeployError

# gatebuild.builder.build(config_path, *, jwks_file=None, out="dist/edge.zip", overrides=None) -> zip path
Builder = Callable[..., str]

BOOTSTRAP_HANDLER = '''"""Placeholder gate, used while `python deploy.py stack` builds the real one: nobody gets in."""

BODY = (
    "<!doctype html><html lang=en><meta charset=utf-8><title>Being set up</title>"
    "<h1>This site is being set up</h1><p>Please try again in a few minutes.</p></html>"
)


def handler(event, context):
    return {
        "status": "503",
        "statusDescription": "Service Unavailable",
        "headers": {
            "content-type": [{"key": "Content-Type", "value": "text/html; charset=utf-8"}],
            "cache-control": [{"key": "Cache-Control", "value": "no-store"}],
            "retry-after": [{"key": "Retry-After", "value": "120"}],
        },
        "body": BODY,
    }
'''

# Used when the stack creates the Cognito pool and no config file is given: everything the
# pool needs comes from the stack's outputs; /admin is for the Admin group, like the example.
MINIMAL_COGNITO_CONFIG = """# Written by deploy.py: the stack's Cognito pool, client and site URL are filled in from its outputs.
[idp]
provider = "cognito"
client_id = "from-the-stack"

[[rules]]
paths = ["/admin", "/admin/*"]
groups = ["Admin"]
"""

PLACEHOLDERS = {
    "site": {"url": "https://d111111abcdef8.cloudfront.net"},
    "idp": {"provider": "cognito", "client_id": "placeholder-client-id"},
    "cognito": {
        "region": EDGE_REGION,
        "user_pool_id": f"{EDGE_REGION}_Placeholder1",
        "domain": f"placeholder.auth.{EDGE_REGION}.amazoncognito.com",
    },
}


def sha256_b64(data: bytes) -> str:
    """What Lambda reports as CodeSha256."""
    return base64.b64encode(hashlib.sha256(data).digest()).decode()


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bootstrap_zip() -> bytes:
    """A tiny deterministic zip whose edge.handler.handler answers 503 to everyone."""
    return zip_bytes([("edge/__init__.py", b""), ("edge/handler.py", BOOTSTRAP_HANDLER.encode())])


def prevalidate(config_path: str, cognito_from_stack: bool):
    """Check the config before any slow AWS step, with placeholders for what the stack gives.

    Returns the validated edge.settings.Config (with placeholder values where the stack decides).
    """
    raw = read_toml(config_path)
    provider = (raw.get("idp") or {}).get("provider", "cognito") if isinstance(raw.get("idp"), dict) else None
    if cognito_from_stack and provider not in (None, "cognito"):
        raise DeployError(
            f"{config_path}: idp.provider is {provider!r} but the stack creates a Cognito user pool for the "
            'gate; use provider = "cognito" (the stack fills in the pool) or deploy without --cognito-domain-prefix'
        )
    over = {"site": PLACEHOLDERS["site"]}
    if cognito_from_stack:
        over.update(idp=PLACEHOLDERS["idp"], cognito=PLACEHOLDERS["cognito"])
    try:
        config, _ = validate(deep_merge(raw, over))
    except ConfigFileError as exc:
        raise ConfigFileError(*(f"{config_path}: {line}" for line in exc.mistakes)) from None
    if cognito_from_stack:
        for key, fixed in (("callback", CALLBACK_PATH), ("signed_out", SIGNED_OUT_PATH)):
            if getattr(config.paths, key) != fixed:
                raise DeployError(
                    f"{config_path}: paths.{key} must stay {fixed!r} when the stack creates the Cognito app "
                    "client (cloudformation.yaml registers that URL); remove it from the config"
                )
    return config


def write_minimal_config(directory: str) -> str:
    path = os.path.join(directory, "gate.deploy.toml")
    with open(path, "w", encoding="utf-8") as f:
        f.write(MINIMAL_COGNITO_CONFIG)
    return path


def overrides_from_outputs(outputs: dict[str, str], client_secret: str = "") -> dict:
    """What build.py must override in the config, from the stack's outputs."""
    overrides: dict = {"site": {"url": outputs["SiteUrl"].rstrip("/")}}
    if outputs.get("UserPoolId"):
        idp = {"provider": "cognito", "client_id": outputs["UserPoolClientId"]}
        if client_secret:
            idp["client_secret"] = client_secret
        overrides["idp"] = idp
        overrides["cognito"] = {
            "region": EDGE_REGION,
            "user_pool_id": outputs["UserPoolId"],
            "domain": outputs["CognitoDomain"],
        }
    return overrides


def final_config(config_path: str, overrides: dict | None):
    """The gate's config as it will be built (without endpoint discovery), or None if invalid."""
    try:
        return validate(deep_merge(read_toml(config_path), overrides or {}))[0]
    except ConfigFileError:
        return None


def default_builder() -> Builder:
    """gatebuild.builder.build: this checkout's builder (build.py is only its command line)."""
    from gatebuild import builder

    return builder.build


def build_gate_zip(
    builder: Builder | None, config_path: str, *, jwks_file: str | None, out: str, overrides: dict | None
) -> bytes:
    """Run the builder and return the zip's bytes; config mistakes stay ConfigFileError."""
    builder = builder or default_builder()
    try:
        path = builder(config_path, jwks_file=jwks_file, out=out, overrides=overrides)
    except BuildError as exc:  # one line, no traceback
        raise DeployError(f"building the gate failed: {exc}") from None
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as exc:
        raise DeployError(f"the build did not produce {path}: {exc}") from None
    if len(data) > MAX_ZIP_BYTES:
        raise DeployError(f"{path} is {len(data)} bytes; Lambda@Edge viewer functions must be at most 1 MB zipped")
    return data


def registered_urls(site_url: str, callback: str = CALLBACK_PATH, signed_out: str = SIGNED_OUT_PATH) -> tuple[str, str]:
    """The callback and sign-out URLs to register with the identity provider."""
    site = site_url.rstrip("/")
    return f"{site}{callback}", f"{site}{signed_out}"
