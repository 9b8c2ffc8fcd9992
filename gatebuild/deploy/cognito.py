"""The identity provider side: the Cognito client secret, and the URLs the IdP must allow."""

from __future__ import annotations

import re

from botocore.exceptions import ClientError

from .gatezip import registered_urls
from .progress import Progress

COGNITO_ISSUER = re.compile(r"^https://cognito-idp\.([a-z0-9-]+)\.amazonaws\.com/(.+)$")


def client_secret(cognito, pool_id: str, client_id: str) -> str:
    reply = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)
    return reply["UserPoolClient"].get("ClientSecret", "")


def check_registered_urls(
    cognito, pool_id: str, client_id: str, callback: str, signed_out: str, progress: Progress
) -> bool | None:
    """Warn when an existing Cognito app client does not allow the gate's URLs.

    True when both are allowed, False when one is missing, None when the client cannot be read.
    """
    try:
        client = cognito.describe_user_pool_client(UserPoolId=pool_id, ClientId=client_id)["UserPoolClient"]
    except ClientError as exc:
        progress.note(
            f"could not read Cognito app client {client_id} to check its URLs "
            f"({exc.response.get('Error', {}).get('Code')})"
        )
        return None
    fine = True
    if callback not in (client.get("CallbackURLs") or []):
        progress.warn(
            f"Cognito app client {client_id} does not allow the callback URL {callback}: sign-in would fail with "
            "redirect_mismatch; add it under App client -> Login pages -> Allowed callback URLs"
        )
        fine = False
    if signed_out not in (client.get("LogoutURLs") or []):
        progress.warn(
            f"Cognito app client {client_id} does not allow the sign-out URL {signed_out}: sign-out would fail; "
            "add it under App client -> Login pages -> Allowed sign-out URLs"
        )
        fine = False
    return fine


def report_urls(config, site_url: str, clients, progress: Progress) -> None:
    """Tell the user which URLs to register; for a Cognito pool, check that they are."""
    if config is not None:
        callback, signed_out = registered_urls(site_url, config.paths.callback, config.paths.signed_out)
    else:
        callback, signed_out = registered_urls(site_url)
    match = COGNITO_ISSUER.match(config.issuer) if config is not None and config.provider == "cognito" else None
    if match:
        cognito = clients.regional("cognito-idp", match.group(1))
        try:
            fine = check_registered_urls(cognito, match.group(2), config.client_id, callback, signed_out, progress)
        except Exception as exc:  # a check only: never fail the deployment on it
            progress.note(f"could not check the Cognito app client's URLs ({type(exc).__name__})")
            fine = None
        if fine is True:
            progress.note(f"Cognito app client {config.client_id} allows {callback} and {signed_out}")
            return
    progress.note(f"register with your identity provider: callback URL {callback}, sign-out URL {signed_out}")
