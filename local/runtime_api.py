"""The Lambda Runtime API on loopback, and the function run behind it under `awslambdaric`.

Lambda's Python runtime is `awslambdaric` (the Runtime Interface Client, on PyPI; pinned in
requirements-dev.txt) started by /var/runtime/bootstrap.py. It talks HTTP to the Runtime API at
`$AWS_LAMBDA_RUNTIME_API` ("Using the Lambda runtime API for custom runtimes",
https://docs.aws.amazon.com/lambda/latest/dg/runtimes-api.html):

- `GET  /2018-06-01/runtime/invocation/next`: blocks until there is an event; answers it as the
  body, with `Lambda-Runtime-Aws-Request-Id`, `Lambda-Runtime-Deadline-Ms` (Unix ms),
  `Lambda-Runtime-Invoked-Function-Arn` and `Lambda-Runtime-Trace-Id`;
- `POST /2018-06-01/runtime/invocation/{id}/response`: the handler's answer (202);
- `POST /2018-06-01/runtime/invocation/{id}/error`: an unhandled error (202), its type in
  `Lambda-Runtime-Function-Error-Type`;
- `POST /2018-06-01/runtime/init/error`: INIT failed (202); the runtime then exits.

INIT is everything from the process's start to its first `/next` (the bootstrap imports the
handler's module before asking for an event), which is what Lambda reports as Init Duration
(https://docs.aws.amazon.com/lambda/latest/dg/lambda-runtime-environment.html).

`RuntimeApi` is one execution environment's API; `Environment` is one awslambdaric process with
its API (the emulator's warm worker; the benchmark's cold process, `cold_start`). The process
is `python -I -S -B -c <local/lambda_worker.py> RUNTIME_DIR`, whose sys.path is only the task
root, the runtime folder (awslambdaric and its two dependencies, copied out of this venv: as
Lambda's /var/runtime, outside the task root) and the standard library.

The API listens on 127.0.0.1 and answers only connections from processes of this user (the
peer's uid, from /proc/net/tcp): another local user cannot take an event (cookies and all) or
post an answer.
"""

from __future__ import annotations

import http.server
import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from local.cpushare import CpuShare

API_VERSION = "2018-06-01"
DEFAULT_HANDLER = "edge.handler.handler"
INIT_TIMEOUT_S = 10.0  # Lambda's INIT phase limit
MAX_RESPONSE_BYTES = 6 * 1024 * 1024  # the Runtime API's own limit (413); CloudFront's 40 KB is checked later
RUNTIME_DISTRIBUTIONS = ("awslambdaric", "simplejson", "snapshot-restore-py")
BOOTSTRAP_SOURCE = (Path(__file__).with_name("lambda_worker.py")).read_text(encoding="utf-8")
FUNCTION_NAME = "us-east-1.gate-edge"  # Lambda@Edge replicas are named <region>.<function>
FUNCTION_ARN = "arn:aws:lambda:us-east-1:000000000000:function:gate-edge:1"


class RuntimeMissing(Exception):
    """awslambdaric is not installed for the worker's Python."""


class InitFailed(Exception):
    def __init__(self, error_type: str, message: str, stack: list[str] | None = None):
        super().__init__(f"{error_type}: {message}")
        self.error_type = error_type
        self.message = message
        self.stack = stack or []


class RuntimeExited(Exception):
    def __init__(self, code: int | None, phase: str):
        super().__init__(f"Runtime exited with status {code} during {phase}")
        self.code = code
        self.phase = phase


class InvokeTimeout(Exception):
    pass


# --------------------------------------------------------------------------------------------
# The runtime folder (/var/runtime): awslambdaric and its dependencies, nothing else
# --------------------------------------------------------------------------------------------


