"""Do the hand-written stand-ins for the standard library pay for themselves? (issue 15)

    .venv/bin/python -m bench.standins [--samples 21]

edge/urls.py, edge/digest.py and edge/encoding.py replace urllib.parse, hashlib+hmac and base64;
edge/log.py writes its JSON line by hand instead of importing json. Each is worth keeping only if
importing it costs less than importing what it replaces, in the context the function really runs
in: the Lambda runtime has already imported json, logging, traceback, decimal, datetime and
concurrent.futures (and so re, enum, functools...) before the handler. This prints, for both
contexts, the median import time of each module pair, each in a fresh python3.13 -I -S -B with
only the built zip on sys.path, and what the stand-in saves on the paths that use it.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from bench.run import CONTEXTS, extract_read_only, remove_tree  # noqa: E402
from gatebuild.runtime import find_python313  # noqa: E402

# stand-in, what it replaces (the import the module would otherwise need), imported untimed before
PAIRS = [
    ("edge.urls", "urllib.parse", "edge"),
    ("edge.digest", "hashlib, hmac", "edge"),
    ("edge.encoding", "base64", "edge"),
    ("edge.log (hand-written JSON line)", "json", "edge.digest"),  # log's HmacKey is the gate's anyway
]
CODE = (
    "{preload}\nimport sys, time\nsys.path.insert(0, {task!r})\nimport {before}\nt = time.perf_counter_ns()\n"
    "import {module}\nsys.stdout.write(str(time.perf_counter_ns() - t))"
)


def import_ms(python313: str, task: str, module: str, preload: str, before: str, samples: int) -> float:
    times = []
    for _ in range(samples):
        out = subprocess.run(
            [python313, "-I", "-S", "-B", "-c", CODE.format(preload=preload, task=task, module=module, before=before)],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        times.append(int(out) / 1e6)
    return statistics.median(times)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.standins", description=__doc__.split("\n\n")[0])
    parser.add_argument("--samples", type=int, default=21)
    args = parser.parse_args(argv)
    python313 = find_python313()
    if python313 is None:
        print("no python3.13", file=sys.stderr)
        return 2
    work = tempfile.mkdtemp(prefix="gate-standins-")
    try:
        out = os.path.join(work, "edge.zip")
        subprocess.run(
            [
                sys.executable,
                os.path.join(ROOT, "build.py"),
                "--config",
                "gate.example.toml",
                "--jwks-file",
                "tests/fixtures/jwks.json",
                "--out",
                out,
            ],
            cwd=ROOT,
            check=True,
            capture_output=True,
        )
        task = extract_read_only(out, os.path.join(work, "task"))
        print(f"{'stand-in':36} {'replaces':14} " + "  ".join(f"{ctx + ' context':>30}" for ctx in CONTEXTS))
        for ours, theirs, before in PAIRS:
            cells = []
            for preload in CONTEXTS.values():
                a = import_ms(python313, task, ours.split()[0], preload, before, args.samples)
                b = import_ms(python313, task, theirs, preload, before, args.samples)
                cells.append(f"{a:5.2f} vs {b:5.2f} ms: saves {b - a:+6.2f}")
            print(f"{ours:36} {theirs:14} " + "  ".join(f"{c:>30}" for c in cells))
        print(
            f"\nmedian of {args.samples} fresh processes per cell; the package (and for edge.log, edge.digest) is imported before timing"
        )
    finally:
        remove_tree(work)
    return 0


if __name__ == "__main__":
    sys.exit(main())
