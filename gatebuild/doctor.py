"""`build.py --check-idp`: what the gate will do with this provider, in a few lines.

Fetches what the build fetches (OIDC discovery, RFC 8414 metadata, the JWKS: gatebuild/discovery.py,
the build's one HTTP client) and says, from the resolved config (gatebuild/builder.load_config)
and the provider profile (edge/provider.py PROFILES): the issuer, the signing algorithms, where
groups come from, whether sign-out revokes the refresh token and logs out at the provider, which
profile rules apply, and what to register at the provider. It also asks the provider's
authorization endpoint, once and without signing anyone in, whether it knows the callback URL:
Cognito, Keycloak, Auth0 and Okta check `redirect_uri` before their sign-in page and say so
(Cognito redirects to `/error?error=redirect_mismatch`; the others answer an error page);
providers that ask for sign-in first (django-oauth-toolkit) cannot tell until after it.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import urllib.parse

from edge.provider import profile_for
from gatebuild import discovery


def _yes(flag: bool) -> str:
    return "yes" if flag else "no"


def _documents(issuer: str) -> tuple[dict, tuple[dict, str] | None]:
    """The discovery document and the RFC 8414 metadata (each {} / None when there is none)."""
    try:
        oidc = discovery.fetch_json(issuer.rstrip("/") + "/.well-known/openid-configuration")
    except discovery.FetchError:
        oidc = {}
    try:
        metadata = discovery.oauth_metadata(issuer)
    except discovery.FetchError:
        metadata = None
    return oidc, metadata


def probe_callback(config) -> tuple[str, str]:
    """(verdict, one line) of asking the authorization endpoint about the callback URL:
    verdict "refused", "accepted" or "unknown". No one signs in; nothing is created."""
    callback = config.site_url + config.paths.callback
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")
    query = urllib.parse.urlencode(
        {
            "response_type": "code",
            "client_id": config.client_id,
            "redirect_uri": callback,
            "scope": " ".join(config.scopes),
            "state": "gate-check-idp",
            "nonce": secrets.token_urlsafe(16),
            "code_challenge": challenge,
            "code_challenge_method": "S256",
        }
    )
    try:
        status, location, body = discovery.probe(f"{config.endpoints.authorization}?{query}")
    except discovery.FetchError as exc:
        return "unknown", f"could not ask the authorization endpoint ({exc})"
    text = (location + " " + body).lower()
    if location.startswith(callback):
        error = urllib.parse.parse_qs(urllib.parse.urlsplit(location).query).get("error", [""])[0]
        if error:
            return "refused", f"the provider sends error={error} back to the callback (check the app client)"
        return "accepted", "the provider accepted the callback URL"
    if "redirect_mismatch" in text or ("redirect" in text and status >= 400):
        return "refused", (
            f"the provider refused redirect_uri {callback} for client {config.client_id}: register it there"
        )
    if 300 <= status < 400 or status == 200:
        return "unknown", "the provider asks for sign-in first; it checks the callback URL after it"
    return "unknown", f"the authorization endpoint answered {status}"


def report(config_path: str, overrides: dict | None = None, probe: bool = True) -> list[str]:
    """The lines `build.py --check-idp` prints (raises what builder.load_config raises)."""
    from gatebuild.builder import load_config

    config, jwks = load_config(config_path, overrides=overrides)
    profile = profile_for(config.provider, config.issuer)
    oidc, metadata = _documents(config.issuer)
    endpoints = config.endpoints
    lines = [f"issuer:      {config.issuer}  (provider profile {profile.name!r}, edge/provider.py)"]

    signs_with = oidc.get("id_token_signing_alg_values_supported")
    kids = ", ".join(str(k.get("kid", "?")) for k in jwks["keys"])
    algs = f"the gate accepts {', '.join(config.tokens.algorithms)}"
    if isinstance(signs_with, list):
        usable = [a for a in signs_with if a in config.tokens.algorithms]
        algs += f"; the provider signs ID tokens with {', '.join(map(str, signs_with))}"
        if not usable:
            algs += " (none of which the gate accepts: set tokens.algorithms)"
    lines.append(f"algorithms:  {algs}; JWKS: {len(jwks['keys'])} usable key(s) ({kids}), embedded at build")

    claim = config.tokens.groups_claim
    if claim:
        groups = (
            f'claim "{claim}" of the ID token (tokens.groups_claim; profile default "{profile.default_groups_claim}")'
        )
        listed = oidc.get("claims_supported")
        if isinstance(listed, list) and claim not in listed and "." not in claim:
            groups += (
                "; the provider's claims_supported does not list it: if its tokens lack it, rules needing a group "
                "answer 403 groups_claim_missing"
            )
        if profile.omits_empty_groups:
            groups += "; absent = in no group"
    else:
        groups = "none (this provider has no groups claim): rules can use roles, emails or email domains"
    if config.tokens.roles_claim:
        groups += f'; roles from "{config.tokens.roles_claim}"'
    lines.append(f"groups:      {groups}")

    if endpoints.revocation:
        if oidc.get("revocation_endpoint") == endpoints.revocation:
            source = "OIDC discovery"
        elif metadata and metadata[0].get("revocation_endpoint") == endpoints.revocation:
            source = f"RFC 8414 metadata, {metadata[1]}"
        else:
            source = "the config"
        revokes = f"revokes the refresh token at {endpoints.revocation} ({source})"
    else:
        revokes = "does NOT revoke the refresh token (no revocation endpoint in discovery or RFC 8414 metadata)"
    if endpoints.logout and endpoints.logout_style != "none":
        style = {"oidc": "RP-initiated logout, end_session_endpoint", "cognito": "Cognito /logout"}.get(
            endpoints.logout_style, f"{endpoints.logout_style} logout"
        )
        logs_out = f"logs out at the provider: {endpoints.logout} ({style})"
    else:
        logs_out = "leaves the provider's own session as it is (no logout endpoint)"
    lines.append(f"sign-out:    {revokes}; {logs_out}")

    rules = [
        f"token_use checked: {_yes(profile.checks_token_use)}",
        f"emails decide: {_yes(profile.emails_decide)}",
        f"anyone can have an account: {_yes(profile.public)}",
    ]
    if config.extra_authorize_params:
        rules.append("authorize adds " + "&".join(f"{k}={v}" for k, v in config.extra_authorize_params))
    needs = sorted({g for rule in config.rules for g in rule.groups})
    rules.append(f"{len(config.rules)} access rule(s)" + (f" needing groups {', '.join(needs)}" if needs else ""))
    lines.append(f"profile:     {'; '.join(rules)}")

    callback = config.site_url + config.paths.callback
    signed_out = config.site_url + config.paths.signed_out
    lines.append(f"register:    callback {callback} and sign-out URL {signed_out} for client {config.client_id}")
    if probe:
        _verdict, said = probe_callback(config)
        lines.append(f"callback:    {said}")
    return lines
