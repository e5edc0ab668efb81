"""The MCP endpoint: versions, sessions, JSON vs SSE, pagination, bad input, and the `mcp` SDK client (§13 16, 22-24)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import httpx2
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from mcp import Client, ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp_types import methods as wire

from tests.fake_gateway.conftest import INIT, MCP_HEADERS, FakeIdP, jwt_document, rpc

VERSIONS = ["2025-03-26", "2025-06-18", "2025-11-25"]


def open_doc(
    target_url: str | None = None,
    *,
    mcp: dict[str, Any] | None = None,
    emulator: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A NONE-authorizer gateway (transport tests need no token)."""
    doc: dict[str, Any] = {
        "name": "open-gw",
        "authorizerType": "NONE",
        "protocolType": "MCP",
        "protocolConfiguration": {"mcp": {"supportedVersions": VERSIONS, **(mcp or {})}},
        "targets": [],
    }
    if target_url:
        doc["targets"] = [
            {"name": "tiny", "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": target_url}}}}
        ]
    if emulator:
        doc["emulator"] = emulator
    return doc


def post(
    gw: Any, body: Any, *, raw: bytes | None = None, version: str | None = "2025-06-18", **headers: str
) -> Any:
    hdrs = {**MCP_HEADERS, **headers}
    if version:
        hdrs["MCP-Protocol-Version"] = version
    with gw.client() as client:
        if raw is not None:
            return client.post("/mcp", content=raw, headers=hdrs)
        return client.post("/mcp", json=body, headers=hdrs)


def sse_events(text: str) -> list[dict[str, Any]]:
    events = []
    for block in text.split("\n\n"):
        if block.strip():
            lines = block.split("\n")
            assert lines[0] == "event: message", block
            assert lines[1].startswith("data: ")
            events.append(json.loads(lines[1][len("data: ") :]))
    return events


# --- initialize, ping, notifications ---------------------------------------------------------------------


def test_initialize_result_and_wire_schema(start_gateway: Any) -> None:
    gw = start_gateway(open_doc(mcp={"instructions": "Use the tiny tools."}))
    response = post(gw, INIT, version=None)
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert "mcp-session-id" not in response.headers  # no sessionConfiguration: stateless
    result = response.json()["result"]
    assert result == {
        "protocolVersion": "2025-06-18",
        "capabilities": {"tools": {"listChanged": True}},
        "serverInfo": {"name": "agentcore-gateway", "version": "1.0.0"},
        "instructions": "Use the tiny tools.",
    }
    wire.validate_server_result("initialize", "2025-06-18", result)
    assert post(gw, rpc("ping", id="p")).json() == {"jsonrpc": "2.0", "id": "p", "result": {}}
    note = post(gw, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    assert (note.status_code, note.content) == (202, b"")
    answer = post(gw, {"jsonrpc": "2.0", "id": 7, "result": {}})  # a client's response to a server request
    assert answer.status_code == 202
    assert post(gw, rpc("prompts/list")).json()["result"] == {"prompts": []}


# --- §13 item 23: protocol versions ----------------------------------------------------------------------


def test_unsupported_protocol_versions(start_gateway: Any) -> None:
    gw = start_gateway(open_doc(mcp={"supportedVersions": ["2025-03-26", "2025-06-18"]}))
    response = post(gw, rpc("tools/list"), version="2024-11-05")
    assert response.status_code == 400
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {
            "code": -32600,
            "message": "Bad Request: Unsupported protocol version: 2024-11-05. Supported versions: 2025-03-26, 2025-06-18",
        },
    }
    assert post(gw, rpc("tools/list"), version="2025-11-25").status_code == 400
    assert post(gw, rpc("tools/list"), version="2025-03-26").status_code == 200
    # initialize with an unsupported version negotiates down to the newest supported one
    init = rpc(
        "initialize",
        {"protocolVersion": "2025-11-25", "capabilities": {}, "clientInfo": {"name": "c", "version": "1"}},
    )
    assert post(gw, init, version=None).json()["result"]["protocolVersion"] == "2025-06-18"
    strict = start_gateway(
        open_doc(
            mcp={"supportedVersions": ["2025-06-18"]},
            emulator={"unsupportedInitializeVersion": "reject", "missingProtocolVersionHeader": "reject"},
        )
    )
    response = post(strict, init, version=None)
    assert response.status_code == 200
    assert response.json()["error"] == {
        "code": -32602,
        "message": "Unsupported protocol version: 2025-11-25. Supported versions: 2025-06-18",
    }
    assert post(strict, rpc("tools/list"), version=None).status_code == 400


