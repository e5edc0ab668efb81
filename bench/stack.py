"""The stack's own costs: start and stop in-process, `authstage up` until it answers, and what running the three
services in one process costs a call compared with each service in its own process.

1. In-process: `harness.Stack().start()` and `.stop()` (the pytest fixtures' way). The first stack of a process
   also generates the RSA key pool and is reported apart; the figure is the median of the later ones.
2. `authstage up --json --quiet` from spawn until the IdP answers its discovery document (the manifest line
   comes first), median of N runs.
3. A call under `authstage up` (three services, one process) against the same call with each service in its own
   process (`python -m fake_idp`, `python -m fake_gateway`, `python -m sample_mcp`, the same documents): an
   authorized `tools/call search` straight to the sample server, and through the gateway; p50 latency of
   sequential calls with the lean load generator, rounds alternated between the two arrangements.

    .venv/bin/python bench/stack.py [--runs 7] [--rounds 3] [--seconds 2] [--json]
    .venv/bin/python bench/stack.py --quick        # one of each, no target checked (make test)

Targets (issue 14): start ≤ 0.15 s, stop ≤ 0.05 s, `authstage up` ready ≤ 0.8 s, a call under `authstage up`
within 1.3x of the same call across processes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import json_request, run_level  # noqa: E402
from machine import busy_processes, describe_machine  # noqa: E402

TARGETS = {"start_s": 0.15, "stop_s": 0.05, "up_ready_s": 0.8, "call_ratio": 1.3}
SEARCH = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "search", "arguments": {"q": "pkce"}}}
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}


def in_process(runs: int) -> dict[str, float]:
    imported = time.perf_counter()
    import fake_gateway  # noqa: F401
    import fake_idp  # noqa: F401
    import sample_mcp  # noqa: F401
    from harness import Stack

    imports = time.perf_counter() - imported
    starts, stops = [], []
    for _ in range(runs + 1):
        started = time.perf_counter()
        stack = Stack().start()
        starts.append(time.perf_counter() - started)
        stack.token()  # it serves
        stopped = time.perf_counter()
        stack.stop()
        stops.append(time.perf_counter() - stopped)
    return {"imports_s": imports, "first_start_s": starts[0], "start_s": statistics.median(starts[1:]),
            "stop_s": statistics.median(stops)}


def up_ready() -> float:
    """Spawn `authstage up --json --quiet` → the IdP answers (the manifest line comes first)."""
    started = time.perf_counter()
    process = subprocess.Popen([sys.executable, "-m", "authstage", "up", "--json", "--quiet", "--no-console"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        assert process.stdout is not None
        manifest = json.loads(process.stdout.readline())
        with httpx.Client(trust_env=False, verify=False) as http:
            http.get(manifest["services"]["idp"]["discovery_url"]).raise_for_status()
        return time.perf_counter() - started
    finally:
        process.terminate()
        process.wait(15)


def _free_ports(n: int) -> list[int]:
    sockets = [socket.socket() for _ in range(n)]
    for sock in sockets:
        sock.bind(("127.0.0.1", 0))
    ports = [sock.getsockname()[1] for sock in sockets]
    for sock in sockets:
        sock.close()
    return ports


def start_up() -> tuple[list[subprocess.Popen[str]], dict[str, Any]]:
    process = subprocess.Popen([sys.executable, "-m", "authstage", "up", "--json", "--quiet", "--no-console"],
                               cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert process.stdout is not None
    return [process], json.loads(process.stdout.readline())


def start_processes(directory: str) -> tuple[list[subprocess.Popen[str]], dict[str, Any]]:
    """The demo stack's three documents, each service in its own `python -m` process."""
    from harness._config import stack_variables, tenant_variables
    from harness._demo import demo_documents
    from harness._manifest import build_manifest

    ports = _free_ports(3)
    urls = [f"http://127.0.0.1:{port}" for port in ports]
    variables = stack_variables(*urls)
    documents = demo_documents(variables)
    variables |= tenant_variables(documents["idp"])
    processes = []
    for (module, name), port in zip((("fake_idp", "idp"), ("fake_gateway", "gateway"), ("sample_mcp", "mcp")),
                                    ports, strict=True):
        path = Path(directory) / f"{name}.json"
        path.write_text(json.dumps(documents[name]))
        process = subprocess.Popen([sys.executable, "-m", module, "--config", str(path), "--port", str(port), "--json"],
                                   cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
        assert process.stdout is not None
        process.stdout.readline()
        processes.append(process)
    services = {"idp": {"url": urls[0], "issuer": variables["idp.issuer"], "discovery_url": variables["idp.discovery_url"],
                        "token_endpoint": variables["idp.token_endpoint"]},
                "gateway": {"url": urls[1], "mcp_url": variables["gateway.mcp_url"], "prm_url": ""},
                "mcp": {"url": urls[2], "mcp_url": variables["mcp.mcp_url"]}}
    return processes, build_manifest(documents["idp"], services)


def _token(manifest: dict[str, Any], client: str, audience: str) -> str:
    credentials = manifest["clients"][client]
    response = httpx.post(manifest["services"]["idp"]["token_endpoint"], trust_env=False, timeout=30,
                          data={"grant_type": "client_credentials", "client_id": credentials["client_id"],
                                "client_secret": credentials["client_secret"], "audience": audience})
    response.raise_for_status()
    token: str = response.json()["access_token"]
    return token


def _ok(status: int, body: bytes) -> str | None:
    return None if status == 200 and b'"isError":false' in body else f"HTTP {status}: {body[:200]!r}"


def calls(manifest: dict[str, Any], seconds: float) -> dict[str, float]:
    """p50 (ms) of sequential authorized search calls, straight to the sample server and through the gateway."""
    mcp_url, gateway_url = manifest["mcp"]["mcp_url"], manifest["gateway"]["mcp_url"]
    direct = json_request(mcp_url, SEARCH, {**MCP_HEADERS, "Authorization": "Bearer "
                                            + _token(manifest, "gateway-outbound", mcp_url)})
    via = {**SEARCH, "params": {"name": "search-server___search", "arguments": {"q": "pkce"}}}
    gateway = json_request(gateway_url, via, {**MCP_HEADERS, "Authorization": "Bearer "
                                               + _token(manifest, "demo-m2m", gateway_url)})
    out = {}
    for name, url, request in (("direct_ms", mcp_url, direct), ("via_gateway_ms", gateway_url, gateway)):
        level = asyncio.run(run_level(url, request, concurrency=1, seconds=seconds, check=_ok, warmup=20))
        if level.errors:
            raise SystemExit(f"{name}: {level.first_error}")
        out[name] = level.p50_ms
    return out


def compare_calls(rounds: int, seconds: float) -> dict[str, dict[str, list[float]]]:
    figures: dict[str, dict[str, list[float]]] = {"up": {}, "processes": {}}
    with tempfile.TemporaryDirectory(prefix="authstage-bench-stack-") as directory:
        for round_ in range(rounds):
            order = ["up", "processes"] if round_ % 2 == 0 else ["processes", "up"]
            for arrangement in order:
                processes, manifest = start_up() if arrangement == "up" else start_processes(directory)
                try:
                    for key, value in calls(manifest, seconds).items():
                        figures[arrangement].setdefault(key, []).append(value)
                finally:
                    for process in processes:
                        process.terminate()
                        process.wait(15)
    return figures


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=7, help="stacks started in-process, and `authstage up` starts")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the call comparison")
    parser.add_argument("--seconds", type=float, default=2.0, help="sequential calls per path and round")
    parser.add_argument("--quick", action="store_true", help="one of each; prove it works, check no target")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    runs, rounds, seconds = (1, 1, 0.3) if args.quick else (args.runs, args.rounds, args.seconds)
    busy = busy_processes()
    result: dict[str, Any] = in_process(runs)
    result["up_ready_s"] = statistics.median(up_ready() for _ in range(runs))
    figures = compare_calls(rounds, seconds)
    for key in ("direct_ms", "via_gateway_ms"):
        result[f"up_{key}"] = statistics.median(figures["up"][key])
        result[f"processes_{key}"] = statistics.median(figures["processes"][key])
        result[f"ratio_{key.removesuffix('_ms')}"] = result[f"up_{key}"] / result[f"processes_{key}"]
    met = (result["start_s"] <= TARGETS["start_s"] and result["stop_s"] <= TARGETS["stop_s"]
           and result["up_ready_s"] <= TARGETS["up_ready_s"] and result["ratio_direct"] <= TARGETS["call_ratio"])
    if args.json:
        print(json.dumps({"machine": describe_machine(), "busy": busy, "figures": result, "targets": TARGETS,
                          "met": met}))
        return 0 if args.quick or met else 1
    print(f"authstage stack; {describe_machine()}\n  also using CPU before the run: {', '.join(busy) or 'nothing'}")
    print(f"  imports (once per process)   {result['imports_s']:.3f} s")
    print(f"  first in-process start       {result['first_start_s']:.3f} s  (generates the RSA key pool)")
    print(f"  in-process start (median)    {result['start_s']:.3f} s   target ≤ {TARGETS['start_s']} s")
    print(f"  in-process stop (median)     {result['stop_s']:.3f} s   target ≤ {TARGETS['stop_s']} s")
    print(f"  `authstage up` ready         {result['up_ready_s']:.3f} s   target ≤ {TARGETS['up_ready_s']} s")
    for key, label in (("direct", "search straight to sample_mcp"), ("via_gateway", "search through the gateway")):
        print(f"  {label:<30} up {result[f'up_{key}_ms']:.2f} ms p50, processes {result[f'processes_{key}_ms']:.2f} ms"
              f"  ratio {result[f'ratio_{key}']:.2f}" + (f"   target ≤ {TARGETS['call_ratio']}" if key == "direct" else ""))
    print(f"  rounds: {json.dumps(figures)}")
    return 0 if args.quick or met else 1


if __name__ == "__main__":
    sys.exit(main())
