"""Find the target runtime's interpreter (python3.13), on PATH or under pyenv."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess

TARGET = (3, 13)
TARGET_NAME = "python3.13"


def _reports_target(path: str) -> bool:
    try:
        out = subprocess.run([path, "-I", "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.SubprocessError):
        return False
    return out.returncode == 0 and out.stdout.split() == [str(n) for n in TARGET]


def find_python313() -> str | None:
    candidates = []
    if os.environ.get("GATE_PYTHON313"):
        candidates.append(os.environ["GATE_PYTHON313"])
    on_path = shutil.which(TARGET_NAME)
    if on_path:
        candidates.append(on_path)
    pyenv_root = os.environ.get("PYENV_ROOT") or os.path.expanduser("~/.pyenv")
    candidates += sorted(glob.glob(os.path.join(pyenv_root, "versions", "3.13*", "bin", TARGET_NAME)),
                         reverse=True)
    for candidate in candidates:
        if _reports_target(candidate):
            return candidate
    return None
