"""Read the user's gate TOML and validate it once into an immutable edge.settings.Config.

Every user mistake raises ConfigFileError with one line that names the key and the fix.
Endpoint discovery (network) is not done here: `validate` returns the Config with whatever
endpoints could be derived without the network, plus the list of endpoint names still to
discover; gatebuild.discovery fills them in.
"""

from __future__ import annotations

import base64
import difflib
import ipaddress
import re
import tomllib
from urllib.parse import urlsplit

from edge.paths import fold
from edge.provider import PROFILES, Provider
from gatebuild import branding
from edge.settings import (
    ALLOWED_ALGORITHMS,
    LOG_LEVELS,
    PROVIDERS,
    SAME_SITE_VALUES,
    Config,
    Cookies,
    Endpoints,
    Entry,
    Paths,
    Rule,
    Tokens,
)
from gatebuild import globs


class ConfigFileError(Exception):
    """A mistake in the user's config file; str() is the one line shown to the user."""


_DEFAULT_PATHS = Paths()
# section -> key -> (type, default). A default of REQUIRED means the key must be given.
REQUIRED = object()
ABSENT = object()
SCHEMA: dict[str, dict[str, tuple[type | tuple[type, ...], object]]] = {
    "idp": {
        "provider": (str, REQUIRED),
        "issuer": (str, ABSENT),
        "client_id": (str, REQUIRED),
        "client_secret": (str, ""),
        "scopes": (list, ["openid", "email", "profile"]),
        "authorization_endpoint": (str, ABSENT),
        "token_endpoint": (str, ABSENT),
        "jwks_uri": (str, ABSENT),
        "revocation_endpoint": (str, ABSENT),
        "end_session_endpoint": (str, ABSENT),
        "timeout_seconds": ((int, float), 3.0),
        "extra_authorize_params": (dict, ABSENT),
    },
    "cognito": {
        "region": (str, ABSENT),
        "user_pool_id": (str, ABSENT),
        "domain": (str, ABSENT),
    },
    "site": {"url": (str, "")},
    "paths": {
        "callback": (str, _DEFAULT_PATHS.callback),
        "sign_in": (str, _DEFAULT_PATHS.sign_in),
        "sign_out": (str, _DEFAULT_PATHS.sign_out),
        "signed_out": (str, _DEFAULT_PATHS.signed_out),
        "whoami": (str, _DEFAULT_PATHS.whoami),
        "public": (list, []),
        "case_sensitive": (bool, True),
    },
    "tokens": {
        "algorithms": (list, ["RS256"]),
        "leeway_seconds": (int, 30),
        "groups_claim": (str, ABSENT),     # default: the provider profile's (edge/provider.py)
        "roles_claim": (str, ABSENT),
        "refresh_window_seconds": (int, 300),
        "store_access_token": (bool, True),
        "require_nonce": (bool, True),
    },
    "cookies": {
        "prefix": (str, "gate"),
        "domain": (str, ""),
        "same_site": (str, "Lax"),
        "secure": (bool, True),
        "session_max_age_seconds": (int, 30 * 24 * 3600),
        "login_max_age_seconds": (int, 600),
    },
    "state": {"secret": (str, ""), "previous_secrets": (list, [])},
    "entry": {
        "groups": (list, []),
        "roles": (list, []),
        "emails": (list, []),
        "email_domains": (list, []),
        "any_account": (bool, False),
    },
    "log": {"level": (str, "info")},
    "branding": {
        "name": (str, ""),
        "logo": (str, ""),
        "accent": (str, ABSENT),
        "background": (str, ABSENT),
        "text": (str, ABSENT),
    },
}
RULE_KEYS = {"paths": list, "groups": list, "roles": list, "emails": list, "email_domains": list}
WHO_KEYS = ("groups", "roles", "emails", "email_domains")  # a rule or [entry] is met by ANY of these
# Authorize parameters a config may add (docs/providers.md): each documented by a provider for
# this purpose. Anything else (response_mode, redirect_uri, ...) could break or hijack the login.
SAFE_AUTHORIZE_PARAMS = ("audience", "prompt", "access_type", "login_hint", "domain_hint", "acr_values",
                         "identity_provider", "idp_identifier", "connection", "organization", "max_age",
                         "ui_locales", "resource", "hd")
