"""Issue 24: a rule needing a group, and an ID token with no groups claim at all, answers 403
`groups_claim_missing` (a setup problem at the provider, not this person's groups), except for
Cognito, which leaves `cognito:groups` out of the token of a user in no group (only "when the
user belongs to one or more groups": ministackorg/ministack#342, modelling real Cognito)."""

from __future__ import annotations

from html import unescape

from hypothesis import given, settings
from hypothesis import strategies as st

from edge import pages
from edge.access import Requirement, unmet
from edge.provider import PROFILES, Person
from edge.settings import Config, Endpoints, Paths, Tokens

few = st.frozensets(st.sampled_from(["A", "B"]), max_size=2)


def config(provider: str, groups_claim: str) -> Config:
    return Config(
        provider,
        "https://idp.example.com",
        "client",
        Endpoints("https://idp.example.com/a", "https://idp.example.com/t", "https://idp.example.com/j"),
        "s" * 43,
        tokens=Tokens(groups_claim=groups_claim),
    )


@given(
    st.sampled_from(sorted(PROFILES)),
    st.sampled_from(["groups", "cognito:groups", "realm_access.roles", ""]),
    st.dictionaries(st.sampled_from(["groups", "cognito:groups", "realm_access", "email"]), st.just(["A"])),
)
@settings(max_examples=200)
def test_groups_absent_only_when_the_claim_is_not_there_and_the_provider_does_not_omit_empty_groups(
    name, claim, claims
):
    profile = PROFILES[name]
    person = profile(config(name, claim)).person(claims)
    # Oracle: the claim is there only under its exact name (realm_access here is a list, never an
    # object holding "roles"), and no name means no claim.
    present = bool(claim) and claim in claims
    expected = not present and name != "cognito"
    assert person.groups_absent is expected


@given(few, few, st.booleans(), st.booleans())
@settings(max_examples=300)
def test_the_reason_says_the_claim_is_missing_only_when_missing_group_would_be_said(groups, need, absent, overage):
    who = Person(groups, frozenset(), None, False, None, overage, absent)
    before = unmet(who._replace(groups_absent=False), Requirement(need, frozenset(), frozenset(), frozenset()))
    reason = unmet(who, Requirement(need, frozenset(), frozenset(), frozenset()))
    if before == "missing_group" and absent:
        assert reason == "groups_claim_missing"
    else:
        assert reason == before


def test_the_403_page_says_so_without_naming_the_claim_or_groups():
    page = pages.forbidden(Paths(), "ada", "groups_claim_missing")
    body = page["body"]
    assert page["status"] == "403"
    assert "did not say which groups you are in" in body and "Reason: groups_claim_missing" in body
    assert "groups_claim" not in body.replace("Reason: groups_claim_missing", "")
    assert "Ask the site's owner for access" not in body  # not the person's to ask: a setup problem


def test_error_pages_add_one_line_for_the_owner_for_the_setup_mistakes_only():
    bad_secret = unescape(
        pages.error(502, "Sign-in is not working right now", "x", Paths(), "idp_invalid_client")["body"]
    )
    assert "If you run this site: the sign-in service refused the gate's client credentials" in bad_secret
    redirect = pages.error(400, "We couldn't sign you in", "x", Paths(), "idp_error_invalid_request")["body"]
    assert "callback URL is registered" in redirect
    cancelled = pages.error(400, "We couldn't sign you in", "x", Paths(), "idp_error_access_denied")["body"]
    assert "If you run this site" not in cancelled
