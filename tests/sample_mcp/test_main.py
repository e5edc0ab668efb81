"""`python -m sample_mcp`: the ready line and a real MCP round trip against the process."""

from __future__ import annotations

import json
import subprocess
import sys

import httpx


def test_module_prints_one_json_ready_line_and_serves(tmp_path) -> None:
    process = subprocess.Popen(
        [sys.executable, "-m", "sample_mcp", "--port", "0", "--json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = process.stdout.readline()
        ready = json.loads(line)
        assert ready["service"] == "sample_mcp"
        assert ready["url"].startswith("http://127.0.0.1:")
        assert ready["mcp_url"] == ready["url"] + "/mcp"
        response = httpx.post(
            ready["mcp_url"],
            json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
            headers={"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"},
        )
        assert [t["name"] for t in response.json()["result"]["tools"]][0] == "search"
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_auth_flags_must_come_together() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "sample_mcp", "--auth-issuer", "http://127.0.0.1:1/"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert result.returncode != 0
    assert "--auth-issuer and --auth-audience go together" in result.stderr
