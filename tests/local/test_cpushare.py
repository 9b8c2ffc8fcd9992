"""local/cpushare.py: the 128 MB Lambda@Edge CPU share (7.2% of one CPU) as a cgroup quota, or
an honest "not available"; and the emulator's workers in it with --cpu-share."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from local import cpushare
from local import emulator as em
from local.cpushare import LAMBDA_EDGE_FRACTION, CpuShare
from tests.local.standin import make_site, make_zip

SPIN = "import os, time\nt = time.monotonic()\nwhile time.monotonic() - t < {s}: pass\nu = os.times()\nprint(u.user + u.system)"


def test_the_edge_share_is_128_of_1769_mb():
    # Lambda: 1,769 MB is one vCPU, CPU in proportion to memory; viewer triggers get 128 MB.
    assert abs(LAMBDA_EDGE_FRACTION - 128 / 1769) < 0.001
    assert cpushare.quota_for(LAMBDA_EDGE_FRACTION) == 1440 and cpushare.PERIOD_US == 20_000


@given(st.floats(min_value=1e-4, max_value=4.0))
def test_quota_is_the_fraction_of_the_period_or_the_kernels_floor(fraction):
    quota = cpushare.quota_for(fraction)
    assert quota >= 1000  # the kernel refuses less
    if fraction * 20_000 >= 1000:
        assert abs(quota / 20_000 - fraction) <= 0.5 / 20_000  # within rounding of one microsecond
    else:
        assert quota == 1000


def test_without_a_writable_cgroup_it_says_so_and_changes_nothing(monkeypatch, tmp_path):
    monkeypatch.setattr(cpushare, "_mounts", lambda: [])
    monkeypatch.setattr(cpushare, "V1_ROOT", str(tmp_path / "nothing"))
    share = CpuShare.create()
    assert not share.available
    assert "not available" in share.describe() and "unthrottled" in share.describe()
    argv = [sys.executable, "-c", "pass"]
    assert share.wrap_argv(argv) == argv
    share.close()


def test_a_process_in_the_share_gets_about_7_percent_of_a_cpu():
    share = CpuShare.create()
    if not share.available:
        pytest.skip(share.describe())
    try:
        started = time.monotonic()
        run = subprocess.run(
            share.wrap_argv([sys.executable, "-c", SPIN.format(s=1.0)]), capture_output=True, text=True
        )
        wall = time.monotonic() - started
        cpu = float(run.stdout)
        assert share.throttled().get("nr_throttled", 0) > 0 or "cpu.max" in share.describe()
    finally:
        share.close()
    # A busy loop for 1 s of wall time: unthrottled it would use ~1 s of CPU; at 7.2% about 0.07 s
    # (the machine's other load can only lower it).
    assert cpu < 0.2, (cpu, wall)
    assert share.path is None  # the group is removed


def test_emulator_workers_run_in_their_own_share(tmp_path):
    probe = CpuShare.create()
    available = probe.available
    probe.close()
    site = make_site(str(tmp_path / "site"))
    logs: list[str] = []
    emulator = em.Emulator(make_zip(str(tmp_path / "e.zip")), site, sink=logs.append, cpu_share=LAMBDA_EDGE_FRACTION)
    with emulator:
        import http.client

        conn = http.client.HTTPConnection("127.0.0.1", emulator.port, timeout=60)
        conn.request("GET", "/env", headers={"Host": f"localhost:{emulator.port}"})
        env = json.loads(conn.getresponse().read())
        with open(f"/proc/{env['pid']}/cgroup") as f:
            groups = [line.strip() for line in f if "gate-cpushare-" in line]
        described = emulator.pool.cpu_share_used
    assert described.startswith("CPU share 7.2% of one CPU")
    if available:
        assert len(groups) == 1 and ("cpu" in groups[0].split(":")[1] or groups[0].startswith("0::"))
        assert "not available" not in described
    else:
        assert groups == [] and "not available" in described
    for line in groups:  # removed when the emulator stops
        _, controllers, path = line.split(":", 2)
        if "cpu" in controllers.split(","):
            assert not os.path.exists(cpushare.V1_ROOT + path)


def test_bench_cold_start_is_the_runtime_itself(tmp_path):
    """The benchmark's Lambda context (runtime_api.bench_cold): awslambdaric on the task root,
    INIT before the event, timed spawn -> answer; at the CPU share when there is one."""
    from gatebuild.runtime import best_python
    from local.runtime_api import bench_cold, cold_start
    from local.taskdir import TaskDir

    interpreter = best_python()
    version = tuple(interpreter.version[:2])
    task = TaskDir(make_zip(str(tmp_path / "e.zip")))
    try:
        ev = {"Records": [{"cf": {"config": {}, "request": {"uri": "/env", "querystring": "", "headers": {}}}}]}
        result = cold_start(interpreter.path, task.path, ev, version=version)
        body = json.loads(result["result"]["body"])
        assert any(f.endswith("awslambdaric/bootstrap.py") for f in body["imported_by"])
        assert 0 < result["init_ns"] < result["spawn_to_answer_ns"]
        assert result["vmhwm_kib"] and result["vmhwm_kib"] < 128 * 1024
        reply, _out, err = bench_cold(interpreter.path, task.path, ev)
        t0, t1, t2, status = err.split()[1:]
        assert int(t0) == reply["spawn_ns"] < int(t1) < int(t2) and status == "200" and reply["status"] == 0
        assert reply["ns"] == int(t2) - int(t0)
        floor, _, floor_err = bench_cold(interpreter.path, None, {})
        assert floor["status"] == 0 and int(floor_err.split()[1]) > floor["spawn_ns"]
        with CpuShare.create() as share:
            if share.available:
                slow = cold_start(interpreter.path, task.path, ev, version=version, cpu_share=share)
                # at 7.2% of a CPU the same cold start takes several times longer
                assert slow["spawn_to_answer_ns"] > 2 * result["spawn_to_answer_ns"]
    finally:
        task.remove()
