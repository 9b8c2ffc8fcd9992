"""Typed readers shared by every section: each raises ConfigFileError with one line."""

from __future__ import annotations

import difflib
import ipaddress
from urllib.parse import urlsplit

from .mistakes import ConfigFileError, Mistakes
from .schema import ABSENT, RANGES, REQUIRED, SCHEMA


def checked_sections(raw: dict, m: Mistakes) -> dict[str, dict]:
    """Every section with every key: given (type-checked) or its default. A section with an
    unknown key, a wrong type or a missing required key is reported and marked broken."""
    for name in raw:
        if name not in SCHEMA and name not in ("rules", "apis"):
            m.lines.append(unknown(f"[{name}]", name, [*SCHEMA, "rules", "apis"], what="section"))
    out = {}
    for section, keys in SCHEMA.items():
        given = raw.get(section, {})
        if not isinstance(given, dict):
            m.lines.append(f"[{section}]: must be a table, written as [{section}]")
            m.broken.add(section)
            continue
        before = len(m.lines)
        for key in given:
            if key not in keys:
                m.lines.append(unknown(f"{section}.{key}", key, list(keys)))
        values = {}
        for key, (kind, default) in keys.items():
            if key in given:
                try:
                    values[key] = typed(f"{section}.{key}", given[key], kind)
                except ConfigFileError as exc:
                    m.lines.extend(exc.mistakes)
            elif default is REQUIRED:
                m.lines.append(f"{section}.{key}: missing; add it under [{section}]")
            elif default is ABSENT:
                values[key] = None
            else:
                values[key] = default
        if len(m.lines) > before:
            m.broken.add(section)
        out[section] = values
    return out


def unknown(where: str, key: str, known: list[str], what: str = "key") -> str:
    close = difflib.get_close_matches(key, known, n=1)
    hint = f'did you mean "{close[0]}"?' if close else f"known {what}s: " + ", ".join(known)
    return f"{where}: unknown {what}; {hint}"


def typed(key: str, value, kind):
    kinds = kind if isinstance(kind, tuple) else (kind,)
    ok = False if isinstance(value, bool) and bool not in kinds else isinstance(value, kinds)
    if not ok:
        names = "a number" if set(kinds) == {int, float} else " or ".join(type_name(k) for k in kinds)
        raise ConfigFileError(f"{key}: must be {names}, not {type_name(type(value))}")
    return value


def type_name(kind: type) -> str:
    return {
        str: "a string",
        int: "a whole number",
        float: "a number",
        bool: "true or false",
        list: "a list",
        dict: "a table",
    }.get(kind, kind.__name__)


def one_of(key: str, value: str, allowed: tuple[str, ...]) -> str:
    if value not in allowed:
        raise ConfigFileError(f"{key}: must be one of {', '.join(map(repr, allowed))}, not {value!r}")
    return value


def nonempty(key: str, value: str) -> str:
    if not value.strip():
        raise ConfigFileError(f"{key}: must not be empty")
    return value


def str_list(key: str, value: list) -> list[str]:
    if not value or not all(isinstance(v, str) and v for v in value):
        raise ConfigFileError(f'{key}: must be a non-empty list of strings, e.g. ["a", "b"]')
    return value


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


# Keys whose URL is scheme and host only: their hint must not suggest a path.
_HOST_ONLY_KEYS = ("site.url", "cognito.domain")


def url(key: str, value: str) -> str:
    # urlsplit drops tabs and newlines anywhere in the URL (WHATWG URL parsing): check the value as given
    plain = not any(ord(c) <= 32 or ord(c) == 127 for c in value)
    parts = urlsplit(value)
    if plain and parts.scheme == "https" and parts.hostname:
        return value
    if plain and parts.scheme == "http" and parts.hostname and is_loopback(parts.hostname):
        return value
    example = "https://host" if key in _HOST_ONLY_KEYS else "https://host/path"
    raise ConfigFileError(
        f'{key}: {value!r} is not an https URL; write it as "{example}" (plain http is accepted only for localhost)'
    )


def tables(raw_tables, name: str, keys, write_as: str, table_is: str):
    """(where, table) for each [[name]] table, once it is a table with only known keys.
    write_as / table_is finish the messages for a value that is not a list / not a table."""
    if not isinstance(raw_tables, list):
        raise ConfigFileError(f"{name}: {write_as}")
    for index, raw in enumerate(raw_tables, start=1):
        where = f"{name}[{index}]"
        if not isinstance(raw, dict):
            raise ConfigFileError(f"{where}: {table_is}")
        for key in raw:
            if key not in keys:
                raise ConfigFileError(unknown(f"{where}.{key}", key, list(keys)))
        yield where, raw


def in_range(key: str, value: int) -> int:
    low, high = RANGES[key]
    if not low <= value <= high:
        raise ConfigFileError(f"{key}: must be between {low} and {high}")
    return value
