"""Request paths as the origin will see them, path patterns, and safe return paths.

A path is read in several ways, and each reading is matched against the patterns:
- `exact`: percent-decoded once, "\\" read as "/", "." and ".." resolved, "//" collapsed: what
  S3 will look up once the gate forwards `encoded` (the exact path percent-encoded again, "+"
  as "%2B": S3 reads a literal "+" in a path as a space);
- `loose`: also each segment cut at ";" and ":", stripped of trailing dots and spaces, and
  case-folded (`fold`): what a servlet, IIS or case-insensitive origin might look up;
- the same two cut at a decoded "?" or "#" (an origin that decodes, then parses again);
- every directory prefix that looks like a file name ("/a/page.html" of "/a/page.html/x.css"):
  what an origin serving PATH_INFO would send;
- for the root, the site's index object, which is what goes to the origin instead of "/".
`exacts` holds the readings matched case-sensitively (unless the config says otherwise), `looses`
the folded ones. A path is public only when every reading is public, and a person must satisfy
the first matching rule of every reading, so no spelling of a path can step around a rule.
"""

from __future__ import annotations

from collections import namedtuple

from .errors import BadRequest
from .urls import quote, unquote_to_bytes

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable

    from .request import ViewerRequest

MAX_URI_LENGTH = 8192
MAX_RETURN_LENGTH = 2048
# Forwarded instead of "/": S3 would answer "GET /" with a listing of the bucket when the origin
# access control may s3:ListBucket. The same object as DefaultRootObject in cloudformation.yaml.
ROOT_OBJECT = "/index.html"
_RETURN_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@/?%")
_HEX = frozenset("0123456789abcdefABCDEF")
_URI_SAFE = "/!$&'()*,;=:@-._~"  # not "+": S3 reads it as a space
# what needs no decoding, resolving, cutting or re-encoding (so not "%", ";", ":" or "+")
_PLAIN_URI_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789/!$&'()*,=@-._~")

# Every code point whose upper case, lower case or case fold is ASCII letters once combining
# marks are dropped (U+0131 dotless i upper-cases to "I", U+017F long s to "S", U+212A Kelvin
# lower-cases to "k", U+0130 to "i" + U+0307), mapped to those letters in lower case: origins that
# compare by upper-casing (Java equalsIgnoreCase, .NET, NTFS) or by lower-casing then match the
# ASCII name. tests/gate/test_paths.py derives this table from unicodedata over every code point.
_FOLD = {
    0xDF: "ss",
    0x130: "i",
    0x131: "i",
    0x17F: "s",
    0x1F0: "j",
    0x1E96: "h",
    0x1E97: "t",
    0x1E98: "w",
    0x1E99: "y",
    0x1E9E: "ss",
    0x212A: "k",
    0xFB00: "ff",
    0xFB01: "fi",
    0xFB02: "fl",
    0xFB03: "ffi",
    0xFB04: "ffl",
    0xFB05: "st",
    0xFB06: "st",
}

# exact and loose: the main readings; encoded: what goes to the origin; exacts and looses: every
# reading (the main one first), matched case-sensitively and folded.
NormalPath = namedtuple("NormalPath", "exact loose encoded exacts looses")
_new_path = tuple.__new__  # NormalPath(...) without the Python-level __new__, on the common path


def fold(text: str) -> str:
    """Lower case, with every character an origin could fold to an ASCII letter folded to it."""
    if text.isascii():
        return text.lower()
    return text.translate(_FOLD).lower()


def has_control(text: str) -> bool:
    return bool(text) and (min(text) < " " or "\x7f" in text)


def normalise(uri: object) -> NormalPath:
    if not isinstance(uri, str) or not uri.startswith("/") or len(uri) > MAX_URI_LENGTH:
        raise BadRequest("bad_path")
    # the common case: nothing to decode, resolve, cut or re-encode
    if (
        _PLAIN_URI_CHARS.issuperset(uri)
        and "//" not in uri
        and "/." not in uri
        and not uri.endswith(".")
        and "./" not in uri
    ):
        loose = uri.lower()
        last = uri.rfind("/")
        if last > 0 and uri.find(".", 0, last) == -1:  # no dotted directory to read as a file
            return _new_path(NormalPath, (uri, loose, uri, (uri,), (loose,)))
        return _readings(uri, loose, uri, None)
    return normalise_fully(uri)


def normalise_fully(uri: str) -> NormalPath:
    try:
        decoded = unquote_to_bytes(uri).decode("utf-8")
    except UnicodeError:  # bad %-encoded UTF-8, or a lone surrogate in the event's string
        raise BadRequest("bad_path_encoding") from None
    if has_control(decoded):
        raise BadRequest("bad_path")
    exact, loose = _exact_and_loose(decoded, strict=True)
    cut = None
    end = min((i for i in (decoded.find("?"), decoded.find("#")) if i != -1), default=-1)
    if end != -1:
        cut = _exact_and_loose(decoded[:end], strict=False)
    return _readings(exact, loose, quote(exact, _URI_SAFE), cut)


def _exact_and_loose(decoded: str, strict: bool) -> tuple[str, str]:
    raw_segments = decoded.replace("\\", "/").split("/")
    trailing = decoded.endswith(("/", "/.", "/.."))
    exact = _resolve(raw_segments, trailing, strict)
    # The loose spelling: what servlet containers (";" path parameters), IIS/NTFS (":" stream
    # names, trailing dots and spaces) and case-insensitive origins would look up.
    loose = fold(_resolve([_loosen(s) for s in raw_segments], trailing, strict=False))
    return exact, loose


