"""Identifiers AWS derives for a gateway and its targets (DOC sheet §1), computed the same way everywhere.

`gatewayId` is `<name>-<10 lowercase alphanumerics>`, the ARN is `arn:aws:bedrock-agentcore:<region>:<acct>:
gateway/<gatewayId>`, the URL `https://<gatewayId>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp`, a
`targetId` 10 uppercase alphanumerics. A document that carries the real values keeps them; a create request, a
CloudFormation template or a Terraform plan gets stable stand-ins hashed from the name, so a template's
`!GetAtt Gateway.GatewayIdentifier` and the served gateway agree.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["gateway_arn", "gateway_id", "gateway_url", "hash10", "lambda_arn", "stand_in", "target_id"]


def hash10(seed: str, alphabet_upper: bool = False) -> str:
    """10 alphanumerics derived from `seed` (stable across runs and machines)."""
    text = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
    text = "".join(c for c in text if c.isalnum())[:10]
    return text.upper() if alphabet_upper else text.lower()


def stand_in(seed: str, length: int, *, upper: bool = False) -> str:
    """A longer stable stand-in id (Cognito client ids are 26 characters)."""
    text = base64.b32encode(hashlib.sha256(seed.encode()).digest()).decode().rstrip("=")
    text = "".join(c for c in text if c.isalnum())[:length]
    return text.upper() if upper else text.lower()


def gateway_id(name: str) -> str:
    return f"{name.lower()}-{hash10(name)}"


def target_id(name: str) -> str:
    return hash10(name, alphabet_upper=True)


def gateway_arn(region: str, account: str, gateway: str) -> str:
    return f"arn:aws:bedrock-agentcore:{region}:{account}:gateway/{gateway}"


def gateway_url(gateway: str, region: str) -> str:
    return f"https://{gateway}.gateway.bedrock-agentcore.{region}.amazonaws.com/mcp"


def lambda_arn(region: str, account: str, function: str) -> str:
    return f"arn:aws:lambda:{region}:{account}:function:{function}"
