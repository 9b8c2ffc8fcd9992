"""The gate's own pages and answers explain themselves (issue 17): branding under the strict CSP,
"Try again" / "Sign in again" keeping where the person was going, JSON 403, AAA contrast."""

import base64
import hashlib
import json
import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from freezegun import freeze_time

from edge import __version__
from gatebuild.config import ConfigFileError, validate
from tests.conftest import raw_config
from tests.support.cloudfront import FETCH_JSON, NAVIGATE, Browser, header, location_query

T0 = "2026-03-01 09:00:00"


# -- an independent WCAG 2 contrast oracle (https://www.w3.org/TR/WCAG22/#dfn-contrast-ratio) --


def _srgb_to_linear(v: int) -> float:
    s = v / 255
    return s / 12.92 if s <= 0.04045 else ((s + 0.055) / 1.055) ** 2.4


def wcag_ratio(fg: str, bg: str) -> float:
    def lum(colour: str) -> float:
        colour = colour.lstrip("#")
        if len(colour) == 3:
            colour = "".join(ch * 2 for ch in colour)
        r, g, b = (_srgb_to_linear(int(colour[i : i + 2], 16)) for i in (0, 2, 4))
        return 0.2126 * r + 0.7152 * g + 0.0722 * b

    hi, lo = sorted((lum(fg), lum(bg)), reverse=True)
    return (hi + 0.05) / (lo + 0.05)


def test_oracle_matches_published_values():
    assert round(wcag_ratio("#000", "#fff"), 2) == 21.0
    assert round(wcag_ratio("#777777", "#ffffff"), 2) == 4.48  # the classic just-fails-AA grey


def style_of(body: str) -> str:
    return re.search(r"<style>(.*?)</style>", body, re.S).group(1)


def rule(style: str, selector: str) -> dict:
    block = re.search(re.escape(selector) + r"\{([^}]*)\}", style).group(1)
    return dict(part.split(":", 1) for part in block.split(";") if part)


def assert_strict_csp(result):
    csp = header(result, "content-security-policy")
    assert csp.startswith("default-src 'none'; style-src 'sha256-")
    digest = base64.b64encode(hashlib.sha256(style_of(result["body"]).encode()).digest()).decode()
    assert f"'sha256-{digest}'" in csp  # the inline style is exactly the hashed one
    assert "script-src" not in csp and "unsafe" not in csp
    return csp


def assert_aaa(body: str):
    style = style_of(body)
    page, button = rule(style, "body"), rule(style, "a.button")
    assert wcag_ratio(page["color"], page["background"]) >= 7
    assert wcag_ratio(button["color"], button["background"]) >= 7


# -- pages ---------------------------------------------------------------------------------


@pytest.fixture
def branded(make_config, make_handler):
    config = make_config(
        paths={"public": ["/favicon.ico", "/brand/*"]},
        branding={
            "name": "Acme Field Notes",
            "logo": "/brand/logo.svg",
            "accent": "#14532d",
            "background": "#fffdf7",
            "text": "#222",
        },
    )
    return Browser(make_handler(config))


def test_default_pages_keep_the_strict_csp_and_reach_aaa(browser):
    result = browser.get("/docs", headers={"Accept": "text/html"} | {"Sec-Fetch-Mode": "cors"})
    assert result["status"] == "401"
    assert_strict_csp(result)
    assert_aaa(result["body"])
    assert "img-src" not in header(result, "content-security-policy")


def test_branded_pages_carry_name_logo_colours_under_the_strict_csp(branded, login):
    with freeze_time(T0):
        login(branded, "/", groups=("Viewer",))
        result = branded.get("/admin/x")
    assert result["status"] == "403"
    body = result["body"]
    assert "<title>You don&#x27;t have access to this page \u00b7 Acme Field Notes</title>" in body
    assert '<header><img src="/brand/logo.svg" alt="Acme Field Notes"></header>' in body
    style = style_of(body)
    assert rule(style, "body")["background"] == "#fffdf7" and rule(style, "body")["color"] == "#222222"
    assert rule(style, "a.button")["background"] == "#14532d"
    csp = assert_strict_csp(result)
    assert "; img-src 'self';" in csp  # no site.url: the same-site logo is allowed as 'self'
    assert_aaa(body)


