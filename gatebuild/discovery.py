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


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        return None


def probe(url: str) -> tuple[int, str, str]:
    """(status, Location, the first 4 KB of the body) of one GET, redirects not followed
    (build.py --check-idp asks the authorization endpoint about the callback URL)."""
    opener = urllib.request.build_opener(_NoRedirect)
    request = urllib.request.Request(url, headers={"Accept": "text/html"})
    try:
        with opener.open(request, timeout=TIMEOUT_SECONDS) as resp:
            status, headers, body = resp.status, resp.headers, resp.read(4096)
    except urllib.error.HTTPError as exc:
        status, headers, body = exc.code, exc.headers, exc.read(4096)
    except (urllib.error.URLError, OSError, ValueError) as exc:
        raise FetchError(f"could not fetch {url.partition('?')[0]}: {getattr(exc, 'reason', exc)}") from None
    return status, headers.get("Location", "") or "", body.decode("utf-8", "replace")


def metadata_urls(issuer: str) -> list[str]:
    """Where RFC 8414 authorization-server metadata may be: the well-known suffix inserted
    between the host and the issuer's path (RFC 8414 3.1), then appended to the issuer (the
    form OIDC discovery uses, which RFC 8414 5 notes some servers publish)."""
    scheme, _, rest = issuer.partition("://")
    host, _, path = rest.partition("/")
    path = path.rstrip("/")
    strict = f"{scheme}://{host}/.well-known/oauth-authorization-server" + (f"/{path}" if path else "")
    appended = issuer.rstrip("/") + "/.well-known/oauth-authorization-server"
    return [strict] if appended == strict else [strict, appended]


def oauth_metadata(issuer: str) -> tuple[dict, str] | None:
    """The issuer's RFC 8414 metadata and its URL, or None when it publishes none. A document
    naming another issuer is refused (RFC 8414 3.3), as for OIDC discovery."""
    for url in metadata_urls(issuer):
        try:
            document = fetch_json(url)
        except FetchError:
            continue
        if document.get("issuer") != issuer:
            raise FetchError(f"{url} names issuer {document.get('issuer')!r}, not {issuer!r} (RFC 8414 3.3)")
        return document, url
    return None


def discover(issuer: str, wanted: list[str]) -> dict[str, str]:
    """Endpoint values for the config keys in `wanted`, from the issuer's discovery document;
    a revocation endpoint missing there is looked up in its RFC 8414 metadata (django-oauth-
    toolkit, for one, lists it only there)."""
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
    if "revocation_endpoint" in wanted and not found["revocation_endpoint"]:
        metadata = oauth_metadata(issuer)
        value = metadata[0].get("revocation_endpoint") if metadata else None
        if metadata is not None and isinstance(value, str) and value:
            check_url(f"idp.revocation_endpoint (from {metadata[1]})", value)
            found["revocation_endpoint"] = value
    return found


def sign_out_notice(revocation: str, logout: str, logout_style: str) -> str | None:
    """One line when the provider offers no way to revoke at sign-out, saying what sign-out
    will and will not end; None when it can revoke."""
    if revocation:
        return None
    provider_session = (
        "sends the person to the provider's logout, which may end the provider's own session"
        if logout and logout_style != "none"
        else "leaves any session at the provider as it is"
    )
    return (
        "warning: the provider publishes no revocation endpoint (OIDC discovery or RFC 8414 metadata): "
        f"sign-out clears the site's cookies and {provider_session}, but does not end the refresh token, "
        "which the provider honours until it expires; set idp.revocation_endpoint if it has one"
    )
