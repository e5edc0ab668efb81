"""Time from starting the stack to the first authorized `tools/call` through the gateway.

Two ways in, as users start it:
  in-process   harness.Stack().start()            (pytest fixtures)
  subprocess   `python -m harness up --json` → the manifest line → HTTP (any language's CI)
Each run: start → client-credentials token from the IdP → `tools/call search-server___search` on the gateway
(which verifies the token against the IdP's JWKS and calls the sample server with its own token) → 200 with
a result. Prints per-run times and the median of N runs (default 10). Target: in-process median < 0.5 s.

    .venv/bin/python bench/startup.py [--runs 10] [--mode in-process|subprocess|both] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from typing import Any

CALL = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "tools/call",
    "params": {"name": "search-server___search", "arguments": {"q": "audience", "limit": 1}},
}
HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


def first_call(stack: Any) -> None:
    """Token from the IdP, then `tools/call` through the gateway, with the stack's own client."""
    token = stack.token()
    headers = HEADERS | {"Authorization": f"Bearer {token}"}
    response = stack.http.post(stack.gateway.mcp_url, json=CALL, headers=headers)
    body = response.json()
    assert response.status_code == 200 and not body["result"].get("isError"), body


def in_process() -> float:
    from harness import Stack

    started = time.perf_counter()
    stack = Stack().start()
    first_call(stack)
    elapsed = time.perf_counter() - started
    stack.stop()
    return elapsed


def subprocess_run() -> float:
    from harness import ProcessStack

    started = time.perf_counter()
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "up", "--json", "--quiet"],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    try:
        stack = ProcessStack().attach_manifest(json.loads(process.stdout.readline()))
        first_call(stack)
        elapsed = time.perf_counter() - started
        stack.stop()  # its client only; the process is stopped below
        return elapsed
    finally:
        process.terminate()
        process.wait(15)


def report(name: str, times: list[float]) -> None:
    shown = " ".join(f"{t * 1000:.0f}" for t in times)
    print(
        f"{name:<11} median {statistics.median(times) * 1000:7.1f} ms   min {min(times) * 1000:6.1f}   "
        f"max {max(times) * 1000:6.1f}   runs (ms): {shown}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--mode", choices=["in-process", "subprocess", "both"], default="both")
    parser.add_argument("--quick", action="store_true", help="one run of each (make test: it works)")
    args = parser.parse_args()
    if args.quick:
        args.runs = 1
    print(
        f"authstage startup → first authorized tools/call; {platform.python_implementation()} "
        f"{platform.python_version()}, {os.cpu_count()} CPUs, {platform.machine()}"
    )
    if args.mode in ("in-process", "both"):
        import_started = time.perf_counter()
        import importlib

        for module in (
            "harness",
            "fake_idp",
            "fake_gateway",
            "sample_mcp",
        ):  # paid once per process (pytest session)
            importlib.import_module(module)

        print(
            f"imports     {(time.perf_counter() - import_started) * 1000:7.1f} ms (once per process, not in the runs)"
        )
        report("in-process", [in_process() for _ in range(args.runs)])
    if args.mode in ("subprocess", "both"):
        report("subprocess", [subprocess_run() for _ in range(args.runs)])
    return 0


if __name__ == "__main__":
    sys.exit(main())
