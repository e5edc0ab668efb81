"""The demo stack is wired as the real thing (public API only)."""

from __future__ import annotations

import asyncio

import httpx
import jwt as pyjwt
import pytest

from harness import ConfigError, Stack, StackFile


def verify(token: str, stack: Stack, audience: str) -> dict:
    """Independent verification with PyJWT against the IdP's served JWKS."""
    jwks = pyjwt.PyJWKClient(stack.idp.jwks_uri)
    key = jwks.get_signing_key_from_jwt(token).key
    return pyjwt.decode(token, key, algorithms=["RS256"], audience=audience, issuer=stack.idp.issuer)


def test_demo_wiring_matches_the_real_setup(stack: Stack) -> None:
    manifest = stack.manifest
    assert manifest["apis"]["authstage-gateway"] == stack.gateway.mcp_url  # API identifier = gateway resource URL
    assert manifest["apis"]["sample-search"] == stack.mcp.mcp_url
    gateway = stack.gateway.config()
    jwt_config = gateway["authorizerConfiguration"]["customJWTAuthorizer"]
    assert jwt_config["discoveryUrl"] == stack.idp.discovery_url
    assert jwt_config["allowedAudience"] == [stack.gateway.mcp_url]
    (target,) = gateway["targets"]
    assert target["name"] == "search-server"
    assert target["targetConfiguration"]["mcp"]["mcpServer"]["endpoint"] == stack.mcp.mcp_url
    assert stack.mcp.config()["auth"]["audience"] == stack.mcp.mcp_url  # sample server protects itself
    prm = stack.http.get(stack.gateway.prm_url).json()
    assert prm["resource"] == stack.gateway.mcp_url
    assert prm["authorization_servers"] == [stack.idp.issuer]
    discovery = stack.http.get(stack.idp.discovery_url).json()
    assert discovery["issuer"] == stack.idp.issuer and stack.idp.issuer.endswith("/")


def test_manifest_names_every_url_and_the_demo_credentials(stack: Stack) -> None:
    manifest = stack.manifest
    assert set(manifest["services"]) == {"idp", "gateway", "mcp"}
    assert manifest["gateway"]["mcp_url"] == stack.gateway.mcp_url
    assert manifest["gateway"]["prm_url"] == stack.gateway.prm_url
    assert manifest["idp"]["issuer"] == stack.idp.issuer
    assert manifest["clients"]["demo-m2m"]["client_secret"].startswith("demo-secret-not-for-production")
    assert "client_secret" not in manifest["clients"]["demo-cli"]
    assert manifest["users"]["alice@example.test"]["password"]
    for service in manifest["services"].values():
        assert service["url"].startswith("http://127.0.0.1:")


def test_m2m_token_lists_and_calls_tools_through_the_gateway(stack: Stack) -> None:
    token = stack.token()
    claims = verify(token, stack, stack.gateway.mcp_url)
    assert claims["sub"] == stack.manifest["clients"]["demo-m2m"]["client_id"] + "@clients"

    async def run() -> tuple[list[str], dict, dict]:
        async with stack.mcp_client(token=token) as client:
            names = [tool.name for tool in (await client.list_tools()).tools]
            found = await client.call_tool("search-server___search", {"q": "allowedClients azp", "limit": 2})
            whoami = await client.call_tool("search-server___whoami", {})
            return names, found.structured_content, whoami.structured_content

    names, found, whoami = asyncio.run(run())
    assert "search-server___search" in names and "search-server___whoami" in names
    assert len(found["results"]) == 2
    # No token passthrough: the sample server sees the gateway's own client-credentials token.
    outbound = stack.manifest["clients"]["gateway-outbound"]["client_id"]
    assert whoami["authenticated"] is True
    assert whoami["client_id"] == outbound
    assert whoami["claims"]["aud"] == stack.mcp.mcp_url


