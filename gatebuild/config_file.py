"""Read the user's gate TOML and validate it once into an immutable edge.settings.Config.

Every user mistake raises ConfigFileError with one line that names the key and the fix.
Endpoint discovery (network) is not done here: `validate` returns the Config with whatever
endpoints could be derived without the network, plus the list of endpoint names still to
discover; gatebuild.discovery fills them in.
"""

from __future__ import annotations

import base64
import copy
import difflib
import ipaddress
import re
import tomllib
from urllib.parse import urlsplit

from edge.paths import fold
from edge.provider import PROFILES, Provider
from edge.settings import (
    ALLOWED_ALGORITHMS,
    LOG_LEVELS,
    PROVIDERS,
    SAME_SITE_VALUES,
    Api,
    Assets,
    Branding,
    Config,
    Cookies,
    Endpoints,
    Entry,
    Paths,
    Rule,
    Tokens,
)
from gatebuild import branding, globs


class ConfigFileError(Exception):
    """Mistakes in the user's config file: each a line that names the key and the fix.

    str() lists them one per line (one line when there is one mistake); `mistakes` holds them.
    """

    def __init__(self, *mistakes: str):
        super().__init__("\n".join(mistakes))
        self.mistakes = list(mistakes)


# The defaults are edge.settings' (one source of truth): the same values the gate assumes.
_CONFIG = Config._field_defaults
_PATHS = Paths._field_defaults
_TOKENS = Tokens._field_defaults
_COOKIES = Cookies._field_defaults
_BRANDING = Branding._field_defaults
# section -> key -> (type, default). A default of REQUIRED means the key must be given; ABSENT
# means "not given" is itself meaningful (derived or discovered: None in the checked section).
REQUIRED = object()
ABSENT = object()
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], object]]] = {
    "idp": {
        "provider": (str, REQUIRED),
        "issuer": (str, ABSENT),
        "client_id": (str, REQUIRED),
        "client_secret": (str, _CONFIG["client_secret"]),
        "scopes": (list, _CONFIG["scopes"]),
        "authorization_endpoint": (str, ABSENT),
        "token_endpoint": (str, ABSENT),
        "jwks_uri": (str, ABSENT),
        "revocation_endpoint": (str, ABSENT),
        "end_session_endpoint": (str, ABSENT),
        "timeout_seconds": ((int, float), _CONFIG["idp_timeout_seconds"]),
        "extra_authorize_params": (dict, ABSENT),
    },
    "cognito": {
        "region": (str, ABSENT),
        "user_pool_id": (str, ABSENT),
        "domain": (str, ABSENT),
    },
    "site": {"url": (str, _CONFIG["site_url"]), "spa": (bool, _CONFIG["spa"])},
    # [assets]: the site's built files (edge/paths.py ClientRoutes); issue 23 adds signed cookies here
    "assets": {"paths": (list, Assets._field_defaults["paths"])},
    "paths": {key: (type(_PATHS[key]) if key != "public" else list, _PATHS[key]) for key in Paths._fields},
    "tokens": {
        key: (
            list if key == "algorithms" else type(_TOKENS[key]),
            ABSENT if key in ("groups_claim", "roles_claim") else _TOKENS[key],
        )
        for key in Tokens._fields
    },
    # groups_claim and roles_claim: ABSENT means the provider profile's default (edge/provider.py)
    "cookies": {key: (type(_COOKIES[key]), _COOKIES[key]) for key in Cookies._fields},
    # no state.secret: build.py generates one and keeps it (gatebuild/secret_store.py)
    "state": {"secret": (str, ""), "previous_secrets": (list, _CONFIG["previous_state_secrets"])},
    "entry": {
        "groups": (list, []),
        "roles": (list, []),
        "emails": (list, []),
        "email_domains": (list, []),
        "any_account": (bool, False),
    },
    "log": {"level": (str, _CONFIG["log_level"])},
    "branding": {
        "name": (str, _BRANDING["name"]),
        "logo": (str, _BRANDING["logo"]),
        # absent: edge.settings.Branding's colour (branding.validate fills it in)
        "accent": (str, ABSENT),
        "background": (str, ABSENT),
        "text": (str, ABSENT),
    },
}
# Values a key may take, checked by the validator and published in the JSON Schema.
CHOICES = {
    "idp.provider": PROVIDERS,
    "cookies.same_site": SAME_SITE_VALUES,
    "log.level": LOG_LEVELS,
    "tokens.algorithms": ALLOWED_ALGORITHMS,
}
RANGES = {
    "idp.timeout_seconds": (0.5, 4.0),
    "tokens.leeway_seconds": (0, 300),
    "tokens.refresh_window_seconds": (0, 3600),
    "cookies.session_max_age_seconds": (300, 3650 * 86400),
    "cookies.login_max_age_seconds": (60, 3600),
}
RULE_KEYS = {"paths": list, "groups": list, "roles": list, "emails": list, "email_domains": list}
WHO_KEYS = ("groups", "roles", "emails", "email_domains")  # a rule or [entry] is met by ANY of these
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
MAX_CLAIM_NAME = 200
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
MIN_SECRET_BYTES = 32
COGNITO_POOL_ID = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[0-9A-Za-z]+$")
LOCAL_POOL_ID = re.compile(r"^local_[0-9A-Za-z]{1,32}$")
COGNITO_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
COOKIE_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/?-]*$")


