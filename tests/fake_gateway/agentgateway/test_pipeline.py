"""The policy order on a route (sheet §2.7, §6 row 8): `cors` answers a preflight before mcpAuthentication runs."""

from __future__ import annotations

import asyncio
import copy
import json
from typing import Any

import pytest
from joserfc.jwk import RSAKey

from authstage_kit.clock import Clock
from fake_gateway.agentgateway.errors import McpAuthRequired
from fake_gateway.agentgateway.front import Reply
from fake_gateway.agentgateway.pipeline import Incoming, Pipeline
from fake_gateway.agentgateway.settings import AgentGateway
from tests.fake_gateway.agentgateway.pages import old_page

BROWSER = "http://localhost:6274"  # the MCP Inspector's origin
JWKS = json.dumps({"keys": [RSAKey.generate_key(2048, parameters={"kid": "k"}).as_dict(private=False)]})
CORS = {"allowOrigins": ["*"], "allowHeaders": ["mcp-protocol-version", "content-type", "authorization"],
        "allowMethods": ["GET", "POST", "OPTIONS"], "exposeHeaders": ["Mcp-Session-Id"]}


def gateway(cors: dict[str, Any] | None) -> AgentGateway:
    document = copy.deepcopy(old_page())
    policies = document["binds"][0]["listeners"][0]["routes"][0]["policies"]
    policies["mcpAuthentication"] |= {"jwks": JWKS, "resourceMetadata": {}}  # strict, inline keys: no fetch
    policies["authorization"]["rules"] = ['"read:tools" in jwt.permissions']
    if cors is not None:
        policies["cors"] = cors
    return AgentGateway.from_document({**document, "emulator": {"loader": "strict"}})


def preflight(cors: dict[str, Any] | None) -> Reply:
    request = Incoming("OPTIONS", "/mcp", {}, {"origin": BROWSER, "access-control-request-method": "POST",
                                                "access-control-request-headers": "authorization,content-type"},
                       b"", "http", "127.0.0.1:3000")

    async def run() -> Reply:
        pipeline = Pipeline(gateway(cors), clock=Clock())
        try:
            return await pipeline.handle(request)
        finally:
            await pipeline.close()

    return asyncio.run(run())


def test_cors_answers_a_preflight_before_authentication() -> None:
    reply = preflight(CORS)
    assert reply.status == 200
    assert reply.headers["access-control-allow-origin"] == "*"
    assert reply.headers["access-control-allow-methods"] == "GET,POST,OPTIONS"
    with pytest.raises(McpAuthRequired):  # without the policy the preflight meets the strict JWT check: 401
        preflight(None)
