"""Real OAuth clients complete the dance with `BROWSER=authstage-browser` and nothing else.

FastMCP (PyPI `fastmcp`) opens the browser *before* its callback server listens, and Python's `webbrowser` waits for
`$BROWSER` to exit; the TypeScript SDK's example client does the same. `authstage-browser` returns at once and
delivers the redirect in the background, retrying the loopback callback until it listens. Each client runs in its
own process with a fresh environment, as a user would run it.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness import Stack
from harness._manifest import write_manifest

ROOT = Path(__file__).resolve().parents[2]
NODE_DIR = ROOT / ".venv" / "node"
TS_SDK = NODE_DIR / "node_modules" / "@modelcontextprotocol" / "sdk" / "package.json"
BROWSER = Path(sys.executable).with_name("authstage-browser")

FASTMCP_CLIENT = textwrap.dedent("""
    import asyncio, json, sys
    from fastmcp import Client
    from fastmcp.client.auth import OAuth

    async def main(url):
        async with Client(url, auth=OAuth(client_name="authstage fastmcp e2e", callback_host="127.0.0.1")) as client:
            tools = await client.list_tools()
            result = await client.call_tool("search-server___search", {"q": "PKCE", "limit": 1})
        print(json.dumps({"tools": [t.name for t in tools], "is_error": result.is_error}))

    asyncio.run(main(sys.argv[1]))
""")


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Stack, dict[str, str]]]:
    home = tmp_path_factory.mktemp("authstage-home")
    with Stack() as running:
        env = {**os.environ, "BROWSER": str(BROWSER), "AUTHSTAGE_HOME": str(home), "HOME": str(home)}
        for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP"):
            env.pop(name, None)
        os.environ["AUTHSTAGE_HOME"], previous = str(home), os.environ.get("AUTHSTAGE_HOME")
        try:
            write_manifest(running.manifest)  # so the browser finds the demo user, as after `authstage up`
        finally:
            if previous is None:
                del os.environ["AUTHSTAGE_HOME"]
            else:
                os.environ["AUTHSTAGE_HOME"] = previous
        yield running, env


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


def _logins(running: Stack) -> list[dict[str, object]]:
    return [r for r in running.idp.log() if r["path"] == "/authorize" and r["status"] == 302]


def test_authstage_browser_returns_at_once_and_prints_no_code(stack, tmp_path) -> None:
    running, env = stack
    url = f"{running.idp.authorization_endpoint}?client_id=x&redirect_uri=http://127.0.0.1:1/cb&response_type=code"
    done = subprocess.run([str(BROWSER), url], env=env, capture_output=True, text=True, timeout=8)  # under the 10 s delivery window: it must not wait for it
    assert done.returncode == 0 and "background" in done.stderr


def test_fastmcp_oauth_client_completes_the_dance(stack, tmp_path) -> None:
    running, env = stack
    script = tmp_path / "fastmcp_client.py"
    script.write_text(FASTMCP_CLIENT)
    done = subprocess.run([sys.executable, str(script), running.gateway.mcp_url], env=env, capture_output=True,
                          text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "search-server___search" in result["tools"] and result["is_error"] is False
    log = (Path(env["AUTHSTAGE_HOME"]) / "browser.log").read_text()
    assert "delivered to" in log and "code=[redacted]" in log
    assert not any("code=" in line and "[redacted]" not in line.split("code=", 1)[1][:12] for line in log.splitlines())


@pytest.mark.node
def test_typescript_sdk_oauth_client_completes_the_dance(stack, tmp_path) -> None:
    if shutil.which("node") is None or not TS_SDK.exists():
        if os.environ.get("CI") == "true":
            pytest.fail("CI must run this: `make node-tools` installs @modelcontextprotocol/sdk")
        pytest.skip("needs Node.js and `make node-tools` (installs @modelcontextprotocol/sdk into .venv/node)")
    running, env = stack
    script = NODE_DIR / "authstage_ts_sdk_oauth_client.mjs"  # inside .venv/node so node_modules resolves
    shutil.copyfile(Path(__file__).with_name("ts_sdk_oauth_client.mjs"), script)
    before = len(_logins(running))
    done = subprocess.run(["node", str(script), running.gateway.mcp_url, str(_free_port())], env=env,
                          capture_output=True, text=True, timeout=90)
    assert done.returncode == 0, done.stderr[-3000:]
    result = json.loads(done.stdout.strip().splitlines()[-1])
    assert "search-server___search" in result["tools"] and result["isError"] is False
    assert len(_logins(running)) > before
