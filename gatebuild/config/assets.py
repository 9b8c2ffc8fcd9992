"""[assets]: the site's built files (edge/paths.py ClientRoutes), never answered with the app
([site] spa), so no asset pattern may overlap an API path or the gate's own paths (either would
then be read as an asset, or an asset as theirs). Overlaps are found by the shared checker
(gatebuild/config/overlap.py)."""

from __future__ import annotations

from edge.settings import Api, Assets, Paths

from .access import check_pattern
from .mistakes import ConfigFileError
from .overlap import TooComplex, overlapping


def check_assets(section: dict, paths: Paths, apis: tuple[Api, ...]) -> Assets:
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
        raise ConfigFileError("assets.paths: the patterns are too complex to check for overlaps; use fewer '*'") from None
    return Assets(paths=patterns)
