"""One JSON line per decision, on stdout (CloudWatch Logs in the replica region).

Only what helps to operate the gate: path (never the query string, which carries codes and
state), decision, reason code, status, a keyed hash of the subject, and the duration. Never a
token, code, cookie value or secret.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import sys

LEVELS = {"debug": 10, "info": 20, "warning": 30, "error": 40}
MAX_PATH_IN_LOG = 256


class DecisionLog:
    def __init__(self, level: str, subject_key: bytes, stream=None):
        self._threshold = LEVELS.get(level, 20)
        self._subject_key = subject_key
        self._stream = stream

    def subject_hash(self, sub: str | None) -> str | None:
        if not sub:
            return None
        return hmac.new(self._subject_key, sub.encode(), hashlib.sha256).hexdigest()[:16]

    def decision(self, *, path: str, decision: str, reason: str, status: int | None,
                 sub: str | None, duration_ms: float, detail: str | None = None) -> None:
        level = "error" if reason == "internal_error" else "warning" if (status or 0) >= 500 else "info"
        if LEVELS[level] < self._threshold:
            return
        record = {
            "level": level,
            "path": path[:MAX_PATH_IN_LOG],
            "decision": decision,
            "reason": reason,
            "status": status,
            "subject": self.subject_hash(sub),
            "ms": round(duration_ms, 3),
        }
        if detail:
            record["detail"] = detail
        (self._stream or sys.stdout).write(json.dumps(record, separators=(",", ":")) + "\n")
