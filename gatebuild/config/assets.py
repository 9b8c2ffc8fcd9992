"""[assets]: the site's built files (edge/paths.py ClientRoutes), never answered with the app
([site] spa), so no asset pattern may overlap an API path or the gate's own paths (either would
then be read as an asset, or an asset as theirs). Overlaps are found by the shared checker
(gatebuild/config/overlap.py).

With `signed_cookies = true` (issue 23) CloudFront lets an asset through on the signed cookies
alone, without the gate: every signed-in person who meets [entry] may then fetch every asset.
So an asset pattern must (1) be a cookie path, `/<prefix>/*` (a cookie's Path cannot express
a glob: RFC 6265 5.1.4), one cookie set per pattern; (2) not overlap another asset pattern
(two cookie sets would reach one request); (3) not overlap any [[rules]] pattern (its rule
would never be asked) nor paths.public (a public page's assets would need a session)."""

from __future__ import annotations

from edge.cfsign import cookie_path
from edge.settings import Api, Assets, Paths, Rule

from .access import check_pattern
from .mistakes import ConfigFileError
from .overlap import TooComplex, overlapping


def check_assets(section: dict, paths: Paths, apis: tuple[Api, ...], rules: tuple[Rule, ...] = ()) -> Assets:
    patterns = tuple(section["paths"])
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ConfigFileError('assets.paths: must be a list of path patterns, e.g. ["/assets/*"]')
        check_pattern("assets.paths", pattern)
    gate = [(f"the gate's own path {p!r}", p) for p in ("/_gate/*", *paths.gate_paths())]
    others = [*gate, *((f"[[apis]] paths {p!r}", p) for api in apis for p in api.paths)]
    try:
        for pattern in patterns:
            for what, other in others:
                sample = overlapping(pattern, other, paths.case_sensitive)
                if sample is not None:
                    raise ConfigFileError(
                        f"assets.paths: {pattern!r} overlaps {what} (both match {sample!r}); "
                        'an asset path is only for the site\'s own files: narrow it, e.g. "/assets/*"'
                    )
    except TooComplex:
        raise ConfigFileError(
            "assets.paths: the patterns are too complex to check for overlaps; use fewer '*'"
        ) from None
    signed = section["signed_cookies"]
    if signed:
        _check_signed(patterns, paths, rules)
    return Assets(paths=patterns, signed_cookies=signed)


def _check_signed(patterns: tuple[str, ...], paths: Paths, rules: tuple[Rule, ...]) -> None:
    off = "or set [assets] signed_cookies = false"
    if not patterns:
        raise ConfigFileError(f'assets.paths: signed_cookies needs at least one asset path, e.g. ["/assets/*"]; {off}')
    for pattern in patterns:
        if cookie_path(pattern) is None:
            raise ConfigFileError(
                f"assets.paths: {pattern!r} cannot be a cookie path (signed_cookies); write it as a directory "
                f'with no wildcard but the final one, e.g. "/assets/*", {off}'
            )
    case = paths.case_sensitive
    others = [
        *((f"another asset path {b!r}", a, b) for i, a in enumerate(patterns) for b in patterns[i + 1 :]),
        *((f"paths.public {p!r}", a, p) for a in patterns for p in paths.public),
        *((f"rules[{n}].paths {p!r}", a, p) for a in patterns for n, r in enumerate(rules, start=1) for p in r.paths),
    ]
    try:
        for what, pattern, other in others:
            sample = overlapping(pattern, other, case)
            if sample is not None:
                raise ConfigFileError(
                    f"assets.paths: {pattern!r} overlaps {what} (both match {sample!r}); with signed_cookies "
                    "CloudFront serves every asset path to anyone signed in, without the gate's rules: keep "
                    f"protected and public files out of the asset paths, {off}"
                )
    except TooComplex:
        raise ConfigFileError(
            "assets.paths: the patterns are too complex to check for overlaps; use fewer '*'"
        ) from None
