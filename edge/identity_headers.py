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


def is_identity_header(name: object) -> bool:
    return isinstance(name, str) and name.lower().replace("_", "-") in _NAMES


def strip_identity_headers(headers: Headers) -> None:
    """Remove, in place, every header that an origin could read as one of the identity headers."""
    for name in [n for n, entries in headers.items() if is_identity_header(n) or _entry_named(entries)]:
        del headers[name]


def _entry_named(entries: object) -> bool:
    if not isinstance(entries, list):
        return False
    return any(isinstance(e, dict) and is_identity_header(e.get("key")) for e in entries)
