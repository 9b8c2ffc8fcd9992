"""A local CloudFront stand-in for the gate's viewer-request function.

    python -m local.emulator --zip dist/edge.zip --site site/dist --port 8080

Each HTTP request becomes a viewer-request event shaped as CloudFront shapes it, and runs
through the handler FROM THE BUILT ZIP as Lambda runs it: in a warm `python3.13 -I -S -B`
worker (or the best Python here when there is no 3.13: gatebuild/runtime.py, said once at
start) running awslambdaric, the Lambda Python runtime, behind a local Runtime API
(local/runtime_api.py), so INIT (the handler's module imported) comes before the first event
and REPORT lines carry Init Duration on a cold start. Its sys.path is only the extracted zip
(private and read-only, like /var/task: local/taskdir.py), the runtime folder (awslambdaric,
like /var/runtime) and the standard library. `--cpu-share` runs each worker at the 128 MB
Lambda@Edge CPU share (local/cpushare.py). A generated
response goes back as it is; a passed-through request is served from the site directory as
the private S3 bucket (OAC) behind the distribution would serve it, with the distribution's
SPA fallback (404 -> /index.html, 200; as cloudformation.yaml) and the same security headers
and Content-Security-Policy as the deployed distribution (gatebuild/site_policy.py).

With `--api-origin http://127.0.0.1:PORT` (and `--api-path`, default /api/*), requests whose
path matches the API behavior's pattern go to that second origin, as cloudformation.yaml's API
behavior does: every method allowed, the function runs first on the viewer request, nothing
cached, and the request it returns (the Authorization header it added included) forwarded
with every viewer header but Host (the managed AllViewerExceptHostHeader origin request policy),
with the body. The distribution's custom error response applies to it too, as in CloudFront
(a 404 from the API becomes /index.html with 200).

What CloudFront enforces on a viewer-request trigger and this emulator checks, loudly (stderr
and CloudFront's own error page): the 5 s timeout, the 40 KB generated-response limit, headers
a function may not add or edit, a status that is not a string, header entries with keys other
than key/value, header-map keys that are not lowercase, the 128 MB memory size, and the
request-size limits (20,480 bytes of headers and query string, 8,192 characters of URI).
"""

from __future__ import annotations

import argparse
import base64
import email.utils
import hashlib
import http.server
import math
import os
import re
import secrets
import signal
import sys
import threading
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import unquote

from gatebuild import runtime
from gatebuild.content_types import content_type
from gatebuild.site_policy import CspError, SiteCsp, site_csp
from local.cpushare import LAMBDA_EDGE_FRACTION, CpuShare
from local.reaper import Reaper
from local.runtime_api import (
    Environment,
    InitFailed,
    Invocation,
    InvokeTimeout,
    RuntimeExited,
    RuntimeMissing,
    runtime_dir,
)
from local.taskdir import TaskDir

VIEWER_REQUEST_TIMEOUT_S = 5.0
INIT_TIMEOUT_S = 10.0
MEMORY_MB = 128
MAX_GENERATED_RESPONSE = 40 * 1024
MAX_REQUEST_BYTES = 20_480
MAX_URI_AND_QUERY = 8_192
DEFAULT_HANDLER = "edge.handler.handler"
DEFAULT_ROOT_OBJECT = "index.html"
SPA_FALLBACK = {404: "/index.html"}  # error code -> page, served with 200; never 403 (the gate's own page)
ALLOWED_METHODS = ("GET", "HEAD", "OPTIONS")
API_METHODS = ("GET", "HEAD", "OPTIONS", "PUT", "PATCH", "POST", "DELETE")
# What CloudFront drops or sets itself on the way to a custom origin (hop-by-hop, Host).
API_DROP = {
    "host",
    "connection",
    "keep-alive",
    "proxy-connection",
    "transfer-encoding",
    "upgrade",
    "te",
    "trailer",
    "content-length",
    "expect",
}
HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection"}

# Headers a viewer-request function may not add or edit in a generated response.
FORBIDDEN_EXACT = {
    "connection",
    "expect",
    "keep-alive",
    "trailer",
    "upgrade",
    "x-cache",
    "x-forwarded-proto",
    "x-real-ip",
}
FORBIDDEN_PREFIXES = ("proxy-", "x-accel-", "x-amz-cf-", "x-amzn-", "x-edge-")
READ_ONLY = {"content-length", "host", "transfer-encoding", "via", "cdn-loop"}


def log(message: str) -> None:
    sys.stderr.write(f"[emulator] {message}\n")
    sys.stderr.flush()


def loud(message: str) -> None:
    bar = "!" * 78
    sys.stderr.write(f"{bar}\n[emulator] CLOUDFRONT WOULD FAIL THIS REQUEST: {message}\n{bar}\n")
    sys.stderr.flush()


# --------------------------------------------------------------------------------------------
# The interpreter the worker runs on
# --------------------------------------------------------------------------------------------


