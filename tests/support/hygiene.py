"""Log capture for the whole test run, and the list of secrets that must never appear in it."""

LOG_LINES: list[str] = []
SECRETS: set[str] = set()


class LogTap:
    """A stream for edge.log.DecisionLog: keeps every line the gate writes."""

    def write(self, text: str) -> None:
        LOG_LINES.extend(line for line in text.splitlines() if line)


def register(*values) -> None:
    for value in values:
        if isinstance(value, str) and len(value) >= 8:
            SECRETS.add(value)


def leaks(lines: list[str]) -> list[tuple[str, str]]:
    found = []
    for line in lines:
        for secret in SECRETS:
            # a token is caught by any 24-character slice of its signature or body
            probes = [secret] if len(secret) < 48 else [secret[i : i + 24] for i in range(0, len(secret) - 24, 24)]
            if any(probe in line for probe in probes):
                found.append((line[:120], secret[:12] + "..."))
                break
    return found
