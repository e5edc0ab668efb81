"""`authstage client-check`: the command (`_cli.py` only wires it): select scenarios, run them on one stack, report.

The run is `_client_check.py`, the scenarios `_client_suites.py`, the reports `_client_report.py`.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import signal
import sys
import time
from pathlib import Path
from typing import Any

from harness._client_check import ClientCheck, ScenarioResult, write_result
from harness._client_report import dumps, junit_xml, load_baseline, markdown_report, results_json, text_report
from harness._client_suites import ClientScenario, suite_scenarios
from harness._selection import keyword_matches

__all__ = ["command"]


def _listing(scenarios: list[ClientScenario]) -> str:
    return "\n".join(f"{s.name:<48} {s.suite:<11} {s.summary}" for s in scenarios)


def _terminated(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt


def command(args: argparse.Namespace) -> int:
    """`authstage client-check [--suite S] [-k EXPR] [--timeout S] [-o DIR] [--junit F] -- COMMAND ARGS`."""

    scenarios = [s for s in suite_scenarios(args.suite) if keyword_matches(args.keyword, s)]
    if args.list:
        print(_listing(scenarios))
        return 0
    client = list(args.client) or (args.command.split(" ") if args.command else [])
    if not client:
        print("authstage client-check: give the client command after `--` (or --command)", file=sys.stderr)
        return 2
    if not scenarios:
        print("authstage client-check: no scenario matched", file=sys.stderr)
        return 2
    if shutil.which(client[0]) is None:
        why = "not executable" if os.path.exists(client[0]) else "no such file or command on PATH"
        print(f"authstage client-check: cannot run the client {client[0]!r}: {why}", file=sys.stderr)
        return 2
    # `timeout`, CI cancellation: SIGTERM ends the run as Ctrl-C does, so the clients (each in its own session) and
    # the stack are stopped on the way out instead of being left behind.
    signal.signal(signal.SIGTERM, _terminated)
    baseline = load_baseline(args.expected_failures) if args.expected_failures else None
    output = Path(args.output_dir) if args.output_dir else None
    live = sys.stderr.isatty() and not args.json

    def progress(result: ScenarioResult) -> None:
        if output is not None:
            write_result(output, result)
        verdict = f"{'ok' if result.passed else 'FAIL'} {result.scenario.name}"
        if live:
            print(f"\r\033[K{verdict}", end="", file=sys.stderr, flush=True)
        elif not args.json:  # a log (CI): one line per scenario as it ends, not silence until the summary
            print(verdict, file=sys.stderr, flush=True)

    started = time.perf_counter()
    with contextlib.closing(ClientCheck(client, timeout=args.timeout, prestart=args.prestart)) as runner:
        results = runner.run(scenarios, progress)
    elapsed = time.perf_counter() - started
    if live:
        print("\r\033[K", end="", file=sys.stderr)
    print(dumps(results_json(results, elapsed)) if args.json else text_report(results, elapsed))
    if output is not None:
        (output / "report.md").write_text(markdown_report(results, client), encoding="utf-8")
    if args.junit:
        Path(args.junit).write_text(junit_xml(results), encoding="utf-8")
    if baseline is None:
        return 0 if all(r.passed for r in results) else 1
    code, lines = baseline.verdict(results)
    if lines and not args.json:
        print("\n".join(lines))
    return code
