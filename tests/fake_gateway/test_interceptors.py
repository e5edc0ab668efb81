"""REQUEST/RESPONSE interceptors (fake_gateway/interceptors.py, DOC gateway-interceptors-types) on a running
gateway: the event shapes, pass-through by default, a failing interceptor, streamed responses."""

from __future__ import annotations

import json
from typing import Any

from tests.fake_gateway import handlers
from tests.fake_gateway.conftest import MCP_HEADERS, rpc

GUARD = "arn:aws:lambda:us-east-1:123456789012:function:guard"
TOOL = "arn:aws:lambda:us-east-1:123456789012:function:tool"
HEADERS = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-06-18"}


def document(handler: str | None, points: list[str], *, pass_headers: bool = True, **extra: Any) -> dict[str, Any]:
    functions = {TOOL: "echo"} | ({GUARD: f"tests.fake_gateway.handlers:{handler}"} if handler else {})
    return {
        "name": "intercepted", "authorizerType": "NONE", "protocolType": "MCP",
        "interceptorConfigurations": [{"interceptor": {"lambda": {"arn": GUARD}}, "interceptionPoints": points,
                                       "inputConfiguration": {"passRequestHeaders": pass_headers}}],
        "targets": [{"name": "t", "targetConfiguration": {"mcp": {"lambda": {"lambdaArn": TOOL, "toolSchema": {
            "inlinePayload": [{"name": "say", "description": "Say", "inputSchema": {"type": "object"}}]}}}},
            "credentialProviderConfigurations": [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]}],
        "emulator": {"lambdaFunctions": functions}, **extra,
    }


def post(gw: Any, body: dict[str, Any], **headers: str) -> Any:
    with gw.client() as client:
        return client.post("/mcp", json=body, headers={**HEADERS, **headers})


def test_request_and_response_events_have_agentcores_shape(start_gateway: Any) -> None:
    gw = start_gateway(document("recording_interceptor", ["REQUEST", "RESPONSE"]))
    handlers.CALLS.clear()
    body = rpc("tools/call", {"name": "t___say", "arguments": {"w": 1}}, id=5)
    response = post(gw, body, **{"X-Trace": "abc"})
    assert json.loads(response.json()["result"]["content"][0]["text"]) == {"w": 1}
    request, answer = (c["interceptor"] for c in handlers.CALLS)
    assert request["interceptorInputVersion"] == "1.0"
    assert request["mcp"]["gatewayRequest"]["path"] == "/mcp" and request["mcp"]["gatewayRequest"]["httpMethod"] == "POST"
    assert request["mcp"]["gatewayRequest"]["body"] == body
    assert request["mcp"]["gatewayRequest"]["headers"]["x-trace"] == "abc"  # passRequestHeaders
    assert json.loads(request["mcp"]["rawGatewayRequest"]["body"]) == body
    assert answer["mcp"]["gatewayResponse"]["statusCode"] == 200
    assert answer["mcp"]["gatewayResponse"]["body"]["result"]["content"][0]["text"] == '{"w": 1}'


def test_an_unmapped_interceptor_passes_everything_through(start_gateway: Any) -> None:
    gw = start_gateway(document(None, ["REQUEST", "RESPONSE"]))
    names = [t["name"] for t in post(gw, rpc("tools/list")).json()["result"]["tools"]]
    assert names == ["t___say"]
    notices = gw.control.config.notices
    assert any("pass-through interceptor" in n.message for n in notices)


def test_a_broken_interceptor_is_an_internal_error(start_gateway: Any) -> None:
    gw = start_gateway(document("broken_interceptor", ["REQUEST"]))
    answer = post(gw, rpc("tools/list", id=9))
    assert answer.status_code == 200
    assert answer.json() == {"jsonrpc": "2.0", "id": 9, "error": {
        "code": -32603, "message": "An internal error occurred. Please retry later."}}
    gw = start_gateway(document("broken_interceptor", ["REQUEST"], exceptionLevel="DEBUG"))
    message = post(gw, rpc("tools/list", id=9)).json()["error"]["message"]
    assert message.startswith(f"interceptor {GUARD} returned") and "interceptorOutputVersion" in message
    assert any("interceptorOutputVersion" in (r["body"].get("reason") or "") for r in gw.control.app_logs())


def test_streamed_answers_run_the_response_interceptor_per_event(start_gateway: Any) -> None:
    doc = document("recording_interceptor", ["RESPONSE"],
                   protocolConfiguration={"mcp": {"streamingConfiguration": {"enableResponseStreaming": True}}})
    gw = start_gateway(doc)
    handlers.CALLS.clear()
    response = post(gw, rpc("tools/call", {"name": "t___say", "arguments": {}}, id=2))
    assert response.headers["content-type"].startswith("text/event-stream")
    event = json.loads(response.text.split("data: ", 1)[1])
    assert event["id"] == 2 and not event["result"]["isError"]
    (seen,) = [c["interceptor"]["mcp"]["gatewayResponse"] for c in handlers.CALLS]
    assert seen["isStreamingResponse"] is True and seen["statusCode"] == 200 and seen["body"]["id"] == 2
