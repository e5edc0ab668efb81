"""Wall time of `authstage replay scenarios/`, the whole catalog in both modes, as a user runs it.

Each round runs the command (the console script, a fresh process: imports, scenario loading, stacks, runs,
report) once with `--jobs 1` and once with `--jobs auto`, alternating which goes first; the figure is the median
of the rounds, beside the runs' own time (`--json`: `seconds`) and the median run. Every run must pass.

    .venv/bin/python bench/replay.py [PATH ...] [--rounds 5] [--jobs auto] [--json]
    .venv/bin/python bench/replay.py --quick       # a few scenarios, one round, no target checked (make test)

Target (issue 14): `authstage replay scenarios/ --jobs auto` ≤ 3 s wall on 2 cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import busy_processes, describe_machine  # noqa: E402

TARGET = 3.0


def authstage() -> str:
    script = Path(sys.executable).with_name("authstage")
    return str(script) if script.exists() else "authstage"


def replay(paths: list[str], jobs: str, extra: list[str]) -> tuple[float, dict[str, Any]]:
    """Wall time of one `authstage replay … --json` and its JSON (every run must pass)."""
    started = time.perf_counter()
    done = subprocess.run([authstage(), "replay", *paths, "--jobs", jobs, "--json", *extra], cwd=ROOT,
                          capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"authstage replay --jobs {jobs} failed ({done.returncode}): {done.stderr[-800:]}")
    return wall, json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=["scenarios"])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--jobs", default="auto", help="the parallel setting compared with --jobs 1")
    parser.add_argument("--quick", action="store_true", help="-k audience, one round; check no target")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rounds, extra = (1, ["-k", "audience"]) if args.quick else (args.rounds, [])
    busy = busy_processes()
    walls: dict[str, list[float]] = {"1": [], args.jobs: []}
    runs_s: dict[str, list[float]] = {"1": [], args.jobs: []}
    per_run_ms: list[float] = []
    count = 0
    for round_ in range(rounds):
        for jobs in (["1", args.jobs] if round_ % 2 == 0 else [args.jobs, "1"]):
            wall, document = replay(args.paths, jobs, extra)
            walls[jobs].append(wall)
            runs_s[jobs].append(document["seconds"])
            count = len(document["runs"])
            if jobs == "1":
                per_run_ms.extend(run["duration_ms"] for run in document["runs"])
    result = {name: {"wall_s": round(statistics.median(values), 2), "runs_s": round(statistics.median(runs_s[name]), 2)}
              for name, values in walls.items()}
    met = result[args.jobs]["wall_s"] <= TARGET
    if args.json:
        print(json.dumps({"machine": describe_machine(), "busy": busy, "runs": count, "jobs": result,
                          "median_run_ms": round(statistics.median(per_run_ms), 1), "target_s": TARGET, "met": met}))
        return 0 if args.quick or met else 1
    print(f"authstage replay {' '.join(args.paths)}: {count} runs, {rounds} alternated round(s); {describe_machine()}")
    print(f"  also using CPU before the run: {', '.join(busy) or 'nothing'}; cores: {os.cpu_count()}")
    for name, figures in result.items():
        target = "" if args.quick or name == "1" else f"   target ≤ {TARGET} s" + ("  ok" if met else "  OVER")
        print(f"  --jobs {name:<5} {figures['wall_s']:6.2f} s wall (the command), runs {figures['runs_s']:.2f} s{target}")
    print(f"  median run {statistics.median(per_run_ms):.1f} ms (--jobs 1); rounds: {json.dumps(walls)}")
    return 0 if args.quick or met else 1


if __name__ == "__main__":
    sys.exit(main())