def find_python() -> runtime.Interpreter:
    """python3.13 (the Lambda runtime's version) when this machine has one, else the best
    interpreter it has (gatebuild/runtime.py: $GATE_PYTHON, or this one)."""
    return runtime.best_python()


# --------------------------------------------------------------------------------------------
# Warm workers (Lambda execution environments: awslambdaric behind a Runtime API, local/runtime_api.py)
# --------------------------------------------------------------------------------------------


class WorkerFailure(Exception):
    """The invocation failed the way Lambda fails it; .kind is the CloudFront error class."""

    def __init__(self, kind: str, message: str, status: int = 503):
        super().__init__(message)
        self.kind = kind
        self.status = status


class Worker:
    """One execution environment (runtime_api.Environment), its output echoed to the sink."""

    _numbers = iter(range(1, 1_000_000))

    def __init__(
        self,
        python: str,
        task: TaskDir,
        handler: str,
        sink: Callable[[str], None],
        *,
        version: tuple[int, int],
        runtime_dir: str,
        memory_mb: int = MEMORY_MB,
        cpu_fraction: float | None = None,
        reaper: Reaper | None = None,
    ):
        self.number = next(Worker._numbers)
        self.share = CpuShare.create(cpu_fraction) if cpu_fraction else None
        if self.share is not None and reaper is not None and self.share.path:
            reaper.cgroup(self.share.path)
        self.env = Environment(
            python,
            task.path,
            handler,
            version=version,
            memory_mb=memory_mb,
            cpu_share=self.share if self.share is not None and self.share.available else None,
            runtime=runtime_dir,
        )
        self.proc = self.env.proc
        self.reaper = reaper
        if reaper is not None:
            reaper.process(self.proc.pid)
        self.init_ms: float | None = None
        self.invocations = 0
        for stream in (self.proc.stdout, self.proc.stderr):
            threading.Thread(target=self._echo, args=(stream, sink), daemon=True).start()

    def _echo(self, stream, sink) -> None:
        for raw in iter(stream.readline, b""):
            sink(f"[edge:{self.number}] " + raw.decode("utf-8", "replace").rstrip("\n"))
        stream.close()

    def alive(self) -> bool:
        return self.env.alive()

    def wait_ready(self) -> None:
        try:
            self.init_ms = self.env.wait_init(INIT_TIMEOUT_S)
        except TimeoutError:
            self.kill()
            raise WorkerFailure(
                "LambdaExecutionError", f"init phase did not finish within {INIT_TIMEOUT_S:.0f} s"
            ) from None
        except RuntimeExited as exc:
            self.kill()
            raise WorkerFailure("LambdaExecutionError", f"Runtime exited during init with status {exc.code}") from None
        except InitFailed as exc:
            self.kill()
            raise WorkerFailure(
                "LambdaExecutionError", f"{exc.error_type}: {exc.message}\n" + "".join(exc.stack)
            ) from None

    def invoke(self, request_id: str, event: dict, timeout_s: float) -> Invocation:
        self.invocations += 1
        try:
            return self.env.invoke(event, timeout_s, request_id)
        except InvokeTimeout:
            self.kill()
            raise WorkerFailure(
                "LambdaExecutionError",
                f"Task timed out after {timeout_s:.2f} seconds (viewer-request limit); "
                "the container was killed and will start cold",
            ) from None
        except RuntimeExited as exc:
            self.kill()
            raise WorkerFailure(
                "LambdaExecutionError", f"Runtime exited with status {exc.code} during the invocation"
            ) from None

    def max_memory_mb(self) -> float:
        return (self.env.max_memory_kib() or 0) / 1024

    def kill(self) -> None:
        self.env.kill()
        if self.share is not None:
            self.share.close()
        if self.reaper is not None:
            self.reaper.forget(self.proc.pid)


def report_line(
    request_id: str, duration_ms: float, memory_mb: int, used_mb: float, init_ms: float | None = None
) -> str:
    """Lambda's REPORT line (https://docs.aws.amazon.com/lambda/latest/dg/python-logging.html).
    Since 1 August 2025 the INIT phase of on-demand managed-runtime functions is billed
    (AWS Compute Blog, "AWS Lambda standardizes billing for INIT phase"), so a cold invocation's
    Billed Duration is Duration + Init Duration rounded up to the millisecond, as the page's
    example shows (15.74 + 130.49 ms -> 147 ms); Init Duration appears on the cold one only."""
    billed = math.ceil(duration_ms + (init_ms or 0.0))
    line = (
        f"REPORT RequestId: {request_id}\tDuration: {duration_ms:.2f} ms\tBilled Duration: {billed} ms\t"
        f"Memory Size: {memory_mb} MB\tMax Memory Used: {used_mb:.0f} MB"
    )
    if init_ms is not None:
        line += f"\tInit Duration: {init_ms:.2f} ms"
    return line


