"""A guardian process that undoes what its parent made, however the parent stops.

The emulator unpacks the function (which holds the client and state secrets) and starts
worker processes and cgroups. A normal exit, Ctrl-C and SIGTERM run its own clean-up; a
`kill -9` runs nothing. So every such thing is also registered with a small separate process
(`python -I -S -c <REAPER>`, its own session, so a terminal's Ctrl-C does not reach it): it
reads registrations on a pipe from the parent, and when the pipe closes (the parent exited or
died, for any reason: the kernel closes a dead process's descriptors) it kills the registered
workers, removes the registered directories and cgroups, and exits.

    reaper = Reaper.start()
    reaper.tree(task_dir)          # removed (made writable first) when the parent is gone
    reaper.process(pid)            # its process group killed (only while pid is that same process)
    reaper.cgroup(path)            # rmdir once its processes are gone
    reaper.close()                 # the parent's own clean-up is done: the reaper runs its pass and exits
"""

from __future__ import annotations

import subprocess
import sys
import threading

REAPER = r"""
import os, shutil, signal, sys, time

trees, pids, groups = [], {}, []

def start_time(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None

def clean():
    for pid, stamp in list(pids.items()):
        if start_time(pid) == stamp:  # the same process, not a reused pid
            for kill in (lambda: os.killpg(pid, signal.SIGKILL), lambda: os.kill(pid, signal.SIGKILL)):
                try:
                    kill()
                except OSError:
                    pass
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline and any(start_time(p) == s for p, s in pids.items()):
        time.sleep(0.02)
    for path in trees:
        for root, dirs, _ in os.walk(path):
            for name in dirs:
                try:
                    os.chmod(os.path.join(root, name), 0o700)
                except OSError:
                    pass
        shutil.rmtree(path, ignore_errors=True)
    for path in groups:
        for _ in range(100):
            try:
                os.rmdir(path)
                break
            except FileNotFoundError:
                break
            except OSError:
                time.sleep(0.05)

def stop(*_):
    clean()
    os._exit(0)

signal.signal(signal.SIGTERM, stop)
signal.signal(signal.SIGINT, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
sys.stdout.write("ready\n")
sys.stdout.flush()
for line in sys.stdin:
    kind, _, arg = line.rstrip("\n").partition(" ")
    if kind == "tree":
        trees.append(arg)
    elif kind == "pid":
        pid, stamp = arg.split(" ", 1)
        pids[int(pid)] = stamp
    elif kind == "forget":
        pids.pop(int(arg), None)
    elif kind == "cgroup":
        groups.append(arg)
clean()
"""


def process_start_time(pid: int) -> str | None:
    """Field 22 of /proc/PID/stat: with the pid, it names one process (pids are reused)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[19]
    except OSError:
        return None


class Reaper:
    def __init__(self, proc: subprocess.Popen):
        self.proc = proc
        self._lock = threading.Lock()

    @classmethod
    def start(cls) -> Reaper:
        proc = subprocess.Popen(
            [sys.executable, "-I", "-S", "-c", REAPER],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
            start_new_session=True,
            close_fds=True,
        )
        assert proc.stdout is not None
        if proc.stdout.readline().strip() != "ready":
            raise RuntimeError("the clean-up guardian did not start")
        return cls(proc)

    def _say(self, line: str) -> None:
        with self._lock:
            if self.proc.stdin is None or self.proc.stdin.closed:
                return
            try:
                self.proc.stdin.write(line + "\n")
                self.proc.stdin.flush()
            except (BrokenPipeError, ValueError):
                pass

    def tree(self, path: str) -> None:
        self._say(f"tree {path}")

    def process(self, pid: int) -> None:
        stamp = process_start_time(pid)
        if stamp is not None:
            self._say(f"pid {pid} {stamp}")

    def forget(self, pid: int) -> None:
        self._say(f"forget {pid}")

    def cgroup(self, path: str) -> None:
        self._say(f"cgroup {path}")

    def close(self, timeout: float = 15.0) -> None:
        with self._lock:
            if self.proc.stdin and not self.proc.stdin.closed:
                try:
                    self.proc.stdin.close()
                except BrokenPipeError:
                    pass
        try:
            self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        if self.proc.stdout:
            self.proc.stdout.close()

    @property
    def pid(self) -> int:
        return self.proc.pid