def test_missing_version_header_assumes_2025_03_26(start_gateway: Any) -> None:
    assert post(start_gateway(open_doc()), rpc("tools/list"), version=None).status_code == 200
    only_new = start_gateway(open_doc(mcp={"supportedVersions": ["2025-11-25"]}))
    response = post(only_new, rpc("tools/list"), version=None)
    assert response.status_code == 400
    assert "2025-03-26" in response.json()["error"]["message"]


def test_2026_07_28_stateless_requests(start_gateway: Any) -> None:
    modern = start_gateway(open_doc(mcp={"supportedVersions": ["2025-11-25", "2026-07-28"]}))
    meta = {
        "io.modelcontextprotocol/protocolVersion": "2026-07-28",
        "io.modelcontextprotocol/clientCapabilities": {},
    }
    discover = post(
        modern,
        rpc("server/discover", {"_meta": meta}),
        version="2026-07-28",
        **{"Mcp-Method": "server/discover"},
    )
    assert discover.status_code == 200
    result = discover.json()["result"]
    assert result["supportedVersions"] == ["2025-11-25", "2026-07-28"]
    wire.validate_server_result("server/discover", "2026-07-28", result)
    listed = post(
        modern, rpc("tools/list", {"_meta": meta}), version="2026-07-28", **{"Mcp-Method": "tools/list"}
    )
    assert listed.json()["result"] == {
        "tools": [],
        "resultType": "complete",
        "ttlMs": 0,
        "cacheScope": "private",
        # 2026-07-28 ResultMetaObject: serverInfo SHOULD be on every response (knob emulator.serverInfoMeta)
        "_meta": {"io.modelcontextprotocol/serverInfo": {"name": "agentcore-gateway", "version": "1.0.0"}},
    }
    mismatch = post(
        modern, rpc("tools/list", {"_meta": meta}), version="2026-07-28", **{"Mcp-Method": "tools/call"}
    )
    assert mismatch.status_code == 400 and mismatch.json()["error"]["code"] == -32020
    no_meta = post(modern, rpc("tools/list"), version="2026-07-28", **{"Mcp-Method": "tools/list"})
    assert no_meta.status_code == 400 and no_meta.json()["error"]["code"] == -32602
    # a gateway without 2026-07-28 rejects the probe so that auto clients fall back to initialize
    legacy = start_gateway(open_doc())
    response = post(
        legacy,
        rpc("server/discover", {"_meta": meta}),
        version="2026-07-28",
        **{"Mcp-Method": "server/discover"},
    )
    assert response.status_code == 400
    assert response.json()["error"] == {
        "code": -32022,
        "message": "Unsupported protocol version",
        "data": {"supported": VERSIONS, "requested": "2026-07-28"},
    }


# --- §13 item 22: sessions -----------------------------------------------------------------------------


