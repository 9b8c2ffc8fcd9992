"""What differs between identity providers, behind one interface.

A profile says which claims hold the username, the display name and the groups, whether tokens
carry Cognito's `token_use`, and how to sign out at the provider. The gate asks the profile and
never tests the provider's name; a new provider is a new class here (and its entry in PROFILES).
"""

from __future__ import annotations

from .settings import Config
from .urls import urlencode

MAX_ID_TOKEN_HINT = 4000  # id_token_hint rides in a URL; browsers and IdPs cap URL length


class Provider:
    """A generic OpenID Connect provider (OIDC Core + RP-Initiated Logout 1.0)."""

    name = "oidc"
    checks_token_use = False
    username_claims: tuple[str, ...] = ("preferred_username", "sub")
    display_claims: tuple[str, ...] = ("name", "email", "preferred_username", "sub")

    def __init__(self, config: Config):
        self.config = config
        self.groups_claim = config.tokens.groups_claim

    def groups(self, claims: dict) -> frozenset[str]:
        value = claims.get(self.groups_claim)
        if isinstance(value, str):
            value = [value]
        if not isinstance(value, list):
            return frozenset()
        return frozenset(g for g in value if isinstance(g, str))

    def username(self, claims: dict) -> object:
        return _first(claims, self.username_claims)

    def display_name(self, claims: dict) -> str:
        return _first(claims, self.display_claims) or "an unknown user"

    def logout_location(self, signed_out_url: str, id_token: str | None) -> str:
        """Where sign-out sends the browser after the cookies are cleared."""
        endpoints = self.config.endpoints
        if not endpoints.logout or endpoints.logout_style == "none":
            return self.config.paths.signed_out
        params = {"client_id": self.config.client_id, "post_logout_redirect_uri": signed_out_url}
        if id_token and len(id_token) <= MAX_ID_TOKEN_HINT:
            params["id_token_hint"] = id_token
        return f"{endpoints.logout}?{urlencode(params)}"


class CognitoProvider(Provider):
    """Amazon Cognito user pools: `token_use`, `cognito:username`, and a non-standard /logout."""

    name = "cognito"
    checks_token_use = True
    username_claims = ("cognito:username", "preferred_username", "sub")
    display_claims = ("name", "email", "cognito:username", "preferred_username", "sub")

    def logout_location(self, signed_out_url: str, id_token: str | None) -> str:
        endpoints = self.config.endpoints
        if not endpoints.logout or endpoints.logout_style == "none":
            return self.config.paths.signed_out
        # logout_uri must be one of the app client's sign-out URLs (Cognito's LOGOUT endpoint)
        return f"{endpoints.logout}?{urlencode({'client_id': self.config.client_id, 'logout_uri': signed_out_url})}"


PROFILES: dict[str, type[Provider]] = {"oidc": Provider, "cognito": CognitoProvider}


def provider_for(config: Config) -> Provider:
    return PROFILES[config.provider](config)


def _first(claims: dict, names: tuple[str, ...]) -> str | None:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value:
            return value
    return None