def test_https_logo_is_allowed_exactly(make_config, make_handler):
    config = make_config(branding={"logo": "https://cdn.example.com/acme/logo.png"})
    result = Browser(make_handler(config)).get("/_gate/signed-out")
    assert "; img-src https://cdn.example.com/acme/logo.png;" in assert_strict_csp(result)
    assert 'alt=""' in result["body"]


def test_reason_code_is_a_small_reference_under_a_sentence(branded, login):
    with freeze_time(T0):
        login(branded, "/", groups=("Viewer",))
        body = branded.get("/admin")["body"]
    sentence = body.index("but this page needs a group you are not in")
    reference = body.index(
        f'<p class="ref">If you ask the site\'s support, quote: gate {__version__} \u00b7 Reason: missing_group</p>'
    )
    assert sentence < reference
    assert rule(style_of(body), ".ref")["font-size"] == ".875rem"


# -- ways on after an error ---------------------------------------------------------------------


@pytest.mark.slow
def test_idp_timeout_on_refresh_offers_try_again_for_the_same_page(browser, login, idp):
    with freeze_time(T0):
        login(browser, "/", groups=("Viewer",), lifetime=3600)
    idp.fault, idp.hang_seconds = "hang", 2.0
    with freeze_time("2026-03-01 10:05:00"):
        result = browser.get("/reports/q3?tab=2")
    assert result["status"] in ("503", "504")
    assert '<a class="button" href="/reports/q3?tab=2">Try again</a>' in result["body"]


def _start_login(browser, target):
    first = browser.get(target)
    assert first["status"] == "302"
    return location_query(first)


@pytest.mark.parametrize("error", ["access_denied", "server_error", "login_required"])
def test_cancel_or_error_at_the_idp_offers_sign_in_again_to_the_deep_link(browser, error):
    # The IdP sends the person back with error= and the state it was given (RFC 6749 4.1.2.1).
    with freeze_time(T0):
        query = _start_login(browser, "/docs/handbook?section=3")
        result = browser.get(f"/_gate/callback?error={error}&state={quote(query['state'])}")
    assert result["status"] == "400"
    link = re.search(r'<a class="button" href="([^"]+)">Sign in again</a>', result["body"]).group(1)
    link = link.replace("&amp;", "&")
    assert urlsplit(link).path == "/_gate/sign-in"
    assert parse_qs(urlsplit(link).query)["return"] == ["/docs/handbook?section=3"]
    assert f"Reason: idp_error_{error}<" in result["body"]
    with freeze_time(T0):  # and that link starts a sign-in that comes back to the deep link
        again = browser.get(link)
    assert again["status"] == "302"


def test_a_forged_or_expired_state_never_chooses_the_way_back(browser):
    with freeze_time(T0):
        query = _start_login(browser, "/docs/secret-place")
    forged = query["state"][:-3] + ("AAA" if not query["state"].endswith("AAA") else "BBB")
    with freeze_time(T0):
        result = browser.get(f"/_gate/callback?error=access_denied&state={quote(forged)}")
    assert 'return=%2F"' in result["body"]
    with freeze_time("2026-03-01 09:30:00"):  # the login state lives 10 minutes
        result = browser.get(f"/_gate/callback?error=access_denied&state={quote(query['state'])}")
    assert 'return=%2F"' in result["body"] and "secret-place" not in result["body"]


# -- JSON where JSON was asked for ---------------------------------------------------------------


