"""ID and access tokens shaped like each provider's DOCUMENTED tokens (claims and headers), signed
with a test `Keys` (tests/support/tokens.py), never real keys. Also the traps each provider sets
for a gate that reads tokens offline (an access token whose `aud` is the client id, an unverified
email, an Entra group overage marker instead of groups).

    keys = provider_keys("entra")
    token = keys.sign(entra_id_claims(keys, groups=[ADMIN_GROUP_ID]), ENTRA_HEADER)

Every builder takes the `Keys` (its issuer and client id) and keyword overrides (None deletes a
claim). Sources, per provider, are cited where each shape is built.
"""

from __future__ import annotations

import hashlib
import time
import uuid

from tests.support.tokens import Keys

CLIENT_ID = "gate-client-id"

# Issuers spelled exactly as each provider spells them (the gate compares them exactly).
ISSUERS = {
    # https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html
    "cognito": "https://cognito-idp.eu-west-1.amazonaws.com/eu-west-1_Example12",
    # https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles ("iss": "https://my-domain.auth0.com/")
    "auth0": "https://tenant.eu.auth0.com/",
    # Okta custom authorization server "default": https://developer.okta.com/docs/concepts/auth-servers/
    "okta": "https://example.okta.com/oauth2/default",
    # https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference ("iss" ends in /v2.0)
    "entra": "https://login.microsoftonline.com/3c6b1f0e-8d2a-4b7e-9f10-5a4c2e1d0b93/v2.0",
    # https://developers.google.com/identity/openid-connect/reference ("modern value is https://accounts.google.com")
    "google": "https://accounts.google.com",
    # https://www.keycloak.org/docs/latest/server_admin/#_oidc (issuer <server>/realms/<realm>)
    "keycloak": "https://sso.example.com/realms/example",
}
ENTRA_TENANT = "3c6b1f0e-8d2a-4b7e-9f10-5a4c2e1d0b93"
AUTH0_GROUPS_CLAIM = "https://example.com/groups"  # namespaced, set by an Action (see auth0_id_claims)


def group_guid(name: str) -> str:
    """An Entra-style group object id for a readable group name (same formula as local/idp/oidc.mjs
    and local/profiles.py): the first 32 hex digits of sha256("gate-local-group:" + name)."""
    h = hashlib.sha256(f"gate-local-group:{name}".encode()).hexdigest()[:32]
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


ADMIN_GROUP_ID = group_guid("Admin")
VIEWER_GROUP_ID = group_guid("Viewer")

# Header shapes. Every provider signs RS256 with a kid; some add typ.
# Cognito: {"kid", "alg"}
#   (https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-tokens-verifying-a-jwt.html)
COGNITO_HEADER: dict = {}
# Entra: typ "JWT" on ID and access tokens ("typ: always JWT",
#   https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference)
ENTRA_HEADER = {"typ": "JWT"}
# Keycloak: typ "JWT" in the header, and its own token type in the payload ("typ": "ID" / "Bearer"),
# see https://phasetwo.io/tutorials/getting-started/your-first-token/ (copied from a Keycloak 26 run)
KEYCLOAK_HEADER = {"typ": "JWT"}
# RFC 9068 JWT access tokens (Auth0's "RFC 9068" token profile; Okta and oidc-provider JWT formats)
AT_JWT_HEADER = {"typ": "at+jwt"}


def provider_keys(provider: str, client_id: str = CLIENT_ID) -> Keys:
    return Keys(
        ISSUERS[provider], client_id, kid=f"{provider}-key-1", provider="cognito" if provider == "cognito" else "oidc"
    )


def _base(keys: Keys, now: int | None, lifetime: int) -> dict:
    now = int(time.time() if now is None else now)
    return {"iss": keys.issuer, "aud": keys.client_id, "iat": now, "exp": now + lifetime}


def _apply(claims: dict, overrides: dict) -> dict:
    claims.update(overrides)
    return {k: v for k, v in claims.items() if v is not None}


# ---- Cognito -----------------------------------------------------------------------------------
# https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-id-token.html
# https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html


def cognito_id_claims(
    keys: Keys,
    *,
    groups=("Viewer",),
    email="ada@example.com",
    email_verified=True,
    now=None,
    lifetime=3600,
    **overrides,
) -> dict:
    sub = str(uuid.UUID(int=1))
    claims = _base(keys, now, lifetime) | {
        "sub": sub,
        "token_use": "id",
        "auth_time": _base(keys, now, 0)["iat"],
        "cognito:username": sub,
        "cognito:groups": list(groups),
        "email": email,
        "email_verified": email_verified,
        "origin_jti": str(uuid.UUID(int=2)),
        "event_id": str(uuid.UUID(int=3)),
        "jti": str(uuid.UUID(int=4)),
    }
    return _apply(claims, overrides)