def test_sessions_missing_unknown_expired_and_other_user(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(
        jwt_document(
            idp, allowedAudience=["api"], mcp={"sessionConfiguration": {"sessionTimeoutInSeconds": 900}}
        )
    )
    alice = {"Authorization": f"Bearer {idp.mint(aud='api', sub='alice')}"}
    bob = {"Authorization": f"Bearer {idp.mint(aud='api', sub='bob')}"}
    init = post(gw, INIT, version=None, **alice)
    session = init.headers["mcp-session-id"]
    assert session.startswith("session-") and len(session) == 40
    assert post(gw, rpc("tools/list", id=2), **alice, **{"Mcp-Session-Id": session}).status_code == 200
    missing = post(gw, rpc("tools/list", id=2), **alice)
    assert missing.status_code == 400
    assert missing.json() == {
        "jsonrpc": "2.0",
        "id": 2,
        "error": {"code": -32600, "message": "Bad Request: Missing session ID"},
    }
    unknown = post(gw, rpc("tools/list", id=3), **alice, **{"Mcp-Session-Id": "session-bogus"})
    assert unknown.status_code == 404
    assert unknown.json()["error"] == {"code": -32600, "message": "Not Found: Invalid or expired session ID"}
    assert post(gw, rpc("tools/list"), **bob, **{"Mcp-Session-Id": session}).status_code == 404
    assert "another principal ('alice', caller 'bob')" in gw.control.records()[-1]["reason"]
    gw.control.clock.apply({"advance": 901})  # the timeout is absolute from initialize
    alice = {
        "Authorization": f"Bearer {idp.mint(aud='api', sub='alice', exp=int(gw.control.clock.now()) + 600)}"
    }
    assert post(gw, rpc("tools/list"), **alice, **{"Mcp-Session-Id": session}).status_code == 404
    assert "expired" in gw.control.records()[-1]["reason"]


def test_delete_ends_a_session(start_gateway: Any) -> None:
    gw = start_gateway(open_doc(mcp={"sessionConfiguration": {}}))
    session = post(gw, INIT, version=None).headers["mcp-session-id"]
    with gw.client() as client:
        assert client.delete("/mcp", headers={"Mcp-Session-Id": session}).status_code == 200
        assert client.get("/mcp", headers={"Mcp-Session-Id": session}).status_code == 405
    assert post(gw, rpc("ping"), **{"Mcp-Session-Id": session}).status_code == 404
    stateless = start_gateway(open_doc())
    with stateless.client() as client:
        response = client.delete("/mcp")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


# --- §13 item 24: JSON vs SSE --------------------------------------------------------------------------


def test_streaming_negotiation(start_gateway: Any, tiny_target: Any) -> None:
    streaming = start_gateway(
        open_doc(tiny_target.mcp_url, mcp={"streamingConfiguration": {"enableResponseStreaming": True}})
    )
    sse = post(streaming, rpc("tools/list"))
    assert sse.headers["content-type"].startswith("text/event-stream")
    assert sse.text.startswith('event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"tools":[')
    assert [t["name"] for t in sse_events(sse.text)[0]["result"]["tools"]] == [
        "tiny___count",
        "tiny___lookup_order",
    ]
    plain = post(streaming, rpc("tools/list"), Accept="application/json")
    assert plain.headers["content-type"] == "application/json"
    off = start_gateway(open_doc(tiny_target.mcp_url))
    assert post(off, rpc("tools/list")).headers["content-type"] == "application/json"


def test_streamed_tool_call_forwards_target_progress(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(
        open_doc(tiny_target.mcp_url, mcp={"streamingConfiguration": {"enableResponseStreaming": True}})
    )
    body = rpc(
        "tools/call",
        {"name": "tiny___count", "arguments": {"n": 3}, "_meta": {"progressToken": "p-1"}},
        id="call-1",
    )
    events = sse_events(post(gw, body).text)
    assert [e.get("method") for e in events] == ["notifications/progress"] * 3 + [None]
    assert events[0]["params"] == {"progressToken": "p-1", "progress": 1.0, "total": 3.0, "message": "step 1"}
    assert events[-1]["id"] == "call-1"
    assert events[-1]["result"]["content"][0]["text"] == "counted to 3"
    # without a client token the gateway names its own (DOC example "auto-1")
    body["params"].pop("_meta")
    events = sse_events(post(gw, body).text)
    assert events[0]["params"]["progressToken"].startswith("auto-")


# --- tools/list pagination, §13 item 16 unknown tools ------------------------------------------------------


def test_tools_list_pagination(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(
        open_doc(tiny_target.mcp_url, mcp={"searchType": "SEMANTIC"}, emulator={"toolsPageSize": 2})
    )
    first = post(gw, rpc("tools/list")).json()["result"]
    assert [t["name"] for t in first["tools"]] == ["x_amz_bedrock_agentcore_search", "tiny___count"]
    second = post(gw, rpc("tools/list", {"cursor": first["nextCursor"]})).json()["result"]
    assert [t["name"] for t in second["tools"]] == ["tiny___lookup_order"]
    assert "nextCursor" not in second
    bad = post(gw, rpc("tools/list", {"cursor": "garbage!"})).json()
    assert bad["error"] == {"code": -32602, "message": "Invalid params: invalid cursor"}
    whole = start_gateway(
        open_doc(
            tiny_target.mcp_url, mcp={"disableMcpListToolsPagination": True}, emulator={"toolsPageSize": 1}
        )
    )
    assert len(post(whole, rpc("tools/list")).json()["result"]["tools"]) == 2


def test_unknown_tool(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(open_doc(tiny_target.mcp_url))
    response = post(gw, rpc("tools/call", {"name": "kb_search", "arguments": {}}))
    assert response.status_code == 200
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": 1,
        "error": {"code": -32602, "message": "Unknown tool: kb_search"},
    }
    assert "has no '<target>___' prefix" in gw.control.app_logs()[-1]["body"]["reason"]
    assert (
        post(gw, rpc("tools/call", {"name": "tiny___nope"})).json()["error"]["message"]
        == "Unknown tool: tiny___nope"
    )
    assert post(gw, rpc("tools/call", {"name": "other___count"})).json()["error"]["code"] == -32602
    http404 = start_gateway(open_doc(tiny_target.mcp_url, emulator={"unknownToolResponse": "http404"}))
    response = post(http404, rpc("tools/call", {"name": "kb_search"}))
    assert response.status_code == 404
    assert response.json()["error"]["message"] == "ResourceNotFoundError: The specified tool does not exist."


# --- bad input ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("raw", "status", "error"),
    [
        (b"{not json", 400, {"code": -32700, "message": "Parse error"}),
        (b"\xff\xfe\x00", 400, {"code": -32700, "message": "Parse error"}),
        (b"[]", 400, {"code": -32600, "message": "Invalid Request: JSON-RPC batches are not supported"}),
        (
            b'[{"jsonrpc":"2.0","id":1,"method":"ping"}]',
            400,
            {"code": -32600, "message": "Invalid Request: JSON-RPC batches are not supported"},
        ),
        (b'"hello"', 400, {"code": -32600, "message": "Invalid Request"}),
        (b'{"id":1,"method":"ping"}', 400, {"code": -32600, "message": "Invalid Request"}),
        (b'{"jsonrpc":"2.0","id":true,"method":"ping"}', 400, {"code": -32600, "message": "Invalid Request"}),
        (b'{"jsonrpc":"2.0","id":1,"method":5}', 400, {"code": -32600, "message": "Invalid Request"}),
        (b'{"jsonrpc":"2.0","id":1}', 400, {"code": -32600, "message": "Invalid Request"}),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"no/such"}',
            200,
            {"code": -32601, "message": "Method not found"},
        ),
        (
            b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":[1]}',
            200,
            {"code": -32602, "message": "Invalid params"},
        ),
    ],
)
def test_bad_input_gets_json_rpc_errors(
    start_gateway: Any, raw: bytes, status: int, error: dict[str, Any]
) -> None:
    gw = start_gateway(open_doc())
    response = post(gw, None, raw=raw)
    assert response.status_code == status
    assert response.json()["error"] == error
    assert response.json()["jsonrpc"] == "2.0"


