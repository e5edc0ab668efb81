"""Load through the whole stack: N concurrent clients × M authorized `tools/call` via the gateway (issue 4).

Starts `python -m harness up --json --quiet` as a child process (so the memory measured is the stack's, not this
script's), gives each client its own client-credentials token from the IdP, warms up, then runs the clients at
once over loopback, in two rounds. Prints calls/s, latency p50/p99, errors (must be 0), the IdP discovery/JWKS
fetches the gateway made (and its outbound token requests), and the resident memory of the stack process before,
after round 1 and after round 2. Round 1's growth includes the request logs the control plane keeps on purpose
(bounded: `logRecordsMax`, `log_max_records`); the logs are cleared before round 2, so round 2's growth is what a
leak would add. Bounded: 2 × `--clients` × `--calls` requests, each with a timeout, all within `--deadline`.

    .venv/bin/python bench/load.py [--clients 8] [--calls 100] [--deadline 300] [--json]
    .venv/bin/python bench/load.py --quick         # 2 clients x 5 calls (make test)

Exit status 1 when any call failed, the deadline passed, round 2 grew the RSS by more than `--max-growth-mb`, or
the RSS after round 2 is above `--max-rss-mb` (issue 14: 150 MB; not checked with --quick).
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
WORDS = ["audience", "pkce", "jwks", "issuer", "refresh", "scope", "gateway", "token", "kid", "consent"]


def rss_bytes(pid: int) -> int:
    """Resident set size of a process and its children (Linux /proc; psutil elsewhere)."""
    try:
        import psutil

        process = psutil.Process(pid)
        return sum(p.memory_info().rss for p in (process, *process.children(recursive=True)))
    except ImportError:  # pragma: no cover - psutil comes with the test extra
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
        raise


def start_stack(timeout: float) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "up", "--json", "--quiet"],
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    box: list[str] = []
    reader = threading.Thread(target=lambda: box.append(process.stdout.readline()), daemon=True)  # type: ignore[union-attr]
    reader.start()
    reader.join(timeout)
    if not box or not box[0].strip():
        process.kill()
        raise SystemExit("bench/load.py: `authstage up` printed no manifest")
    manifest = json.loads(box[0])
    for service in manifest["services"].values():  # loopback only
        assert service["url"].startswith("http://127.0.0.1:"), service["url"]
    return process, manifest


def token_for(manifest: dict[str, Any]) -> str:
    """A demo-m2m token for the gateway, minted the way `harness.ProcessStack` mints it from a manifest."""
    from harness import ProcessStack

    stack = ProcessStack().attach_manifest(manifest)
    try:
        return stack.token()
    finally:
        stack.stop()  # closes its client only: the stack process is not its to stop


def call(client: httpx.Client, url: str, token: str, n: int) -> tuple[float, str | None]:
    """One authorized tools/call; (seconds, None) or (seconds, what went wrong)."""
    body = {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": "search-server___search", "arguments": {"q": WORDS[n % len(WORDS)], "limit": 3}},
    }
    started = time.perf_counter()
    try:
        response = client.post(url, json=body, headers={**HEADERS, "Authorization": f"Bearer {token}"})
    except httpx.HTTPError as exc:
        return time.perf_counter() - started, f"{type(exc).__name__}: {exc}"
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        return elapsed, f"HTTP {response.status_code}: {response.text[:200]}"
    result = response.json().get("result")
    if not isinstance(result, dict) or result.get("isError"):
        return elapsed, f"tool error: {response.text[:200]}"
    return elapsed, None


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def load_round(
    url: str, tokens: list[str], calls: int, timeout: float, stop_at: float
) -> tuple[list[float], list[str], float]:
    """Every client runs `calls` tools/call at once; (latencies, errors, wall seconds)."""
    latencies: list[float] = []
    errors: list[str] = []
    lock = threading.Lock()

    def client_loop(index: int) -> None:
        mine: list[float] = []
        wrong: list[str] = []
        with httpx.Client(trust_env=False, timeout=timeout) as client:
            for n in range(calls):
                if time.monotonic() > stop_at:
                    wrong.append("deadline passed")
                    break
                seconds, problem = call(client, url, tokens[index], index * calls + n)
                mine.append(seconds)
                if problem:
                    wrong.append(problem)
        with lock:
            latencies.extend(mine)
            errors.extend(wrong)

    started = time.perf_counter()
    with ThreadPoolExecutor(len(tokens)) as pool:
        list(pool.map(client_loop, range(len(tokens))))
    return latencies, errors, time.perf_counter() - started


def run(clients: int, calls: int, deadline: float, timeout: float) -> dict[str, Any]:
    began = time.monotonic()
    stop_at = began + deadline
    process, manifest = start_stack(60)
    try:
        url = manifest["gateway"]["mcp_url"]
        stats_url = f"{manifest['gateway']['url']}/_authstage/stats"
        tokens = [token_for(manifest) for _ in range(clients)]
        with httpx.Client(trust_env=False, timeout=timeout) as warm:
            for n in range(20):  # connections, the gateway's JWKS and outbound token, the target session
                _, problem = call(warm, url, tokens[n % clients], n)
                if problem:
                    raise SystemExit(f"bench/load.py: warm-up call failed: {problem}")
        rss = [rss_bytes(process.pid)]
        stats_before = httpx.get(stats_url, timeout=10, trust_env=False).json()
        latencies: list[float] = []
        errors: list[str] = []
        wall = 0.0
        for round_no in (1, 2):
            if round_no == 2:  # drop the request logs round 1 filled: round 2's growth is not retained logs
                for service in manifest["services"].values():
                    httpx.delete(f"{service['url']}/_authstage/log", timeout=10, trust_env=False)
            done, wrong, seconds = load_round(url, tokens, calls, timeout, stop_at)
            latencies += done
            errors += wrong
            wall += seconds
            rss.append(rss_bytes(process.pid))
        stats = httpx.get(stats_url, timeout=10, trust_env=False).json()
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
    mb = [round(value / 2**20, 1) for value in rss]
    return {
        "clients": clients,
        "calls_per_client_per_round": calls,
        "calls": len(latencies),
        "errors": len(errors),
        "first_errors": errors[:5],
        "seconds": round(wall, 3),
        "calls_per_second": round(len(latencies) / wall, 1) if wall else 0.0,
        "p50_ms": round(percentile(latencies, 0.5) * 1000, 2) if latencies else None,
        "p99_ms": round(percentile(latencies, 0.99) * 1000, 2) if latencies else None,
        "discovery_fetches": stats["discovery_fetches"],
        "jwks_fetches": stats["jwks_fetches"],
        "fetches_during_load": stats["jwks_fetches"]
        - stats_before["jwks_fetches"]
        + stats["discovery_fetches"]
        - stats_before["discovery_fetches"],
        "outbound_token_requests": stats["token_requests"],
        "target_calls": stats["target_calls"] - stats_before["target_calls"],
        "rss_before_mb": mb[0],
        "rss_after_round1_mb": mb[1],
        "rss_after_round2_mb": mb[2],
        "rss_growth_round1_mb": round(mb[1] - mb[0], 1),
        "rss_growth_round2_mb": round(mb[2] - mb[1], 1),
        "deadline_passed": time.monotonic() > stop_at,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument(
        "--calls", type=int, default=100, help="tools/call per client per round (default 100)"
    )
    parser.add_argument("--deadline", type=float, default=300, help="seconds for the whole run (default 300)")
    parser.add_argument("--timeout", type=float, default=30, help="seconds per call (default 30)")
    parser.add_argument("--max-growth-mb", type=float, default=16, help="fail above this round-2 RSS growth")
    parser.add_argument("--max-rss-mb", type=float, default=150, help="fail above this RSS after round 2")
    parser.add_argument("--quick", action="store_true", help="2 clients x 5 calls; the RSS bound is not checked")
    parser.add_argument("--json", action="store_true", help="print the figures as one JSON line")
    args = parser.parse_args(argv)
    if args.quick:
        args.clients, args.calls, args.max_rss_mb = 2, 5, float("inf")
    if not (1 <= args.clients <= 64 and 1 <= args.calls <= 10_000):
        parser.error("--clients must be 1..64 and --calls 1..10000 (the run is bounded)")
    f = run(args.clients, args.calls, args.deadline, args.timeout)
    if args.json:
        print(json.dumps(f))
    else:
        print(
            f"authstage load: {f['clients']} clients x {f['calls_per_client_per_round']} tools/call via the "
            "gateway, 2 rounds (loopback)"
        )
        print(
            f"  machine      {platform.system()} {platform.machine()}, {os.cpu_count()} CPUs, Python {platform.python_version()}"
        )
        print(f"  calls        {f['calls']} in {f['seconds']} s = {f['calls_per_second']} calls/s")
        print(f"  latency      p50 {f['p50_ms']} ms, p99 {f['p99_ms']} ms")
        print(f"  errors       {f['errors']}" + (f"  e.g. {f['first_errors'][0]}" if f["errors"] else ""))
        print(
            f"  IdP fetches  discovery {f['discovery_fetches']}, JWKS {f['jwks_fetches']} ({f['fetches_during_load']}"
            f" during the load); outbound token requests {f['outbound_token_requests']}; target calls "
            f"{f['target_calls']}"
        )
        print(
            f"  stack RSS    {f['rss_before_mb']} MB before; {f['rss_after_round1_mb']} MB after round 1 "
            f"(+{f['rss_growth_round1_mb']} MB, request logs included); {f['rss_after_round2_mb']} MB after round 2 "
            f"with the logs cleared first (+{f['rss_growth_round2_mb']} MB); target ≤ {args.max_rss_mb:g} MB after round 2"
        )
    failed = (f["errors"] or f["deadline_passed"] or f["rss_growth_round2_mb"] > args.max_growth_mb
              or f["rss_after_round2_mb"] > args.max_rss_mb)
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
