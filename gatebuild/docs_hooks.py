"""mkdocs hook (mkdocs.yml `hooks:`): links from docs/ to files elsewhere in the repository.

The docs are read in two places: on GitHub, where `[template](../cloudformation.yaml)` from
docs/deploy.md opens the file, and in the mkdocs site, where mkdocs (1.6) resolves relative links
only inside docs_dir and `--strict` fails on `../cloudformation.yaml` as "not found" (mkdocs'
`validation: links: not_found` can only silence every broken link at once, which would also hide
the ones we want to catch). So, before mkdocs validates the page:

- a relative link that leaves docs/ and names a file that exists in the repository is rewritten:
  to `<repo_url>/blob/main/<path>` when mkdocs.yml sets `repo_url`, else to a copy of the file
  that this hook adds to the built site under `repo/` (a `.md` file is copied as `<name>.txt`, so
  it is shown as text and not built as a page with links of its own);
- one that names no file is logged as a warning, which `mkdocs build --strict` turns into a
  failure, like any other broken link.
"""

from __future__ import annotations

import logging
import os
import posixpath
import re
from typing import Any

from mkdocs.structure.files import File, Files

log = logging.getLogger("mkdocs.plugins.gate_docs")

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
LINK = re.compile(r"(\]\()(\.\./[^)\s#]+)(#[^)\s]*)?(\))")
COPY_DIR = "repo"


def outside_target(page_src_uri: str, href: str) -> str | None:
    """The repository path a page's relative link names when it leaves docs/, else None."""
    joined = posixpath.normpath(posixpath.join("docs", posixpath.dirname(page_src_uri), href))
    if joined.startswith("docs/") or joined == "docs" or joined.startswith(".."):
        return None
    return joined


def copy_uri(path: str) -> str:
    return f"{COPY_DIR}/{path}.txt" if path.endswith(".md") else f"{COPY_DIR}/{path}"


def _targets(docs_dir: str) -> set[str]:
    found: set[str] = set()
    for folder, _dirs, names in os.walk(docs_dir):
        for name in names:
            if not name.endswith(".md"):
                continue
            src = os.path.relpath(os.path.join(folder, name), docs_dir).replace(os.sep, "/")
            with open(os.path.join(folder, name), encoding="utf-8") as fh:
                for match in LINK.finditer(fh.read()):
                    target = outside_target(src, match.group(2))
                    if target and os.path.isfile(os.path.join(ROOT, target)):
                        found.add(target)
    return found


def on_files(files: Files, config: Any) -> Files:
    if config.get("repo_url"):
        return files
    for target in sorted(_targets(config["docs_dir"])):
        files.append(File.generated(config, copy_uri(target), abs_src_path=os.path.join(ROOT, target)))
    return files


def on_page_markdown(markdown: str, page: Any, config: Any, files: Files) -> str:
    src = page.file.src_uri
    repo_url = (config.get("repo_url") or "").rstrip("/")

    def rewrite(match: re.Match[str]) -> str:
        href, fragment = match.group(2), match.group(3) or ""
        target = outside_target(src, href)
        if target is None:
            return match.group(0)
        if not os.path.exists(os.path.join(ROOT, target)):
            log.warning("Doc file '%s' links to '%s', which is not a file in the repository.", src, href)
            return match.group(0)
        if repo_url:
            return f"{match.group(1)}{repo_url}/blob/main/{target}{fragment}{match.group(4)}"
        if os.path.isdir(os.path.join(ROOT, target)):
            log.warning("Doc file '%s' links to the folder '%s': link a file in it.", src, href)
            return match.group(0)
        local = posixpath.relpath(copy_uri(target), posixpath.dirname(src) or ".")
        return f"{match.group(1)}{local}{match.group(4)}"

    return LINK.sub(rewrite, markdown)
