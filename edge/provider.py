"""What differs between identity providers, behind one interface.

A profile says where the groups and roles are (and their defaults), which claims hold the
username and the display name, whether tokens carry Cognito's `token_use`, whether an email can
decide (and how an email domain is vouched for), whether anyone can have an account there (a
public provider), what the authorize request needs for a refresh token, and how to sign out at
the provider. The gate and the build ask the profile and never test the provider's name; a new
provider is a new class here and its entry in PROFILES (docs/providers.md).
"""

from __future__ import annotations

from collections import namedtuple

from .settings import Config
from .urls import urlencode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import Claims

MAX_ID_TOKEN_HINT = 4000  # id_token_hint rides in a URL; browsers and IdPs cap URL length
MAX_CLAIM_PATH_SEGMENTS = 8

# Who the person is, as far as access rules are concerned (edge/access.py decides on it).
# email_domain: the domain an email-domain rule may match, only when the provider vouches for it.
# groups_overage: the token says the groups are elsewhere (too many to carry), so groups can't decide.
# groups_absent: the token has no groups claim at all (the provider was not asked to, or cannot,
# send one), so a rule needing a group fails with its own reason (groups_claim_missing).
Person = namedtuple(
    "Person", "groups roles email email_verified email_domain groups_overage groups_absent", defaults=(False,)
)

_MISSING = object()


def claim_value(claims: Claims, name: str) -> object:
    """The claim `name`: its exact name first (Auth0's namespaced `https://example.com/groups` is
    one claim), then as a dotted path into nested objects (`realm_access.roles`). At every level
    a key that is the whole rest of the path wins, then the shortest prefix that is an object
    (so `resource_access.my.client.roles` finds the client `my.client`). None when absent."""
    if not name:
        return None
    value = _walk(claims, name.split("."))
    return None if value is _MISSING else value


def _walk(obj: object, segments: list[str]) -> object:
    if not isinstance(obj, dict):
        return _MISSING
    whole = ".".join(segments)
    if whole in obj:
        return obj[whole]
    for i in range(1, len(segments)):
        inner = obj.get(".".join(segments[:i]))
        if isinstance(inner, dict):
            found = _walk(inner, segments[i:])
            if found is not _MISSING:
                return found
    return _MISSING


def _strings(value: object) -> frozenset[str]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list):
        return frozenset()
    return frozenset(v for v in value if isinstance(v, str))


class Provider:
    """A generic OpenID Connect provider (OIDC Core + RP-Initiated Logout 1.0)."""

    name = "oidc"
    checks_token_use = False
    public = False  # anyone can have an account: [entry] must say who may enter
    emails_decide = True  # the provider sends a meaningful email_verified
    default_groups_claim = "groups"
    default_roles_claim = ""
    omits_empty_groups = False  # True: no groups claim means "in no group", not a provider setup problem
    default_extra_authorize_params: tuple[tuple[str, str], ...] = ()
    username_claims: tuple[str, ...] = ("preferred_username", "sub")
    display_claims: tuple[str, ...] = ("name", "email", "preferred_username", "sub")

    def __init__(self, config: Config):
        self.config = config
        self.groups_claim = config.tokens.groups_claim
        self.roles_claim = config.tokens.roles_claim

    # -- build time (gatebuild/config/, build.py) -----------------------------------

    @classmethod
    def roles_claim_for(cls, client_id: str) -> str:
        return cls.default_roles_claim

    @classmethod
    def logout_endpoint(cls, issuer: str, end_session: str | None) -> tuple[str, str]:
        """(logout URL, logout_style) from the discovered or configured end_session_endpoint."""
        if end_session:
            return end_session, "oidc"
        return "", "none"

    # -- who the person is -----------------------------------------------------------------

    def groups(self, claims: Claims) -> frozenset[str]:
        return _strings(claim_value(claims, self.groups_claim))

    def roles(self, claims: Claims) -> frozenset[str]:
        return _strings(claim_value(claims, self.roles_claim)) if self.roles_claim else frozenset()

    def groups_overage(self, claims: Claims) -> bool:
        """OIDC Core 5.6.2 distributed claims: the groups claim named in `_claim_names`."""
        names = claims.get("_claim_names")
        return isinstance(names, dict) and self.groups_claim in names and self.groups_claim not in claims

    def email_verified(self, claims: Claims) -> bool:
        value = claims.get("email_verified")
        return value is True or value == "true"  # some providers send the string (OIDC says boolean)

    def email_domain(self, claims: Claims, email: str | None) -> str | None:
        return email.rpartition("@")[2] if email else None

    def person(self, claims: Claims) -> Person:
        email = claims.get("email")
        email = email.strip().lower() if isinstance(email, str) and "@" in email else None
        verified = self.emails_decide and email is not None and self.email_verified(claims)
        return Person(
            self.groups(claims),
            self.roles(claims),
            email,
            verified,
            self.email_domain(claims, email) if verified else None,
            self.groups_overage(claims),
            not self.omits_empty_groups and (not self.groups_claim or claim_value(claims, self.groups_claim) is None),
        )

    def username(self, claims: Claims) -> object:
        return _first(claims, self.username_claims)

    def display_name(self, claims: Claims) -> str:
        return _first(claims, self.display_claims) or "an unknown user"

    # -- sign-out --------------------------------------------------------------------------

    def logout_location(self, signed_out_url: str, id_token: str | None) -> str:
        """Where sign-out sends the browser after the cookies are cleared."""
        endpoints = self.config.endpoints
        if not endpoints.logout or endpoints.logout_style == "none":
            return str(self.config.paths.signed_out)
        params = {"client_id": self.config.client_id, "post_logout_redirect_uri": signed_out_url}
        if id_token and len(id_token) <= MAX_ID_TOKEN_HINT:
            params["id_token_hint"] = id_token
        return f"{endpoints.logout}?{urlencode(params)}"


