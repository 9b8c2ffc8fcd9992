"""The function package unpacked like /var/task, without showing its secrets to anyone else.

The built zip holds the client secret and the state-signing keys (the compiled `baked` module)
and is written 0600. Unpacked, it must stay as private (issue 21, item 4):

- the directory is made by `tempfile.mkdtemp` (0700 from the start); every directory inside is
  created 0700 and every file is created by `os.open(..., O_CREAT | O_EXCL, 0o400)` (0500 when
  the zip marks it executable), so no file or folder is ever wider than its owner, not even for
  a moment (no extract-then-chmod);
- afterwards the folders are narrowed to 0500 (read-only like /var/task; the worker also
  refuses writes outside /tmp, since mode bits do not stop root);
- it goes on a memory-backed file system when there is one (/dev/shm), so nothing reaches a
  disk, and is named `gate-task-<pid>-...`: `remove()` deletes it on every clean stop, the
  emulator's guardian process (local/reaper.py) deletes it when the emulator is killed, and the
  next TaskDir removes any left by a process that no longer runs (both were killed at once).

The worker runs as the same user, so 0400 is enough for it to read.
"""

from __future__ import annotations

import calendar
import os
import re
import shutil
import stat
import tempfile
import zipfile

PREFIX = "gate-task-"
SHM = "/dev/shm"


def _is_tmpfs(path: str) -> bool:
    try:
        with open("/proc/self/mounts") as f:
            return any(line.split()[1] == path and line.split()[2] == "tmpfs" for line in f if len(line.split()) > 2)
    except OSError:
        return False


def default_root() -> str:
    """Memory-backed /dev/shm when it is a writable tmpfs, else the temp folder ($TMPDIR)."""
    if os.path.isdir(SHM) and os.access(SHM, os.W_OK | os.X_OK) and _is_tmpfs(SHM):
        return SHM
    return tempfile.gettempdir()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _rmtree(path: str) -> None:
    for root, dirs, _files in os.walk(path):
        for name in dirs:
            try:
                os.chmod(os.path.join(root, name), 0o700)
            except OSError:
                pass
    shutil.rmtree(path, ignore_errors=True)


def remove_stale(roots: tuple[str, ...] | None = None) -> list[str]:
    """Remove task folders of this user whose emulator no longer runs; returns what it removed."""
    removed = []
    for root in roots or tuple(dict.fromkeys((SHM, tempfile.gettempdir()))):
        try:
            names = os.listdir(root)
        except OSError:
            continue
        for name in names:
            match = re.fullmatch(re.escape(PREFIX) + r"(\d+)-[A-Za-z0-9_]+", name)
            if not match:
                continue
            path = os.path.join(root, name)
            try:
                info = os.lstat(path)
            except OSError:
                continue
            if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.getuid():
                continue
            pid = int(match.group(1))
            if pid != os.getpid() and not _alive(pid):
                _rmtree(path)
                removed.append(path)
    return removed


def _safe_parts(name: str) -> list[str]:
    parts = [p for p in name.replace("\\", "/").split("/") if p not in ("", ".")]
    if name.startswith("/") or any(p == ".." for p in parts):
        raise ValueError(f"entry {name!r} escapes the package")
    return parts


class TaskDir:
    """The zip unpacked privately (see the module docstring); `.path` is the task root."""

    def __init__(self, zip_path: str, root: str | None = None):
        self.zip_path = os.path.abspath(zip_path)
        self.size = os.path.getsize(self.zip_path)
        remove_stale()
        self.parent = tempfile.mkdtemp(prefix=f"{PREFIX}{os.getpid()}-", dir=root or default_root())  # 0700
        self.path = os.path.join(self.parent, "task")
        try:
            os.mkdir(self.path, 0o700)
            self._extract()
        except BaseException:
            self.remove()
            raise

    def _extract(self) -> None:
        made = [self.path]
        with zipfile.ZipFile(self.zip_path) as archive:
            for info in archive.infolist():
                try:
                    parts = _safe_parts(info.filename)
                except ValueError as exc:
                    raise ValueError(f"{self.zip_path}: {exc}") from None
                if not parts:
                    continue
                folder = self.path
                for part in parts[:-1] if not info.is_dir() else parts:
                    folder = os.path.join(folder, part)
                    if not os.path.isdir(folder):
                        os.mkdir(folder, 0o700)
                        made.append(folder)
                if info.is_dir():
                    continue
                target = os.path.join(folder, parts[-1])
                executable = (info.external_attr >> 16) & 0o111
                fd = os.open(
                    target,
                    os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW | os.O_CLOEXEC,
                    0o500 if executable else 0o400,
                )
                try:
                    with archive.open(info) as source:
                        while chunk := source.read(1 << 16):
                            os.write(fd, chunk)
                    stamp = calendar.timegm((*info.date_time, 0, 0, 0))
                    os.utime(fd, (stamp, stamp))  # shipped .pyc stay valid
                finally:
                    os.close(fd)
        for folder in reversed(made):
            os.chmod(folder, 0o500)  # narrower than 0700: read-only, still the owner's alone

    def remove(self) -> None:
        _rmtree(self.parent)
