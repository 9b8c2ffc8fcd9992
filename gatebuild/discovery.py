"""Build-time fetches from the identity provider: OIDC discovery and the JWKS. Stdlib only."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from .config import ConfigFileError
from .config.readers import url as check_url

TIMEOUT_SECONDS = 15
MAX_BYTES = 1024 * 1024
DISCOVERED_NAMES = {
    "authorization_endpoint": "authorization_endpoint",
    "token_endpoint": "token_endpoint",
    "jwks_uri": "jwks_uri",
    "revocation_endpoint": "revocation_endpoint",
    "end_session_endpoint": "end_session_endpoint",
}


class FetchError(Exception):
    pass


def fetch_json(url: str) -> dict:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as resp:
            data = resp.read(MAX_BYTES + 1)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"could not fetch {url}: {getattr(exc, 'reason', exc)}") from None
    if len(data) > MAX_BYTES:
        raise FetchError(f"{url} answered more than {MAX_BYTES} bytes")
    try:
        value = json.loads(data)
    except ValueError:
        raise FetchError(f"{url} did not answer JSON") from None
    if not isinstance(value, dict):
        raise FetchError(f"{url} did not answer a JSON object")
    return value


def discover(issuer: str, wanted: list[str]) -> dict[str, str]:
    """Endpoint values for the config keys in `wanted`, from the issuer's discovery document."""
    url = issuer.rstrip("/") + "/.well-known/openid-configuration"  # OIDC Discovery 1.0, 4.
    document = fetch_json(url)
    if document.get("issuer") != issuer:  # compared exactly, trailing slash and all (4.3)
        raise FetchError(
            f"{url} names issuer {document.get('issuer')!r}, not {issuer!r}; set idp.issuer to exactly the "
            "provider's issuer (the tokens' `iss`)"
        )
    found = {}
    for key in wanted:
        value = document.get(DISCOVERED_NAMES[key], "")
        if key in ("authorization_endpoint", "token_endpoint", "jwks_uri") and not value:
            raise ConfigFileError(f"idp.{key}: the provider's discovery document has none; set it under [idp]")
        value = value if isinstance(value, str) else ""
        if value:  # the same rules as a URL written in the config: https, or http on loopback only
            check_url(f"idp.{key} (from {url})", value)
        found[key] = value
    return found