def test_forbidden_is_json_when_the_request_asked_for_json(browser, login):
    with freeze_time(T0):
        login(browser, "/", groups=("Viewer",))
        result = browser.get("/admin/overview.json", headers=FETCH_JSON)
        page = browser.get("/admin/overview.json", headers=NAVIGATE)
    assert result["status"] == "403" and header(result, "content-type") == "application/json"
    assert json.loads(result["body"]) == {"signedIn": True, "error": "missing_group"}
    assert page["status"] == "403" and header(page, "content-type").startswith("text/html")


def test_errors_are_json_when_the_request_asked_for_json(browser):
    result = browser.get("/_gate/sign-out", headers=FETCH_JSON)  # sign-out must be a navigation
    assert result["status"] == "400" and header(result, "content-type") == "application/json"
    assert json.loads(result["body"]) == {"error": "sign_out_needs_navigation"}


# -- [branding] is checked at build -------------------------------------------------------------


@pytest.mark.parametrize(
    "branding,expected",
    [
        ({"accent": "blue"}, 'branding.accent: \'blue\' is not a colour; write it as "#rgb" or "#rrggbb"'),
        ({"accent": "#1f4ed8"}, "branding.accent: #1f4ed8 gives button text at most 6.69:1; WCAG AAA needs 7:1"),
        ({"text": "#777", "background": "#fff"}, "branding.text: #777777 on background #ffffff is 4.48:1"),
        ({"logo": "/brand/logo.svg"}, "branding.logo: '/brand/logo.svg' is not public"),
        (
            {"logo": "http://cdn.example.com/l.svg"},
            "branding.logo: 'http://cdn.example.com/l.svg' must be an https URL",
        ),
        ({"logo": "https://cdn.example.com/l.svg?v=2"}, "without query"),
        ({"logo": "https://cdn.example.com/l;script-src.svg"}, "must be an https URL"),
        ({"logo": "https://a;script-src 'unsafe-inline'.example.com/l.svg"}, "must be an https URL"),
        ({"logo": "https://user@cdn.example.com/l.svg"}, "must be an https URL"),
        ({"logo": "https://cdn.example.com/l.svg?"}, "without query"),
        ({"name": "a\nb"}, "branding.name: at most 60 characters, on one line"),
        ({"colour": "#fff"}, "branding.colour: unknown key"),
    ],
)
def test_branding_mistakes_name_the_key_and_the_fix(idp, branding, expected):
    with pytest.raises(ConfigFileError) as caught:
        validate(raw_config(idp.base, branding=branding))
    assert expected in str(caught.value) and "\n" not in str(caught.value)


def test_same_site_logo_with_site_url_is_allowed_exactly(idp):
    config, _ = validate(
        raw_config(
            idp.base,
            site={"url": "https://docs.example.com"},
            paths={"public": ["/logo.svg"]},
            branding={"logo": "/logo.svg"},
        )
    )
    assert config.branding.logo_src == "https://docs.example.com/logo.svg"


# -- the build's contrast check against the oracle -----------------------------------------------

from hypothesis import given  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from gatebuild.config import branding as build_branding  # noqa: E402

colours = st.integers(0, 0xFFFFFF).map(lambda n: f"#{n:06x}")


@given(colours, colours)
def test_build_contrast_matches_the_wcag_oracle(a, b):
    assert abs(build_branding.contrast(a, b) - wcag_ratio(a, b)) < 1e-9


@given(colours, colours, colours)
def test_build_accepts_exactly_the_aaa_colour_pairs(accent, background, text):
    section = {"accent": accent, "background": background, "text": text}
    ok = wcag_ratio(text, background) >= 7 and max(wcag_ratio("#ffffff", accent), wcag_ratio("#111111", accent)) >= 7
    try:
        brand = build_branding.validate(section, public_matches=lambda p: False, site_url="", error=ValueError)
    except ValueError:
        assert not ok
    else:
        assert ok and wcag_ratio(brand.button_text, brand.accent) >= 7