class WorkerPool:
    """Warm workers, one invocation at a time each; a new (cold) one starts when all are busy,
    up to max_workers, as Lambda starts more containers under concurrency."""

    def __init__(
        self,
        zip_path: str,
        handler: str = DEFAULT_HANDLER,
        *,
        python: str | None = None,
        timeout_s: float = VIEWER_REQUEST_TIMEOUT_S,
        memory_mb: int = MEMORY_MB,
        max_workers: int = 4,
        sink: Callable[[str], None] | None = None,
        cpu_share: float | None = None,
    ):
        if python:
            version = runtime.version_of(python) or (0, 0)
            interpreter = runtime.Interpreter(python, version, version == runtime.TARGET)
        else:
            interpreter = find_python()
        self.python = interpreter.path
        self.interpreter = interpreter
        self.runtime_dir = runtime_dir(tuple(interpreter.version[:2]))  # awslambdaric, like /var/runtime
        # The guardian first: it removes the unpacked secrets and kills the workers if we die.
        self.reaper = Reaper.start()
        try:
            self.task = TaskDir(zip_path)
        except BaseException:
            self.reaper.close()
            raise
        self.reaper.tree(self.task.parent)
        self.handler = handler
        self.timeout_s = timeout_s
        self.memory_mb = memory_mb
        self.max_workers = max_workers
        self.cpu_fraction = cpu_share
        self.cpu_share_used = "CPU share " + (CpuShare.probe(cpu_share) if cpu_share else "off (full CPU)")
        self.sink = sink or (lambda line: (sys.stderr.write(line + "\n"), sys.stderr.flush()))
        self._idle: list[Worker] = []
        self._all: set[Worker] = set()
        self._cond = threading.Condition()
        self._closed = False

    def _acquire(self) -> Worker:
        with self._cond:
            deadline = time.monotonic() + 30
            while True:
                if self._closed:
                    raise WorkerFailure("LambdaExecutionError", "emulator is shutting down")
                self._idle = [w for w in self._idle if w.alive()]
                self._all = {w for w in self._all if w.alive() or w in self._idle}
                if self._idle:
                    return self._idle.pop()
                if len(self._all) < self.max_workers:
                    break
                if not self._cond.wait(timeout=max(0.0, deadline - time.monotonic())):
                    raise WorkerFailure("LambdaLimitExceeded", "no free worker within 30 s")
        version = tuple(self.interpreter.version[:2])
        worker = Worker(
            self.python,
            self.task,
            self.handler,
            self.sink,
            version=version,  # type: ignore[arg-type]
            runtime_dir=self.runtime_dir,
            memory_mb=self.memory_mb,
            cpu_fraction=self.cpu_fraction,
            reaper=self.reaper,
        )
        self.sink(f"[edge:{worker.number}] INIT_START Runtime Version: python:{version[0]}.{version[1]} (awslambdaric)")
        with self._cond:
            self._all.add(worker)
        try:
            worker.wait_ready()
        except WorkerFailure:
            self._discard(worker)
            raise
        return worker

    def _release(self, worker: Worker) -> None:
        with self._cond:
            if worker.alive() and not self._closed:
                self._idle.append(worker)
            else:
                self._all.discard(worker)
            self._cond.notify()

    def _discard(self, worker: Worker) -> None:
        worker.kill()
        with self._cond:
            self._all.discard(worker)
            if worker in self._idle:
                self._idle.remove(worker)
            self._cond.notify()

    def invoke(self, event: dict) -> dict:
        """The handler's return value, or WorkerFailure (execution error / timeout / memory)."""
        worker = self._acquire()
        cold = worker.invocations == 0
        request_id = str(uuid.uuid4())  # Lambda's request id (CloudFront's is in the event)
        self.sink(f"[edge:{worker.number}] START RequestId: {request_id} Version: 1")
        began = time.perf_counter()
        try:
            invocation = worker.invoke(request_id, event, self.timeout_s)
        except WorkerFailure as failure:
            # Lambda's REPORT after a timeout or a runtime crash ends with "Status: timeout"/"error".
            status = "timeout" if "timed out" in str(failure) else "error"
            elapsed = (time.perf_counter() - began) * 1000
            self.sink(f"[edge:{worker.number}] END RequestId: {request_id}")
            self.sink(
                f"[edge:{worker.number}] "
                + report_line(request_id, elapsed, self.memory_mb, 0, worker.init_ms if cold else None)
                + f"\tStatus: {status}"
            )
            self._discard(worker)
            raise
        used_mb = worker.max_memory_mb()
        self.sink(f"[edge:{worker.number}] END RequestId: {request_id}")
        self.sink(
            f"[edge:{worker.number}] "
            + report_line(request_id, invocation.duration_ms, self.memory_mb, used_mb, worker.init_ms if cold else None)
        )
        if used_mb > self.memory_mb:
            self._discard(worker)
            raise WorkerFailure(
                "LambdaExecutionError", f"Runtime exited: memory used {used_mb:.0f} MB > {self.memory_mb} MB"
            )
        self._release(worker)
        if invocation.outcome != "response":
            err = invocation.error()
            raise WorkerFailure(
                "LambdaExecutionError",
                f"unhandled {err.get('errorType')}: {err.get('errorMessage')}\n" + "".join(err.get("stackTrace") or []),
            )
        try:
            return invocation.result()
        except ValueError as exc:
            raise WorkerFailure("LambdaValidationError", f"the runtime's response is not JSON: {exc}", 502) from None

    def close(self) -> None:
        with self._cond:
            self._closed = True
            workers = list(self._all)
            self._all.clear()
            self._idle.clear()
            self._cond.notify_all()
        for worker in workers:
            worker.kill()
        self.task.remove()
        self.reaper.close()


