"""Whether path patterns overlap, in every reading of a path the gate makes: the one overlap check
for paths.public, [[rules]] and [[apis]] (and any later feature that must keep patterns apart).

The gate matches a pattern against each reading of a request path (edge/paths.py): the exact
readings (decoded, resolved, cut at a decoded "?" or "#", each PATH_INFO prefix that looks like a
file, the root's index object) with the pattern as written, or with both folded when
paths.case_sensitive is false; and the loose readings (also cut at ";" and ":", trailing dots
and spaces dropped, case-folded) with the pattern folded. Each reading is a string matched
against the pattern, so two patterns can both match some reading of some request only if they
both match one string in one of these `forms`: as written, or both folded (`fold`). So:

- `overlapping(a, b)`: a string both match in some form (an example path), or None: then no
  reading of any request matches both;
- `covers(outer, inner)`: every string `inner` matches, `outer` matches too, in every form;
- `first_overlap(patterns, others)`: the first pair from two lists that overlaps, with the example.

The strings are found exactly (gatebuild/config/globs.py walks the patterns' automata), never by
trying sample paths. A string found may be one no request reads as (e.g. ending in "."): the
build then refuses an overlap that could not quite happen, never the other way round.
`TooComplex` is raised when patterns have too many ways to match together to compare.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence

from edge.paths import GATE_PATHS_PATTERN, fold
from edge.settings import Api, Paths, Rule

from . import globs
from .mistakes import ConfigFileError
from .schema import WHO_KEYS

TooComplex = globs.TooComplex
Form = Callable[[str], str]


def forms(case_sensitive: bool) -> tuple[Form, ...]:
    """How the gate compares patterns with readings: as written (only when case-sensitive) and folded."""
    return (str, fold) if case_sensitive else (fold,)


def _witness(form: Form, must: Iterable[str], must_not: Iterable[str] = ()) -> str | None:
    return globs.witness([form(p) for p in must], [form(p) for p in must_not])


def overlapping(a: str, b: str, case_sensitive: bool = True, outside: Sequence[str] = ()) -> str | None:
    """A path both patterns match in some reading (and no `outside` pattern matches), or None."""
    for form in forms(case_sensitive):
        sample = _witness(form, [a, b], outside)
        if sample is not None:
            return sample
    return None


def covers(outer: str, inner: str, case_sensitive: bool = True) -> bool:
    """Every path `inner` matches, `outer` matches too, in every reading."""
    return all(_witness(form, [inner], [outer]) is None for form in forms(case_sensitive))


def first_overlap(
    patterns: Iterable[str], others: Iterable[str], case_sensitive: bool = True
) -> tuple[str, str, str] | None:
    """(pattern, other, example path) for the first pattern of `patterns` that overlaps one of `others`."""
    others = list(others)
    for pattern in patterns:
        for other in others:
            sample = overlapping(pattern, other, case_sensitive)
            if sample is not None:
                return pattern, other, sample
    return None


# -- the configuration's policies ----------------------------------------------------------------


def check_overlaps(paths: Paths, rules: list[Rule]) -> None:
    """Public patterns come first, then rules in order, and the first match decides. Refuse what
    would silently weaken a rule: a rule covered by what comes before it (it can never match),
    and a public pattern or an earlier rule with fewer restrictions that matches *part* of a
    rule. An earlier pattern lying wholly inside the later one is a deliberate exception and
    allowed. Checked in every reading (`forms`)."""
    try:
        _check_overlaps_in(paths, rules)
    except TooComplex:
        raise ConfigFileError(
            "rules: the path patterns are too complex to check for overlaps; use fewer '*' per pattern"
        ) from None


def _check_overlaps_in(paths: Paths, rules: list[Rule]) -> None:
    case = paths.case_sensitive
    for index, rule in enumerate(rules, start=1):
        where = f"rules[{index}].paths"
        for later in rule.paths:
            for pattern in paths.public:
                if covers(pattern, later, case):
                    raise ConfigFileError(
                        f"{where}: {later!r} can never apply because paths.public has {pattern!r}, "
                        "and public paths need no sign-in; narrow or remove that public pattern"
                    )
                sample = _part_of(pattern, later, [], case)
                if sample is not None:
                    raise ConfigFileError(
                        f"paths.public: {pattern!r} would make part of {where} {later!r} public "
                        f"(both match {sample!r}); narrow the public pattern so it stays outside the rule"
                    )
            decided: list[str] = []  # patterns of the rules before `earlier`: they decide first
            for before_index, earlier in enumerate(rules[: index - 1], start=1):
                for pattern in earlier.paths:
                    if covers(pattern, later, case):
                        raise ConfigFileError(
                            f"{where}: {later!r} can never match because {pattern!r} comes first "
                            "(first match wins); move this rule up or narrow the earlier pattern"
                        )
                    if all(set(getattr(earlier, k)) <= set(getattr(rule, k)) for k in WHO_KEYS):
                        continue  # anyone the earlier rule lets in, this one would let in too
                    sample = _part_of(pattern, later, decided, case)
                    if sample is not None:
                        raise ConfigFileError(
                            f"{where}: {later!r} and rules[{before_index}].paths {pattern!r} both match "
                            f"{sample!r}, and the first match wins, so rules[{before_index}] would decide part "
                            "of this rule; make the patterns not overlap, or put a narrower exception first"
                        )
                decided.extend(earlier.paths)


def _part_of(earlier: str, later: str, decided: list[str], case_sensitive: bool) -> str | None:
    """A path both match (and no `decided` pattern does), unless `earlier` lies wholly inside
    `later` (an exception the user wrote on purpose) and is not all of it."""
    for form in forms(case_sensitive):
        sample = _witness(form, [earlier, later], decided)
        if sample is None:
            continue
        inside = _witness(form, [earlier], [later]) is None
        if not inside or _witness(form, [later], [earlier]) is None:
            return sample
    return None


def check_api_paths(where: str, patterns: Sequence[str], paths: Paths) -> None:
    """An API path always needs a session: no reading of any path an [[apis]] pattern matches may
    be public, so refuse every overlap with paths.public (no exceptions, unlike rules: a public
    path under an API would reach it with no session and no same-origin check)."""
    try:
        for pattern in patterns:
            for public in paths.public:
                if covers(public, pattern, paths.case_sensitive):
                    raise ConfigFileError(
                        f"{where}: {pattern!r} is also public in paths.public; "
                        "an API path needs a session, remove it from one of them"
                    )
                sample = overlapping(public, pattern, paths.case_sensitive)
                if sample is not None:
                    raise ConfigFileError(
                        f"paths.public: {public!r} would make part of {where} {pattern!r} public "
                        f"(both match {sample!r}); an API path needs a session: narrow the public pattern "
                        "so it stays outside the API"
                    )
    except TooComplex:
        raise ConfigFileError(
            f"{where}: the path patterns are too complex to check for overlaps with paths.public; "
            "use fewer '*' per pattern"
        ) from None


def check_asset_paths(patterns: Sequence[str], paths: Paths, apis: Sequence[Api], given: bool = True) -> None:
    """[assets] paths are the site's own files, never answered with the app ([site] spa): none
    may overlap the gate's own paths or an [[apis]] pattern in any reading (a request there would
    be taken for an asset, or an asset for theirs; and with signed cookies an asset path becomes
    a behavior of its own, where a gate or API path must never land)."""
    others = [(f"the gate's own path {p!r}", p) for p in (GATE_PATHS_PATTERN, *paths.gate_paths())]
    others += [(f"[[apis]] paths {p!r}", p) for api in apis for p in api.paths]
    try:
        for pattern in patterns:
            for what, other in others:
                sample = overlapping(pattern, other, paths.case_sensitive)
                if sample is not None and not given:
                    raise ConfigFileError(
                        f"assets.paths: the default {pattern!r} overlaps {what} (both match {sample!r}); "
                        "list your site's asset patterns under [assets] paths (or paths = [] for none)"
                    )
                if sample is not None:
                    raise ConfigFileError(
                        f"assets.paths: {pattern!r} overlaps {what} (both match {sample!r}); an asset path is "
                        'only for the site\'s own files: narrow it, e.g. "/assets/*"'
                    )
    except TooComplex:
        raise ConfigFileError(
            "assets.paths: the path patterns are too complex to check for overlaps; use fewer '*' per pattern"
        ) from None
