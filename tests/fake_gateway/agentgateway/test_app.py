"""The agentgateway dialect end to end, on one stack (fake IdP, agentgateway, sample server), driven by real clients
(the `mcp` SDK's client and OAuth client, httpx): the issue's "done when" and the sheet's §6 rows 5-11."""

from __future__ import annotations

import asyncio
import copy
import json
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from mcp import ClientSession
from mcp.client.sse import sse_client

from fake_gateway.agentgateway.app import admin_apps
from harness import Stack
from harness._clients import connect
from tests.fake_gateway.agentgateway.pages import old_page

INIT = {"jsonrpc": "2.0", "id": 1, "method": "initialize",
        "params": {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "t", "version": "1"}}}
MCP_HEADERS = {"accept": "application/json, text/event-stream", "content-type": "application/json"}
BODY_401 = '{"error":"unauthorized","error_description":"JWT token required"}'


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    with Stack(gateway="agentgateway") as running:
        yield running


@pytest.fixture
def demo(stack: Stack) -> Iterator[dict[str, Any]]:
    """The demo config (restored after each test)."""
    document = stack.gateway.config()
    yield document
    stack.gateway.put(document)


def page(stack: Stack, **emulator: Any) -> dict[str, Any]:
    """The old docs page, URLs aside: our IdP and gateway, the sample server as the stdio target."""
    document = old_page(issuer=stack.idp.issuer, audience=stack.gateway.mcp_url, jwks=stack.idp.jwks_uri)
    return {**document, "emulator": emulator}


def post(stack: Stack, body: Any, token: str | None = None, **headers: str) -> httpx.Response:
    auth = {"authorization": f"Bearer {token}"} if token else {}
    return stack.http.post(stack.gateway.mcp_url, json=body, headers={**MCP_HEADERS, **auth, **headers})


def sse_json(response: httpx.Response) -> dict[str, Any]:
    assert response.headers["content-type"] == "text/event-stream"
    return json.loads(response.text.split("data: ", 1)[1])


async def tools_and_call(url: str, token: str, tool: str = "echo") -> tuple[list[str], Any]:
    async with connect(url, token=token) as client:
        tools = [t.name for t in (await client.list_tools()).tools]
        return tools, await client.call_tool(tool, {"text": "hi"})


# --- done when: the page's config -------------------------------------------------------------------------------


def test_old_page_runs_leniently_and_is_refused_strictly(stack: Stack, demo: dict[str, Any]) -> None:
    stack.gateway.put(page(stack))
    warnings = stack.http.get(f"{stack.gateway.url}/_authstage/warnings").json()["warnings"]
    assert [w["agentgateway"].split(" (")[0] for w in warnings][:2] == [
        "missing field `resourceMetadata`", "data did not match any variant of untagged enum RuleSerde"]
    refused = stack.http.put(f"{stack.gateway.url}/_authstage/config", json=page(stack, loader="strict"))
    assert refused.status_code == 400
    assert "missing field `resourceMetadata` at line 1 column" in refused.json()["detail"][0]["msg"]


def test_old_page_read_tools_token_lists_and_calls_no_permission_is_403_no_token_401(
    stack: Stack, demo: dict[str, Any]
) -> None:
    stack.gateway.put(page(stack))
    tools, result = asyncio.run(tools_and_call(stack.gateway.mcp_url, stack.token()))
    assert "search" in tools and not result.is_error  # the stdio target, unprefixed (one target)
    denied = post(stack, INIT, stack.token("demo-m2m-noperm"))
    assert (denied.status_code, denied.headers["content-type"], denied.text) == (403, "text/plain", "authorization failed")
    reason = stack.gateway.log()[-1]["reason"]
    assert "jwt.permissions = ['mcp:tools']" in reason or "auth.claims.permissions = ['mcp:tools']" in reason
    missing = post(stack, INIT)
    assert missing.status_code == 401 and missing.text == BODY_401
    assert missing.headers["www-authenticate"] == (
        f'Bearer resource_metadata="{stack.gateway.url}/.well-known/oauth-protected-resource/mcp"')
    assert missing.headers["content-type"] == "application/json"


