"""Set up an AgentCore gateway protected by Auth0, the way the setup guides do it, then call a tool through it.

Written as a user writes it: boto3 for `bedrock-agentcore-control`, auth0-python for the Auth0 Management and
Authentication APIs, the `mcp` SDK for the call. Nothing here knows about authstage: against real AWS and a real
Auth0 tenant it needs the same environment (AWS credentials and region, AUTH0_DOMAIN and a Management API
application's AUTH0_CLIENT_ID / AUTH0_CLIENT_SECRET, MCP_SERVER_URL of an MCP server whose Auth0 API has the
identifier MCP_SERVER_URL and the scope `search:read`). `authstage up --tls` prints exactly these lines.

Steps (AWS devguide gateway-create-api, gateway-target-MCPservers, gateway-building-adding-targets-authorization;
Auth0 auth4genai MCP guides: enable DCR, promote the connection to domain level, the resource parameter profile):
  1. Auth0 tenant: Dynamic Client Registration on, `resource` honoured, the database connection domain-level.
  2. Auth0 app for the gateway's outbound calls, granted `search:read` on the MCP server's API.
  3. AgentCore: an OAuth2 credential provider for that app (discovery URL of the tenant).
  4. AgentCore: a gateway with a CUSTOM_JWT authorizer (discovery URL of the tenant).
  5. Auth0: an API whose identifier is the gateway's URL, an M2M app for the agent and its client grant, the
     default grant of DCR (third-party) clients; the gateway's allowedAudience becomes that URL (update-gateway,
     as the Auth0 guides say).
  6. AgentCore: an MCP-server target reached with the credential provider; wait until it is READY.
  7. The agent: a client-credentials token from Auth0, `tools/list` and `tools/call` through the gateway.
"""

from __future__ import annotations

import asyncio
import os
import sys
import time

import boto3
import httpx2
from auth0.authentication import GetToken
from auth0.management import ManagementClient
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

DOMAIN = os.environ["AUTH0_DOMAIN"]
MCP_SERVER_URL = os.environ["MCP_SERVER_URL"]
ROLE_ARN = os.environ.get("GATEWAY_ROLE_ARN", "arn:aws:iam::123456789012:role/AgentCoreGatewayRole")
DISCOVERY_URL = f"https://{DOMAIN}/.well-known/openid-configuration"
SUFFIX = os.environ.get("SETUP_SUFFIX", str(int(time.time())))


def wait_until_ready(read, what: str, timeout: float = 60.0) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        resource = read()
        status = resource["status"]
        if status in ("READY", "ACTIVE"):
            return resource
        if status not in ("CREATING", "UPDATING", "SYNCHRONIZING") or time.monotonic() > deadline:
            sys.exit(f"{what} is {status}: {resource.get('statusReasons')}")
        time.sleep(0.5)


def prepare_tenant(auth0: ManagementClient) -> dict:
    """Step 1 and 2: DCR on, `resource` honoured, domain-level connection, the gateway's outbound app."""
    auth0.tenants.settings.update(
        flags={"enable_dynamic_client_registration": True}, resource_parameter_profile="compatibility"
    )
    for connection in auth0.connections.list(strategy="auth0"):
        auth0.connections.update(connection.id, is_domain_connection=True)
    outbound = auth0.clients.create(
        name=f"agentcore-gateway-outbound-{SUFFIX}",
        app_type="non_interactive",
        grant_types=["client_credentials"],
        token_endpoint_auth_method="client_secret_post",
    )
    auth0.client_grants.create(client_id=outbound.client_id, audience=MCP_SERVER_URL, scope=["search:read"])
    return {"client_id": outbound.client_id, "client_secret": outbound.client_secret}


def create_gateway(agentcore, outbound: dict) -> tuple[dict, dict]:
    """Steps 3 and 4: the credential provider and the gateway."""
    provider = agentcore.create_oauth2_credential_provider(
        name=f"auth0-outbound-{SUFFIX}",
        credentialProviderVendor="CustomOauth2",
        oauth2ProviderConfigInput={
            "customOauth2ProviderConfig": {
                "oauthDiscovery": {"discoveryUrl": DISCOVERY_URL},
                "clientId": outbound["client_id"],
                "clientSecret": outbound["client_secret"],
                # the app above was registered with client_secret_post; Auth0 refuses Basic for it
                "clientAuthenticationMethod": "CLIENT_SECRET_POST",
            }
        },
    )
    gateway = agentcore.create_gateway(
        name=f"search-gateway-{SUFFIX}",
        roleArn=ROLE_ARN,
        protocolType="MCP",
        protocolConfiguration={"mcp": {"supportedVersions": ["2025-03-26", "2025-06-18", "2025-11-25"]}},
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": DISCOVERY_URL,
                                                         "allowedScopes": ["mcp:invoke"]}},
    )
    gateway = wait_until_ready(lambda: agentcore.get_gateway(gatewayIdentifier=gateway["gatewayId"]), "gateway")
    return provider, gateway


