"""One JSON line per decision, on stdout (CloudWatch Logs in the replica region).

Only what helps to operate the gate: path (never the query string, which carries codes and
state), decision, reason code, status, a keyed hash of the subject, and the duration. Never a
token, code, cookie value or secret. Plain ASCII out, always (lone surrogates included: a strict
stdout could not encode them). `json` writes it: the Lambda runtime has imported json before
the handler, so a hand-written writer saved nothing there (`python -m bench.standins`).
"""

from __future__ import annotations

import sys

from .digest import HmacKey
from .metrics import emf_members

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import TextIO

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
MAX_PATH_IN_LOG = 256


def json_value(value: object) -> str:
    import json  # already loaded in the Lambda runtime (its bootstrap imports it)

    return json.dumps(value if value is None or isinstance(value, (bool, int, float)) else str(value))


class DecisionLog:
    def __init__(self, level: str, subject_key: bytes, stream: TextIO | None = None):
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

    def decision(
        self,
        *,
        path: str,
        decision: str,
        reason: str,
        status: int | None,
        sub: str | None,
        duration_ms: float,
        detail: str | None = None,
    ) -> None:
        level = "error" if reason == "internal_error" else "warning" if (status or 0) >= 500 else "info"
        if LEVELS[level] < self._threshold:
            return
        # level, decision and reason are the gate's own identifiers; only the path and the
        # detail come from outside and need escaping
        line = (
            f'{{"level":"{level}","path":{json_value(path[:MAX_PATH_IN_LOG])},'
            f'"decision":"{decision}","reason":{json_value(reason)},"status":{json_value(status)},'
            f'"subject":{json_value(self.subject_hash(sub))},"ms":{round(duration_ms, 3)!r}'
        )
        if detail:
            line += f',"detail":{json_value(detail)}'
        (self._stream or sys.stdout).write(line + emf_members() + "}\n")