def _readings(exact: str, loose: str, encoded: str, cut: tuple[str, str] | None) -> NormalPath:
    exacts = [exact]
    looses = [loose]
    if cut is not None:
        exacts.append(cut[0])
        looses.append(cut[1])
    exacts += [p for e in exacts for p in _file_prefixes(e)]
    looses += [p for e in looses for p in _file_prefixes(e)]
    if "/" in exacts or "/" in looses:
        exacts.append(ROOT_OBJECT)
        looses.append(ROOT_OBJECT)
        if exact == "/":
            encoded = ROOT_OBJECT
    if len(exacts) > 1 or len(looses) > 1:
        return NormalPath(exact, loose, encoded, tuple(dict.fromkeys(exacts)), tuple(dict.fromkeys(looses)))
    return NormalPath(exact, loose, encoded, (exact,), (loose,))


def _file_prefixes(path: str) -> list[str]:
    """Each proper prefix of `path` whose last segment has a "." in it, like a file name."""
    last = path.rfind("/")
    if last <= 0 or "." not in path[:last]:
        return []
    prefixes = []
    start = 0
    end = path.find("/", 1)
    while end != -1:
        if "." in path[start + 1 : end]:
            prefixes.append(path[:end])
        start, end = end, path.find("/", end + 1)
    return prefixes


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
    """CloudFront path-pattern matching: '*' any characters ('/' too), '?' exactly one.

    A '*' or '?' in the pattern is always a wildcard, also where the text has that character;
    on a mismatch the last '*' takes one more character (enough for '*' and '?' globs)."""
    p = t = 0
    star = -1
    mark = 0
    n, m = len(pattern), len(text)
    while t < m:
        if p < n:
            c = pattern[p]
            if c == "*":
                star, mark = p, t
                p += 1
                continue
            if c == "?" or c == text[t]:
                p += 1
                t += 1
                continue
        if star == -1:
            return False
        p = star + 1
        mark += 1
        t = mark
    while p < n and pattern[p] == "*":
        p += 1
    return p == n


def _matcher(pattern: str) -> Callable[[str], bool]:
    """The cheapest test that is equivalent to glob_match(pattern, text)."""
    if "*" not in pattern and "?" not in pattern:
        return pattern.__eq__
    head, _, tail = pattern.partition("*")
    if "?" not in head and not any(c in tail for c in "*?"):
        if not tail:
            return lambda text: text.startswith(head)
        least = len(head) + len(tail)
        return lambda text: len(text) >= least and text.startswith(head) and text.endswith(tail)
    return lambda text: glob_match(pattern, text)


class Pattern:
    """A path pattern from the config: `exact(text)` matches an exact reading, `loose(text)` a
    folded one."""

    __slots__ = ("exact", "loose", "text")

    def __init__(self, pattern: str, case_sensitive: bool):
        self.text = pattern
        self.loose = _matcher(fold(pattern))
        if case_sensitive:
            self.exact = _matcher(pattern)
        else:
            loose = self.loose
            self.exact = lambda text: loose(fold(text))


def _has_encoded_control(value: str) -> bool:
    index = value.find("%")
    while index != -1:
        pair = value[index + 1 : index + 3].lower()
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


# The gate's own paths as one pattern: the template's /_gate/* behavior (cloudformation.yaml).
GATE_PATHS_PATTERN = "/_gate/*"


class ClientRoutes:
    """[site] spa: which requests are a single-page app's client-side routes. Pure.

    `index_for(...)` is ROOT_OBJECT (the app) for a GET or HEAD page navigation
    (`Sec-Fetch-Mode: navigate`; without that header, an `Accept` naming text/html) to a path
    whose last segment (a trailing "/" aside) has no "." in it, when no reading of the path
    matches an [[apis]] pattern, an [assets] pattern, /_gate/* or one of the gate's own paths;
    None otherwise (the request goes on as it is). So a client route gets the app with 200, while
    the API's 404s stay the API's and a missing asset stays a 404, never HTML. Deciding is all it
    does: the callers rewrite only once the original path's access check has passed, and only
    when the person may also see ROOT_OBJECT itself (gate.py, protected.py).
    """

    __slots__ = ("_excluded", "enabled")

    def __init__(self, enabled: bool, excluded: tuple[str, ...], case_sensitive: bool):
        self.enabled = enabled
        self._excluded = tuple(Pattern(p, case_sensitive) for p in dict.fromkeys(excluded))

    def index_for_request(self, request: ViewerRequest) -> str | None:
        return self.index_for(request.path, request.method, request.header("sec-fetch-mode"), request.header("accept"))

    def index_for(self, path: NormalPath, method: str, fetch_mode: str | None, accept: str | None) -> str | None:
        if not self.enabled or (method != "GET" and method != "HEAD"):
            return None
        if fetch_mode is not None:
            if fetch_mode != "navigate":
                return None
        elif accept is None or "text/html" not in accept.lower():
            return None
        exact: str = path.exact
        trimmed = exact.rstrip("/")
        if "." in trimmed[trimmed.rfind("/") + 1 :]:
            return None  # names a file: the origin's to answer, a 404 included
        for pattern in self._excluded:
            for text in path.exacts:
                if pattern.exact(text):
                    return None
            for text in path.looses:
                if pattern.loose(text):
                    return None
        return ROOT_OBJECT
