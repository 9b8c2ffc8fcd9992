"""The demo terminal's one-line hints, keyed by the gate's reason codes (README "Reason codes").

The gate's own pages say little (any visitor sees them: edge/pages.py); the person running the
demo sees its terminal, so a hint here may name the config key, the client id and the URL to
register. `for_line` reads the emulator's echoed lines (the gate's JSON decision lines, e.g.
`[edge:1] {"level":"info",...,"reason":"idp_invalid_client",...}`) and gives the hint once per
reason.
"""

from __future__ import annotations

import re

# {config}, {client_id}, {callback}, {signed_out}, {groups_claim}, {site_url}, {issuer} come from the stack.
HINTS = {
    "idp_invalid_client": (
        "the provider's token endpoint refused the client (401 invalid_client): idp.client_secret (or "
        "idp.client_id {client_id}) in {config} is not the app client's; copy the secret from the provider again"
    ),
    "idp_unauthorized_client": (
        "the provider says client {client_id} may not use the authorization-code grant: enable it for the app client"
    ),
    "idp_error_invalid_request": (
        "the provider refused the sign-in request; most often the callback URL {callback} is not registered "
        "for client {client_id}: add it to the app client's redirect URIs"
    ),
    "idp_error_redirect_mismatch": (
        "the callback URL {callback} is not registered for client {client_id}: add it to the app client's redirect URIs"
    ),
    "idp_error_invalid_scope": "a scope in idp.scopes ({config}) is not allowed for client {client_id} at the provider",
    "idp_error_unauthorized_client": (
        "client {client_id} may not use the authorization-code flow at the provider: enable it for the app client"
    ),
    "idp_error_access_denied": "the sign-in was cancelled or refused at the provider (not a setup problem if you did it)",
    "groups_claim_missing": (
        'the ID token has no "{groups_claim}" claim, and a rule needs a group: make the provider send it (a '
        "groups scope in idp.scopes, or a claim mapping at the provider), or set tokens.groups_claim to the claim "
        "it uses; `build.py --check-idp --config {config}` shows what it lists"
    ),
    "id_token_wrong_issuer": "the ID token's iss is not {issuer}: set idp.issuer to exactly the provider's issuer",
    "id_token_wrong_audience": "the ID token is for another client: idp.client_id must be {client_id}'s app client",
    "id_token_unknown_kid": "the provider signs with a key the zip does not have (it rotated keys): restart the demo",
    "state_not_for_this_browser": "open the site at {site_url} (localhost, as registered) and sign in from there",
    "idp_unreachable": "the gate could not reach the provider's token endpoint: is {issuer} up?",
    "idp_timeout": "the provider's token endpoint did not answer in time (idp.timeout_seconds)",
}

_REASON = re.compile(r'"reason":"([a-z0-9_]{1,60})"')


def hint(reason: str, context: dict[str, str]) -> str | None:
    text = HINTS.get(reason)
    if text is None and reason.startswith("idp_error_"):
        text = "the provider sent the person back with an error: check the app client's settings there"
    return text.format(**context) if text else None


class Hinter:
    """Remembers which reasons it already explained: one hint per reason per run."""

    def __init__(self, context: dict[str, str]):
        self.context = context
        self.said: set[str] = set()

    def for_line(self, line: str) -> str | None:
        found = _REASON.search(line)
        if not found or found.group(1) in self.said:
            return None
        text = hint(found.group(1), self.context)
        if text is None:
            return None
        self.said.add(found.group(1))
        return f"[demo] hint ({found.group(1)}): {text}"