def _nested(depth: int) -> bytes:
    """A ping nested `depth` levels in all: the message, params and _meta objects, then `depth - 3` lists."""
    lists = b"[" * (depth - 3) + b"]" * (depth - 3)
    return b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"_meta":{"x":' + lists + b"}}}"


def test_the_json_depth_limit_is_exactly_max_json_depth(start_gateway: Any) -> None:
    """Knob maxJsonDepth (default 64): a body nested exactly that deep is parsed, one level more is -32700."""
    gw = start_gateway(open_doc())
    for limit in (64, 10):
        if limit != 64:
            gw.control.patch({"emulator": {"maxJsonDepth": limit}})
        at_limit, beyond = post(gw, None, raw=_nested(limit)), post(gw, None, raw=_nested(limit + 1))
        assert at_limit.status_code == 200 and at_limit.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}
        assert beyond.status_code == 400 and beyond.json()["error"] == {"code": -32700, "message": "Parse error"}
        assert gw.control.records()[-1]["reason"] == (
            f"body nests {limit + 1} levels deep; emulator.maxJsonDepth is {limit}"
        )


def test_wrong_param_types_content_type_and_size(start_gateway: Any) -> None:
    gw = start_gateway(open_doc(emulator={"maxRequestBytes": 2048}))
    wrong = post(gw, rpc("tools/call", {"name": 5}))
    assert wrong.status_code == 200
    assert wrong.json()["error"]["code"] == -32602
    assert wrong.json()["error"]["message"].startswith("Invalid params: params.name: ")
    assert post(gw, rpc("tools/list", {"cursor": 3})).json()["error"]["code"] == -32602
    text = post(gw, None, raw=b'{"jsonrpc":"2.0","id":1,"method":"ping"}', **{"Content-Type": "text/plain"})
    assert text.status_code == 415
    assert text.json()["error"] == {
        "code": -32600,
        "message": "Unsupported Media Type: Content-Type must be application/json",
    }
    big = post(gw, rpc("tools/call", {"name": "x", "arguments": {"blob": "a" * 5000}}))
    assert big.status_code == 413
    assert big.json()["error"]["message"].startswith("Request body too large: ")
    with gw.client() as client:
        response = client.get("/mcp")
    assert response.status_code == 405 and response.headers["allow"] == "POST"


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    body=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=8),
        lambda inner: (
            st.lists(inner, max_size=3)
            | st.dictionaries(
                st.sampled_from(
                    [
                        "jsonrpc",
                        "id",
                        "method",
                        "params",
                        "name",
                        "arguments",
                        "cursor",
                        "protocolVersion",
                        "_meta",
                    ]
                ),
                inner,
                max_size=4,
            )
        ),
        max_leaves=12,
    ),
    method=st.sampled_from(["initialize", "tools/list", "tools/call", "ping", "x"]),
)
def test_random_bodies_never_500(start_gateway: Any, body: Any, method: str) -> None:
    gw = _fuzz_gateway(start_gateway)
    envelope = (
        body if not isinstance(body, dict) else {"jsonrpc": "2.0", "id": 1, "method": method, "params": body}
    )
    for payload in (body, envelope):
        response = post(gw, payload)
        assert response.status_code in (200, 202, 400, 404, 413), response.text
        if response.status_code != 202:
            assert response.json()["jsonrpc"] == "2.0"


