"""What Actions cost per token: client-credentials latency (p50/p99) with no Action, a declarative one and a
JavaScript one (Node subprocess per execution), in process, sequential, bounded by a request count.

    .venv/bin/python bench/actions.py [--requests 60] [--quick]

The JavaScript row is skipped (and says so) when Node.js is not on PATH.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from authstage_kit.runner import ServerThread, bind_socket  # noqa: E402
from fake_idp import create_app, demo_tenant  # noqa: E402
from fake_idp.demo import DEMO_CLIENT_IDS  # noqa: E402

CLAIM = "https://bench.example.test/tenant"
DECLARATIVE = {"name": "bench", "trigger": "credentials-exchange",
               "api": [{"accessToken.setCustomClaim": [CLAIM, "${event.client.name}"]}]}  # fmt: skip
JAVASCRIPT = {"name": "bench", "trigger": "credentials-exchange",
              "code": "exports.onExecuteCredentialsExchange = async (event, api) => {"
                      f" api.accessToken.setCustomClaim('{CLAIM}', event.client.name); }};"}  # fmt: skip


def _measure(http: httpx.Client, requests: int) -> list[float]:
    body = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_IDS["demo-m2m"],
            "client_secret": "demo-secret-not-for-production-m2m-0001", "audience": "http://127.0.0.1:8000/mcp"}  # fmt: skip
    times = []
    for _ in range(requests):
        start = time.perf_counter()
        r = http.post("/oauth/token", json=body)
        times.append((time.perf_counter() - start) * 1000)
        assert r.status_code == 200, r.text
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=60)
    parser.add_argument("--quick", action="store_true", help="3 requests per case (make test: it works)")
    args = parser.parse_args()
    if args.quick:
        args.requests = 3
    server = ServerThread(build=lambda url: create_app(demo_tenant(), base_url=url), sock=bind_socket(),
                          name="fake_idp").start()  # fmt: skip
    control = server.app.state.control
    cases: list[tuple[str, list[dict[str, Any]]]] = [("no Action", []), ("declarative Action", [DECLARATIVE])]
    if shutil.which("node"):
        cases.append(("JavaScript Action (node)", [JAVASCRIPT]))
    else:
        print("JavaScript Action: skipped (node is not on PATH)")
    with httpx.Client(base_url=server.url, timeout=30) as http:
        for label, actions in cases:
            control.patch({"actions": actions})
            times = sorted(_measure(http, args.requests))
            p99 = times[min(len(times) - 1, int(len(times) * 0.99))]
            print(f"{label:28} p50 {statistics.median(times):7.1f} ms   p99 {p99:7.1f} ms   ({len(times)} tokens)")
    server.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
