"""Shared checks for the security suite: what "nothing got in" means, as code.

The fixtures of tests/conftest.py (keys, other_keys, idp, make_config, make_handler, handler,
browser, login) are used as they are. This file adds:

- `assert_response` / `assert_location_same_site`: the shape every generated response must
  have, and what a same-site redirect is;
- `assert_not_let_in`: a protected request was answered at the edge, never passed on;
- origin models (`ORIGINS`, `MORE_ORIGINS`): how S3 (with "+" as a space, and "/" as a bucket
  listing), an RFC 3986 web server, a Windows/IIS or Java origin folding case by upper- or by
  lower-casing (with and without NTFS stream names), a proxy that parses a decoded "?"/"#" again,
  an origin serving PATH_INFO and a Java servlet container would map a forwarded URI onto a
  stored object, to decide whether a URI the gate let through could still reach an object under
  a protected prefix;
- `signed_in`: a browser that has completed a real login through the local IdP.
"""

from __future__ import annotations

import json
import re
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import pytest

from tests.support.cloudfront import FETCH_JSON, HOST, NAVIGATE, Browser, event, header

ID, RT, AT = "__Host-gate-id", "__Host-gate-rt", "__Host-gate-at"
LOGIN_PREFIX = "__Host-gate-login-"
AUTHORIZE = "https://auth.example.com/oauth2/authorize?"
SITE = f"https://{HOST}"
GATE_PATHS = ("/_gate/callback", "/_gate/sign-in", "/_gate/sign-out", "/_gate/signed-out", "/_gate/me")
ALLOWED_STATUSES = {"200", "302", "400", "401", "403", "502", "503", "504"}
FORBIDDEN_HEADERS = {
    "connection",
    "expect",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "trailer",
    "upgrade",
    "x-accel-buffering",
    "x-cache",
    "x-real-ip",
    "x-forwarded-proto",
    "content-length",
    "host",
    "transfer-encoding",
    "via",
    "cdn-loop",
}
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


# -- responses ---------------------------------------------------------------------------------


def is_response(result) -> bool:
    return isinstance(result, dict) and "status" in result


def response_size(result: dict) -> int:
    size = len(result["body"].encode("utf-8"))
    for entries in result["headers"].values():
        for entry in entries:
            size += len(entry["key"].encode()) + len(entry["value"].encode()) + 4
    return size


def assert_response(result) -> None:
    """A response generated at the edge, exactly as CloudFront accepts it."""
    assert isinstance(result, dict) and set(result) == {"status", "statusDescription", "headers", "body"}, result
    status = result["status"]
    assert isinstance(status, str) and len(status) == 3 and status.isdigit(), status
    assert status in ALLOWED_STATUSES, status
    assert isinstance(result["statusDescription"], str) and result["statusDescription"]
    assert isinstance(result["body"], str)
    headers = result["headers"]
    assert isinstance(headers, dict)
    for name, entries in headers.items():
        assert isinstance(name, str) and name == name.lower() and name not in FORBIDDEN_HEADERS, name
        assert not name.startswith(("x-amz-cf-", "x-amzn-", "x-edge-", "proxy-", "x-accel-")), name
        assert isinstance(entries, list) and entries, name
        for entry in entries:
            assert isinstance(entry, dict) and set(entry) == {"key", "value"}, entry
            assert isinstance(entry["key"], str) and entry["key"].lower() == name
            assert isinstance(entry["value"], str) and not _CONTROL.search(entry["value"]), entry
    assert header(result, "cache-control") == "no-store"
    assert response_size(result) < 40 * 1024
    if status == "302":
        location = header(result, "location")
        assert location is not None
        if not location.startswith(("https://auth.example.com/", "https://op.example.com/")):
            assert_location_same_site(location)


def assert_location_same_site(location: str) -> None:
    """A Location a browser resolves to this site, however it reads it.

    Browsers drop tabs and newlines anywhere in a URL and read "\\" as "/", so those must not
    be there at all; the path must start with exactly one "/", also once percent-decoded (a
    single-page app's router may decode it and navigate again), and resolving it against the
    site must land on the site.
    """
    assert isinstance(location, str) and location, location
    assert location.isascii() and not _CONTROL.search(location), repr(location)
    assert " " not in location and "\\" not in location, repr(location)
    assert location.startswith("/") and not location.startswith("//"), repr(location)
    parts = urlsplit(location)
    assert parts.scheme == "" and parts.netloc == "", repr(location)
    decoded = unquote_to_bytes(parts.path).decode("utf-8", "replace")
    assert not decoded.startswith(("//", "/\\")) and not _CONTROL.search(decoded), repr(location)
    assert "\\" not in decoded
    resolved = urlsplit(urljoin(SITE + "/some/page", location))
    assert (resolved.scheme, resolved.netloc) == ("https", HOST), repr(location)


