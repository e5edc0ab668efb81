"""Targets whose tools come from a schema: Lambda, OpenAPI, API Gateway and Smithy (sheet §7.1, §6.6).

Listing reads the schema the target configuration carries (inline, or an `s3://` URI mapped to a local file by
the knob `emulator.schemaFiles`) and never calls the target. Calls go to: the Lambda function's local handler
(lambdas.py: the arguments as the event, AgentCore's metadata in `context.client_context.custom`); the OpenAPI /
API Gateway base URL (knob `emulator.targetBaseUrls`, else the schema's server) with the parameters placed as the
spec says, the target's outbound credential (credentials.py) and the propagated headers (propagation.py).
DOC gateway-add-target-lambda: "The Lambda's JSON return value is serialized into content[0].text".
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx

from authstage_kit import ids
from fake_gateway.credentials import CredentialError, OutboundCredentials
from fake_gateway.lambdas import LambdaError, LambdaInvoker
from fake_gateway.openapi import (
    Operation,
    apigateway_operations,
    base_url,
    operations,
    parse_spec,
    request_for,
)
from fake_gateway.propagation import CallContext, outgoing, returned
from fake_gateway.settings import Emulator, TargetSpec, View
from fake_gateway.smithy import smithy_tools
from fake_gateway.targets import TargetFailure

__all__ = ["SCHEMA_KINDS", "ToolTargets", "lambda_custom"]

SCHEMA_KINDS = ("lambda", "openApiSchema", "apiGateway", "smithyModel")
MESSAGE_VERSION = "1.0"  # DOC gateway-add-target-lambda: bedrockAgentCoreMessageVersion


def lambda_custom(view: View, spec: TargetSpec, tool: str, ctx: CallContext | None) -> dict[str, str]:
    """`context.client_context.custom` of a Lambda target invocation (DOC gateway-add-target-lambda)."""
    return {
        "bedrockAgentCoreMessageVersion": MESSAGE_VERSION,
        "bedrockAgentCoreAwsRequestId": ctx.request_id if ctx and ctx.request_id else ids.uuid4(),
        "bedrockAgentCoreMcpMessageId": str(ctx.rpc_id) if ctx and ctx.rpc_id is not None else "",
        "bedrockAgentCoreGatewayId": view.gateway_id,
        "bedrockAgentCoreTargetId": spec.target_id,
        "bedrockAgentCoreToolName": f"{spec.name}___{tool}",
    }


class ToolTargets:
    def __init__(self, *, lambdas: LambdaInvoker, credentials: OutboundCredentials,
                 http: Callable[[], httpx.AsyncClient], knobs: Callable[[], Emulator],
                 view: Callable[[], View]) -> None:
        self.lambdas = lambdas
        self.credentials = credentials
        self._http = http
        self._knobs = knobs
        self._view = view
        self.calls = 0

    # --- schemas

    def _text(self, source: Any, what: str) -> Any:
        """A schema given inline, or through an s3 URI mapped to a local file."""
        if not isinstance(source, dict):
            raise TargetFailure(f"{what} has no schema")
        if "inlinePayload" in source:
            return source["inlinePayload"]
        uri = (source.get("s3") or {}).get("uri")
        file = self._knobs().schemaFiles.get(str(uri))
        if file is None:
            raise TargetFailure(f"{what}: S3 is not reachable offline; map {uri!r} to a local file with "
                                "emulator.schemaFiles")
        try:
            return Path(file).read_text(encoding="utf-8")
        except OSError as exc:
            raise TargetFailure(f"{what}: cannot read {file!r} (emulator.schemaFiles): {exc.strerror}") from None

    def _tool_list(self, spec: TargetSpec, member: str) -> list[dict[str, Any]]:
        """Tool definitions given in `member` (Lambda toolSchema, mcpServer mcpToolSchema): a JSON list."""
        what = f"target {spec.name!r} {member}"
        tools = self._text(spec.block.get(member), what)
        if isinstance(tools, str):
            try:
                tools = json.loads(tools)
            except ValueError:
                raise TargetFailure(f"{what} is not JSON") from None
        tools = tools.get("tools", tools) if isinstance(tools, dict) else tools
        if not isinstance(tools, list):
            raise TargetFailure(f"{what} is a list of tool definitions")
        return [t for t in tools if isinstance(t, dict)]

    def _lambda_tools(self, spec: TargetSpec) -> list[dict[str, Any]]:
        return self._tool_list(spec, "toolSchema")

    def _operations(self, spec: TargetSpec) -> list[Operation]:
        try:
            if spec.kind == "openApiSchema":
                return operations(parse_spec(self._text(spec.block, f"target {spec.name!r} openApiSchema")))
            export = self._knobs().schemaFiles.get(f"{spec.block.get('restApiId')}/{spec.block.get('stage')}")
            found = parse_spec(Path(export).read_text(encoding="utf-8")) if export else None
            return apigateway_operations(spec.block, found)
        except (ValueError, OSError) as exc:
            raise TargetFailure(f"target {spec.name!r}: {exc}") from None

    def static_tools(self, spec: TargetSpec) -> list[dict[str, Any]]:
        """An mcpServer target's static `mcpToolSchema` (it is listed instead of synchronized)."""
        return self._tool_list(spec, "mcpToolSchema")

    def list_tools(self, spec: TargetSpec) -> list[dict[str, Any]]:
        """The target's tools, as its schema declares them (never calls the target)."""
        if spec.kind == "lambda":
            return self._lambda_tools(spec)
        if spec.kind == "smithyModel":
            try:
                return smithy_tools(self._text(spec.block, f"target {spec.name!r} smithyModel"))
            except ValueError as exc:
                raise TargetFailure(f"target {spec.name!r}: {exc}") from None
        return [op.tool() for op in self._operations(spec)]

    # --- calls

    async def call(self, spec: TargetSpec, tool: str, arguments: dict[str, Any] | None,
                   ctx: CallContext | None) -> dict[str, Any]:
        self.calls += 1
        if spec.kind == "lambda":
            return await self._call_lambda(spec, tool, arguments, ctx)
        if spec.kind == "smithyModel":
            raise TargetFailure(f"target {spec.name!r} is a Smithy model: its operations call the AWS service "
                                "the model describes, which the emulator does not have")
        op = next((o for o in self._operations(spec) if o.name == tool), None)
        if op is None:
            raise TargetFailure(f"target {spec.name!r} has no operation {tool!r}")
        return await self._call_http(spec, op, arguments, ctx)

    async def _call_lambda(self, spec: TargetSpec, tool: str, arguments: dict[str, Any] | None,
                           ctx: CallContext | None) -> dict[str, Any]:
        definition = next((t for t in self._lambda_tools(spec) if t.get("name") == tool), {})
        arn = str(spec.block.get("lambdaArn", ""))
        custom = lambda_custom(self._view(), spec, tool, ctx)
        try:
            value = await self.lambdas.invoke(arn, arguments or {}, custom=custom, default="echo")
        except LambdaError as exc:
            raise TargetFailure(exc.reason) from exc
        result: dict[str, Any] = {
            "content": [{"type": "text", "text": value if isinstance(value, str) else json.dumps(value)}],
            "isError": False,
        }
        if isinstance(value, dict) and definition.get("outputSchema"):
            result["structuredContent"] = value  # MCP: a tool with an outputSchema returns structured content
        return result

    def _base(self, spec: TargetSpec) -> str:
        override = self._knobs().targetBaseUrls.get(spec.name)
        if override:
            return override
        if spec.kind == "apiGateway":
            view = self._view()
            return f"https://{spec.block.get('restApiId')}.execute-api.{view.region}.amazonaws.com/" \
                   f"{spec.block.get('stage')}"
        found = base_url(parse_spec(self._text(spec.block, f"target {spec.name!r}")))
        if not found:
            raise TargetFailure(f"target {spec.name!r}: the OpenAPI schema names no server; set "
                                f"emulator.targetBaseUrls.{spec.name}")
        return found

    async def _call_http(self, spec: TargetSpec, op: Operation, arguments: dict[str, Any] | None,
                         ctx: CallContext | None) -> dict[str, Any]:
        base = self._base(spec)
        try:
            cred_headers, cred_query = await self.credentials.for_target(spec, ctx.subject_token if ctx else None)
        except CredentialError as exc:
            raise TargetFailure(f"outbound credential for target {spec.name!r}: {exc.reason}") from exc
        headers, query = outgoing(spec, ctx, cred_headers, cred_query)
        request = request_for(op, base, arguments, headers, query)
        request.extensions["timeout"] = httpx.Timeout(self._knobs().targetTimeoutSeconds).as_dict()
        try:
            response = await self._http().send(request)
        except httpx.HTTPError as exc:
            raise TargetFailure(f"cannot reach target {spec.name!r} at {request.url}: "
                                f"{type(exc).__name__}: {exc}") from None
        returned(spec, ctx, response.headers)
        if response.status_code >= 400:
            if response.status_code in (401, 403):
                self.credentials.invalidate(spec, ctx.subject_token if ctx else None)
            raise TargetFailure(f"{request.method} {request.url} answered HTTP {response.status_code}: "
                                f"{response.text[:500]}")
        return {"content": [{"type": "text", "text": response.text}], "isError": False}