def test_sdk_oauth_client_completes_with_the_page_config(stack: Stack, demo: dict[str, Any]) -> None:
    """PRM -> AS metadata (where the PRM points: the IdP, no provider) -> DCR -> PKCE -> call."""
    stack.gateway.put(page(stack))

    async def run() -> Any:
        async with stack.mcp_client(oauth=True) as client:
            return await client.call_tool("echo", {"text": "through agentgateway"})

    assert not asyncio.run(run()).is_error
    paths = [(r["service"], r["method"], r["path"]) for r in stack.log()]
    assert ("gateway", "GET", "/.well-known/oauth-protected-resource/mcp") in paths
    assert ("idp", "POST", "/oidc/register") in paths


def provider_config(stack: Stack, demo: dict[str, Any], audiences: list[str], rules: list[Any]) -> dict[str, Any]:
    document = copy.deepcopy(demo)
    policies = document["routes"][0]["policies"]
    policies["mcpAuthentication"] |= {"provider": {"auth0": {}}, "audiences": audiences}
    policies["authorization"]["rules"] = rules
    return document


def test_sdk_oauth_client_completes_through_the_proxied_as_metadata(stack: Stack, demo: dict[str, Any]) -> None:
    """provider auth0 with `audiences: []` (no `?audience=`); the audience checked by a `require` rule instead."""
    aud = stack.gateway.mcp_url
    rules = [{"require": f'jwt.aud == "{aud}" || "{aud}" in jwt.aud'}, '"read:tools" in jwt.permissions']
    stack.gateway.put(provider_config(stack, demo, [], rules))

    async def run() -> Any:
        async with stack.mcp_client(oauth=True) as client:
            return await client.call_tool("search", {"q": "PKCE", "limit": 1})

    assert not asyncio.run(run()).is_error
    served = [(r["path"], r["status"]) for r in stack.gateway.log()]
    assert ("/.well-known/oauth-authorization-server/mcp", 200) in served


def test_auth0_provider_audience_query_breaks_the_python_sdk_authorize_url(stack: Stack, demo: dict[str, Any]) -> None:
    """agentgateway appends `?audience=` raw; the SDK appends its own `?…`: response_type lands inside `audience`."""
    stack.gateway.put(provider_config(stack, demo, [stack.gateway.mcp_url], ['"read:tools" in jwt.permissions']))
    metadata = stack.http.get(f"{stack.gateway.url}/.well-known/oauth-authorization-server/mcp").json()
    assert metadata["authorization_endpoint"] == f"{stack.idp.url}/authorize?audience={stack.gateway.mcp_url}"
    assert metadata["issuer"] == stack.gateway.mcp_url  # #3089
    assert metadata["registration_endpoint"] == f"{stack.idp.url}/oidc/register"  # auth0: not rewritten

    async def run() -> None:
        async with stack.mcp_client(oauth=True) as client:
            await client.list_tools()

    with pytest.raises(BaseException) as info:
        asyncio.run(run())
    leaf: BaseException = info.value
    while isinstance(leaf, BaseExceptionGroup):
        leaf = leaf.exceptions[0]
    assert "authorization did not return a code" in str(leaf)


# --- §6 rows 5-7: the 401, the mode table, PRM, AS metadata, DCR -----------------------------------------------


def test_prm_key_order_defaults_and_cors(stack: Stack, demo: dict[str, Any]) -> None:
    response = stack.http.get(f"{stack.gateway.url}/.well-known/oauth-protected-resource/mcp")
    assert list(response.json()) == ["resource", "authorization_servers", "mcp_protocol_version", "resource_type",
                                     "bearer_methods_supported", "scopes_supported"]
    assert response.json()["authorization_servers"] == [stack.idp.issuer]
    assert response.headers["access-control-allow-origin"] == "*"
    assert response.headers["access-control-allow-methods"] == "GET, OPTIONS"


