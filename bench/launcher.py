"""Spawns the benchmark's cold processes and times them: `python3.13 -I -S -B launcher.py`.

A small launcher, not the benchmark's own (large) interpreter, spawns every cold process: on
Linux a child's ru_maxrss starts from its parent's peak at spawn, so spawning from a big
process would inflate the figure. Reads one JSON command per stdin line ({"argv", "out", "err"},
and "env": variables added to the child's minimal environment, if any) and answers with the wall
time from spawn to exit, the spawn time (perf_counter_ns, CLOCK_MONOTONIC, comparable with the
child's own stamps), the exit status and the child's ru_maxrss (KiB), from wait4.

The CPU-share context runs a second launcher moved into the share's cgroup: every child it
spawns starts there, so the whole cold start, exec included, runs at the share.
"""

import json
import os
import sys
import time

ENV = {"LANG": "C.UTF-8"}

for line in sys.stdin:
    command = json.loads(line)
    if command.get("op") == "self":  # the launcher's own peak RSS: the floor of every child's figure
        with open("/proc/self/status") as f:
            hwm = [int(line.split()[1]) for line in f if line.startswith("VmHWM:")]
        sys.stdout.write(json.dumps({"vmhwm_kib": hwm[0] if hwm else None}) + "\n")
        sys.stdout.flush()
        continue
    actions = [
        (os.POSIX_SPAWN_OPEN, 0, os.devnull, os.O_RDONLY, 0),
        (os.POSIX_SPAWN_OPEN, 1, command["out"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
        (os.POSIX_SPAWN_OPEN, 2, command["err"], os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600),
    ]
    started = time.perf_counter_ns()
    env = {**ENV, **command["env"]} if command.get("env") else ENV
    pid = os.posix_spawn(command["argv"][0], command["argv"], env, file_actions=actions)
    _, status, usage = os.wait4(pid, 0)
    wall = time.perf_counter_ns() - started
    sys.stdout.write(
        json.dumps(
            {
                "ns": wall,
                "spawn_ns": started,
                "status": os.waitstatus_to_exitcode(status),
                "maxrss_kib": usage.ru_maxrss,
            }
        )
        + "\n"
    )
    sys.stdout.flush()
