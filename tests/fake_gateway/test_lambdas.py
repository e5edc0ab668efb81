"""Local Lambda functions (fake_gateway/lambdas.py): Python handlers, the Lambda Invoke API, the built-ins."""

from __future__ import annotations

import asyncio
import base64
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread
from fake_gateway.lambdas import LambdaError, LambdaInvoker, function_name, passthrough
from tests.fake_gateway import handlers

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders:live"


def invoker(functions: dict[str, str], timeout: float = 5) -> LambdaInvoker:
    return LambdaInvoker(lambda: functions, lambda: httpx.AsyncClient(trust_env=False), lambda: timeout)


def invoke(lambdas: LambdaInvoker, event: Any, **kwargs: Any) -> Any:
    return asyncio.run(lambdas.invoke(ARN, event, **kwargs))


def test_function_name_and_mapping_by_arn_or_name() -> None:
    assert function_name(ARN) == "orders" and function_name("orders") == "orders"
    assert invoker({"orders": "echo"}).handler_of(ARN, "passthrough") == "echo"
    assert invoker({}).handler_of(ARN, "passthrough") == "passthrough"


def test_python_handler_gets_event_and_lambda_context() -> None:
    lambdas = invoker({ARN: "tests.fake_gateway.handlers:echo_context"})
    custom = {"bedrockAgentCoreToolName": "t___x", "bedrockAgentCoreMessageVersion": "1.0"}
    assert invoke(lambdas, {"a": 1}, custom=custom) == {"event": {"a": 1}, "tool": "t___x"}
    seen = handlers.CALLS[-1]
    assert seen["custom"] == custom and seen["name"] == "orders" and seen["log_group"] == "/aws/lambda/orders"
    assert invoke(invoker({"orders": "tests.fake_gateway.handlers:async_upper"}), {"a": "b"}) == {"a": "B"}


def test_handler_from_a_file_path(tmp_path: Path) -> None:
    (tmp_path / "tool.py").write_text("def handler(event, context):\n    return {'doubled': event['n'] * 2}\n")
    assert invoke(invoker({ARN: f"{tmp_path / 'tool.py'}:handler"}), {"n": 21}) == {"doubled": 42}
    assert invoke(invoker({ARN: f"{tmp_path}:tool.handler"}), {"n": 1}) == {"doubled": 2}  # dir:module.function


@pytest.mark.parametrize(
    ("spec", "message"),
    [
        ("tests.fake_gateway.handlers:failing", "returned an error: KeyError: 'order_id'"),
        ("tests.fake_gateway.handlers:nope", "cannot load handler"),
        ("no.such.module:fn", "cannot load handler"),
        ("not-a-spec", "is not 'module:function'"),
    ],
)
def test_handler_failures_are_lambda_errors(spec: str, message: str) -> None:
    with pytest.raises(LambdaError, match=message):
        invoke(invoker({ARN: spec}), {})


def test_timeout_is_a_lambda_error() -> None:
    with pytest.raises(LambdaError, match=r"timed out after 0\.2 seconds"):
        invoke(invoker({ARN: "tests.fake_gateway.handlers:sleepy"}, timeout=0.2), {})


def test_builtins() -> None:
    assert invoke(invoker({}), {"x": 1}) == {"x": 1}  # echo
    request = {"mcp": {"gatewayRequest": {"body": {"id": 1}}}}
    assert passthrough(request) == {"interceptorOutputVersion": "1.0",
                                    "mcp": {"transformedGatewayRequest": {"body": {"id": 1}}}}
    response = {"mcp": {"gatewayRequest": {}, "gatewayResponse": {"statusCode": 200, "body": {"r": 1}}}}
    assert passthrough(response)["mcp"]["transformedGatewayResponse"] == {"statusCode": 200, "body": {"r": 1}}


@pytest.fixture(scope="module")
def invoke_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """The Lambda Invoke API as the Runtime Interface Emulator / `sam local start-lambda` serve it."""
    seen: list[dict[str, Any]] = []

    async def invocations(request: Request) -> JSONResponse:
        raw = request.headers.get("x-amz-client-context")
        context = json.loads(base64.b64decode(raw)) if raw else None
        event = await request.json()
        seen.append({"name": request.path_params["name"], "event": event, "context": context})
        if event.get("fail"):
            return JSONResponse({"errorMessage": "boom", "errorType": "ValueError"},
                                headers={"X-Amz-Function-Error": "Unhandled"})
        return JSONResponse({"ok": True})

    app = Starlette(routes=[Route("/2015-03-31/functions/{name}/invocations", invocations, methods=["POST"])])
    server = ServerThread(build=lambda url: app, name="lambda-invoke-api").start()
    yield server.url, seen
    server.stop()


def test_http_handler_speaks_the_lambda_invoke_api(invoke_api: Any) -> None:
    url, seen = invoke_api
    lambdas = invoker({ARN: url})
    assert invoke(lambdas, {"q": 1}, custom={"k": "v"}) == {"ok": True}
    assert seen[-1] == {"name": "orders", "event": {"q": 1}, "context": {"custom": {"k": "v"}, "env": {}, "client": {}}}
    with pytest.raises(LambdaError, match=r"returned an error .*boom"):
        invoke(lambdas, {"fail": True})
