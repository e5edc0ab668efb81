"""The Auth0 Management API v2 subset (`/api/v2/...`) on the fake tenant: resource-servers, clients,
client-grants, users, tenants/settings, connections (docs/idp.md "Management API")."""

from __future__ import annotations

__all__ = ["MANAGEMENT_API_NAME", "MANAGEMENT_SCOPES"]

# DOC (Auth0 dashboard / Management API v2): the system API every tenant has.
MANAGEMENT_API_NAME = "Auth0 Management API"
# The scopes of the emulated endpoints (https://auth0.com/docs/api/management/v2: each endpoint lists its scope),
# plus read:client_keys, without which client secrets are not returned.
MANAGEMENT_SCOPES = (
    "read:resource_servers", "create:resource_servers", "update:resource_servers", "delete:resource_servers",
    "read:clients", "create:clients", "update:clients", "delete:clients", "read:client_keys",
    "read:client_grants", "create:client_grants", "update:client_grants", "delete:client_grants",
    "read:users", "create:users", "update:users", "delete:users",
    "read:tenant_settings", "update:tenant_settings",
    "read:connections", "create:connections", "update:connections", "delete:connections",
)
