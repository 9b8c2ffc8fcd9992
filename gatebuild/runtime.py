"""Which Python runs the edge code here: the Lambda runtime's version (3.13) when it exists,
else the best interpreter this machine has (3.11+), said loudly once by whoever uses it.

Lookup for 3.13, in order: $GATE_PYTHON313, `python3.13` on PATH (when it actually runs: pyenv's
shim fails unless 3.13 is selected), `$PYENV_ROOT` or `~/.pyenv` versions 3.13*,
/usr/bin/python3.13, /usr/local/bin/python3.13, and this interpreter when it is 3.13.
`GATE_PYTHON313=none` hides every 3.13 (to try the fallback on a machine that has one).

Without 3.13 the gate still builds and runs: the zip ships sources instead of 3.13 bytecode
(every cold start then compiles them; +~0.3-0.5 s on Lambda), and local runs use
`$GATE_PYTHON` or this interpreter, whose behaviour can differ from 3.13's in small ways.
"""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import sys
from typing import NamedTuple

TARGET = (3, 13)
TARGET_NAME = "python3.13"
MINIMUM = (3, 11)
HOW_TO_GET = (
    "get python3.13 with pyenv (pyenv install 3.13), uv (uv python install 3.13), "
    "your distribution's python3.13 package, or the public.ecr.aws/lambda/python:3.13 image; "
    "or point GATE_PYTHON313 at one"
)


class Interpreter(NamedTuple):
    path: str
    version: tuple[int, int]
    exact: bool = False  # the python3.13 that build.py compiles the zip's bytecode with

    @property
    def name(self) -> str:
        return f"python{self.version[0]}.{self.version[1]}"


def version_of(path: str) -> tuple[int, int] | None:
    try:
        out = subprocess.run(
            [path, "-I", "-S", "-c", "import sys; print(*sys.version_info[:2])"],
            capture_output=True,
            text=True,
            timeout=30,
        )
    except (OSError, subprocess.SubprocessError):
        return None
    parts = out.stdout.split()
    if out.returncode != 0 or len(parts) != 2 or not all(p.isdigit() for p in parts):
        return None
    return int(parts[0]), int(parts[1])


def _candidates_313() -> list[str]:
    candidates = []
    if os.environ.get("GATE_PYTHON313"):
        candidates.append(os.environ["GATE_PYTHON313"])
    on_path = shutil.which(TARGET_NAME)
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.13*", "bin", TARGET_NAME)), reverse=True)
    candidates += ["/usr/bin/python3.13", "/usr/local/bin/python3.13"]
    if sys.version_info[:2] == TARGET:
        candidates.append(sys.executable)
    return candidates


def find_python313() -> str | None:
    """A working python3.13, or None (see the module docstring for where it looks)."""
    if os.environ.get("GATE_PYTHON313", "").lower() == "none":
        return None
    for candidate in _candidates_313():
        if (os.path.exists(candidate) or os.sep not in candidate) and version_of(candidate) == TARGET:
            return candidate
    return None


def best_python() -> Interpreter:
    """python3.13 when there is one; else $GATE_PYTHON; else the interpreter running this."""
    exact = find_python313()
    if exact:
        return Interpreter(exact, TARGET, True)
    forced = os.environ.get("GATE_PYTHON")
    if forced:
        version = version_of(forced)
        if version is None:
            raise RuntimeError(f"GATE_PYTHON={forced} does not run; point it at a Python {MINIMUM[0]}.{MINIMUM[1]}+")
        return Interpreter(forced, version)
    return Interpreter(sys.executable, sys.version_info[:2])


def mismatch_notice(interpreter: Interpreter) -> str:
    """The one loud paragraph shown when local runs are not on the Lambda runtime's version."""
    return (
        f"NOTE: no python3.13 here, so the gate runs on {interpreter.name}, not the Lambda "
        "runtime's python3.13.\n"
        "  What that changes: the zip ships Python sources instead of 3.13 bytecode, so every "
        "cold start on Lambda compiles them (~0.3-0.5 s slower first request); the gate's "
        "behaviour is the same.\n"
        f"  For an exact build, {HOW_TO_GET}."
    )
