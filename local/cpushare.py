"""A CPU share for a process, the way Lambda sizes CPU: in proportion to memory.

Lambda gives a function CPU in proportion to its memory, 1,769 MB being one full vCPU
(https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). A viewer-request
Lambda@Edge function has at most 128 MB, so it runs on about 128 / 1769 = 7.2% of one CPU.
This module puts processes in a cgroup with a CFS bandwidth quota of that fraction:

- cgroup v1 (`cpu` controller): `cpu.cfs_period_us` and `cpu.cfs_quota_us`. The kernel refuses
  a quota under 1,000 us, so the period is 20 ms: 7.2% is 1,440 us per 20,000 us.
- cgroup v2: `cpu.max` ("1440 20000") in a child of a cgroup2 hierarchy whose `cpu` controller
  can be enabled.

Whichever is writable here is used (v1 first); when neither is, `.available` is False and
`.describe()` says "not available" and why: callers then run without a share and must say so,
never report a throttled figure they did not measure.

    share = CpuShare.create(LAMBDA_EDGE_FRACTION)
    argv = share.wrap_argv([python, "-c", "..."])   # the process joins the group before exec
    ...                                              # or share.add(pid) for a running process
    share.close()                                    # kills nothing; removes the group when empty

One group per share, so each process given its own share gets its own 7.2% (Lambda gives each
execution environment its own CPU; several environments do not split one share). Groups are
named `gate-cpushare-<pid of the creator>-<n>`; `create` removes empty groups left by creators
that no longer run (a creator killed with SIGKILL cannot remove its own).
"""

from __future__ import annotations

import itertools
import os
import re
import time

LAMBDA_ONE_VCPU_MB = 1769
LAMBDA_EDGE_MEMORY_MB = 128
# 128 / 1769 = 0.0724; the issue and FIELD-NOTES round it to 7.2% (1,440 us per 20 ms period).
LAMBDA_EDGE_FRACTION = 0.072
LAMBDA_EDGE_SHARE = LAMBDA_EDGE_FRACTION  # the name bench/share.py uses
PERIOD_US = 20_000
MIN_QUOTA_US = 1_000  # the kernel's floor for cpu.cfs_quota_us / cpu.max
PREFIX = "gate-cpushare-"
V1_ROOT = "/sys/fs/cgroup/cpu"
_numbers = itertools.count(1)


