"""Issue 21, item 4: the unpacked function (client and state secrets in its `baked` module) is
never readable by another local user, and nothing of it is left behind however the emulator
stops (its own stop, Ctrl-C, SIGTERM, kill -9).

The other-user tests create a throwaway system user (root only; CI runs as root) and try to
read as that user with setpriv; elsewhere they are skipped, saying why.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
import time
import uuid

import pytest

from local import emulator as em
from local import taskdir
from local.stack import free_port
from tests.local.standin import ROUTER, make_site, make_zip

ROOT = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
SECRET = "client-secret-" + uuid.uuid4().hex
BAKED = f'CLIENT_SECRET = "{SECRET}"\nSTATE_SECRET = "state-{SECRET}"\n'


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    return make_site(str(tmp_path_factory.mktemp("site")))


@pytest.fixture
def secret_zip(tmp_path):
    path = make_zip(str(tmp_path / "edge.zip"), ROUTER, extra={"edge/baked.py": BAKED, "bin/tool": "#!/bin/sh\n"})
    os.chmod(path, 0o600)
    return path


def fetch_json(port: int, path: str = "/env") -> dict:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Host": f"localhost:{port}"})
    resp = conn.getresponse()
    body = resp.read()
    conn.close()
    assert resp.status == 200, body[:500]
    return json.loads(body)


def wider_than_owner(path: str) -> list[str]:
    """Every path under `path` (itself included) whose mode gives anything to group or others."""
    found = []
    for root, dirs, files in os.walk(path):
        for name in [root, *(os.path.join(root, d) for d in dirs), *(os.path.join(root, f) for f in files)]:
            mode = os.lstat(name).st_mode
            if mode & 0o077:
                found.append(f"{name} {stat.filemode(mode)}")
    return found


# ---- the modes, at every moment ------------------------------------------------------------


def test_unpacked_package_is_its_owners_alone(secret_zip):
    task = taskdir.TaskDir(secret_zip)
    try:
        assert stat.S_IMODE(os.stat(task.parent).st_mode) == 0o700
        assert wider_than_owner(task.parent) == []
        with open(os.path.join(task.path, "edge", "baked.py")) as f:  # the owner (the worker) reads it
            assert SECRET in f.read()
        assert stat.S_IMODE(os.stat(os.path.join(task.path, "edge", "baked.py")).st_mode) == 0o400
        assert stat.S_IMODE(os.stat(os.path.join(task.path, "bin", "tool")).st_mode) == 0o400
        assert stat.S_IMODE(os.stat(os.path.join(task.path, "edge")).st_mode) == 0o500
        if taskdir.default_root() == taskdir.SHM:
            assert task.parent.startswith("/dev/shm/")  # memory-backed: never on a disk
    finally:
        task.remove()
    assert not os.path.exists(task.parent)


_WATCH: dict = {"root": None, "seen": [], "wide": []}


def _audit(event: str, args: tuple) -> None:
    """At every file-system event of the extraction, look at everything made so far."""
    root = _WATCH["root"]
    if root is None or _WATCH.get("busy") or not event.startswith(("open", "os.")):
        return
    _WATCH["busy"] = True
    try:
        _look(root, event)
    finally:
        _WATCH["busy"] = False


def _look(root: str, event: str) -> None:
    for root_dir, dirs, files in os.walk(root):
        for name in [root_dir, *(os.path.join(root_dir, n) for n in dirs + files)]:
            try:
                mode = os.lstat(name).st_mode
            except OSError:
                continue
            _WATCH["seen"].append(name)
            if mode & 0o077:
                _WATCH["wide"].append((event, name, stat.filemode(mode)))


def test_no_moment_when_a_file_is_wider(secret_zip, tmp_path):
    """With umask 0 (so only the modes the code asks for count), the extraction never leaves a
    folder or file readable by others between two of its own file-system calls."""
    if not getattr(sys, "_gate_audit_installed", False):
        sys.addaudithook(_audit)
        sys._gate_audit_installed = True  # type: ignore[attr-defined]
    root = str(tmp_path / "root")
    os.mkdir(root, 0o700)
    old = os.umask(0)
    _WATCH.update(root=root, seen=[], wide=[])
    try:
        task = taskdir.TaskDir(secret_zip, root=root)
    finally:
        _WATCH["root"] = None
        os.umask(old)
    try:
        assert any(n.endswith("baked.py") for n in _WATCH["seen"])  # the watcher did see the files
        assert _WATCH["wide"] == []
    finally:
        task.remove()


def test_stale_folders_of_dead_emulators_are_removed(tmp_path):
    dead = subprocess.Popen(["true"])
    dead.wait()
    stale = tmp_path / f"{taskdir.PREFIX}{dead.pid}-abc123"
    (stale / "task" / "edge").mkdir(parents=True)
    (stale / "task" / "edge" / "baked.py").write_text(BAKED)
    os.chmod(stale / "task" / "edge", 0o500)
    mine = tmp_path / f"{taskdir.PREFIX}{os.getpid()}-live"
    mine.mkdir()
    removed = taskdir.remove_stale((str(tmp_path),))
    assert removed == [str(stale)] and not stale.exists() and mine.exists()


# ---- another local user ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def other_user():
    if os.geteuid() != 0:
        pytest.skip("needs root to create a throwaway user (CI runs as root)")
    if not (shutil.which("useradd") and shutil.which("setpriv")):
        pytest.skip("needs useradd and setpriv (util-linux) to act as another user")
    name = "gateother" + uuid.uuid4().hex[:6]
    subprocess.run(["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name], check=True)
    try:
        import pwd

        entry = pwd.getpwnam(name)
        yield entry.pw_uid, entry.pw_gid
    finally:
        subprocess.run(["userdel", name], check=False)


def as_user(uid_gid: tuple[int, int], code: str) -> subprocess.CompletedProcess:
    """Run Python code as the other user (a Python it can execute: root's own may be under /root)."""
    uid, gid = uid_gid
    for python in ("/usr/bin/python3", sys.executable):
        argv = ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", python, "-I", "-S", "-c"]
        if os.path.exists(python) and subprocess.run([*argv, "pass"], capture_output=True).returncode == 0:
            return subprocess.run([*argv, code], capture_output=True, text=True, timeout=60, cwd="/")
    pytest.skip("no Python the throwaway user can execute")


def test_another_user_reads_nothing_while_it_runs(other_user, secret_zip, site):
    with em.Emulator(secret_zip, site, sink=lambda _l: None) as emulator:
        env = fetch_json(emulator.port)  # a worker is up, the package unpacked
        task = env["task_root"]
        api = env["env"]["AWS_LAMBDA_RUNTIME_API"]
        parent = os.path.dirname(task)
        probe = f"""
import os, http.client
task, parent = {task!r}, {parent!r}
read = []
for path in (os.path.join(task, "edge", "baked.py"), os.path.join(task, "edge", "handler.py")):
    try:
        read.append(open(path).read())
    except OSError as exc:
        print("denied", path, exc.errno)
for folder in (parent, task):
    try:
        print("listed", folder, os.listdir(folder))
    except OSError as exc:
        print("denied", folder, exc.errno)
for root, dirs, files in os.walk(os.path.dirname(parent)):
    for name in files:
        try:
            with open(os.path.join(root, name)) as f:
                read.append(f.read())
        except (OSError, UnicodeDecodeError):
            pass
    break
print("SECRET SEEN" if any({SECRET!r} in text for text in read) else "secret not seen")
host, port = {api!r}.split(":")
try:
    conn = http.client.HTTPConnection(host, int(port), timeout=3)
    conn.request("GET", "/2018-06-01/runtime/invocation/next")
    print("runtime api answered", conn.getresponse().status)
except OSError as exc:
    print("runtime api refused", type(exc).__name__)
"""
        result = as_user(other_user, probe)
        refused = emulator.pool._all and next(iter(emulator.pool._all)).env.api.refused
    out = result.stdout
    assert "secret not seen" in out and "SECRET SEEN" not in out, out + result.stderr
    assert out.count("denied") == 4, out  # two files, two folders
    assert "listed" not in out
    assert "runtime api refused" in out and "answered" not in out, out
    assert refused >= 1


# ---- nothing left behind, however it stops -----------------------------------------------------


def _pid_gone(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return f.read().rsplit(")", 1)[1].split()[0] == "Z"
    except OSError:
        return True


def _wait(predicate, timeout: float = 15.0) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.05)
    return predicate()


def test_nothing_left_after_stop(secret_zip, site):
    emulator = em.Emulator(secret_zip, site, sink=lambda _l: None).start()
    env = fetch_json(emulator.port)
    parent = os.path.dirname(env["task_root"])
    worker = env["pid"]
    reaper = emulator.pool.reaper.pid
    emulator.stop()
    assert not os.path.exists(parent)
    assert _pid_gone(reaper)
    assert _pid_gone(worker)


@pytest.mark.slow
@pytest.mark.parametrize("how", ["SIGINT", "SIGTERM", "SIGKILL"])
def test_nothing_left_however_the_emulator_process_stops(how, secret_zip, site):
    """`python -m local.emulator` (with --cpu-share, so a cgroup is made too) stopped by Ctrl-C,
    SIGTERM or kill -9: the unpacked package, the workers and the cgroups all go."""
    port = free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "local.emulator",
            "--zip",
            secret_zip,
            "--site",
            site,
            "--port",
            str(port),
            "--cpu-share",
        ],
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        banner = []
        for line in proc.stderr:
            banner.append(line)
            if "listening on" in line:
                break
        text = "".join(banner)
        assert "listening on" in text, text
        assert "CPU share 7.2% of one CPU" in text, text
        env = fetch_json(port)
        parent = os.path.dirname(env["task_root"])
        with open(f"/proc/{env['pid']}/cgroup") as f:
            groups = [line.strip().split(":", 2)[2] for line in f if ":cpu" in line and "gate-cpushare-" in line]
        share_available = "not available" not in text
        assert bool(groups) == share_available, (groups, text)
        assert os.path.exists(parent)
        proc.send_signal(getattr(signal, how))
        proc.wait(timeout=30)
        assert _wait(lambda: not os.path.exists(parent)), f"{parent} left behind after {how}"
        assert _wait(lambda: _pid_gone(env["pid"])), f"worker {env['pid']} left running after {how}"
        for group in groups:
            assert _wait(lambda g=group: not os.path.exists("/sys/fs/cgroup/cpu" + g)), f"cgroup {group} left"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
