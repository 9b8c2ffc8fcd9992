"""The benchmark's short mode (issue 7) still runs, so it cannot rot.

Only that it completes and prints every row is asserted, plus one correctness property: with
the JWKS embedded, no request reaches the JWKS endpoint. No timing passes or fails here.
"""

import json
import subprocess
import sys

import pytest

from tests.conftest import ROOT

ROWS = ("Zip size", "Bare interpreter", "Cold (a) no cookie", "Cold (b) valid cookie", "Cold (c) callback",
        "Warm, first verification", "Warm, repeated cookie", "RSA floor", "Peak RSS", "JWKS fetches")
TARGETS = {"valid_cookie_cold_5x_faster_than_naive", "no_cookie_cold_within_15ms_of_bare",
           "warm_repeated_cookie_30us", "warm_first_verification_1_5x_pow", "peak_rss_30mb",
           "jwks_fetches_zero", "zip_512kib"}


@pytest.mark.zip
@pytest.mark.needs_py313
def test_quick_benchmark_completes_and_prints_every_row(tmp_path):
    results = tmp_path / "bench.json"
    run = subprocess.run([sys.executable, "-m", "bench", "--quick", "--json", str(results)],
                         cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-4000:]
    lines = run.stdout.splitlines()
    for row in ROWS:
        assert [line for line in lines if line.startswith(row)], f"no {row!r} row in:\n{run.stdout}"
    verdicts = [line for line in lines if line.rstrip().endswith(("  met", "NOT MET"))]
    assert len(verdicts) == len(TARGETS), run.stdout
    data = json.loads(results.read_text())
    assert set(data["targets_met"]) == TARGETS
    assert data["mode"] == "quick"
    assert data["requests_handled"]["ours"] > 0
    assert data["jwks_fetches"]["ours"] == 0  # correctness, not timing: the JWKS is embedded