# --------------------------------------------------------------------------------------------
# CloudFront's checks on what the function returns
# --------------------------------------------------------------------------------------------


def _header_problems(headers, where: str, *, generated: bool) -> list[str]:
    problems = []
    if not isinstance(headers, dict):
        return [f"{where}: headers must be an object keyed by lowercase header name"]
    for name, entries in headers.items():
        if not isinstance(name, str) or name != name.lower():
            problems.append(f"{where}: header map key {name!r} is not lowercase")
        if not isinstance(entries, list):
            problems.append(f"{where}: headers[{name!r}] must be a list of {{key, value}} entries")
            continue
        for entry in entries:
            if not isinstance(entry, dict):
                problems.append(f"{where}: headers[{name!r}] entry {entry!r} is not an object")
                continue
            extra = set(entry) - {"key", "value"}
            if extra:
                problems.append(f"{where}: headers[{name!r}] entry has keys other than key/value: {sorted(extra)}")
            if not isinstance(entry.get("value"), str):
                problems.append(f"{where}: headers[{name!r}] entry value must be a string")
            if "key" in entry and (not isinstance(entry["key"], str) or entry["key"].lower() != str(name).lower()):
                problems.append(f"{where}: headers[{name!r}] entry key {entry.get('key')!r} does not match the map key")
        if generated and isinstance(name, str):
            lowered = name.lower()
            if lowered in FORBIDDEN_EXACT or lowered.startswith(FORBIDDEN_PREFIXES):
                problems.append(f"{where}: header {name!r} may not be set in a generated response")
            elif lowered in READ_ONLY:
                problems.append(f"{where}: header {name!r} is read-only in a viewer-request trigger")
    return problems


def generated_response_size(response: dict) -> int:
    size = len(str(response.get("status", ""))) + len(str(response.get("statusDescription", ""))) + 12
    for entries in (response.get("headers") or {}).values():
        for entry in entries if isinstance(entries, list) else []:
            if isinstance(entry, dict):
                size += len(str(entry.get("key", ""))) + len(str(entry.get("value", ""))) + 4
    body = response.get("body")
    if isinstance(body, str):
        size += len(body.encode("utf-8"))
    return size


def response_problems(response: dict) -> list[str]:
    """Why CloudFront would refuse this generated response (502, LambdaValidationError)."""
    problems = []
    allowed = {"status", "statusDescription", "headers", "body", "bodyEncoding"}
    extra = set(response) - allowed
    if extra:
        problems.append(f"response: unexpected fields {sorted(extra)}")
    status = response.get("status")
    if not isinstance(status, str):
        problems.append(f'response: status must be a string such as "302", not {type(status).__name__} {status!r}')
    elif not re.fullmatch(r"[1-5]\d\d", status):
        problems.append(f"response: status {status!r} is not an HTTP status code")
    if "statusDescription" in response and not isinstance(response["statusDescription"], str):
        problems.append("response: statusDescription must be a string")
    problems += _header_problems(response.get("headers", {}), "response", generated=True)
    body = response.get("body")
    if body is not None and not isinstance(body, str):
        problems.append("response: body must be a string")
    encoding = response.get("bodyEncoding", "text")
    if encoding not in ("text", "base64"):
        problems.append('response: bodyEncoding must be "text" or "base64"')
    elif encoding == "base64" and isinstance(body, str):
        try:
            base64.b64decode(body, validate=True)
        except ValueError:
            problems.append("response: body is not valid base64")
    size = generated_response_size(response)
    if size > MAX_GENERATED_RESPONSE:
        problems.append(
            f"response: generated response is {size} bytes (headers + body); "
            f"the viewer-request limit is {MAX_GENERATED_RESPONSE} bytes (40 KB)"
        )
    return problems


def request_problems(original: dict, returned: dict) -> list[str]:
    """Why CloudFront would refuse this returned request (502, LambdaValidationError)."""
    problems = _header_problems(returned.get("headers", {}), "request", generated=False)
    uri = returned.get("uri")
    if not isinstance(uri, str) or not uri.startswith("/"):
        problems.append(f"request: uri must be a string starting with '/', not {uri!r}")
    if not isinstance(returned.get("querystring", ""), str):
        problems.append("request: querystring must be a string")
    for name in ("clientIp", "method"):
        if returned.get(name) != original.get(name):
            problems.append(f"request: {name} is read-only")
    before = original.get("headers", {})
    after = returned.get("headers", {}) if isinstance(returned.get("headers"), dict) else {}
    for name in READ_ONLY:
        if before.get(name) != after.get(name):
            problems.append(f"request: header {name!r} is read-only in a viewer-request trigger")
    if isinstance(uri, str) and len(uri) + len(str(returned.get("querystring", ""))) > MAX_URI_AND_QUERY:
        problems.append("request: uri + querystring longer than 8,192 characters")
    return problems


