"""The inside of one emulated Lambda container.

This file is NOT imported by the emulator: its source is handed to
`python3.13 -I -S -B -c <source> TASK_DIR HANDLER REQ_FD RESP_FD` so that the worker's sys.path
is exactly the extracted zip (like /var/task) plus the standard library. It uses only the
standard library and must stay importable-free of anything in this repository.

Protocol (JSON lines): the emulator writes {"id", "event", "timeout_ms"} to REQ_FD; the worker
answers on RESP_FD. The first answer is {"ready": true, "init_ms": ...} or
{"ready": false, "error": {...}}. Each invocation answers {"id", "ok": true, "result": ...} or
{"id", "ok": false, "error": {"errorType", "errorMessage", "stackTrace"}}, plus "duration_ms" and
"max_rss_kb". The handler's own prints go to the worker's stdout/stderr, which the emulator
echoes to its stderr.
"""

import errno
import importlib
import json
import os
import resource
import sys
import time
import traceback


class LambdaContext:
    """The attributes of the Python runtime's context object that a handler may read."""

    def __init__(self, request_id, timeout_ms, env):
        self.aws_request_id = request_id
        self.function_name = env.get("AWS_LAMBDA_FUNCTION_NAME", "us-east-1.gate-edge")
        self.function_version = env.get("AWS_LAMBDA_FUNCTION_VERSION", "1")
        self.invoked_function_arn = (
            "arn:aws:lambda:us-east-1:000000000000:function:"
            + self.function_name.split(".", 1)[-1]
            + ":"
            + self.function_version
        )
        self.memory_limit_in_mb = env.get("AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "128")
        self.log_group_name = env.get("AWS_LAMBDA_LOG_GROUP_NAME", "")
        self.log_stream_name = env.get("AWS_LAMBDA_LOG_STREAM_NAME", "")
        self.identity = None
        self.client_context = None
        self._deadline = time.monotonic() + timeout_ms / 1000.0

    def get_remaining_time_in_millis(self):
        return max(0, int((self._deadline - time.monotonic()) * 1000))


def _error(exc):
    return {
        "errorType": type(exc).__name__,
        "errorMessage": str(exc),
        "stackTrace": traceback.format_exception(exc)[-12:],
    }


def _send(out, message):
    out.write(json.dumps(message, separators=(",", ":")) + "\n")
    out.flush()


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


def read_only_filesystem(task_dir, writable=("/tmp",)):
    """Lambda's file system is read-only except /tmp. The emulator runs as root, where mode bits
    do not stop writes, so an audit hook refuses them the way EROFS would."""
    allowed = tuple(os.path.realpath(p) for p in writable)
    task = os.path.realpath(task_dir)

    def writable_path(path):
        if isinstance(path, int):
            return True
        real = os.path.realpath(os.fsdecode(path))
        if real == task or real.startswith(task + os.sep):
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


def peak_rss_kb() -> int:
    """This process's own peak resident memory. Not ru_maxrss: on Linux a child's ru_maxrss
    starts from its parent's peak, so a worker spawned by a large test process would look large."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def main():
    task_dir, handler_name, req_fd, resp_fd = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    sys.path.insert(0, task_dir)
    requests = os.fdopen(req_fd, "r", encoding="utf-8")
    out = os.fdopen(resp_fd, "w", encoding="utf-8")
    read_only_filesystem(task_dir)
    module_name, _, function_name = handler_name.rpartition(".")
    started = time.perf_counter()
    try:
        module = importlib.import_module(module_name)
        handler = getattr(module, function_name)
    except BaseException as exc:  # reported as Runtime.ImportModuleError
        sys.stdout.flush()
        _send(out, {"ready": False, "error": _error(exc)})
        return 1
    sys.stdout.flush()
    sys.stderr.flush()
    _send(out, {"ready": True, "init_ms": (time.perf_counter() - started) * 1000, "max_rss_kb": peak_rss_kb()})
    for line in requests:
        message = json.loads(line)
        context = LambdaContext(message["id"], message["timeout_ms"], os.environ)
        began = time.perf_counter()
        try:
            result = handler(message["event"], context)
            encoded = json.dumps(result)  # the runtime's own serialisation (Runtime.MarshalError)
            answer = {"id": message["id"], "ok": True, "result": json.loads(encoded)}
        except BaseException as exc:  # an unhandled error ends the invocation
            answer = {"id": message["id"], "ok": False, "error": _error(exc)}
        answer["duration_ms"] = (time.perf_counter() - began) * 1000
        answer["max_rss_kb"] = peak_rss_kb()
        sys.stdout.flush()
        sys.stderr.flush()
        _send(out, answer)
    return 0


if __name__ == "__main__":
    sys.exit(main())