def runtime_dir(version: tuple[int, int] | None = None) -> str:
    """A folder holding only awslambdaric and its dependencies, copied from this environment's
    installation (one pin in requirements-dev.txt). Made once per version set; read-only use."""
    from importlib import metadata

    version = tuple(version or sys.version_info[:2])  # type: ignore[assignment]
    if version != tuple(sys.version_info[:2]):
        raise RuntimeMissing(
            f"awslambdaric is installed for Python {sys.version_info[0]}.{sys.version_info[1]} (this venv), "
            f"but the worker runs Python {version[0]}.{version[1]}: run the emulator from a venv of the "
            "worker's Python (scripts/setup makes .venv with python3.13 when there is one)"
        )
    try:
        dists = [metadata.distribution(name) for name in RUNTIME_DISTRIBUTIONS]
    except metadata.PackageNotFoundError as exc:
        raise RuntimeMissing(f"{exc.name} is not installed in {sys.prefix}: run scripts/setup") from None
    key = f"py{version[0]}.{version[1]}-" + "-".join(f"{d.metadata['Name']}-{d.version}" for d in dists)
    for base in (os.path.join(sys.prefix, "lambda-runtime"), os.path.expanduser("~/.cache/gate-lambda-runtime")):
        target = os.path.join(base, key)
        if os.path.isdir(target):
            return target
        try:
            os.makedirs(base, exist_ok=True)
            staging = tempfile.mkdtemp(prefix=".staging-", dir=base)
        except OSError:
            continue
        for dist in dists:
            for entry in dist.files or ():
                parts = Path(str(entry)).parts
                if ".." in parts or parts[0].endswith(".dist-info") or "__pycache__" in parts:
                    continue
                source = Path(str(dist.locate_file(entry)))
                destination = Path(staging, *parts)
                destination.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source, destination)
        os.chmod(staging, 0o755)
        try:
            os.rename(staging, target)
        except OSError:  # made meanwhile by another process
            shutil.rmtree(staging, ignore_errors=True)
        return target
    raise RuntimeMissing(f"cannot write a runtime folder under {sys.prefix} or ~/.cache")


def lambda_environment(
    task_root: str,
    handler: str,
    api_address: str,
    runtime: str,
    *,
    memory_mb: int = 128,
    version: tuple[int, int] = (3, 13),
) -> dict[str, str]:
    """The variables Lambda sets for a function (Lambda@Edge allows none of the user's own):
    https://docs.aws.amazon.com/lambda/latest/dg/configuration-envvars.html#configuration-envvars-runtime"""
    name = FUNCTION_NAME
    return {
        "PATH": "/usr/local/bin:/usr/bin:/bin",
        "LANG": "en_US.UTF-8",
        "TZ": ":UTC",
        "HOME": "/tmp",
        "LAMBDA_TASK_ROOT": task_root,
        "LAMBDA_RUNTIME_DIR": runtime,
        "_HANDLER": handler,
        "AWS_LAMBDA_RUNTIME_API": api_address,
        "AWS_REGION": "us-east-1",
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_EXECUTION_ENV": f"AWS_Lambda_python{version[0]}.{version[1]}",
        "AWS_LAMBDA_FUNCTION_NAME": name,
        "AWS_LAMBDA_FUNCTION_VERSION": "1",
        "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": str(memory_mb),
        "AWS_LAMBDA_INITIALIZATION_TYPE": "on-demand",
        "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
        "AWS_LAMBDA_LOG_STREAM_NAME": "local/[1]" + secrets.token_hex(16),
    }


# --------------------------------------------------------------------------------------------
# The Runtime API server
# --------------------------------------------------------------------------------------------


def _hex_address(host: str, port: int) -> str:
    return socket.inet_aton(host)[::-1].hex().upper() + f":{port:04X}"


def peer_uid(conn: socket.socket) -> int | None:
    """The uid owning the other end of a loopback TCP connection (/proc/net/tcp), or None."""
    try:
        local = conn.getsockname()
        peer = conn.getpeername()
        want = (_hex_address(peer[0], peer[1]), _hex_address(local[0], local[1]))
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                fields = line.split()
                if (fields[1], fields[2]) == want:
                    return int(fields[7])
    except (OSError, ValueError, StopIteration):
        return None
    return None


@dataclass
class Invocation:
    request_id: str
    payload: bytes
    deadline_ms: int
    trace_id: str
    delivered_ns: int | None = None
    done_ns: int | None = None
    outcome: str | None = None  # "response" | "error"
    body: bytes = b""
    error_type: str = ""

    @property
    def duration_ms(self) -> float:
        if self.delivered_ns is None or self.done_ns is None:
            return 0.0
        return (self.done_ns - self.delivered_ns) / 1e6

    def result(self) -> Any:
        return json.loads(self.body)

    def error(self) -> dict:
        try:
            data = json.loads(self.body)
        except ValueError:
            data = {"errorMessage": self.body.decode("utf-8", "replace")}
        return data if isinstance(data, dict) else {"errorMessage": str(data)}


@dataclass
class _State:
    cond: threading.Condition = field(default_factory=threading.Condition)
    init_done_ns: int | None = None
    init_error: dict | None = None
    pending: Invocation | None = None
    current: Invocation | None = None
    exited: int | None = None
    has_exited: bool = False
    closed: bool = False
    refused: int = 0