# --------------------------------------------------------------------------------------------
# The origin: a private S3 bucket read through OAC
# --------------------------------------------------------------------------------------------


@dataclass
class OriginReply:
    status: int
    body: bytes
    headers: list[tuple[str, str]] = field(default_factory=list)


class S3Origin:
    def __init__(self, root: str):
        self.root = os.path.realpath(root)

    def get(self, uri: str, if_none_match: str | None = None) -> OriginReply:
        # S3 reads a literal "+" in the path as a space ("%2B" is a plus): servo/rust-url#882,
        # sveltejs/kit#6451, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
        key = unquote(uri.replace("+", " "))[1:]
        if key == "":
            return self._list_objects()
        path = os.path.realpath(os.path.join(self.root, key))
        inside = path.startswith(self.root + os.sep)
        if not inside or key.endswith("/") or not os.path.isfile(path):
            # No such key; the OAC may s3:ListBucket (cloudformation.yaml), so S3 says 404.
            body = (
                b'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>NoSuchKey</Code>'
                b"<Message>The specified key does not exist.</Message></Error>"
            )
            return OriginReply(404, body, [("Content-Type", "application/xml"), ("Server", "AmazonS3")])
        with open(path, "rb") as f:
            data = f.read()
        etag = '"' + hashlib.md5(data).hexdigest() + '"'
        mtime = os.stat(path).st_mtime
        headers = [
            ("Content-Type", content_type(key)),
            ("ETag", etag),
            ("Last-Modified", email.utils.formatdate(mtime, usegmt=True)),
            ("Accept-Ranges", "bytes"),
            ("Server", "AmazonS3"),
        ]
        if if_none_match and etag in [t.strip() for t in if_none_match.split(",")]:
            return OriginReply(304, b"", headers)
        return OriginReply(200, data, headers)

    def _list_objects(self) -> OriginReply:
        """GET on the bucket itself is ListObjects: the origin access control may s3:ListBucket
        (cloudformation.yaml), so S3 answers with the name of every key."""
        keys = sorted(
            os.path.relpath(os.path.join(d, f), self.root).replace(os.sep, "/")
            for d, _, files in os.walk(self.root)
            for f in files
        )
        contents = "".join(f"<Contents><Key>{_html_escape(k)}</Key></Contents>" for k in keys)
        body = (
            '<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="http://s3.amazonaws.com/doc/'
            f'2006-03-01/"><Name>site-bucket</Name><KeyCount>{len(keys)}</KeyCount>{contents}'
            "</ListBucketResult>"
        ).encode()
        return OriginReply(200, body, [("Content-Type", "application/xml"), ("Server", "AmazonS3")])


# --------------------------------------------------------------------------------------------
# The distribution
# --------------------------------------------------------------------------------------------


def security_headers(csp: str | None) -> list[tuple[str, str]]:
    """cloudformation.yaml's SecurityHeadersPolicy (HSTS, CSP, nosniff, DENY, referrer)."""
    headers = [
        ("Strict-Transport-Security", "max-age=63072000; includeSubDomains"),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "strict-origin-when-cross-origin"),
    ]
    if csp:
        headers.insert(1, ("Content-Security-Policy", csp))
    return headers


def error_page(status: int, title: str, detail: str, request_id: str) -> bytes:
    """CloudFront's own error page, as the viewer sees it."""
    return (
        '<!DOCTYPE HTML PUBLIC "-//W3C//DTD HTML 4.01 Transitional//EN" "http://www.w3.org/TR/html4/loose.dtd">\n'
        '<HTML><HEAD><META HTTP-EQUIV="Content-Type" CONTENT="text/html; charset=iso-8859-1">\n'
        "<TITLE>ERROR: The request could not be satisfied</TITLE>\n</HEAD><BODY>\n"
        f"<H1>{status} ERROR</H1>\n<H2>The request could not be satisfied.</H2>\n"
        f'<HR noshade size="1px">\n{title}\n<BR clear="all">\n'
        f"<PRE>{_html_escape(detail)}</PRE>\n"
        '<HR noshade size="1px">\n<PRE>\nGenerated by cloudfront (CloudFront) [local emulator]\n'
        f"Request ID: {request_id}\n</PRE>\n<ADDRESS>\n</ADDRESS>\n</BODY></HTML>"
    ).encode("iso-8859-1", "replace")


def _html_escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def new_request_id() -> str:
    return base64.urlsafe_b64encode(secrets.token_bytes(42)).decode()


