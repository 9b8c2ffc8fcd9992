"""Issue 7's benchmark: the built zip under python3.13, next to a naive package and the RSA floor.

    .venv/bin/python -m bench              # full run (>= 15 cold processes per figure)
    .venv/bin/python -m bench --quick      # short mode, what CI runs (5 cold processes per figure)
    .venv/bin/python -m bench --json results.json --importtime

Not a test: nothing here passes or fails on a timing. Every figure is measured in this one run
next to its baseline, and the ratios are what to read on a noisy machine. See bench/README.md.
"""

from __future__ import annotations

import argparse
import base64
import json
import os
import random
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from urllib.parse import urlencode, urlsplit

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
if ROOT not in sys.path:
    sys.path.insert(0, ROOT)

from gatebuild import vendor  # noqa: E402
from gatebuild.runtime import find_python313  # noqa: E402
from tests.support.cloudfront import NAVIGATE, event, location_query  # noqa: E402
from tests.support.idp_server import LocalIdp  # noqa: E402
from tests.support.tokens import Keys, b64url  # noqa: E402

BENCH_DIR = os.path.dirname(os.path.abspath(__file__))
CLIENT_ID = "bench-client-id"
POOL = "us-east-1_Bench1234"
ISSUER = f"https://cognito-idp.us-east-1.amazonaws.com/{POOL}"
STATE_SECRET = b64url(b"gate-benchmark-state-secret-0123456789")
OURS_ID_COOKIE = "__Host-gate-id"  # cookies.prefix "gate", secure, no domain
NAIVE_ID_COOKIE = "naive-id"
PAGE = "/docs/getting-started"
MB = 1024 * 1024

FULL = {"cold": 15, "first": 1000, "repeat": 20000, "naive_repeat": 1000, "pow": 2000, "rounds": 10}
QUICK = {"cold": 5, "first": 100, "repeat": 2000, "naive_repeat": 100, "pow": 200, "rounds": 4}

CONFIG = """
[idp]
provider = "cognito"
client_id = "{client_id}"
token_endpoint = "{base}/token"
revocation_endpoint = "{base}/revoke"
jwks_uri = "{base}/jwks"
timeout_seconds = 3.0

[cognito]
region = "us-east-1"
user_pool_id = "{pool}"
domain = "auth.example.com"

[paths]
public = ["/favicon.ico", "/robots.txt"]

[[rules]]
paths = ["/admin", "/admin/*"]
groups = ["Admin"]

[state]
secret = "{secret}"
"""

# The whole cold process after the interpreter is up: put the package on sys.path, import the
# handler, handle one event. The event is a literal in the code, so nothing else is imported
# (`time` is already loaded by the interpreter's start-up). perf_counter_ns is CLOCK_MONOTONIC,
# the launcher's clock too, so the launcher's spawn time and these stamps compare.
COLD = """import time
t0 = time.perf_counter_ns()
import sys
sys.path.insert(0, {task!r})
from {module} import handler
t1 = time.perf_counter_ns()
r = handler({event!r}, None)
t2 = time.perf_counter_ns()
sys.stdout.flush()
sys.stderr.write("BENCH %d %d %d %s\\n" % (t0, t1, t2, r.get("status", "pass")))
"""


class BenchError(Exception):
    pass


def say(*parts) -> None:
    print(*parts, file=sys.stderr, flush=True)


# -- packages ----------------------------------------------------------------------------------

def build_ours(work: str, base: str, jwks: dict) -> str:
    config = os.path.join(work, "gate.toml")
    with open(config, "w") as f:
        f.write(CONFIG.format(client_id=CLIENT_ID, base=base, pool=POOL, secret=STATE_SECRET))
    jwks_file = os.path.join(work, "jwks.json")
    with open(jwks_file, "w") as f:
        json.dump(jwks, f)
    out = os.path.join(work, "ours.zip")
    result = subprocess.run([sys.executable, os.path.join(ROOT, "build.py"), "--config", config,
                             "--jwks-file", jwks_file, "--out", out],
                            capture_output=True, text=True, cwd=ROOT, timeout=900)
    if result.returncode != 0:
        raise BenchError("build.py failed:\n" + result.stdout[-2000:] + result.stderr[-3000:])
    return out


