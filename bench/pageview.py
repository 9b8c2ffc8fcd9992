"""A page view's cost with and without [assets] signed_cookies (issue 23): function invocations
per page view, from cloudformation.yaml's own behaviors as the emulator reads them
(local/distribution.py: the first matching behavior, and whether the gate runs on it), for the
demo site (site/dist: the navigation, what index.html loads, the session module's who-am-I) and
for a synthetic build of 30 hashed assets; and the cost per million page views at published
Lambda@Edge and CloudFront prices.

Prices (USD, US East), as published on https://aws.amazon.com/lambda/pricing/ ("Lambda@Edge
pricing": $0.60 per 1M requests, $0.00005001 per GB-second, billed per 1 ms since 2021-04-01:
https://aws.amazon.com/about-aws/whats-new/2021/03/cloudfront-lambda-at-edge-billing-granularity/;
no free tier) and https://aws.amazon.com/cloudfront/pricing/ (HTTPS requests, North America and
Europe: $0.0100 per 10,000), as this project knows those pages' text on 2026-12-07; this
machine has no outside network, so they were not re-read: check them before relying on them.

The duration part takes BILLED_MS per invocation, a round figure for a warm valid-cookie
request (bench's warm rows are well under 1 ms of CPU; Lambda bills wall time, rounded up to
1 ms): it is an assumption, printed as one. The cold page load through the emulator at the
7.2% CPU share is NOT measured here (see the report of issue 23).

`python -m bench.pageview` prints the table; `python -m bench` prints it after its own.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import threading
import time

LAMBDA_EDGE_PER_MILLION = 0.60
LAMBDA_EDGE_PER_GB_SECOND = 0.00005001
CLOUDFRONT_HTTPS_PER_MILLION = 1.00  # $0.0100 per 10,000
MEMORY_GB = 128 / 1024
BILLED_MS = 2  # assumption, see above

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def demo_requests(site_dir: str = os.path.join(ROOT, "site", "dist")) -> list[str]:
    """The requests of one signed-in page view of the demo: the navigation, every /-rooted
    src/href of index.html, and the session module's who-am-I."""
    with open(os.path.join(site_dir, "index.html"), encoding="utf-8") as f:
        html = f.read()
    loaded = re.findall(r'(?:src|href)="(/[^"]*)"', html)
    return ["/docs", *loaded, "/_gate/me"]


def synthetic_requests(assets: int = 30) -> list[str]:
    return ["/reports", *(f"/assets/chunk-{i:02d}-a1b2c3d4.js" for i in range(assets)), "/_gate/me"]


def invocations(requests: list[str], signed: bool) -> int:
    from gatebuild import asset_key
    from local import distribution as cf

    keys = None
    if signed:
        keys = {"A": asset_key.public_pem(_demo_key())}
    config = cf.from_template(csp="default-src 'self'", asset_keys=keys)
    return sum(1 for path in requests if config.behavior_for(path.split("?")[0]).gate)


_KEY: dict = {}


def _demo_key() -> dict:
    if not _KEY:
        from gatebuild import asset_key

        _KEY.update(asset_key.new_key())
    return _KEY


def cost_per_million(invocations_per_view: int, requests_per_view: int) -> dict[str, float]:
    function = invocations_per_view * (
        LAMBDA_EDGE_PER_MILLION + 1_000_000 * MEMORY_GB * BILLED_MS / 1000 * LAMBDA_EDGE_PER_GB_SECOND
    )
    cloudfront = requests_per_view * CLOUDFRONT_HTTPS_PER_MILLION
    return {"lambda_edge": function, "cloudfront": cloudfront, "total": function + cloudfront}


def rows(load_samples: int = 0, say=lambda text: None) -> list[dict]:
    """The table; with load_samples > 0 each row also carries "cold_load" (cold_page_loads)."""
    loads: dict = {}
    if load_samples > 0:
        loads = cold_page_loads(load_samples, say)
    out = []
    for name, requests in (("demo site", demo_requests()), ("synthetic 30-asset build", synthetic_requests())):
        for signed in (False, True):
            n = invocations(requests, signed)
            row = {
                "site": name,
                "signed_cookies": signed,
                "requests": len(requests),
                "invocations": n,
                "cost": cost_per_million(n, len(requests)),
            }
            if load_samples > 0:
                row["cold_load"] = loads.get((name, signed)) or {"not_measured": loads.get("reason", "not run")}
            out.append(row)
    return out


# -- the cold page load at the 7.2% CPU share ---------------------------------------------------

SYNTHETIC_ASSETS = 30


def page_assets(site_dir: str) -> list[str]:
    """Every /-rooted src/href of the page's index.html, as the browser requests them at once."""
    with open(os.path.join(site_dir, "index.html"), encoding="utf-8") as f:
        return list(dict.fromkeys(re.findall(r'(?:src|href)="(/[^"]*)"', f.read())))