@dataclass
class Distribution:
    pool: WorkerPool
    origin: S3Origin
    domain_name: str = "d111111abcdef8.cloudfront.net"
    distribution_id: str = "EDFDVBD6EXAMPLE"
    spa_fallback: dict[int, str] = field(default_factory=lambda: dict(SPA_FALLBACK))
    # The distribution's response headers policy, added to what comes from the origin.
    response_headers: list[tuple[str, str]] = field(default_factory=list)
    events: list[dict] = field(default_factory=list)  # recent events (tests read them)
    keep_events: int = 0
    api_origin: str = ""  # http://127.0.0.1:PORT of the API origin, or "" for none
    api_paths: tuple[str, ...] = ()  # CloudFront path patterns of the API behavior

    def is_api(self, uri: str) -> bool:
        """CloudFront's behavior match: the viewer's path, case-sensitive, `*` any run of
        characters (slashes too) and `?` one character."""
        import fnmatch

        return bool(self.api_origin) and any(fnmatch.fnmatchcase(uri, p) for p in self.api_paths)

    def event_for(self, method: str, target: str, header_items: list[tuple[str, str]], client_ip: str) -> dict:
        uri, _, query = target.partition("?")
        headers: dict[str, list[dict[str, str]]] = {}
        for name, value in header_items:
            lowered = name.lower()
            if lowered in HOP_BY_HOP:
                continue
            headers.setdefault(lowered, []).append({"key": name, "value": value})
        return {
            "Records": [
                {
                    "cf": {
                        "config": {
                            "distributionDomainName": self.domain_name,
                            "distributionId": self.distribution_id,
                            "eventType": "viewer-request",
                            "requestId": new_request_id(),
                        },
                        "request": {
                            "clientIp": client_ip,
                            "headers": headers,
                            "method": method,
                            "querystring": query,
                            "uri": uri,
                        },
                    }
                }
            ]
        }


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "CloudFront"
    sys_version = ""
    distribution: Distribution  # set on the subclass by make_server

    def log_message(self, format: str, *args) -> None:  # http.server's signature
        pass

    def do_GET(self) -> None:
        self._serve()

    do_HEAD = do_POST = do_PUT = do_DELETE = do_PATCH = do_OPTIONS = do_GET

    def _serve(self) -> None:
        started = time.perf_counter()
        dist = self.distribution
        length = int(self.headers.get("Content-Length") or 0)
        self._body = self.rfile.read(length) if length else b""
        target = self.path
        if "://" in target.split("?", 1)[0]:
            target = "/" + target.split("://", 1)[1].partition("/")[2]
        items = list(self.headers.items())
        event = dist.event_for(self.command, target, items, self.client_address[0])
        cf = event["Records"][0]["cf"]
        request_id = cf["config"]["requestId"]
        request = cf["request"]
        raw_size = len(target) + sum(len(k) + len(v) + 4 for k, v in items)
        if len(target) > MAX_URI_AND_QUERY:
            self._cloudfront_error(
                414, "Request-URI Too Large", "URI and query string exceed 8,192 characters.", request_id, started
            )
            return
        if raw_size > MAX_REQUEST_BYTES:
            self._cloudfront_error(
                494,
                "Request Header Fields Too Large",
                f"The request's headers and query string are {raw_size} bytes; CloudFront allows {MAX_REQUEST_BYTES}.",
                request_id,
                started,
            )
            return
        api = dist.is_api(request["uri"])
        if self.command not in (API_METHODS if api else ALLOWED_METHODS):
            self._cloudfront_error(
                403,
                "This distribution is not configured to allow the HTTP request method that was used for this request.",
                "",
                request_id,
                started,
            )
            return
        if dist.keep_events:
            dist.events.append(event)
            del dist.events[: -dist.keep_events]
        try:
            result = dist.pool.invoke(event)
        except WorkerFailure as failure:
            loud(f"{failure.kind}: {failure}")
            self._cloudfront_error(
                failure.status,
                "The Lambda function associated with the CloudFront "
                "distribution is invalid or doesn't have the required permissions.",
                f"{failure.kind}: {failure}",
                request_id,
                started,
                x_cache=failure.kind,
            )
            return
        if not isinstance(result, dict):
            problems = [f"the function returned {type(result).__name__}, not a request or response object"]
        elif "status" in result:
            problems = response_problems(result)
        else:
            problems = request_problems(request, result)
        if problems:
            loud("LambdaValidationError:\n  " + "\n  ".join(problems))
            self._cloudfront_error(
                502,
                "The Lambda function returned an invalid response or request to CloudFront.",
                "\n".join(problems),
                request_id,
                started,
                x_cache="LambdaValidationError",
            )
            return
        if "status" in result:
            self._send_generated(result, request_id, started)
        elif api:
            self._send_api(result, request_id, started)
        else:
            self._send_origin(result, request_id, started, viewer_uri=request["uri"])

    def _common_headers(self, request_id: str, x_cache: str) -> list[tuple[str, str]]:
        return [
            ("Date", self.date_time_string()),
            ("X-Cache", f"{x_cache} from cloudfront"),
            ("Via", f"1.1 {secrets.token_hex(16)}.cloudfront.net (CloudFront)"),
            ("X-Amz-Cf-Pop", "LOCAL1-E1"),
            ("X-Amz-Cf-Id", request_id),
        ]

    def _write(self, status: int, reason: str | None, headers: list[tuple[str, str]], body: bytes) -> None:
        self.send_response_only(status, reason)
        for name, value in headers:
            self.send_header(name, value)
        if status != 304:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if self.command != "HEAD" and status != 304:
            self.wfile.write(body)

    def _access_log(self, status: int, source: str, started: float) -> None:
        ms = (time.perf_counter() - started) * 1000
        log(f"{self.command} {self.path} -> {status} ({source}, {ms:.1f} ms)")

    def _cloudfront_error(
        self, status: int, title: str, detail: str, request_id: str, started: float, x_cache: str = "Error"
    ) -> None:
        body = error_page(status, title, detail, request_id)
        headers = [("Server", "CloudFront"), ("Content-Type", "text/html"), *self._common_headers(request_id, x_cache)]
        self._write(status, None, headers, body)
        self._access_log(status, x_cache, started)

    def _send_generated(self, response: dict, request_id: str, started: float) -> None:
        status = int(response["status"])
        headers = []
        for name, entries in (response.get("headers") or {}).items():
            for entry in entries:
                headers.append((entry.get("key") or "-".join(p.capitalize() for p in name.split("-")), entry["value"]))
        body = response.get("body") or ""
        data = base64.b64decode(body) if response.get("bodyEncoding") == "base64" else body.encode("utf-8")
        headers += [("Server", "CloudFront"), *self._common_headers(request_id, "LambdaGeneratedResponse")]
        self._write(status, response.get("statusDescription") or None, headers, data)
        self._access_log(status, "generated", started)

    def _send_origin(self, request: dict, request_id: str, started: float, viewer_uri: str = "") -> None:
        dist = self.distribution
        inm = None
        for entry in (request.get("headers") or {}).get("if-none-match", []):
            inm = entry["value"]
        uri = request["uri"]
        if uri == "/" and viewer_uri == "/":
            # DefaultRootObject applies to a viewer's request for the root. Whether it also applies
            # when the function rewrote another URI to "/" is not documented: then S3 gets "/".
            uri = "/" + DEFAULT_ROOT_OBJECT
        reply = dist.origin.get(uri, inm)
        source = "origin"
        if reply.status in dist.spa_fallback:
            # Custom error response: fetched from the origin directly, no trigger runs again.
            fallback = dist.spa_fallback[reply.status]
            page = dist.origin.get(fallback)
            if page.status == 200:
                source = f"origin {reply.status} -> error page {fallback} (200)"
                reply = OriginReply(200, page.body, page.headers)
        headers = [*reply.headers, *dist.response_headers, *self._common_headers(request_id, "Miss")]
        self._write(reply.status, None, headers, reply.body)
        self._access_log(reply.status, source, started)

    def _send_api(self, request: dict, request_id: str, started: float) -> None:
        """The API behavior's origin request: the function's request, every header but Host."""
        import http.client
        from urllib.parse import urlsplit

        dist = self.distribution
        origin = urlsplit(dist.api_origin)
        headers = [
            (e["key"], e["value"])
            for name, entries in (request.get("headers") or {}).items()
            if name not in API_DROP
            for e in entries
        ]
        headers += [
            ("Host", origin.netloc),
            ("X-Amz-Cf-Id", request_id),
            ("Via", "1.1 local.cloudfront.net (CloudFront)"),
            ("X-Forwarded-For", self.client_address[0]),
        ]
        target = request["uri"] + (f"?{request['querystring']}" if request.get("querystring") else "")
        conn = http.client.HTTPConnection(origin.hostname, origin.port, timeout=30)
        try:
            conn.putrequest(self.command, target, skip_host=True, skip_accept_encoding=True)
            for name, value in headers:
                conn.putheader(name, value)
            if self._body or self.command in ("POST", "PUT", "PATCH"):
                conn.putheader("Content-Length", str(len(self._body)))
            conn.endheaders(self._body or None)
            reply = conn.getresponse()
            body = reply.read()
            status = reply.status
            reply_headers = [
                (k, v)
                for k, v in reply.getheaders()
                if k.lower()
                not in ("content-length", "connection", "transfer-encoding", "keep-alive", "date", "server")
            ]
        except OSError as exc:
            self._cloudfront_error(
                502, "CloudFront wasn't able to connect to the origin.", str(exc), request_id, started, x_cache="Error"
            )
            return
        finally:
            conn.close()
        source = "api origin"
        if status in dist.spa_fallback:  # the distribution's custom error response applies here too
            page = dist.origin.get(dist.spa_fallback[status])
            if page.status == 200:
                source = f"api origin {status} -> error page {dist.spa_fallback[status]} (200)"
                status, body, reply_headers = 200, page.body, list(page.headers)
        headers = [*reply_headers, *dist.response_headers, *self._common_headers(request_id, "Miss")]
        self._write(status, None, headers, body)
        self._access_log(status, source, started)


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def make_server(distribution: Distribution, host: str = "127.0.0.1", port: int = 8080) -> Server:
    handler = type("BoundHandler", (Handler,), {"distribution": distribution})
    return Server((host, port), handler)


