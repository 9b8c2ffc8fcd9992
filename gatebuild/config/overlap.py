"""Whether path patterns overlap, as the gate reads paths."""

from __future__ import annotations

from edge.paths import fold
from edge.settings import Paths, Rule

from . import globs
from .mistakes import ConfigFileError
from .schema import WHO_KEYS


def check_overlaps(paths: Paths, rules: list[Rule]) -> None:
    """Public patterns come first, then rules in order, and the first match decides. Refuse what
    would silently weaken a rule: a rule covered by what comes before it (it can never match),
    and a public pattern or an earlier rule with fewer restrictions that matches *part* of a
    rule. An earlier pattern lying wholly inside the later one is a deliberate exception and
    allowed. Checked on the patterns as written and case-folded (the loose reading)."""
    try:
        _check_overlaps_in(paths, rules)
    except globs.TooComplex:
        raise ConfigFileError(
            "rules: the path patterns are too complex to check for overlaps; use fewer '*' per pattern"
        ) from None


def _check_overlaps_in(paths: Paths, rules: list[Rule]) -> None:
    forms = [fold] if not paths.case_sensitive else [str, fold]
    for index, rule in enumerate(rules, start=1):
        where = f"rules[{index}].paths"
        for later in rule.paths:
            for pattern in paths.public:
                if covered(later, pattern, forms):
                    raise ConfigFileError(
                        f"{where}: {later!r} can never apply because paths.public has {pattern!r}, "
                        "and public paths need no sign-in; narrow or remove that public pattern"
                    )
                sample = part_of(pattern, later, [], forms)
                if sample is not None:
                    raise ConfigFileError(
                        f"paths.public: {pattern!r} would make part of {where} {later!r} public "
                        f"(both match {sample!r}); narrow the public pattern so it stays outside the rule"
                    )
            decided: list[str] = []  # patterns of the rules before `earlier`: they decide first
            for before_index, earlier in enumerate(rules[: index - 1], start=1):
                for pattern in earlier.paths:
                    if covered(later, pattern, forms):
                        raise ConfigFileError(
                            f"{where}: {later!r} can never match because {pattern!r} comes first "
                            "(first match wins); move this rule up or narrow the earlier pattern"
                        )
                    if all(set(getattr(earlier, k)) <= set(getattr(rule, k)) for k in WHO_KEYS):
                        continue  # anyone the earlier rule lets in, this one would let in too
                    sample = part_of(pattern, later, decided, forms)
                    if sample is not None:
                        raise ConfigFileError(
                            f"{where}: {later!r} and rules[{before_index}].paths {pattern!r} both match "
                            f"{sample!r}, and the first match wins, so rules[{before_index}] would decide part "
                            "of this rule; make the patterns not overlap, or put a narrower exception first"
                        )
                decided.extend(earlier.paths)


def covered(later: str, earlier: str, forms) -> bool:
    """Everything `later` matches, `earlier` matches too."""
    return all(globs.witness([f(later)], [f(earlier)]) is None for f in forms)


def part_of(earlier: str, later: str, decided: list[str], forms) -> str | None:
    """A path both match (and no `decided` pattern does), unless `earlier` lies wholly inside
    `later` (an exception the user wrote on purpose) and is not all of it."""
    for f in forms:
        sample = globs.witness([f(earlier), f(later)], [f(d) for d in decided])
        if sample is None:
            continue
        inside = globs.witness([f(earlier)], [f(later)]) is None
        if not inside or globs.witness([f(later)], [f(earlier)]) is None:
            return sample
    return None
