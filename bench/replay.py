"""Wall time of replaying the whole scenario catalog (both modes), and the median per scenario.

One in-process stack serves the whole catalog, as `authstage replay scenarios/` runs it. Stack start-up is
reported separately. Target: the whole catalog under 10 s on 2 cores.

    .venv/bin/python bench/replay.py [PATH ...] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("paths", nargs="*", default=[str(ROOT / "scenarios")])
    parser.add_argument("--repeat", type=int, default=1, help="replay the catalog this many times (same stack)")
    args = parser.parse_args()

    from harness import Stack
    from harness._replay import Replayer
    from harness._scenario import MODES, load_scenario
    from harness._selection import find_scenarios

    loaded = time.perf_counter()
    scenarios = [load_scenario(path) for path in find_scenarios(args.paths)]
    load_ms = (time.perf_counter() - loaded) * 1000
    if not scenarios:
        print(f"no scenarios under {args.paths}", file=sys.stderr)
        return 2
    print(f"authstage replay bench; {platform.python_implementation()} {platform.python_version()}, "
          f"{os.cpu_count()} CPUs; {len(scenarios)} scenarios × {len(MODES)} modes")
    print(f"load+validate  {load_ms:8.1f} ms")
    started = time.perf_counter()
    stack = Stack().start()
    print(f"stack start    {(time.perf_counter() - started) * 1000:8.1f} ms")
    per_scenario: dict[str, list[float]] = {}
    failures = 0
    with Replayer(stack) as replayer:
        for round_ in range(args.repeat):
            began = time.perf_counter()
            for scenario in scenarios:
                spent = 0.0
                for mode in MODES:
                    t0 = time.perf_counter()
                    run = replayer.run(scenario, mode)
                    spent += time.perf_counter() - t0
                    failures += not run.passed
                per_scenario.setdefault(scenario.name, []).append(spent)
            print(f"catalog run {round_ + 1}  {(time.perf_counter() - began) * 1000:8.1f} ms "
                  f"(both modes, {len(scenarios) * len(MODES)} runs)")
    stack.stop()
    medians = sorted(((statistics.median(v), k) for k, v in per_scenario.items()), reverse=True)
    print(f"per scenario   median {statistics.median(m for m, _ in medians) * 1000:.1f} ms (both modes); slowest: "
          + ", ".join(f"{name} {m * 1000:.0f} ms" for m, name in medians[:5]))
    print(f"mismatches     {failures}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
