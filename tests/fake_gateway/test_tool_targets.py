"""Schema targets (fake_gateway/tool_targets.py) served by a running gateway: Lambda (inline and S3-mapped
schemas), OpenAPI with outbound credentials and header propagation, Smithy, static mcpToolSchema, failures."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread
from tests.fake_gateway import handlers
from tests.fake_gateway.conftest import MCP_HEADERS, rpc

ARN = "arn:aws:lambda:us-east-1:123456789012:function:orders"
HEADERS = {**MCP_HEADERS, "MCP-Protocol-Version": "2025-06-18"}
TOOLS = [{"name": "get_order", "description": "One order",
          "inputSchema": {"type": "object", "properties": {"order_id": {"type": "string"}}}},
         {"name": "get_total", "description": "The total",
          "inputSchema": {"type": "object"}, "outputSchema": {"type": "object"}}]


def lambda_target(name: str, schema: dict[str, Any]) -> dict[str, Any]:
    return {"name": name, "targetConfiguration": {"mcp": {"lambda": {"lambdaArn": ARN, "toolSchema": schema}}},
            "credentialProviderConfigurations": [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]}


def gateway(targets: list[dict[str, Any]], **extra: Any) -> dict[str, Any]:
    return {"name": "schema-gw", "authorizerType": "NONE", "protocolType": "MCP", "targets": targets, **extra}


def post(gw: Any, body: dict[str, Any], **headers: str) -> Any:
    with gw.client() as client:
        return client.post("/mcp?version=2&other=x", json=body, headers={**HEADERS, **headers})


def call(gw: Any, name: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
    response = post(gw, rpc("tools/call", {"name": name, "arguments": arguments or {}}, id=3))
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()["result"]
    return result


def names(gw: Any) -> list[str]:
    return [t["name"] for t in post(gw, rpc("tools/list")).json()["result"]["tools"]]


def test_lambda_target_lists_its_schema_and_calls_the_handler(start_gateway: Any, tmp_path: Path) -> None:
    (tmp_path / "tools.json").write_text(json.dumps({"tools": TOOLS[:1]}))
    doc = gateway([lambda_target("inline", {"inlinePayload": TOOLS}),
                   lambda_target("from-s3", {"s3": {"uri": "s3://schemas/orders.json"}})],
                  emulator={"lambdaFunctions": {ARN: "tests.fake_gateway.handlers:echo_context"},
                            "schemaFiles": {"s3://schemas/orders.json": str(tmp_path / "tools.json")}})
    gw = start_gateway(doc)
    listed = post(gw, rpc("tools/list")).json()["result"]["tools"]
    assert listed[0] == {**TOOLS[0], "name": "from-s3___get_order"}  # exactly as the schema declares it
    assert [t["name"] for t in listed] == ["from-s3___get_order", "inline___get_order", "inline___get_total"]
    result = call(gw, "inline___get_order", {"order_id": "O-1"})
    assert json.loads(result["content"][0]["text"]) == {"event": {"order_id": "O-1"}, "tool": "inline___get_order"}
    custom = handlers.CALLS[-1]["custom"]
    assert custom["bedrockAgentCoreMcpMessageId"] == "3" and custom["bedrockAgentCoreMessageVersion"] == "1.0"
    assert custom["bedrockAgentCoreGatewayId"] == gw.control.backend.view.gateway_id
    structured = call(gw, "inline___get_total")
    assert structured["structuredContent"] == {"event": {}, "tool": "inline___get_total"}


def test_lambda_failures_are_generic_unless_debug(start_gateway: Any) -> None:
    doc = gateway([lambda_target("t", {"inlinePayload": TOOLS})],
                  emulator={"lambdaFunctions": {ARN: "tests.fake_gateway.handlers:failing"}})
    gw = start_gateway(doc)
    assert call(gw, "t___get_order")["content"][0]["text"] == "An internal error occurred. Please retry later."
    gw = start_gateway({**doc, "exceptionLevel": "DEBUG"})
    text = call(gw, "t___get_order")["content"][0]["text"]
    assert text == f"Lambda function {ARN} returned an error: KeyError: 'order_id'"
    doc["emulator"]["lambdaFunctions"][ARN] = "tests.fake_gateway.handlers:returns_text"
    assert call(start_gateway(doc), "t___get_order")["content"][0]["text"] == "plain text result"


def test_unreadable_schemas_fail_the_target_with_the_reason(start_gateway: Any) -> None:
    doc = gateway([lambda_target("s3", {"s3": {"uri": "s3://nowhere/x.json"}}),
                   {"name": "oas", "targetConfiguration": {"mcp": {"openApiSchema": {"inlinePayload": "{\"swagger\": \"2.0\"}"}}},
                    "credentialProviderConfigurations": [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]}])
    gw = start_gateway(doc)
    assert names(gw) == []
    with gw.client() as client:
        statuses = {t["name"]: t for t in client.get("/_authstage/targets").json()["targets"]}
    assert statuses["s3"]["status"] == "FAILED" and "emulator.schemaFiles" in statuses["s3"]["statusReasons"][0]
    assert "Swagger 2.0 is not supported" in statuses["oas"]["statusReasons"][0]


def test_smithy_lists_and_a_call_says_why_it_fails(start_gateway: Any) -> None:
    model = {"smithy": "2.0", "shapes": {"a.b#Get": {"type": "operation"}}}
    doc = gateway([{"name": "aws", "targetConfiguration": {"mcp": {"smithyModel": {"inlinePayload": json.dumps(model)}}},
                    "credentialProviderConfigurations": [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]}],
                  exceptionLevel="DEBUG")
    gw = start_gateway(doc)
    assert names(gw) == ["aws___Get"]
    assert "the AWS service the model describes" in call(gw, "aws___Get")["content"][0]["text"]


@pytest.fixture(scope="module")
def rest_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    seen: list[dict[str, Any]] = []

    async def item(request: Request) -> JSONResponse:
        seen.append({"path": request.url.path, "query": dict(request.query_params), "headers": dict(request.headers)})
        if request.path_params["item"] == "missing":
            return JSONResponse({"message": "no such item"}, status_code=404)
        return JSONResponse({"item": request.path_params["item"]},
                            headers={"x-rate-limit-remaining": "9", "x-internal": "secret"})

    app = Starlette(routes=[Route("/items/{item}", item)])
    server = ServerThread(build=lambda url: app, name="rest-api").start()
    yield server.url, seen
    server.stop()


def openapi_target(base: str) -> dict[str, Any]:
    spec = {"openapi": "3.0.0", "info": {"title": "Items", "version": "1"}, "servers": [{"url": "https://items.invalid"}],
            "paths": {"/items/{item}": {"get": {"operationId": "getItem", "parameters": [
                {"name": "item", "in": "path", "required": True, "schema": {"type": "string"}}]}}}}
    return {"name": "items", "targetConfiguration": {"mcp": {"openApiSchema": {"inlinePayload": json.dumps(spec)}}},
            "credentialProviderConfigurations": [{"credentialProviderType": "API_KEY", "credentialProvider": {
                "apiKeyCredentialProvider": {"providerArn": "items-key", "credentialLocation": "QUERY_PARAMETER",
                                             "credentialParameterName": "api_key"}}}],
            "metadataConfiguration": {"allowedRequestHeaders": ["X-Tenant-Id"],
                                      "allowedResponseHeaders": ["x-rate-limit-remaining"],
                                      "allowedQueryParameters": ["version"]}}


def test_openapi_call_carries_credential_and_propagated_headers(start_gateway: Any, rest_api: Any) -> None:
    base, seen = rest_api
    doc = gateway([openapi_target(base)], exceptionLevel="DEBUG",
                  credentialProviders=[{"name": "items-key", "apiKey": "demo-api-key-not-for-production-items"}],
                  emulator={"targetBaseUrls": {"items": base}})
    gw = start_gateway(doc)
    response = post(gw, rpc("tools/call", {"name": "items___getItem", "arguments": {"item": "a1"}}),
                    **{"x-tenant-id": "t-9", "x-other": "dropped"})
    assert json.loads(response.json()["result"]["content"][0]["text"]) == {"item": "a1"}
    assert response.headers["x-rate-limit-remaining"] == "9" and "x-internal" not in response.headers
    sent = seen[-1]
    assert sent["path"] == "/items/a1"
    assert sent["query"] == {"api_key": "demo-api-key-not-for-production-items", "version": "2"}  # not `other`
    assert sent["headers"]["x-tenant-id"] == "t-9" and "x-other" not in sent["headers"]
    failed = post(gw, rpc("tools/call", {"name": "items___getItem", "arguments": {"item": "missing"}})).json()
    assert failed["result"]["isError"] and "answered HTTP 404" in failed["result"]["content"][0]["text"]


def test_mcp_server_headers_follow_metadata_and_interceptor(start_gateway: Any, tiny_target: Any) -> None:
    guard = "arn:aws:lambda:us-east-1:123456789012:function:guard"
    target = {"name": "tiny", "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": tiny_target.mcp_url}}},
              "metadataConfiguration": {"allowedRequestHeaders": ["x-tenant-id", "x-correlation-id"],
                                        "allowedQueryParameters": ["version"]}}
    doc = gateway([target], interceptorConfigurations=[{"interceptor": {"lambda": {"arn": guard}},
                                                        "interceptionPoints": ["REQUEST"]}],
                  emulator={"lambdaFunctions": {guard: "tests.fake_gateway.handlers:recording_interceptor"}})
    gw = start_gateway(doc)
    response = post(gw, rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "7"}}),
                    **{"x-tenant-id": "from-client", "x-correlation-id": "c-1", "x-not-allowed": "no"})
    assert response.json()["result"]["content"][0]["text"] == "order 7: shipped"
    sent = [r for r in tiny_target.requests if r["method"] == "POST"][-1]
    assert sent["headers"]["authorization"] == "Bearer from-interceptor"  # forwarded although never allowlisted
    assert sent["headers"]["x-tenant-id"] == "tenant-from-interceptor"  # interceptor wins over the client
    assert sent["headers"]["x-correlation-id"] == "c-1" and "x-not-allowed" not in sent["headers"]
    assert "version=2" in sent["query"] and "other" not in sent["query"]
    event = handlers.CALLS[-1]["interceptor"]
    assert "headers" not in event["mcp"]["gatewayRequest"]  # passRequestHeaders is not set
    assert json.loads(event["mcp"]["rawGatewayRequest"]["body"])["method"] == "tools/call"
