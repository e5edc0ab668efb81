"""Client-credentials throughput of the fake IdP: tokens/s and p50/p99 latency at concurrency 1 and 8.

By default it starts the demo tenant in a separate process (so client and server do not share a GIL) and
measures ``POST /oauth/token`` (demo-m2m, JSON body) with httpx; every level is bounded by a request count
and a time budget. The first token is verified with PyJWT against the served JWKS.

    .venv/bin/python bench/idp_tokens.py [--url URL] [--requests 400] [--seconds 15] [--concurrency 1,8] [--via-cli] [--quick]

``--url`` targets a running IdP (client id/secret/audience flags default to the demo tenant's).
``--via-cli`` starts ``python -m fake_idp`` (harness.serve_main) instead of the bench's own child server.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx
import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fake_idp.demo import DEMO_CLIENT_IDS  # noqa: E402

DEMO_SECRET = "demo-secret-not-for-production-m2m-0001"
DEMO_AUDIENCE = "http://127.0.0.1:8000/mcp"


def _serve() -> int:
    """Child mode: serve the demo tenant on a free loopback port."""
    from authstage_kit.runner import ServerThread, bind_socket
    from fake_idp import create_app, demo_tenant

    sock = bind_socket()
    tenant = demo_tenant()
    server = ServerThread(
        build=lambda url: create_app(tenant, base_url=url), sock=sock, name="fake_idp"
    ).start()
    print(json.dumps({"url": server.url}), flush=True)
    try:
        while server.running:
            time.sleep(0.5)
    except KeyboardInterrupt:
        pass
    server.stop()
    return 0


def _start(via_cli: bool) -> tuple[subprocess.Popen[str], str]:
    cmd = (
        [sys.executable, "-m", "fake_idp", "--json", "--port", "0"]
        if via_cli
        else [sys.executable, __file__, "--_serve"]
    )
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    if not line:
        proc.kill()
        raise SystemExit("the IdP did not start")
    return proc, json.loads(line)["url"]


async def _level(
    url: str, body: dict[str, str], concurrency: int, requests: int, seconds: float
) -> dict[str, float]:
    latencies: list[float] = []
    errors = 0
    deadline = time.perf_counter() + seconds
    remaining = requests
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=url, limits=limits, timeout=30) as client:
        await client.post("/oauth/token", json=body)  # warm-up: connection, first-request costs

        async def worker() -> None:
            nonlocal remaining, errors
            while remaining > 0 and time.perf_counter() < deadline:
                remaining -= 1
                t0 = time.perf_counter()
                r = await client.post("/oauth/token", json=body)
                latencies.append(time.perf_counter() - t0)
                if r.status_code != 200:
                    errors += 1

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(len(latencies) * 0.99))] if latencies else float("nan")
    return {
        "concurrency": concurrency,
        "requests": len(latencies),
        "errors": errors,
        "tokens_per_s": (len(latencies) - errors) / elapsed if elapsed else 0.0,
        "p50_ms": statistics.median(latencies) * 1000 if latencies else float("nan"),
        "p99_ms": p99 * 1000,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", help="a running fake IdP (default: start the demo tenant)")
    parser.add_argument("--client-id", default=DEMO_CLIENT_IDS["demo-m2m"])
    parser.add_argument("--client-secret", default=DEMO_SECRET)
    parser.add_argument("--audience", default=DEMO_AUDIENCE)
    parser.add_argument("--requests", type=int, default=400, help="requests per concurrency level")
    parser.add_argument("--seconds", type=float, default=15.0, help="time budget per level")
    parser.add_argument("--concurrency", default="1,8")
    parser.add_argument("--via-cli", action="store_true", help="start `python -m fake_idp` instead")
    parser.add_argument("--_serve", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--quick", action="store_true", help="10 requests per level (make test: it works)")
    args = parser.parse_args(argv)
    if args.quick:
        args.requests, args.seconds = 10, 5.0
    if args._serve:
        return _serve()
    proc = None
    url = args.url
    if url is None:
        proc, url = _start(args.via_cli)
    url = url.rstrip("/")
    body = {
        "grant_type": "client_credentials",
        "client_id": args.client_id,
        "client_secret": args.client_secret,
        "audience": args.audience,
    }
    try:
        first = httpx.post(url + "/oauth/token", json=body, timeout=30)
        first.raise_for_status()
        token = first.json()["access_token"]
        key = jwt.PyJWKClient(url + "/.well-known/jwks.json").get_signing_key_from_jwt(token)
        jwt.decode(token, key.key, algorithms=["RS256", "PS256"], audience=args.audience)
        where = "--url" if args.url else ("python -m fake_idp" if args.via_cli else "separate process")
        print(f"fake_idp client_credentials at {url} ({where}); first token verified with PyJWT")
        print(
            f"{'concurrency':>11} {'requests':>8} {'errors':>6} {'tokens/s':>9} {'p50 ms':>7} {'p99 ms':>7}"
        )
        for level in (int(c) for c in args.concurrency.split(",")):
            res = asyncio.run(_level(url, body, level, args.requests, args.seconds))
            print(
                f"{res['concurrency']:>11} {res['requests']:>8} {res['errors']:>6} {res['tokens_per_s']:>9.1f} "
                f"{res['p50_ms']:>7.2f} {res['p99_ms']:>7.2f}"
            )
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
    return 0


if __name__ == "__main__":
    sys.exit(main())
