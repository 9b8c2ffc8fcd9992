"""The pure parts of issue 14: claim lookup (exact name, then a dotted path), the Person each
provider reads from claims, and requirement evaluation (ANY of groups/roles/emails/domains; an
email only when verified), property-tested against independent oracles."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from edge.access import AccessPolicy, Requirement, unmet
from edge.paths import normalise
from edge.provider import PROFILES, Person, claim_value
from edge.settings import Config, Endpoints, Entry, Paths, Rule, Tokens

# ---- claim lookup ------------------------------------------------------------------------------

KEY_PARTS = ["a", "b", "c", "a.b", "b.c", "https://x.com/g"]
leaves = st.one_of(st.integers(0, 9), st.lists(st.sampled_from(["G1", "G2"]), max_size=2))
objects = st.recursive(
    leaves, lambda inner: st.dictionaries(st.sampled_from(KEY_PARTS), inner, max_size=4), max_leaves=12
)
names = st.lists(st.sampled_from(["a", "b", "c", "https://x", "com/g"]), min_size=1, max_size=4).map(".".join)


def reachable(obj, name: str) -> list:
    """Oracle: every value some split of `name` into keys reaches (keys may contain dots)."""
    if not isinstance(obj, dict):
        return []
    out = [obj[name]] if name in obj else []
    parts = name.split(".")
    for i in range(1, len(parts)):
        head = ".".join(parts[:i])
        if head in obj:
            out += reachable(obj[head], ".".join(parts[i:]))
    return out


@given(st.dictionaries(st.sampled_from(KEY_PARTS), objects, max_size=5), names)
@settings(max_examples=400)
def test_claim_lookup_finds_only_what_some_reading_of_the_name_reaches(claims, name):
    found = claim_value(claims, name)
    options = reachable(claims, name)
    if name in claims:
        assert found == claims[name]  # the exact name first (Auth0's namespaced claims)
    if not options:
        assert found is None
    else:
        assert found in options


@given(
    st.lists(st.sampled_from(["realm_access", "roles", "resource_access", "client"]), min_size=1, max_size=5),
    st.lists(st.text(min_size=1, max_size=5), max_size=3),
)
def test_a_plain_dotted_path_is_a_walk(segments, value):
    claims = value
    for seg in reversed(segments):
        claims = {seg: claims, "other": 1}
    assert claim_value(claims, ".".join(segments)) == value
    assert claim_value(claims, ".".join([*segments, "missing"])) is None


def test_claim_lookup_examples():
    claims = {
        "https://example.com/groups": ["Admin"],
        "realm_access": {"roles": ["R"]},
        "resource_access": {"site.gate": {"roles": ["C"]}},
        "a.b": 1,
        "a": {"b": 2},
    }
    assert claim_value(claims, "https://example.com/groups") == ["Admin"]
    assert claim_value(claims, "realm_access.roles") == ["R"]
    assert claim_value(claims, "resource_access.site.gate.roles") == ["C"]  # a client id with dots
    assert claim_value(claims, "a.b") == 1  # the exact name wins over the path
    assert claim_value(claims, "realm_access.nothing") is None and claim_value(claims, "") is None
    assert claim_value({"a": "not an object"}, "a.b") is None


# ---- the Person each provider sees -------------------------------------------------------------


def person(provider: str, claims: dict, groups_claim: str | None = None, roles_claim: str | None = None) -> Person:
    cls = PROFILES[provider]
    tokens = Tokens(
        groups_claim=cls.default_groups_claim if groups_claim is None else groups_claim,
        roles_claim=cls.roles_claim_for("gate") if roles_claim is None else roles_claim,
    )
    config = Config(
        provider=provider,
        issuer="https://i",
        client_id="gate",
        endpoints=Endpoints("", "", ""),
        state_secret=b"x" * 32,
        tokens=tokens,
    )
    return cls(config).person(claims)


def test_person_by_provider():
    p = person("oidc", {"groups": ["A", 3, "B"], "email": " Ada@Example.COM ", "email_verified": True})
    assert p.groups == {"A", "B"} and p.email == "ada@example.com" and p.email_domain == "example.com"
    assert person("oidc", {"email": "ada@example.com", "email_verified": "true"}).email_verified
    assert not person("oidc", {"email": "ada@example.com", "email_verified": "yes"}).email_verified
    assert not person("oidc", {"email": "ada@example.com"}).email_verified
    assert person("oidc", {"groups": "Solo"}).groups == {"Solo"}
    # Entra: no email_verified, so an email never decides, even if a token carried one
    assert not person("entra", {"email": "ada@example.com", "email_verified": True}).email_verified
    assert person("entra", {"roles": ["Gate.Admin"]}).roles == {"Gate.Admin"}
    assert person("entra", {"hasgroups": True}).groups_overage
    assert person("entra", {"_claim_names": {"groups": "src1"}}).groups_overage
    assert not person("entra", {"groups": ["g"], "hasgroups": True}).groups_overage
    assert not person("okta", {"hasgroups": True}).groups_overage  # Entra's marker only
    # Google: the domain only with hd equal to the email's domain
    assert (
        person("google", {"email": "ada@example.com", "email_verified": True, "hd": "example.com"}).email_domain
        == "example.com"
    )
    assert person("google", {"email": "ada@example.com", "email_verified": True}).email_domain is None
    assert (
        person("google", {"email": "ada@example.com", "email_verified": True, "hd": "other.com"}).email_domain is None
    )
    # Keycloak: realm roles as groups, the client's roles as roles
    kc = person("keycloak", {"realm_access": {"roles": ["Admin"]}, "resource_access": {"gate": {"roles": ["r"]}}})
    assert kc.groups == {"Admin"} and kc.roles == {"r"}
    assert person("cognito", {"cognito:groups": ["Admin"]}).groups == {"Admin"}


# ---- requirement evaluation --------------------------------------------------------------------

few = st.frozensets(st.sampled_from(["A", "B", "C"]), max_size=3)
emails = st.sampled_from(["ada@example.com", "bob@other.org", None])
people = st.builds(
    lambda g, r, e, v, d, o: Person(
        g, r, e, bool(e) and v, (e.rpartition("@")[2] if e and d else None) if v else None, o
    ),
    few,
    few,
    emails,
    st.booleans(),
    st.booleans(),
    st.booleans(),
)
requirements = st.builds(
    Requirement,
    few,
    few,
    st.frozensets(st.sampled_from(["ada@example.com", "eve@example.com"]), max_size=2),
    st.frozensets(st.sampled_from(["example.com", "other.org"]), max_size=2),
    st.booleans(),
)


@given(people, requirements)
@settings(max_examples=500)
def test_a_requirement_is_met_by_any_of_its_parts_and_emails_only_when_verified(who, need):
    allowed = (
        bool(need.groups & who.groups)
        or bool(need.roles & who.roles)
        or (
            who.email_verified
            and (who.email in need.emails or (who.email_domain is not None and who.email_domain in need.email_domains))
        )
    )
    reason = unmet(who, need)
    assert (reason is None) == allowed
    if reason is not None:
        if need.entry:
            assert reason in {"not_allowed_to_enter", "groups_overage", "email_not_verified"}
        if reason == "groups_overage":
            assert who.groups_overage and need.groups
        if reason == "email_not_verified":
            assert not who.email_verified
        if reason == "missing_role":
            assert not need.groups and need.roles


def test_entry_applies_to_every_protected_path_and_rules_to_theirs():
    policy = AccessPolicy(
        Paths(public=("/robots.txt",)),
        (Rule(paths=("/admin/*",), groups=("Admin",), roles=("Gate.Admin",)),),
        Entry(email_domains=("example.com",)),
    )
    staff = Person(frozenset(), frozenset({"Gate.Admin"}), "ada@example.com", True, "example.com", False)
    outsider = staff._replace(email="eve@evil.test", email_domain="evil.test")
    assert policy.denial(normalise("/docs"), staff) is None
    assert policy.denial(normalise("/admin/x"), staff) is None
    assert policy.denial(normalise("/docs"), outsider) == "not_allowed_to_enter"
    assert policy.denial(normalise("/admin/x"), staff._replace(roles=frozenset())) == "missing_group"
    assert AccessPolicy(Paths(), (), Entry(any_account=True)).entry is None
