"""[branding]: the site's name, logo and colours on the gate's own pages, checked at build.

Every colour pair a person reads on those pages must reach WCAG 2 AAA contrast (7:1, success
criterion 1.4.6; ratio and relative luminance as defined in WCAG 2.2,
https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio). The button text colour is chosen here
(white or near-black, whichever contrasts more with the accent). The logo is an https URL or
a same-site path that paths.public lets through (people who are not signed in see these pages);
the page CSP then allows exactly that image (edge/responses.py).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from edge.settings import Branding

AAA = 7.0
HEX_COLOUR = re.compile(r"^#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})\Z")
# What may appear in a CSP source expression's path and in an unquoted-safe URL here.
LOGO_PATH = re.compile(r"^/[A-Za-z0-9._~!$&'()*+=:@/-]*\Z")
LOGO_HOST = re.compile(r"^[A-Za-z0-9.-]+(?::[0-9]{1,5})?\Z")  # netloc, no user info: safe in a CSP source
LIGHT, DARK = "#ffffff", "#111111"
NAME_MAX = 60


def normalise_colour(key: str, value: str, error) -> str:
    if not isinstance(value, str) or not HEX_COLOUR.match(value):
        raise error(f'{key}: {value!r} is not a colour; write it as "#rgb" or "#rrggbb", e.g. "#1e40af"')
    digits = value[1:].lower()
    if len(digits) == 3:
        digits = "".join(c * 2 for c in digits)
    return "#" + digits


def luminance(colour: str) -> float:
    """WCAG relative luminance of "#rrggbb"."""

    def channel(hex2: str) -> float:
        c = int(hex2, 16) / 255
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(colour[i : i + 2]) for i in (1, 3, 5))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(a: str, b: str) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


def validate(section: dict, *, public_matches, site_url: str, error) -> Branding:
    """section: the [branding] keys as given (None when absent). public_matches(path) -> bool."""
    defaults = Branding()
    name = section.get("name") or ""
    if len(name) > NAME_MAX or any(ord(c) < 32 or ord(c) == 127 for c in name):
        raise error(f"branding.name: at most {NAME_MAX} characters, on one line")
    colours = {}
    for key in ("accent", "background", "text"):
        given = section.get(key)
        colours[key] = (
            normalise_colour(f"branding.{key}", given, error) if given is not None else getattr(defaults, key)
        )
    ratio = contrast(colours["text"], colours["background"])
    if ratio < AAA:
        raise error(
            f"branding.text: {colours['text']} on background {colours['background']} is {ratio:.2f}:1; "
            f"WCAG AAA needs {AAA:.0f}:1, so darken the text or lighten the background"
        )
    button_text = max((LIGHT, DARK), key=lambda c: contrast(c, colours["accent"]))
    ratio = contrast(button_text, colours["accent"])
    if ratio < AAA:
        raise error(
            f"branding.accent: {colours['accent']} gives button text at most {ratio:.2f}:1; "
            f"WCAG AAA needs {AAA:.0f}:1, so choose a darker (or much lighter) accent"
        )
    logo = section.get("logo") or ""
    logo_src = ""
    if logo:
        logo_src = _logo_source(logo, public_matches, site_url, error)
    return Branding(
        name=name,
        logo=logo,
        logo_src=logo_src,
        accent=colours["accent"],
        background=colours["background"],
        text=colours["text"],
        button_text=button_text,
    )


def _logo_source(logo: str, public_matches, site_url: str, error) -> str:
    if logo.startswith("/"):
        if not LOGO_PATH.match(logo) or "//" in logo or "/../" in logo or "/./" in logo:
            raise error(f'branding.logo: {logo!r} must be a plain path such as "/brand/logo.svg" (no query)')
        if not public_matches(logo):
            raise error(
                f"branding.logo: {logo!r} is not public, so people who are not signed in could not "
                "load it on the gate's pages; add it to paths.public"
            )
        # CSP: a path needs a host; without site.url, 'self' (any same-site image) is the best fit.
        return site_url + logo if site_url else "'self'"
    parts = urlsplit(logo)
    if (
        parts.scheme != "https"
        or any(ord(c) <= 32 or ord(c) == 127 for c in logo)  # urlsplit drops tabs and newlines
        or not LOGO_HOST.match(parts.netloc)
        or parts.query
        or parts.fragment
        or "?" in logo
        or "#" in logo
        or not LOGO_PATH.match(parts.path or "/")
    ):
        raise error(
            f"branding.logo: {logo!r} must be an https URL without query, such as "
            '"https://cdn.example.com/logo.svg", or a same-site path such as "/brand/logo.svg"'
        )
    return logo
