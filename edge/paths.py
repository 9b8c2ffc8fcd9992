"""Request paths as the origin will see them, path patterns, and safe return paths.

A path is matched in two forms: `exact` (percent-decoded once, "\\" read as "/", "." and ".."
resolved, "//" collapsed: what S3 will look up) and `loose` (also lower-cased, each segment cut
at ";" and ":" and stripped of trailing dots and spaces before resolving: what a servlet, IIS or
case-insensitive origin might look up). A path is public only when both forms are public, and a person must satisfy the first
matching rule of each form, so no spelling of a path can step around a rule.
"""

from __future__ import annotations

from collections import namedtuple

from .errors import BadRequest
from .urls import quote, unquote_to_bytes

MAX_URI_LENGTH = 8192
MAX_RETURN_LENGTH = 2048
_RETURN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%")
_HEX = frozenset("0123456789abcdefABCDEF")
_URI_SAFE = "/!$&'()*+,;=:@-._~"
# what needs no decoding, resolving or cutting (so not "%", ";" or ":")
_PLAIN_URI_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/!$&'()*+,=@-._~")

# exact, loose, and `encoded`: exact percent-encoded again, which is what goes to the origin
NormalPath = namedtuple("NormalPath", "exact loose encoded")


def has_control(text: str) -> bool:
    return bool(text) and (min(text) < " " or "\x7f" in text)


def normalise(uri: str) -> NormalPath:
    if not isinstance(uri, str) or not uri.startswith("/") or len(uri) > MAX_URI_LENGTH:
        raise BadRequest("bad_path")
    if _PLAIN_URI_CHARS.issuperset(uri) and "//" not in uri and "/." not in uri:
        # the common case: nothing to decode, resolve, cut or re-encode
        if not uri.endswith(".") and "./" not in uri:
            return NormalPath(uri, uri.lower(), uri)
    return normalise_fully(uri)


def normalise_fully(uri: str) -> NormalPath:
    try:
        decoded = unquote_to_bytes(uri).decode("utf-8")
    except UnicodeError:  # bad %-encoded UTF-8, or a lone surrogate in the event's string
        raise BadRequest("bad_path_encoding") from None
    if has_control(decoded):
        raise BadRequest("bad_path")
    raw_segments = decoded.replace("\\", "/").split("/")
    trailing = decoded.endswith(("/", "/.", "/.."))
    exact = _resolve(raw_segments, trailing, strict=True)
    # The loose spelling: what servlet containers (";" path parameters), IIS/NTFS (":" stream
    # names, trailing dots and spaces) and case-insensitive origins would look up.
    loose = _resolve([_loosen(s) for s in raw_segments], trailing, strict=False).lower()
    return NormalPath(exact, loose, quote(exact, _URI_SAFE))


def _loosen(segment: str) -> str:
    cut = segment.split(";", 1)[0].split(":", 1)[0]
    return cut.rstrip(". ") or cut


def _resolve(raw_segments: list[str], trailing: bool, strict: bool) -> str:
    segments: list[str] = []
    for segment in raw_segments:
        if segment in ("", "."):
            continue
        if segment == "..":
            if not segments:
                if strict:
                    raise BadRequest("bad_path")
                continue
            segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments) + ("/" if trailing and segments else "")


def glob_match(pattern: str, text: str) -> bool:
    """CloudFront path-pattern matching: '*' any characters ('/' too), '?' exactly one."""
    p = t = 0
    star = -1
    mark = 0
    while t < len(text):
        if p < len(pattern) and (pattern[p] == "?" or pattern[p] == text[t]):
            p += 1
            t += 1
        elif p < len(pattern) and pattern[p] == "*":
            star, mark = p, t
            p += 1
        elif star != -1:
            p = star + 1
            mark += 1
            t = mark
        else:
            return False
    while p < len(pattern) and pattern[p] == "*":
        p += 1
    return p == len(pattern)


def _matcher(pattern: str):
    """The cheapest test that is equivalent to glob_match(pattern, text)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.__eq__
    head = pattern[:-1]
    if pattern.endswith("*") and "*" not in head and "?" not in head:
        return lambda text: text.startswith(head)
    return lambda text: glob_match(pattern, text)


class Pattern:
    """A path pattern from the config, matched against both forms of a NormalPath."""

    __slots__ = ("text", "_exact", "_loose", "_fold_exact")

    def __init__(self, pattern: str, case_sensitive: bool):
        self.text = pattern
        self._fold_exact = not case_sensitive
        self._exact = _matcher(pattern if case_sensitive else pattern.lower())
        self._loose = _matcher(pattern.lower())

    def matches_exact(self, path: NormalPath) -> bool:
        return self._exact(path.exact.lower() if self._fold_exact else path.exact)

    def matches_loose(self, path: NormalPath) -> bool:
        return self._loose(path.loose)


def _has_encoded_control(value: str) -> bool:
    index = value.find("%")
    while index != -1:
        pair = value[index + 1:index + 3].lower()
        if len(pair) == 2 and ((pair[0] in "01" and pair[1] in _HEX) or pair == "7f"):
            return True
        index = value.find("%", index + 1)
    return False


def safe_return_path(value: object) -> str | None:
    """The value if it is a path on this site that is safe to redirect to, else None."""
    if not isinstance(value, str) or not value or len(value) > MAX_RETURN_LENGTH:
        return None
    if value[0] != "/" or not _RETURN_CHARS.issuperset(value):  # no "\\", spaces, CR/LF, non-ASCII
        return None
    if value.startswith("//") or _has_encoded_control(value):
        return None
    path = value.split("?", 1)[0]
    try:
        decoded = unquote_to_bytes(path).decode("utf-8")
    except UnicodeError:
        return None
    if decoded.startswith("//") or "\\" in decoded or has_control(decoded):
        return None
    return value
