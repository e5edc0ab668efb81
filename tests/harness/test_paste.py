"""Paste semantics (harness/_paste.py): the corpus through the stack-file route, and pasted configs end to end
with the `mcp` SDK client - a Lambda target, an OpenAPI target, an interceptor short-circuit, a Cedar denial."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import jwt as pyjwt
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from mcp.shared.exceptions import MCPError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread
from fake_gateway.shapes.text import parse_text
from harness import ConfigError, Stack, StackFile
from harness._config import stack_variables, tenant_variables
from harness._demo import demo_documents, summary
from harness._paste import paste_gateway
from tests.fake_gateway.shapes.mutations import mutated
from tests.harness import paste_handlers

CORPUS = Path(__file__).parents[1] / "fake_gateway" / "corpus"
ENTRIES: list[dict[str, Any]] = yaml.safe_load((CORPUS / "index.yaml").read_text())
HANDLERS = "tests.harness.paste_handlers"


def _stack_file(entry: dict[str, Any], overlay: dict[str, Any] | None = None) -> StackFile:
    """A single self-contained document as the `gateway:` section; anything with files beside it (or
    parameters) as `gateway-config:` with an optional `gateway:` overlay."""
    files = [CORPUS / f for f in entry["files"]]
    text = files[0].read_text()
    inline = (len(files) == 1 and files[0].suffix in (".json", ".yaml") and "policyFiles" not in text
              and entry["shape"] != "agentcore-cli" and not entry.get("params") and not entry.get("select")
              and overlay is None)
    if inline:
        return StackFile(gateway=parse_text(text, source=files[0].name))
    config = {"files": [str(f) for f in files], "parameters": entry.get("params") or {}, "select": entry.get("select")}
    return StackFile.from_dict({"gateway-config": config, "gateway": overlay}, source=str(CORPUS / "stack.yaml"))


def _entry(*files: str) -> dict[str, Any]:
    return next(e for e in ENTRIES if e["files"] == list(files) and not e.get("select"))


@pytest.mark.parametrize("entry", [pytest.param(e, id="+".join(Path(f).name for f in e["files"])
                                                + (f"[{e['select']}]" if e.get("select") else "")
                                                + ("[params]" if e.get("params") else ""))
                                   for e in ENTRIES if "stack" in e.get("routes", ["stack"])])
def test_stack_file_route(entry: dict[str, Any], stack: Stack) -> None:
    if entry.get("stack", entry["outcome"]) == "refused":
        with pytest.raises(ConfigError) as caught:
            stack.apply(_stack_file(entry))
        for path, text in entry["errors"].items():
            assert text in str(caught.value) and (path.split(".")[-1] in str(caught.value))
        return
    stack.apply(_stack_file(entry))
    notices = "\n".join(f"{n['path']}: {n['message']}" for n in stack.manifest["gateway"]["notices"])
    for text in entry.get("notices") or []:
        assert text in notices
    listed = []
    for target in stack.gateway._control("GET", "targets").json()["targets"]:
        status = stack.gateway._control("POST", f"targets/{target['name']}/synchronize").json()
        assert status["status"] == "READY", status  # foreign MCP servers are served by the sample server
        listed += [f"{target['name']}___{tool}" for tool in status["tools"]]
    assert set(entry.get("tools") or []) <= set(listed)


def test_a_pasted_document_is_not_merged_over_the_demo(stack: Stack) -> None:
    stack.apply(_stack_file(_entry("get-gateway-none.json")))
    config = stack.gateway.config()
    assert config["authorizerType"] == "NONE" and "authorizerConfiguration" not in config
    assert "protocolConfiguration" not in config and "targets" not in config  # no demo versions, no demo target
    assert "(not a target of the gateway)" in summary(stack.manifest)  # the summary does not claim the demo's
    stack.apply(StackFile(gateway={"emulator": {"leewaySeconds": 30}}))  # an overlay still merges
    assert stack.gateway.config()["targets"][0]["name"] == "search-server"


def test_the_summary_names_the_targets_the_sample_server_serves(stack: Stack) -> None:
    """`authstage up` says what the sample server is to the gateway from the running targets, not from whether
    loading printed notices (the demo has notices too: roleArn is not evaluated)."""
    stack.apply(StackFile())  # the demo
    assert stack.manifest["gateway"]["notices"]  # the demo's own notices
    assert "(behind the gateway as target `search-server`)" in summary(stack.manifest)
    stack.apply(_stack_file(_entry("get-gateway-header-propagation.json")))
    mapped = [n for n in stack.manifest["gateway"]["notices"] if n["kind"] == "mapped" and "mcpServer" in n["path"]]
    assert mapped, stack.manifest["gateway"]["notices"]
    names = [t["name"] for t in stack.gateway.config()["targets"]]
    assert stack.manifest["gateway"]["sample_targets"] == names
    assert f"(behind the gateway as target `{names[0]}`)" in summary(stack.manifest)


def test_a_foreign_discovery_url_is_served_under_its_issuer_path(stack: Stack) -> None:
    stack.apply(_stack_file(_entry("get-gateway-cognito.json", "get-gateway-target-lambda.json")))
    jwt_config = stack.gateway.config()["authorizerConfiguration"]["customJWTAuthorizer"]
    issuer = stack.idp.url + "/us-west-2_Qx7Lm2Pa9"
    assert jwt_config["discoveryUrl"] == issuer + "/.well-known/openid-configuration"
    assert stack.http.get(jwt_config["discoveryUrl"]).json()["issuer"] == issuer
    insert = stack.http.get(stack.idp.url + "/.well-known/oauth-authorization-server/us-west-2_Qx7Lm2Pa9")
    assert insert.json()["issuer"] == issuer  # RFC 8414 §3.1 path insertion, as MCP clients ask
    assert stack.http.get(stack.gateway.prm_url).json()["authorization_servers"] == [issuer]
    token = stack.token("pasted-client-0")  # the allowedClients value, as a Cognito app client of the local IdP
    jwks = pyjwt.PyJWKClient(stack.idp.jwks_uri)
    claims = pyjwt.decode(token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"], issuer=issuer,
                          options={"verify_aud": False})
    assert claims["client_id"] == "3t9k2m5q7w1e4r6y8u0i2o4p6a" and "aud" not in claims  # Cognito-shaped
    assert any(n["kind"] == "mapped" for n in stack.manifest["gateway"]["notices"])


# --- end to end with the mcp SDK client -------------------------------------------------------------------------

def test_pasted_lambda_target_lists_and_calls_with_the_sdk_client(stack: Stack) -> None:
    arn = "arn:aws:lambda:us-west-2:210987654321:function:calc-tools"
    overlay = {"emulator": {"lambdaFunctions": {arn: f"{HANDLERS}:calculator"}}}
    stack.apply(_stack_file(_entry("get-gateway-cognito.json", "get-gateway-target-lambda.json"), overlay))
    token = stack.token("pasted-client-0")
    paste_handlers.SEEN.clear()

    async def run() -> tuple[list[str], Any, Any]:
        async with stack.mcp_client(token=token) as client:
            names = [t.name for t in (await client.list_tools()).tools]
            added = await client.call_tool("calc-lambda___add_numbers", {"a": 2, "b": 3})
            multiplied = await client.call_tool("calc-lambda___multiply_numbers", {"a": 4, "b": 5})
            return names, added, multiplied

    names, added, multiplied = asyncio.run(run())
    assert names == ["x_amz_bedrock_agentcore_search", "calc-lambda___add_numbers", "calc-lambda___multiply_numbers"]
    assert not added.is_error and json.loads(added.content[0].text) == {"sum": 5}
    assert multiplied.structured_content == {"product": 20}  # outputSchema declared: structured content too
    seen = paste_handlers.SEEN[0]
    assert seen["event"] == {"a": 2, "b": 3} and set(seen["custom"]) == paste_handlers.CUSTOM_KEYS
    assert seen["custom"]["bedrockAgentCoreToolName"] == "calc-lambda___add_numbers"
    assert seen["custom"]["bedrockAgentCoreTargetId"] == "K4J8H2G6F0" and seen["arn"] == arn
    assert seen["custom"]["bedrockAgentCoreGatewayId"] == "calc-gateway-q7w3e9r1t5" and seen["remaining_ms"] > 0


@pytest.fixture(scope="module")
def weather_api() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    """A small REST API for the OpenAPI target: records every request it answers."""
    seen: list[dict[str, Any]] = []

    async def forecast(request: Request) -> JSONResponse:
        seen.append({"path": request.url.path, "query": dict(request.query_params), "headers": dict(request.headers)})
        return JSONResponse({"city": request.path_params["city"], "days": int(request.query_params.get("days", 1)),
                             "outlook": "sunny"}, headers={"x-rate-limit-remaining": "41"})

    async def alerts(request: Request) -> JSONResponse:
        seen.append({"path": request.url.path, "body": await request.json(), "headers": dict(request.headers)})
        return JSONResponse({"created": True}, status_code=201)

    app = Starlette(routes=[Route("/v1/forecast/{city}", forecast), Route("/v1/alerts", alerts, methods=["POST"])])
    server = ServerThread(build=lambda url: app, name="weather-api").start()
    yield server.url + "/v1", seen
    server.stop()


def test_pasted_openapi_target_lists_and_calls_with_the_sdk_client(stack: Stack, weather_api: Any) -> None:
    base, seen = weather_api
    overlay = {"emulator": {"targetBaseUrls": {"weather-api": base}}}
    stack.apply(_stack_file(_entry("create-gateway-okta.json", "create-gateway-target-openapi.json"), overlay))
    token = stack.token(audience="api://corp-agent-gateway", scope="tools.invoke")  # Okta-shaped (scp, cid)

    async def run() -> tuple[list[Any], Any, Any]:
        async with stack.mcp_client(token=token) as client:
            tools = (await client.list_tools()).tools
            forecast = await client.call_tool("weather-api___getForecast", {"city": "Oslo", "days": 2})
            alert = await client.call_tool("weather-api___createAlert", {"body": {"city": "Bergen"}})
            return tools, forecast, alert

    tools, forecast, alert = asyncio.run(run())
    by_name = {t.name: t for t in tools}
    assert by_name["weather-api___getForecast"].input_schema["required"] == ["city"]  # path parameters are required
    assert json.loads(forecast.content[0].text) == {"city": "Oslo", "days": 2, "outlook": "sunny"}
    assert json.loads(alert.content[0].text) == {"created": True}
    get, post = seen[-2], seen[-1]
    assert get["path"] == "/v1/forecast/Oslo" and get["query"] == {"days": "2"}
    assert get["headers"]["x-api-key"] == "demo-api-key-not-for-production"  # the mapped API key provider
    assert post["body"] == {"city": "Bergen"}


def test_interceptor_short_circuit_and_response_interceptor(stack: Stack) -> None:
    guard = "arn:aws:lambda:us-east-1:678901234567:function:tenant-guard"
    notes = "arn:aws:lambda:us-east-1:678901234567:function:notes"
    overlay = {"emulator": {"lambdaFunctions": {guard: f"{HANDLERS}:tenant_guard", notes: f"{HANDLERS}:notes"}}}
    stack.apply(_stack_file(_entry("get-gateway-interceptors.json"), overlay))
    paste_handlers.SEEN.clear()
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "notes___list_notes", "arguments": {}}}
    headers = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-06-18"}
    blocked = httpx.post(stack.gateway.mcp_url, json=call, headers={**headers, "x-tenant-id": "blocked"})
    assert blocked.status_code == 403  # the REQUEST interceptor's answer, verbatim
    assert blocked.json() == {"jsonrpc": "2.0", "id": 7,
                              "error": {"code": -32003, "message": "tenant 'blocked' may not use this gateway"}}
    points = ["gatewayResponse" in s["event"]["mcp"] for s in paste_handlers.SEEN if s["handler"] == "tenant_guard"]
    assert points == [False, True]  # the RESPONSE interceptor still ran (MCP targets, DOC)
    assert not any(s["handler"] == "notes" for s in paste_handlers.SEEN)  # the target was never called

    async def run() -> Any:
        async with stack.mcp_client(token="unused") as client:
            return await client.call_tool("notes___list_notes", {})

    result = asyncio.run(run())  # the SDK client, through both interceptors
    assert json.loads(result.content[0].text) == {"notes": ["note of anonymous"]}  # transformed by REQUEST
    assert result.meta == {"guard": "checked"}  # stamped by RESPONSE


def test_cedar_policy_denial_with_the_sdk_client(stack: Stack) -> None:
    stack.apply(_stack_file(_entry("gateway-policy-files.yaml")))

    async def run() -> tuple[list[str], Any, Any, Any]:
        async with stack.mcp_client(token="unused") as client:
            names = [t.name for t in (await client.list_tools()).tools]
            big = await client.call_tool("claims___pay_claim", {"amount": 50000})
            small = await client.call_tool("claims___pay_claim", {"amount": 20})
            with pytest.raises(MCPError, match="Unknown tool"):
                await client.call_tool("claims___nope", {})
            update = await client.call_tool("claims___update_coverage", {"policy_id": "P-1"})
            return names, big, small, update

    names, big, small, update = asyncio.run(run())
    assert "claims___pay_claim" in names
    assert big.is_error and big.content[0].text.startswith(
        "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
        "[Policy evaluation denied due to no_large_payouts-")
    assert not small.is_error and json.loads(small.content[0].text) == {"amount": 20}  # echo
    assert update.is_error and "No policy applies to the request (denied by default)" in update.content[0].text


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_mutated_pastes_are_refused_by_name_never_with_a_traceback(document: Any) -> None:
    variables = stack_variables("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
    documents = demo_documents(variables)
    variables |= tenant_variables(documents["idp"])
    try:
        paste_gateway(StackFile(gateway=document), documents, variables)
    except ConfigError as exc:
        assert "gateway" in str(exc)


def _run_printed_curl(text: str) -> dict[str, Any]:
    import subprocess

    lines = [line.strip() for line in text.splitlines()
             if line.strip().startswith(("TOKEN=$(curl", "SESSION=$(curl", "curl -s"))]
    done = subprocess.run(["bash", "-c", "\n".join(lines)], capture_output=True, text=True, timeout=30)
    assert done.returncode == 0, done.stderr
    data = done.stdout.split("data: ", 1)[-1]  # JSON, or one SSE event
    return dict(json.loads(data))


@pytest.mark.parametrize("files", [("get-gateway-cognito.json", "get-gateway-target-lambda.json"),
                                   ("get-gateway-header-propagation.json",)])
def test_the_printed_curl_lines_follow_the_pasted_gateway(stack: Stack, files: tuple[str, ...]) -> None:
    """The summary's token and tools/list lines use the client `allowedClients` names, the audience
    `allowedAudience` names and a protocol version the gateway supports (a stranger's paste, run as printed);
    `authstage token`'s defaults follow the same manifest entry."""
    from harness._manifest import token_request

    stack.apply(_stack_file(_entry(*files)))
    first = stack.manifest["gateway"]["first_call"]
    answer = _run_printed_curl(summary(stack.manifest))
    assert "result" in answer and "tools" in answer["result"], answer
    request = token_request(stack.manifest, first["client"])
    assert request.data.get("audience") == first.get("audience", stack.gateway.mcp_url)


def test_an_entra_v2_paste_whose_audience_is_an_app_id_uri_warns(stack: Stack) -> None:
    """Entra v2 access tokens carry the application ID in `aud`: an `api://name` allowedAudience refuses them (as
    with a real tenant), and loading says so with the value to add."""
    document = json.loads((CORPUS / "update-gateway-entra.json").read_text())
    jwt_config = document["authorizerConfiguration"]["customJWTAuthorizer"]
    jwt_config["allowedAudience"] = ["api://inventory-gateway"]
    stack.apply(StackFile(gateway=document))
    warning = next(n for n in stack.manifest["gateway"]["notices"] if n["path"].endswith("allowedAudience"))
    assert warning["kind"] == "warning" and "Entra v2 access tokens carry the application ID in aud" in warning["message"]
    token = stack.token("demo-m2m", audience="api://inventory-gateway")
    app_id = pyjwt.decode(token, options={"verify_signature": False})["aud"]
    assert f"add {app_id!r} to allowedAudience" in warning["message"]
    assert stack.http.post(stack.gateway.mcp_url, headers={"authorization": f"Bearer {token}"},
                           json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"}).status_code == 401


# --- agentgateway configs (detected by their top-level keys) ----------------------------------------------------

AGW_CONFIG = """\
binds:
- port: 3100
  listeners:
  - routes:
    - matches:
      - path: {exact: /crm/mcp}
      - path: {exact: /.well-known/oauth-protected-resource/crm/mcp}
      policies:
        mcpAuthentication:
          mode: strict
          issuer: https://northwind-crm.eu.auth0.com/
          audiences: [${CRM_AUDIENCE:-https://crm.northwind.example/mcp}]
          jwks: {url: https://northwind-crm.eu.auth0.com/.well-known/jwks.json}
          resourceMetadata: {resource: http://localhost:3100/crm/mcp, scopesSupported: [read:contacts]}
        mcpAuthorization:
          rules: ['"read:contacts" in jwt.permissions']
      backends:
      - mcp:
          targets:
          - {name: contacts, mcp: {host: ${CONTACTS_MCP_URL:-https://contacts.northwind.example/mcp}}}
"""
AGW_INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
            "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
AGW_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}


def _agw_serves_crm(running: Stack) -> None:
    assert running.dialect == "agentgateway"
    document = running.gateway.config()
    assert "binds" in document and "routes" not in document  # as written, not merged over the demo's routes
    authn = document["binds"][0]["listeners"][0]["routes"][0]["policies"]["mcpAuthentication"]
    assert authn["issuer"] == running.idp.issuer and authn["jwks"]["url"] == running.idp.jwks_uri
    token = running.token("demo-m2m", audience="https://crm.northwind.example/mcp")
    url = running.gateway.url + "/crm/mcp"
    assert running.http.post(url, json=AGW_INIT, headers=AGW_HEADERS).status_code == 401
    answer = running.http.post(url, json=AGW_INIT, headers={**AGW_HEADERS, "authorization": f"Bearer {token}"})
    assert answer.status_code == 200, answer.text
    assert any(n["kind"] == "mapped" for n in running.manifest["gateway"]["notices"])
    assert running.manifest["services"]["gateway"]["mcp_url"] == url  # the config's route, not a fixed /mcp
    answer = _run_printed_curl(summary(running.manifest))  # token for the route's audience, a session, tools/list
    assert "tools" in answer["result"], answer


def test_an_agentgateway_file_is_detected_and_served_as_written(tmp_path: Path) -> None:
    config = tmp_path / "agw.yaml"
    config.write_text(AGW_CONFIG)  # `[${VAR:-...}]` in flow syntax: expanded over the text, as agentgateway does
    with Stack(gateway_files=[str(config)]) as running:
        _agw_serves_crm(running)


def test_an_agentgateway_gateway_section_without_dialect_is_a_paste(tmp_path: Path) -> None:
    document = yaml.safe_load(AGW_CONFIG.replace("[${CRM_AUDIENCE:-https://crm.northwind.example/mcp}]",
                                                 "[https://crm.northwind.example/mcp]")
                              .replace("{host: ${CONTACTS_MCP_URL:-https://contacts.northwind.example/mcp}}",
                                       "{host: 'https://contacts.northwind.example/mcp'}"))
    stack_file = tmp_path / "stack.yaml"
    stack_file.write_text(yaml.safe_dump({"gateway": document}))
    with Stack(StackFile.load(stack_file)) as running:
        _agw_serves_crm(running)


def test_gateway_agentcore_with_an_agentgateway_file_is_refused(tmp_path: Path) -> None:
    config = tmp_path / "agw.yaml"
    config.write_text(AGW_CONFIG)
    with pytest.raises(ConfigError, match="agentgateway document"):
        Stack(gateway="agentcore", gateway_files=[str(config)])
