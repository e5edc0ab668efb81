"""Gateways the control-plane API creates are served at once, several at the same time, each at its own URL."""

from __future__ import annotations

import asyncio

import boto3
import pytest

from harness import Stack

ROLE = "arn:aws:iam::123456789012:role/AgentCoreGatewayRole"


@pytest.fixture(scope="module")
def stack():
    with Stack() as running:
        yield running


def _boto(stack):
    return boto3.client("bedrock-agentcore-control", endpoint_url=stack.gateway.url, region_name="us-east-1",
                        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="x")


def _authorize(stack, audiences: list[str]) -> None:
    """An Auth0 API per gateway URL, demo-m2m granted `mcp:tools` on each (as a setup script would)."""
    tenant = stack.idp.config()
    for audience in audiences:
        tenant["apis"].append({"name": audience.rsplit("/", 2)[-2], "identifier": audience, "scopes": ["mcp:tools"]})
        tenant["client_grants"].append({"client_id": stack.client("demo-m2m")["client_id"], "audience": audience,
                                        "scope": ["mcp:tools"]})
    stack.idp.put(tenant)


def _create(c, stack, name: str, provider_arn: str, **extra) -> dict:
    gateway = c.create_gateway(name=name, roleArn=ROLE, authorizerType="CUSTOM_JWT", protocolType="MCP",
                               authorizerConfiguration={"customJWTAuthorizer": {
                                   "discoveryUrl": stack.idp.discovery_url, "allowedScopes": ["mcp:tools"]}},
                               **extra)
    url = gateway["gatewayUrl"]
    c.update_gateway(gatewayIdentifier=gateway["gatewayId"], name=name, roleArn=ROLE, authorizerType="CUSTOM_JWT",
                     protocolType="MCP", authorizerConfiguration={"customJWTAuthorizer": {
                         "discoveryUrl": stack.idp.discovery_url, "allowedAudience": [url]}}, **extra)
    c.create_gateway_target(
        gatewayIdentifier=gateway["gatewayId"], name="search",
        targetConfiguration={"mcp": {"mcpServer": {"endpoint": stack.mcp.mcp_url}}},
        credentialProviderConfigurations=[{"credentialProviderType": "OAUTH", "credentialProvider": {
            "oauthCredentialProvider": {"providerArn": provider_arn, "scopes": ["search:read"],
                                        "customParameters": {"audience": stack.mcp.mcp_url}}}}])
    return gateway


def _provider(c, stack) -> dict:
    outbound = stack.client("gateway-outbound")
    return c.create_oauth2_credential_provider(
        name="outbound", credentialProviderVendor="CustomOauth2",
        oauth2ProviderConfigInput={"customOauth2ProviderConfig": {
            "oauthDiscovery": {"discoveryUrl": stack.idp.discovery_url}, "clientId": outbound["client_id"],
            "clientSecret": outbound["client_secret"], "clientAuthenticationMethod": "CLIENT_SECRET_POST"}})


async def _call(stack, url: str, token: str, tool: str = "search___search") -> tuple[list[str], bool]:
    async with stack.mcp_client(url=url, token=token) as session:
        tools = [t.name for t in (await session.list_tools()).tools]
        result = await session.call_tool(tool, {"q": "audience", "limit": 1})
        return tools, result.is_error


def test_two_created_gateways_and_the_demo_are_served_side_by_side(stack) -> None:
    stack.reset()
    c = _boto(stack)
    provider = _provider(c, stack)
    first = _create(c, stack, "first", provider["credentialProviderArn"])
    second = _create(c, stack, "second", provider["credentialProviderArn"])
    urls = [first["gatewayUrl"], second["gatewayUrl"]]
    assert urls == [f"{stack.gateway.url}/gateways/{g['gatewayId']}/mcp" for g in (first, second)]
    _authorize(stack, urls)
    token = stack.token(audience=urls[0])
    assert asyncio.run(_call(stack, urls[0], token)) == (
        ["search___echo", "search___fail", "search___search", "search___slow", "search___whoami"], False)
    refused = stack.http.post(urls[1], json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                              headers={"Authorization": f"Bearer {token}", "Accept": "application/json"})
    assert refused.status_code == 401  # the first gateway's audience is not the second's
    assert "allowedAudience" in stack.gateway.log()[-1]["reason"]
    assert asyncio.run(_call(stack, urls[1], stack.token(audience=urls[1])))[1] is False
    demo = asyncio.run(_call(stack, stack.gateway.mcp_url, stack.token(), "search-server___search"))
    assert demo[1] is False  # the demo gateway, untouched
    challenge = refused.headers["www-authenticate"]
    prm_url = f"{stack.gateway.url}/gateways/{second['gatewayId']}/.well-known/oauth-protected-resource"
    assert f'resource_metadata="{prm_url}"' in challenge
    for location in (prm_url, f"{stack.gateway.url}/.well-known/oauth-protected-resource/gateways/"
                              f"{second['gatewayId']}/mcp"):
        assert stack.http.get(location).json()["resource"] == urls[1]
    served = stack.http.get(stack.gateway.url + "/_authstage/gateways").json()["gateways"]
    assert [g["root"] for g in served] == [True, False, False]
    stack.gateway.reset()
    assert stack.http.post(urls[0], json={}).status_code == 404  # gone with the reset: Coral's unknown operation


def test_a_policy_engine_attached_by_the_api_enforces_at_once(stack) -> None:
    stack.reset()
    c = _boto(stack)
    provider = _provider(c, stack)
    engine = c.create_policy_engine(name="guard")
    gateway = _create(c, stack, "guarded", provider["credentialProviderArn"],
                      policyEngineConfiguration={"arn": engine["policyEngineArn"], "mode": "ENFORCE"})
    _authorize(stack, [gateway["gatewayUrl"]])
    token = stack.token(audience=gateway["gatewayUrl"])
    assert asyncio.run(_call(stack, gateway["gatewayUrl"], token))[1] is True  # default deny
    statement = (f'permit(principal, action == AgentCore::Action::"search___search", '
                 f'resource == AgentCore::Gateway::"{gateway["gatewayArn"]}");')
    c.create_policy(policyEngineId=engine["policyEngineId"], name="allow_search",
                    definition={"cedar": {"statement": statement}})
    assert asyncio.run(_call(stack, gateway["gatewayUrl"], token))[1] is False
    with pytest.raises(c.exceptions.ConflictException):  # attached: cannot go
        c.delete_policy_engine(policyEngineId=engine["policyEngineId"])


def test_update_gateway_on_the_demo_gateway_changes_the_running_config(stack) -> None:
    stack.reset()
    c = _boto(stack)
    demo = c.get_gateway(gatewayIdentifier=c.list_gateways()["items"][0]["gatewayId"])
    jwt = demo["authorizerConfiguration"]["customJWTAuthorizer"]
    c.update_gateway(gatewayIdentifier=demo["gatewayId"], name=demo["name"], roleArn=demo["roleArn"],
                     authorizerType="CUSTOM_JWT", protocolType="MCP",
                     authorizerConfiguration={"customJWTAuthorizer": {**jwt, "allowedScopes": ["mcp:admin"]}})
    config = stack.gateway.config()
    assert config["authorizerConfiguration"]["customJWTAuthorizer"]["allowedScopes"] == ["mcp:admin"]
    assert config["targets"][0]["name"] == "search-server" and config["emulator"]["controlApi"]["enabled"]
    response = stack.http.post(stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                               headers={"Authorization": f"Bearer {stack.token()}", "Accept": "application/json"})
    assert response.status_code == 403  # demo-m2m has mcp:tools, not mcp:admin
