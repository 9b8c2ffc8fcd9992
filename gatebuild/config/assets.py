"""[assets]: the site's built files (edge/paths.py ClientRoutes never answers them with the app)."""

from __future__ import annotations

from edge.settings import Api, Assets, Paths

from .access import check_pattern
from .mistakes import ConfigFileError
from .overlap import check_asset_paths


def check_assets(section: dict, paths: Paths, apis: tuple[Api, ...], given: bool = True) -> Assets:
    """[assets] paths: path patterns (an empty list is allowed), none overlapping the gate's own
    paths or [[apis]] (gatebuild/config/overlap.py). `given`: written in the config, not the default."""
    patterns = tuple(section["paths"])
    for pattern in patterns:
        if not isinstance(pattern, str) or not pattern:
            raise ConfigFileError('assets.paths: must be a list of path patterns, e.g. ["/assets/*"]')
        check_pattern("assets.paths", pattern)
    check_asset_paths(patterns, paths, apis, given)
    return Assets(paths=patterns)