# The gate's own: never overridable.
GATE_AUTHORIZE_PARAMS = ("state", "nonce", "redirect_uri", "code_challenge", "code_challenge_method",
                         "client_id", "response_type", "scope")
MAX_PARAM_VALUE = 512
MAX_CLAIM_NAME = 200
EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}$")
DOMAIN = re.compile(r"^(?=.{1,253}$)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+$")
ENDPOINT_KEYS = ("authorization_endpoint", "token_endpoint", "jwks_uri")
LEEWAY_MAX = 300
MIN_SECRET_BYTES = 32
COGNITO_POOL_ID = re.compile(r"^([a-z]{2}(?:-gov)?-[a-z]+-\d)_[0-9A-Za-z]+$")
LOCAL_POOL_ID = re.compile(r"^local_[0-9A-Za-z]{1,32}$")
COGNITO_REGION = re.compile(r"^[a-z]{2}(?:-gov)?-[a-z]+-\d$")
COOKIE_PREFIX = re.compile(r"^[A-Za-z0-9_-]{1,20}$")
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/?-]*$")


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


def load(path: str) -> tuple[Config, list[str]]:
    """Parse and validate the file at `path`. Returns the Config and endpoints to discover."""
    return validate(read_toml(path))


def validate(raw: dict) -> tuple[Config, list[str]]:
    sections = _checked_sections(raw)
    idp, cognito = sections["idp"], sections["cognito"]
    provider = _one_of("idp.provider", idp["provider"], PROVIDERS)
    client_id = _nonempty("idp.client_id", idp["client_id"])
    scopes = _str_list("idp.scopes", idp["scopes"])
    if "openid" not in scopes:
        raise ConfigFileError('idp.scopes: must include "openid" (the gate needs an ID token)')
    timeout = float(idp["timeout_seconds"])
    if not 0.5 <= timeout <= 4.0:
        raise ConfigFileError(
            "idp.timeout_seconds: must be between 0.5 and 4.0 so every answer stays inside "
            "Lambda@Edge's 5 s viewer-request limit"
        )
    issuer, endpoints, to_discover = _endpoints(provider, idp, cognito)
    site_url = sections["site"]["url"]
    if site_url:
        _url("site.url", site_url)
        site_url = site_url.rstrip("/")
        if urlsplit(site_url).path:
            raise ConfigFileError('site.url: give only scheme and host, e.g. "https://example.com"')
    profile = PROFILES[provider]
    extra_params = _extra_params(idp["extra_authorize_params"], profile)
    paths = _paths(sections["paths"])
    rules = _rules(raw.get("rules", []), paths)
    tokens = _tokens(sections["tokens"], profile, client_id)
    entry = _entry(sections["entry"])
    _check_who(profile, tokens, entry, rules, paths)
    cookies = _cookies(sections["cookies"], site_url)
    secret = _state_secret(sections["state"]["secret"])
    # after a rotation: still accepted for logins that started before it (deploy.py drops them
    # after one login lifetime)
    previous_secrets = tuple(_state_secret(s, "state.previous_secrets") for s in sections["state"]["previous_secrets"])
    if previous_secrets and not secret:
        raise ConfigFileError("state.previous_secrets: only with state.secret (the secret that signs now)")
    log_level = _one_of("log.level", sections["log"]["level"], LOG_LEVELS)
    brand = branding.validate(sections["branding"], public_matches=lambda p: _is_public(p, paths),
                              site_url=site_url, error=ConfigFileError)
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
        entry=entry,
        extra_authorize_params=extra_params,
    )
    return config, to_discover