def build_naive(work: str, base: str, jwks: dict, python313: str) -> str:
    """Every installed file of vendor/requirements.txt, as sources, plus bench/naive_handler.py."""
    vendor_dir = vendor.install(os.path.join(ROOT, "build"), python313)  # build/vendor-*, filled by build.py
    config = {"issuer": ISSUER, "client_id": CLIENT_ID, "callback_path": "/_gate/callback",
              "authorization_endpoint": "https://auth.example.com/oauth2/authorize",
              "token_endpoint": f"{base}/token", "jwks": jwks}
    out = os.path.join(work, "naive.zip")
    with zipfile.ZipFile(out, "w") as archive:
        archive.write(os.path.join(BENCH_DIR, "naive_handler.py"), "naive_handler.py", zipfile.ZIP_DEFLATED, 9)
        archive.writestr("naive_config.json", json.dumps(config), zipfile.ZIP_DEFLATED, 9)
        for dirpath, dirnames, filenames in os.walk(vendor_dir):
            dirnames[:] = sorted(d for d in dirnames if d != "__pycache__")
            for name in sorted(filenames):
                if name == ".complete" or name.endswith(".pyc"):
                    continue
                path = os.path.join(dirpath, name)
                archive.write(path, os.path.relpath(path, vendor_dir), zipfile.ZIP_DEFLATED, 9)
    return out


def extract_read_only(zip_path: str, target: str) -> str:
    with zipfile.ZipFile(zip_path) as archive:
        archive.extractall(target)
    for dirpath, dirnames, filenames in os.walk(target):
        for name in filenames:
            os.chmod(os.path.join(dirpath, name), 0o444)
        os.chmod(dirpath, 0o555)
    return target


def remove_tree(path: str) -> None:
    for dirpath, _, _ in os.walk(path):
        os.chmod(dirpath, 0o755)
    shutil.rmtree(path, ignore_errors=True)


# -- processes ---------------------------------------------------------------------------------

