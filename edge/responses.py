"""Responses generated at the edge, in the shape CloudFront requires.

`status` is a string, header names are lowercase keys of lists of {key, value}, and nothing
here sets a header CloudFront forbids in a generated response. Every generated response is
`Cache-Control: no-store` and carries a short human page (or JSON).
"""

from __future__ import annotations

from .digest import sha256
from .encoding import b64_encode

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Iterable

    from .settings import Branding
    from .typing_aliases import CfResponse, Headers, Json

MAX_RESPONSE_BYTES = 40 * 1024
STATUS_TEXT = {
    200: "OK",
    204: "No Content",
    302: "Found",
    400: "Bad Request",
    401: "Unauthorized",
    403: "Forbidden",
    405: "Method Not Allowed",
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Unavailable",
    504: "Gateway Timeout",
}
# The pages' only style, hashed into their CSP. Colours come from [branding] (checked for WCAG
# AAA contrast at build: gatebuild/config/branding.py); the reference line uses the text colour too.
_STYLE = (
    "body{font:16px/1.5 system-ui,sans-serif;max-width:36rem;margin:4rem auto;padding:0 1rem;"
    "color:%(text)s;background:%(background)s}h1{font-size:1.5rem}"
    "header{display:flex;align-items:center;gap:.75rem;font-weight:600}header img{max-height:2.5rem;max-width:10rem}"
    "a.button{display:inline-block;margin:.25rem .5rem .25rem 0;padding:.5rem 1rem;border-radius:.375rem;"
    "background:%(accent)s;color:%(button_text)s;text-decoration:none}"
    "a.button:focus{outline:3px solid %(text)s;outline-offset:2px}.ref{font-size:.875rem}"
)
_branding = None  # edge.settings.Branding, set by the Gate; None: the default look
_theme = None  # (style, csp, header html, title suffix), built on the first page


def set_branding(branding: Branding | None) -> None:
    global _branding, _theme
    _branding, _theme = branding, None


def _page_theme() -> tuple[str, str, str, str]:
    global _theme
    if _theme is None:
        brand = _branding
        if brand is None:
            from .settings import Branding  # only when no Gate was made (an internal error)

            brand = Branding()
        style = _STYLE % brand._asdict()
        img = f"; img-src {brand.logo_src}" if brand.logo_src else ""
        csp = (
            f"default-src 'none'; style-src 'sha256-{b64_encode(sha256(style.encode()))}'{img}; "
            "base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
        )
        header = ""
        if brand.logo or brand.name:
            logo = f'<img src="{escape(brand.logo)}" alt="{escape(brand.name)}">' if brand.logo else ""
            name = escape(brand.name) if brand.name and not brand.logo else ""
            header = f"<header>{logo}{name}</header>"
        _theme = (style, csp, header, f" · {brand.name}" if brand.name else "")
    return _theme


def page_csp() -> str:
    return _page_theme()[1]


def escape(text: str) -> str:
    """html.escape without importing html (and its entity tables) on every cold start."""
    return (
        text.replace("&", "&amp;")
        .replace("<", "&lt;")
        .replace(">", "&gt;")
        .replace('"', "&quot;")
        .replace("'", "&#x27;")
    )


def _header(name: str, value: str) -> list[dict[str, str]]:
    return [{"key": name, "value": value}]


def _base_headers(content_type: str) -> Headers:
    return {
        "content-type": _header("Content-Type", content_type),
        "cache-control": _header("Cache-Control", "no-store"),
        "x-content-type-options": _header("X-Content-Type-Options", "nosniff"),
        "referrer-policy": _header("Referrer-Policy", "no-referrer"),
    }


def response(
    status: int, body: str, content_type: str, set_cookies: Iterable[str] = (), extra: Headers | None = None
) -> CfResponse:
    headers = _base_headers(content_type)
    if extra:
        headers.update(extra)
    if set_cookies:
        headers["set-cookie"] = [{"key": "Set-Cookie", "value": line} for line in set_cookies]
    return {
        "status": str(status),
        "statusDescription": STATUS_TEXT.get(status, "OK"),
        "headers": headers,
        "body": body,
    }


def redirect(location: str, set_cookies: Iterable[str] = ()) -> CfResponse:
    body = page("Redirecting", f'<p><a href="{escape(location)}">Continue</a></p>')
    return response(
        302,
        body,
        "text/html; charset=utf-8",
        set_cookies,
        {
            "location": _header("Location", location),
            "content-security-policy": _header("Content-Security-Policy", page_csp()),
        },
    )


def html_page(
    status: int, title: str, body_html: str, set_cookies: Iterable[str] = (), extra: Headers | None = None
) -> CfResponse:
    headers = {
        "content-security-policy": _header("Content-Security-Policy", page_csp()),
        "x-frame-options": _header("X-Frame-Options", "DENY"),
    }
    if extra:
        headers.update(extra)
    return response(status, page(title, body_html), "text/html; charset=utf-8", set_cookies, headers)


def json_response(status: int, data: Json, set_cookies: Iterable[str] = (), extra: Headers | None = None) -> CfResponse:
    import json  # only who-am-I and JSON 401s need it: kept off the redirect path's cold start

    return response(status, json.dumps(data, separators=(",", ":")), "application/json", set_cookies, extra)


def header(name: str, value: str) -> list[dict[str, str]]:
    """One header entry in CloudFront's shape, for `extra=`."""
    return _header(name, value)


def page(title: str, body_html: str) -> str:
    style, _, header, suffix = _page_theme()
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width,initial-scale=1">'
        f"<title>{escape(title + suffix)}</title><style>{style}</style></head>"
        f"<body>{header}<main><h1>{escape(title)}</h1>{body_html}</main></body></html>"
    )


def size_of(resp: CfResponse) -> int:
    total = len(resp.get("body", "").encode())
    for entries in resp.get("headers", {}).values():
        for entry in entries:
            total += len(entry["key"]) + len(entry["value"].encode()) + 4
    return total
