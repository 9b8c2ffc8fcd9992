"""The configuration's mistakes: ConfigFileError, and the collector that gathers every one."""

from __future__ import annotations


class ConfigFileError(Exception):
    """Mistakes in the user's config file: each a line that names the key and the fix.

    str() lists them one per line (one line when there is one mistake); `mistakes` holds them.
    """

    def __init__(self, *mistakes: str):
        super().__init__("\n".join(mistakes))
        self.mistakes = list(mistakes)


class Mistakes:
    """Collects every mistake of one validation; `broken` names what later checks must not use."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.broken: set[str] = set()

    def check(self, name: str, needs: tuple[str, ...], check, *args):
        """check(*args), or None when it failed (its mistakes kept) or something it needs is broken."""
        if self.broken.intersection(needs):
            self.broken.add(name)
            return None
        try:
            return check(*args)
        except ConfigFileError as exc:
            self.lines.extend(exc.mistakes)
            self.broken.add(name)
            return None
