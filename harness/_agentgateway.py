"""The agentgateway demo: `authstage up --gateway agentgateway` — the Auth0 docs page's setup, run today's way.

What runs (each default a stack file's sections merge over):
- `idp`: the demo tenant, its gateway API given Auth0 RBAC with permissions in the token (`read:tools`, DOC
  enable-role-based-access-control-for-apis; auth0-tenant.md §7): `demo-m2m` and alice hold it; the new client
  `demo-m2m-noperm` (the docs page's "unauthorized client") and bob do not. The AgentCore demo is unchanged.
- `gateway`: an agentgateway config in the current form (`gateways` + `routes`; sheet §2.1) with the page's
  `mcpAuthentication` (issuer = the IdP, with its trailing slash; audiences = the gateway's /mcp URL), the rule
  written as agentgateway reads it (`'"read:tools" in jwt.permissions'`), and the sample server as a streamable
  HTTP target `search-server`.
- `mcp`: the sample server without self-protection (agentgateway strips the caller's token before the upstream hop).
"""

from __future__ import annotations

from typing import Any

__all__ = ["NOPERM_CLIENT", "PERMISSION", "agentgateway_config", "agentgateway_documents"]

PERMISSION = "read:tools"
NOPERM_CLIENT = "demo-m2m-noperm"
NOPERM_CLIENT_ID = "DEMOm2mNoPermission0000000000004"


def agentgateway_config(variables: dict[str, str]) -> dict[str, Any]:
    """The gateway section: an agentgateway config (sheet §2; WEB standalone/latest/integrations/auth/auth0.md)."""
    return {
        "gateways": {"default": {"port": int(variables["gateway.port"] or 3000)}},
        "routes": [{
            "backends": [{"mcp": {"targets": [{"name": "search-server", "mcp": {"host": variables["mcp.mcp_url"]}}]}}],
            "policies": {
                "mcpAuthentication": {
                    "mode": "strict",
                    "issuer": variables["idp.issuer"],
                    "audiences": [variables["gateway.mcp_url"]],
                    "jwks": {"url": variables["idp.jwks_uri"]},
                    "resourceMetadata": {"resource": variables["gateway.mcp_url"], "scopesSupported": [PERMISSION],
                                         "bearerMethodsSupported": ["header"]},
                },
                "authorization": {"rules": [f'"{PERMISSION}" in jwt.permissions']},
            },
        }],
    }


def _tenant(tenant: dict[str, Any], gateway_api: str) -> dict[str, Any]:
    """The demo tenant with `read:tools` on the gateway API (RBAC, permissions in the token) and one M2M without."""
    tenant = dict(tenant)
    apis = []
    for api in tenant["apis"]:
        if api["identifier"] == gateway_api:
            api = {**api, "scopes": [*api["scopes"], {"value": PERMISSION, "description": "List and call tools"}]}
        apis.append(api)
    grants = []
    for grant in tenant["client_grants"]:
        if grant["audience"] == gateway_api:
            grant = {**grant, "scope": [*grant["scope"], PERMISSION]}
        grants.append(grant)
    m2m = next(c for c in tenant["clients"] if c["name"] == "demo-m2m")
    noperm = {**m2m, "name": NOPERM_CLIENT, "client_id": NOPERM_CLIENT_ID,
              "client_secret": "demo-secret-not-for-production-noperm-0004"}
    grants.append({"client_id": NOPERM_CLIENT_ID, "audience": gateway_api, "scope": ["mcp:tools"]})
    users = []
    for user in tenant["users"]:
        perms = user.get("permissions") or {}
        if "authstage-gateway" in perms:
            perms = {**perms, "authstage-gateway": [*perms["authstage-gateway"], PERMISSION]}
        users.append({**user, "permissions": perms})
    return {**tenant, "apis": apis, "client_grants": grants, "clients": [*tenant["clients"], noperm], "users": users}


def agentgateway_documents(variables: dict[str, str], demo: dict[str, dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The three defaults of the agentgateway demo, built from the AgentCore demo's."""
    mcp = {k: v for k, v in demo["mcp"].items() if k != "auth"}
    return {"idp": _tenant(demo["idp"], variables["gateway.mcp_url"]), "gateway": agentgateway_config(variables),
            "mcp": mcp}