def assert_not_let_in(result, *, allow_login_redirect: bool = True) -> None:
    """The gate answered at the edge: a login redirect, a 401/403/400 page, or an IdP error."""
    assert is_response(result), f"let through to the origin: {result.get('uri')!r}"
    assert_response(result)
    status = result["status"]
    if status == "302":
        location = header(result, "location")
        assert allow_login_redirect and location.startswith(AUTHORIZE), location
    else:
        assert status in {"400", "401", "403", "502", "503", "504"}, status


def json_body(result) -> dict:
    return json.loads(result["body"])


# -- what an origin would look up ----------------------------------------------------------------


def _safe(uri: str) -> str:
    return uri.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate becomes "?"


def _decode(uri: str) -> str:
    return unquote_to_bytes(_safe(uri).split("?", 1)[0]).decode("utf-8", "replace")


def _resolve(segments) -> list[str]:
    out: list[str] = []
    for segment in segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if out:
                out.pop()
            continue
        out.append(segment)
    return out


def origin_s3(uri: str) -> str:
    """S3 REST: the key is the path decoded once, byte for byte (no dot or slash handling), and a
    literal "+" in the path is a space ("%2B" is a plus): S3 answers NoSuchKey for key
    "v0.15.1 xxx/xxx" to a request for "/v0.15.1+xxx/xxx" (servo/rust-url#882, sveltejs/kit#6451,
    eclipse-openvsx/openvsx#2011; AWS lists "+" among the key characters that "might require
    special handling": https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html)."""
    return "/" + _decode(_safe(uri).split("?", 1)[0].replace("+", " ")).lstrip("/")


def origin_rfc3986(uri: str) -> str:
    """nginx/Apache-like: decode once, merge slashes, remove dot segments."""
    return "/" + "/".join(_resolve(_decode(uri).split("/")))


def _windows_path(uri: str) -> str:
    segments = []
    for segment in _decode(uri).replace("\\", "/").split("/"):
        if segment not in (".", ".."):
            segment = segment.rstrip(". ")
        segments.append(segment)
    return "/" + "/".join(_resolve(segments))


def _simple_upper(char: str) -> str:
    """Java's Character.toUpperCase(char) / .NET ToUpperInvariant: one character to one (UnicodeData's
    simple mapping); where the full mapping is longer ("ß" -> "SS") the character stays."""
    upper = char.upper()
    return upper if len(upper) == 1 else char


def _simple_lower(char: str) -> str:
    lower = char.lower()
    return lower if len(lower) == 1 else {"\u0130": "i"}.get(char, char)  # U+0130's simple lower is "i"


_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


def origin_windows(uri: str) -> str:
    """IIS/NTFS-like: also "\\" as "/", trailing dots and spaces dropped, and case-insensitive the
    way NTFS (its upcase table), .NET (ToUpperInvariant) and Java (String.equalsIgnoreCase, which
    compares Character.toUpperCase of each character first:
    https://docs.oracle.com/javase/8/docs/api/java/lang/String.html#equalsIgnoreCase-java.lang.String-)
    compare: by upper-casing each character, so "ı" (U+0131) and "ſ" (U+017F) are "I" and "S".
    The result is shown with ASCII letters in lower case, to compare with "/admin"."""
    return "".join(_simple_upper(c) for c in _windows_path(uri)).translate(_ASCII_LOWER)


def origin_windows_lower(uri: str) -> str:
    """origin_windows for an origin that folds by lower-casing each character instead
    (Character.toLowerCase, ToLowerInvariant): the Kelvin sign (U+212A) is "k", "İ" (U+0130) is "i"."""
    return "".join(_simple_lower(c) for c in _windows_path(uri))


def origin_ntfs_streams(uri: str) -> str:
    """origin_windows, where `name::$INDEX_ALLOCATION` or `name:stream` names the file itself."""
    return "/".join(s.split(":", 1)[0].rstrip(". ") for s in origin_windows(uri).split("/")) or "/"


def origin_servlet(uri: str) -> str:
    """Tomcat/Jetty-like: `;parameters` are cut from each segment before decoding and dot removal."""
    raw = _safe(uri).split("?", 1)[0]
    segments = [unquote_to_bytes(s.split(";", 1)[0]).decode("utf-8", "replace") for s in raw.split("/")]
    return "/" + "/".join(_resolve("/".join(segments).split("/")))


def origin_reparse(uri: str) -> str:
    """A proxy or framework that percent-decodes the path, then parses it again as a URL: a decoded
    "?" starts a query and a decoded "#" a fragment, so "/admin/x.html%3F.css" is /admin/x.html."""
    decoded = _decode(uri)
    for marker in "?#":
        decoded = decoded.split(marker, 1)[0]
    return "/" + "/".join(_resolve(decoded.split("/")))


