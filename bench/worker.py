"""A warm Lambda process for the benchmark: `python3.13 -I -S -B worker.py <task dir> <module>`.

Only the extracted package (read-only) is on sys.path, plus the standard library. The
handler's own log lines go to stdout, which is pointed at /dev/null, so logging costs what
it costs without flooding; replies (one JSON line per command read on stdin) go to the
original stdout. Not part of any package that ships.
"""

import json
import os
import sys
import time

task_dir, module_name = sys.argv[1], sys.argv[2]
sys.path.insert(0, task_dir)
replies = os.fdopen(os.dup(1), "w")
_null = os.open(os.devnull, os.O_WRONLY)
os.dup2(_null, 1)  # sys.stdout stays a buffered text stream on fd 1, as in Lambda; it is drained to /dev/null

handler = __import__(module_name, fromlist=["handler"]).handler
clock = time.perf_counter_ns
handled = 0


def event_with_cookie(template: str, cookie):
    event = json.loads(template)
    if cookie:
        event["Records"][0]["cf"]["request"]["headers"]["cookie"] = [{"key": "Cookie", "value": cookie}]
    return event


def loop(template: str, cookies: list, repeat: int) -> dict:
    """Time handler() alone for each cookie value (each `repeat` times); events built untimed."""
    global handled
    times, passed = [], 0
    for cookie in cookies:
        for _ in range(repeat):
            event = event_with_cookie(template, cookie)
            started = clock()
            result = handler(event, None)
            times.append(clock() - started)
            passed += "status" not in result
            handled += 1
    sys.stdout.flush()
    return {"ns": times, "passed": passed}


def pow_floor(sig_hex: str, n_hex: str, iters: int) -> dict:
    sig, n = int(sig_hex, 16), int(n_hex, 16)
    times = []
    for _ in range(iters):
        started = clock()
        pow(sig, 65537, n)
        times.append(clock() - started)
    return {"ns": times}


for line in sys.stdin:
    command = json.loads(line)
    op = command["op"]
    if op == "handle":
        reply = {"result": handler(command["event"], None)}
        handled += 1
        sys.stdout.flush()
    elif op == "loop":
        reply = loop(json.dumps(command["template"]), command["cookies"], command["repeat"])
    elif op == "pow":
        reply = pow_floor(command["sig"], command["n"], command["iters"])
    elif op == "stats":
        reply = {
            "handled": handled,
            "path": sys.path,
            "modules": sorted(name for name in sys.modules if "." not in name),
        }
    else:
        reply = {"error": f"unknown op {op!r}"}
    replies.write(json.dumps(reply) + "\n")
    replies.flush()
