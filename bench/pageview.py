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

import os
import re

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


def rows() -> list[dict]:
    out = []
    for name, requests in (("demo site", demo_requests()), ("synthetic 30-asset build", synthetic_requests())):
        for signed in (False, True):
            n = invocations(requests, signed)
            out.append(
                {
                    "site": name,
                    "signed_cookies": signed,
                    "requests": len(requests),
                    "invocations": n,
                    "cost": cost_per_million(n, len(requests)),
                }
            )
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
    lines.append("  cold page load at the 7.2% CPU share: not measured (see bench/pageview.py)")
    return "\n".join(lines)


def main() -> int:
    print(format_rows(rows()))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