def cognito_access_claims(keys: Keys, *, groups=("Viewer",), now=None, lifetime=3600, **overrides) -> dict:
    claims = _base(keys, now, lifetime)
    del claims["aud"]  # a Cognito access token has no aud, only client_id
    claims |= {
        "sub": str(uuid.UUID(int=1)),
        "token_use": "access",
        "client_id": keys.client_id,
        "scope": "openid email profile",
        "username": str(uuid.UUID(int=1)),
        "cognito:groups": list(groups),
        "auth_time": claims["iat"],
        "jti": str(uuid.UUID(int=5)),
    }
    return _apply(claims, overrides)


# ---- Auth0 -------------------------------------------------------------------------------------
# ID token: https://auth0.com/docs/secure/tokens/id-tokens/id-token-structure
# Namespaced custom claims (set by a post-login Action, api.idToken.setCustomClaim):
#   https://auth0.com/docs/secure/tokens/json-web-tokens/create-custom-claims
# Access tokens (Auth0 and RFC 9068 profiles, aud = [API audience, .../userinfo]):
#   https://auth0.com/docs/secure/tokens/access-tokens/access-token-profiles


def auth0_id_claims(
    keys: Keys,
    *,
    groups=("Viewer",),
    email="ada@example.com",
    email_verified=True,
    now=None,
    lifetime=36000,
    **overrides,
) -> dict:
    claims = _base(keys, now, lifetime) | {
        "sub": "auth0|64f0c0ffee0123456789abcd",
        "nickname": email.split("@")[0],
        "name": email,
        "picture": "https://s.gravatar.com/avatar/0.png",
        "updated_at": "2026-11-29T10:00:00.000Z",
        "email": email,
        "email_verified": email_verified,
        "sid": "hQWTUzHh0aM3sVVjEXAMPLE",
    }
    if groups is not None:
        claims[AUTH0_GROUPS_CLAIM] = list(groups)
    return _apply(claims, overrides)


def auth0_access_claims(
    keys: Keys, *, audience="https://api.example.com", rfc9068=True, now=None, lifetime=86400, **overrides
) -> dict:
    claims = _base(keys, now, lifetime)
    claims["aud"] = [audience, keys.issuer + "userinfo"]
    claims |= {"sub": "auth0|64f0c0ffee0123456789abcd", "scope": "openid profile email offline_access"}
    if rfc9068:  # RFC 9068 profile: client_id and jti; the Auth0 profile: azp
        claims |= {"client_id": keys.client_id, "jti": "73WakrfVbNJBaAmhQtEeDv"}
    else:
        claims["azp"] = keys.client_id
    return _apply(claims, overrides)


# ---- Okta --------------------------------------------------------------------------------------
# ID token claims: https://developer.okta.com/docs/api/openapi/okta-oauth/guides/overview/ (ver 1, idp, amr)
# groups claim (added to the ID token by a claim with a group filter):
#   https://developer.okta.com/docs/guides/customize-tokens-groups-claim/main/
# Access token from a custom authorization server: aud "api://default", cid = client id, uid, scp.


def okta_id_claims(
    keys: Keys,
    *,
    groups=("Viewer",),
    email="ada@example.com",
    email_verified=True,
    now=None,
    lifetime=3600,
    **overrides,
) -> dict:
    claims = _base(keys, now, lifetime) | {
        "sub": "00uid4BxXw6I6TV4m0g3",
        "ver": 1,
        "jti": "ID.4eAWJOCMB3SX8XewDfVR",
        "amr": ["pwd"],
        "idp": "00o1a2b3c4d5e6f7g8h9",
        "auth_time": _base(keys, now, 0)["iat"],
        "name": "Ada Lovelace",
        "preferred_username": email,
        "email": email,
        "email_verified": email_verified,
    }
    if groups is not None:
        claims["groups"] = list(groups)
    return _apply(claims, overrides)


def okta_access_claims(keys: Keys, *, groups=("Viewer",), now=None, lifetime=3600, **overrides) -> dict:
    claims = _base(keys, now, lifetime) | {
        "aud": "api://default",
        "sub": "ada@example.com",
        "ver": 1,
        "jti": "AT.q0Ud9wE1",
        "cid": keys.client_id,
        "uid": "00uid4BxXw6I6TV4m0g3",
        "scp": ["openid", "email", "profile"],
        "groups": list(groups),
    }
    return _apply(claims, overrides)


# ---- Microsoft Entra ID (v2.0 endpoint) --------------------------------------------------------
# https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference
# groups as object-id GUIDs, limited to 200 in a JWT; past it an overage claim points at Graph
# (`_claim_names` / `_claim_sources`); `hasgroups: true` replaces groups in implicit-flow tokens:
#   https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference (groups, hasgroups)
#   https://learn.microsoft.com/en-us/troubleshoot/entra/entra-id/app-integration/
#   get-signed-in-users-groups-in-access-token
# App roles in `roles`. No email_verified claim: `email` is an optional claim and not verified.