class _ApiHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "LocalRuntimeAPI"
    sys_version = ""
    state: _State

    def log_message(self, format: str, *args) -> None:  # http.server's signature
        pass

    def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
        self.send_response(status)
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.send_header("Content-Type", (headers or {}).get("Content-Type", "application/json"))
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _status(self, status: int, text: str) -> None:
        self._reply(status, json.dumps({"status": text}).encode())

    def _body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            chunks = []
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    self.rfile.readline()
                    return b"".join(chunks)
                chunks.append(self.rfile.read(size))
                self.rfile.readline()
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def do_GET(self) -> None:
        if self.path != f"/{API_VERSION}/runtime/invocation/next":
            self._status(404, "not found")
            return
        state = self.state
        with state.cond:
            if state.init_done_ns is None:
                state.init_done_ns = time.perf_counter_ns()  # INIT ends at the first /next
                state.cond.notify_all()
            while state.pending is None and not state.closed:
                state.cond.wait()
            if state.closed:
                self.close_connection = True
                return
            invocation = state.pending
            state.pending = None
            state.current = invocation
        assert invocation is not None
        invocation.delivered_ns = time.perf_counter_ns()
        self._reply(
            200,
            invocation.payload,
            {
                "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                "Lambda-Runtime-Invoked-Function-Arn": FUNCTION_ARN,
                "Lambda-Runtime-Trace-Id": invocation.trace_id,
                "Content-Type": "application/json",
            },
        )

    def do_POST(self) -> None:
        body = self._body()
        now = time.perf_counter_ns()
        prefix = f"/{API_VERSION}/runtime/"
        path = self.path
        state = self.state
        if path == prefix + "init/error":
            with state.cond:
                try:
                    state.init_error = json.loads(body)
                except ValueError:
                    state.init_error = {"errorMessage": body.decode("utf-8", "replace")}
                state.init_error.setdefault("errorType", self.headers.get("Lambda-Runtime-Function-Error-Type", ""))
                state.cond.notify_all()
            self._status(202, "OK")
            return
        if path.startswith(prefix + "invocation/"):
            request_id, _, kind = path[len(prefix + "invocation/") :].partition("/")
            if kind in ("response", "error"):
                with state.cond:
                    current = state.current
                    if current is None or current.request_id != request_id or current.outcome is not None:
                        self._status(400, "InvalidRequestID")
                        return
                    if kind == "response" and len(body) > MAX_RESPONSE_BYTES:
                        current.outcome, current.error_type = "error", "Function.ResponseSizeTooLarge"
                        current.body = json.dumps({"errorMessage": "Response payload size exceeded maximum"}).encode()
                        status = 413
                    else:
                        current.outcome, current.body = kind, body
                        current.error_type = self.headers.get("Lambda-Runtime-Function-Error-Type", "")
                        status = 202
                    current.done_ns = now
                    state.current = None
                    state.cond.notify_all()
                self._status(status, "OK" if status == 202 else "RequestEntityTooLarge")
                return
        self._status(404, "not found")


class _ApiServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    state: _State

    def handle_error(self, request, client_address) -> None:
        """A runtime killed mid-request (a timeout, the end) resets its connection: not news."""
        if not isinstance(sys.exc_info()[1], (ConnectionError, TimeoutError)):
            super().handle_error(request, client_address)

    def verify_request(self, request, client_address) -> bool:  # type: ignore[override]
        if peer_uid(request) == os.getuid() or not os.path.exists("/proc/net/tcp"):  # (no /proc: cannot tell)
            return True
        self.state.refused += 1
        return False


