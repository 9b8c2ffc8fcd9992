"""The issue-14 config surface at build time: provider profiles and their defaults, [entry], rules by
groups/roles/emails/email_domains, extra_authorize_params, and the refusals (one line naming the fix)."""

from __future__ import annotations

import pytest

from gatebuild import config as gate_config
from gatebuild.config import GATE_AUTHORIZE_PARAMS, ConfigFileError
from tests.conftest import STATE_SECRET

ISSUER = {
    "auth0": "https://tenant.eu.auth0.com/",
    "google": "https://accounts.google.com",
    "okta": "https://example.okta.com/oauth2/default",
    "entra": "https://login.microsoftonline.com/t/v2.0",
    "keycloak": "https://sso.example.com/realms/example",
    "oidc": "https://idp.example.com",
}


def raw(provider="okta", entry=None, rules=None, **idp) -> dict:
    out = {
        "idp": {"provider": provider, "issuer": ISSUER[provider], "client_id": "site-gate", **idp},
        "state": {"secret": STATE_SECRET},
        "rules": rules if rules is not None else [{"paths": ["/admin/*"], "groups": ["Admin"]}],
    }
    if entry is not None:
        out["entry"] = entry
    return out


def error_of(data: dict) -> str:
    with pytest.raises(ConfigFileError) as info:
        gate_config.validate(data)
    return str(info.value)


@pytest.mark.parametrize("provider", ["google", "auth0"])
def test_a_public_provider_without_entry_is_refused_naming_the_fix(provider):
    rules = [{"paths": ["/admin/*"], "emails": ["admin@example.com"]}]
    message = error_of(raw(provider, rules=rules))
    assert message.startswith("[entry]:") and "any_account = true" in message and "email_domains" in message
    for entry in ({"any_account": True}, {"email_domains": ["example.com"]}, {"emails": ["a@example.com"]}):
        config, _ = gate_config.validate(raw(provider, entry=entry, rules=rules))
        assert config.entry.any_account == entry.get("any_account", False)
    # a rule over every path restricts entry as well
    gate_config.validate(raw(provider, rules=[{"paths": ["/*"], "emails": ["a@example.com"]}]))


def test_a_private_provider_needs_no_entry():
    config, _ = gate_config.validate(raw("okta"))
    assert not config.entry.any_account and config.entry.groups == ()


def test_any_account_with_a_list_is_contradictory():
    assert "remove any_account or the lists" in error_of(
        raw("google", entry={"any_account": True, "email_domains": ["example.com"]})
    )


@pytest.mark.parametrize("key", GATE_AUTHORIZE_PARAMS)
def test_the_gates_own_authorize_params_can_never_be_set(key):
    message = error_of(raw(extra_authorize_params={key: "x"}))
    assert message.startswith(f"idp.extra_authorize_params.{key}: the gate sets {key} itself")


def test_unknown_and_bad_extra_params_are_refused():
    assert "unknown authorize parameter" in error_of(raw(extra_authorize_params={"response_mode": "form_post"}))
    assert 'did you mean "audience"' in error_of(raw(extra_authorize_params={"audiance": "x"}))
    assert "must be a string" in error_of(raw(extra_authorize_params={"prompt": True}))
    assert "printable" in error_of(raw(extra_authorize_params={"login_hint": "a\r\nb"}))
    config, _ = gate_config.validate(raw(extra_authorize_params={"max_age": 300, "acr_values": "mfa"}))
    assert dict(config.extra_authorize_params) == {"max_age": "300", "acr_values": "mfa"}


def test_profile_defaults():
    def tokens(provider, **extra):
        entry = {"any_account": True} if provider in ("google", "auth0") else None
        rules = [] if provider in ("google", "auth0") else None
        return gate_config.validate(raw(provider, entry=entry, rules=rules, **extra))[0]

    assert tokens("okta").tokens.groups_claim == "groups" and tokens("okta").tokens.roles_claim == ""
    assert tokens("entra").tokens.roles_claim == "roles"
    kc = tokens("keycloak").tokens
    assert kc.groups_claim == "realm_access.roles" and kc.roles_claim == "resource_access.site-gate.roles"
    assert dict(tokens("google").extra_authorize_params) == {"access_type": "offline", "prompt": "consent"}
    assert tokens("auth0").endpoints.logout_style == "auth0"
    assert tokens("auth0").endpoints.logout == "https://tenant.eu.auth0.com/v2/logout"
    assert tokens("google", end_session_endpoint="https://x.example/logout").endpoints.logout_style == "none"
    assert tokens("oidc").tokens.groups_claim == "groups"


