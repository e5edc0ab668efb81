"""Local Lambda handlers the pasted gateways of test_paste.py run (`emulator.lambdaFunctions`)."""

from __future__ import annotations

from typing import Any

SEEN: list[dict[str, Any]] = []  # every invocation: (handler, event, custom context)

CUSTOM_KEYS = {"bedrockAgentCoreMessageVersion", "bedrockAgentCoreAwsRequestId", "bedrockAgentCoreMcpMessageId",
               "bedrockAgentCoreGatewayId", "bedrockAgentCoreTargetId", "bedrockAgentCoreToolName"}


def calculator(event: dict[str, Any], context: Any) -> Any:
    """A Lambda target written as the developer guide's boilerplate: the tool name from the client context."""
    custom = context.client_context.custom
    SEEN.append({"handler": "calculator", "event": event, "custom": dict(custom),
                 "remaining_ms": context.get_remaining_time_in_millis(), "arn": context.invoked_function_arn})
    tool = custom["bedrockAgentCoreToolName"].split("___", 1)[1]
    if tool == "add_numbers":
        return {"sum": event["a"] + event["b"]}
    if tool == "multiply_numbers":
        return {"product": event["a"] * event["b"]}
    raise ValueError(f"unknown tool {tool}")


def notes(event: dict[str, Any], context: Any) -> Any:
    SEEN.append({"handler": "notes", "event": event})
    return {"notes": [f"note of {event.get('tenant', 'nobody')}"]}


def tenant_guard(event: dict[str, Any], context: Any) -> Any:
    """A REQUEST+RESPONSE interceptor: refuses tenant 'blocked', stamps every response."""
    mcp = event["mcp"]
    SEEN.append({"handler": "tenant_guard", "event": event})
    if "gatewayResponse" in mcp:
        body = dict(mcp["gatewayResponse"]["body"] or {})
        if isinstance(body.get("result"), dict):
            body["result"] = {**body["result"], "_meta": {"guard": "checked"}}
        return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayResponse": {
            "statusCode": mcp["gatewayResponse"]["statusCode"], "body": body}}}
    headers = {k.lower(): v for k, v in (mcp["gatewayRequest"].get("headers") or {}).items()}
    request = mcp["gatewayRequest"]["body"]
    if headers.get("x-tenant-id") == "blocked":
        return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayResponse": {
            "statusCode": 403,
            "body": {"jsonrpc": "2.0", "id": request.get("id"),
                     "error": {"code": -32003, "message": "tenant 'blocked' may not use this gateway"}}}}}
    if request.get("method") == "tools/call":
        request = {**request, "params": {**request["params"],
                                         "arguments": {**(request["params"].get("arguments") or {}),
                                                       "tenant": headers.get("x-tenant-id", "anonymous")}}}
    return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayRequest": {"body": request}}}