class RuntimeApi:
    """One execution environment's Runtime API on 127.0.0.1 (a free port)."""

    def __init__(self) -> None:
        self.state = _State()
        handler = type("BoundApiHandler", (_ApiHandler,), {"state": self.state})
        self.server = _ApiServer(("127.0.0.1", 0), handler)
        self.server.state = self.state
        self.address = f"127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True)
        self._thread.start()

    @property
    def refused(self) -> int:
        """Connections refused because another user made them."""
        return self.state.refused

    def process_exited(self, code: int | None) -> None:
        with self.state.cond:
            self.state.exited, self.state.has_exited = code, True
            self.state.cond.notify_all()

    def wait_init(self, timeout_s: float) -> int:
        """The perf_counter_ns when INIT ended (the first /next); InitFailed, RuntimeExited or
        TimeoutError otherwise."""
        deadline = time.monotonic() + timeout_s
        state = self.state
        with state.cond:
            while True:
                if state.init_error is not None:
                    err = state.init_error
                    raise InitFailed(
                        str(err.get("errorType", "")), str(err.get("errorMessage", "")), err.get("stackTrace")
                    )
                if state.init_done_ns is not None:
                    return state.init_done_ns
                if state.has_exited:
                    raise RuntimeExited(state.exited, "init")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    raise TimeoutError
                state.cond.wait(remaining)

    def invoke(self, payload: bytes, timeout_s: float, request_id: str | None = None) -> Invocation:
        """Hand one event to the runtime's /next and wait for its /response or /error."""
        invocation = Invocation(
            request_id=request_id or str(uuid.uuid4()),
            payload=payload,
            deadline_ms=int((time.time() + timeout_s) * 1000),
            trace_id=f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};Sampled=0",
        )
        deadline = time.monotonic() + timeout_s
        state = self.state
        with state.cond:
            state.pending = invocation
            state.cond.notify_all()
            while invocation.outcome is None:
                if state.has_exited:
                    state.pending = state.current = None
                    raise RuntimeExited(state.exited, "the invocation")
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    state.pending = state.current = None
                    raise InvokeTimeout
                state.cond.wait(remaining)
        return invocation

    def close(self) -> None:
        with self.state.cond:
            self.state.closed = True
            self.state.cond.notify_all()
        self.server.shutdown()
        self.server.server_close()


# --------------------------------------------------------------------------------------------
# One execution environment: awslambdaric behind its Runtime API
# --------------------------------------------------------------------------------------------


def vmhwm_kib(pid: int) -> int | None:
    """A process's own peak resident memory (VmHWM; not ru_maxrss, which a child inherits from
    its parent's peak on Linux)."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        return None
    return None


class Environment:
    """One Lambda execution environment: `python -I -S -B` running awslambdaric's bootstrap on
    the task root, talking to its own RuntimeApi; optionally in a CPU share (local/cpushare.py)."""

    def __init__(
        self,
        python: str,
        task_root: str,
        handler: str = DEFAULT_HANDLER,
        *,
        version: tuple[int, int] = (3, 13),
        memory_mb: int = 128,
        cpu_share: CpuShare | None = None,
        stdout: int | IO | None = subprocess.PIPE,
        stderr: int | IO | None = subprocess.PIPE,
        runtime: str | None = None,
    ):
        self.runtime = runtime or runtime_dir(version)
        self.api = RuntimeApi()
        self.env = lambda_environment(
            task_root, handler, self.api.address, self.runtime, memory_mb=memory_mb, version=version
        )
        argv = [python, "-I", "-S", "-B", "-c", BOOTSTRAP_SOURCE, self.runtime]
        if cpu_share is not None:
            argv = cpu_share.wrap_argv(argv)
        self.cpu_share = cpu_share
        self.spawn_ns = time.perf_counter_ns()
        try:
            self.proc = subprocess.Popen(
                argv,
                stdin=subprocess.DEVNULL,
                stdout=stdout,
                stderr=stderr,
                cwd=task_root,
                env=self.env,
                start_new_session=True,
            )
        except BaseException:
            self.api.close()
            raise
        self.init_done_ns: int | None = None
        threading.Thread(target=self._watch, daemon=True).start()

    def _watch(self) -> None:
        self.api.process_exited(self.proc.wait())

    @property
    def pid(self) -> int:
        return self.proc.pid

    def alive(self) -> bool:
        return self.proc.poll() is None

    def wait_init(self, timeout_s: float = INIT_TIMEOUT_S) -> float:
        """Init Duration (ms): spawn to the runtime's first /next."""
        self.init_done_ns = self.api.wait_init(timeout_s)
        return (self.init_done_ns - self.spawn_ns) / 1e6

    def invoke(self, event: Any, timeout_s: float, request_id: str | None = None) -> Invocation:
        payload = event if isinstance(event, bytes) else json.dumps(event).encode("utf-8")
        return self.api.invoke(payload, timeout_s, request_id)

    def max_memory_kib(self) -> int | None:
        return vmhwm_kib(self.proc.pid)

    def kill(self) -> None:
        """Lambda stops an environment by killing it (the process group: anything it started)."""
        if self.proc.poll() is None:
            try:
                os.killpg(self.proc.pid, 9)
            except (ProcessLookupError, PermissionError):
                self.proc.kill()
        try:
            self.proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            pass
        self.api.close()


