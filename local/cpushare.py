"""A CPU share for child processes: a cgroup whose CFS quota is a fraction of one CPU.

Lambda gives CPU in proportion to memory: 1,769 MB is one vCPU, so a 128 MB function (the
Lambda@Edge viewer-request maximum) gets about 7.2% of one CPU ("Memory and computing power",
https://docs.aws.amazon.com/lambda/latest/dg/configuration-memory.html). A cold start here at
full CPU hides what a viewer waits on at the edge; this module runs processes at that share.

    share = CpuShare.create(LAMBDA_EDGE_SHARE)
    if share.available:
        share.add(pid)                      # or: argv = share.wrap_argv(argv)
    print(share.describe())                 # what was used, or why it is "not measured"
    share.close()

Two kernels' interfaces, whichever this machine lets us write (as root):
- cgroup v1 `cpu` controller: a child group with `cpu.cfs_period_us` and `cpu.cfs_quota_us`
  (the kernel's minimum quota is 1,000 us, so 7.2% needs a 20,000 us period: 1,440 us);
- cgroup v2: a child group with `cpu.max` = "<quota> <period>", the `cpu` controller enabled in
  the parent's `cgroup.subtree_control`.
(kernel documentation: scheduler/sched-bwc.rst, admin-guide/cgroup-v1/cgroups.rst,
admin-guide/cgroup-v2.rst.) Where neither is writable, `available` is False and `describe()`
says why: a caller reports "not measured", never a figure taken at full CPU.

The quota caps every thread of every process in the group together, as Lambda caps the whole
sandbox (Node's helper threads count too). Not thread-safe; one owner per instance.
"""

from __future__ import annotations

import os
import secrets
import time

LAMBDA_EDGE_SHARE = 0.072  # 128 MB / 1,769 MB per vCPU = 7.24%; the 7.2%
PERIOD_US = 20_000  # the quota's minimum is 1,000 us, so 7.2% needs a period of at least 13,889 us
MIN_QUOTA_US = 1_000


def _mounts() -> list[tuple[str, str, set[str]]]:
    """(mount point, fs type, options) of every cgroup mount, from /proc/self/mounts."""
    found = []
    try:
        with open("/proc/self/mounts") as f:
            for line in f:
                parts = line.split()
                if len(parts) >= 4 and parts[2] in ("cgroup", "cgroup2"):
                    found.append((parts[1], parts[2], set(parts[3].split(","))))
    except OSError:
        pass
    return found


def _write(path: str, value: str) -> None:
    with open(path, "w") as f:
        f.write(value)