class Launcher:
    def __init__(self, python313: str, work: str):
        self.work = work
        self.proc = subprocess.Popen([python313, "-I", "-S", "-B", os.path.join(BENCH_DIR, "launcher.py")],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def _ask(self, command: dict) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError("the launcher died")
        return json.loads(line)

    def run(self, argv: list[str]) -> tuple[dict, str, str]:
        out, err = os.path.join(self.work, "cold.out"), os.path.join(self.work, "cold.err")
        reply = self._ask({"argv": argv, "out": out, "err": err})
        with open(out) as f_out, open(err) as f_err:
            return reply, f_out.read(), f_err.read()

    def own_peak_kib(self) -> int | None:
        return self._ask({"op": "self"})["vmhwm_kib"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


class Worker:
    """A warm process running one package's handler (see bench/worker.py)."""

    def __init__(self, python313: str, task: str, module: str):
        self.proc = subprocess.Popen([python313, "-I", "-S", "-B", os.path.join(BENCH_DIR, "worker.py"), task, module],
                                     stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)

    def ask(self, **command) -> dict:
        self.proc.stdin.write(json.dumps(command) + "\n")
        self.proc.stdin.flush()
        line = self.proc.stdout.readline()
        if not line:
            raise BenchError(f"a warm worker died (exit {self.proc.wait()}); see its stderr above")
        return json.loads(line)

    def handle(self, ev: dict) -> dict:
        return self.ask(op="handle", event=ev)["result"]

    def loop(self, template: dict, cookies: list[str], repeat: int = 1) -> list[int]:
        reply = self.ask(op="loop", template=template, cookies=cookies, repeat=repeat)
        if reply["passed"] != len(cookies) * repeat:
            raise BenchError(f"only {reply['passed']} of {len(cookies) * repeat} valid-cookie requests passed")
        return reply["ns"]

    def close(self) -> None:
        self.proc.stdin.close()
        self.proc.wait(timeout=30)


def login_cookie(result: dict) -> str:
    return result["headers"]["set-cookie"][0]["value"].split(";")[0]


def callback_event(worker: Worker, idp: LocalIdp, keys: Keys) -> dict:
    """Start a login in a warm process of the same package (same baked secret), have the IdP
    issue a code for it, and return the callback request that completes it."""
    first = worker.handle(event(PAGE, "tab=1", headers=NAVIGATE))
    if first.get("status") != "302":
        raise BenchError(f"start-login gave {first.get('status')!r}, not 302")
    query = location_query(first)
    code = idp.issue_code(challenge=query["code_challenge"], nonce=query["nonce"],
                          redirect_uri=query["redirect_uri"], claims=keys.id_claims())
    return event(urlsplit(query["redirect_uri"]).path, urlencode({"code": code, "state": query["state"]}),
                 headers=NAVIGATE, cookies=[login_cookie(first)])


def median(values) -> float:
    return statistics.median(values)


def check_isolation(packages: dict) -> None:
    """Only the extracted package and the standard library are importable in the processes."""
    for name, pkg in packages.items():
        path = pkg["worker"].ask(op="stats")["path"]
        if path[0] != pkg["task"] or any("site-packages" in p or p.startswith(ROOT) for p in path):
            raise BenchError(f"{name}: the warm process's sys.path is not isolated: {path}")


# -- measurements ------------------------------------------------------------------------------

def measure_cold(launcher, python313, packages, keys, idp, samples, say_progress) -> dict:
    """Round-robin over every figure, in a shuffled order per round, one new process per sample."""
    base = [python313, "-I", "-S", "-B"]
    expected = {"a": ("login", "302"), "b": ("allow", "pass"), "c": ("login_complete", "302")}

    def cold_argv(pkg, ev):
        return base + ["-c", COLD.format(task=pkg["task"], module=pkg["module"], event=ev)]

    def case_event(pkg, case):
        if case == "a":
            return event(PAGE, "tab=1", headers=NAVIGATE)
        if case == "b":
            token = keys.id_token()
            return event(PAGE, headers=NAVIGATE, cookies=[f"{pkg['id_cookie']}={token}", "theme=dark"])
        return callback_event(pkg["worker"], idp, keys)

    figures = ["bare", "bare_site"] + [f"{name}_{case}" for name in packages for case in "abc"]
    results = {name: {"ns": [], "import_ns": [], "call_ns": [], "startup_ns": [],
                      "response_ns": [], "maxrss_kib": []} for name in figures}
    rng = random.Random(7)
    for round_no in range(samples):
        say_progress(f"cold processes: round {round_no + 1}/{samples}")
        order = figures[:]
        rng.shuffle(order)
        for figure in order:
            if figure == "bare":
                argv = base + ["-c", "pass"]
            elif figure == "bare_site":
                argv = [python313, "-I", "-B", "-c", "pass"]
            else:
                name, case = figure.rsplit("_", 1)
                argv = cold_argv(packages[name], case_event(packages[name], case))
            reply, out, err = launcher.run(argv)
            if reply["status"] != 0 or "Traceback" in err:
                raise BenchError(f"cold process {figure} failed (exit {reply['status']}):\n{err[-3000:]}")
            entry = results[figure]
            entry["ns"].append(reply["ns"])
            entry["maxrss_kib"].append(reply["maxrss_kib"])
            if figure.startswith("bare"):
                continue
            marker = [line for line in err.splitlines() if line.startswith("BENCH ")]
            logs = [json.loads(line) for line in out.splitlines() if line.startswith("{")]
            decision, status = expected[figure[-1]]
            if not marker or not logs or logs[-1].get("decision") != decision or marker[-1].split()[4] != status:
                raise BenchError(f"cold process {figure}: expected {decision}/{status}, got "
                                 f"{logs[-1:] or 'no log line'} {marker[-1:] or ''}\n{err[-2000:]}")
            t0, t1, t2 = (int(x) for x in marker[-1].split()[1:4])
            entry["import_ns"].append(t1 - t0)
            entry["call_ns"].append(t2 - t1)
            entry["startup_ns"].append(t0 - reply["spawn_ns"])  # interpreter start-up, to the first line
            entry["response_ns"].append(t2 - reply["spawn_ns"])  # spawn to the response, before teardown
    return results


def measure_warm(ours: Worker, naive: Worker, keys: Keys, n: dict, say_progress) -> dict:
    template = event(PAGE, headers=NAVIGATE)
    say_progress(f"minting {n['first'] + 6} tokens")
    fresh = [keys.id_token() for _ in range(n["first"])]
    warmups = [keys.id_token() for _ in range(5)]
    repeated = keys.id_token()

    def cookie(name, token):
        return f"{name}={token}; theme=dark"

    for worker, name in ((ours, OURS_ID_COOKIE), (naive, NAIVE_ID_COOKIE)):
        worker.loop(template, [cookie(name, t) for t in warmups])  # jose loaded, key constructed
        worker.loop(template, [cookie(name, repeated)], 3)  # the repeated token is already cached
    n_pub = keys.private_key.public_key().public_numbers().n
    signature = repeated.rsplit(".", 1)[1]
    sig_int = int.from_bytes(base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)), "big")

    out = {"ours_first": [], "naive_first": [], "ours_repeat": [], "naive_repeat": [], "pow": []}
    rounds = n["rounds"]
    for r in range(rounds):
        say_progress(f"warm loops: round {r + 1}/{rounds}")
        chunk = fresh[r::rounds]
        out["ours_first"] += ours.loop(template, [cookie(OURS_ID_COOKIE, t) for t in chunk])
        out["naive_first"] += naive.loop(template, [cookie(NAIVE_ID_COOKIE, t) for t in chunk])
        out["pow"] += ours.ask(op="pow", sig=format(sig_int, "x"), n=format(n_pub, "x"),
                               iters=n["pow"] // rounds)["ns"]
        out["ours_repeat"] += ours.loop(template, [cookie(OURS_ID_COOKIE, repeated)], n["repeat"] // rounds)
        out["naive_repeat"] += naive.loop(template, [cookie(NAIVE_ID_COOKIE, repeated)], n["naive_repeat"] // rounds)
    return out


def import_profile(python313: str, pkg: dict, ev: dict, top: int = 12) -> list[tuple[str, float, float]]:
    """-X importtime of one cold process: the biggest imports by cumulative time (ms)."""
    def imports(code: str) -> list[tuple[str, float, float]]:
        result = subprocess.run([python313, "-I", "-S", "-B", "-X", "importtime", "-c", code],
                                capture_output=True, text=True, env={"LANG": "C.UTF-8"})
        rows = []
        for line in result.stderr.splitlines():
            if line.startswith("import time:") and "self [us]" not in line:
                self_us, cumulative_us, name = line[len("import time:"):].split("|")
                rows.append((name.rstrip(), int(self_us) / 1000, int(cumulative_us) / 1000))
        return rows

    start_up = {name.strip() for name, _, _ in imports("pass")}  # the bare interpreter's own imports
    rows = [r for r in imports(COLD.format(task=pkg["task"], module=pkg["module"], event=ev))
            if r[0].strip() not in start_up]
    top_level = [r for r in rows if not r[0].startswith("  ")]
    total = sum(r[2] for r in top_level)
    return (sorted(top_level, key=lambda r: -r[2])[:top], sorted(rows, key=lambda r: -r[1])[:top], total)


# -- report ------------------------------------------------------------------------------------

def ms(ns: float) -> float:
    return ns / 1e6


def us(ns: float) -> float:
    return ns / 1e3


def summarise(args, n, sizes, cold, warm, jwks_fetches, handled, launcher_kib, wall_s) -> dict:
    bare = median(cold["bare"]["ns"])
    bare_site = median(cold["bare_site"]["ns"])
    cold_summary = {}
    for figure, entry in cold.items():
        item = {"median_ms": ms(median(entry["ns"])), "samples": len(entry["ns"]),
                "min_ms": ms(min(entry["ns"])), "max_ms": ms(max(entry["ns"])),
                "above_bare_ms": ms(median(entry["ns"]) - bare),
                "maxrss_kib_median": median(entry["maxrss_kib"]), "maxrss_kib_max": max(entry["maxrss_kib"])}
        if entry["import_ns"]:
            item["in_process_import_ms"] = ms(median(entry["import_ns"]))
            item["in_process_first_call_ms"] = ms(median(entry["call_ns"]))
            item["startup_ms"] = ms(median(entry["startup_ns"]))
            item["to_response_ms"] = ms(median(entry["response_ns"]))
            item["teardown_ms"] = ms(median(e - r for e, r in zip(entry["ns"], entry["response_ns"])))
        cold_summary[figure] = item
    warm_summary = {k: {"median_us": us(median(v)), "iterations": len(v),
                        "p10_us": us(sorted(v)[len(v) // 10]), "p90_us": us(sorted(v)[len(v) * 9 // 10])}
                    for k, v in warm.items()}

    def c(fig, key="median_ms"):
        return cold_summary[fig][key]

    ratios = {
        "zip_ours_vs_naive": sizes["ours"] / sizes["naive"],
        "cold_a_naive_over_ours": c("naive_a") / c("ours_a"),
        "cold_b_naive_over_ours": c("naive_b") / c("ours_b"),
        "cold_c_naive_over_ours": c("naive_c") / c("ours_c"),
        "cold_a_naive_over_ours_above_bare": c("naive_a", "above_bare_ms") / c("ours_a", "above_bare_ms"),
        "cold_b_naive_over_ours_above_bare": c("naive_b", "above_bare_ms") / c("ours_b", "above_bare_ms"),
        "cold_c_naive_over_ours_above_bare": c("naive_c", "above_bare_ms") / c("ours_c", "above_bare_ms"),
        "warm_first_ours_over_pow": warm_summary["ours_first"]["median_us"] / warm_summary["pow"]["median_us"],
        "warm_first_naive_over_pow": warm_summary["naive_first"]["median_us"] / warm_summary["pow"]["median_us"],
        "warm_first_naive_over_ours": warm_summary["naive_first"]["median_us"] / warm_summary["ours_first"]["median_us"],
        "warm_repeat_naive_over_ours": warm_summary["naive_repeat"]["median_us"] / warm_summary["ours_repeat"]["median_us"],
        "rss_ours_over_naive": c("ours_b", "maxrss_kib_median") / c("naive_b", "maxrss_kib_median"),
    }
    targets = {
        "valid_cookie_cold_5x_faster_than_naive": ratios["cold_b_naive_over_ours"] >= 5,
        "no_cookie_cold_within_15ms_of_bare": c("ours_a", "above_bare_ms") <= 15,
        "warm_repeated_cookie_30us": warm_summary["ours_repeat"]["median_us"] <= 30,
        "warm_first_verification_1_5x_pow": ratios["warm_first_ours_over_pow"] <= 1.5,
        "peak_rss_30mb": c("ours_b", "maxrss_kib_median") * 1024 <= 30 * MB,
        "jwks_fetches_zero": jwks_fetches["ours"] == 0,
        "zip_512kib": sizes["ours"] <= 512 * 1024,
    }
    return {
        "mode": "quick" if args.quick else "full",
        "python": n["python"],
        "machine": {"cpus": os.cpu_count(), "load_avg": os.getloadavg()},
        "iterations": {k: v for k, v in n.items() if k != "python"},
        "zip_bytes": sizes,
        "bare_ms": {"-I -S -B -c pass": ms(bare), "-I -B -c pass (with site)": ms(bare_site)},
        "cold": cold_summary,
        "warm": warm_summary,
        "jwks_fetches": jwks_fetches,
        "requests_handled": handled,
        "launcher_peak_kib": launcher_kib,
        "ratios": ratios,
        "targets_met": targets,
        "wall_seconds": wall_s,
    }


def format_table(s: dict) -> str:
    cold, warm, r, t = s["cold"], s["warm"], s["ratios"], s["targets_met"]
    bare = s["bare_ms"]["-I -S -B -c pass"]

    def met(key):
        return "met" if t[key] else "NOT MET"

    def cold_cell(fig):
        return f"{cold[fig]['median_ms']:.1f} ms (+{cold[fig]['above_bare_ms']:.1f})"

    rows = [
        ("Zip size", f"{s['zip_bytes']['ours']:,} B ({s['zip_bytes']['ours'] / MB:.1%} of 1 MB)",
         f"naive {s['zip_bytes']['naive']:,} B ({s['zip_bytes']['naive'] / MB:.1%})",
         f"{r['zip_ours_vs_naive']:.2f}x naive", "<= 512 KiB", met("zip_512kib")),
        ("Bare interpreter -I -S -c pass", f"{bare:.1f} ms", f"with site: {s['bare_ms']['-I -B -c pass (with site)']:.1f} ms",
         "", "(reference)", ""),
        ("Cold (a) no cookie -> 302", cold_cell("ours_a"), f"naive {cold_cell('naive_a')}",
         f"naive/ours {r['cold_a_naive_over_ours']:.1f}x", "<= 15 ms above bare", met("no_cookie_cold_within_15ms_of_bare")),
        ("Cold (b) valid cookie -> pass", cold_cell("ours_b"), f"naive {cold_cell('naive_b')}",
         f"naive/ours {r['cold_b_naive_over_ours']:.1f}x", ">= 5x faster than naive",
         met("valid_cookie_cold_5x_faster_than_naive")),
        ("Cold (c) callback, first request", cold_cell("ours_c"), f"naive {cold_cell('naive_c')}",
         f"naive/ours {r['cold_c_naive_over_ours']:.1f}x", "(no target)", ""),
        ("Warm, first verification", f"{warm['ours_first']['median_us']:.0f} us",
         f"naive {warm['naive_first']['median_us']:.0f} us; pow {warm['pow']['median_us']:.0f} us",
         f"ours/pow {r['warm_first_ours_over_pow']:.2f}x", "<= 1.5x pow()", met("warm_first_verification_1_5x_pow")),
        ("Warm, repeated cookie", f"{warm['ours_repeat']['median_us']:.1f} us",
         f"naive {warm['naive_repeat']['median_us']:.0f} us",
         f"naive/ours {r['warm_repeat_naive_over_ours']:.0f}x", "<= 30 us", met("warm_repeated_cookie_30us")),
        ("RSA floor: pow(sig, 65537, n) 2048", f"{warm['pow']['median_us']:.0f} us", "(the floor)", "", "(reference)", ""),
        ("Peak RSS, cold (b)", f"{cold['ours_b']['maxrss_kib_median'] / 1024:.1f} MiB",
         f"naive {cold['naive_b']['maxrss_kib_median'] / 1024:.1f} MiB",
         f"ours/naive {r['rss_ours_over_naive']:.2f}x", "<= 30 MB", met("peak_rss_30mb")),
        ("JWKS fetches (embedded JWKS)", f"{s['jwks_fetches']['ours']} in {s['requests_handled']['ours']:,} req",
         f"naive {s['jwks_fetches']['naive']} in {s['requests_handled']['naive']:,} req", "", "zero", met("jwks_fetches_zero")),
    ]
    header = ("Figure", "Ours (python3.13)", "Baseline, same run", "Ratio", "Target", "Status")
    widths = [max(len(str(row[i])) for row in rows + [header]) for i in range(6)]
    lines = ["  ".join(str(cell).ljust(w) for cell, w in zip(row, widths)).rstrip() for row in [header] + rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    n = s["iterations"]
    notes = [
        "",
        f"mode: {s['mode']}; python {s['python']}; {s['machine']['cpus']} CPUs, load "
        + " ".join(f"{x:.2f}" for x in s['machine']['load_avg']) + f"; took {s['wall_seconds']:.0f} s",
        f"cold: median of {n['cold']} fresh `python3.13 -I -S -B` processes per figure"
        + (" (quick mode: fewer samples)" if s["mode"] == "quick" else
           " (fewer than 10: not a full run)" if n["cold"] < 10 else "")
        + ", wall time spawn->exit; (+x) = above the bare `-I -S -c pass` median",
        "  where it goes (medians, ms): interpreter start-up + import handler + first call (config, lazy imports,"
        " decision) = spawn->response; then teardown to exit",
        *(f"    {fig:8} {cold[fig]['startup_ms']:5.1f} + {cold[fig]['in_process_import_ms']:5.1f} + "
          f"{cold[fig]['in_process_first_call_ms']:6.1f} = {cold[fig]['to_response_ms']:6.1f}; "
          f"+ {cold[fig]['teardown_ms']:.1f}"
          for fig in ("ours_a", "ours_b", "ours_c", "naive_a", "naive_b", "naive_c")),
        f"warm: medians over {warm['ours_first']['iterations']} distinct tokens (first verification), "
        f"{warm['ours_repeat']['iterations']} repeats (ours) / {warm['naive_repeat']['iterations']} (naive), "
        f"{warm['pow']['iterations']} pow() calls, interleaved in {n['rounds']} rounds",
        "ratios on one side: cold (b) above bare naive/ours "
        f"{r['cold_b_naive_over_ours_above_bare']:.1f}x; cold (a) above bare naive/ours "
        f"{r['cold_a_naive_over_ours_above_bare']:.1f}x; warm first naive/ours {r['warm_first_naive_over_ours']:.2f}x, "
        f"naive/pow {r['warm_first_naive_over_pow']:.2f}x",
        f"baseline: bench/naive_handler.py + every installed file of vendor/requirements.txt, as sources, no cache; "
        f"RSS floor of the launcher {s['launcher_peak_kib'] / 1024:.1f} MiB",
    ]
    return "\n".join(lines + notes)


def format_profile(title: str, profile) -> str:
    cumulative, own, total = profile
    lines = [f"{title} {total:.1f} ms of imports after start-up", "  by cumulative time (top level):"]
    lines += [f"    {c:7.2f} ms  {name.strip()}" for name, _, c in cumulative]
    lines += ["  by self time:"]
    lines += [f"    {s_:7.2f} ms  {name.strip()}" for name, s_, _ in own]
    return "\n".join(lines)


# -- main --------------------------------------------------------------------------------------

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="short mode (CI): 5 cold processes, short warm loops")
    parser.add_argument("--json", metavar="FILE", help="also write the results as JSON to FILE")
    parser.add_argument("--importtime", action="store_true",
                        help="also print -X importtime of cold (a) and (b) for the built zip")
    parser.add_argument("--cold-samples", type=int, help="override the number of cold processes per figure")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    n = dict(QUICK if args.quick else FULL)
    if args.cold_samples:
        n["cold"] = args.cold_samples
    python313 = find_python313()
    if python313 is None:
        print("bench: no python3.13 found (on PATH, under pyenv, or GATE_PYTHON313); "
              "the benchmark measures the zip under its target runtime", file=sys.stderr)
        return 2
    n["python"] = subprocess.run([python313, "-I", "-c", "import sys; print(sys.version.split()[0])"],
                                 capture_output=True, text=True).stdout.strip()
    keys = Keys(ISSUER, CLIENT_ID, kid="bench-key-1")
    other = Keys(ISSUER, CLIENT_ID, kid="bench-key-2")  # Cognito publishes two keys; tokens use the first
    jwks = {"keys": [keys.public_jwk(), other.public_jwk()]}
    work = tempfile.mkdtemp(prefix="gate-bench-")
    processes = []
    try:
        with LocalIdp(keys, CLIENT_ID) as idp:
            idp.jwks_override = jwks
            say("bench: building the zip with build.py")
            ours_zip = build_ours(work, idp.base, jwks)
            naive_zip = build_naive(work, idp.base, jwks, python313)
            sizes = {"ours": os.path.getsize(ours_zip), "naive": os.path.getsize(naive_zip)}
            packages = {
                "ours": {"task": extract_read_only(ours_zip, os.path.join(work, "ours")),
                         "module": "edge.handler", "id_cookie": OURS_ID_COOKIE},
                "naive": {"task": extract_read_only(naive_zip, os.path.join(work, "naive")),
                          "module": "naive_handler", "id_cookie": NAIVE_ID_COOKIE},
            }
            launcher = Launcher(python313, work)
            processes.append(launcher)
            for pkg in packages.values():
                pkg["worker"] = Worker(python313, pkg["task"], pkg["module"])
                processes.append(pkg["worker"])
            check_isolation(packages)
            cold = measure_cold(launcher, python313, packages, keys, idp, n["cold"], say)
            warm = measure_warm(packages["ours"]["worker"], packages["naive"]["worker"], keys, n, say)
            handled = {name: pkg["worker"].ask(op="stats")["handled"] + 3 * n["cold"]
                       for name, pkg in packages.items()}
            # Only our package knows a jwks_uri (this server's /jwks); the naive one is handed the dict.
            jwks_fetches = {"ours": sum(1 for req in idp.requests if req["path"].startswith("/jwks")), "naive": 0}
            launcher_kib = launcher.own_peak_kib()
            profiles = None
            if args.importtime:
                profiles = [
                    (f"-X importtime, cold ({case}) of the built zip:",
                     import_profile(python313, packages["ours"],
                                    event(PAGE, "tab=1", headers=NAVIGATE) if case == "a" else
                                    event(PAGE, headers=NAVIGATE, cookies=[f"{OURS_ID_COOKIE}={keys.id_token()}"])))
                    for case in ("a", "b")]
        summary = summarise(args, n, sizes, cold, warm, jwks_fetches, handled, launcher_kib,
                            time.perf_counter() - started)
    except BenchError as exc:
        print(f"bench failed: {exc}", file=sys.stderr)
        return 1
    finally:
        for proc in processes:
            try:
                proc.close()
            except Exception:
                pass
        remove_tree(work)
    print(format_table(summary))
    if profiles:
        for title, profile in profiles:
            print()
            print(format_profile(title, profile))
    if args.json:
        with open(args.json, "w") as f:
            json.dump(summary, f, indent=2, sort_keys=True)
            f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
