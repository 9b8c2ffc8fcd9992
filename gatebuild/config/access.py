"""[paths], [[rules]], [entry] and [[apis]]: who may see which path."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from edge.provider import Provider
from edge.settings import Api, Entry, Paths, Rule, Tokens
from gatebuild.edge_headers import token_header_problem

from .mistakes import ConfigFileError
from .overlap import check_api_paths, check_overlaps, covers
from .readers import is_loopback, str_list, tables, typed
from .schema import API_KEYS, RULE_KEYS, WHO_KEYS

EMAIL = re.compile(r"^[^@\s]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}\Z")
DOMAIN = re.compile(r"^(?=.{1,253}\Z)[A-Za-z0-9-]+(\.[A-Za-z0-9-]+)+\Z")
SAFE_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+,;=:@/?-]*\Z")


def is_public(path: str, paths: Paths) -> bool:
    from edge.access import AccessPolicy
    from edge.paths import normalise

    # exactly as the gate decides (edge/access.py): every reading public, canonical spelling
    return AccessPolicy(paths, ()).public_uri(normalise(path), path) is not None


def _gate_path(key: str, value: str) -> str:
    if not SAFE_PATH.match(value) or "?" in value or "*" in value or value.endswith("/") or "//" in value:
        raise ConfigFileError(f'{key}: {value!r} must be a plain path such as "/_gate/callback"')
    return value


def check_pattern(key: str, value) -> str:
    if not isinstance(value, str) or not value.startswith("/"):
        raise ConfigFileError(f'{key}: {value!r} can never match; path patterns start with "/", e.g. "/admin/*"')
    if "//" in value or "/./" in value or "/../" in value or value.endswith(("/.", "/..")):
        raise ConfigFileError(
            f"{key}: {value!r} can never match, requests are matched after resolving "
            '"//", "." and ".."; write the resolved path'
        )
    return value


def check_paths(section: dict) -> Paths:
    names = ("callback", "sign_in", "sign_out", "signed_out", "whoami", "refresh")
    values = {name: _gate_path(f"paths.{name}", section[name]) for name in names}
    if len(set(values.values())) != len(values):
        raise ConfigFileError("paths: callback, sign_in, sign_out, signed_out, whoami and refresh must all differ")
    public = tuple(check_pattern("paths.public", p) for p in section["public"])
    for pattern in public:
        not_a_gate_path("paths.public", pattern, values.values())
    return Paths(**values, public=public, case_sensitive=section["case_sensitive"])


def check_rules(raw_rules, paths: Paths) -> tuple[Rule, ...]:
    rules: list[Rule] = []
    for where, raw in tables(
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
            typed(f"{where}.{key}", raw[key], list)
        patterns = tuple(check_pattern(f"{where}.paths", p) for p in str_list(f"{where}.paths", raw["paths"]))
        who = _who(where, raw)
        if not any(who.values()):
            raise ConfigFileError(
                f"{where}: says nobody may see its paths; give groups, roles, emails or "
                "email_domains (any one of them lets a person in)"
            )
        for pattern in patterns:
            not_a_gate_path(f"{where}.paths", pattern, paths.gate_paths())
        rules.append(Rule(paths=patterns, **who))
    check_overlaps(paths, rules)
    return tuple(rules)


def not_a_gate_path(key: str, pattern: str, gate_paths) -> None:
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


def check_entry(section: dict) -> Entry:
    who = _who("entry", section)
    if section["any_account"] and any(who.values()):
        raise ConfigFileError(
            "entry.any_account: true lets every account in, but [entry] also lists who may "
            "enter; remove any_account or the lists"
        )
    return Entry(**who, any_account=section["any_account"])


def check_who(profile: type[Provider], tokens: Tokens, entry: Entry, rules: tuple[Rule, ...], paths: Paths) -> None:
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
    anyone = profile.public and not entry.any_account and not any(getattr(entry, k) for k in WHO_KEYS)
    if anyone and not any(covers(pattern, "/*", paths.case_sensitive) for rule in rules for pattern in rule.paths):
        raise ConfigFileError(
            f'[entry]: provider "{name}" lets anyone with an account there sign in; say who may enter '
            "under [entry] (email_domains, emails, groups or roles), or set [entry] any_account = true "
            "if every account may"
        )


def check_apis(raw_apis, paths: Paths, tokens: Tokens) -> tuple[Api, ...]:
    """[[apis]]: the site's API paths (edge/api.py). The gate forwards the access token there,
    so it must keep one: refuse `tokens.store_access_token = false` here, not at run time."""
    apis: list[Api] = []
    for where, raw in tables(
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
                typed(f"{where}.{key}", raw[key], kind)
        patterns = tuple(check_pattern(f"{where}.paths", p) for p in str_list(f"{where}.paths", raw["paths"]))
        if not patterns:
            raise ConfigFileError(f'{where}.paths: give at least one pattern, e.g. ["/api/*"]')
        for pattern in patterns:
            not_a_gate_path(f"{where}.paths", pattern, paths.gate_paths())
        check_api_paths(f"{where}.paths", patterns, paths)
        origins = []
        given_origins = raw.get("cors_origins", [])
        for origin in str_list(f"{where}.cors_origins", given_origins) if given_origins else []:
            parts = urlsplit(origin)
            if (
                parts.scheme not in ("https", "http")
                or not parts.netloc
                or parts.path
                or parts.query
                or origin != origin.strip().rstrip("/")
                or (parts.scheme == "http" and not is_loopback(parts.hostname or ""))
            ):
                raise ConfigFileError(
                    f'{where}.cors_origins: {origin!r} must be an origin such as "https://app.example.com"'
                )
            origins.append(origin)
        purpose = {}
        for key in ("bearer_audiences", "bearer_scopes"):
            values = str_list(f"{where}.{key}", raw[key]) if raw.get(key) else []
            for value in values:
                if not value or value != value.strip() or any(c.isspace() for c in value):
                    raise ConfigFileError(f"{where}.{key}: {value!r} must be one non-empty word, without spaces")
            purpose[key] = tuple(values)
        if raw.get("accept_bearer", False) and not any(purpose.values()):
            raise ConfigFileError(
                f"{where}.accept_bearer: needs bearer_audiences (the `aud` a client's token must name) or "
                'bearer_scopes (the scopes it must carry, e.g. ["api/read"]); without them any access token '
                "issued to this client, for any resource, would pass"
            )
        token_header = raw.get("token_header", "Authorization")
        problem = token_header_problem(token_header)
        if problem:
            raise ConfigFileError(f"{where}.token_header: {problem}")
        apis.append(
            Api(
                paths=patterns,
                identity_headers=raw.get("identity_headers", False),
                accept_bearer=raw.get("accept_bearer", False),
                cors_origins=tuple(origins),
                **purpose,
                token_header=token_header,
            )
        )
    if apis and not tokens.store_access_token:
        raise ConfigFileError(
            "tokens.store_access_token: must be true when [[apis]] is configured "
            "(the gate forwards the access token to the API); set it to true or remove [[apis]]"
        )
    return tuple(apis)
