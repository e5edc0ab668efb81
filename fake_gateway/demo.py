"""The demo gateway `authstage-demo`: what the harness starts when a stack file has no `gateway:` section.

CUSTOM_JWT inbound (allowedAudience = the gateway's own /mcp URL, allowedScopes mcp:tools), MCP protocol with
every version AgentCore lists (DOC gateway-using: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28), one MCP
server target `search-server` reached with OAuth client credentials (Auth0 needs `audience`, hence
customParameters), `exceptionLevel` unset (the default AWS behaviour: generic target errors).
"""

from __future__ import annotations

from typing import Any

from fake_gateway.settings import Gateway

__all__ = ["DEMO_VERSIONS", "demo_gateway"]

DEMO_VERSIONS = ["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28"]


def demo_gateway(
    *,
    discovery_url: str,
    target_endpoint: str,
    token_endpoint: str,
    client_id: str,
    client_secret: str,
    audience: str | None = None,
    target_audience: str | None = None,
) -> Gateway:
    """The demo gateway, wired to an IdP (`discovery_url`, `token_endpoint`) and a target endpoint."""
    jwt: dict[str, Any] = {"discoveryUrl": discovery_url, "allowedScopes": ["mcp:tools"]}
    if audience:
        jwt["allowedAudience"] = [audience]
    issuer = discovery_url.split("/.well-known/")[0] + "/"
    oauth: dict[str, Any] = {
        "providerArn": "authstage-demo-idp",
        "scopes": ["search:read"],
        "grantType": "CLIENT_CREDENTIALS",
    }
    if target_audience:
        oauth["customParameters"] = {"audience": target_audience}
    return Gateway.from_document(
        {
            "name": "authstage-demo",
            "description": "authstage demo gateway (fake AgentCore)",
            # every real gateway has one (CreateGateway requires it); the guides' update-gateway step reads it
            # back from get-gateway. Never assumed: IAM is not emulated.
            "roleArn": "arn:aws:iam::123456789012:role/authstage-demo-gateway",
            "authorizerType": "CUSTOM_JWT",
            "authorizerConfiguration": {"customJWTAuthorizer": jwt},
            "protocolType": "MCP",
            "protocolConfiguration": {
                "mcp": {
                    "supportedVersions": DEMO_VERSIONS,
                    "instructions": "authstage demo gateway: tools of the sample MCP server.",
                }
            },
            "targets": [_target(target_endpoint, oauth)],
            "credentialProviders": [_provider(issuer, token_endpoint, client_id, client_secret)],
        }
    )


def _target(endpoint: str, oauth: dict[str, Any]) -> dict[str, Any]:
    """The `search-server` target (a get-gateway-target document): the sample MCP server, OAuth outbound."""
    return {
        "name": "search-server",
        "description": "The sample MCP server (search, whoami, echo, fail, slow)",
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": endpoint}}},
        "credentialProviderConfigurations": [
            {
                "credentialProviderType": "OAUTH",
                "credentialProvider": {"oauthCredentialProvider": oauth},
            }
        ],
    }


def _provider(issuer: str, token_endpoint: str, client_id: str, client_secret: str) -> dict[str, Any]:
    """The OAuth2 credential provider `authstage-demo-idp` (a CustomOauth2 create input)."""
    return {
        "name": "authstage-demo-idp",
        "credentialProviderVendor": "CustomOauth2",
        "oauth2ProviderConfigInput": {
            "customOauth2ProviderConfig": {
                "oauthDiscovery": {
                    "authorizationServerMetadata": {
                        "issuer": issuer,
                        "authorizationEndpoint": issuer + "authorize",
                        "tokenEndpoint": token_endpoint,
                        "tokenEndpointAuthMethods": ["client_secret_post"],
                    }
                },
                "clientId": client_id,
                "clientSecret": client_secret,
            }
        },
    }
