"""Request paths as the origin will see them, path patterns, and safe return paths.

A path is matched in two forms: `exact` (percent-decoded once, "\\" read as "/", "." and ".."
resolved, "//" collapsed: what S3 will look up) and `loose` (also lower-cased, with trailing
dots and spaces stripped from each segment: what a Windows or case-insensitive origin might
look up). A path is public only when both forms are public, and a person must satisfy the first
matching rule of each form, so no spelling of a path can step around a rule.
"""

from __future__ import annotations

import fnmatch
import re
from collections import namedtuple
from urllib.parse import quote, unquote_to_bytes

from .errors import BadRequest

MAX_URI_LENGTH = 8192
MAX_RETURN_LENGTH = 2048
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
_ENCODED_CONTROL = re.compile(r"%(?:[01][0-9a-fA-F]|7[fF])")
_RETURN_CHARS = re.compile(r"^/[A-Za-z0-9\-._~!$&'()*+,;=:@/?%]*$")
_URI_SAFE = "/!$&'()*+,;=:@-._~"


# exact, loose, and `encoded`: exact percent-encoded again, which is what goes to the origin
NormalPath = namedtuple("NormalPath", "exact loose encoded")


def normalise(uri: str) -> NormalPath:
    if not isinstance(uri, str) or not uri.startswith("/") or len(uri) > MAX_URI_LENGTH:
        raise BadRequest("bad_path")
    try:
        decoded = unquote_to_bytes(uri).decode("utf-8")
    except UnicodeDecodeError:
        raise BadRequest("bad_path_encoding") from None
    if _CONTROL.search(decoded):
        raise BadRequest("bad_path")
    segments: list[str] = []
    for segment in decoded.replace("\\", "/").split("/"):
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                raise BadRequest("bad_path")
            segments.pop()
            continue
        segments.append(segment)
    trailing = "/" if decoded.endswith(("/", "/.", "/..")) and segments else ""
    exact = "/" + "/".join(segments) + trailing
    loose_segments = [s.rstrip(". ") or s for s in segments]
    loose = ("/" + "/".join(loose_segments) + trailing).lower()
    return NormalPath(exact=exact, loose=loose, encoded=quote(exact, safe=_URI_SAFE))


class Pattern:
    """A CloudFront-style path pattern: '*' matches any characters ('/' too), '?' one."""

    def __init__(self, pattern: str, case_sensitive: bool):
        flags = 0 if case_sensitive else re.IGNORECASE
        self.text = pattern
        self._exact = re.compile(fnmatch.translate(pattern), flags)
        self._loose = re.compile(fnmatch.translate(pattern.lower()))

    def matches_exact(self, path: NormalPath) -> bool:
        return self._exact.match(path.exact) is not None

    def matches_loose(self, path: NormalPath) -> bool:
        return self._loose.match(path.loose) is not None


def safe_return_path(value: object) -> str | None:
    """The value if it is a path on this site that is safe to redirect to, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_RETURN_LENGTH:
        return None
    if not _RETURN_CHARS.match(value):  # refuses "\\", spaces, tabs, CR/LF, non-ASCII lookalikes
        return None
    if value.startswith("//") or _ENCODED_CONTROL.search(value):
        return None
    path = value.split("?", 1)[0]
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeDecodeError:
        return None
    if decoded.startswith("//") or "\\" in decoded or _CONTROL.search(decoded):
        return None
    return value
