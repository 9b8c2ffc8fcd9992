"""[idp] and [cognito]: the provider, client, scopes, endpoints and extra authorize parameters."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from edge.provider import PROFILES, Provider
from edge.settings import Config, Endpoints

from .mistakes import ConfigFileError
from .readers import str_list, unknown, url
from .schema import RANGES

# Authorize parameters a config may add (docs/providers.md): each documented by a provider for
# this purpose. Anything else (response_mode, redirect_uri, ...) could break or hijack the login.
SAFE_AUTHORIZE_PARAMS = (
    "audience",
    "prompt",
    "access_type",
    "login_hint",
    "domain_hint",
    "acr_values",
    "identity_provider",
    "idp_identifier",
    "connection",
    "organization",
    "max_age",
    "ui_locales",
    "resource",
    "hd",
)
# The gate's own: never overridable.
GATE_AUTHORIZE_PARAMS = (
    "state",
    "nonce",
    "redirect_uri",
    "code_challenge",
    "code_challenge_method",
    "client_id",
    "response_type",
    "scope",
)
MAX_PARAM_VALUE = 512
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
COGNITO_POOL_ID = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[0-9A-Za-z]+\Z")
LOCAL_POOL_ID = re.compile(r"^local_[0-9A-Za-z]{1,32}\Z")
COGNITO_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d\Z")


def check_scopes(idp: dict) -> list[str]:
    scopes = str_list("idp.scopes", idp["scopes"])
    if "openid" not in scopes:
        raise ConfigFileError('idp.scopes: must include "openid" (the gate needs an ID token)')
    return scopes


def check_timeout(idp: dict) -> float:
    timeout = float(idp["timeout_seconds"])
    low, high = RANGES["idp.timeout_seconds"]
    if not low <= timeout <= high:
        raise ConfigFileError(
            f"idp.timeout_seconds: must be between {low} and {high} so every answer stays inside "
            "Lambda@Edge's 5 s viewer-request limit"
        )
    return timeout


def check_endpoints(provider: str, idp: dict, cognito: dict) -> tuple[str, Endpoints, list[str]]:
    given = {
        k: url(f"idp.{k}", idp[k]) if idp[k] else idp[k]
        for k in (*ENDPOINT_KEYS, "revocation_endpoint", "end_session_endpoint")
    }
    derive = _DERIVED_ENDPOINTS.get(provider)
    if derive is not None:
        issuer, derived = derive(idp, cognito)
        for key, value in derived.items():
            if given[key] is None:
                given[key] = value
    else:
        if any(v is not None for v in cognito.values()):
            raise ConfigFileError('[cognito]: only used with idp.provider = "cognito"; remove it')
        if not idp["issuer"]:
            raise ConfigFileError("idp.issuer: missing; add the provider's issuer URL under [idp]")
        issuer = url("idp.issuer", idp["issuer"])  # exactly as the tokens' `iss` (Auth0's ends with "/")
    to_discover = [k for k in (*ENDPOINT_KEYS, "revocation_endpoint", "end_session_endpoint") if given[k] is None]
    # Until discovery says (build.py), as if there were none; the profile knows its logout style.
    logout, logout_style = PROFILES[provider].logout_endpoint(issuer, given["end_session_endpoint"] or "")
    endpoints = Endpoints(
        authorization=given["authorization_endpoint"] or "",
        token=given["token_endpoint"] or "",
        jwks=given["jwks_uri"] or "",
        revocation=given["revocation_endpoint"] or "",
        logout=logout,
        logout_style=logout_style,
    )
    return issuer, endpoints, to_discover


def _cognito_endpoints(idp: dict, cognito: dict) -> tuple[str, dict[str, str]]:
    region, pool, domain = cognito["region"], cognito["user_pool_id"], cognito["domain"]
    for key, value in (("region", region), ("user_pool_id", pool), ("domain", domain)):
        if not value:
            raise ConfigFileError(f'cognito.{key}: missing; idp.provider = "cognito" needs it under [cognito]')
    base = domain if "://" in domain else f"https://{domain}"
    url("cognito.domain", base)
    base = base.rstrip("/")
    if urlsplit(base).path:
        raise ConfigFileError('cognito.domain: give only the host, e.g. "myapp.auth.us-east-1.amazoncognito.com"')
    if region == "local":  # cognito-local, the stand-in that runs on this machine
        if urlsplit(base).scheme != "http":
            raise ConfigFileError('cognito.region: "local" is only for cognito-local on http://localhost')
        if not LOCAL_POOL_ID.match(pool):
            raise ConfigFileError(
                f'cognito.user_pool_id: {pool!r} is not a cognito-local pool id such as "local_AbC12345"'
            )
        if not idp["issuer"]:
            raise ConfigFileError('idp.issuer: required with cognito.region = "local" (cognito-local\'s issuer URL)')
    else:
        if not COGNITO_REGION.match(region):
            raise ConfigFileError(f'cognito.region: {region!r} is not an AWS region such as "us-east-1"')
        match = COGNITO_POOL_ID.match(pool)
        if not match:
            raise ConfigFileError(f'cognito.user_pool_id: {pool!r} is not a pool id such as "us-east-1_AbC123xyz"')
        if match.group(1) != region:
            raise ConfigFileError(
                f"cognito.region: pool {pool!r} is in {match.group(1)!r}, not {region!r}; "
                f'set region = "{match.group(1)}" under [cognito]'
            )
    issuer = url("idp.issuer", idp["issuer"]) if idp["issuer"] else f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    return issuer, {
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "jwks_uri": f"{issuer.rstrip('/')}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "end_session_endpoint": f"{base}/logout",
    }


# Profiles whose endpoints are derived from their own section rather than discovered.
_DERIVED_ENDPOINTS = {"cognito": _cognito_endpoints}


def check_extra_params(given: dict | None, profile: type[Provider]) -> tuple[tuple[str, str], ...]:
    """The profile's defaults (Google: access_type=offline, prompt=consent), then the config's;
    an empty string removes a default."""
    params = dict(profile.default_extra_authorize_params)
    for key, value in (given or {}).items():
        where = f"idp.extra_authorize_params.{key}"
        if key in GATE_AUTHORIZE_PARAMS:
            fix = "; set idp.scopes instead" if key == "scope" else ""
            raise ConfigFileError(f"{where}: the gate sets {key} itself and it can never be overridden; remove it{fix}")
        if key not in SAFE_AUTHORIZE_PARAMS:
            raise ConfigFileError(unknown(where, key, list(SAFE_AUTHORIZE_PARAMS), what="authorize parameter"))
        if isinstance(value, int) and not isinstance(value, bool) and key == "max_age" and value >= 0:
            value = str(value)
        if not isinstance(value, str):
            raise ConfigFileError(f"{where}: must be a string")
        if key == "max_age" and value and not (value.isascii() and value.isdigit()):
            raise ConfigFileError(f"{where}: must be a number of seconds, e.g. 300 (the gate checks auth_time with it)")
        if len(value) > MAX_PARAM_VALUE or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ConfigFileError(f"{where}: must be at most {MAX_PARAM_VALUE} printable characters")
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    return tuple(sorted(params.items()))


def with_endpoints(config: Config, **found: str) -> Config:
    return config._replace(endpoints=config.endpoints._replace(**found))
