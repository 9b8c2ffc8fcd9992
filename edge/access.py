"""Who may see a path: public patterns, first-match rules and the person's groups. Pure.

Public patterns are tried first; a path is public only in its canonical spelling (a public
request goes on untouched, so the origin must see exactly the path that was matched) and only
when every reading of it is public (paths.py). Otherwise a person needs a session, and must
satisfy the first matching rule of every reading. The build refuses configurations where a
public pattern or an earlier rule would open part of a later rule (gatebuild/config_file.py).
"""

from __future__ import annotations

from .paths import NormalPath, Pattern
from .settings import Paths, Rule


class AccessPolicy:
    def __init__(self, paths: Paths, rules: tuple[Rule, ...]):
        case_sensitive = paths.case_sensitive
        self.public = tuple(Pattern(p, case_sensitive) for p in paths.public)
        self.rules = tuple(
            (tuple(Pattern(p, case_sensitive) for p in rule.paths), frozenset(rule.groups)) for rule in rules
        )

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
        return path.encoded

    def required_groups(self, path: NormalPath) -> list[frozenset[str]]:
        """The groups of the first rule matching each reading of the path: one of each is needed."""
        required: list[frozenset[str]] = []
        for texts, matches in ((path.exacts, _exact), (path.looses, _loose)):
            for text in texts:
                for patterns, groups in self.rules:
                    if any(matches(p, text) for p in patterns):
                        if groups not in required:
                            required.append(groups)
                        break
        return required

    def missing_group(self, path: NormalPath, member_of: frozenset[str]) -> frozenset[str] | None:
        """None when the person may see the path; else the groups of a rule they don't satisfy."""
        for groups in self.required_groups(path):
            if not groups & member_of:
                return groups
        return None


def _exact(pattern: Pattern, text: str) -> bool:
    return pattern.exact(text)


def _loose(pattern: Pattern, text: str) -> bool:
    return pattern.loose(text)
