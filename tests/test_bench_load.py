"""bench/load.py runs in CI in a small size: zero errors, no IdP refetch under load, no leak in round 2."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_load_bench_small_run_has_no_errors_and_no_leak() -> None:
    result = subprocess.run(
        [sys.executable, "bench/load.py", "--clients", "3", "--calls", "15", "--deadline", "60", "--json"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["calls"] == 2 * 3 * 15 and figures["errors"] == 0
    assert figures["target_calls"] == figures["calls"]
    assert figures["fetches_during_load"] == 0 and figures["outbound_token_requests"] == 1
    assert figures["rss_growth_round2_mb"] < 16
    assert figures["p99_ms"] < 5000 and not figures["deadline_passed"]
