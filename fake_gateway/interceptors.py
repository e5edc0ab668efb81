"""REQUEST and RESPONSE interceptors of MCP requests (DOC gateway-interceptors-types, sheet §7.5).

Each configured interceptor (`interceptorConfigurations[]`: a Lambda ARN, its `interceptionPoints`,
`inputConfiguration.passRequestHeaders`) is invoked through lambdas.py with AgentCore's event:
`{"interceptorInputVersion": "1.0", "mcp": {"rawGatewayRequest": {"body": "<raw>"}, "gatewayRequest": {"path":
"/mcp", "httpMethod": "POST", "headers": {...only with passRequestHeaders}, "body": {...}}}}`, plus
`gatewayResponse {statusCode, headers, body}` at RESPONSE (with `isStreamingResponse: true` once per streamed
event that has an `id`). Its output (`interceptorOutputVersion: "1.0"`) may carry
`transformedGatewayRequest {body, headers}` (the request goes on transformed; the headers reach the target) and
`transformedGatewayResponse {statusCode, body, headers}`: at REQUEST the gateway answers with it at once (the
RESPONSE interceptor still runs, for MCP targets), at RESPONSE it replaces the answer.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from fake_gateway.errors import Failure
from fake_gateway.lambdas import LambdaError, LambdaInvoker
from fake_gateway.settings import InterceptorSpec

__all__ = ["Intercepted", "InterceptorFailure", "Interceptors"]

VERSION = "1.0"


class InterceptorFailure(Failure):
    """An interceptor failed or answered what AgentCore would not accept."""


@dataclass
class Intercepted:
    """After the REQUEST interceptors: the (maybe transformed) body, headers for the targets, or an answer."""

    body: Any
    headers: dict[str, str] = field(default_factory=dict)
    answer: tuple[int, Any, dict[str, str]] | None = None


class Interceptors:
    def __init__(self, lambdas: LambdaInvoker) -> None:
        self.lambdas = lambdas

    async def _run(self, spec: InterceptorSpec, event: dict[str, Any]) -> dict[str, Any]:
        try:
            out = await self.lambdas.invoke(spec.arn, event, default="passthrough")
        except LambdaError as exc:
            raise InterceptorFailure(f"interceptor {spec.arn}: {exc.reason}") from exc
        if not isinstance(out, dict) or out.get("interceptorOutputVersion") != VERSION \
                or not isinstance(out.get("mcp"), dict):
            raise InterceptorFailure(f"interceptor {spec.arn} returned {str(out)[:200]!r}: the output must be "
                                     f"{{\"interceptorOutputVersion\": \"{VERSION}\", \"mcp\": {{...}}}}")
        mcp: dict[str, Any] = out["mcp"]
        return mcp

    @staticmethod
    def _request(spec: InterceptorSpec, raw: bytes, body: Any, headers: Sequence[tuple[str, str]]) -> dict[str, Any]:
        request: dict[str, Any] = {"path": "/mcp", "httpMethod": "POST"}
        if spec.pass_headers:
            request["headers"] = dict(headers)
        request["body"] = body
        raw_text = raw.decode("utf-8", "replace")
        return {"interceptorInputVersion": VERSION, "mcp": {"rawGatewayRequest": {"body": raw_text},
                                                           "gatewayRequest": request}}

    async def on_request(self, specs: Sequence[InterceptorSpec], raw: bytes, body: Any,
                         headers: Sequence[tuple[str, str]]) -> Intercepted:
        outcome = Intercepted(body)
        for spec in specs:
            if "REQUEST" not in spec.points:
                continue
            mcp = await self._run(spec, self._request(spec, raw, outcome.body, headers))
            transformed = mcp.get("transformedGatewayRequest")
            if isinstance(transformed, dict):
                if "body" in transformed:
                    outcome.body = transformed["body"]
                outcome.headers.update({str(k): str(v) for k, v in (transformed.get("headers") or {}).items()})
            answer = mcp.get("transformedGatewayResponse")
            if isinstance(answer, dict):
                outcome.answer = _answer(answer, (200, None, {}))
                return outcome
        return outcome

    async def on_response(self, specs: Sequence[InterceptorSpec], raw: bytes, request_body: Any,
                          headers: Sequence[tuple[str, str]], response: tuple[int, Any, dict[str, str]],
                          *, streaming: bool = False, first: bool = True) -> tuple[int, Any, dict[str, str]]:
        for spec in specs:
            if "RESPONSE" not in spec.points:
                continue
            event = self._request(spec, raw, request_body, headers)
            status, body, out_headers = response
            gateway_response: dict[str, Any] = {"statusCode": status, "headers": out_headers} if first else {}
            if streaming:
                gateway_response["isStreamingResponse"] = True
            gateway_response["body"] = body
            event["mcp"]["gatewayResponse"] = gateway_response
            mcp = await self._run(spec, event)
            answer = mcp.get("transformedGatewayResponse")
            if isinstance(answer, dict):
                new = _answer(answer, response)
                response = new if first else (status, new[1], out_headers)  # later events: the body only
        return response

    async def stream(self, specs: Sequence[InterceptorSpec], raw: bytes, request_body: Any,
                     headers: Sequence[tuple[str, str]], events: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """A streamed answer with the RESPONSE interceptor run on every event that has an `id`."""
        first = True
        async for chunk in events:
            message = _sse_json(chunk)
            if not isinstance(message, dict) or "id" not in message:
                yield chunk
                continue
            _, body, _ = await self.on_response(specs, raw, request_body, headers, (200, message, {}),
                                                streaming=True, first=first)
            first = False
            yield b"event: message\ndata: " + json.dumps(body, separators=(",", ":")).encode() + b"\n\n"


def _answer(answer: dict[str, Any], default: tuple[int, Any, dict[str, str]]) -> tuple[int, Any, dict[str, str]]:
    status = answer.get("statusCode")
    headers = answer.get("headers")
    return (
        status if isinstance(status, int) and 100 <= status <= 599 else default[0],
        answer["body"] if "body" in answer and answer["body"] is not None else default[1],
        {str(k): str(v) for k, v in headers.items()} if isinstance(headers, dict) else default[2],
    )


def _sse_json(chunk: bytes) -> Any:
    for line in chunk.split(b"\n"):
        if line.startswith(b"data: "):
            try:
                return json.loads(line[6:])
            except ValueError:
                return None
    return None
