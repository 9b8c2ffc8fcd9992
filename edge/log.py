"""One JSON line per decision, on stdout (CloudWatch Logs in the replica region).

Only what helps to operate the gate: path (never the query string, which carries codes and
state), decision, reason code, status, a keyed hash of the subject, and the duration. Never a
token, code, cookie value or secret. The line is written by hand: the json module would cost
its import (and re's) on every cold start.
"""

from __future__ import annotations

import sys

from .digest import HmacKey
from .metrics import emf_members

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
MAX_PATH_IN_LOG = 256
_ESCAPES = {i: f"\\u{i:04x}" for i in range(32)}
_ESCAPES.update({ord('"'): '\\"', ord("\\"): "\\\\", 0x7F: "\\u007f", 0x2028: "\\u2028", 0x2029: "\\u2029"})


def json_value(value) -> str:
    if value is None:
        return "null"
    if value is True or value is False:
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    text = str(value)
    if text.isascii() and text.isprintable() and '"' not in text and "\\" not in text:
        return f'"{text}"'
    return '"' + "".join(_escape(c) for c in text.translate(_ESCAPES)) + '"'


def _escape(char: str) -> str:
    """Plain ASCII out, always (lone surrogates included: stdout could not encode them)."""
    code = ord(char)
    if code < 0x7F:
        return char
    if code <= 0xFFFF:
        return f"\\u{code:04x}"
    code -= 0x10000
    return f"\\u{0xD800 + (code >> 10):04x}\\u{0xDC00 + (code & 0x3FF):04x}"


class DecisionLog:
    def __init__(self, level: str, subject_key: bytes, stream=None):
        self._threshold = LEVELS.get(level, 20)
        self._subject_key = HmacKey(subject_key + b"gate-log-subject")
        self._stream = stream
        self._subjects: dict[str, str] = {}

    def subject_hash(self, sub: str | None) -> str | None:
        if not sub or not isinstance(sub, str):
            return None
        hashed = self._subjects.get(sub)
        if hashed is None:
            if len(self._subjects) >= 256:
                self._subjects.clear()
            hashed = self._subjects[sub] = self._subject_key.digest(sub.encode("utf-8", "replace")).hex()[:16]
        return hashed

    def decision(self, *, path: str, decision: str, reason: str, status: int | None,
                 sub: str | None, duration_ms: float, detail: str | None = None) -> None:
        level = "error" if reason == "internal_error" else "warning" if (status or 0) >= 500 else "info"
        if LEVELS[level] < self._threshold:
            return
        # level, decision and reason are the gate's own identifiers; only the path and the
        # detail come from outside and need escaping
        line = (f'{{"level":"{level}","path":{json_value(path[:MAX_PATH_IN_LOG])},'
                f'"decision":"{decision}","reason":{json_value(reason)},"status":{json_value(status)},'
                f'"subject":{json_value(self.subject_hash(sub))},"ms":{round(duration_ms, 3)!r}')
        if detail:
            line += f',"detail":{json_value(detail)}'
        (self._stream or sys.stdout).write(line + emf_members() + "}\n")