_FUZZ: dict[str, Any] = {}


def _fuzz_gateway(start_gateway: Any) -> Any:
    """One gateway for all hypothesis examples of one test run (start_gateway hands out a server per call)."""
    if _FUZZ.get("owner") is not start_gateway:
        _FUZZ.update(owner=start_gateway, gw=start_gateway(open_doc()))
    return _FUZZ["gw"]


# --- the mcp SDK client through all of it ----------------------------------------------------------------


async def _sdk_session(url: str, token: str | None, mode: str) -> dict[str, Any]:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with (
        httpx2.AsyncClient(headers=headers, trust_env=False, timeout=30) as http,
        Client(streamable_http_client(url, http_client=http), mode=mode) as client,  # type: ignore[arg-type]
    ):
        tools = await client.list_tools()
        result = await client.call_tool("tiny___lookup_order", {"order_id": "42"})
        return {
            "version": client.protocol_version,
            "tools": [t.name for t in tools.tools],
            "text": result.content[0].text,
            "instructions": client.instructions,
        }  # type: ignore[union-attr]


def test_sdk_client_auto_mode_falls_back_when_2026_is_not_supported(
    start_gateway: Any, tiny_target: Any
) -> None:
    gw = start_gateway(open_doc(tiny_target.mcp_url, mcp={"instructions": "hi"}))
    seen = asyncio.run(_sdk_session(gw.mcp_url, None, "auto"))
    assert seen == {
        "version": "2025-11-25",
        "tools": ["tiny___count", "tiny___lookup_order"],
        "text": "order 42: shipped",
        "instructions": "hi",
    }
    probe = gw.control.records()[0]
    assert (probe["request"]["body"]["method"], probe["status"]) == ("server/discover", 400)