def origin_path_info(uri: str) -> str:
    """An origin that accepts trailing path information (Apache `AcceptPathInfo On`, CGI/PHP
    handlers: "/test/here.html/more" is served by /test/here.html,
    https://httpd.apache.org/docs/2.4/mod/core.html#acceptpathinfo). Which prefixes are files is
    the site's business; this model takes any segment with a "." in its name for a file and serves
    the first such prefix, on the RFC 3986 reading."""
    path = origin_rfc3986(uri)
    segments = path.split("/")
    for end in range(2, len(segments)):
        if "." in segments[end - 1]:
            return "/".join(segments[:end])
    return path


def origin_root(uri: str) -> str:
    """S3 again, asked for the bucket itself: "GET /" is ListObjects (every key) when the origin
    access control may s3:ListBucket, as cloudformation.yaml allows. Returned as "/<listing>" so
    that it is under no prefix but its own."""
    looked_up = origin_s3(uri)
    return "/<listing>" if looked_up == "/" else looked_up


# What docs/security.md promises: the origin looks up the exact form (S3, any RFC 3986 server), the
# loose form (Windows, case-insensitive, folding by upper- or lower-casing), or the path up to a
# decoded "?" or "#". The others are checked by their own tests.
ORIGINS = {
    "s3": origin_s3,
    "rfc3986": origin_rfc3986,
    "windows": origin_windows,
    "windows_lower": origin_windows_lower,
    "reparse": origin_reparse,
}
MORE_ORIGINS = {
    "servlet": origin_servlet,
    "ntfs_streams": origin_ntfs_streams,
    "path_info": origin_path_info,
    "root": origin_root,
}


def under(path: str, prefix: str) -> bool:
    return path == prefix or path.startswith(prefix + "/")


def origins_reaching(uri: str, prefix: str, models=ORIGINS) -> list[str]:
    """The origin models under which the forwarded `uri` names an object under `prefix`."""
    return [name for name, model in models.items() if under(model(uri), prefix)]


# -- signed-in browsers --------------------------------------------------------------------------


@pytest.fixture
def signed_in(handler, login):
    """signed_in("Viewer") -> a Browser with a completed real login in that group."""

    def make(*groups: str, **claims) -> Browser:
        browser = Browser(handler)
        result = login(browser, "/", groups=groups or ("Viewer",), **claims)
        assert result["status"] == "302", result
        assert ID in browser.jar
        return browser

    return make


def protected_checks(handler, cookie_header: str) -> dict:
    """Send one cookie header to every kind of protected request; return the results by kind."""
    cookies = [cookie_header]
    return {
        "page": handler(event("/docs/page", headers=NAVIGATE, cookies=cookies), None),
        "admin": handler(event("/admin/users", headers=NAVIGATE, cookies=cookies), None),
        "asset": handler(
            event("/assets/app.js", headers={"Accept": "*/*", "Sec-Fetch-Mode": "no-cors"}, cookies=cookies), None
        ),
        "whoami": handler(event("/_gate/me", headers=FETCH_JSON, cookies=cookies), None),
        "sign_in": handler(event("/_gate/sign-in", "return=%2Fdocs", headers=NAVIGATE, cookies=cookies), None),
    }


def assert_token_refused(handler, token: str, name: str = ID) -> None:
    """A token in the ID cookie gets nobody in: no pass, who-am-I 401, sign-in starts a login."""
    results = protected_checks(handler, f"{name}={token}")
    for kind in ("page", "admin"):
        assert_not_let_in(results[kind])
        assert results[kind]["status"] == "302", (kind, results[kind]["status"])
    assert_not_let_in(results["asset"])
    assert results["asset"]["status"] == "401"
    whoami = results["whoami"]
    assert_response(whoami)
    assert whoami["status"] == "401" and json_body(whoami)["signedIn"] is False
    assert_response(results["sign_in"])
    assert header(results["sign_in"], "location").startswith(AUTHORIZE)  # not "already signed in"


# -- the backend the zip ships -------------------------------------------------------------------


@pytest.fixture
def shipped_jose_backend(monkeypatch):
    """Verify RSA with python-jose's pure-Python backend (python-rsa), as the built zip does.

    The test venv has `cryptography`, so python-jose would otherwise pick that backend; the zip
    has no `cryptography` (vendor/requirements.txt). Keys are constructed lazily by the gate, so
    registering the backend before the first request is enough.
    """
    from jose.backends.rsa_backend import RSAKey
    from jose.constants import ALGORITHMS

    for alg in ("RS256", "RS384", "RS512"):
        monkeypatch.setitem(ALGORITHMS.KEYS, alg, RSAKey)
    return RSAKey
