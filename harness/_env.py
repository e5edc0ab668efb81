"""The environment a real setup script needs to run against a stack unchanged (docs/setup-scripts.md).

boto3 and the AWS CLI find the control plane through `AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL` (service-specific
endpoint, botocore >= 1.31; `AWS_ENDPOINT_URL` for every service) and need a region and some credentials (any
value: SigV4 is not verified). Auth0's SDKs take a domain (they build `https://{domain}/...`) and the
Management API application's credentials. With TLS, Python (`ssl`/httpx: SSL_CERT_FILE; requests and botocore:
REQUESTS_CA_BUNDLE, AWS_CA_BUNDLE; curl: CURL_CA_BUNDLE) and Node (NODE_EXTRA_CA_CERTS) trust the stack's CA.
"""

from __future__ import annotations

import shlex
from typing import Any
from urllib.parse import urlsplit

__all__ = ["DEMO_AWS_ACCESS_KEY_ID", "DEMO_AWS_SECRET_ACCESS_KEY", "environment", "export_lines"]

# Obviously fake: the emulator accepts any credentials (it reads the region from the signature, never checks it).
DEMO_AWS_ACCESS_KEY_ID = "AKIAAUTHSTAGEDEMO000"
DEMO_AWS_SECRET_ACCESS_KEY = "authstage-demo-secret-not-for-production-aws"


def environment(
    *,
    gateway_url: str,
    idp_url: str,
    mcp_url: str,
    region: str,
    management: dict[str, Any] | None,
    tls: dict[str, str] | None,
    aws: bool = True,
) -> dict[str, str]:
    """NAME -> value of every line `authstage up` prints (and the manifest carries as `env`); `aws`: the gateway
    answers the bedrock-agentcore-control API (the AgentCore dialect; agentgateway does not)."""
    env: dict[str, str] = {}
    if aws:
        env |= {
            "AWS_ENDPOINT_URL_BEDROCK_AGENTCORE_CONTROL": gateway_url,
            "AWS_ENDPOINT_URL": gateway_url,
            "AWS_REGION": region,
            "AWS_DEFAULT_REGION": region,
            "AWS_ACCESS_KEY_ID": DEMO_AWS_ACCESS_KEY_ID,
            "AWS_SECRET_ACCESS_KEY": DEMO_AWS_SECRET_ACCESS_KEY,
        }
    env |= {"AUTH0_DOMAIN": urlsplit(idp_url).netloc, "MCP_SERVER_URL": mcp_url}
    if management:
        env["AUTH0_CLIENT_ID"] = str(management["client_id"])
        env["AUTH0_CLIENT_SECRET"] = str(management.get("client_secret", ""))
    if tls:
        bundle, ca = tls["bundle_file"], tls["ca_file"]
        env |= {"SSL_CERT_FILE": bundle, "REQUESTS_CA_BUNDLE": bundle, "AWS_CA_BUNDLE": bundle,
                "CURL_CA_BUNDLE": bundle, "NODE_EXTRA_CA_CERTS": ca}
    return env


def export_lines(env: dict[str, str]) -> list[str]:
    return [f"export {name}={shlex.quote(value)}" for name, value in env.items()]
