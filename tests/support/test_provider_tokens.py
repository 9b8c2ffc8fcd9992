"""The provider-shaped token fixtures (tests/support/provider_tokens.py) have each provider's
DOCUMENTED shape (sources cited there), are really signed by the fixture key, and each trap is what
its name says. Independent of the edge: only the shapes."""

from __future__ import annotations

import base64
import json
import re
import time

import pytest
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import padding
from hypothesis import given
from hypothesis import strategies as st

from local import profiles
from tests.support import provider_tokens as pt

GUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
PROVIDERS = ("cognito", "auth0", "okta", "entra", "google", "keycloak")


def part(segment: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4)))


def decode(keys, token: str) -> tuple[dict, dict]:
    """Header and claims, after checking the RS256 signature with the key's public half."""
    head, body, sig = token.split(".")
    signature = base64.urlsafe_b64decode(sig + "=" * (-len(sig) % 4))
    keys.private_key.public_key().verify(signature, f"{head}.{body}".encode(), padding.PKCS1v15(), hashes.SHA256())
    return part(head), part(body)


@pytest.fixture(scope="module")
def keyring():
    return {p: pt.provider_keys(p) for p in PROVIDERS}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_every_id_token_is_signed_current_and_for_the_client(keyring, provider):
    keys, token = pt.id_token(provider, keyring[provider])
    header, claims = decode(keys, token)
    assert header["alg"] == "RS256" and header["kid"] == keys.kid
    assert claims["iss"] == pt.ISSUERS[provider] and claims["aud"] == keys.client_id
    assert claims["iat"] <= time.time() < claims["exp"]
    other = pt.provider_keys(provider)
    with pytest.raises(InvalidSignature):
        decode(other, token)


def test_issuer_spellings():
    assert pt.ISSUERS["auth0"].endswith(".auth0.com/")
    assert pt.ISSUERS["okta"].endswith("/oauth2/default")
    assert re.fullmatch(r"https://login\.microsoftonline\.com/[0-9a-f-]{36}/v2\.0", pt.ISSUERS["entra"])
    assert pt.ISSUERS["google"] == "https://accounts.google.com"
    assert re.fullmatch(r"https://[^/]+/realms/[^/]+", pt.ISSUERS["keycloak"])
    assert re.fullmatch(
        r"https://cognito-idp\.[a-z0-9-]+\.amazonaws\.com/[a-z0-9-]+_[A-Za-z0-9]+", pt.ISSUERS["cognito"]
    )


def test_cognito_id_and_access(keyring):
    keys = keyring["cognito"]
    claims = pt.cognito_id_claims(keys, groups=("Admin",))
    assert claims["token_use"] == "id" and claims["cognito:groups"] == ["Admin"]
    access = pt.cognito_access_claims(keys)
    assert access["token_use"] == "access" and "aud" not in access and access["client_id"] == keys.client_id


def test_auth0_namespaced_groups_and_rfc9068_access(keyring):
    keys = keyring["auth0"]
    claims = pt.auth0_id_claims(keys, groups=("Admin",))
    assert claims[pt.AUTH0_GROUPS_CLAIM] == ["Admin"] and "groups" not in claims
    assert pt.AUTH0_GROUPS_CLAIM.startswith("https://")  # namespaced
    assert claims["sub"].startswith("auth0|") and claims["email_verified"] is True
    access = pt.auth0_access_claims(keys)
    assert access["aud"] == ["https://api.example.com", keys.issuer + "userinfo"]
    assert access["client_id"] == keys.client_id and "azp" not in access
    assert pt.auth0_access_claims(keys, rfc9068=False)["azp"] == keys.client_id
    assert pt.auth0_id_claims(keys, groups=None).get(pt.AUTH0_GROUPS_CLAIM) is None


def test_okta_groups(keyring):
    keys = keyring["okta"]
    claims = pt.okta_id_claims(keys, groups=("Admin", "Viewer"))
    assert claims["groups"] == ["Admin", "Viewer"] and claims["ver"] == 1
    access = pt.okta_access_claims(keys)
    assert access["aud"] == "api://default" and access["cid"] == keys.client_id