class CpuShare:
    """A cgroup at `fraction` of one CPU, or the reason there is none (`available` False)."""

    def __init__(
        self, fraction: float, path: str | None, kind: str, quota_us: int, period_us: int, reason: str = ""
    ) -> None:
        self.fraction = fraction
        self.path = path
        self.kind = kind  # "cgroup v1", "cgroup v2" or "none"
        self.quota_us = quota_us
        self.period_us = period_us
        self.reason = reason

    @property
    def available(self) -> bool:
        return self.path is not None

    @classmethod
    def create(cls, fraction: float = LAMBDA_EDGE_SHARE, period_us: int = PERIOD_US) -> CpuShare:
        quota_us = round(fraction * period_us)
        if not 0 < fraction <= 1 or quota_us < MIN_QUOTA_US:
            return cls(fraction, None, "none", quota_us, period_us, f"a quota of {quota_us} us is under the minimum")
        name = f"gate-cpushare-{os.getpid()}-{secrets.token_hex(3)}"
        reasons = []
        for mount, fstype, options in _mounts():
            if fstype == "cgroup" and "cpu" in options:
                try:
                    path = os.path.join(mount, name)
                    os.mkdir(path)
                except OSError as exc:
                    reasons.append(f"cgroup v1 {mount}: {exc.strerror}")
                    continue
                try:
                    # the period first: the quota must fit the period and the parent's limits
                    _write(os.path.join(path, "cpu.cfs_period_us"), str(period_us))
                    _write(os.path.join(path, "cpu.cfs_quota_us"), str(quota_us))
                except OSError as exc:
                    reasons.append(f"cgroup v1 {mount}: cpu.cfs_quota_us: {exc.strerror}")
                    _rmdir(path)
                    continue
                return cls(fraction, path, "cgroup v1", quota_us, period_us)
            if fstype == "cgroup2":
                share = cls._create_v2(mount, name, fraction, quota_us, period_us, reasons)
                if share is not None:
                    return share
        if not reasons:
            reasons.append("no cgroup cpu controller is mounted")
        return cls(fraction, None, "none", quota_us, period_us, "; ".join(reasons))

    @classmethod
    def _create_v2(
        cls, mount: str, name: str, fraction: float, quota_us: int, period_us: int, reasons: list[str]
    ) -> CpuShare | None:
        try:
            with open(os.path.join(mount, "cgroup.controllers")) as f:
                if "cpu" not in f.read().split():
                    reasons.append(f"cgroup v2 {mount}: no cpu controller (it is bound to v1)")
                    return None
        except OSError as exc:
            reasons.append(f"cgroup v2 {mount}: {exc.strerror}")
            return None
        path = os.path.join(mount, name)
        try:
            with open(os.path.join(mount, "cgroup.subtree_control")) as f:
                enabled = f.read().split()
            if "cpu" not in enabled:
                _write(os.path.join(mount, "cgroup.subtree_control"), "+cpu")
            os.mkdir(path)
        except OSError as exc:
            reasons.append(f"cgroup v2 {mount}: {exc.strerror}")
            return None
        try:
            _write(os.path.join(path, "cpu.max"), f"{quota_us} {period_us}")
        except OSError as exc:
            reasons.append(f"cgroup v2 {mount}: cpu.max: {exc.strerror}")
            _rmdir(path)
            return None
        return cls(fraction, path, "cgroup v2", quota_us, period_us)

    def describe(self) -> str:
        if not self.available:
            return f"{self.fraction:.1%} of one CPU: not measured ({self.reason})"
        files = "cpu.cfs_quota_us/cpu.cfs_period_us" if self.kind == "cgroup v1" else "cpu.max"
        return (
            f"{self.quota_us / self.period_us:.1%} of one CPU: {self.kind} {files} = "
            f"{self.quota_us} us per {self.period_us} us ({self.path})"
        )

    def add(self, pid: int) -> None:
        """Move a running process (all its threads) into the share; its children inherit it."""
        if not self.available:
            raise RuntimeError(self.describe())
        _write(os.path.join(self.path, "cgroup.procs"), str(pid))  # type: ignore[arg-type]

    def wrap_argv(self, argv: list[str]) -> list[str]:
        """argv that joins the share, then execs argv (the shell's start-up runs at the share too)."""
        if not self.available:
            raise RuntimeError(self.describe())
        procs = os.path.join(self.path, "cgroup.procs")  # type: ignore[arg-type]
        return ["/bin/sh", "-c", 'echo $$ > "$0" && exec "$@"', procs, *argv]

    def pids(self) -> list[int]:
        if not self.available:
            return []
        try:
            with open(os.path.join(self.path, "cgroup.procs")) as f:  # type: ignore[arg-type]
                return [int(x) for x in f.read().split()]
        except OSError:
            return []

    def close(self) -> None:
        """Remove the group. Processes still in it are moved back to the parent group first."""
        if not self.available:
            return
        parent = os.path.join(os.path.dirname(self.path), "cgroup.procs")  # type: ignore[arg-type]
        for pid in self.pids():
            try:
                _write(parent, str(pid))
            except OSError:
                pass
        _rmdir(self.path)  # type: ignore[arg-type]
        self.path = None

    def __enter__(self) -> CpuShare:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _rmdir(path: str) -> None:
    for _ in range(50):  # a process that just exited may take a moment to leave the group
        try:
            os.rmdir(path)
            return
        except FileNotFoundError:
            return
        except OSError:
            time.sleep(0.02)