def test_sdk_client_auto_mode_speaks_2026_07_28_when_supported(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(open_doc(tiny_target.mcp_url, mcp={"supportedVersions": [*VERSIONS, "2026-07-28"]}))
    seen = asyncio.run(_sdk_session(gw.mcp_url, None, "auto"))
    assert seen["version"] == "2026-07-28"
    assert seen["text"] == "order 42: shipped"
    assert [r["request"]["body"]["method"] for r in gw.control.records()] == [
        "server/discover",
        "tools/list",
        "tools/call",
    ]


def test_sdk_client_legacy_mode_with_sessions_and_sse(
    idp: FakeIdP, start_gateway: Any, tiny_target: Any
) -> None:
    target = {
        "name": "tiny",
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": tiny_target.mcp_url}}},
    }
    gw = start_gateway(
        jwt_document(
            idp,
            allowedAudience=["api"],
            targets=[target],
            mcp={
                "sessionConfiguration": {"sessionTimeoutInSeconds": 900},
                "streamingConfiguration": {"enableResponseStreaming": True},
            },
        )
    )
    seen = asyncio.run(_sdk_session(gw.mcp_url, idp.mint(aud="api"), "legacy"))
    assert seen["version"] == "2025-11-25"
    assert seen["text"] == "order 42: shipped"
    records = gw.control.records()
    assert records[0]["response"]["headers"]["mcp-session-id"].startswith("session-")
    later = [r for r in records[1:] if r["method"] == "POST"]
    assert all(
        r["request"]["headers"]["mcp-session-id"] == records[0]["response"]["headers"]["mcp-session-id"]
        for r in later
    )
    assert any(
        r["response"]["headers"].get("content-type", "").startswith("text/event-stream") for r in later
    )
    assert records[-1]["method"] == "DELETE" and records[-1]["status"] == 200


def test_sdk_low_level_session_gets_progress(start_gateway: Any, tiny_target: Any) -> None:
    gw = start_gateway(
        open_doc(tiny_target.mcp_url, mcp={"streamingConfiguration": {"enableResponseStreaming": True}})
    )
    progress: list[tuple[float, float | None, str | None]] = []

    async def run() -> str:
        async def on_progress(value: float, total: float | None, message: str | None) -> None:
            progress.append((value, total, message))

        async with (
            httpx2.AsyncClient(trust_env=False, timeout=30) as http,
            streamable_http_client(gw.mcp_url, http_client=http) as (read, write),
            ClientSession(read, write) as session,
        ):
            await session.initialize()
            result = await session.call_tool("tiny___count", {"n": 2}, progress_callback=on_progress)
            return result.content[0].text  # type: ignore[union-attr]

    assert asyncio.run(run()) == "counted to 2"
    assert progress == [(1.0, 2.0, "step 1"), (2.0, 2.0, "step 2")]


def test_unauthenticated_sdk_client_sees_401(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))

    async def run() -> None:
        async with (
            httpx2.AsyncClient(trust_env=False) as http,
            Client(streamable_http_client(gw.mcp_url, http_client=http), mode="legacy") as client,
        ):  # type: ignore[arg-type]
            await client.list_tools()

    with pytest.raises(BaseException):  # noqa: B017 - the SDK surfaces the 401 as an MCPError (in a group)
        asyncio.run(run())
    assert gw.control.records()[0]["status"] == 401


def test_gateway_http_client_reuse(start_gateway: Any) -> None:
    gw = start_gateway(open_doc())
    with httpx.Client(base_url=gw.url, trust_env=False) as client:
        for _ in range(3):
            assert (
                client.post(
                    "/mcp", json=rpc("ping"), headers={**MCP_HEADERS, "MCP-Protocol-Version": "2025-06-18"}
                ).status_code
                == 200
            )



@pytest.mark.parametrize(("where", "stamped"), [("every-result", {"server/discover", "tools/list"}),
                                                ("discover-only", {"server/discover"}), ("none", set())])
def test_server_info_meta_2026_07_28(start_gateway: Any, where: str, stamped: set[str]) -> None:
    """2026-07-28 ResultMetaObject: serverInfo "SHOULD [be] on every response" (spec); AgentCore UNKNOWN: knob
    emulator.serverInfoMeta. The mcp SDK client reads it from server/discover (`_parse_server_info_stamp`)."""
    modern = start_gateway(open_doc(mcp={"supportedVersions": ["2026-07-28"]}, emulator={"serverInfoMeta": where}))
    meta = {"io.modelcontextprotocol/protocolVersion": "2026-07-28", "io.modelcontextprotocol/clientCapabilities": {}}
    for method in ("server/discover", "tools/list"):
        result = post(modern, rpc(method, {"_meta": meta}), version="2026-07-28", **{"Mcp-Method": method}).json()
        info = (result["result"].get("_meta") or {}).get("io.modelcontextprotocol/serverInfo")
        assert (info == {"name": "agentcore-gateway", "version": "1.0.0"}) == (method in stamped), (where, method)