def test_entra_guids_roles_overage(keyring):
    keys = keyring["entra"]
    claims = pt.entra_id_claims(keys, groups=[pt.ADMIN_GROUP_ID], roles=["Gate.Admin"])
    assert all(GUID.match(g) for g in claims["groups"]) and claims["roles"] == ["Gate.Admin"]
    assert claims["ver"] == "2.0" and claims["tid"] == pt.ENTRA_TENANT and GUID.match(claims["oid"])
    assert "email_verified" not in claims
    assert pt.ENTRA_TENANT in keys.issuer
    sources = pt.entra_id_claims(keys, overage="sources")
    assert "groups" not in sources and sources["_claim_names"] == {"groups": "src1"}
    assert sources["_claim_sources"]["src1"]["endpoint"].startswith("https://graph.microsoft.com/")
    hasgroups = pt.entra_id_claims(keys, overage="hasgroups")
    assert "groups" not in hasgroups and hasgroups["hasgroups"] is True
    with pytest.raises(ValueError):
        pt.entra_id_claims(keys, overage="lots")


def test_google_has_no_groups(keyring):
    keys = keyring["google"]
    claims = pt.google_id_claims(keys)
    assert not any("group" in k or "role" in k for k in claims)
    assert claims["hd"] == "example.com" and claims["azp"] == keys.client_id and claims["email_verified"] is True
    assert "hd" not in pt.google_id_claims(keys, hd=None)


def test_keycloak_nested_roles_and_payload_typ(keyring):
    keys = keyring["keycloak"]
    _, token = pt.id_token("keycloak", keys, realm_roles=("Admin",), client_roles=("Gate.Admin",))
    header, claims = decode(keys, token)
    assert header["typ"] == "JWT" and claims["typ"] == "ID" and claims["azp"] == keys.client_id
    assert "Admin" in claims["realm_access"]["roles"]
    assert claims["resource_access"][keys.client_id]["roles"] == ["Gate.Admin"]
    access = pt.keycloak_access_claims(keys)
    assert access["typ"] == "Bearer" and keys.client_id in access["aud"]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_traps_are_valid_looking_and_wrong_in_the_named_way(keyring, provider):
    keys = keyring[provider]
    traps = pt.traps(provider, keys)
    assert traps
    for name, token in traps.items():
        header, claims = decode(keys, token)  # really signed by the provider's key
        assert claims["exp"] > time.time(), name
        if name.startswith("access_token"):
            if provider == "cognito":
                assert claims["token_use"] == "access" and "aud" not in claims
            else:
                assert claims["aud"] == keys.client_id or keys.client_id in claims["aud"], name
                assert header.get("typ") == "at+jwt" or claims.get("typ") == "Bearer" or "scp" in claims, name
        elif name == "email_unverified":
            assert claims["email_verified"] is False and claims["iss"] == keys.issuer
        elif name.startswith("overage"):
            assert "groups" not in claims and ("_claim_names" in claims or claims.get("hasgroups") is True)
        elif name in ("issuer_without_slash", "v1_issuer", "legacy_issuer"):
            assert claims["iss"] != keys.issuer and claims["aud"] == keys.client_id
        elif name == "no_hd_consumer_account":
            assert "hd" not in claims and claims["email"].endswith("@gmail.com")
        elif name == "email_domain_without_hd":
            assert "hd" not in claims and claims["email"].endswith("@example.com") and claims["email_verified"] is True
        elif name == "hd_spoofed_in_email_only":
            assert "hd" not in claims and "example.com" in claims["email"]
        else:
            pytest.fail(f"unchecked trap {name}")


@given(st.text(min_size=1, max_size=40))
def test_group_guid_is_one_formula_everywhere(name):
    # The same formula in the fixtures and in local/profiles.py (oidc.mjs's is checked against the
    # latter by tests/local/test_idp_profiles.py::test_entra_guids_roles_and_no_email_verified).
    assert pt.group_guid(name) == profiles.group_guid(name)
    assert GUID.match(pt.group_guid(name))