class CognitoProvider(Provider):
    """Amazon Cognito user pools: `token_use`, `cognito:username`, and a non-standard /logout."""

    name = "cognito"
    checks_token_use = True
    default_groups_claim = "cognito:groups"
    # Cognito leaves cognito:groups out of a token when the user is in no group (only "when the user
    # belongs to one or more groups": ministackorg/ministack#342 modelling real Cognito).
    omits_empty_groups = True
    username_claims = ("cognito:username", "preferred_username", "sub")
    display_claims = ("name", "email", "cognito:username", "preferred_username", "sub")

    @classmethod
    def logout_endpoint(cls, issuer: str, end_session: str | None) -> tuple[str, str]:
        return (end_session, "cognito") if end_session else ("", "none")

    def logout_location(self, signed_out_url: str, id_token: str | None) -> str:
        endpoints = self.config.endpoints
        if not endpoints.logout or endpoints.logout_style == "none":
            return str(self.config.paths.signed_out)
        # logout_uri must be one of the app client's sign-out URLs (Cognito's LOGOUT endpoint)
        return f"{endpoints.logout}?{urlencode({'client_id': self.config.client_id, 'logout_uri': signed_out_url})}"


class Auth0Provider(Provider):
    """Auth0: issuer with a trailing slash, no groups claim of its own (a namespaced one set by an
    Action), social logins (public), and /v2/logout unless discovery lists end_session_endpoint.
    https://auth0.com/docs/api/authentication/logout/auth-0-logout"""

    name = "auth0"
    public = True
    default_groups_claim = ""
    display_claims = ("name", "email", "nickname", "sub")

    @classmethod
    def logout_endpoint(cls, issuer: str, end_session: str | None) -> tuple[str, str]:
        if end_session:
            return end_session, "oidc"
        return issuer.rstrip("/") + "/v2/logout", "auth0"

    def logout_location(self, signed_out_url: str, id_token: str | None) -> str:
        endpoints = self.config.endpoints
        if endpoints.logout_style != "auth0" or not endpoints.logout:
            return super().logout_location(signed_out_url, id_token)
        # returnTo must be one of the application's Allowed Logout URLs
        return f"{endpoints.logout}?{urlencode({'client_id': self.config.client_id, 'returnTo': signed_out_url})}"


class OktaProvider(Provider):
    """Okta: `groups` (a claim with a group filter on the authorization server), end_session."""

    name = "okta"


class EntraProvider(Provider):
    """Microsoft Entra ID (v2.0): groups as object ids with an overage marker past the limit, app
    roles in `roles`, and no email_verified (its `email` is unverified): emails never decide.
    https://learn.microsoft.com/entra/identity-platform/id-token-claims-reference"""

    name = "entra"
    emails_decide = False
    default_roles_claim = "roles"

    def groups_overage(self, claims: Claims) -> bool:
        return super().groups_overage(claims) or (claims.get("hasgroups") is True and self.groups_claim not in claims)


class GoogleProvider(Provider):
    """Google: no groups, anyone can have an account, no end-session endpoint, a refresh token only
    with access_type=offline (+ prompt=consent), and an email domain vouched for only by `hd`.
    https://developers.google.com/identity/openid-connect/openid-connect"""

    name = "google"
    public = True
    default_groups_claim = ""
    default_extra_authorize_params = (("access_type", "offline"), ("prompt", "consent"))
    display_claims = ("name", "email", "sub")

    @classmethod
    def logout_endpoint(cls, issuer: str, end_session: str | None) -> tuple[str, str]:
        return "", "none"  # signing out of the site never signs anyone out of Google

    def email_domain(self, claims: Claims, email: str | None) -> str | None:
        # A personal account registered with ada@example.com has a verified email and no hd:
        # only a Workspace account (hd) is Google's to vouch for at that domain.
        hd = claims.get("hd")
        domain = email.rpartition("@")[2] if email else None
        return domain if isinstance(hd, str) and domain and hd.lower() == domain else None


class KeycloakProvider(Provider):
    """Keycloak: realm roles in realm_access.roles, client roles in resource_access.<client>.roles."""

    name = "keycloak"
    default_groups_claim = "realm_access.roles"

    @classmethod
    def roles_claim_for(cls, client_id: str) -> str:
        return f"resource_access.{client_id}.roles"


PROFILES: dict[str, type[Provider]] = {
    p.name: p
    for p in (Provider, CognitoProvider, Auth0Provider, OktaProvider, EntraProvider, GoogleProvider, KeycloakProvider)
}


# Issuers whose rules are known whatever `provider` says: Google's ID tokens under a generic
# "oidc" profile would otherwise let `email_verified` vouch for a work domain (no `hd` check).
# https://developers.google.com/identity/openid-connect/openid-connect#discovery
KNOWN_ISSUERS = {"https://accounts.google.com": "google", "accounts.google.com": "google"}


def profile_for(provider: str, issuer: str) -> type[Provider]:
    """The profile for a config: a generic "oidc" one with a known issuer gets that issuer's."""
    if provider == Provider.name and issuer in KNOWN_ISSUERS:
        return PROFILES[KNOWN_ISSUERS[issuer]]
    return PROFILES[provider]


def provider_for(config: Config) -> Provider:
    return profile_for(config.provider, config.issuer)(config)


def _first(claims: Claims, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None
