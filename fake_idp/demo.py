"""The built-in demo tenant: a "new 2026 tenant" wired for the authstage chain (gateway -> sample MCP server).

Compatibility profile on, strict DCR on, RFC 8414 alias, 2026 discovery. A desktop browser sees the login and
consent pages; a request that asks for it (``login_hint``, or the authstage-browser's User-Agent) is approved
headlessly (alice unless ``login_hint`` names another user).
The gateway API uses ``rfc9068_profile_authz`` - what Auth0's own MCP quickstart creates (DOC
auth4genai create-mcp-api.mdx: ``token_dialect: rfc9068_profile_authz``, RS256, ``enforce_policies: true``) -
so tokens carry ``aud`` (the gateway's allowedAudience check), ``client_id`` and ``permissions``.
All ids and secrets are obviously fake.
"""

from __future__ import annotations

from fake_idp.tenant import (
    Api,
    ApiScope,
    Client,
    ClientGrant,
    Connection,
    ManagementApi,
    RefreshTokenSettings,
    Tenant,
    TenantSettings,
    TokenExchangeAction,
    TokenExchangeProfile,
    User,
)

__all__ = ["AUTO_APPROVE_USER_AGENTS", "DEMO_CLIENT_IDS", "DEMO_SUBJECT_TOKEN_TYPE", "MANAGEMENT_CLIENT", "demo_tenant"]

# 32 alphanumerics like Auth0's client ids, but obviously fake.
DEMO_CLIENT_IDS = {
    "demo-m2m": "DEMOm2mClient0000000000000000001",
    "gateway-outbound": "DEMOgatewayOutbound0000000000002",
    "demo-cli": "DEMOcliNativeApp0000000000000003",
    "demo-m2m-basic": "DEMOm2mBasicAuth0000000000000004",
    "api-explorer": "DEMOapiExplorerApp00000000000005",
}
# The tenant's "API Explorer Application": the M2M app Auth0 creates to call its Management API (DOC
# get-access-tokens-for-test, "Create and authorize a machine-to-machine application"), granted every scope
# of the emulated Management API endpoints.
MANAGEMENT_CLIENT = "api-explorer"
# The headless clients of authstage (harness `authstage-browser`, the scenario replayer): their /authorize asks
# for auto-approval by User-Agent.
AUTO_APPROVE_USER_AGENTS = ("authstage-browser/", "authstage-replay/")
# The Custom Token Exchange profile type of the demo (reserved urn:ietf types cannot be profiles).
DEMO_SUBJECT_TOKEN_TYPE = "urn:authstage:token-type:gateway-access-token"


def demo_tenant(
    *,
    gateway_resource: str = "http://127.0.0.1:8000/mcp",
    mcp_resource: str = "http://127.0.0.1:8001/mcp",
    management_api: str | None = None,
) -> Tenant:
    """The demo tenant; ``gateway_resource`` / ``mcp_resource`` become the two API identifiers (exact match);
    ``management_api`` (``https://<domain>/api/v2/``) adds the Management API and its API Explorer application."""
    tenant = Tenant(
        name="authstage-demo",
        settings=TenantSettings(
            friendly_name="authstage demo",
            resource_parameter_profile="compatibility",
            enable_dynamic_client_registration=True,
            dynamic_client_registration_security_mode="strict",
            discovery_profile="2026",
            rfc8414_metadata="alias",
            headless_default_user="alice@example.test",
            auto_approve_login_hint=True,
            auto_approve_user_agents=list(AUTO_APPROVE_USER_AGENTS),
        ),
        apis=_apis(gateway_resource, mcp_resource),
        clients=_clients(),
        client_grants=_client_grants(gateway_resource, mcp_resource),
        users=_users(),
        connections=[
            Connection(
                name="Username-Password-Authentication",
                is_domain_connection=True,
                enabled_clients=[DEMO_CLIENT_IDS["demo-cli"]],
            )
        ],
        token_exchange_profiles=[
            TokenExchangeProfile(
                name="gateway-delegation",
                subject_token_type=DEMO_SUBJECT_TOKEN_TYPE,
                action=TokenExchangeAction(required_subject_audience=gateway_resource),
            )
        ],
    )
    if management_api:
        secret = "demo-secret-not-for-production-api-explorer-0005"
        tenant.management_api = ManagementApi(identifier=management_api, client_name=MANAGEMENT_CLIENT,
                                              client_id=DEMO_CLIENT_IDS[MANAGEMENT_CLIENT], client_secret=secret)
        tenant = Tenant.model_validate(tenant.model_dump())  # the validator adds the API, the app and the grant
    return tenant


