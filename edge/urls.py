"""Percent-encoding, query strings and form bodies, the way urllib.parse does them.

Written here because importing urllib.parse drags in re, ipaddress, enum and more (measured:
`python -m bench.standins`). tests/gate/test_codecs.py checks these against urllib.parse on
generated inputs.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

_ALWAYS_SAFE = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_.-~"
_HEX = "0123456789ABCDEFabcdef"
_tables: dict[str, tuple[str, ...]] = {}


def _table(safe: str) -> tuple[str, ...]:
    table = _tables.get(safe)
    if table is None:
        allowed = set(_ALWAYS_SAFE) | set(safe.encode("ascii"))
        table = _tables[safe] = tuple(chr(b) if b in allowed else f"%{b:02X}" for b in range(256))
    return table


def quote(text: str, safe: str = "/") -> str:
    """urllib.parse.quote: UTF-8, then %XX for every byte not unreserved or in `safe`."""
    table = _table(safe)
    return "".join([table[b] for b in text.encode("utf-8")])


def urlencode(fields: Mapping[str, object]) -> str:
    """urllib.parse.urlencode(fields, quote_via=quote): spaces as %20, nothing left unescaped."""
    return "&".join(f"{quote(str(k), '')}={quote(str(v), '')}" for k, v in fields.items())


def unquote_to_bytes(text: str) -> bytes:
    """urllib.parse.unquote_to_bytes: %XX decoded once; a '%' without two hex digits stays."""
    if "%" not in text:
        return text.encode("utf-8")
    pieces = text.split("%")
    out = bytearray(pieces[0].encode("utf-8"))
    for piece in pieces[1:]:
        if len(piece) >= 2 and piece[0] in _HEX and piece[1] in _HEX:
            out.append(int(piece[:2], 16))
            out += piece[2:].encode("utf-8")
        else:
            out += b"%" + piece.encode("utf-8")
    return bytes(out)


def parse_qsl(query: str, max_fields: int) -> list[tuple[str, str]]:
    """urllib.parse.parse_qsl(keep_blank_values=True, errors="strict", max_num_fields=...).

    Raises ValueError for too many fields or bytes that are not UTF-8.
    """
    if not query:
        return []
    if query.count("&") + 1 > max_fields:
        raise ValueError("too many fields")
    pairs = []
    for piece in query.split("&"):
        if not piece:
            continue
        name, _, value = piece.partition("=")
        pairs.append(
            (
                unquote_to_bytes(name.replace("+", " ")).decode("utf-8"),
                unquote_to_bytes(value.replace("+", " ")).decode("utf-8"),
            )
        )
    return pairs
