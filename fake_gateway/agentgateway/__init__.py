"""fake_gateway.agentgateway: the agentgateway dialect (mcpAuthentication, CEL authorization, MCP multiplexing)."""

from __future__ import annotations

from fake_gateway.agentgateway.app import create_app
from fake_gateway.agentgateway.settings import AgentGateway

__all__ = ["AgentGateway", "create_app"]
