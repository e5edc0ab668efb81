"""The sample server's tools, driven with the real `mcp` SDK client in both transport modes."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx
import httpx2
import pytest
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from sample_mcp import SampleSettings
from tests.sample_mcp.conftest import ACCEPT, INIT


async def session_calls(url: str, calls: list[tuple[str, dict[str, Any]]]) -> tuple[list[str], list[Any]]:
    async with httpx2.AsyncClient() as http, streamable_http_client(url, http_client=http) as (read, write):
        async with ClientSession(read, write) as session:
            await session.initialize()
            names = [tool.name for tool in (await session.list_tools()).tools]
            results = [await session.call_tool(name, args) for name, args in calls]
    return names, results


@pytest.mark.parametrize("sessions", [False, True], ids=["stateless", "sessions"])
def test_sdk_client_lists_and_calls_every_tool(serve, sessions: bool) -> None:
    server = serve(sessions=sessions)
    names, (search, empty, fail, echo, whoami) = asyncio.run(
        session_calls(
            f"{server.url}/mcp",
            [
                ("search", {"q": "refresh token rotation", "limit": 3}),
                ("search", {"q": "   "}),
                ("fail", {"message": "boom on purpose"}),
                ("echo", {"text": "héllo"}),
                ("whoami", {}),
            ],
        )
    )
    assert names == ["search", "whoami", "echo", "fail", "slow"]
    assert not search.is_error
    results = search.structured_content["results"]
    assert 1 <= len(results) <= 3
    assert set(results[0]) == {"id", "title", "snippet", "url", "score"}
    assert "refresh" in (results[0]["title"] + results[0]["snippet"]).lower()
    assert empty.is_error and "The search query `q` is empty" in empty.content[0].text
    assert fail.is_error and "boom on purpose" in fail.content[0].text
    assert echo.structured_content == {"result": "héllo"}
    assert whoami.structured_content["authenticated"] is False
    assert "unauthenticated" in whoami.structured_content["message"]


def test_search_schema_declares_q_required_and_limit_bounds(serve) -> None:
    server = serve()
    body = {"jsonrpc": "2.0", "id": 2, "method": "tools/list", "params": {}}
    with httpx.Client(headers=ACCEPT | {"MCP-Protocol-Version": "2025-11-25"}) as http:
        tools = http.post(f"{server.url}/mcp", json=body).json()["result"]["tools"]
    schema = next(t for t in tools if t["name"] == "search")["inputSchema"]
    assert schema["required"] == ["q"]
    assert schema["properties"]["limit"]["minimum"] == 1 and schema["properties"]["limit"]["maximum"] == 20
    assert schema["properties"]["limit"]["default"] == 5


def test_limit_outside_1_to_20_is_a_tool_error_not_a_crash(serve) -> None:
    server = serve()
    _, (over, under) = asyncio.run(
        session_calls(
            f"{server.url}/mcp",
            [("search", {"q": "oauth", "limit": 21}), ("search", {"q": "oauth", "limit": 0})],
        )
    )
    assert over.is_error and "less than or equal to 20" in over.content[0].text
    assert under.is_error and "greater than or equal to 1" in under.content[0].text


def test_default_limit_is_five(serve) -> None:
    server = serve()
    _, (result,) = asyncio.run(session_calls(f"{server.url}/mcp", [("search", {"q": "token"})]))
    assert len(result.structured_content["results"]) == 5
    assert result.structured_content["total"] > 5


def test_slow_sleeps_but_never_past_the_cap(serve) -> None:
    server = serve(slow_cap_seconds=0.2)
    started = time.perf_counter()
    _, (result,) = asyncio.run(session_calls(f"{server.url}/mcp", [("slow", {"seconds": 30})]))
    assert time.perf_counter() - started < 5
    assert result.content[0].text == "slept 0.2 s"


def test_stateless_mode_answers_json_without_session_id(serve) -> None:
    server = serve()
    response = httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    assert "mcp-session-id" not in response.headers
    assert response.json()["result"]["serverInfo"]["name"] == "sample-search"


def test_session_mode_answers_sse_with_a_session_id_and_requires_it(serve) -> None:
    server = serve(sessions=True)
    with httpx.Client(headers=ACCEPT) as http:
        response = http.post(f"{server.url}/mcp", json=INIT)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        assert response.headers["mcp-session-id"]
        listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
        missing = http.post(f"{server.url}/mcp", json=listing, headers={"MCP-Protocol-Version": "2025-11-25"})
        assert missing.status_code == 400
        unknown = http.post(
            f"{server.url}/mcp",
            json=listing,
            headers={"MCP-Protocol-Version": "2025-11-25", "Mcp-Session-Id": "nope"},
        )
        assert unknown.status_code == 404


def test_host_header_guard_allows_loopback_names_and_blocks_others(serve) -> None:
    server = serve()
    port = server.port
    for host in (f"127.0.0.1:{port}", f"localhost:{port}"):
        assert httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT | {"Host": host}).status_code == 200
    blocked = httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT | {"Host": "evil.example:80"})
    assert blocked.status_code == 421


def test_transport_mode_can_be_switched_at_runtime(serve) -> None:
    server = serve()
    assert "mcp-session-id" not in httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT).headers
    assert httpx.patch(f"{server.url}/_authstage/config", json={"sessions": True}).status_code == 200
    assert "mcp-session-id" in httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT).headers


def test_settings_reject_unknown_keys() -> None:
    with pytest.raises(ValueError, match="sesions"):
        SampleSettings.model_validate({"sesions": True})
