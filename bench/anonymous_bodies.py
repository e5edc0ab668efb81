"""Memory under anonymous large bodies: N POSTs of 1 MB without a token to the gateway and to the sample server.

A server that reads the body before it checks the token holds every body in memory while it decides to refuse
it; one that checks the bearer token first answers 401 from the headers and lets the rest go. Starts
`python -m harness up --json --quiet` as a child process (the memory measured is the stack's), sends `--bodies`
anonymous POSTs of `--size` bytes to the gateway's `/mcp`, then the same to the sample server's `/mcp`,
`--concurrency` at a time, and prints the resident memory of the stack process before and after each round,
how many answers were 401, and how long each round took.

    .venv/bin/python bench/anonymous_bodies.py [--bodies 300] [--size 1048576] [--concurrency 30] [--json] [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from load import HEADERS, rss_bytes, start_stack


async def _post(url: str, payload: bytes) -> int:
    """One anonymous POST written at once (headers and body) on its own connection; the answer's status."""
    parts = urlsplit(url)
    reader, writer = await asyncio.open_connection(parts.hostname, parts.port)
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Length: {len(payload)}\r\n"
            + "".join(f"{k}: {v}\r\n" for k, v in HEADERS.items()) + "Connection: close\r\n\r\n")
    try:
        writer.write(head.encode() + payload)
        await writer.drain()
        status_line = await asyncio.wait_for(reader.readline(), 60)
        return int(status_line.split()[1]) if status_line else 0
    except (TimeoutError, OSError, IndexError, ValueError):
        return 0  # the server closed the connection before answering
    finally:
        writer.close()


def flood(url: str, bodies: int, size: int, concurrency: int) -> tuple[dict[int, int], float]:
    """`bodies` anonymous POSTs of `size` bytes, `concurrency` connections at a time: (status -> count, seconds)."""
    payload = b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"pad":"' + b"x" * size + b'"}}'

    async def all_of_them() -> list[int]:
        gate = asyncio.Semaphore(concurrency)

        async def one() -> int:
            async with gate:
                return await _post(url, payload)

        return await asyncio.gather(*(one() for _ in range(bodies)))

    started = time.perf_counter()
    statuses: dict[int, int] = {}
    for status in asyncio.run(all_of_them()):
        statuses[status] = statuses.get(status, 0) + 1
    return statuses, time.perf_counter() - started


def run(bodies: int, size: int, concurrency: int) -> dict[str, Any]:
    process, manifest = start_stack(60)
    try:
        mb = lambda: round(rss_bytes(process.pid) / 2**20, 1)  # noqa: E731
        figures: dict[str, Any] = {"bodies": bodies, "size": size, "concurrency": concurrency, "rss_start_mb": mb()}
        for name, url in (("gateway", manifest["gateway"]["mcp_url"]), ("mcp", manifest["services"]["mcp"]["mcp_url"])):
            statuses, seconds = flood(url, bodies, size, concurrency)
            figures[name] = {"statuses": statuses, "seconds": round(seconds, 2), "rss_after_mb": mb()}
    finally:
        process.terminate()
        process.wait(15)
    figures["rss_growth_mb"] = round(figures["mcp"]["rss_after_mb"] - figures["rss_start_mb"], 1)
    return figures


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bodies", type=int, default=300)
    parser.add_argument("--size", type=int, default=1_000_000)
    parser.add_argument("--concurrency", type=int, default=30)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--quick", action="store_true", help="4 bodies of 64 KB (make test: it works)")
    args = parser.parse_args()
    if args.quick:
        args.bodies, args.size, args.concurrency = 4, 65536, 2
    figures = run(args.bodies, args.size, args.concurrency)
    if args.json:
        print(json.dumps(figures))
        return 0
    print(f"{args.bodies} anonymous POSTs of {args.size} bytes, {args.concurrency} at a time")
    print(f"  stack RSS at start          {figures['rss_start_mb']:>8} MB")
    for name in ("gateway", "mcp"):
        round_ = figures[name]
        print(f"  after the {name:<7} round      {round_['rss_after_mb']:>8} MB  ({round_['seconds']} s, statuses {round_['statuses']})")
    print(f"  growth                      {figures['rss_growth_mb']:>8} MB")
    return 0


if __name__ == "__main__":
    sys.exit(main())