def synthetic_site(root: str, assets: int = SYNTHETIC_ASSETS) -> str:
    """A build of `assets` hashed scripts, all loaded by index.html."""
    site = os.path.join(root, "synthetic-site")
    os.makedirs(os.path.join(site, "assets"), exist_ok=True)
    tags = []
    for i in range(assets):
        name = f"/assets/chunk-{i:02d}-a1b2c3d4.js"
        with open(os.path.join(site, name.lstrip("/")), "w") as f:
            f.write(f"export const chunk{i} = {i};\n" + "// padding\n" * 200)
        tags.append(f'<script type="module" src="{name}"></script>')
    with open(os.path.join(site, "index.html"), "w") as f:
        f.write("<!doctype html><html><head><title>synthetic</title>" + "".join(tags) + "</head><body></body></html>")
    return site


def _build(work: str, signed: bool) -> tuple[str, str, object]:
    """The real zip for bench's config (its Keys' JWKS baked in), with or without signed asset
    cookies; returns (zip, asset key file or "", Keys)."""
    from bench import run as bench
    from gatebuild import asset_key
    from local.doubles.tokens import Keys

    keys = _keys(Keys, bench)
    name = "signed" if signed else "plain"
    config = os.path.join(work, f"{name}.toml")
    text = bench.CONFIG.format(
        client_id=bench.CLIENT_ID,
        base="http://127.0.0.1:9",  # never called: the ID token is valid and its key baked in
        pool=bench.POOL,
        region=bench.REGION,
        domain=bench.DOMAIN,
        secret=bench.STATE_SECRET,
    )
    key_file = ""
    argv = [sys.executable, os.path.join(ROOT, "build.py"), "--config", config]
    if signed:
        text += '\n[assets]\npaths = ["/assets/*"]\nsigned_cookies = true\n'
        key_file = os.path.join(work, "asset-key")
        asset_key.load_or_create(key_file)
        argv += ["--asset-key", key_file]
    with open(config, "w") as f:
        f.write(text)
    jwks_file = os.path.join(work, "jwks.json")
    with open(jwks_file, "w") as f:
        json.dump({"keys": [keys.public_jwk()]}, f)
    out = os.path.join(work, f"{name}.zip")
    argv += ["--jwks-file", jwks_file, "--out", out]
    result = subprocess.run(argv, capture_output=True, text=True, cwd=ROOT, timeout=900)
    if result.returncode != 0:
        raise RuntimeError("build.py failed:\n" + result.stdout[-2000:] + result.stderr[-3000:])
    return out, key_file, keys


_KEYS: list = []


def _keys(Keys, bench):
    if not _KEYS:
        _KEYS.append(Keys(bench.ISSUER, bench.CLIENT_ID, kid="pageview-key-1"))
    return _KEYS[0]


def _get(port: int, path: str, cookies: dict[str, str], navigate: bool = False) -> tuple[int, list[tuple[str, str]]]:
    """A GET as Chromium sends it: a navigation, or a subresource of the page."""
    import http.client

    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        headers = {
            "Host": f"localhost:{port}",
            "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items()),
            "Accept": "text/html,application/xhtml+xml" if navigate else "*/*",
            "Sec-Fetch-Mode": "navigate" if navigate else "no-cors",
            "Sec-Fetch-Dest": "document" if navigate else "script",
        }
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        response.read()
        return response.status, response.getheaders()
    finally:
        conn.close()


def _emulator(zip_path: str, site: str, key_file: str, port: int, share: float | None, sink):
    from local.emulator import Emulator

    return Emulator(zip_path, site, port=port, asset_key=key_file, cpu_share=share, sink=sink).start()


def _signed_in_jar(zip_path: str, site: str, key_file: str, port: int, keys) -> dict[str, str]:
    """The session cookie; with signed cookies, plus what the gate sets on its own redirect."""
    from bench import run as bench

    jar = {bench.OURS_ID_COOKIE: keys.id_token()}
    if not key_file:
        return jar
    emulator = _emulator(zip_path, site, key_file, port, None, lambda line: None)
    try:
        status, headers = _get(port, "/", jar, navigate=True)
    finally:
        emulator.stop()
    for name, value in headers:
        if name.lower() == "set-cookie":
            k, _, v = value.split(";")[0].partition("=")
            jar[k.strip()] = v.strip()
    if status != 302 or not any(k.startswith("CloudFront-") for k in jar):
        raise RuntimeError(f"the gate did not set the asset cookies (status {status}, cookies {sorted(jar)})")
    return jar


