"""Progress lines for the long steps: stack events as they arrive, upload counts."""

from __future__ import annotations

import sys
from typing import TextIO


class Progress:
    """Writes progress to `stream` (stdout by default); warnings go to `errors` (stderr)."""

    def __init__(self, stream: TextIO | None = None, errors: TextIO | None = None, quiet: bool = False):
        self.stream = stream or sys.stdout
        self.errors = errors or sys.stderr
        self.quiet = quiet
        self._last_count: tuple[str, int] | None = None

    def _write(self, text: str, stream: TextIO | None = None) -> None:
        out = stream or self.stream
        out.write(text + "\n")
        out.flush()

    def step(self, text: str) -> None:
        """A new phase of the deployment."""
        self._write(f"==> {text}")

    def note(self, text: str) -> None:
        if not self.quiet:
            self._write(f"    {text}")

    def warn(self, text: str) -> None:
        self._write(f"warning: {text}", self.errors)

    def result(self, label: str, value: str) -> None:
        """A final value the user needs (URL, ARN); printed even when quiet."""
        self._write(f"{label}: {value}")

    def stack_event(self, event: dict) -> None:
        """One CloudFormation stack event, as it arrives."""
        if self.quiet:
            return
        stamp = event.get("Timestamp")
        when = stamp.strftime("%H:%M:%S") if hasattr(stamp, "strftime") else str(stamp or "")
        reason = event.get("ResourceStatusReason") or ""
        line = (
            f"    {when}  {event.get('ResourceStatus', ''):<28} {event.get('ResourceType', ''):<40} "
            f"{event.get('LogicalResourceId', '')}"
        )
        if reason and reason != "User Initiated":
            line += f"  ({reason})"
        self._write(line.rstrip())

    def count(self, label: str, done: int, total: int) -> None:
        """Upload counts: about every 10% (at least every 5 files) and the last one."""
        if self.quiet or total <= 0:
            return
        every = max(5, total // 10)
        if done == total or done % every == 0:
            self._write(f"    {label} {done}/{total}")
