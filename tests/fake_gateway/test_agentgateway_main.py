"""`python -m fake_gateway --config agentgateway.yaml` as a real process: `${VAR}` in flow syntax, the config's
MCP route in the ready line and the summary."""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path

CONFIG = """\
binds:
- port: 3100
  listeners:
  - routes:
    - matches:
      - path: {exact: /crm/mcp}
      backends:
      - mcp:
          targets:
          - {name: contacts, mcp: {host: ${CONTACTS_MCP_URL}}}
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def run(config: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CONTACTS_MCP_URL": "http://127.0.0.1:9/mcp"}
    return subprocess.Popen(
        [sys.executable, "-m", "fake_gateway", "--config", str(config), "--port", str(free_port()), *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, cwd=Path(__file__).parents[2], env=env,
    )


def test_flow_syntax_variable_loads_and_the_ready_line_names_the_route(tmp_path: Path) -> None:
    config = tmp_path / "agw.yaml"
    config.write_text(CONFIG)
    process = run(config, "--json")
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        assert ready["mcp_url"] == f"{ready['url']}/crm/mcp"
        assert ready["mcp_urls"] == [ready["mcp_url"]]
        assert ready["prm_url"] == f"{ready['url']}/.well-known/oauth-protected-resource/crm/mcp"
    finally:
        process.terminate()
        process.wait(timeout=10)


def test_the_summary_names_the_route(tmp_path: Path) -> None:
    config = tmp_path / "agw.yaml"
    config.write_text(CONFIG)
    process = run(config)
    try:
        assert process.stdout is not None
        line = ""
        while "listening on" not in line:
            line = process.stdout.readline()
            assert line, "exited before listening"
        assert line.rstrip().endswith("/crm/mcp)")
        assert "MCP endpoint http://127.0.0.1:" in line
    finally:
        process.terminate()
        process.wait(timeout=10)
