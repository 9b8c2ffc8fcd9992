"""[assets]: the site's built files (edge/paths.py ClientRoutes never answers them with the app).

With `signed_cookies = true` (issue 23) CloudFront lets an asset through on the signed cookies
alone, without the gate: every signed-in person who meets [entry] may then fetch every asset.
So an asset pattern must (1) be a cookie path, `/<prefix>/*` (a cookie's Path cannot express
a glob: RFC 6265 5.1.4), one cookie set per pattern; (2) not overlap another asset pattern
(two cookie sets would reach one request); (3) not overlap any [[rules]] pattern (its rule
would never be asked) nor paths.public (a public page's assets would need a session). The
overlaps are found by the shared checker (gatebuild/config/overlap.py)."""

from __future__ import annotations

from edge.cfsign import cookie_path
from edge.settings import Api, Assets, Paths, Rule

from .access import check_pattern
from .mistakes import ConfigFileError
from .overlap import TooComplex, check_asset_paths, overlapping


def check_assets(
    section: dict, paths: Paths, apis: tuple[Api, ...], given: bool = True, rules: tuple[Rule, ...] = ()
) -> Assets:
    """[assets] paths: path patterns (an empty list is allowed), none overlapping the gate's own
    paths or [[apis]] (gatebuild/config/overlap.py). `given`: written in the config, not the default."""
    patterns = tuple(section["paths"])
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ConfigFileError('assets.paths: must be a list of path patterns, e.g. ["/assets/*"]')
        check_pattern("assets.paths", pattern)
    check_asset_paths(patterns, paths, apis, given)
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