def _apis(gateway_resource: str, mcp_resource: str) -> list[Api]:
    return [
        Api(
            name="authstage-gateway",
            identifier=gateway_resource,
            scopes=[
                ApiScope(value="mcp:tools", description="List and call tools through the gateway"),
                ApiScope(value="mcp:admin", description="Administer the gateway"),
            ],
            token_dialect="rfc9068_profile_authz",
            enforce_policies=True,
            allow_offline_access=True,
        ),
        Api(
            name="sample-search",
            identifier=mcp_resource,
            scopes=[ApiScope(value="search:read", description="Search the sample corpus")],
            token_dialect="rfc9068_profile_authz",
            enforce_policies=True,
        ),
    ]


def _clients() -> list[Client]:
    ids = DEMO_CLIENT_IDS
    return [
        Client(
            name="demo-m2m",
            client_id=ids["demo-m2m"],
            client_secret="demo-secret-not-for-production-m2m-0001",
            app_type="non_interactive",
            grant_types=["client_credentials"],
            token_endpoint_auth_method="client_secret_post",
        ),
        Client(
            # The SDKs' client-credentials helpers (TypeScript SDK, FastMCP) default to HTTP Basic (RFC 6749
            # §2.3.1); Auth0 refuses a method the client is not registered for, so the demo has one of each.
            name="demo-m2m-basic",
            client_id=ids["demo-m2m-basic"],
            client_secret="demo-secret-not-for-production-m2m-basic-0004",
            app_type="non_interactive",
            grant_types=["client_credentials"],
            token_endpoint_auth_method="client_secret_basic",
        ),
        Client(
            name="gateway-outbound",
            client_id=ids["gateway-outbound"],
            client_secret="demo-secret-not-for-production-gateway-0002",
            app_type="non_interactive",
            grant_types=["client_credentials", "urn:ietf:params:oauth:grant-type:token-exchange"],
            token_endpoint_auth_method="client_secret_post",
        ),
        Client(
            name="demo-cli",
            client_id=ids["demo-cli"],
            app_type="native",
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
            callbacks=["http://127.0.0.1:8976/callback", "http://localhost:8976/callback"],
            allowed_logout_urls=["http://127.0.0.1:8976/", "http://localhost:8976/"],
            refresh_token=RefreshTokenSettings(rotation_type="rotating", expiration_type="expiring"),
        ),
    ]


def _client_grants(gateway_resource: str, mcp_resource: str) -> list[ClientGrant]:
    ids = DEMO_CLIENT_IDS
    return [
        ClientGrant(client_id=ids["demo-m2m"], audience=gateway_resource, scope=["mcp:tools"]),
        ClientGrant(client_id=ids["demo-m2m-basic"], audience=gateway_resource, scope=["mcp:tools"]),
        ClientGrant(client_id=ids["gateway-outbound"], audience=mcp_resource, scope=["search:read"]),
        ClientGrant(
            default_for="third_party_clients",
            audience=gateway_resource,
            scope=["mcp:tools"],
            subject_type="user",
        ),
    ]


def _users() -> list[User]:
    return [
        User(
            user_id="auth0|alice",
            email="alice@example.test",
            password="demo-password-alice",
            name="Alice Example",
            nickname="alice",
            permissions={
                "authstage-gateway": ["mcp:tools", "mcp:admin"],
                "sample-search": ["search:read"],
            },
        ),
        User(
            user_id="auth0|bob",
            email="bob@example.test",
            password="demo-password-bob",
            name="Bob Example",
            nickname="bob",
            permissions={},
        ),
    ]
