"""The state-signing secret, generated once per checkout when the config gives none.

It lives in build/state-secret (mode 0600, git-ignored) so repeated builds are byte-identical;
delete the file to rotate it (logins in progress at that moment then have to start again).
"""

from __future__ import annotations

import base64
import os
import secrets

DEFAULT_PATH = os.path.join("build", "state-secret")


def load_or_create(path: str = DEFAULT_PATH) -> bytes:
    try:
        with open(path, "rb") as f:
            raw = base64.urlsafe_b64decode(f.read().strip())
        if len(raw) >= 32:
            return raw
    except (FileNotFoundError, ValueError):
        pass
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    raw = secrets.token_bytes(32)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(base64.urlsafe_b64encode(raw))
    return raw