def test_oauth_client_provider_runs_the_whole_dance_headlessly(stack: Stack) -> None:
    async def run() -> list[str]:
        async with stack.mcp_client(oauth=True) as client:
            result = await client.call_tool("search-server___echo", {"text": "through the chain"})
            assert result.structured_content == {"result": "through the chain"}
            return [tool.name for tool in (await client.list_tools()).tools]

    assert "search-server___echo" in asyncio.run(run())
    paths = [(r["service"], r["path"], r["status"]) for r in stack.log()]
    assert ("gateway", "/mcp", 401) in paths
    assert ("gateway", "/.well-known/oauth-protected-resource", 200) in paths
    assert ("idp", "/oidc/register", 201) in paths
    authorize = next(r for r in stack.log() if r["path"] == "/authorize")
    assert authorize["query"]["resource"] == stack.gateway.mcp_url
    assert authorize["query"]["code_challenge_method"] == "S256"


def test_patch_reset_and_apply(fresh: Stack) -> None:
    token = fresh.token()
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream",
               "MCP-Protocol-Version": "2025-11-25"}
    body = {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert fresh.http.post(fresh.gateway.mcp_url, json=body, headers=headers).status_code == 200
    fresh.patch(gateway={"authorizerConfiguration": {"customJWTAuthorizer": {"allowedAudience": ["${gateway.mcp_url}/"]}}})
    refused = fresh.http.post(fresh.gateway.mcp_url, json=body, headers=headers)
    assert refused.status_code == 401
    assert refused.json() == {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Invalid Bearer token"}}
    fresh.reset()
    assert fresh.http.post(fresh.gateway.mcp_url, json=body, headers=headers).status_code == 200
    fresh.apply(StackFile(idp={"settings": {"resource_parameter_profile": "ignore"}}))
    assert fresh.idp.config()["settings"]["resource_parameter_profile"] == "ignore"


def test_clock_moves_every_service(fresh: Stack) -> None:
    token = fresh.token()
    fresh.clock(freeze=True, advance=2 * 86400)
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json, text/event-stream"}
    response = fresh.http.post(fresh.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"}, headers=headers)
    assert response.status_code == 401
    reasons = [r["reason"] for r in fresh.gateway.log() if r["status"] == 401]
    assert any("expired" in (reason or "") for reason in reasons)
    for service in fresh.services:
        assert service._control("GET", "clock").json()["frozen"] is True


def test_stack_file_overrides_merge_over_the_demo(tmp_path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text(
        "gateway:\n"
        "  authorizerConfiguration:\n"
        "    customJWTAuthorizer:\n"
        "      allowedClients: ['${idp.url}']\n"
        "mcp:\n"
        "  sessions: true\n"
    )
    with Stack(path) as stack:
        jwt_config = stack.gateway.config()["authorizerConfiguration"]["customJWTAuthorizer"]
        assert jwt_config["allowedClients"] == [stack.idp.url]
        assert jwt_config["allowedAudience"] == [stack.gateway.mcp_url]  # the demo default survives the merge
        assert stack.mcp.config()["sessions"] is True


def test_bad_sections_fail_before_anything_listens() -> None:
    with pytest.raises(ConfigError, match="idp"):
        Stack({"idp": {"settings": {"resource_parameter_profil": "ignore"}}}).start()
    with pytest.raises(ConfigError, match="gateway"):
        Stack({"gateway": {"authorizerConfiguration": {"customJwtAuthorizer": {}}}}).start()
    with pytest.raises(ConfigError, match="mcp"):
        Stack({"mcp": {"sesions": True}}).start()


def test_no_control_plane_mode_hides_the_control_endpoints() -> None:
    with Stack(control_plane=False) as stack:
        for service in stack.services:
            assert httpx.get(f"{service.url}/_authstage/config").status_code == 404
        assert stack.token()  # the emulated surfaces still work


def test_oauth_as_a_user_without_the_permission_ends_in_a_403_step_up(fresh: Stack) -> None:
    async def run() -> None:
        async with fresh.mcp_client(oauth=True, username="bob@example.test") as client:
            await client.list_tools()

    with pytest.raises(BaseException):  # noqa: B017 - the SDK gives up after the step-up fails again
        asyncio.run(run())
    refused = [r for r in fresh.gateway.log() if r["status"] == 403]
    assert refused and "allowedScopes" in refused[-1]["reason"]
    tokens = [t for r in fresh.idp.log() for t in r.get("tokens", []) if t["where"].startswith("response")]
    assert tokens[-1]["claims"]["sub"] == "auth0|bob"
