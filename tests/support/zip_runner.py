"""Run the built zip's handler the way Lambda does: `python3.13 -I -S zip_runner.py <dir>`.

Only the extracted zip is on sys.path (plus the standard library): no site-packages, no
source tree. Reads one JSON event per stdin line; writes one JSON line per result to the
original stdout. The handler's own prints (its log lines) go to stderr.
"""

import json
import os
import sys

task_dir = sys.argv[1]
sys.path[0] = task_dir  # replaces this script's own directory
results = os.fdopen(os.dup(1), "w")
sys.stdout = sys.stderr

from edge.handler import handler  # noqa: E402

for line in sys.stdin:
    message = json.loads(line)
    if message == "gc":
        import gc

        results.write(json.dumps({"enabled": gc.isenabled(), "frozen": gc.get_freeze_count()}) + "\n")
    elif message == "modules":
        loaded = {name: getattr(module, "__file__", None) for name, module in sys.modules.items()}
        results.write(json.dumps({"modules": loaded, "path": sys.path}) + "\n")
    else:
        results.write(json.dumps(handler(message, None)) + "\n")
    results.flush()
