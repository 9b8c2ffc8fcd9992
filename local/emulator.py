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
response goes back as it is.

The routing is cloudformation.yaml's, read by local/distribution.py with the parameters
`deploy.py stack` would pass (its own builder): behaviors in CloudFront's order, the methods
each allows (others: CloudFront's own 403 before the function runs), which run the function on
the viewer request (with the body when IncludeBody is on), the origins (the site directory as
the private S3 bucket behind OAC, answering 404 NoSuchKey for a missing key when the template
lets the OAC s3:ListBucket, else 403 AccessDenied; with `--api-origin http://127.0.0.1:PORT`
the template's API custom origin, with the headers its origin request policy forwards), the
distribution-wide custom error responses, the default root object (the viewer's "/" only) and
each behavior's response headers policy (HSTS as configured, the CSP chosen as deploy.py
chooses it: gatebuild/site_policy.py). Whatever the template holds that this emulator cannot
read or does not model, it refuses to start on (local.distribution.DistributionError), all
problems at once. The CloudFront documentation for each rule is cited in local/distribution.py.

CloudFront-level refusals (a method not allowed, a Host this emulator does not serve, the size
limits, function failures, an unreachable origin) are logged as JSON lines (`--refusal-log`,
`Emulator.refusals`): the end-to-end tests fail on any. Only the Host it serves
(localhost:PORT) is answered: DNS rebinding cannot reach the gate through it.

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
import json
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
from gatebuild.site_policy import CspError, site_csp
from local import distribution as cf
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
# The placeholder domain the emulator passes as ApiDomainName (through the deploy's own parameter
# builder) when it has a local API origin; the template's custom origin with this domain is
# served by --api-origin.
LOCAL_API_DOMAIN = "local-api.invalid"
# Lambda@Edge gives a viewer-request function at most 40 KB of the body (IncludeBody), truncated:
# https://docs.aws.amazon.com/AmazonCloudFront/latest/DeveloperGuide/lambda-include-body-access.html
MAX_VIEWER_BODY = 40 * 1024
METHOD_NOT_ALLOWED = (
    "This distribution is not configured to allow the HTTP request method that was used for this request."
)
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


def _s3_error(status: int, code: str, message: str) -> OriginReply:
    body = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>{code}</Code><Message>{message}</Message></Error>'
    ).encode()
    return OriginReply(status, body, [("Content-Type", "application/xml"), ("Server", "AmazonS3")])


class S3Origin:
    """The site bucket's REST endpoint as CloudFront's origin access control reaches it.

    `list_bucket` is whether the bucket policy lets the OAC s3:ListBucket (read from the
    template by local/distribution.py): then a missing key is 404 NoSuchKey and a GET of the
    bucket root is ListObjects; without it both are 403 AccessDenied (S3 API reference,
    GetObject "Permissions": https://docs.aws.amazon.com/AmazonS3/latest/API/API_GetObject.html).
    Only reads are granted: any other method is 403 AccessDenied."""

    def __init__(self, root: str, list_bucket: bool = True):
        self.root = os.path.realpath(root)
        self.list_bucket = list_bucket

    def request(self, method: str, uri: str, if_none_match: str | None = None) -> OriginReply:
        if method not in ("GET", "HEAD"):
            return _s3_error(403, "AccessDenied", "Access Denied")
        return self.get(uri, if_none_match)

    def get(self, uri: str, if_none_match: str | None = None) -> OriginReply:
        # S3 reads a literal "+" in the path as a space ("%2B" is a plus): servo/rust-url#882,
        # sveltejs/kit#6451, https://docs.aws.amazon.com/AmazonS3/latest/userguide/object-keys.html
        key = unquote(uri.replace("+", " "))[1:]
        if key == "":
            if not self.list_bucket:
                return _s3_error(403, "AccessDenied", "Access Denied")
            return self._list_objects()
        path = os.path.realpath(os.path.join(self.root, key))
        inside = path.startswith(self.root + os.sep)
        if not inside or key.endswith("/") or not os.path.isfile(path):
            if not self.list_bucket:
                return _s3_error(403, "AccessDenied", "Access Denied")
            return _s3_error(404, "NoSuchKey", "The specified key does not exist.")
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
    """What the emulator serves: the template's distribution (local/distribution.py), the
    function's warm workers, and a local stand-in for each origin."""

    pool: WorkerPool
    config: cf.DistributionConfig
    s3: dict[str, S3Origin]  # origin id -> the site directory as that bucket
    custom: dict[str, str] = field(default_factory=dict)  # origin id -> http://127.0.0.1:PORT
    domain_name: str = "d111111abcdef8.cloudfront.net"
    distribution_id: str = "EDFDVBD6EXAMPLE"
    events: list[dict] = field(default_factory=list)  # recent events (tests read them)
    keep_events: int = 0
    served_hosts: frozenset[str] = frozenset()  # Host values this emulator answers (lowercase); empty: any
    # CloudFront-level refusals (method not allowed, Host not served, size limits, function
    # failures, origin unreachable): one JSON object each, in memory and in refusal_log.
    refusals: list[dict] = field(default_factory=list)
    refusal_log: str = ""
    signed_checks: list[dict] = field(default_factory=list)  # trusted-key-group checks (issue 23)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def refuse(self, kind: str, status: int, method: str, path: str, behavior: str, detail: str = "") -> None:
        record = {
            "time": round(time.time(), 3),
            "kind": kind,
            "status": status,
            "method": method,
            "path": path[:300],
            "behavior": behavior,
            "detail": detail[:500],
        }
        line = json.dumps(record, separators=(",", ":"))
        with self._lock:
            self.refusals.append(record)
            del self.refusals[:-1000]
            if self.refusal_log:
                with open(self.refusal_log, "a", encoding="utf-8") as f:
                    f.write(line + "\n")
        log(f"refused: {line}")

    def event_for(
        self,
        method: str,
        target: str,
        header_items: list[tuple[str, str]],
        client_ip: str,
        body: bytes | None = None,
    ) -> dict:
        uri, _, query = target.partition("?")
        headers: dict[str, list[dict[str, str]]] = {}
        for name, value in header_items:
            lowered = name.lower()
            if lowered in HOP_BY_HOP:
                continue
            headers.setdefault(lowered, []).append({"key": name, "value": value})
        request: dict = {
            "clientIp": client_ip,
            "headers": headers,
            "method": method,
            "querystring": query,
            "uri": uri,
        }
        if body is not None:  # IncludeBody: the first 40 KB, base64, read-only
            request["body"] = {
                "inputTruncated": len(body) > MAX_VIEWER_BODY,
                "action": "read-only",
                "encoding": "base64",
                "data": base64.b64encode(body[:MAX_VIEWER_BODY]).decode(),
            }
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
                        "request": request,
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
        uri = target.partition("?")[0]
        request_id = new_request_id()
        host = (self.headers.get("Host") or "").strip().lower()
        if dist.served_hosts and host not in dist.served_hosts:
            # DNS rebinding: a page on another name that resolves to 127.0.0.1 must not reach
            # the gate or the site through this emulator (issue 21, item 6).
            dist.refuse("host_not_served", 403, self.command, uri, "-", f"Host {host!r}")
            self._cloudfront_error(
                403,
                "Bad request.",
                f"This emulator serves {', '.join(sorted(dist.served_hosts))} only.",
                request_id,
                started,
            )
            return
        raw_size = len(target) + sum(len(k) + len(v) + 4 for k, v in items)
        if len(target) > MAX_URI_AND_QUERY:
            dist.refuse("uri_too_long", 414, self.command, uri, "-")
            self._cloudfront_error(
                414, "Request-URI Too Large", "URI and query string exceed 8,192 characters.", request_id, started
            )
            return
        if raw_size > MAX_REQUEST_BYTES:
            dist.refuse("request_too_large", 494, self.command, uri, "-", f"{raw_size} bytes")
            self._cloudfront_error(
                494,
                "Request Header Fields Too Large",
                f"The request's headers and query string are {raw_size} bytes; CloudFront allows {MAX_REQUEST_BYTES}.",
                request_id,
                started,
            )
            return
        # The behavior is chosen once, from the viewer's path (local/distribution.py).
        behavior = dist.config.behavior_for(uri)
        if self.command not in behavior.allowed_methods:
            dist.refuse("method_not_allowed", 403, self.command, uri, behavior.path_pattern)
            self._cloudfront_error(403, METHOD_NOT_ALLOWED, "", request_id, started)
            return
        if behavior.trusted_keys and not self._signed_request_allowed(behavior, host, target, uri, request_id, started):
            return
        event = dist.event_for(
            self.command, target, items, self.client_address[0], self._body if behavior.include_body else None
        )
        event["Records"][0]["cf"]["config"]["requestId"] = request_id
        request = event["Records"][0]["cf"]["request"]
        if not behavior.gate:
            self._send_origin(behavior, request, request_id, started)
            return
        if dist.keep_events:
            dist.events.append(event)
            del dist.events[: -dist.keep_events]
        try:
            result = dist.pool.invoke(event)
        except WorkerFailure as failure:
            loud(f"{failure.kind}: {failure}")
            dist.refuse(
                "lambda_" + failure.kind, failure.status, self.command, uri, behavior.path_pattern, str(failure)
            )
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
            dist.refuse("LambdaValidationError", 502, self.command, uri, behavior.path_pattern, "; ".join(problems))
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
        else:
            self._send_origin(behavior, result, request_id, started, viewer_uri=uri)

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

    def _signed_request_allowed(
        self, behavior: cf.Behavior, host: str, target: str, uri: str, request_id: str, started: float
    ) -> bool:
        """A behavior with TrustedKeyGroups: CloudFront's own check of the signed cookies, before
        any function (local/signed_cookies.py); refused, CloudFront's 403 with its XML error."""
        from local import signed_cookies

        jar: dict[str, str] = {}
        for value in self.headers.get_all("Cookie") or []:
            for pair in value.split(";"):
                name, sep, cookie_value = pair.strip().partition("=")
                if sep and name not in jar:
                    jar[name] = cookie_value
        keys = {key.key_id: key for key in behavior.trusted_keys}
        ok, code, why = signed_cookies.check(jar, f"http://{host}{target}", self.client_address[0], time.time(), keys)
        self.distribution.signed_checks.append({"path": uri, "allowed": ok, "why": why})
        if ok:
            return True
        self.distribution.refuse("signed_cookies_" + code, 403, self.command, uri, behavior.path_pattern, why)
        headers = [
            ("Server", "CloudFront"),
            ("Content-Type", "text/xml"),
            *self._common_headers(request_id, "Error"),
        ]
        self._write(403, None, headers, signed_cookies.error_body(code))
        self._access_log(403, "Error", started)
        return False

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

    def _send_origin(
        self, behavior: cf.Behavior, request: dict, request_id: str, started: float, viewer_uri: str = ""
    ) -> None:
        """The request (as the function left it) to the behavior's origin, then the
        distribution's custom error responses and the behavior's response headers policy."""
        dist = self.distribution
        origin = dist.config.origin_of(behavior)
        if origin.kind == "s3":
            uri = request["uri"]
            root = dist.config.default_root_object
            if root and uri == "/" and viewer_uri == "/":
                # DefaultRootObject answers a viewer's request for the root URL only. Whether it
                # also applies when a function rewrote another URI to "/" is not documented:
                # then S3 gets "/" (ListObjects, when the OAC may list).
                uri = "/" + root
            inm = None
            for entry in (request.get("headers") or {}).get("if-none-match", []):
                inm = entry["value"]
            reply = dist.s3[origin.id].request(self.command, uri, inm)
            source = f"origin {origin.id}"
        else:
            got = self._custom_origin(behavior, dist.custom[origin.id], request, request_id, started)
            if got is None:
                return
            reply, source = got, f"origin {origin.id}"
        error = dist.config.error_responses.get(reply.status)
        if error is not None and error.page_path:
            # Custom error responses are distribution-wide: any behavior's, any origin's error.
            # The page is fetched through the behavior its path matches; no function runs.
            page_behavior = dist.config.behavior_for(error.page_path)
            page_origin = dist.config.origin_of(page_behavior)
            page = dist.s3[page_origin.id].get(error.page_path)
            if page.status == 200:
                status = error.response_code or reply.status
                source += f" {reply.status} -> error page {error.page_path} ({status})"
                reply = OriginReply(status, page.body, page.headers)
        headers = apply_response_headers(reply.headers, behavior.response_headers)
        headers += self._common_headers(request_id, "Miss")
        self._write(reply.status, None, headers, reply.body)
        self._access_log(reply.status, source, started)

    def _custom_origin(
        self, behavior: cf.Behavior, base: str, request: dict, request_id: str, started: float
    ) -> OriginReply | None:
        """A custom origin's request: the function's request with every viewer header but Host
        (Managed-AllViewerExceptHostHeader) or with Host (Managed-AllViewer), and the body."""
        import http.client
        from urllib.parse import urlsplit

        origin = urlsplit(base)
        headers = [
            (e["key"], e["value"])
            for name, entries in (request.get("headers") or {}).items()
            if name not in API_DROP or (name == "host" and behavior.forwards_host)
            for e in entries
        ]
        if not behavior.forwards_host:
            headers.append(("Host", origin.netloc))
        headers += [
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
            reply_headers = [
                (k, v)
                for k, v in reply.getheaders()
                if k.lower()
                not in ("content-length", "connection", "transfer-encoding", "keep-alive", "date", "server")
            ]
            return OriginReply(reply.status, body, reply_headers)
        except OSError as exc:
            self.distribution.refuse(
                "origin_connection_error", 502, self.command, request["uri"], behavior.path_pattern, str(exc)
            )
            self._cloudfront_error(
                502, "CloudFront wasn't able to connect to the origin.", str(exc), request_id, started, x_cache="Error"
            )
            return None
        finally:
            conn.close()


def apply_response_headers(
    origin_headers: list[tuple[str, str]], policy: tuple[tuple[str, str, bool], ...]
) -> list[tuple[str, str]]:
    """A response headers policy on an origin's answer: a header with Override replaces the
    origin's; without it, the origin's wins when it sent one (CloudFront Developer Guide,
    "Understand response headers policies")."""
    out = list(origin_headers)
    for name, value, override in policy:
        present = any(k.lower() == name.lower() for k, _ in out)
        if present and not override:
            continue
        out = [(k, v) for k, v in out if k.lower() != name.lower()]
        out.append((name, value))
    return out


class Server(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 64


def make_server(distribution: Distribution, host: str = "127.0.0.1", port: int = 8080) -> Server:
    handler = type("BoundHandler", (Handler,), {"distribution": distribution})
    return Server((host, port), handler)


def asset_public_pem(path: str) -> str:
    """The public half of an asset-cookie key file (gatebuild/asset_key.py)."""
    from gatebuild import asset_key as keys

    with open(path, encoding="utf-8") as f:
        return keys.public_pem(keys.check(json.load(f)))


class Emulator:
    """The whole stand-in, for scripts and tests: start(), .url, stop().

    The distribution is cloudformation.yaml's (local/distribution.py), with the parameters
    `deploy.py stack` would pass for the same options (its own builder); it refuses to start
    (cf.DistributionError) where the template holds something it cannot read or does not model.
    """

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
        template: str | os.PathLike = cf.TEMPLATE,
        hsts_include_subdomains: bool | None = None,
        hsts_preload: bool | None = None,
        refusal_log: str = "",
        asset_key: str = "",
        asset_path: str | None = None,
        cpu_share: float | None = None,
    ):
        if not os.path.isdir(site_dir):
            raise FileNotFoundError(f"{site_dir}: no such site directory (build the site first)")
        if len(api_paths) != 1:
            raise cf.DistributionError(
                [f"api_paths {api_paths!r}: the template has one API behavior (ApiPathPattern); give one pattern"]
            )
        # The distribution's CSP, from the same place deploy.py takes it (gatebuild/site_policy.py),
        # passed as the template's ContentSecurityPolicy parameter, as the deploy passes it.
        self.csp = site_csp(site_dir, csp_file) if csp is None else None
        policy = self.csp.policy if self.csp is not None else str(csp)
        with open(zip_path, "rb") as f:
            sha = base64.b64encode(hashlib.sha256(f.read()).digest()).decode()
        self.config = cf.from_template(
            template,
            csp=policy,
            api_domain=LOCAL_API_DOMAIN if api_origin else "",
            api_path=api_paths[0] if api_origin else None,
            zip_sha256_b64=sha,
            hsts_include_subdomains=hsts_include_subdomains,
            hsts_preload=hsts_preload,
            # [assets] signed_cookies (issue 23): the public key of the build's asset-cookie key,
            # passed as deploy.py passes it (slot A); no key: the gate on the assets as before
            asset_keys={"A": asset_public_pem(asset_key)} if asset_key else None,
            asset_path=asset_path,
        )
        s3, custom, problems = {}, {}, []
        for origin in self.config.origins.values():
            if origin.kind == "s3":
                s3[origin.id] = S3Origin(site_dir, origin.list_bucket)
            elif origin.domain_name == LOCAL_API_DOMAIN and api_origin:
                custom[origin.id] = api_origin
            else:
                problems.append(f"origin {origin.id} ({origin.domain_name}): no local stand-in for it")
        for behavior in self.config.behaviors:
            origin = self.config.origin_of(behavior)
            if origin.kind == "custom" and behavior.forwards_host is None:
                problems.append(f"{behavior.label}: a custom origin without an origin request policy is not modelled")
            if origin.kind == "custom" and not behavior.caching_disabled:
                problems.append(f"{behavior.label}: caching in front of a custom origin is not modelled")
        for error in self.config.error_responses.values():
            if error.page_path and self.config.origin_of(self.config.behavior_for(error.page_path)).kind != "s3":
                problems.append(
                    f"custom error response {error.error_code}: a page from a custom origin is not modelled"
                )
        if api_origin and not custom:
            problems.append("--api-origin given, but the template makes no API origin for it (ApiDomainName)")
        if problems:
            raise cf.DistributionError(problems)
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
            self.pool, self.config, s3, custom, keep_events=keep_events, refusal_log=refusal_log
        )
        try:
            self.server = make_server(self.distribution, host, port)
        except OSError:
            self.pool.close()
            raise
        self.port = self.server.server_address[1]
        self.url = f"http://{url_host}:{self.port}"
        self.distribution.served_hosts = frozenset({f"{url_host}:{self.port}".lower()})
        self._thread: threading.Thread | None = None

    @property
    def refusals(self) -> list[dict]:
        return list(self.distribution.refusals)

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
    parser.add_argument(
        "--url-host", default="localhost", help="the host name the site is served as; any other Host is refused"
    )
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
    parser.add_argument("--template", default=str(cf.TEMPLATE), help="the CloudFormation template to read")
    parser.add_argument(
        "--asset-key", default="", help="[assets] signed_cookies: the key file build.py --asset-key signed the zip with"
    )
    parser.add_argument("--asset-path", default=None, help="the asset behavior's path pattern (AssetPathPattern)")
    parser.add_argument("--hsts-include-subdomains", action="store_true", default=None, help="as deploy.py stack")
    parser.add_argument("--hsts-preload", action="store_true", default=None, help="as deploy.py stack")
    parser.add_argument("--api-origin", default="", help="the API origin (http://127.0.0.1:PORT) behind --api-path")
    parser.add_argument(
        "--api-path",
        default="/api/*",
        help="the API behavior's path pattern (the template's ApiPathPattern; default /api/*)",
    )
    parser.add_argument(
        "--refusal-log",
        default="",
        help="append one JSON line per CloudFront-level refusal (method not allowed, Host not served, ...) here",
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
            url_host=args.url_host,
            csp_file=args.csp_file,
            api_origin=args.api_origin,
            template=args.template,
            hsts_include_subdomains=args.hsts_include_subdomains,
            hsts_preload=args.hsts_preload,
            refusal_log=args.refusal_log,
            asset_key=args.asset_key,
            asset_path=args.asset_path,
            api_paths=(args.api_path,),
            cpu_share=LAMBDA_EDGE_FRACTION if args.cpu_share else None,
        )
    except (CspError, RuntimeMissing) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except cf.DistributionError as exc:
        print(f"error: the emulator cannot run {args.template} as CloudFront would:", file=sys.stderr)
        for problem in exc.problems:
            print(f"  {problem}", file=sys.stderr)
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
    log(f"origin {os.path.abspath(args.site)}; CSP from {emulator.csp.source if emulator.csp else 'given'}")
    log(f"behaviors from {args.template}:")
    for line in emulator.config.describe():
        log(f"  {line}")
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