def test_what_the_provider_cannot_tell_is_refused():
    message = error_of(raw("google", entry={"any_account": True}))  # the default rule needs groups
    assert message.startswith('rules[1].groups: provider "google" has no groups claim') and "groups_claim" in message
    message = error_of(raw("entra", rules=[{"paths": ["/admin/*"], "emails": ["a@example.com"]}]))
    assert message.startswith('rules[1].emails: provider "entra" sends no email_verified')
    message = error_of(raw("entra", entry={"email_domains": ["example.com"]}))
    assert message.startswith("entry.email_domains:") and "groups or roles" in message
    assert error_of(raw("okta", rules=[{"paths": ["/a"], "roles": ["R"]}])).startswith("rules[1].roles: no roles claim")


def test_who_values_are_checked():
    assert "is not an email address" in error_of(raw(rules=[{"paths": ["/a"], "emails": ["ada"]}]))
    assert "without @" in error_of(raw(rules=[{"paths": ["/a"], "email_domains": ["@example.com"]}]))
    assert "non-empty strings" in error_of(raw(rules=[{"paths": ["/a"], "groups": [""]}]))
    assert "unknown key" in error_of(raw(rules=[{"paths": ["/a"], "group": ["A"]}]))


def test_a_rule_may_be_met_by_roles_emails_or_domains_only():
    config, _ = gate_config.validate(raw("entra", rules=[{"paths": ["/admin/*"], "roles": ["Gate.Admin"]}]))
    assert config.rules[0].roles == ("Gate.Admin",) and config.rules[0].groups == ()


def test_the_resolved_config_round_trips_through_the_zip_form():
    from edge.settings import Config

    config, _ = gate_config.validate(
        raw(
            "keycloak",
            entry={"groups": ["Staff"]},
            rules=[
                {
                    "paths": ["/admin/*"],
                    "groups": ["A"],
                    "roles": ["r"],
                    "emails": ["a@example.com"],
                    "email_domains": ["example.com"],
                }
            ],
            extra_authorize_params={"login_hint": "ada"},
        )
    )
    config = config._replace(state_secret=b"x" * 32)
    assert Config.from_dict(config.to_dict()) == config


from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gatebuild.config import SAFE_AUTHORIZE_PARAMS  # noqa: E402


@given(
    st.dictionaries(
        st.one_of(st.sampled_from(SAFE_AUTHORIZE_PARAMS + GATE_AUTHORIZE_PARAMS), st.text(min_size=1, max_size=12)),
        st.text(max_size=20),
        max_size=4,
    )
)
def test_extra_params_are_exactly_the_safe_keys_with_printable_values(given_params):
    # Oracle: the config is accepted iff every key is on the safe list (and none is the gate's own)
    # and every value is printable, and a non-empty max_age is a number of seconds (the gate checks
    # auth_time against it: OIDC Core 3.1.2.1); then each non-empty value is sent as given.
    ok = all(
        k in SAFE_AUTHORIZE_PARAMS
        and all(0x20 <= ord(c) != 0x7F for c in v)
        and (k != "max_age" or not v or all("0" <= c <= "9" for c in v))
        for k, v in given_params.items()
    )
    try:
        config, _ = gate_config.validate(raw(extra_authorize_params=given_params))
    except ConfigFileError as exc:
        assert not ok
        named = [k for k in given_params if str(exc).startswith(f"idp.extra_authorize_params.{k}: ")]
        assert named, str(exc)
        if named[0] in GATE_AUTHORIZE_PARAMS:
            assert "can never be overridden" in str(exc)
        return
    assert ok
    assert dict(config.extra_authorize_params) == {k: v for k, v in given_params.items() if v}
    assert not set(dict(config.extra_authorize_params)) & set(GATE_AUTHORIZE_PARAMS)