def json_schema() -> dict:
    """The config file's JSON Schema (draft-07, which TOML editors such as Taplo read), made from
    SCHEMA, CHOICES and RANGES. The cross-field checks (endpoints, rules, contrast) stay in validate."""
    kinds = {str: "string", int: "integer", bool: "boolean", list: "array", dict: "object"}

    def prop(dotted: str, kind, default) -> dict:
        out: dict = {"type": "number" if isinstance(kind, tuple) else kinds[kind]}
        if out["type"] == "array":
            out["items"] = {"type": "string", "minLength": 1}
            if dotted in CHOICES:
                out["items"]["enum"] = list(CHOICES[dotted])
        elif dotted in CHOICES:
            out["enum"] = list(CHOICES[dotted])
        if dotted in RANGES:
            out["minimum"], out["maximum"] = RANGES[dotted]
        if default not in (REQUIRED, ABSENT):
            out["default"] = list(default) if isinstance(default, tuple) else default
        return out

    properties: dict = {}
    for section, keys in SCHEMA.items():
        properties[section] = {
            "type": "object",
            "additionalProperties": False,
            "properties": {key: prop(f"{section}.{key}", kind, default) for key, (kind, default) in keys.items()},
        }
        required = [key for key, (_, default) in keys.items() if default is REQUIRED]
        if required:
            properties[section]["required"] = required
    string_list = {"type": "array", "minItems": 1, "items": {"type": "string", "minLength": 1}}
    properties["rules"] = {
        "type": "array",
        "items": {
            "type": "object",
            "additionalProperties": False,
            "required": ["paths"],
            "properties": {key: {"type": "array", "items": {"type": "string", "minLength": 1}} for key in RULE_KEYS},
        },
    }
    api_kinds = {key: string_list if kind is list else {"type": kinds[kind]} for key, kind in API_KEYS.items()}
    properties["apis"] = {
        "type": "array",
        "items": {"type": "object", "additionalProperties": False, "required": ["paths"], "properties": api_kinds},
    }
    return {
        "$schema": "http://json-schema.org/draft-07/schema#",
        "title": "The sign-in gate's config (gate.toml)",
        "description": "Generated by `python build.py --print-schema`; build.py checks more than this "
        "(endpoints, rule overlaps, colour contrast).",
        "type": "object",
        "additionalProperties": False,
        "required": ["idp"],
        "properties": properties,
    }


def read_toml(path: str) -> dict:
    try:
        with open(path, "rb") as f:
            return tomllib.load(f)
    except FileNotFoundError:
        raise ConfigFileError(f"{path}: no such file; copy gate.example.toml and edit it") from None
    except IsADirectoryError:
        raise ConfigFileError(f"{path}: is a directory; give the gate's TOML file, e.g. --config gate.toml") from None
    except OSError as exc:
        raise ConfigFileError(f"{path}: cannot read it ({exc.strerror}); check the path and its permissions") from None
    except UnicodeDecodeError:
        raise ConfigFileError(f"{path}: not UTF-8 text; save the TOML file as UTF-8") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigFileError(f"{path}: not valid TOML ({exc}); fix the syntax there") from None


def deep_merge(base: dict, over: dict) -> dict:
    """`base` with `over` laid on top, tables merged key by key (neither argument changes)."""
    out = copy.deepcopy(base)
    for key, value in over.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


