"""Lambda functions, invoked locally: the handlers behind Lambda targets and interceptors (sheet §6.6, §7.5).

A function ARN (or its name) maps to a handler in the knob `emulator.lambdaFunctions`:

* `package.module:function` or `path/to/file.py:function` - a Python Lambda handler `handler(event, context)`
  (sync or async), run in a worker thread with a `LambdaContext` like the Lambda Python runtime's (AWS Lambda
  Developer Guide, "Using the Lambda context object to retrieve Python function information"); Lambda targets
  read AgentCore's metadata from `context.client_context.custom` (DOC gateway-add-target-lambda:
  bedrockAgentCoreMessageVersion, ...AwsRequestId, ...McpMessageId, ...GatewayId, ...TargetId, ...ToolName);
* `http://...` / `https://...` - the Lambda Invoke API (`POST /2015-03-31/functions/<name>/invocations`, the
  event as the body, the client context base64-encoded in `X-Amz-Client-Context`, a function error flagged by
  `X-Amz-Function-Error`), so `sam local start-lambda` or the Lambda Runtime Interface Emulator answer;
* `echo` - the built-in default of Lambda targets: the event comes back as the result;
* `passthrough` - the built-in default of interceptors: the request (or response) goes on unchanged.
"""

from __future__ import annotations

import asyncio
import base64
import importlib
import importlib.util
import inspect
import json
import sys
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from authstage_kit import ids
from fake_gateway.errors import Failure

__all__ = ["ClientContext", "LambdaContext", "LambdaError", "LambdaInvoker", "function_name"]

INVOKE_PATH = "/2015-03-31/functions/{name}/invocations"  # AWS Lambda API reference, Invoke


class LambdaError(Failure):
    """The function failed (or could not be run); `reason` is for logs and DEBUG mode."""


@dataclass
class ClientContext:
    """`context.client_context` (the Lambda Python runtime's shape: custom, env, client)."""

    custom: dict[str, Any] = field(default_factory=dict)
    env: dict[str, Any] = field(default_factory=dict)
    client: Any = None


@dataclass
class LambdaContext:
    """What a Python handler's `context` offers (the runtime's LambdaContext attributes)."""

    function_name: str
    invoked_function_arn: str
    aws_request_id: str
    client_context: ClientContext | None
    deadline: float
    function_version: str = "$LATEST"
    memory_limit_in_mb: str = "128"
    identity: Any = None

    @property
    def log_group_name(self) -> str:
        return f"/aws/lambda/{self.function_name}"

    @property
    def log_stream_name(self) -> str:
        return f"{time.strftime('%Y/%m/%d')}/[$LATEST]{self.aws_request_id.replace('-', '')}"

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self.deadline - time.monotonic()) * 1000))


def function_name(arn: str) -> str:
    """`my-fn` of `arn:aws:lambda:<region>:<acct>:function:my-fn[:qualifier]` (a bare name stays as is)."""
    if ":function:" in arn:
        return arn.split(":function:", 1)[1].split(":", 1)[0]
    return arn