def test_as_metadata_passes_through_without_provider_and_mock_dcr_with_client_id(stack: Stack, demo: dict[str, Any]) -> None:
    upstream = stack.http.get(f"{stack.idp.url}/.well-known/oauth-authorization-server").json()
    assert stack.http.get(f"{stack.gateway.url}/.well-known/oauth-authorization-server").json() == upstream
    document = copy.deepcopy(demo)
    document["routes"][0]["policies"]["mcpAuthentication"]["clientId"] = "pre-registered-client"
    stack.gateway.put(document)
    registered = stack.http.post(f"{stack.gateway.url}/.well-known/oauth-authorization-server/mcp/client-registration",
                                 json={"redirect_uris": ["http://127.0.0.1:9/cb"]})
    assert registered.status_code == 201
    assert registered.json() == {"client_id": "pre-registered-client", "client_id_issued_at": 0,
                                 "token_endpoint_auth_method": "none", "grant_types": ["authorization_code"],
                                 "response_types": ["code"], "redirect_uris": ["http://127.0.0.1:9/cb"]}


@pytest.mark.parametrize(
    ("era", "mode", "missing", "bad"),
    [("D", "strict", 401, 401), ("D", "optional", 200, 401), ("D", "permissive", 200, 200),
     ("B", "optional", 200, 401), ("B", "permissive", 200, 401), ("A", "strict", 401, 403)],
)
def test_mode_table(stack: Stack, demo: dict[str, Any], era: str, mode: str, missing: int, bad: int) -> None:
    document = copy.deepcopy(demo)
    authn = document["routes"][0]["policies"].pop("mcpAuthentication")
    document["routes"][0]["policies"] = {"mcpAuthentication": (
        {"issuer": authn["issuer"], "audience": authn["audiences"][0], "jwksUrl": authn["jwks"]["url"],
         "resourceMetadata": {}} if era == "A" else {**authn, "mode": mode})}
    document["emulator"] = {**document.get("emulator", {}), "era": era}
    stack.gateway.put(document)
    assert post(stack, INIT).status_code == missing
    expired = stack.token()[:-4] + "AAAA"
    response = post(stack, INIT, expired)
    assert response.status_code == bad
    if era == "A":
        assert response.text == "authentication failure: the token is invalid or malformed: Error(InvalidSignature)"


def test_credential_stripped_unless_passthrough(stack: Stack, demo: dict[str, Any]) -> None:
    asyncio.run(tools_and_call(stack.gateway.mcp_url, stack.token(), "whoami"))
    assert all("authorization" not in r["request"]["headers"] for r in stack.mcp.log())
    document = copy.deepcopy(demo)
    document["routes"][0]["policies"]["backendAuth"] = {"passthrough": {}}
    stack.gateway.put(document)
    stack.mcp.reset()
    asyncio.run(tools_and_call(stack.gateway.mcp_url, stack.token(), "whoami"))
    assert all("authorization" in r["request"]["headers"] for r in stack.mcp.log() if r["method"] == "POST")


# --- §6 rows 8-10: mcpAuthorization, multiplexing, transports -------------------------------------------------


def two_targets(stack: Stack, demo: dict[str, Any], era: str = "D") -> dict[str, Any]:
    document = copy.deepcopy(demo)
    mcp = document["routes"][0]["backends"][0]["mcp"]
    mcp["targets"].append({"name": "local", "stdio": {"cmd": sys.executable, "args": ["-m", "sample_mcp", "--stdio"]}})
    document["routes"][0]["policies"]["mcpAuthorization"] = {"rules": [
        'mcp.tool.target == "local" || mcp.tool.name == "search"']}
    document["emulator"] = {"era": era}
    return document


def test_multiplexing_names_filtering_and_the_hidden_denial(stack: Stack, demo: dict[str, Any]) -> None:
    stack.gateway.put(two_targets(stack, demo))
    token = stack.token()
    tools, result = asyncio.run(tools_and_call(stack.gateway.mcp_url, token, "local_echo"))
    assert "search-server_search" in tools and "local_echo" in tools and "search-server_echo" not in tools
    assert not result.is_error

    init = post(stack, INIT, token)
    call = {"jsonrpc": "2.0", "id": 7, "method": "tools/call", "params": {"name": "search-server_echo", "arguments": {}}}
    response = post(stack, call, token, **{"mcp-session-id": init.headers["mcp-session-id"]})
    assert response.status_code == 400
    assert response.json() == {"jsonrpc": "2.0", "id": 7, "error": {"code": -32602, "message": "Unknown tool: search-server_echo"}}
    assert "mcpAuthorization" in stack.gateway.log()[-1]["reason"]


