"""Read the user's gate TOML and validate it once into an immutable edge.settings.Config.

Every user mistake raises ConfigFileError with one line that names the key and the fix.
Endpoint discovery (network) is not done here: `validate` returns the Config with whatever
endpoints could be derived without the network, plus the list of endpoint names still to
discover; gatebuild.discovery fills them in.
"""

from __future__ import annotations

from edge.provider import Provider, profile_for
from edge.settings import LOG_LEVELS, PROVIDERS, Config

from . import branding
from .access import check_apis, check_entry, check_paths, check_rules, check_who, is_public
from .assets import check_assets
from .files import deep_merge, read_toml
from .idp import (
    ENDPOINT_KEYS,
    GATE_AUTHORIZE_PARAMS,
    SAFE_AUTHORIZE_PARAMS,
    check_endpoints,
    check_extra_params,
    check_scopes,
    check_timeout,
    with_endpoints,
)
from .mistakes import ConfigFileError, Mistakes
from .readers import checked_sections, nonempty, one_of
from .schema import json_schema
from .session import check_cookies, check_site_url, check_state_secrets, check_tokens

__all__ = [
    "ENDPOINT_KEYS",
    "GATE_AUTHORIZE_PARAMS",
    "SAFE_AUTHORIZE_PARAMS",
    "ConfigFileError",
    "deep_merge",
    "json_schema",
    "read_toml",
    "validate",
    "with_endpoints",
]


def validate(raw: dict) -> tuple[Config, list[str]]:
    """The Config and the endpoints still to discover, or ConfigFileError listing every mistake.

    Each key is checked on its own where it can be; a check that needs a key or section found
    wrong is skipped (its mistake would only echo the first).
    """
    m = Mistakes()
    sections = checked_sections(raw, m)
    idp, cognito, site, state = (sections.get(k, {}) for k in ("idp", "cognito", "site", "state"))
    provider = m.check("provider", ("idp",), lambda: one_of("idp.provider", idp["provider"], PROVIDERS))
    client_id = m.check("client_id", ("idp",), lambda: nonempty("idp.client_id", idp["client_id"]))
    scopes = m.check("scopes", ("idp",), check_scopes, idp)
    timeout = m.check("timeout", ("idp",), check_timeout, idp)
    found = m.check("endpoints", ("idp", "cognito", "provider"), check_endpoints, provider, idp, cognito)
    site_url = m.check("site_url", ("site",), check_site_url, site)
    # a generic "oidc" config with a known issuer (Google's) gets that provider's rules
    issuer = idp.get("issuer") if isinstance(idp, dict) else None
    profile = profile_for(provider, issuer if isinstance(issuer, str) else "") if provider else Provider
    extra_params = m.check(
        "extra_authorize_params", ("idp", "provider"), check_extra_params, idp.get("extra_authorize_params"), profile
    )
    paths = m.check("paths", ("paths",), check_paths, sections.get("paths"))
    rules = m.check("rules", ("paths",), check_rules, raw.get("rules", []), paths)
    # a broken provider or client id leaves the generic profile's defaults: tokens' own mistakes still show
    tokens = m.check("tokens", ("tokens",), check_tokens, sections.get("tokens"), profile, client_id or "")
    entry = m.check("entry", ("entry",), check_entry, sections.get("entry"))
    m.check("who", ("provider", "tokens", "entry", "rules", "paths"), check_who, profile, tokens, entry, rules, paths)
    cookies = m.check("cookies", ("cookies", "site_url"), check_cookies, sections.get("cookies"), site_url)
    secrets = m.check("state", ("state",), check_state_secrets, state)
    log_level = m.check("log", ("log",), lambda: one_of("log.level", sections["log"]["level"], LOG_LEVELS))
    brand = m.check(
        "branding",
        ("branding", "paths", "site_url"),
        lambda: branding.validate(
            sections["branding"],
            public_matches=lambda p: is_public(p, paths),
            site_url=site_url,
            error=ConfigFileError,
        ),
    )
    apis = m.check("apis", ("paths", "tokens"), check_apis, raw.get("apis", []), paths, tokens)
    # apis broken: checked against the gate's own paths only (the [[apis]] mistake is reported already)
    given_assets = isinstance(raw.get("assets"), dict) and "paths" in raw["assets"]
    assets = m.check(
        "assets",
        ("assets", "paths", "rules"),
        check_assets,
        sections.get("assets"),
        paths,
        apis or (),
        given_assets,
        rules or (),
    )
    if m.lines:
        raise ConfigFileError(*m.lines)
    issuer, endpoints, to_discover = found
    secret, previous_secrets = secrets
    config = Config(
        provider=provider,
        issuer=issuer,
        client_id=client_id,
        client_secret=idp["client_secret"],
        endpoints=endpoints,
        state_secret=secret,
        scopes=tuple(scopes),
        site_url=site_url,
        idp_timeout_seconds=timeout,
        paths=paths,
        rules=rules,
        tokens=tokens,
        cookies=cookies,
        log_level=log_level,
        branding=brand,
        previous_state_secrets=previous_secrets,
        apis=apis,
        entry=entry,
        extra_authorize_params=extra_params,
        spa=site["spa"],
        assets=assets,
    )
    return config, to_discover
