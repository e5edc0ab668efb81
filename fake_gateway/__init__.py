"""fake_gateway: an AWS Bedrock AgentCore-style MCP gateway (CUSTOM_JWT authorizer, MCP front, MCP targets)."""

from __future__ import annotations

from fake_gateway.app import create_app
from fake_gateway.authorizer import explain_token
from fake_gateway.demo import demo_gateway
from fake_gateway.settings import Gateway
from fake_gateway.verdict import Check

__all__ = ["Check", "Gateway", "create_app", "demo_gateway", "explain_token"]