ENTRA_OID = "00000000-0000-0000-66f3-3332eca7ea81"


def entra_id_claims(
    keys: Keys,
    *,
    groups=(VIEWER_GROUP_ID,),
    roles=(),
    email="ada@example.com",
    overage: str | None = None,
    now=None,
    lifetime=3600,
    **overrides,
) -> dict:
    base = _base(keys, now, lifetime)
    claims = base | {
        "nbf": base["iat"],
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "oid": ENTRA_OID,
        "tid": ENTRA_TENANT,
        "ver": "2.0",
        "name": "Ada Lovelace",
        "preferred_username": email,
        "email": email,
        "uti": "AbCdEf123",
        "rh": "0.ARoAv4j5cvGGr0GRqy180BHbR8.",
        "aio": "Df2UVXL1ix!lMCWMSOJBcFatzcGfvFGhjKv8q5g0x732dR5MB5BisvGQO7YWByjd8iQDLq!eGbIDakyp5mnOrcd",
    }
    if overage == "sources":
        claims["_claim_names"] = {"groups": "src1"}
        claims["_claim_sources"] = {
            "src1": {"endpoint": f"https://graph.microsoft.com/v1.0/users/{ENTRA_OID}/getMemberObjects"}
        }
    elif overage == "hasgroups":
        claims["hasgroups"] = True
    elif overage is not None:
        raise ValueError(f"overage must be 'sources' or 'hasgroups', not {overage!r}")
    elif groups is not None:
        claims["groups"] = list(groups)
    if roles:
        claims["roles"] = list(roles)
    return _apply(claims, overrides)


def entra_access_claims(keys: Keys, *, api_client_id: str | None = None, now=None, lifetime=3600, **overrides) -> dict:
    """A v2.0 access token for the app's own API: aud = its client id (the trap: it looks like an
    ID token to anyone who checks only iss, aud and the signature)."""
    base = _base(keys, now, lifetime)
    claims = base | {
        "aud": api_client_id or keys.client_id,
        "nbf": base["iat"],
        "azp": keys.client_id,
        "azpacr": "1",
        "oid": ENTRA_OID,
        "tid": ENTRA_TENANT,
        "ver": "2.0",
        "sub": "AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ",
        "scp": "access_as_user",
        "groups": [VIEWER_GROUP_ID],
    }
    return _apply(claims, overrides)


# ---- Google ------------------------------------------------------------------------------------
# https://developers.google.com/identity/openid-connect/openid-connect#an-id-tokens-payload
# No groups; `hd` only for Google Workspace accounts; azp = the client id; access tokens are opaque
# (ya29....) so there is no access-token JWT to model.


def google_id_claims(
    keys: Keys,
    *,
    email="ada@example.com",
    email_verified=True,
    hd: str | None = "example.com",
    now=None,
    lifetime=3600,
    **overrides,
) -> dict:
    claims = _base(keys, now, lifetime) | {
        "azp": keys.client_id,
        "sub": "110169484474386276334",
        "email": email,
        "email_verified": email_verified,
        "at_hash": "HK6E_P6Dh8Y93mRNtsDB1Q",
        "name": "Ada Lovelace",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "picture": "https://lh3.googleusercontent.com/a/default-user",
        "locale": "en",
    }
    if hd:
        claims["hd"] = hd
    return _apply(claims, overrides)


# ---- Keycloak ----------------------------------------------------------------------------------
# Realm roles in realm_access.roles, client roles in resource_access.<client>.roles (the "roles"
# client scope's mappers; "Add to ID token" must be on for the gate to see them in the ID token);
# Keycloak also puts its own token type in the payload: "typ": "ID" / "Bearer".
# https://www.keycloak.org/docs/latest/server_admin/#_oidc_token_role_mappings
# https://phasetwo.io/tutorials/getting-started/your-first-token/

KEYCLOAK_DEFAULT_ROLES = ("offline_access", "uma_authorization", "default-roles-example")


def keycloak_id_claims(
    keys: Keys,
    *,
    realm_roles=("Viewer",),
    client_roles=(),
    email="ada@example.com",
    email_verified=True,
    now=None,
    lifetime=300,
    **overrides,
) -> dict:
    claims = _base(keys, now, lifetime) | {
        "auth_time": _base(keys, now, 0)["iat"],
        "jti": "1f0a6a5e-0f62-4e3d-8a1c-5b2e9d2c7a10",
        "sub": "f3c2a7f4-3b1d-4c0e-9a5f-2d7f8b6e1c90",
        "typ": "ID",
        "azp": keys.client_id,
        "sid": "5b2e9d2c-7a10-4e3d-8a1c-1f0a6a5e0f62",
        "acr": "1",
        "email_verified": email_verified,
        "name": "Ada Lovelace",
        "preferred_username": "ada",
        "given_name": "Ada",
        "family_name": "Lovelace",
        "email": email,
        "realm_access": {"roles": [*realm_roles, *KEYCLOAK_DEFAULT_ROLES]},
    }
    if client_roles:
        claims["resource_access"] = {
            keys.client_id: {"roles": list(client_roles)},
            "account": {"roles": ["manage-account", "view-profile"]},
        }
    return _apply(claims, overrides)