def page_load(zip_path: str, site: str, key_file: str, port: int, jar: dict[str, str], share: float) -> dict:
    """One cold page load through a fresh emulator at the CPU share: ms and invocations."""
    from concurrent.futures import ThreadPoolExecutor

    lines: list[str] = []
    lock = threading.Lock()

    def sink(line: str) -> None:
        with lock:
            lines.append(line)

    assets = page_assets(site)
    emulator = _emulator(zip_path, site, key_file, port, share, sink)
    try:
        with ThreadPoolExecutor(max_workers=len(assets)) as pool:
            started = time.perf_counter()
            first, _ = _get(port, "/", jar, navigate=True)
            statuses = list(pool.map(lambda path: _get(port, path, jar)[0], assets))
            elapsed = (time.perf_counter() - started) * 1000
    finally:
        emulator.stop()
    if first != 200 or any(s != 200 for s in statuses):
        raise RuntimeError(f"the page did not load: navigation {first}, assets {sorted(set(statuses))}")
    time.sleep(0.1)  # the workers' last log lines
    with lock:
        started_runs = sum("START RequestId" in line for line in lines)
    return {"ms": elapsed, "invocations": started_runs, "requests": 1 + len(assets)}


def cold_page_loads(samples: int, say=lambda text: None) -> dict:
    """{(site, signed): {"median_ms", "samples_ms", "invocations", "requests"}}, or {"reason"}."""
    from local.cpushare import LAMBDA_EDGE_FRACTION, CpuShare
    from local.stack import free_port

    probe = CpuShare.create(LAMBDA_EDGE_FRACTION)
    try:
        if not probe.available:
            return {"reason": f"no cgroup for the 7.2% CPU share ({probe.reason})"}
        share = probe.describe()
    finally:
        probe.close()
    demo = os.path.join(ROOT, "site", "dist")
    out: dict = {}
    with tempfile.TemporaryDirectory(prefix="gate-pageload-") as work:
        sites = {"synthetic 30-asset build": synthetic_site(work)}
        if os.path.exists(os.path.join(demo, "index.html")):
            sites = {"demo site": demo, **sites}
        else:
            out[("demo site", True)] = out[("demo site", False)] = {
                "not_measured": "site/dist is not built (scripts/test builds it)"
            }
        port = free_port()
        for signed in (True, False):
            say(f"bench: page load, building the zip with signed cookies {'on' if signed else 'off'}")
            zip_path, key_file, keys = _build(work, signed)
            for name, site in sites.items():
                jar = _signed_in_jar(zip_path, site, key_file, port, keys)
                runs = []
                for i in range(samples):
                    say(f"bench: cold page load, {name}, signed cookies {'on' if signed else 'off'}, {i + 1}/{samples}")
                    runs.append(page_load(zip_path, site, key_file, port, jar, LAMBDA_EDGE_FRACTION))
                out[(name, signed)] = {
                    "median_ms": statistics.median(r["ms"] for r in runs),
                    "samples_ms": [round(r["ms"], 1) for r in runs],
                    "invocations": [r["invocations"] for r in runs],
                    "requests": runs[0]["requests"],
                    "share": share,
                    "load_average": os.getloadavg(),
                }
    return out


def format_rows(table: list[dict]) -> str:
    lines = [
        f"Page view (issue 23): function invocations per page view and USD per million page views "
        f"(Lambda@Edge $0.60/1M + $0.00005001/GB-s at 128 MB, {BILLED_MS} ms billed per invocation [assumed]; "
        f"CloudFront HTTPS $1.00/1M; published prices as cited in bench/pageview.py, not re-read here)",
        f"  {'site':<26} {'signed cookies':<15} {'requests':>8} {'invocations':>11} {'Lambda@Edge':>12} {'CloudFront':>11} {'total':>9}",
    ]
    for r in table:
        c = r["cost"]
        lines.append(
            f"  {r['site']:<26} {'on' if r['signed_cookies'] else 'off':<15} {r['requests']:>8} {r['invocations']:>11} "
            f"{c['lambda_edge']:>12.2f} {c['cloudfront']:>11.2f} {c['total']:>9.2f}"
        )
    lines += format_loads(table)
    return "\n".join(lines)


def format_loads(table: list[dict]) -> list[str]:
    """One line per site: "cold page load at 7.2% CPU: on X ms / off Y ms" (or not measured)."""
    lines = []
    for site in dict.fromkeys(r["site"] for r in table):
        by = {r["signed_cookies"]: r.get("cold_load") for r in table if r["site"] == site}
        if not any(by.values()):
            lines.append(
                f"  {site}: cold page load at 7.2% CPU: not measured (not run: python -m bench runs it, not with --no-share)"
            )
            continue
        parts, notes = [], []
        for signed, label in ((True, "on"), (False, "off")):
            load = by.get(signed) or {"not_measured": "not run"}
            if "median_ms" in load:
                parts.append(f"{label} {load['median_ms']:.0f} ms")
                notes.append(
                    f"{label}: {load['requests']} requests, invocations {load['invocations']}, "
                    f"samples {load['samples_ms']} ms"
                )
            else:
                parts.append(f"{label} not measured: {load['not_measured']}")
        lines.append(
            f"  {site}: cold page load at 7.2% CPU: " + " / ".join(parts) + (f" ({'; '.join(notes)})" if notes else "")
        )
    return lines


def main() -> int:
    samples = int(sys.argv[1]) if len(sys.argv) > 1 else 1
    print(format_rows(rows(samples, say=lambda text: print(text, file=sys.stderr, flush=True))))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
