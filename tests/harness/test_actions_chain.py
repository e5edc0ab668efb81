"""Actions across the chain with a real client: the `mcp` SDK's OAuth client signs in (DCR, PKCE, headless login
as alice), a post-login Action adds a namespaced roles claim, and the gateway's customClaims rule
(STRING_ARRAY CONTAINS) admits the token. The failing half (a user without the role) is the scenario
scenarios/actions-roles-claim-string-array-contains.yaml."""

from __future__ import annotations

import asyncio
from typing import Any

ROLES = "https://authstage.example.test/roles"


def test_the_sdk_oauth_client_gets_the_action_claim_and_passes_the_custom_claims_rule(authstage: Any) -> None:
    stack = authstage(
        idp={
            "users": [{"user_id": "auth0|alice", "email": "alice@example.test", "password": "demo-password-alice",
                       "roles": ["mcp-admin"], "permissions": {"authstage-gateway": ["mcp:tools"]}}],
            "actions": [{"name": "add-roles", "trigger": "post-login",
                         "api": [{"accessToken.setCustomClaim": [ROLES, "${event.authorization.roles}"]}]}],
        },
        gateway={"authorizerConfiguration": {"customJWTAuthorizer": {"customClaims": [{
            "inboundTokenClaimName": ROLES, "inboundTokenClaimValueType": "STRING_ARRAY",
            "authorizingClaimMatchValue": {"claimMatchValue": {"matchValueString": "mcp-admin"},
                                           "claimMatchOperator": "CONTAINS"}}]}}},
    )  # fmt: skip

    async def call() -> Any:
        async with stack.mcp_client(oauth=True) as client:
            return await client.call_tool("search-server___search", {"q": "PKCE", "limit": 1})

    assert not asyncio.run(call()).is_error
    admitted = [r for r in stack.gateway.log() if r.get("path") == "/mcp" and r.get("status") == 200]
    assert admitted
    bearer = next(t for r in admitted for t in r.get("tokens", []) if ROLES in t.get("claims", {}))
    assert bearer["claims"][ROLES] == ["mcp-admin"]
