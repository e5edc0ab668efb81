"""Every bench runs in its quick mode and prints its figures: the scripts that measure the targets keep working
(their speed is measured by running them in full, docs/performance.md; a test never times anything)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELPERS = {"loadgen.py", "machine.py"}  # imported by the benches, not benches themselves
OWN_MODULE = {"client_check.py": "test_bench_client_check.py"}  # quick mode run by a module of its own (needs Node 22)
JSON_KEYS = {  # bench -> what its quick --json figures must hold
    "cli.py": {"commands"},
    "peers.py": {"rows"},
    "stack.py": {"figures"},
    "replay.py": {"jobs", "runs"},
    "load.py": {"rss_after_round2_mb", "errors"},
    "anonymous_bodies.py": {"rss_growth_mb"},
}


def test_every_bench_has_a_quick_mode_and_a_test() -> None:
    benches = sorted(p.name for p in (ROOT / "bench").glob("*.py") if p.name not in HELPERS)
    assert benches == sorted([*BENCHES, *OWN_MODULE]), "a new bench needs a quick mode run by this module"
    for name in benches:
        assert "--quick" in (ROOT / "bench" / name).read_text(), name
    for name, module in OWN_MODULE.items():
        assert f"bench/{name}" in (ROOT / "tests" / module).read_text(), module


BENCHES = ["actions.py", "anonymous_bodies.py", "cli.py", "gateway_overhead.py", "idp_tokens.py", "load.py",
           "loader_fuzz.py", "peers.py", "replay.py", "stack.py", "startup.py"]


@pytest.mark.parametrize("bench", BENCHES)
def test_bench_quick_mode_prints_its_figures(bench: str) -> None:
    if bench == "peers.py" and not shutil.which("npm"):
        if os.environ.get("CI") == "true":
            pytest.fail("bench/peers.py needs npm in CI (it installs oauth2-mock-server)")
        pytest.skip("bench/peers.py needs npm (install Node.js) to install oauth2-mock-server")
    command = [sys.executable, f"bench/{bench}", "--quick"] + (["--json"] if bench in JSON_KEYS else [])
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, timeout=240, check=False)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    if bench in JSON_KEYS:
        figures = json.loads(done.stdout.strip().splitlines()[-1])
        assert JSON_KEYS[bench] <= set(figures), figures
        if bench == "peers.py":
            assert {row["server"] for row in figures["rows"]} == {"fake_idp (auth0)", "fake_idp (rfc9068)"}
            assert all(row["tokens_per_s"] > 0 and row["axa_tokens_per_s"] > 0 for row in figures["rows"])
        if bench == "replay.py":
            assert figures["runs"] > 0 and set(figures["jobs"]) == {"1", "auto"}
    else:
        assert done.stdout.strip(), done.stderr[-2000:]
