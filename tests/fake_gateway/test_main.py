"""`python -m fake_gateway --config FILE [--json] [--no-control-plane]` as a real process."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx

from tests.fake_gateway.conftest import FakeIdP, jwt_document


def run(*args: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "fake_gateway", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=Path(__file__).parents[2],
    )


def test_json_ready_line_and_serving(idp: FakeIdP, tmp_path: Path) -> None:
    config = tmp_path / "gateway.json"
    config.write_text(json.dumps(jwt_document(idp, allowedScopes=["mcp:tools"])))
    process = run("--config", str(config), "--json", "--no-control-plane")
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        url = ready["url"]
        assert ready == {
            "service": "fake_gateway",
            "url": url,
            "mcp_url": f"{url}/mcp",
            "prm_url": f"{url}/.well-known/oauth-protected-resource",
        }
        assert url.startswith("http://127.0.0.1:")
        with httpx.Client(trust_env=False) as client:
            assert client.get(ready["prm_url"]).json()["resource"] == ready["mcp_url"]
            assert client.post(ready["mcp_url"], json={}).status_code == 401
            assert client.get(f"{url}/_authstage/config").status_code == 404  # control plane off
    finally:
        process.terminate()
        assert process.wait(timeout=10) == 0


def test_invalid_config_exits_2_naming_each_key(tmp_path: Path) -> None:
    config = tmp_path / "gateway.yaml"
    config.write_text(
        "name: bad_name\nauthorizerType: CUSTOM_JWT\nauthorizerConfiguration:\n"
        "  customJwtAuthorizer: {discoveryUrl: https://x/.well-known/openid-configuration}\n"
    )
    process = run("--config", str(config))
    _, err = process.communicate(timeout=30)
    assert process.returncode == 2
    assert "ValidationException" in err
    assert "name: Value 'bad_name' at 'name' failed to satisfy constraint" in err
    assert "Did you mean 'customJWTAuthorizer'?" in err
    missing = run("--config", str(tmp_path / "nope.json"))
    _, err = missing.communicate(timeout=30)
    assert missing.returncode == 2 and "nope.json" in err


def test_any_shape_loads_and_says_what_it_ignored() -> None:
    corpus = Path(__file__).parent / "corpus"
    process = run("--config", str(corpus / "cdk-synth.template.json"), "--json")
    try:
        assert process.stdout is not None
        ready = json.loads(process.stdout.readline())
        kinds = {n["kind"] for n in ready["notices"]}
        assert {"converted", "resolved", "ignored"} <= kinds
        with httpx.Client(trust_env=False) as client:
            tools = client.post(ready["mcp_url"], json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                headers={"Authorization": "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260101/us-east-1/"
                                         "bedrock-agentcore/aws4_request, SignedHeaders=host, Signature=" + "0" * 64,
                                         "Accept": "application/json", "MCP-Protocol-Version": "2025-06-18"})
            assert [t["name"] for t in tools.json()["result"]["tools"]] == ["tickets___create_ticket"]
    finally:
        process.terminate()
        _, err = process.communicate(timeout=10)
    assert "fake_gateway: converted: CDK synth output" in err
