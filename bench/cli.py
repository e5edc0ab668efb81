"""How fast the `authstage` command answers: `--help`, `decode TOKEN`, and `token` against a running stack.

Each command runs as a user runs it (the console script in a fresh process); the rounds alternate the three
commands, and the median wall time and CPU time (user + sys of the child) of each are printed beside its target.
`token` needs a running stack: the bench starts `authstage up` with its own `AUTHSTAGE_HOME` (the manifest the
command finds) and stops it at the end.

    .venv/bin/python bench/cli.py [--runs 9] [--json]
    .venv/bin/python bench/cli.py --quick          # one round, no targets checked (make test)

Targets (issue 14): --help ≤ 0.15 s, decode ≤ 0.2 s, token ≤ 0.4 s, wall time, median.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

from machine import describe_machine  # noqa: E402

TARGETS = {"--help": 0.15, "decode": 0.2, "token": 0.4}
# A JWS with an Auth0-shaped header and claims (not signed by anyone: `decode` does not verify).
TOKEN = ("eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCIsImtpZCI6ImJlbmNoLWtpZCJ9."
         "eyJpc3MiOiJodHRwOi8vMTI3LjAuMC4xOjg0ODAvIiwic3ViIjoiYmVuY2hAY2xpZW50cyIsImF1ZCI6Imh0dHA6Ly8xMjcuMC4wLjE6"
         "ODQ4MS9tY3AiLCJpYXQiOjE3MDAwMDAwMDAsImV4cCI6MTcwMDA4NjQwMCwic2NvcGUiOiJtY3A6dG9vbHMifQ.c2lnbmF0dXJl")


def authstage() -> str:
    script = Path(sys.executable).with_name("authstage")
    return str(script) if script.exists() else "authstage"


def timed(command: list[str], env: dict[str, str]) -> tuple[float, float]:
    """Wall time and the child's CPU time of one command; it must succeed."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=False)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed ({done.returncode}): {done.stderr[-500:]}")
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def start_stack(env: dict[str, str]) -> subprocess.Popen[str]:
    """`authstage up --quiet`, which leaves its manifest in AUTHSTAGE_HOME; returns once a token is served."""
    process = subprocess.Popen([authstage(), "up", "--quiet", "--no-console"], env=env, text=True,
                               stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    manifest = Path(env["AUTHSTAGE_HOME"]) / "manifest.json"
    deadline = time.monotonic() + 60
    while not manifest.exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            raise SystemExit(f"authstage up did not start: {process.stderr.read() if process.stderr else ''}")
        time.sleep(0.05)
    timed([authstage(), "token"], env)  # the stack answers; the first token is not measured
    return process


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=9, help="rounds (each runs the three commands once)")
    parser.add_argument("--quick", action="store_true", help="one round; prove it works, check no target")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs = 1 if args.quick else args.runs
    with tempfile.TemporaryDirectory(prefix="authstage-bench-cli-") as home:
        env = {**os.environ, "AUTHSTAGE_HOME": home}
        stack = start_stack(env)
        commands = {"--help": [authstage(), "--help"], "decode": [authstage(), "decode", TOKEN],
                    "token": [authstage(), "token"]}
        samples: dict[str, list[tuple[float, float]]] = {name: [] for name in commands}
        try:
            for round_ in range(runs):
                order = list(commands) if round_ % 2 == 0 else list(reversed(commands))
                for name in order:
                    samples[name].append(timed(commands[name], env))
        finally:
            stack.terminate()
            stack.wait(15)
    result = {name: {"wall_s": round(statistics.median(w for w, _ in values), 3),
                     "cpu_s": round(statistics.median(c for _, c in values), 3),
                     "target_s": TARGETS[name], "runs": len(values)} for name, values in samples.items()}
    met = all(r["wall_s"] <= r["target_s"] for r in result.values())
    if args.json:
        print(json.dumps({"machine": describe_machine(), "commands": result, "targets_met": met}))
    else:
        print(f"authstage command line, {runs} alternating round(s); {describe_machine()}")
        print(f"  {'command':<10} {'wall (median)':>14} {'CPU (median)':>13} {'target':>8}")
        for name, r in result.items():
            mark = "" if args.quick else ("  ok" if r["wall_s"] <= r["target_s"] else "  OVER")
            print(f"  {name:<10} {r['wall_s']:>12.3f} s {r['cpu_s']:>11.3f} s {r['target_s']:>6.2f} s{mark}")
        print(f"  ({platform.python_implementation()} {platform.python_version()})")
    return 0 if args.quick or met else 1


if __name__ == "__main__":
    sys.exit(main())
