"""Every section's keys with their types and defaults, the values and ranges they may take,
the [[rules]] and [[apis]] tables' keys, and the JSON Schema made from them."""

from __future__ import annotations

from edge.settings import (
    ALLOWED_ALGORITHMS,
    LOG_LEVELS,
    PROVIDERS,
    SAME_SITE_VALUES,
    Assets,
    Branding,
    Config,
    Cookies,
    Paths,
    Tokens,
)

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
    # [assets]: the site's built files (edge/paths.py ClientRoutes; gatebuild/config/assets.py)
    "assets": {
        "paths": (list, Assets._field_defaults["paths"]),
        "signed_cookies": (bool, Assets._field_defaults["signed_cookies"]),
    },
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
API_KEYS = {
    "paths": list,
    "identity_headers": bool,
    "accept_bearer": bool,
    "cors_origins": list,
    "bearer_audiences": list,
    "bearer_scopes": list,
    "token_header": str,
}


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
