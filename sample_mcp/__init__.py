"""sample_mcp: the MCP server with a `search` tool that the gateway (or a client) reaches."""

from __future__ import annotations

from sample_mcp.app import create_app
from sample_mcp.settings import SampleAuth, SampleSettings

__all__ = ["SampleAuth", "SampleSettings", "create_app"]
