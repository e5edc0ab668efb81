"""Lambda handlers for the gateway's unit tests (`emulator.lambdaFunctions` names them as module:function)."""

from __future__ import annotations

import asyncio
import time
from typing import Any

CALLS: list[dict[str, Any]] = []


def echo_context(event: Any, context: Any) -> Any:
    CALLS.append({"event": event, "custom": dict(context.client_context.custom) if context.client_context else None,
                  "name": context.function_name, "log_group": context.log_group_name})
    return {"event": event, "tool": context.client_context.custom["bedrockAgentCoreToolName"]}


async def async_upper(event: Any, context: Any) -> Any:
    await asyncio.sleep(0)
    return {k: str(v).upper() for k, v in event.items()}


def failing(event: Any, context: Any) -> Any:
    raise KeyError("order_id")


def sleepy(event: Any, context: Any) -> Any:
    time.sleep(0.6)
    return "late"


def returns_text(event: Any, context: Any) -> Any:
    return "plain text result"


def broken_interceptor(event: Any, context: Any) -> Any:
    return {"interceptorOutputVersion": "2.0"}


def recording_interceptor(event: Any, context: Any) -> Any:
    CALLS.append({"interceptor": event})
    mcp = event["mcp"]
    if "gatewayResponse" in mcp:
        return {"interceptorOutputVersion": "1.0", "mcp": {}}
    return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayRequest": {
        "body": mcp["gatewayRequest"]["body"], "headers": {"Authorization": "Bearer from-interceptor",
                                                           "x-tenant-id": "tenant-from-interceptor"}}}}
