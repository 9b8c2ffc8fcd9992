"""The identity headers the gate sets for an API (X-Gate-Sub, X-Gate-Groups) come only from it.

Whatever a viewer sends under those names never reaches any origin, on any path, whatever the
configuration (an API origin reached through another behavior, or a deploy with an API domain
and no [[apis]], must not believe a forged one). Names are compared the way origins read them:
case-insensitively, and with `_` the same as `-` (WSGI/CGI servers turn both `X-Gate-Sub` and
`X_Gate_Sub` into `HTTP_X_GATE_SUB`). CloudFront keys headers by lower-case name, so `x_gate_sub`
arrives as a key of its own; an entry's own `key` is checked as well.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from .typing_aliases import Headers

IDENTITY_HEADERS = (("x-gate-sub", "X-Gate-Sub"), ("x-gate-groups", "X-Gate-Groups"))
_NAMES = frozenset(name for name, _ in IDENTITY_HEADERS)


def strip_identity_headers(headers: Headers, names: frozenset[str] = _NAMES) -> None:
    """Remove, in place, every header that an origin could read as one of `names` (lower case,
    `-`): by default the identity headers; edge/api.py also passes the API's token header."""
    for name in [n for n, entries in headers.items() if _named(n, names) or _entry_named(entries, names)]:
        del headers[name]


def normal_name(name: str) -> str:
    return name.lower().replace("_", "-")


def _named(name: object, names: frozenset[str]) -> bool:
    return isinstance(name, str) and normal_name(name) in names


def _entry_named(entries: object, names: frozenset[str]) -> bool:
    if not isinstance(entries, list):
        return False
    return any(isinstance(e, dict) and _named(e.get("key"), names) for e in entries)