def _is_public(path: str, paths: Paths) -> bool:
    from edge.access import AccessPolicy
    from edge.paths import normalise

    # exactly as the gate decides (edge/access.py): every reading public, canonical spelling
    return AccessPolicy(paths, ()).public_uri(normalise(path), path) is not None


def with_endpoints(config: Config, **found: str) -> Config:
    return config._replace(endpoints=config.endpoints._replace(**found))


def _checked_sections(raw: dict) -> dict[str, dict]:
    for name in raw:
        if name not in SCHEMA and name != "rules":
            raise ConfigFileError(_unknown(f"[{name}]", name, [*SCHEMA, "rules"], what="section"))
    out = {}
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            raise ConfigFileError(f"[{section}]: must be a table, written as [{section}]")
        for key in given:
            if key not in keys:
                raise ConfigFileError(_unknown(f"{section}.{key}", key, list(keys)))
        values = {}
        for key, (kind, default) in keys.items():
            if key in given:
                values[key] = _typed(f"{section}.{key}", given[key], kind)
            elif default is REQUIRED:
                raise ConfigFileError(f"{section}.{key}: missing; add it under [{section}]")
            elif default is ABSENT:
                values[key] = None
            else:
                values[key] = default
        out[section] = values
    return out


def _unknown(where: str, key: str, known: list[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"known {what}s: " + ", ".join(known)
    return f"{where}: unknown {what}; {hint}"


def _typed(key: str, value, kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    if isinstance(value, bool) and bool not in kinds:
        ok = False
    else:
        ok = isinstance(value, kinds)
    if not ok:
        names = "a number" if set(kinds) == {int, float} else " or ".join(_type_name(k) for k in kinds)
        raise ConfigFileError(f"{key}: must be {names}, not {_type_name(type(value))}")
    return value


def _type_name(kind: type) -> str:
    return {str: "a string", int: "a whole number", float: "a number", bool: "true or false",
            list: "a list", dict: "a table"}.get(kind, kind.__name__)


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
        f'{key}: {value!r} is not an https URL; write it as "{example}" '
        "(plain http is accepted only for localhost)"
    )


def _endpoints(provider: str, idp: dict, cognito: dict) -> tuple[str, Endpoints, list[str]]:
    given = {k: _url(f"idp.{k}", idp[k]) if idp[k] else idp[k]
             for k in (*ENDPOINT_KEYS, "revocation_endpoint", "end_session_endpoint")}
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
            raise ConfigFileError('idp.issuer: missing; add the provider\'s issuer URL under [idp]')
        issuer = _url("idp.issuer", idp["issuer"])  # exactly as the tokens' `iss` (Auth0's ends with "/")
    to_discover = [k for k in (*ENDPOINT_KEYS, "revocation_endpoint", "end_session_endpoint")
                   if given[k] is None]
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
            raise ConfigFileError(f'cognito.user_pool_id: {pool!r} is not a cognito-local pool id such as "local_AbC12345"')
        if not idp["issuer"]:
            raise ConfigFileError('idp.issuer: required with cognito.region = "local" (cognito-local\'s issuer URL)')
    else:
        if not COGNITO_REGION.match(region):
            raise ConfigFileError(f'cognito.region: {region!r} is not an AWS region such as "us-east-1"')
        match = COGNITO_POOL_ID.match(pool)
        if not match:
            raise ConfigFileError(f'cognito.user_pool_id: {pool!r} is not a pool id such as "us-east-1_AbC123xyz"')
        if match.group(1) != region:
            raise ConfigFileError(f"cognito.region: pool {pool!r} is in {match.group(1)!r}, not {region!r}; "
                                  f'set region = "{match.group(1)}" under [cognito]')
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
    names = ("callback", "sign_in", "sign_out", "signed_out", "whoami")
    values = {name: _gate_path(f"paths.{name}", section[name]) for name in names}
    if len(set(values.values())) != len(values):
        raise ConfigFileError("paths: callback, sign_in, sign_out, signed_out and whoami must all differ")
    public = tuple(_pattern("paths.public", p) for p in section["public"])
    for pattern in public:
        _not_a_gate_path("paths.public", pattern, values.values())
    return Paths(**values, public=public, case_sensitive=section["case_sensitive"])


def _rules(raw_rules, paths: Paths) -> tuple[Rule, ...]:
    if not isinstance(raw_rules, list):
        raise ConfigFileError("rules: write each rule as a [[rules]] table with paths and groups")
    rules: list[Rule] = []
    for index, raw in enumerate(raw_rules, start=1):
        where = f"rules[{index}]"
        if not isinstance(raw, dict):
            raise ConfigFileError(f"{where}: must be a [[rules]] table with paths and groups")
        for key in raw:
            if key not in RULE_KEYS:
                raise ConfigFileError(_unknown(f"{where}.{key}", key, list(RULE_KEYS)))
        if "paths" not in raw:
            raise ConfigFileError(f"{where}.paths: missing; a rule needs paths and who may see them "
                                  "(groups, roles, emails or email_domains)")
        for key in raw:
            _typed(f"{where}.{key}", raw[key], list)
        patterns = tuple(_pattern(f"{where}.paths", p) for p in _str_list(f"{where}.paths", raw["paths"]))
        who = _who(where, raw)
        if not any(who.values()):
            raise ConfigFileError(f"{where}: says nobody may see its paths; give groups, roles, emails or "
                                  "email_domains (any one of them lets a person in)")
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
        raise ConfigFileError("rules: the path patterns are too complex to check for overlaps; "
                              "use fewer '*' per pattern") from None


def _check_overlaps_in(paths: Paths, rules: list[Rule]) -> None:
    forms = [fold] if not paths.case_sensitive else [str, fold]
    for index, rule in enumerate(rules, start=1):
        where = f"rules[{index}].paths"
        for later in rule.paths:
            for pattern in paths.public:
                if _covered(later, pattern, forms):
                    raise ConfigFileError(f"{where}: {later!r} can never apply because paths.public has {pattern!r}, "
                                          "and public paths need no sign-in; narrow or remove that public pattern")
                sample = _part_of(pattern, later, [], forms)
                if sample is not None:
                    raise ConfigFileError(
                        f"paths.public: {pattern!r} would make part of {where} {later!r} public "
                        f"(both match {sample!r}); narrow the public pattern so it stays outside the rule")
            decided: list[str] = []  # patterns of the rules before `earlier`: they decide first
            for before_index, earlier in enumerate(rules[:index - 1], start=1):
                for pattern in earlier.paths:
                    if _covered(later, pattern, forms):
                        raise ConfigFileError(
                            f"{where}: {later!r} can never match because {pattern!r} comes first "
                            "(first match wins); move this rule up or narrow the earlier pattern")
                    if all(set(getattr(earlier, k)) <= set(getattr(rule, k)) for k in WHO_KEYS):
                        continue  # anyone the earlier rule lets in, this one would let in too
                    sample = _part_of(pattern, later, decided, forms)
                    if sample is not None:
                        raise ConfigFileError(
                            f"{where}: {later!r} and rules[{before_index}].paths {pattern!r} both match "
                            f"{sample!r}, and the first match wins, so rules[{before_index}] would decide part "
                            "of this rule; make the patterns not overlap, or put a narrower exception first")
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
                raise ConfigFileError(f'{where}.email_domains: {value!r} is not a domain such as "example.com" '
                                      "(without @; subdomains are not included)")
        out[key] = tuple(values)
    return out


def _entry(section: dict) -> Entry:
    who = _who("entry", section)
    if section["any_account"] and any(who.values()):
        raise ConfigFileError("entry.any_account: true lets every account in, but [entry] also lists who may "
                              "enter; remove any_account or the lists")
    return Entry(**who, any_account=section["any_account"])


def _check_who(profile: type[Provider], tokens: Tokens, entry: Entry, rules: tuple[Rule, ...],
               paths: Paths) -> None:
    """What the provider can tell: groups need a groups claim, roles a roles claim, emails a
    provider that says whether they are verified; and a public provider must say who may enter."""
    places = [("entry", entry)] + [(f"rules[{i}]", rule) for i, rule in enumerate(rules, start=1)]
    name = profile.name
    for where, who in places:
        if who.groups and not tokens.groups_claim:
            raise ConfigFileError(f'{where}.groups: provider "{name}" has no groups claim of its own; set '
                                  "tokens.groups_claim to the claim that carries them, or use roles, emails or "
                                  "email_domains")
        if who.roles and not tokens.roles_claim:
            raise ConfigFileError(f'{where}.roles: no roles claim; set tokens.roles_claim (e.g. "roles")')
        if (who.emails or who.email_domains) and not profile.emails_decide:
            key = "emails" if who.emails else "email_domains"
            raise ConfigFileError(f'{where}.{key}: provider "{name}" sends no email_verified, so an email can '
                                  "never decide; use groups or roles (app roles)")
    if profile.public and not entry.any_account and not any(getattr(entry, k) for k in WHO_KEYS):
        forms = [fold] if not paths.case_sensitive else [str, fold]
        if not any(_covered("/*", pattern, forms) for rule in rules for pattern in rule.paths):
            raise ConfigFileError(
                f'[entry]: provider "{name}" lets anyone with an account there sign in; say who may enter '
                "under [entry] (email_domains, emails, groups or roles), or set [entry] any_account = true "
                "if every account may")


def _claim_name(key: str, value: str) -> str:
    if len(value) > MAX_CLAIM_NAME or value.count(".") >= 8 or value != value.strip():
        raise ConfigFileError(f'{key}: {value!r} is not a claim name or a short dotted path such as '
                              '"realm_access.roles"')
    return value


def _extra_params(given: dict | None, profile: type[Provider]) -> tuple[tuple[str, str], ...]:
    """The profile's defaults (Google: access_type=offline, prompt=consent), then the config's;
    an empty string removes a default."""
    params = dict(profile.default_extra_authorize_params)
    for key, value in (given or {}).items():
        where = f"idp.extra_authorize_params.{key}"
        if key in GATE_AUTHORIZE_PARAMS:
            fix = "; set idp.scopes instead" if key == "scope" else ""
            raise ConfigFileError(f"{where}: the gate sets {key} itself and it can never be overridden; "
                                  f"remove it{fix}")
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
    leeway = section["leeway_seconds"]
    if not 0 <= leeway <= LEEWAY_MAX:
        raise ConfigFileError(f"tokens.leeway_seconds: must be between 0 and {LEEWAY_MAX}")
    window = section["refresh_window_seconds"]
    if not 0 <= window <= 3600:
        raise ConfigFileError("tokens.refresh_window_seconds: must be between 0 and 3600")
    groups_claim = section["groups_claim"]
    groups_claim = profile.default_groups_claim if groups_claim is None else \
        _claim_name("tokens.groups_claim", _nonempty("tokens.groups_claim", groups_claim))
    roles_claim = section["roles_claim"]
    roles_claim = profile.roles_claim_for(client_id) if roles_claim is None else \
        _claim_name("tokens.roles_claim", _nonempty("tokens.roles_claim", roles_claim))
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
    session = section["session_max_age_seconds"]
    if not 300 <= session <= 3650 * 86400:
        raise ConfigFileError("cookies.session_max_age_seconds: must be between 300 and 315360000")
    login = section["login_max_age_seconds"]
    if not 60 <= login <= 3600:
        raise ConfigFileError("cookies.login_max_age_seconds: must be between 60 and 3600")
    return Cookies(prefix=prefix, domain=domain.lstrip("."), same_site=same_site, secure=secure,
                   session_max_age_seconds=session, login_max_age_seconds=login)


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
            f"{key}: must be at least 32 random bytes, base64url-encoded; "
            'leave it out and build.py generates one'
        )
    return raw
