"""The built-in semantic search tool (§13 item 21; DOC gateway-using-mcp-semantic-search, SAMPLE result shape)."""

from __future__ import annotations

import json
from typing import Any

from fake_gateway.search import rank_tools
from tests.fake_gateway.conftest import MCP_HEADERS, rpc
from tests.fake_gateway.test_mcp_endpoint import open_doc


def post(gw: Any, body: dict[str, Any]) -> dict[str, Any]:
    with gw.client() as client:
        return client.post(
            "/mcp", json=body, headers={**MCP_HEADERS, "MCP-Protocol-Version": "2025-06-18"}
        ).json()


def test_search_tool_listed_first_and_finds_tools(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(open_doc(tiny_target.mcp_url, mcp={"searchType": "SEMANTIC"}))
    tools = post(gw, rpc("tools/list"))["result"]["tools"]
    assert tools[0] == {
        "name": "x_amz_bedrock_agentcore_search",
        "description": "A special tool that returns a trimmed down list of tools given a context. Use this tool only "
        "when there are many tools available and you want to get a subset that matches the provided "
        "context.",
        "inputSchema": {
            "type": "object",
            "properties": {
                "query": {"type": "string", "description": "search query to use for finding tools"}
            },
            "required": ["query"],
        },
    }
    result = post(
        gw,
        rpc(
            "tools/call",
            {"name": "x_amz_bedrock_agentcore_search", "arguments": {"query": "find order information"}},
        ),
    )["result"]
    found = result["structuredContent"]["tools"]
    assert [t["name"] for t in found] == ["tiny___lookup_order"]
    assert set(found[0]) == {"name", "description", "inputSchema"}
    assert json.loads(result["content"][0]["text"]) == result["structuredContent"]
    assert result["isError"] is False
    # no query -> a tool error, not a protocol error
    assert (
        post(gw, rpc("tools/call", {"name": "x_amz_bedrock_agentcore_search", "arguments": {}}))["result"][
            "isError"
        ]
        is True
    )


def test_search_tool_absent_without_semantic_search(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(open_doc(tiny_target.mcp_url))
    names = [t["name"] for t in post(gw, rpc("tools/list"))["result"]["tools"]]
    assert "x_amz_bedrock_agentcore_search" not in names
    error = post(
        gw, rpc("tools/call", {"name": "x_amz_bedrock_agentcore_search", "arguments": {"query": "x"}})
    )
    assert error["error"]["message"] == "Unknown tool: x_amz_bedrock_agentcore_search"


def test_ranking_returns_at_most_ten_most_relevant_first() -> None:
    tools = [{"name": f"billing___tool_{i}", "description": f"Invoice helper number {i}"} for i in range(25)]
    tools.append({"name": "orders___getOrderStatus", "description": "Get the status of an order by id"})
    tools.append({"name": "orders___cancel", "description": "Cancel orders"})
    found = rank_tools("order status", tools, 10)
    assert [t["name"] for t in found] == ["orders___getOrderStatus", "orders___cancel"]
    assert len(rank_tools("invoice helper", tools, 10)) == 10
    assert rank_tools("the a of", tools, 10) == []
