"""`examples/setup_gateway.py` (boto3 + auth0-python + the mcp SDK, no authstage import) runs unchanged against
`authstage up --tls`, given only the environment lines it prints; the AWS CLI then lists and reads the gateway."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from harness import ProcessStack
from harness._demo import summary

ROOT = Path(__file__).resolve().parents[2]
AWS = str(Path(sys.executable).with_name("aws"))


class TlsProcessStack(ProcessStack):
    """`python -m harness up --json --quiet --tls`: the real command line, in a child process."""

    def command(self) -> list[str]:
        return [*super().command(), "--tls"]


@pytest.fixture(scope="module")
def stack():
    running = TlsProcessStack().start()
    try:
        yield running
    finally:
        running.stop()


def _env(stack) -> dict[str, str]:
    """This machine's environment without any AWS or Auth0 setting, plus exactly the printed lines."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "AUTH0_", "SSL_", "REQUESTS_"))}
    return {**clean, **stack.manifest["env"]}


def test_up_prints_the_lines_to_export(stack) -> None:
    env = stack.manifest["env"]
    for name in ("AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL", "AWS_ENDPOINT_URL", "SSL_CERT_FILE",
                 "REQUESTS_CA_BUNDLE", "NODE_EXTRA_CA_CERTS", "AUTH0_DOMAIN", "AUTH0_CLIENT_ID"):
        assert f"export {name}=" in summary(stack.manifest)
    assert env["AUTH0_DOMAIN"].startswith("localhost:") and env["AWS_ENDPOINT_URL"].startswith("https://localhost:")
    assert Path(env["NODE_EXTRA_CA_CERTS"]).read_text().startswith("-----BEGIN CERTIFICATE-----")


def test_setup_script_runs_unchanged_and_its_gateway_serves_a_tool(stack) -> None:
    result = subprocess.run([sys.executable, str(ROOT / "examples" / "setup_gateway.py")], env=_env(stack),
                            capture_output=True, text=True, timeout=180, cwd=ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "target" in result.stdout and "READY" in result.stdout
    assert "tools: search___echo, search___fail, search___search" in result.stdout
    assert '"query": "PKCE"' in result.stdout
    created = [g for g in stack.http.get(stack.gateway.url + "/_authstage/gateways").json()["gateways"]
               if not g["root"]]
    document = created[0]["document"]
    assert document["authorizerType"] == "CUSTOM_JWT" and document["targets"][0]["name"] == "search"
    assert document["credentialProviders"][0]["credentialProviderVendor"] == "CustomOauth2"
    # the DCR the script turned on, end to end: the SDK's OAuth client registers itself and logs in as alice
    url = stack.gateway.url + f"/gateways/{document['gatewayId']}/mcp"

    async def whoami() -> dict:
        async with stack.mcp_client(oauth=True, url=url) as session:
            return (await session.call_tool("search___whoami", {})).structured_content

    assert asyncio.run(whoami())["authenticated"]


def test_aws_cli_lists_and_gets_the_gateways(stack) -> None:
    env = _env(stack)
    listed = subprocess.run([AWS, "bedrock-agentcore-control", "list-gateways"], env=env, capture_output=True,
                            text=True, timeout=60)
    assert listed.returncode == 0, listed.stderr
    items = json.loads(listed.stdout)["items"]
    assert items[0]["name"] == "authstage-demo" and all(i["status"] == "READY" for i in items)
    url = subprocess.run([AWS, "bedrock-agentcore-control", "get-gateway", "--gateway-identifier",
                          items[0]["gatewayId"], "--query", "gatewayUrl", "--output", "text"],
                         env=env, capture_output=True, text=True, timeout=60)
    assert url.returncode == 0 and url.stdout.strip() == stack.gateway.mcp_url


def test_node_trusts_the_stack_through_node_extra_ca_certs(stack) -> None:
    import shutil

    node = shutil.which("node")
    if node is None:
        if os.environ.get("CI"):
            raise AssertionError("Node.js is needed in CI (apt-get install nodejs)")
        pytest.skip("needs Node.js (apt-get install nodejs)")
    script = "fetch(process.argv[1]).then(r => r.json()).then(d => console.log(d.issuer))"
    result = subprocess.run([node, "-e", script, stack.idp.discovery_url], env=_env(stack), capture_output=True,
                            text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == stack.idp.issuer
