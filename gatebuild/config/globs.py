"""Questions about path patterns ('*' any characters, '/' too; '?' exactly one) at build time.

`witness(must, must_not)` is the shortest path that every pattern in `must` matches and no
pattern in `must_not` does, or None. It walks the product of the patterns' automata (each state
the set of pattern positions reached), so overlap ("both match") and inclusion ("nothing the
first matches escapes the second") are exact, not guessed from prefixes. Only the characters the
patterns name, plus one they don't, need trying: '*' and '?' treat all other characters alike.
"""

from __future__ import annotations

from collections import deque

_PREFERRED_OTHER = "xyzqjkw0123456789"
MAX_STATES = 200_000


class TooComplex(Exception):
    """The patterns have too many ways to match together to be compared in reasonable time."""


def _closure(pattern: str, states) -> frozenset:
    out = set(states)
    stack = list(states)
    while stack:
        i = stack.pop()
        if i < len(pattern) and pattern[i] == "*" and i + 1 not in out:
            out.add(i + 1)
            stack.append(i + 1)
    return frozenset(out)


def _step(pattern: str, states: frozenset, char: str) -> frozenset:
    after = set()
    for i in states:
        if i < len(pattern):
            wanted = pattern[i]
            if wanted == "*":
                after.add(i)
            elif wanted == "?" or wanted == char:
                after.add(i + 1)
    return _closure(pattern, after)


def witness(must: list[str], must_not: list[str] = ()) -> str | None:
    patterns = list(must) + list(must_not)
    named = sorted({c for p in patterns for c in p if c not in "*?"})
    other = next((c for c in _PREFERRED_OTHER if c not in named), None)
    if other is None:
        other = next(chr(c) for c in range(0x4E00, 0x10FFFF) if chr(c) not in named)
    alphabet = [other, *named]
    count = len(must)
    start = tuple(_closure(p, {0}) for p in patterns)
    seen = {start: ""}
    queue = deque([start])
    while queue:
        states = queue.popleft()
        if any(not s for s in states[:count]):
            continue  # a pattern that must match has no way left to match
        text = seen[states]
        if all(len(p) in s for p, s in zip(must, states, strict=False)) and not any(
            len(p) in s for p, s in zip(must_not, states[count:], strict=False)
        ):
            return text
        for char in alphabet:
            after = tuple(_step(p, s, char) for p, s in zip(patterns, states, strict=False))
            if after not in seen:
                seen[after] = text + char
                queue.append(after)
        if len(seen) > MAX_STATES:
            raise TooComplex()
    return None