class _Mistakes:
    """Collects every mistake of one validation; `broken` names what later checks must not use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.broken: set[str] = set()

    def check(self, name: str, needs: tuple[str, ...], check, *args):
        """check(*args), or None when it failed (its mistakes kept) or something it needs is broken."""
        if self.broken.intersection(needs):
            self.broken.add(name)
            return None
        try:
            return check(*args)
        except ConfigFileError as exc:
            self.lines.extend(exc.mistakes)
            self.broken.add(name)
            return None


def validate(raw: dict) -> tuple[Config, list[str]]:
    """The Config and the endpoints still to discover, or ConfigFileError listing every mistake.

    Each key is checked on its own where it can be; a check that needs a key or section found
    wrong is skipped (its mistake would only echo the first).
    """
    m = _Mistakes()
    sections = _checked_sections(raw, m)
    idp, cognito, site, state = (sections.get(k, {}) for k in ("idp", "cognito", "site", "state"))
    provider = m.check("provider", ("idp",), lambda: _one_of("idp.provider", idp["provider"], PROVIDERS))
    client_id = m.check("client_id", ("idp",), lambda: _nonempty("idp.client_id", idp["client_id"]))
    scopes = m.check("scopes", ("idp",), _scopes, idp)
    timeout = m.check("timeout", ("idp",), _timeout, idp)
    found = m.check("endpoints", ("idp", "cognito", "provider"), _endpoints, provider, idp, cognito)
    site_url = m.check("site_url", ("site",), _site_url, site)
    profile = PROFILES[provider] if provider else Provider
    extra_params = m.check(
        "extra_authorize_params", ("idp", "provider"), _extra_params, idp.get("extra_authorize_params"), profile
    )
    paths = m.check("paths", ("paths",), _paths, sections.get("paths"))
    rules = m.check("rules", ("paths",), _rules, raw.get("rules", []), paths)
    # a broken provider or client id leaves the generic profile's defaults: tokens' own mistakes still show
    tokens = m.check("tokens", ("tokens",), _tokens, sections.get("tokens"), profile, client_id or "")
    entry = m.check("entry", ("entry",), _entry, sections.get("entry"))
    m.check("who", ("provider", "tokens", "entry", "rules", "paths"), _check_who, profile, tokens, entry, rules, paths)
    cookies = m.check("cookies", ("cookies", "site_url"), _cookies, sections.get("cookies"), site_url)
    secrets = m.check("state", ("state",), _state_secrets, state)
    log_level = m.check("log", ("log",), lambda: _one_of("log.level", sections["log"]["level"], LOG_LEVELS))
    brand = m.check(
        "branding",
        ("branding", "paths", "site_url"),
        lambda: branding.validate(
            sections["branding"],
            public_matches=lambda p: _is_public(p, paths),
            site_url=site_url,
            error=ConfigFileError,
        ),
    )
    apis = m.check("apis", ("paths", "tokens"), _apis, raw.get("apis", []), paths, tokens)
    # apis broken: checked against the gate's own paths only (the [[apis]] mistake is reported already)
    assets = m.check("assets", ("assets", "paths"), _assets, sections.get("assets"), paths, apis or ())
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


def _scopes(idp: dict) -> list[str]:
    scopes = _str_list("idp.scopes", idp["scopes"])
    if "openid" not in scopes:
        raise ConfigFileError('idp.scopes: must include "openid" (the gate needs an ID token)')
    return scopes


def _timeout(idp: dict) -> float:
    timeout = float(idp["timeout_seconds"])
    low, high = RANGES["idp.timeout_seconds"]
    if not low <= timeout <= high:
        raise ConfigFileError(
            f"idp.timeout_seconds: must be between {low} and {high} so every answer stays inside "
            "Lambda@Edge's 5 s viewer-request limit"
        )
    return timeout


def _site_url(site: dict) -> str:
    site_url = site["url"]
    if site_url:
        _url("site.url", site_url)
        site_url = site_url.rstrip("/")
        if urlsplit(site_url).path:
            raise ConfigFileError('site.url: give only scheme and host, e.g. "https://example.com"')
    return site_url


def _state_secrets(state: dict) -> tuple[bytes, tuple[bytes, ...]]:
    secret = _state_secret(state["secret"])
    # after a rotation: still accepted for logins that started before it (deploy.py drops them
    # after one login lifetime)
    previous = tuple(_state_secret(s, "state.previous_secrets") for s in state["previous_secrets"])
    if previous and not secret:
        raise ConfigFileError("state.previous_secrets: only with state.secret (the secret that signs now)")
    return secret, previous


def _is_public(path: str, paths: Paths) -> bool:
    from edge.access import AccessPolicy
    from edge.paths import normalise

    # exactly as the gate decides (edge/access.py): every reading public, canonical spelling
    return AccessPolicy(paths, ()).public_uri(normalise(path), path) is not None


def with_endpoints(config: Config, **found: str) -> Config:
    return config._replace(endpoints=config.endpoints._replace(**found))


def _checked_sections(raw: dict, m: _Mistakes) -> dict[str, dict]:
    """Every section with every key: given (type-checked) or its default. A section with an
    unknown key, a wrong type or a missing required key is reported and marked broken."""
    for name in raw:
        if name not in SCHEMA and name not in ("rules", "apis"):
            m.lines.append(_unknown(f"[{name}]", name, [*SCHEMA, "rules", "apis"], what="section"))
    out = {}
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            m.lines.append(f"[{section}]: must be a table, written as [{section}]")
            m.broken.add(section)
            continue
        before = len(m.lines)
        for key in given:
            if key not in keys:
                m.lines.append(_unknown(f"{section}.{key}", key, list(keys)))
        values = {}
        for key, (kind, default) in keys.items():
            if key in given:
                try:
                    values[key] = _typed(f"{section}.{key}", given[key], kind)
                except ConfigFileError as exc:
                    m.lines.extend(exc.mistakes)
            elif default is REQUIRED:
                m.lines.append(f"{section}.{key}: missing; add it under [{section}]")
            elif default is ABSENT:
                values[key] = None
            else:
                values[key] = default
        if len(m.lines) > before:
            m.broken.add(section)
        out[section] = values
    return out


def _unknown(where: str, key: str, known: list[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"known {what}s: " + ", ".join(known)
    return f"{where}: unknown {what}; {hint}"


def _typed(key: str, value, kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = False if isinstance(value, bool) and bool not in kinds else isinstance(value, kinds)
    if not ok:
        names = "a number" if set(kinds) == {int, float} else " or ".join(_type_name(k) for k in kinds)
        raise ConfigFileError(f"{key}: must be {names}, not {_type_name(type(value))}")
    return value


def _type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(kind, kind.__name__)


def _one_of(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigFileError(f"{key}: must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def _nonempty(key: str, value: str) -> str:
    if not value.strip():
        raise ConfigFileError(f"{key}: must not be empty")
    return value


def _str_list(key: str, value: list) -> list[str]:
    if not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigFileError(f'{key}: must be a non-empty list of strings, e.g. ["a", "b"]')
    return value


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Keys whose URL is scheme and host only: their hint must not suggest a path.
_HOST_ONLY_KEYS = ("site.url", "cognito.domain")


def _url(key: str, value: str) -> str:
    parts = urlsplit(value)
    if parts.scheme == "https" and parts.hostname:
        return value
    if parts.scheme == "http" and parts.hostname and _is_loopback(parts.hostname):
        return value
    example = "https://host" if key in _HOST_ONLY_KEYS else "https://host/path"
    raise ConfigFileError(
        f'{key}: {value!r} is not an https URL; write it as "{example}" (plain http is accepted only for localhost)'
    )


def _endpoints(provider: str, idp: dict, cognito: dict) -> tuple[str, Endpoints, list[str]]:
    given = {
        k: _url(f"idp.{k}", idp[k]) if idp[k] else idp[k]
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
        issuer = _url("idp.issuer", idp["issuer"])  # exactly as the tokens' `iss` (Auth0's ends with "/")
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
    _url("cognito.domain", base)
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
    if idp["issuer"]:
        issuer = _url("idp.issuer", idp["issuer"])
    else:
        issuer = f"https://cognito-idp.{region}.amazonaws.com/{pool}"
    return issuer, {
        "authorization_endpoint": f"{base}/oauth2/authorize",
        "token_endpoint": f"{base}/oauth2/token",
        "jwks_uri": f"{issuer.rstrip('/')}/.well-known/jwks.json",
        "revocation_endpoint": f"{base}/oauth2/revoke",
        "end_session_endpoint": f"{base}/logout",
    }


# Profiles whose endpoints are derived from their own section rather than discovered.
_DERIVED_ENDPOINTS = {"cognito": _cognito_endpoints}


def _gate_path(key: str, value: str) -> str:
    if not SAFE_PATH.match(value) or "?" in value or "*" in value or value.endswith("/") or "//" in value:
        raise ConfigFileError(f'{key}: {value!r} must be a plain path such as "/_gate/callback"')
    return value


def _pattern(key: str, value) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigFileError(f'{key}: {value!r} can never match; path patterns start with "/", e.g. "/admin/*"')
    if "//" in value or "/./" in value or "/../" in value or value.endswith(("/.", "/..")):
        raise ConfigFileError(
            f"{key}: {value!r} can never match, requests are matched after resolving "
            '"//", "." and ".."; write the resolved path'
        )
    return value


def _paths(section: dict) -> Paths:
    names = ("callback", "sign_in", "sign_out", "signed_out", "whoami", "refresh")
    values = {name: _gate_path(f"paths.{name}", section[name]) for name in names}
    if len(set(values.values())) != len(values):
        raise ConfigFileError("paths: callback, sign_in, sign_out, signed_out, whoami and refresh must all differ")
    public = tuple(_pattern("paths.public", p) for p in section["public"])
    for pattern in public:
        _not_a_gate_path("paths.public", pattern, values.values())
    return Paths(**values, public=public, case_sensitive=section["case_sensitive"])


def _tables(raw_tables, name: str, keys, write_as: str, table_is: str):
    """(where, table) for each [[name]] table, once it is a table with only known keys.
    write_as / table_is finish the messages for a value that is not a list / not a table."""
    if not isinstance(raw_tables, list):
        raise ConfigFileError(f"{name}: {write_as}")
    for index, raw in enumerate(raw_tables, start=1):
        where = f"{name}[{index}]"
        if not isinstance(raw, dict):
            raise ConfigFileError(f"{where}: {table_is}")
        for key in raw:
            if key not in keys:
                raise ConfigFileError(_unknown(f"{where}.{key}", key, list(keys)))
        yield where, raw


def _rules(raw_rules, paths: Paths) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for where, raw in _tables(
        raw_rules,
        "rules",
        RULE_KEYS,
        "write each rule as a [[rules]] table with paths and groups",
        "must be a [[rules]] table with paths and groups",
    ):
        if "paths" not in raw:
            raise ConfigFileError(
                f"{where}.paths: missing; a rule needs paths and who may see them "
                "(groups, roles, emails or email_domains)"
            )
        for key in raw:
            _typed(f"{where}.{key}", raw[key], list)
        patterns = tuple(_pattern(f"{where}.paths", p) for p in _str_list(f"{where}.paths", raw["paths"]))
        who = _who(where, raw)
        if not any(who.values()):
            raise ConfigFileError(
                f"{where}: says nobody may see its paths; give groups, roles, emails or "
                "email_domains (any one of them lets a person in)"
            )
        for pattern in patterns:
            _not_a_gate_path(f"{where}.paths", pattern, paths.gate_paths())
        rules.append(Rule(paths=patterns, **who))
    _check_overlaps(paths, rules)
    return tuple(rules)


def _check_overlaps(paths: Paths, rules: list[Rule]) -> None:
    """Public patterns come first, then rules in order, and the first match decides. Refuse what
    would silently weaken a rule: a rule covered by what comes before it (it can never match),
    and a public pattern or an earlier rule with fewer restrictions that matches *part* of a
    rule. An earlier pattern lying wholly inside the later one is a deliberate exception and
    allowed. Checked on the patterns as written and case-folded (the loose reading)."""
    try:
        _check_overlaps_in(paths, rules)
    except globs.TooComplex:
        raise ConfigFileError(
            "rules: the path patterns are too complex to check for overlaps; use fewer '*' per pattern"
        ) from None


def _check_overlaps_in(paths: Paths, rules: list[Rule]) -> None:
    forms = [fold] if not paths.case_sensitive else [str, fold]
    for index, rule in enumerate(rules, start=1):
        where = f"rules[{index}].paths"
        for later in rule.paths:
            for pattern in paths.public:
                if _covered(later, pattern, forms):
                    raise ConfigFileError(
                        f"{where}: {later!r} can never apply because paths.public has {pattern!r}, "
                        "and public paths need no sign-in; narrow or remove that public pattern"
                    )
                sample = _part_of(pattern, later, [], forms)
                if sample is not None:
                    raise ConfigFileError(
                        f"paths.public: {pattern!r} would make part of {where} {later!r} public "
                        f"(both match {sample!r}); narrow the public pattern so it stays outside the rule"
                    )
            decided: list[str] = []  # patterns of the rules before `earlier`: they decide first
            for before_index, earlier in enumerate(rules[: index - 1], start=1):
                for pattern in earlier.paths:
                    if _covered(later, pattern, forms):
                        raise ConfigFileError(
                            f"{where}: {later!r} can never match because {pattern!r} comes first "
                            "(first match wins); move this rule up or narrow the earlier pattern"
                        )
                    if all(set(getattr(earlier, k)) <= set(getattr(rule, k)) for k in WHO_KEYS):
                        continue  # anyone the earlier rule lets in, this one would let in too
                    sample = _part_of(pattern, later, decided, forms)
                    if sample is not None:
                        raise ConfigFileError(
                            f"{where}: {later!r} and rules[{before_index}].paths {pattern!r} both match "
                            f"{sample!r}, and the first match wins, so rules[{before_index}] would decide part "
                            "of this rule; make the patterns not overlap, or put a narrower exception first"
                        )
                decided.extend(earlier.paths)


def _covered(later: str, earlier: str, forms) -> bool:
    """Everything `later` matches, `earlier` matches too."""
    return all(globs.witness([f(later)], [f(earlier)]) is None for f in forms)


def _part_of(earlier: str, later: str, decided: list[str], forms) -> str | None:
    """A path both match (and no `decided` pattern does), unless `earlier` lies wholly inside
    `later` (an exception the user wrote on purpose) and is not all of it."""
    for f in forms:
        sample = globs.witness([f(earlier), f(later)], [f(d) for d in decided])
        if sample is None:
            continue
        inside = globs.witness([f(earlier)], [f(later)]) is None
        if not inside or globs.witness([f(later)], [f(earlier)]) is None:
            return sample
    return None


def _not_a_gate_path(key: str, pattern: str, gate_paths) -> None:
    if pattern in gate_paths:
        raise ConfigFileError(f"{key}: {pattern!r} can never match: the gate answers that path itself; remove it")


def _who(where: str, raw: dict) -> dict[str, tuple[str, ...]]:
    """groups, roles, emails and email_domains of a rule or [entry], checked."""
    out = {}
    for key in WHO_KEYS:
        values = raw.get(key) or []
        if not all(isinstance(v, str) and v.strip() for v in values):
            raise ConfigFileError(f'{where}.{key}: must be a list of non-empty strings, e.g. ["a", "b"]')
        for value in values:
            if key == "emails" and not EMAIL.match(value):
                raise ConfigFileError(f'{where}.emails: {value!r} is not an email address such as "ada@example.com"')
            if key == "email_domains" and (not DOMAIN.match(value) or "@" in value):
                raise ConfigFileError(
                    f'{where}.email_domains: {value!r} is not a domain such as "example.com" '
                    "(without @; subdomains are not included)"
                )
        out[key] = tuple(values)
    return out


def _entry(section: dict) -> Entry:
    who = _who("entry", section)
    if section["any_account"] and any(who.values()):
        raise ConfigFileError(
            "entry.any_account: true lets every account in, but [entry] also lists who may "
            "enter; remove any_account or the lists"
        )
    return Entry(**who, any_account=section["any_account"])


def _check_who(profile: type[Provider], tokens: Tokens, entry: Entry, rules: tuple[Rule, ...], paths: Paths) -> None:
    """What the provider can tell: groups need a groups claim, roles a roles claim, emails a
    provider that says whether they are verified; and a public provider must say who may enter."""
    places = [("entry", entry)] + [(f"rules[{i}]", rule) for i, rule in enumerate(rules, start=1)]
    name = profile.name
    for where, who in places:
        if who.groups and not tokens.groups_claim:
            raise ConfigFileError(
                f'{where}.groups: provider "{name}" has no groups claim of its own; set '
                "tokens.groups_claim to the claim that carries them, or use roles, emails or "
                "email_domains"
            )
        if who.roles and not tokens.roles_claim:
            raise ConfigFileError(f'{where}.roles: no roles claim; set tokens.roles_claim (e.g. "roles")')
        if (who.emails or who.email_domains) and not profile.emails_decide:
            key = "emails" if who.emails else "email_domains"
            raise ConfigFileError(
                f'{where}.{key}: provider "{name}" sends no email_verified, so an email can '
                "never decide; use groups or roles (app roles)"
            )
    if profile.public and not entry.any_account and not any(getattr(entry, k) for k in WHO_KEYS):
        forms = [fold] if not paths.case_sensitive else [str, fold]
        if not any(_covered("/*", pattern, forms) for rule in rules for pattern in rule.paths):
            raise ConfigFileError(
                f'[entry]: provider "{name}" lets anyone with an account there sign in; say who may enter '
                "under [entry] (email_domains, emails, groups or roles), or set [entry] any_account = true "
                "if every account may"
            )


def _claim_name(key: str, value: str) -> str:
    if len(value) > MAX_CLAIM_NAME or value.count(".") >= 8 or value != value.strip():
        raise ConfigFileError(
            f'{key}: {value!r} is not a claim name or a short dotted path such as "realm_access.roles"'
        )
    return value


def _extra_params(given: dict | None, profile: type[Provider]) -> tuple[tuple[str, str], ...]:
    """The profile's defaults (Google: access_type=offline, prompt=consent), then the config's;
    an empty string removes a default."""
    params = dict(profile.default_extra_authorize_params)
    for key, value in (given or {}).items():
        where = f"idp.extra_authorize_params.{key}"
        if key in GATE_AUTHORIZE_PARAMS:
            fix = "; set idp.scopes instead" if key == "scope" else ""
            raise ConfigFileError(f"{where}: the gate sets {key} itself and it can never be overridden; remove it{fix}")
        if key not in SAFE_AUTHORIZE_PARAMS:
            raise ConfigFileError(_unknown(where, key, list(SAFE_AUTHORIZE_PARAMS), what="authorize parameter"))
        if isinstance(value, int) and not isinstance(value, bool) and key == "max_age" and value >= 0:
            value = str(value)
        if not isinstance(value, str):
            raise ConfigFileError(f"{where}: must be a string")
        if len(value) > MAX_PARAM_VALUE or any(ord(c) < 0x20 or ord(c) == 0x7F for c in value):
            raise ConfigFileError(f"{where}: must be at most {MAX_PARAM_VALUE} printable characters")
        if value:
            params[key] = value
        else:
            params.pop(key, None)
    return tuple(sorted(params.items()))


def _tokens(section: dict, profile: type[Provider] = Provider, client_id: str = "") -> Tokens:
    algorithms = tuple(_str_list("tokens.algorithms", section["algorithms"]))
    for alg in algorithms:
        if alg not in ALLOWED_ALGORITHMS:
            raise ConfigFileError(
                f"tokens.algorithms: {alg!r} is not allowed; choose from {', '.join(ALLOWED_ALGORITHMS)} "
                "(none and HMAC are never accepted)"
            )
    leeway = _in_range("tokens.leeway_seconds", section["leeway_seconds"])
    window = _in_range("tokens.refresh_window_seconds", section["refresh_window_seconds"])
    groups_claim = section["groups_claim"]
    groups_claim = (
        profile.default_groups_claim
        if groups_claim is None
        else _claim_name("tokens.groups_claim", _nonempty("tokens.groups_claim", groups_claim))
    )
    roles_claim = section["roles_claim"]
    roles_claim = (
        profile.roles_claim_for(client_id)
        if roles_claim is None
        else _claim_name("tokens.roles_claim", _nonempty("tokens.roles_claim", roles_claim))
    )
    return Tokens(
        algorithms=algorithms,
        leeway_seconds=leeway,
        groups_claim=groups_claim,
        roles_claim=roles_claim,
        refresh_window_seconds=window,
        store_access_token=section["store_access_token"],
        require_nonce=section["require_nonce"],
    )


def _cookies(section: dict, site_url: str) -> Cookies:
    prefix = section["prefix"]
    if not COOKIE_PREFIX.match(prefix):
        raise ConfigFileError("cookies.prefix: use 1-20 letters, digits, '-' or '_'")
    same_site = _one_of("cookies.same_site", section["same_site"], SAME_SITE_VALUES)
    secure = section["secure"]
    if not secure:
        host = urlsplit(site_url).hostname if site_url else None
        if not host or not _is_loopback(host):
            raise ConfigFileError(
                "cookies.secure: false is only for a local site.url on localhost; remove it for a real site"
            )
    if same_site == "None" and not secure:
        raise ConfigFileError('cookies.same_site: "None" requires cookies.secure = true')
    domain = section["domain"]
    if domain and not re.match(r"^\.?[A-Za-z0-9.-]+$", domain):
        raise ConfigFileError(f'cookies.domain: {domain!r} is not a host name such as "example.com"')
    session = _in_range("cookies.session_max_age_seconds", section["session_max_age_seconds"])
    login = _in_range("cookies.login_max_age_seconds", section["login_max_age_seconds"])
    return Cookies(
        prefix=prefix,
        domain=domain.lstrip("."),
        same_site=same_site,
        secure=secure,
        session_max_age_seconds=session,
        login_max_age_seconds=login,
    )


def _in_range(key: str, value: int) -> int:
    low, high = RANGES[key]
    if not low <= value <= high:
        raise ConfigFileError(f"{key}: must be between {low} and {high}")
    return value


def _state_secret(given: str, key: str = "state.secret") -> bytes:
    """The configured secret, or b"" for build.py to take from its local secret store."""
    if not given and key == "state.secret":
        return b""
    try:
        raw = base64.urlsafe_b64decode(given + "=" * (-len(given) % 4)) if isinstance(given, str) else b""
    except ValueError:
        raw = b""
    if len(raw) < MIN_SECRET_BYTES:
        raise ConfigFileError(
            f"{key}: must be at least 32 random bytes, base64url-encoded; leave it out and build.py generates one"
        )
    return raw


API_KEYS = {"paths": list, "identity_headers": bool, "accept_bearer": bool, "cors_origins": list}


def _apis(raw_apis, paths: Paths, tokens: Tokens) -> tuple[Api, ...]:
    """[[apis]]: the site's API paths (edge/api.py). The gate forwards the access token there,
    so it must keep one: refuse `tokens.store_access_token = false` here, not at run time."""
    apis: list[Api] = []
    for where, raw in _tables(
        raw_apis,
        "apis",
        API_KEYS,
        'write each API as an [[apis]] table, e.g. paths = ["/api/*"]',
        'must be an [[apis]] table, e.g. paths = ["/api/*"]',
    ):
        if "paths" not in raw:
            raise ConfigFileError(f'{where}.paths: missing; e.g. paths = ["/api/*"]')
        for key, kind in API_KEYS.items():
            if key in raw:
                _typed(f"{where}.{key}", raw[key], kind)
        patterns = tuple(_pattern(f"{where}.paths", p) for p in _str_list(f"{where}.paths", raw["paths"]))
        if not patterns:
            raise ConfigFileError(f'{where}.paths: give at least one pattern, e.g. ["/api/*"]')
        for pattern in patterns:
            _not_a_gate_path(f"{where}.paths", pattern, paths.gate_paths())
            if _is_public(pattern.replace("*", "x"), paths):
                raise ConfigFileError(
                    f"{where}.paths: {pattern!r} is also public in paths.public; "
                    "an API path needs a session, remove it from one of them"
                )
        origins = []
        given_origins = raw.get("cors_origins", [])
        for origin in _str_list(f"{where}.cors_origins", given_origins) if given_origins else []:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("https", "http")
                or not parts.netloc
                or parts.path
                or parts.query
                or origin != origin.strip().rstrip("/")
                or (parts.scheme == "http" and not _is_loopback(parts.hostname or ""))
            ):
                raise ConfigFileError(
                    f'{where}.cors_origins: {origin!r} must be an origin such as "https://app.example.com"'
                )
            origins.append(origin)
        apis.append(
            Api(
                paths=patterns,
                identity_headers=raw.get("identity_headers", False),
                accept_bearer=raw.get("accept_bearer", False),
                cors_origins=tuple(origins),
            )
        )
    if apis and not tokens.store_access_token:
        raise ConfigFileError(
            "tokens.store_access_token: must be true when [[apis]] is configured "
            "(the gate forwards the access token to the API); set it to true or remove [[apis]]"
        )
    return tuple(apis)


def _assets(section: dict, paths: Paths, apis: tuple[Api, ...]) -> Assets:
    """[assets] paths: patterns of the site's built files, never answered with the app ([site]
    spa), so none may overlap an API path or the gate's own paths (either would then be read as
    an asset, or an asset as theirs)."""
    patterns = tuple(section["paths"])
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ConfigFileError('assets.paths: must be a list of path patterns, e.g. ["/assets/*"]')
        _pattern("assets.paths", pattern)
    forms = [fold] if not paths.case_sensitive else [str, fold]
    gate = [(f"the gate's own path {p!r}", p) for p in ("/_gate/*", *paths.gate_paths())]
    others = [*gate, *((f"[[apis]] paths {p!r}", p) for api in apis for p in api.paths)]
    try:
        for pattern in patterns:
            for what, other in others:
                for form in forms:
                    sample = globs.witness([form(pattern), form(other)])
                    if sample is not None:
                        raise ConfigFileError(
                            f"assets.paths: {pattern!r} overlaps {what} (both match {sample!r}); "
                            'an asset path is only for the site\'s own files: narrow it, e.g. "/assets/*"'
                        )
    except globs.TooComplex:
        raise ConfigFileError(
            "assets.paths: the patterns are too complex to check for overlaps; use fewer '*'"
        ) from None
    return Assets(paths=patterns)
