"""Provider profiles for the local stack, in ONE place: for each profile, how local/idp/oidc.mjs is
started to behave like that provider, its issuer on 127.0.0.1, and the gate config a user of that
provider would write (docs/providers.md has the same snippets for the real providers).

    argv = profiles.idp_args("keycloak")                 # extra arguments for oidc.mjs
    issuer = profiles.issuer("keycloak", "http://127.0.0.1:9230")
    sections = profiles.gate_config("keycloak", issuer=..., client_id=..., client_secret=...)

The gate config keys ([idp].provider = "<profile>", extra_authorize_params, [tokens].groups_claim
dotted paths, roles_claim, [entry], rules with roles/emails/email_domains) are the config surface of
issue 14, which build.py accepts; `gate_config(..., surface="current")` writes the older generic form
(provider "oidc", flat groups_claim, rules by groups) for a build.py from before it.
"""

from __future__ import annotations

import hashlib

PROFILES = ("oidc", "auth0", "okta", "entra", "google", "keycloak")
PUBLIC_PROVIDERS = ("auth0", "google")  # anyone can have an account: [entry] must restrict, or any_account

# The same constants as local/idp/oidc.mjs.
ENTRA_TENANT = "7f3c2a10-5b6e-4d8f-9a01-c2b3d4e5f607"
KEYCLOAK_REALM = "gate"
AUTH0_GROUPS_CLAIM = "https://example.com/groups"
AUTH0_AUDIENCE = "https://api.example.com"