def quota_for(fraction: float, period_us: int = PERIOD_US) -> int:
    """The CFS quota (us per period) for a fraction of one CPU; never under the kernel's floor."""
    if not fraction > 0:
        raise ValueError(f"a CPU share must be positive, not {fraction}")
    return max(MIN_QUOTA_US, round(fraction * period_us))


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, options) for every cgroup mount."""
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                    found.append((parts[1].replace("\\040", " "), parts[2], set(parts[3].split(","))))
    except OSError:
        pass
    return found


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_stale(root: str) -> None:
    """Empty groups left behind by creators that no longer run."""
    try:
        names = os.listdir(root)
    except OSError:
        return
    for name in names:
        match = re.fullmatch(re.escape(PREFIX) + r"(\d+)-\d+", name)
        if match and int(match.group(1)) != os.getpid() and not _pid_alive(int(match.group(1))):
            try:
                os.rmdir(os.path.join(root, name))
            except OSError:
                pass  # still has processes (they will be gone soon) or not ours


class CpuShare:
    """A cgroup with a CFS quota, or the honest absence of one (.available False)."""

    def __init__(self, fraction: float, path: str | None, kind: str, reason: str = ""):
        self.fraction = fraction
        self.path = path
        self.kind = kind  # "cgroup v1", "cgroup v2" or "none"
        self.reason = reason
        self.quota_us = quota_for(fraction)
        self.period_us = PERIOD_US

    @property
    def available(self) -> bool:
        return self.path is not None

    @classmethod
    def create(cls, fraction: float = LAMBDA_EDGE_FRACTION, period_us: int = PERIOD_US) -> CpuShare:
        if period_us != PERIOD_US:
            raise ValueError(f"the period is {PERIOD_US} us (the quota's floor is {MIN_QUOTA_US} us)")
        quota = quota_for(fraction)
        reasons = []
        for make in (cls._make_v1, cls._make_v2):
            try:
                path, kind = make(quota)
                return cls(fraction, path, kind)
            except OSError as exc:
                reasons.append(f"{make.__name__[-2:]}: {exc.strerror or exc}")
        return cls(fraction, None, "none", "; ".join(reasons))

    @classmethod
    def probe(cls, fraction: float = LAMBDA_EDGE_FRACTION) -> str:
        """What a share would be here (describe()), without keeping a group."""
        share = cls.create(fraction)
        try:
            text = share.describe()
            return (
                text.replace(f" ({share.path})", f" (a group per process under {os.path.dirname(share.path)})")
                if share.path
                else text
            )
        finally:
            share.close()

    @staticmethod
    def _new_dir(root: str) -> str:
        _remove_stale(root)
        path = os.path.join(root, f"{PREFIX}{os.getpid()}-{next(_numbers)}")
        os.mkdir(path, 0o755)
        return path

    @staticmethod
    def _make_v1(quota: int) -> tuple[str, str]:
        roots = [m for m, fs, opts in _mounts() if fs == "cgroup" and "cpu" in opts]
        root = roots[0] if roots else V1_ROOT
        if not os.path.exists(os.path.join(root, "cpu.cfs_quota_us")):
            raise OSError(0, "no cgroup v1 cpu controller mounted")
        path = CpuShare._new_dir(root)
        try:
            with open(os.path.join(path, "cpu.cfs_period_us"), "w") as f:
                f.write(str(PERIOD_US))
            with open(os.path.join(path, "cpu.cfs_quota_us"), "w") as f:
                f.write(str(quota))
        except OSError:
            os.rmdir(path)
            raise
        return path, "cgroup v1"

    @staticmethod
    def _make_v2(quota: int) -> tuple[str, str]:
        roots = [m for m, fs, _ in _mounts() if fs == "cgroup2"]
        if not roots:
            raise OSError(0, "no cgroup2 hierarchy mounted")
        root = roots[0]
        with open(os.path.join(root, "cgroup.controllers")) as f:
            if "cpu" not in f.read().split():
                raise OSError(0, "the cpu controller is not in the cgroup2 hierarchy (it is bound to v1)")
        with open(os.path.join(root, "cgroup.subtree_control")) as f:
            enabled = "cpu" in f.read().split()
        if not enabled:
            with open(os.path.join(root, "cgroup.subtree_control"), "w") as f:
                f.write("+cpu")
        path = CpuShare._new_dir(root)
        try:
            with open(os.path.join(path, "cpu.max"), "w") as f:
                f.write(f"{quota} {PERIOD_US}")
        except OSError:
            os.rmdir(path)
            raise
        return path, "cgroup v2"

    def describe(self) -> str:
        """What was used ("7.2% of one CPU: cgroup v1 ... = 1440 us per 20000 us (path)"), or
        "7.2% of one CPU: not available (why); running unthrottled"."""
        percent = f"{self.fraction:.1%} of one CPU"
        if not self.available:
            return f"{percent}: not available ({self.reason}); running unthrottled"
        files = "cpu.cfs_quota_us/cpu.cfs_period_us" if self.kind == "cgroup v1" else "cpu.max"
        return f"{percent}: {self.kind} {files} = {self.quota_us} us per {self.period_us} us ({self.path})"

    def pids(self) -> list[int]:
        if not self.path:
            return []
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def add(self, pid: int) -> None:
        """Move a running process (not its existing threads' children) into the group."""
        if self.path:
            with open(os.path.join(self.path, "cgroup.procs"), "w") as f:
                f.write(str(pid))

    def wrap_argv(self, argv: list[str]) -> list[str]:
        """argv run so that the process is in the group before it execs the program (so its
        start-up is throttled too): a POSIX shell writes its own pid, then execs. Unchanged when
        the share is not available."""
        if not self.path:
            return list(argv)
        procs = os.path.join(self.path, "cgroup.procs")
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *argv]

    def throttled(self) -> dict[str, int]:
        """The kernel's own count of periods and throttled periods (cpu.stat)."""
        stats: dict[str, int] = {}
        if self.path:
            try:
                with open(os.path.join(self.path, "cpu.stat")) as f:
                    for line in f:
                        key, _, value = line.partition(" ")
                        if value.strip().isdigit():
                            stats[key] = int(value)
            except OSError:
                pass
        return stats

    def close(self, wait_s: float = 5.0) -> None:
        """Remove the group. Processes still in it are moved back to the parent group first (a
        process that just exited may take a moment to leave: waits up to wait_s)."""
        if not self.path:
            return
        parent = os.path.join(os.path.dirname(self.path), "cgroup.procs")
        for pid in self.pids():
            try:
                with open(parent, "w") as f:
                    f.write(str(pid))
            except OSError:
                pass
        deadline = time.monotonic() + wait_s
        while True:
            try:
                os.rmdir(self.path)
                break
            except FileNotFoundError:
                break
            except OSError:
                if time.monotonic() >= deadline:
                    return  # still busy: a later create() removes it once its creator is gone
                time.sleep(0.02)
        self.path = None

    def __enter__(self) -> CpuShare:
        return self

    def __exit__(self, *exc) -> None:
        self.close()
