"""Which gateway a config document is for: an AWS AgentCore `get-gateway` document, or an agentgateway config.

agentgateway's top-level keys (sheet §1; AG:src/types/local.rs#L318-L395) never occur in an AgentCore document
(`name`, `authorizerType`, `protocolType`, `targets`, ...), so the keys decide; `emulator` belongs to both.
"""

from __future__ import annotations

from typing import Any, Literal

__all__ = ["AGENTGATEWAY_KEYS", "Dialect", "detect"]

Dialect = Literal["agentcore", "agentgateway"]
AGENTGATEWAY_KEYS = frozenset({
    "config", "binds", "frontendPolicies", "workloads", "services", "backends", "routeGroups", "gateways",
    "routes", "tcpRoutes", "llm", "mcp", "ui",
})


def detect(document: Any) -> Dialect:
    """`agentgateway` when the document has one of agentgateway's own top-level keys, else `agentcore`."""
    if isinstance(document, dict) and AGENTGATEWAY_KEYS & set(document):
        return "agentgateway"
    return "agentcore"
