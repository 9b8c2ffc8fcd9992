"""Who may see a path: public patterns, who may enter, first-match rules, and the Person. Pure.

Public patterns are tried first; a path is public only in its canonical spelling (a public
request goes on untouched, so the origin must see exactly the path that was matched) and only
when every reading of it is public (paths.py). Otherwise a person needs a session, and must
satisfy [entry] (when it says anything) and the first matching rule of every reading. A
requirement is met by ANY of its groups, roles, emails or email domains; an email decides only
when the provider says it is verified (edge/provider.py builds the Person). The build refuses configurations where a
public pattern or an earlier rule would open part of a later rule (gatebuild/config/).
"""

from __future__ import annotations

from collections import namedtuple

from .paths import NormalPath, Pattern
from .settings import Entry, Paths, Rule

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .provider import Person

# One requirement: met by any of these. entry: True for [entry] (its failure is not_allowed_to_enter).
Requirement = namedtuple("Requirement", "groups roles emails email_domains entry", defaults=(False,))


def requirement(source: Rule | Entry, entry: bool = False) -> Requirement:
    return Requirement(
        frozenset(source.groups),
        frozenset(source.roles),
        frozenset(e.lower() for e in source.emails),
        frozenset(d.lower() for d in source.email_domains),
        entry,
    )


def unmet(person: Person, required: Requirement) -> str | None:
    """None when the person meets the requirement, else the stable reason code of what failed."""
    if required.groups & person.groups or required.roles & person.roles:
        return None
    if person.email_verified and (person.email in required.emails or person.email_domain in required.email_domains):
        return None
    if required.groups and person.groups_overage:
        return "groups_overage"  # the token had too many groups to carry: nobody can tell
    if (required.emails or required.email_domains) and person.email is not None and not person.email_verified:
        domain = person.email.rpartition("@")[2]
        if person.email in required.emails or domain in required.email_domains:
            return "email_not_verified"
    if required.entry:
        return "not_allowed_to_enter"
    if required.groups:
        # no groups claim in the token at all: a setup problem at the provider, not this person's
        return "groups_claim_missing" if person.groups_absent and not person.groups_overage else "missing_group"
    if required.roles:
        return "missing_role"
    return "email_not_allowed"


def first_unmet(person: Person, required: list[Requirement]) -> str | None:
    for needed in required:
        reason = unmet(person, needed)
        if reason is not None:
            return reason
    return None


_ANYONE = Entry()  # no [entry]: anyone signed in


class AccessPolicy:
    def __init__(self, paths: Paths, rules: tuple[Rule, ...], entry: Entry = _ANYONE):
        case_sensitive = paths.case_sensitive
        self.public = tuple(Pattern(p, case_sensitive) for p in paths.public)
        self.rules = tuple((tuple(Pattern(p, case_sensitive) for p in rule.paths), requirement(rule)) for rule in rules)
        enter = requirement(entry, entry=True)
        self.entry = enter if (enter.groups or enter.roles or enter.emails or enter.email_domains) else None

    def public_uri(self, path: NormalPath, uri: str) -> str | None:
        """The URI to forward when the request is public (the root as the index object), else None."""
        if path.encoded != uri and not (uri == "/" and path.exact == "/"):
            return None
        public = self.public
        for text in path.exacts:
            if not any(p.exact(text) for p in public):
                return None
        for text in path.looses:
            if not any(p.loose(text) for p in public):
                return None
        return str(path.encoded)

    def required(self, path: NormalPath) -> list[Requirement]:
        """[entry] (if any) and the first rule matching each reading of the path: all are needed."""
        required: list[Requirement] = [self.entry] if self.entry is not None else []
        for texts, matches in ((path.exacts, _exact), (path.looses, _loose)):
            for text in texts:
                for patterns, needed in self.rules:
                    if any(matches(p, text) for p in patterns):
                        if needed not in required:
                            required.append(needed)
                        break
        return required

    def denial(self, path: NormalPath, person: Person) -> str | None:
        """None when the person may see the path; else the reason code of the first unmet requirement."""
        return first_unmet(person, self.required(path))


def _exact(pattern: Pattern, text: str) -> bool:
    return pattern.exact(text)


def _loose(pattern: Pattern, text: str) -> bool:
    return pattern.loose(text)
