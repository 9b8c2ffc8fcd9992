"""The site's footer text reaches WCAG AAA contrast (7:1) against its background (issue 17).

Colours are read from the site's own CSS (custom properties resolved), and the ratio is
computed from WCAG's definition (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio).
"""

import os
import re

from tests.gate.test_pages import wcag_ratio
from tests.local.conftest import ROOT

STYLES = os.path.join(ROOT, "site", "src", "styles")


def _css() -> str:
    return "".join(open(os.path.join(STYLES, name)).read() for name in sorted(os.listdir(STYLES)))


def _declarations(css: str, selector: str) -> dict:
    block = re.search(r"(?m)^" + re.escape(selector) + r"\s*\{([^}]*)\}", css).group(1)
    pairs = (line.split(":", 1) for line in block.split(";") if ":" in line)
    return {k.strip(): v.strip() for k, v in pairs}


def _resolve(css: str, value: str) -> str:
    variables = dict(re.findall(r"(--[\w-]+):\s*(#[0-9a-fA-F]{3,6})", css))
    return re.sub(r"var\((--[\w-]+)\)", lambda m: variables[m.group(1)], value)


def test_footer_text_reaches_aaa():
    css = _css()
    footer = _declarations(css, ".site-footer")
    colour, background = _resolve(css, footer["color"]), _resolve(css, footer["background"])
    assert wcag_ratio(colour, background) >= 7, (colour, background)


def test_muted_text_reaches_aaa_on_every_light_background_it_sits_on():
    css = _css()
    muted = _resolve(css, "var(--ink-muted)")
    for background in ("var(--paper)", "var(--paper-alt)", "var(--brand-tint)"):
        assert wcag_ratio(muted, _resolve(css, background)) >= 7, background