def group_guid(name: str) -> str:
    """Entra-style object id of a readable group name (same formula as oidc.mjs's groupGuid)."""
    h = hashlib.sha256(f"gate-local-group:{name}".encode()).hexdigest()[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def check(profile: str) -> str:
    if profile not in PROFILES:
        raise ValueError(f"profile must be one of {', '.join(PROFILES)}, not {profile!r}")
    return profile


def issuer(profile: str, origin: str) -> str:
    """The issuer oidc.mjs announces for this profile at origin (http://127.0.0.1:<port>)."""
    origin = origin.rstrip("/")
    return {
        "oidc": origin,
        "auth0": origin + "/",  # Auth0: trailing slash
        "okta": origin + "/oauth2/default",  # Okta custom authorization server "default"
        "entra": f"{origin}/{ENTRA_TENANT}/v2.0",  # Entra ID v2.0
        "google": origin,  # https://accounts.google.com: no path
        "keycloak": f"{origin}/realms/{KEYCLOAK_REALM}",
    }[check(profile)]


def idp_args(profile: str, *, entra_overage: str | None = None, auth0_oidc_logout: bool = False) -> list[str]:
    """Extra arguments for local/idp/oidc.mjs (none for "oidc": today's behaviour)."""
    check(profile)
    argv = [] if profile == "oidc" else ["--profile", profile]
    if entra_overage:
        argv += ["--entra-overage", entra_overage]
    if auth0_oidc_logout:
        argv += ["--auth0-oidc-logout"]
    return argv


# Per profile: scopes, authorize extras, where groups/roles are, who may enter, the /admin rule.
_SETTINGS = {
    "oidc": {
        "scopes": ["openid", "email", "profile", "groups"],
        "extra": {},
        "groups_claim": "groups",
        "roles_claim": None,
        "entry": {},
        "admin": {"groups": ["Admin"]},
    },
    "auth0": {
        "scopes": ["openid", "email", "profile", "offline_access"],
        "extra": {"audience": AUTH0_AUDIENCE},
        "groups_claim": AUTH0_GROUPS_CLAIM,
        "roles_claim": None,
        "entry": {"email_domains": ["example.com"]},
        "admin": {"groups": ["Admin"]},
    },
    "okta": {
        "scopes": ["openid", "email", "profile", "groups", "offline_access"],
        "extra": {},
        "groups_claim": "groups",
        "roles_claim": None,
        "entry": {},
        "admin": {"groups": ["Admin"]},
    },
    "entra": {
        "scopes": ["openid", "email", "profile", "offline_access"],
        "extra": {"domain_hint": "example.com"},
        "groups_claim": "groups",
        "roles_claim": "roles",
        "entry": {},
        "admin": {"groups": [group_guid("Admin")], "roles": ["Gate.Admin"]},
    },
    "google": {
        "scopes": ["openid", "email", "profile"],
        "extra": {"access_type": "offline", "prompt": "consent"},
        "groups_claim": None,
        "roles_claim": None,
        "entry": {"email_domains": ["example.com"]},
        "admin": {"emails": ["admin@example.com"]},
    },
    "keycloak": {
        "scopes": ["openid", "email", "profile"],
        "extra": {},  # offline_access = offline sessions
        "groups_claim": "realm_access.roles",
        "roles_claim": None,
        "entry": {},
        "admin": {"groups": ["Admin"]},
    },
}


def gate_config(
    profile: str, *, issuer: str, client_id: str, client_secret: str = "", surface: str = "issue14"
) -> dict:
    """The gate config sections for this profile: {"idp": {...}, "tokens": {...}, "entry": {...},
    "rules": [{...}]}. surface="current" keeps only keys today's build.py knows (provider "oidc",
    a flat groups_claim, rules by groups) so the default stack keeps building until the edge
    implements the issue-14 surface."""
    s = _SETTINGS[check(profile)]
    keycloak_roles = f"resource_access.{client_id}.roles" if profile == "keycloak" else None
    idp = {"provider": profile, "issuer": issuer, "client_id": client_id}
    if client_secret:
        idp["client_secret"] = client_secret
    idp["scopes"] = list(s["scopes"])
    if s["extra"]:
        idp["extra_authorize_params"] = dict(s["extra"])
    tokens: dict = {}
    if s["groups_claim"]:
        tokens["groups_claim"] = s["groups_claim"]
    if s["roles_claim"] or keycloak_roles:
        tokens["roles_claim"] = s["roles_claim"] or keycloak_roles
    entry = dict(s["entry"])
    rules = [{"paths": ["/admin", "/admin/*"], **s["admin"]}]
    if surface == "current":
        idp = {
            "provider": "oidc",
            "issuer": issuer,
            "client_id": client_id,
            **({"client_secret": client_secret} if client_secret else {}),
            "scopes": list(s["scopes"]),
        }
        claim = s["groups_claim"]
        # A namespaced claim name (Auth0: "https://example.com/groups") has dots but is one name.
        flat = claim if claim and ("." not in claim or claim.startswith("https://")) else None
        tokens = {"groups_claim": flat} if flat else {}
        # Today's rules decide by groups only: Google's (by email) cannot be written yet.
        groups = s["admin"].get("groups")
        rules = [{"paths": ["/admin", "/admin/*"], "groups": groups}] if groups else []
        return {"idp": idp, "tokens": tokens, "rules": rules}
    out = {"idp": idp, "tokens": tokens, "rules": rules}
    if entry:
        out["entry"] = entry
    return out


def is_public(profile: str) -> bool:
    return check(profile) in PUBLIC_PROVIDERS


def note(profile: str, client_id: str = "gate-local") -> str:
    """One line for the demo's banner: where this profile puts who the person is."""
    return {
        "oidc": "",
        "auth0": f"Auth0-like: issuer ends with '/'; groups in the namespaced claim {AUTH0_GROUPS_CLAIM}; "
        "logout at /v2/logout",
        "okta": "Okta-like: groups in `groups` (scope groups); issuer .../oauth2/default",
        "entra": f"Entra-like: groups as object ids (Admin = {group_guid('Admin')}, Viewer = {group_guid('Viewer')}); "
        "app roles Gate.<group> in `roles`; no email_verified",
        "google": "Google-like: no groups, only email, email_verified and hd; no IdP logout; "
        "refresh tokens only with access_type=offline + prompt=consent",
        "keycloak": f"Keycloak-like: roles in realm_access.roles and resource_access.{client_id}.roles; "
        "issuer .../realms/gate",
    }[check(profile)]
