"""mcp-remote 0.15.x (the MCP TypeScript SDK's OAuth client) runs headless through the chain.

It discovers the gateway's protected-resource metadata, the IdP's metadata, registers itself (DCR), opens the
authorize URL with `$BROWSER` (our `authstage-browser`, which logs in as the demo user and delivers the redirect
to mcp-remote's loopback callback), exchanges the code with PKCE and `resource`, then proxies MCP over stdio.
When node is on PATH this test must pass: `make test` installs mcp-remote into .venv/node first.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Any

import pytest

from harness import Stack, bind_socket

ROOT = Path(__file__).resolve().parents[2]
MCP_REMOTE = Path(os.environ.get("AUTHSTAGE_MCP_REMOTE", ROOT / ".venv/node/node_modules/.bin/mcp-remote"))

pytestmark = pytest.mark.node


class StdioPeer:
    def __init__(self, process: subprocess.Popen[str]) -> None:
        self.process = process
        self.lines: queue.Queue[str] = queue.Queue()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.put(line)

    def send(self, message: dict[str, Any]) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(json.dumps(message) + "\n")
        self.process.stdin.flush()

    def receive(self, message_id: int, timeout: float = 45) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = json.loads(self.lines.get(timeout=left))
            except queue.Empty:
                break
            if message.get("id") == message_id:
                return message
        raise AssertionError(f"no answer to request {message_id} from mcp-remote")


def test_mcp_remote_completes_dcr_pkce_and_calls_a_tool(tmp_path) -> None:
    if shutil.which("node") is None:
        pytest.skip("node is not installed")
    assert MCP_REMOTE.exists(), f"{MCP_REMOTE} missing: run `make test` (it installs mcp-remote@0.15.1 with npm)"
    browser = Path(sys.executable).with_name("authstage-browser")
    assert browser.exists(), "authstage-browser console script missing (pip install -e .)"
    sock = bind_socket()
    callback_port = sock.getsockname()[1]
    sock.close()
    with Stack() as stack:
        env = {k: v for k, v in os.environ.items() if k not in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP")}
        env |= {"BROWSER": str(browser), "MCP_REMOTE_CONFIG_DIR": str(tmp_path / "mcp-auth"),
                "AUTHSTAGE_HOME": str(tmp_path / "authstage")}
        process = subprocess.Popen(
            [str(MCP_REMOTE), stack.gateway.mcp_url, str(callback_port), "--host", "127.0.0.1", "--transport", "http-only"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
        )
        peer = StdioPeer(process)
        try:
            peer.send({"jsonrpc": "2.0", "id": 1, "method": "initialize",
                       "params": {"protocolVersion": "2025-11-25", "capabilities": {},
                                  "clientInfo": {"name": "authstage-test", "version": "1"}}})
            assert peer.receive(1)["result"]["protocolVersion"] == "2025-11-25"
            peer.send({"jsonrpc": "2.0", "method": "notifications/initialized"})
            peer.send({"jsonrpc": "2.0", "id": 2, "method": "tools/list"})
            names = [tool["name"] for tool in peer.receive(2)["result"]["tools"]]
            assert "search-server___search" in names
            peer.send({"jsonrpc": "2.0", "id": 3, "method": "tools/call",
                       "params": {"name": "search-server___search", "arguments": {"q": "dynamic client registration"}}})
            result = peer.receive(3)["result"]
            assert result.get("isError") is not True and result["structuredContent"]["results"]
        finally:
            assert process.stdin is not None
            process.stdin.close()
            try:
                process.wait(20)
            except subprocess.TimeoutExpired:
                process.kill()
            stderr = process.stderr.read() if process.stderr else ""
        log = stack.log()
    register = next(r for r in log if r["path"] == "/oidc/register")
    assert register["status"] == 201 and register["request"]["body"]["client_name"] == "MCP CLI Proxy"
    authorize = next(r for r in log if r["path"] == "/authorize")
    assert authorize["query"]["resource"] == stack.gateway.mcp_url, stderr
    token = next(r for r in log if r["path"] == "/oauth/token" and r["request"]["body"].get("grant_type") == "authorization_code")
    assert token["status"] == 200 and token["request"]["body"]["resource"] == stack.gateway.mcp_url
