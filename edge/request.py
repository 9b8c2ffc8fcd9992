"""The viewer request as the gate needs it: normalised path, query, cookies, navigation."""

from __future__ import annotations

from . import cookies
from .errors import BadRequest
from .paths import NormalPath, normalise
from .urls import parse_qsl

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import CfRequest

MAX_QUERY_LENGTH = 8192
MAX_QUERY_FIELDS = 32
_HOST_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789.-")
_HTML_TYPES = ("text/html", "application/xhtml+xml", "*/*")


class ViewerRequest:
    __slots__ = ("_params", "headers", "jar", "path", "query", "raw")

    def __init__(self, raw: CfRequest):
        if not isinstance(raw, dict):
            raise BadRequest("bad_event")
        headers = raw.get("headers")
        if not isinstance(headers, dict):
            raise BadRequest("bad_event")
        self.raw = raw
        self.headers = headers
        self.path: NormalPath = normalise(raw.get("uri"))  # refuses anything but a str
        query = raw.get("querystring") or ""
        if not isinstance(query, str) or len(query) > MAX_QUERY_LENGTH:
            raise BadRequest("bad_query")
        self.query = query
        self.jar = cookies.parse(headers)
        self._params: dict[str, str | None] | None = None

    def header(self, name: str) -> str | None:
        entries = self.headers.get(name)
        if not entries or not isinstance(entries, list) or not isinstance(entries[0], dict):
            return None
        value = entries[0].get("value")
        return value if isinstance(value, str) else None

    @property
    def method(self) -> str:
        method = self.raw.get("method")
        return method if isinstance(method, str) else ""

    def param(self, name: str) -> str | None:
        """One query parameter; a parameter given twice is a bad request, not a choice."""
        if self._params is None:
            try:
                pairs = parse_qsl(self.query, MAX_QUERY_FIELDS)
            except (ValueError, UnicodeDecodeError):
                raise BadRequest("bad_query") from None
            params: dict[str, str | None] = {}
            for key, value in pairs:
                params[key] = None if key in params else value
            self._params = params
        params = self._params
        if name in params and params[name] is None:
            raise BadRequest("duplicate_query_parameter")
        return params.get(name)

    @property
    def is_navigation(self) -> bool:
        """A browser page load (or a plain curl), as opposed to fetch/XHR/asset requests."""
        if self.method not in ("GET", "HEAD"):
            return False
        mode = self.header("sec-fetch-mode")
        if mode is not None and mode != "navigate":
            return False
        accept = self.header("accept")
        return accept is None or any(t in accept for t in _HTML_TYPES)

    @property
    def wants_json(self) -> bool:
        accept = self.header("accept") or ""
        return "json" in accept and "text/html" not in accept

    def host(self) -> str:
        host = self.header("host") or ""
        name, _, port = host.partition(":")
        if not (
            0 < len(name) <= 253
            and _HOST_CHARS.issuperset(name)
            and (not port or (len(port) <= 5 and port.isdigit() and port.isascii()))
        ):
            raise BadRequest("bad_host")
        return host

    def original_target(self) -> str:
        uri = self.raw.get("uri") or "/"
        return f"{uri}?{self.query}" if self.query else uri