def authorize_agent(auth0: ManagementClient, agentcore, gateway: dict) -> dict:
    """Step 5: the gateway's URL as the Auth0 API identifier, the agent's app and grant, allowedAudience."""
    url = gateway["gatewayUrl"]
    auth0.resource_servers.create(
        identifier=url,
        name=f"AgentCore gateway {SUFFIX}",
        scopes=[{"value": "mcp:invoke", "description": "Call tools through the gateway"}],
        signing_alg="RS256",
        token_dialect="rfc9068_profile_authz",
    )
    agent = auth0.clients.create(
        name=f"search-agent-{SUFFIX}", app_type="non_interactive", grant_types=["client_credentials"]
    )
    auth0.client_grants.create(client_id=agent.client_id, audience=url, scope=["mcp:invoke"])
    # MCP clients that register themselves (DCR) are third-party apps: they get the API through this grant
    auth0.client_grants.create(default_for="third_party_clients", audience=url, scope=["mcp:invoke"],
                               subject_type="user")
    agentcore.update_gateway(
        gatewayIdentifier=gateway["gatewayId"],
        name=gateway["name"],
        roleArn=gateway["roleArn"],
        protocolType=gateway["protocolType"],
        protocolConfiguration=gateway["protocolConfiguration"],
        authorizerType="CUSTOM_JWT",
        authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": DISCOVERY_URL, "allowedAudience": [url],
                                                         "allowedScopes": ["mcp:invoke"]}},
    )
    wait_until_ready(lambda: agentcore.get_gateway(gatewayIdentifier=gateway["gatewayId"]), "updated gateway")
    return {"client_id": agent.client_id, "client_secret": agent.client_secret}


def add_target(agentcore, gateway: dict, provider: dict) -> dict:
    """Step 6: the MCP server behind the gateway, with the gateway's own client-credentials token."""
    target = agentcore.create_gateway_target(
        gatewayIdentifier=gateway["gatewayId"],
        name="search",
        description="Search the sample corpus",
        targetConfiguration={"mcp": {"mcpServer": {"endpoint": MCP_SERVER_URL}}},
        credentialProviderConfigurations=[{
            "credentialProviderType": "OAUTH",
            "credentialProvider": {"oauthCredentialProvider": {
                "providerArn": provider["credentialProviderArn"],
                "scopes": ["search:read"],
                "customParameters": {"audience": MCP_SERVER_URL},  # Auth0 wants `audience`
            }},
        }],
    )
    return wait_until_ready(lambda: agentcore.get_gateway_target(
        gatewayIdentifier=gateway["gatewayId"], targetId=target["targetId"]), "target")


async def call_tool(gateway_url: str, token: str) -> None:
    """Step 7: the agent's MCP session through the gateway."""
    headers = {"Authorization": f"Bearer {token}"}
    async with httpx2.AsyncClient(headers=headers, timeout=30) as http:
        async with streamable_http_client(gateway_url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                tools = [tool.name for tool in (await session.list_tools()).tools]
                print("tools:", ", ".join(tools))
                result = await session.call_tool("search___search", {"q": "PKCE", "limit": 1})
                if result.is_error:
                    sys.exit(f"tools/call failed: {result.content}")
                print("search___search:", result.content[0].text[:200])


def main() -> None:
    auth0 = ManagementClient(domain=DOMAIN, client_id=os.environ["AUTH0_CLIENT_ID"],
                             client_secret=os.environ["AUTH0_CLIENT_SECRET"])
    agentcore = boto3.client("bedrock-agentcore-control")
    outbound = prepare_tenant(auth0)
    provider, gateway = create_gateway(agentcore, outbound)
    agent = authorize_agent(auth0, agentcore, gateway)
    target = add_target(agentcore, gateway, provider)
    print(f"gateway {gateway['gatewayId']} at {gateway['gatewayUrl']}, target {target['targetId']} READY")
    token = GetToken(DOMAIN, agent["client_id"], client_secret=agent["client_secret"]).client_credentials(
        gateway["gatewayUrl"]
    )["access_token"]
    asyncio.run(call_tool(gateway["gatewayUrl"], token))


if __name__ == "__main__":
    main()