class Emulator:
    """The whole stand-in, for scripts and tests: start(), .url, stop()."""

    def __init__(
        self,
        zip_path: str,
        site_dir: str,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        handler: str = DEFAULT_HANDLER,
        python: str | None = None,
        timeout_s: float = VIEWER_REQUEST_TIMEOUT_S,
        max_workers: int = 4,
        sink: Callable[[str], None] | None = None,
        keep_events: int = 0,
        url_host: str = "localhost",
        csp: str | None = None,
        csp_file: str | None = None,
        api_origin: str = "",
        api_paths: tuple[str, ...] = ("/api/*",),
        cpu_share: float | None = None,
    ):
        if not os.path.isdir(site_dir):
            raise FileNotFoundError(f"{site_dir}: no such site directory (build the site first)")
        # The distribution's CSP, from the same place deploy.py takes it (gatebuild/site_policy.py);
        # csp="" sends none (a test of the gate alone).
        self.csp = site_csp(site_dir, csp_file) if csp is None else SiteCsp(csp, "given")
        self.pool = WorkerPool(
            zip_path,
            handler,
            python=python,
            timeout_s=timeout_s,
            max_workers=max_workers,
            sink=sink,
            cpu_share=cpu_share,
        )
        self.distribution = Distribution(
            self.pool,
            S3Origin(site_dir),
            keep_events=keep_events,
            response_headers=security_headers(self.csp.policy or None),
            api_origin=api_origin,
            api_paths=tuple(api_paths),
        )
        self.server = make_server(self.distribution, host, port)
        self.port = self.server.server_address[1]
        self.url = f"http://{url_host}:{self.port}"
        self._thread: threading.Thread | None = None

    def start(self) -> Emulator:
        self._thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.2}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
        self.pool.close()

    def __enter__(self) -> Emulator:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m local.emulator", description=__doc__.split("\n\n")[0])
    parser.add_argument("--zip", default="dist/edge.zip", help="the built function package")
    parser.add_argument("--site", default="site/dist", help="the site build (the S3 bucket's contents)")
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--host", default="127.0.0.1", help="address to listen on (default 127.0.0.1)")
    parser.add_argument("--handler", default=DEFAULT_HANDLER)
    parser.add_argument(
        "--python", help="the worker's interpreter (default: python3.13 if found, else $GATE_PYTHON or this one)"
    )
    parser.add_argument("--max-workers", type=int, default=4, help="warm containers at most")
    parser.add_argument(
        "--csp-file",
        help="Content-Security-Policy for origin responses (default: "
        "csp.txt beside the site directory, else the strict default; as deploy.py)",
    )
    parser.add_argument("--api-origin", default="", help="the API origin (http://127.0.0.1:PORT) behind --api-path")
    parser.add_argument(
        "--api-path",
        action="append",
        default=None,
        help="CloudFront path pattern of the API behavior (repeatable; default /api/*)",
    )
    parser.add_argument(
        "--cpu-share",
        action="store_true",
        help="run each worker at the 128 MB Lambda@Edge CPU share (7.2%% of one CPU, a cgroup CFS quota; "
        "says when the machine has no writable cgroup)",
    )
    args = parser.parse_args(argv)
    for path, what in ((args.zip, "zip"), (args.site, "site directory")):
        if not os.path.exists(path):
            print(f"error: {what} {path} does not exist", file=sys.stderr)
            return 2
    try:
        emulator = Emulator(
            args.zip,
            args.site,
            host=args.host,
            port=args.port,
            handler=args.handler,
            python=args.python,
            max_workers=args.max_workers,
            csp_file=args.csp_file,
            api_origin=args.api_origin,
            api_paths=tuple(args.api_path or ("/api/*",)),
            cpu_share=LAMBDA_EDGE_FRACTION if args.cpu_share else None,
        )
    except (CspError, RuntimeMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    interpreter = emulator.pool.interpreter
    log(
        f"function {args.zip} ({emulator.pool.task.size} bytes) on {interpreter.name} ({interpreter.path})"
        f"; handler {args.handler}"
    )
    if not interpreter.exact and not os.environ.get("GATE_NOTICE_SHOWN"):
        log(runtime.mismatch_notice(interpreter).replace("\n", "\n[emulator] "))
    log(
        f"runtime: awslambdaric behind a local Runtime API; function unpacked (0700, removed on any stop) "
        f"in {emulator.pool.task.path}"
    )
    log(emulator.pool.cpu_share_used)
    log(f"origin {os.path.abspath(args.site)}; SPA fallback 404 -> /index.html (200); CSP from {emulator.csp.source}")
    log(f"listening on {emulator.url}  (Ctrl-C stops)")
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    emulator.start()
    try:
        while not stop.wait(0.5):
            pass
    except KeyboardInterrupt:
        pass
    finally:
        emulator.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
