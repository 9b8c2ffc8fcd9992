"""Screenshots in the docs are made by scripts/screenshots from the running demo, never by hand:
the script's list of shots (local/screenshot.py SHOTS) is exactly the set of images that README.md
and docs/*.md reference, and each of those images is in the repository."""

from __future__ import annotations

import glob
import os
import posixpath
import re

from local.screenshot import SHOTS
from tests.conftest import ROOT

IMAGE = re.compile(r"!\[[^\]]*\]\(([^)\s]+)\)|<img[^>]+src=\"([^\"]+)\"")


def referenced_images() -> set[str]:
    """Repository paths of every image a doc page shows."""
    found: set[str] = set()
    pages = [os.path.join(ROOT, "README.md"), *glob.glob(os.path.join(ROOT, "docs", "*.md"))]
    for page in pages:
        folder = posixpath.dirname(os.path.relpath(page, ROOT).replace(os.sep, "/"))
        with open(page, encoding="utf-8") as fh:
            for match in IMAGE.finditer(fh.read()):
                src = match.group(1) or match.group(2)
                if not src.startswith(("http://", "https://")):
                    found.add(posixpath.normpath(posixpath.join(folder, src)))
    return found


def test_the_script_makes_exactly_the_images_the_docs_use() -> None:
    made = {shot.out for shot in SHOTS}
    used = referenced_images()
    assert "docs/screenshot-site.png" in used  # the README's picture is found
    assert used - made == set(), "images the docs show that scripts/screenshots does not make"
    assert made - used == set(), "shots scripts/screenshots makes that no doc shows"


def test_every_shot_is_committed_and_a_png() -> None:
    for shot in SHOTS:
        with open(os.path.join(ROOT, shot.out), "rb") as fh:
            assert fh.read(8) == b"\x89PNG\r\n\x1a\n", shot.out
