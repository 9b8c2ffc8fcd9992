"""The docs site builds with `mkdocs build --strict` (scripts/docs --build): a broken link, a
missing anchor or a page left out of the nav fails the suite, so CI. And README.md is a front
page from which every docs page, and every section the old one-page README had, is one click away."""

from __future__ import annotations

import os
import re
import subprocess

import pytest

from tests.conftest import ROOT

# The sections of the one-page README before the docs site, each now a page or a heading on one.
FORMER_SECTIONS = {
    "Quick start": "docs/getting-started.md#quick-start",
    "How a request goes": "docs/how-it-works.md#how-a-request-goes",
    "Build the zip": "docs/getting-started.md#build-the-zip",
    "Identity providers": "docs/providers.md",
    "Configuration": "docs/configuration.md",
    "Sessions": "docs/how-it-works.md#sessions",
    "Performance": "docs/performance.md",
    "Security": "docs/security.md",
    "Run it locally": "docs/local.md",
    "The site": "docs/react-app.md#the-demo-site",
    "Your React app and its API": "docs/react-app.md",
    "Deploy to AWS": "docs/deploy.md#deploy-to-aws",
    "Use with an existing distribution": "docs/deploy.md#use-with-an-existing-distribution",
    "Operations": "docs/operations.md#operations",
    "Reason codes": "docs/operations.md#reason-codes",
    "Troubleshooting": "docs/operations.md#troubleshooting",
    "Tests": "docs/contributing.md#tests",
    "Layout": "docs/architecture.md#layout",
}


def readme() -> str:
    with open(os.path.join(ROOT, "README.md"), encoding="utf-8") as fh:
        return fh.read()


def headings(path: str) -> set[str]:
    """GitHub/mkdocs-style anchors of a page's headings."""
    with open(os.path.join(ROOT, path), encoding="utf-8") as fh:
        titles = re.findall(r"^#+ (.+)$", fh.read(), re.M)
    return {re.sub(r"[^\w\- ]", "", t.lower()).strip().replace(" ", "-") for t in titles}


def test_readme_is_a_front_page_with_every_former_section_one_click_away() -> None:
    text = readme()
    assert len(text.encode()) < 10_000  # a front page: the one-page README was 75 KB
    links = set(re.findall(r"\]\(([^)\s]+)\)", text))
    for section, target in FORMER_SECTIONS.items():
        assert target in links, f"README does not link to {section!r} ({target})"
        page, _, anchor = target.partition("#")
        assert os.path.isfile(os.path.join(ROOT, page)), target
        assert not anchor or anchor in headings(page), f"{page} has no heading for #{anchor}"


def test_readme_quick_start_commands_are_the_two_scripts() -> None:
    block = readme().split("## Quick start", 1)[1].split("```sh\n", 1)[1].split("```", 1)[0]
    commands = [line.split("#")[0].strip() for line in block.splitlines()]
    assert commands == ["scripts/demo", "scripts/test"]
    for script in commands:
        assert os.access(os.path.join(ROOT, script), os.X_OK)


def test_every_docs_page_is_in_the_nav_and_linked_from_readme() -> None:
    with open(os.path.join(ROOT, "mkdocs.yml"), encoding="utf-8") as fh:
        nav = set(re.findall(r"^  - [^:]+: (\S+\.md)$", fh.read(), re.M))
    pages = {name for name in os.listdir(os.path.join(ROOT, "docs")) if name.endswith(".md")}
    assert nav == pages
    links = readme()
    for page in pages - {"index.md"}:
        assert f"](docs/{page}" in links, f"README does not link to docs/{page}"


@pytest.mark.slow
def test_docs_site_builds_strict(tmp_path) -> None:
    result = subprocess.run(
        [os.path.join(ROOT, "scripts", "docs"), "--build", "--site-dir", str(tmp_path / "site")],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert (tmp_path / "site" / "operations" / "index.html").is_file()
    assert 'id="missing-group"' in (tmp_path / "site" / "operations" / "index.html").read_text()


def test_the_site_home_page_is_the_readme() -> None:
    """docs/index.md is README.md with its links made relative to docs/ (one text, two places)."""
    text = readme()
    text = text.replace("](docs/)", "](index.md)").replace("](docs/", "](")
    for outside in ("CHANGELOG.md)", "LICENSE)", "packages/"):
        text = text.replace(f"]({outside}", f"](../{outside}")
    text = text.replace(
        "The documentation is in [docs/](index.md), also built as a site",
        "These pages are in `docs/` of the repository, and built as this site",
    )
    with open(os.path.join(ROOT, "docs", "index.md"), encoding="utf-8") as fh:
        assert fh.read() == text, "docs/index.md differs from README.md: change both"