def keycloak_access_claims(keys: Keys, *, realm_roles=("Viewer",), now=None, lifetime=300, **overrides) -> dict:
    claims = keycloak_id_claims(
        keys, realm_roles=realm_roles, client_roles=("Gate.Viewer",), now=now, lifetime=lifetime
    )
    claims |= {"typ": "Bearer", "aud": [keys.client_id, "account"], "scope": "openid email profile"}
    return _apply(claims, overrides)


# ---- the builders by provider, and the traps -----------------------------------------------------

ID_CLAIMS = {
    "cognito": cognito_id_claims,
    "auth0": auth0_id_claims,
    "okta": okta_id_claims,
    "entra": entra_id_claims,
    "google": google_id_claims,
    "keycloak": keycloak_id_claims,
}
ID_HEADERS = {
    "cognito": COGNITO_HEADER,
    "auth0": {},
    "okta": {},
    "entra": ENTRA_HEADER,
    "google": {},
    "keycloak": KEYCLOAK_HEADER,
}


def id_token(provider: str, keys: Keys | None = None, **overrides) -> tuple[Keys, str]:
    keys = keys or provider_keys(provider)
    return keys, keys.sign(ID_CLAIMS[provider](keys, **overrides), ID_HEADERS[provider] or None)


def traps(provider: str, keys: Keys | None = None) -> dict[str, str]:
    """Tokens a gate must NOT take as a good session for this provider, by name. Each is signed
    by the provider's key, with the right iss, and not expired."""
    keys = keys or provider_keys(provider)
    sign = keys.sign
    out: dict[str, str] = {}
    if provider == "cognito":
        # An access token carries cognito:groups too; only token_use "id" is an ID token.
        out["access_token_as_id_token"] = sign(cognito_access_claims(keys, groups=("Admin",)))
        out["email_unverified"] = sign(cognito_id_claims(keys, email_verified=False))
    elif provider == "auth0":
        # RFC 9068 access token: typ at+jwt, aud includes ... and here exactly the client id.
        out["access_token_aud_client_id"] = sign(
            auth0_access_claims(keys, audience=keys.client_id) | {"aud": keys.client_id}, AT_JWT_HEADER
        )
        out["email_unverified"] = sign(auth0_id_claims(keys, email_verified=False))
        out["issuer_without_slash"] = sign(auth0_id_claims(keys, iss=keys.issuer.rstrip("/")))
    elif provider == "okta":
        out["access_token_aud_client_id"] = sign(
            okta_access_claims(keys, aud=keys.client_id, groups=("Admin",)), AT_JWT_HEADER
        )
        out["email_unverified"] = sign(okta_id_claims(keys, email_verified=False))
    elif provider == "entra":
        out["access_token_aud_client_id"] = sign(entra_access_claims(keys, groups=[ADMIN_GROUP_ID]), ENTRA_HEADER)
        out["overage_sources"] = sign(entra_id_claims(keys, overage="sources"), ENTRA_HEADER)
        out["overage_hasgroups"] = sign(entra_id_claims(keys, overage="hasgroups"), ENTRA_HEADER)
        out["v1_issuer"] = sign(
            entra_id_claims(keys, iss=f"https://sts.windows.net/{ENTRA_TENANT}/", ver="1.0"), ENTRA_HEADER
        )
    elif provider == "google":
        out["email_unverified"] = sign(google_id_claims(keys, email_verified=False))
        out["no_hd_consumer_account"] = sign(google_id_claims(keys, email="ada@gmail.com", hd=None))
        out["hd_spoofed_in_email_only"] = sign(google_id_claims(keys, email="ada@example.com.evil.test", hd=None))
        # A personal Google account created with a work address: verified, but no hd, so Google is
        # not authoritative for that domain (Google's docs: use email, email_verified AND hd).
        out["email_domain_without_hd"] = sign(google_id_claims(keys, email="ada@example.com", hd=None))
        out["legacy_issuer"] = sign(google_id_claims(keys, iss="accounts.google.com"))
    elif provider == "keycloak":
        out["access_token_aud_client_id"] = sign(keycloak_access_claims(keys, realm_roles=("Admin",)), KEYCLOAK_HEADER)
        out["email_unverified"] = sign(keycloak_id_claims(keys, email_verified=False))
    else:
        raise ValueError(f"no traps for {provider!r}")
    return out
