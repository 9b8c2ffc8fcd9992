"""The gate's cookies: names, reading (several Cookie headers, chunks), writing, clearing.

A value longer than one browser cookie allows is split: `<name>` holds the number of chunks
and `<name>.1` ... `<name>.N` hold the parts. Every Set-Cookie carries the same Path and
Domain, so clearing always hits the cookie that was set.
"""

from __future__ import annotations

from collections import namedtuple

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .settings import Cookies
    from .typing_aliases import Headers

CHUNK_SIZE = 3800  # leaves room for name and attributes under the ~4096-byte browser limit
MAX_CHUNKS = 8
MAX_COOKIE_HEADER_BYTES = 20 * 1024  # CloudFront refuses larger requests anyway
# What the three session cookies may add up to, so that with the rest of a request's
# headers the viewer stays under CloudFront's 20,480-byte request limit.
MAX_SESSION_BYTES = 12 * 1024
EXPIRED = "Thu, 01 Jan 1970 00:00:00 GMT"
_OWS = " \t"  # RFC 6265 trims only spaces and tabs; CR, LF and friends stay part of the value


class CookieNames(
    namedtuple("CookieNames", "id_token access_token refresh_token login_prefix all_prefix refresh_tried refresh_spent")
):
    __slots__ = ()

    @classmethod
    def for_settings(cls, cookies: Cookies) -> CookieNames:
        host_prefix = "__Host-" if cookies.secure and not cookies.domain else ""
        base = f"{host_prefix}{cookies.prefix}-"
        return cls(
            id_token=base + "id",
            access_token=base + "at",
            refresh_token=base + "rt",
            login_prefix=base + "login-",
            all_prefix=base,
            refresh_tried=base + "rtried",
            refresh_spent=base + "rspent",
        )

    def session(self) -> tuple[str, str, str]:
        return (self.id_token, self.access_token, self.refresh_token)


def parse(headers: Headers) -> dict[str, str]:
    """All cookies from every Cookie header; the first occurrence of a name wins."""
    jar: dict[str, str] = {}
    seen = 0
    for entry in headers.get("cookie", ()):
        value = entry.get("value", "") if isinstance(entry, dict) else ""
        if not isinstance(value, str):
            continue
        if seen > MAX_COOKIE_HEADER_BYTES:
            break
        seen += len(value)
        for pair in value[:MAX_COOKIE_HEADER_BYTES].split(";"):
            name, sep, cookie_value = pair.partition("=")
            name = name.strip(_OWS)
            if sep and name and name not in jar:
                jar[name] = cookie_value.strip(_OWS)
    return jar


def read(jar: dict[str, str], name: str) -> str | None:
    """A cookie's value, reassembled from chunks when it was split."""
    value = jar.get(name)
    if value is None or len(value) != 1 or value not in "123456789":
        return value or None
    parts = [jar.get(f"{name}.{i}") or "" for i in range(1, int(value) + 1)]
    if not all(parts):
        return None
    return "".join(parts)


class CookieWriter:
    def __init__(self, settings: Cookies):
        self._settings = settings
        attributes = ["Path=/"]
        if settings.domain:
            attributes.append(f"Domain={settings.domain}")
        if settings.secure:
            attributes.append("Secure")
        attributes.append("HttpOnly")
        self._attributes = "; ".join(attributes)

    def _line(self, name: str, value: str, max_age: int, same_site: str | None = None) -> str:
        same_site = same_site or self._settings.same_site
        return f"{name}={value}; Max-Age={max_age}; {self._attributes}; SameSite={same_site}"

    def set(self, name: str, value: str, max_age: int, jar: dict[str, str], same_site: str | None = None) -> list[str]:
        """Set-Cookie lines for `value`, chunked if needed, clearing stale chunks in `jar`."""
        if len(value) <= CHUNK_SIZE:
            chunks: list[str] = []
            lines = [self._line(name, value, max_age, same_site)]
        else:
            chunks = [value[i : i + CHUNK_SIZE] for i in range(0, len(value), CHUNK_SIZE)]
            if len(chunks) > MAX_CHUNKS:
                raise ValueError("cookie value too large")
            lines = [self._line(name, str(len(chunks)), max_age, same_site)]
            lines += [self._line(f"{name}.{i}", part, max_age, same_site) for i, part in enumerate(chunks, start=1)]
        lines += [
            self.clear(stale)
            for stale in _chunk_names(name, jar)
            if stale not in {f"{name}.{i}" for i in range(1, len(chunks) + 1)}
        ]
        return lines

    def clear(self, name: str, same_site: str | None = None) -> str:
        same_site = same_site or self._settings.same_site
        return f"{name}=; Max-Age=0; Expires={EXPIRED}; {self._attributes}; SameSite={same_site}"

    def clear_all(self, name: str, jar: dict[str, str]) -> list[str]:
        return [self.clear(name), *(self.clear(chunk) for chunk in _chunk_names(name, jar))]


# Only names the gate itself could have written are ever written back (cleared): a name taken
# from the request could carry CR/LF, `;` or non-ASCII digits into a Set-Cookie header.
_CHUNK_NAMES = tuple(str(i) for i in range(1, MAX_CHUNKS + 1))
LOGIN_ID_LENGTH = 16  # base64url of 12 random bytes
_LOGIN_ID_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_CLEARED_LOGINS = 8  # bounds a generated answer, however many pending logins a browser sends


def _chunk_names(name: str, jar: dict[str, str]) -> list[str]:
    return [chunk for chunk in (f"{name}.{i}" for i in _CHUNK_NAMES) if chunk in jar]


def is_login_id(login_id: str) -> bool:
    return len(login_id) == LOGIN_ID_LENGTH and _LOGIN_ID_CHARS.issuperset(login_id)


def pending_logins(jar: dict[str, str], login_prefix: str) -> list[str]:
    """Names of the login cookies in `jar` that the gate could have set, at most MAX_CLEARED_LOGINS."""
    found = [name for name in jar if name.startswith(login_prefix) and is_login_id(name[len(login_prefix) :])]
    return found[:MAX_CLEARED_LOGINS]


def strip_gate_cookies(headers: Headers, prefix: str) -> None:
    """Remove the gate's own cookies from what goes to the origin (in place)."""
    entries = headers.get("cookie")
    if not entries or not isinstance(entries, list):  # not CloudFront's shape: nothing we could read
        return
    kept_entries = []
    for entry in entries:
        value = entry.get("value", "") if isinstance(entry, dict) else ""
        if not isinstance(value, str):
            continue
        kept = [pair for pair in value.split(";") if pair.strip() and not pair.strip().startswith(prefix)]
        if kept:
            kept_entries.append({"key": "Cookie", "value": ";".join(kept).strip()})
    if kept_entries:
        headers["cookie"] = kept_entries
    else:
        del headers["cookie"]
