"""The inside of one emulated Lambda execution environment: Lambda's Python bootstrap.

This file is NOT imported by the emulator: its source is handed to
`python3.13 -I -S -B -c <source> RUNTIME_DIR` (local/runtime_api.py), with Lambda's variables
in the environment (LAMBDA_TASK_ROOT, _HANDLER, AWS_LAMBDA_RUNTIME_API, ...). It does what the
Lambda Python image's /var/runtime/bootstrap.py does (imports json, logging, os, site, sys, time,
traceback, warnings and awslambdaric; puts the task root first on sys.path and adds it as a site
directory; sets PYTHONPATH to the runtime folder; calls awslambdaric's main with the task root
and the handler), so INIT (importing the handler's module) and the invocations run in the order
and context Lambda uses: awslambdaric's own loop asks the Runtime API for each event.

sys.path is the task root, RUNTIME_DIR (awslambdaric and its dependencies only, like
/var/runtime) and the standard library: nothing from this repository or its venv.

One thing Lambda has that a process here lacks is a read-only file system outside /tmp: the
emulator runs as root, where mode bits do not stop writes, so an audit hook refuses them the
way EROFS would. It uses only the standard library.
"""

import errno
import json  # noqa: F401  (what /var/runtime/bootstrap.py imports before awslambdaric)
import logging  # noqa: F401
import os
import site
import sys
import time  # noqa: F401
import traceback  # noqa: F401
import warnings  # noqa: F401

WRITE_FLAGS = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_TRUNC | os.O_APPEND
PATH_EVENTS = {
    "os.mkdir",
    "os.remove",
    "os.rename",
    "os.rmdir",
    "os.chmod",
    "os.chown",
    "os.utime",
    "os.symlink",
    "os.link",
    "os.truncate",
    "shutil.rmtree",
    "shutil.move",
    "shutil.copyfile",
}


def read_only_filesystem(read_only, writable=("/tmp",)):
    """Refuse writes under the read-only folders and anywhere outside /tmp."""
    allowed = tuple(os.path.realpath(p) for p in writable)
    frozen = tuple(os.path.realpath(p) for p in read_only)

    def writable_path(path):
        if isinstance(path, int):
            return True
        real = os.path.realpath(os.fsdecode(path))
        if any(real == f or real.startswith(f + os.sep) for f in frozen):
            return False
        return any(real == a or real.startswith(a + os.sep) for a in allowed)

    def hook(event, args):
        if event == "open":
            path, mode, flags = args
            wants_write = (isinstance(mode, str) and any(c in mode for c in "wax+")) or (
                isinstance(flags, int) and flags & WRITE_FLAGS
            )
            if wants_write and path is not None and not writable_path(path):
                raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(path))
        elif event in PATH_EVENTS:
            for arg in args[:2]:
                if isinstance(arg, (str, bytes, os.PathLike)) and not writable_path(arg):
                    raise OSError(errno.EROFS, "Read-only file system", os.fsdecode(arg))

    sys.addaudithook(hook)


def main():
    runtime = sys.argv[1]
    task = os.environ["LAMBDA_TASK_ROOT"]
    # Lambda's sys.path: the task root first, then the runtime folder, then the standard library.
    sys.path[:0] = [task, runtime]
    read_only_filesystem((task, runtime))
    site.addsitedir(task)  # as Lambda's bootstrap: .pth files in the task root count
    os.environ.setdefault("PYTHONPATH", os.environ.get("LAMBDA_RUNTIME_DIR", runtime))
    import awslambdaric.__main__ as awslambdaric_main

    awslambdaric_main.main([task, os.environ["_HANDLER"]])


if __name__ == "__main__":
    main()