class LambdaInvoker:
    """Runs the handler an ARN maps to; `default` is the built-in used when the ARN is not mapped."""

    def __init__(self, functions: Callable[[], Mapping[str, str]], http: Callable[[], httpx.AsyncClient],
                 timeout: Callable[[], float]) -> None:
        self._functions = functions
        self._http = http
        self._timeout = timeout
        self._files: dict[str, Any] = {}
        self.invocations = 0

    def handler_of(self, arn: str, default: str) -> str:
        functions = self._functions()
        return functions.get(arn) or functions.get(function_name(arn)) or default

    async def invoke(self, arn: str, event: Any, *, custom: Mapping[str, Any] | None = None,
                     default: str = "echo") -> Any:
        """The function's result (its JSON return value); LambdaError when it fails."""
        handler = self.handler_of(arn, default)
        self.invocations += 1
        timeout = self._timeout()
        try:
            if handler == "echo":
                return event
            if handler == "passthrough":
                return passthrough(event)
            if handler.startswith(("http://", "https://")):
                return await asyncio.wait_for(self._http_invoke(handler, arn, event, custom), timeout)
            return await asyncio.wait_for(self._python(handler, arn, event, custom, timeout), timeout)
        except TimeoutError:
            raise LambdaError(f"Lambda function {arn} timed out after {timeout:g} seconds") from None

    async def _python(self, spec: str, arn: str, event: Any, custom: Mapping[str, Any] | None,
                      timeout: float) -> Any:
        function = self._load(spec)
        context = LambdaContext(function_name(arn), arn, ids.uuid4(),
                                ClientContext(dict(custom)) if custom is not None else None,
                                time.monotonic() + timeout)
        try:
            if inspect.iscoroutinefunction(function):
                result = await function(event, context)
            else:
                result = await asyncio.to_thread(function, event, context)
        except Exception as exc:  # the function's own error, as Lambda reports it (errorType, errorMessage)
            raise LambdaError(f"Lambda function {arn} returned an error: {type(exc).__name__}: {exc}") from exc
        return json.loads(json.dumps(result, default=str))  # what crosses the Lambda boundary is JSON

    def _load(self, spec: str) -> Callable[..., Any]:
        target, sep, attr = spec.rpartition(":")
        if not sep or not target or not attr:
            raise LambdaError(f"handler {spec!r} is not 'module:function', 'file.py:function' or a URL")
        try:
            if target.endswith(".py") or "/" in target:
                module = self._file_module(target, attr)
                attr = attr.rsplit(".", 1)[-1]
            else:
                module = importlib.import_module(target)
            function = getattr(module, attr)
        except (ImportError, AttributeError, OSError, SyntaxError) as exc:
            raise LambdaError(f"cannot load handler {spec!r}: {type(exc).__name__}: {exc}") from None
        if not callable(function):
            raise LambdaError(f"handler {spec!r} is not callable")
        return function  # type: ignore[no-any-return]  # getattr of a user module

    def _file_module(self, target: str, attr: str) -> Any:
        path = Path(target)
        if path.is_dir() and "." in attr:  # 'dir:module.function', as agentcore-cli scaffolds name handlers
            path = path / (attr.rsplit(".", 1)[0].replace(".", "/") + ".py")
        key = str(path.resolve())
        if key not in self._files:
            spec = importlib.util.spec_from_file_location(f"authstage_lambda_{len(self._files)}", path)
            if spec is None or spec.loader is None:
                raise ImportError(f"no Python file at {path}")
            module = importlib.util.module_from_spec(spec)
            sys.path.insert(0, str(path.parent))
            try:
                spec.loader.exec_module(module)
            finally:
                sys.path.remove(str(path.parent))
            self._files[key] = module
        return self._files[key]

    async def _http_invoke(self, url: str, arn: str, event: Any, custom: Mapping[str, Any] | None) -> Any:
        parts = urlsplit(url)
        if parts.path in ("", "/"):
            url = url.rstrip("/") + INVOKE_PATH.format(name=function_name(arn))
        headers = {"Content-Type": "application/json", "X-Amz-Invocation-Type": "RequestResponse"}
        if custom is not None:
            context = {"custom": dict(custom), "env": {}, "client": {}}
            headers["X-Amz-Client-Context"] = base64.b64encode(json.dumps(context).encode()).decode()
        try:
            response = await self._http().post(url, content=json.dumps(event), headers=headers)
        except httpx.HTTPError as exc:
            raise LambdaError(f"cannot reach the Lambda endpoint {url}: {type(exc).__name__}: {exc}") from None
        try:
            payload = response.json()
        except ValueError:
            payload = response.text
        if response.headers.get("x-amz-function-error") or response.status_code >= 400:
            detail = payload.get("errorMessage", payload) if isinstance(payload, dict) else payload
            raise LambdaError(f"Lambda function {arn} returned an error (HTTP {response.status_code}): {detail}")
        return payload


def passthrough(event: Any) -> dict[str, Any]:
    """The built-in interceptor: the request body (or the response) goes on unchanged."""
    mcp = event.get("mcp") if isinstance(event, dict) else None
    mcp = mcp if isinstance(mcp, dict) else {}
    if isinstance(mcp.get("gatewayResponse"), dict):
        response = mcp["gatewayResponse"]
        out = {"statusCode": response.get("statusCode"), "body": response.get("body")}
        return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayResponse": out}}
    body = (mcp.get("gatewayRequest") or {}).get("body")
    return {"interceptorOutputVersion": "1.0", "mcp": {"transformedGatewayRequest": {"body": body}}}