def cold_start(
    python: str,
    task_root: str,
    event: Any,
    *,
    handler: str = DEFAULT_HANDLER,
    cpu_share: CpuShare | None = None,
    version: tuple[int, int] = (3, 13),
    timeout_s: float = 60.0,
    runtime: str | None = None,
) -> dict:
    """One cold start as Lambda runs it, for the benchmark: spawn awslambdaric on the task root,
    let it INIT, hand it one event, and time spawn -> answer (the /response or /error reaching
    the Runtime API; Lambda freezes the process then, so teardown is on no one's path).

    Returns {"spawn_to_answer_ns", "init_ns" (spawn -> first /next), "invoke_ns" (/next answered
    -> /response), "outcome" ("response"/"error"), "result" (the decoded answer or error),
    "stdout" (the function's log lines), "vmhwm_kib"}. The environment is killed afterwards.
    Raises InitFailed / RuntimeExited / InvokeTimeout / TimeoutError as the run fails."""
    with tempfile.TemporaryFile() as out:
        environment = Environment(
            python,
            task_root,
            handler,
            version=version,
            cpu_share=cpu_share,
            stdout=out,
            stderr=subprocess.STDOUT,
            runtime=runtime,
        )
        try:
            environment.wait_init(timeout_s)
            invocation = environment.invoke(event, timeout_s)
            memory = environment.max_memory_kib()
        finally:
            environment.kill()
        out.seek(0)
        logs = out.read().decode("utf-8", "replace")
    assert invocation.done_ns is not None and invocation.delivered_ns is not None
    assert environment.init_done_ns is not None
    return {
        "spawn_ns": environment.spawn_ns,
        "spawn_to_answer_ns": invocation.done_ns - environment.spawn_ns,
        "init_ns": environment.init_done_ns - environment.spawn_ns,
        "invoke_ns": invocation.done_ns - invocation.delivered_ns,
        "outcome": invocation.outcome,
        "result": invocation.result() if invocation.outcome == "response" else invocation.error(),
        "stdout": logs,
        "vmhwm_kib": memory,
    }


_FLOOR_TASK: list[str] = []


def _floor_task() -> str:
    """A task root whose handler does nothing: the runtime's own cold start, for a baseline."""
    if not _FLOOR_TASK:
        import atexit

        root = tempfile.mkdtemp(prefix="gate-runtime-floor-")
        os.mkdir(os.path.join(root, "edge"))
        with open(os.path.join(root, "edge", "__init__.py"), "w"):
            pass
        with open(os.path.join(root, "edge", "handler.py"), "w") as f:
            f.write("def handler(event, context):\n    return {}\n")
        atexit.register(shutil.rmtree, root, True)
        _FLOOR_TASK.append(root)
    return _FLOOR_TASK[0]


def bench_cold(
    python: str, task_root: str | None, event: Any, *, cpu_share: CpuShare | None = None
) -> tuple[dict, str, str]:
    """`cold_start` answered the way bench/launcher.py answers a cold process, so the benchmark's
    Lambda context can swap its imitation of the runtime for the runtime itself:
    (reply {"ns", "spawn_ns", "status", "maxrss_kib"}, stdout, stderr with a "BENCH ..." line).

    With a task root: "BENCH t0 t1 t2 status", t0 the spawn, t1 the end of INIT (the handler's
    module imported; the runtime's first /next), t2 the answer reaching the Runtime API; "ns" is
    spawn -> answer (Lambda freezes the process after it, so teardown is on no one's path).
    With task_root None: the runtime's own floor, "BENCH t" with t the end of INIT for a handler
    module that imports nothing (python + awslambdaric's bootstrap up to its first /next)."""
    result = cold_start(python, task_root or _floor_task(), event if task_root else {}, cpu_share=cpu_share)
    spawn = result["spawn_ns"]
    init_done = spawn + result["init_ns"]
    answered = spawn + result["spawn_to_answer_ns"]
    failed = result["outcome"] != "response"
    reply = {
        "ns": result["spawn_to_answer_ns"],
        "spawn_ns": spawn,
        "status": 1 if failed else 0,
        "maxrss_kib": result["vmhwm_kib"],
    }
    if task_root is None:
        return reply, result["stdout"], f"BENCH {init_done}\n"
    answer = result["result"] if isinstance(result["result"], dict) else {}
    status = answer.get("status", "pass") if not failed else "error"
    err = f"BENCH {spawn} {init_done} {answered} {status}\n"
    if failed:
        err = "Traceback (the function failed): " + json.dumps(result["result"]) + "\n" + err
    return reply, result["stdout"], err
