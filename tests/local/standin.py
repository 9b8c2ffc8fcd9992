"""Small stand-in function packages for testing the emulator without the real gate."""

from __future__ import annotations

import os
import zipfile

ROUTER = r"""
import json, os, sys, time, traceback

COUNT = 0
# INIT: who imported this module, and when (Lambda's bootstrap imports it before any event)
IMPORTED_BY = [frame.filename for frame in traceback.extract_stack()]
IMPORTED_AT = time.time()


def _json(status, data):
    return {"status": status, "statusDescription": "OK",
            "headers": {"content-type": [{"key": "Content-Type", "value": "application/json"}]},
            "body": json.dumps(data)}


def handler(event, context):
    global COUNT
    COUNT += 1
    req = event["Records"][0]["cf"]["request"]
    uri, qs = req["uri"], req["querystring"]
    if uri == "/echo":
        return _json("200", {"event": event, "count": COUNT, "pid": os.getpid(),
                             "remaining": context.get_remaining_time_in_millis()})
    if uri == "/env":
        try:
            import boto3  # noqa: F401
            boto = True
        except ImportError:
            boto = False
        try:
            with open(os.path.join(os.environ["LAMBDA_TASK_ROOT"], "scratch.txt"), "w") as f:
                f.write("x")
            writable = True
        except OSError:
            writable = False
        return _json("200", {"path": sys.path, "boto3": boto, "task_writable": writable,
                             "task_root": os.environ["LAMBDA_TASK_ROOT"], "cwd": os.getcwd(),
                             "flags_isolated": sys.flags.isolated, "no_site": sys.flags.no_site,
                             "version": list(sys.version_info[:2]),
                             "imported_by": IMPORTED_BY, "imported_at": IMPORTED_AT, "now": time.time(),
                             "count": COUNT, "pid": os.getpid(), "modules": sorted(m for m in sys.modules if "." not in m),
                             "runtime_dir": os.environ.get("LAMBDA_RUNTIME_DIR"),
                             "context": {"arn": context.invoked_function_arn,
                                         "request_id": context.aws_request_id,
                                         "memory": context.memory_limit_in_mb,
                                         "function": context.function_name},
                             "env": {k: os.environ.get(k) for k in ("AWS_LAMBDA_RUNTIME_API", "_HANDLER",
                                     "AWS_LAMBDA_FUNCTION_MEMORY_SIZE", "AWS_EXECUTION_ENV",
                                     "_X_AMZN_TRACE_ID")}})
    if uri == "/print":
        print(json.dumps({"level": "info", "msg": "hello from the handler", "qs": qs}))
        print("to stderr too", file=sys.stderr)
        return req
    if uri == "/slow":
        time.sleep(float(qs or 10))
        return req
    if uri == "/crash":
        os._exit(3)
    if uri == "/raise":
        raise ValueError("boom")
    if uri == "/memory":
        blob = bytearray(200 * 1024 * 1024)
        for i in range(0, len(blob), 4096):
            blob[i] = 1
        return req
    if uri == "/big":
        return {"status": "200", "body": "x" * int(qs)}
    if uri == "/header":
        name, _, value = qs.partition("=")
        return {"status": "200", "headers": {name.lower(): [{"key": name, "value": value}]}, "body": "h"}
    if uri == "/int-status":
        return {"status": 200, "body": "int"}
    if uri == "/extra-key":
        return {"status": "200", "headers": {"x-a": [{"key": "X-A", "value": "1", "extra": "no"}]}}
    if uri == "/upper-key":
        return {"status": "200", "headers": {"Content-Type": [{"key": "Content-Type", "value": "text/plain"}]}}
    if uri == "/cookies":
        return {"status": "302", "statusDescription": "Found", "headers": {
            "location": [{"key": "Location", "value": "/landing?x=1"}],
            "set-cookie": [{"key": "Set-Cookie", "value": "a=1; Path=/; HttpOnly"},
                           {"key": "Set-Cookie", "value": "b=2; Path=/; HttpOnly"}],
            "cache-control": [{"key": "Cache-Control", "value": "no-store"}]}}
    if uri == "/base64":
        return {"status": "200", "bodyEncoding": "base64", "body": "aGVsbG8=",
                "headers": {"content-type": [{"value": "text/plain"}]}}
    if uri == "/rewrite":
        req["uri"] = "/assets/app.js"
        return req
    if uri == "/host":
        req["headers"]["host"] = [{"key": "Host", "value": "elsewhere.example"}]
        return req
    if uri == "/not-a-dict":
        return "nope"
    return req
"""


def make_zip(path: str, handler_source: str = ROUTER, *, extra: dict[str, str] | None = None) -> str:
    """A zip shaped like the gate's: edge/__init__.py and edge/handler.py with `handler`."""
    os.makedirs(os.path.dirname(path) or ".", exist_ok=True)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("edge/__init__.py", "")
        archive.writestr("edge/handler.py", handler_source)
        for name, text in (extra or {}).items():
            archive.writestr(name, text)
    return path


def make_site(root: str) -> str:
    """A tiny stand-in for site/dist: index.html, hashed assets, robots.txt."""
    os.makedirs(os.path.join(root, "assets"), exist_ok=True)
    files = {
        "index.html": "<!doctype html><html><head><title>Stand-in site</title>"
        '<link rel="stylesheet" href="/assets/app.css"></head>'
        '<body><div id="root">Stand-in site</div><script type="module" src="/assets/app.js">'
        "</script></body></html>",
        "assets/app.js": "document.getElementById('root').dataset.ready = 'yes';\n",
        "assets/app.css": "body { font-family: sans-serif; }\n",
        "assets/logo.svg": '<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>',
        "robots.txt": "User-agent: *\nDisallow: /\n",
    }
    for name, text in files.items():
        with open(os.path.join(root, name), "w", encoding="utf-8") as f:
            f.write(text)
    return root
