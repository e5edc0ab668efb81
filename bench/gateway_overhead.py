"""What the fake gateway costs: an authorized `tools/call search` through the gateway vs straight to sample_mcp.

Starts a minimal in-process issuer (discovery, JWKS, client_credentials token endpoint), `python -m sample_mcp`
(protected: it verifies RS256 tokens itself) and `python -m fake_gateway` (the demo gateway: CUSTOM_JWT inbound,
OAuth client-credentials outbound) as separate processes, then measures both paths with the same client:
sequential latency (p50/p99) and throughput with concurrent clients. Prints how many JWKS fetches happened.

    .venv/bin/python bench/gateway_overhead.py [--calls 600] [--concurrency 8] [--quick]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import httpx
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from authstage_kit.runner import ServerThread  # noqa: E402
from fake_gateway import demo_gateway  # noqa: E402

CLIENT_ID = "bench-gateway"
CLIENT_SECRET = "demo-secret-not-for-production-bench"
HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}


class Issuer:
    def __init__(self) -> None:
        self.key = RSAKey.generate_key(2048, parameters={"kid": "bench-1", "use": "sig", "alg": "RS256"})
        self.jwks_hits = 0
        self.token_hits = 0
        self.server = ServerThread(build=self._build, name="bench-issuer")
        self.issuer = self.server.url + "/"

    def mint(self, audience: str, scope: str, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": self.issuer,
            "sub": "bench-user",
            "aud": audience,
            "scope": scope,
            "iat": now,
            "exp": now + 3600,
            "jti": uuid.uuid4().hex,
            **claims,
        }
        return jwt.encode({"alg": "RS256", "kid": "bench-1", "typ": "at+jwt"}, body, self.key)

    def _build(self, url: str) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": url + "/",
                    "jwks_uri": f"{url}/.well-known/jwks.json",
                    "token_endpoint": f"{url}/oauth/token",
                    "authorization_endpoint": f"{url}/authorize",
                }
            )

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_hits += 1
            return JSONResponse(KeySet([self.key]).as_dict(private=False))

        async def token(request: Request) -> JSONResponse:
            self.token_hits += 1
            form = await request.form()
            if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
                return JSONResponse({"error": "access_denied"}, status_code=401)
            access = self.mint(str(form.get("audience")), str(form.get("scope", "")), azp=CLIENT_ID)
            return JSONResponse({"access_token": access, "token_type": "Bearer", "expires_in": 3600})

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/.well-known/jwks.json", jwks),
                Route("/oauth/token", token, methods=["POST"]),
            ]
        )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(command: list[str]) -> tuple[subprocess.Popen[str], dict[str, Any]]:
    process = subprocess.Popen(
        [sys.executable, *command], cwd=ROOT, text=True, stdout=subprocess.PIPE, stdin=subprocess.PIPE
    )
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        raise SystemExit(f"{command} did not start (exit code {process.wait()})")
    return process, json.loads(line)


def call_search(client: httpx.Client, url: str, token: str, tool: str, n: int) -> float:
    body = {
        "jsonrpc": "2.0",
        "id": n,
        "method": "tools/call",
        "params": {"name": tool, "arguments": {"q": "pkce"}},
    }
    started = time.perf_counter()
    response = client.post(url, json=body, headers={**HEADERS, "Authorization": f"Bearer {token}"})
    elapsed = time.perf_counter() - started
    result = response.json().get("result", {})
    if (
        response.status_code != 200
        or result.get("isError")
        or not result.get("structuredContent", {}).get("results")
    ):
        raise SystemExit(f"{url}: unexpected answer {response.status_code} {response.text[:300]}")
    return elapsed


def sequential(url: str, token: str, tool: str, calls: int) -> list[float]:
    with httpx.Client(trust_env=False, timeout=30) as client:
        for n in range(20):  # warm-up: connections, catalogue, token cache
            call_search(client, url, token, tool, n)
        return [call_search(client, url, token, tool, n) for n in range(calls)]


def concurrent(url: str, token: str, tool: str, calls: int, workers: int) -> float:
    def worker(count: int) -> None:
        with httpx.Client(trust_env=False, timeout=30) as client:
            for n in range(count):
                call_search(client, url, token, tool, n)

    started = time.perf_counter()
    with ThreadPoolExecutor(workers) as pool:
        list(pool.map(worker, [calls // workers] * workers))
    return (calls // workers) * workers / (time.perf_counter() - started)


def percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def measure(
    issuer: Issuer, calls: int, concurrency: int
) -> tuple[list[tuple[Any, ...]], dict[str, Any], int]:
    """Start `python -m sample_mcp` and `python -m fake_gateway`, then measure both paths."""
    sample_port, gateway_port = free_port(), free_port()
    sample_mcp_url = f"http://127.0.0.1:{sample_port}/mcp"
    gateway_mcp_url = f"http://127.0.0.1:{gateway_port}/mcp"
    processes: list[subprocess.Popen[str]] = []
    jwks_before = issuer.jwks_hits
    try:
        sample_command = [
            "-m",
            "sample_mcp",
            "--json",
            "--port",
            str(sample_port),
            "--auth-issuer",
            issuer.issuer,
            "--auth-audience",
            sample_mcp_url,
            "--auth-scope",
            "search:read",
        ]
        processes.append(start(sample_command)[0])
        gateway = demo_gateway(
            discovery_url=issuer.issuer + ".well-known/openid-configuration",
            target_endpoint=sample_mcp_url,
            token_endpoint=issuer.server.url + "/oauth/token",
            client_id=CLIENT_ID,
            client_secret=CLIENT_SECRET,
            audience=gateway_mcp_url,
            target_audience=sample_mcp_url,
        )
        with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
            handle.write(gateway.to_json())
        process, ready = start(
            ["-m", "fake_gateway", "--json", "--config", handle.name, "--port", str(gateway_port)]
        )
        processes.append(process)

        direct_token = issuer.mint(sample_mcp_url, "search:read")
        caller_token = issuer.mint(gateway_mcp_url, "mcp:tools")
        rows = []
        for name, url, token, tool in (
            ("direct -> sample_mcp", sample_mcp_url, direct_token, "search"),
            ("via fake_gateway", gateway_mcp_url, caller_token, "search-server___search"),
        ):
            samples = sequential(url, token, tool, calls)
            throughput = concurrent(url, token, tool, calls, concurrency)
            rows.append(
                (
                    name,
                    percentile(samples, 0.5) * 1000,
                    percentile(samples, 0.99) * 1000,
                    len(samples) / sum(samples),
                    throughput,
                )
            )
        with httpx.Client(trust_env=False) as client:
            stats = client.get(f"{ready['url']}/_authstage/stats").json()
    finally:
        for process in processes:
            process.terminate()
            process.wait(timeout=10)
    return rows, stats, issuer.jwks_hits - jwks_before


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument(
        "--calls", type=int, default=600, help="sequential calls per path (and concurrent calls)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=8, help="concurrent clients for the throughput run"
    )
    parser.add_argument("--quick", action="store_true", help="8 calls, 2 clients (make test: it works)")
    args = parser.parse_args(argv)
    if args.quick:
        args.calls, args.concurrency = 8, 2
    issuer = Issuer()
    issuer.server.start()
    try:
        rows, stats, jwks_total = measure(issuer, args.calls, args.concurrency)
    finally:
        issuer.server.stop()
    print(
        f"authorized tools/call search: {args.calls} sequential calls per path, then {args.calls} calls from "
        f"{args.concurrency} concurrent clients; each server in its own process ({sys.platform}, "
        f"{os.cpu_count()} cores)"
    )
    print(f"  {'path':<22} {'p50 ms':>8} {'p99 ms':>8} {'calls/s seq':>12} {'calls/s conc':>13}")
    for name, p50, p99, seq, conc in rows:
        print(f"  {name:<22} {p50:>8.2f} {p99:>8.2f} {seq:>12.1f} {conc:>13.1f}")
    print(f"  gateway overhead: p50 {rows[1][1] - rows[0][1]:+.2f} ms, p99 {rows[1][2] - rows[0][2]:+.2f} ms")
    print(
        f"  gateway JWKS fetches: {stats['jwks_fetches']} (discovery documents: {stats['discovery_fetches']}); "
        f"outbound token requests: {stats['token_requests']}; target calls: {stats['target_calls']}"
    )
    print(f"  JWKS fetches the issuer served (gateway + sample_mcp): {jwks_total}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