@pytest.mark.parametrize(("era", "status"), [("C", 500), ("B", 200)])
def test_denial_status_per_era(stack: Stack, demo: dict[str, Any], era: str, status: int) -> None:
    document = two_targets(stack, demo, era)
    document["routes"][0]["backends"][0]["mcp"]["targets"].pop()  # one target: no stdio process needed
    document["routes"][0]["policies"]["mcpAuthorization"] = {"rules": ['mcp.tool.name == "search"']}
    # eras B and C: mcpAuthentication sits on the backend, so the route `authorization` would never see `jwt`
    document["routes"][0]["policies"].pop("authorization")
    stack.gateway.put(document)
    token = stack.token()
    init = post(stack, INIT, token)
    call = {"jsonrpc": "2.0", "id": 3, "method": "tools/call", "params": {"name": "echo", "arguments": {}}}
    response = post(stack, call, token, **{"mcp-session-id": init.headers["mcp-session-id"]})
    assert response.status_code == status and response.json()["error"]["message"] == "Unknown tool: echo"


def test_streamable_http_transport_errors(stack: Stack, demo: dict[str, Any]) -> None:
    token = stack.token()
    assert post(stack, INIT, token, accept="application/json").text == (
        "mcp: client must accept both application/json and text/event-stream")
    assert post(stack, INIT, token, **{"content-type": "text/plain"}).status_code == 415
    listing = {"jsonrpc": "2.0", "id": 2, "method": "tools/list"}
    assert post(stack, listing, token).text == "mcp: session header is required for non-initialize requests"
    unknown = post(stack, listing, token, **{"mcp-session-id": "nope"})
    assert (unknown.status_code, unknown.text) == (404, "mcp: session not found")
    init = post(stack, INIT, token)
    assert sse_json(init)["result"]["serverInfo"]["name"] == "sample-search"  # one target: forwarded unchanged
    put = stack.http.put(stack.gateway.mcp_url, headers={"authorization": f"Bearer {token}"})
    assert (put.status_code, put.text) == (405, "mcp: method not allowed; must be GET, POST, or DELETE")


def test_legacy_sse_endpoint(stack: Stack, demo: dict[str, Any]) -> None:
    async def run() -> list[str]:
        headers = {"Authorization": f"Bearer {stack.token()}"}
        async with sse_client(f"{stack.gateway.url}/sse", headers=headers) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                return [t.name for t in (await session.list_tools()).tools]

    assert "search" in asyncio.run(run())


# --- §6 row 11: admin surfaces ------------------------------------------------------------------------------------


def test_admin_stats_and_readiness_surfaces(stack: Stack) -> None:
    apps = admin_apps(stack.gateway.app)

    async def get(name: str, path: str) -> httpx.Response:
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=apps[name]), base_url="http://t") as client:
            return await client.get(path)

    assert asyncio.run(get("admin", "/")).headers["location"] == "/ui"
    assert "agentgateway" in asyncio.run(get("admin", "/ui")).text
    assert "routes" in asyncio.run(get("admin", "/config_dump")).json()["config"]
    assert "agentgateway_sessions" in asyncio.run(get("stats", "/metrics")).text
    assert asyncio.run(get("readiness", "/healthz/ready")).status_code == 200


def test_up_summary_names_the_agentgateway_dialect(stack: Stack) -> None:
    """`authstage up --gateway agentgateway` says which gateway runs (the manifest's `gateway.dialect`)."""
    from harness._demo import summary

    assert stack.manifest["gateway"]["dialect"] == "agentgateway"
    text = summary(stack.manifest)
    assert "  Gateway (agentgateway) http" in text and "AgentCore" not in text.split("Clients:")[0]
    import subprocess

    lines = [line.strip() for line in text.splitlines() if line.strip().startswith(("TOKEN=", "SESSION=", "curl -s"))]
    assert len(lines) == 3  # a token, a session (agentgateway's MCP sessions are stateful), the tools/list
    done = subprocess.run(["bash", "-c", "\n".join(lines)], capture_output=True, text=True, timeout=30)
    assert '"tools"' in done.stdout, (done.stdout[-300:], done.stderr[-300:])
