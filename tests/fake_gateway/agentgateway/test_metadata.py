"""The AS-metadata proxy's per-provider rewrites (sheet §3.4; §6 row 7), against a mock IdP."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import pytest

from fake_gateway.agentgateway.config import Authn
from fake_gateway.agentgateway.metadata import authorization_server_metadata

ORIGIN = "http://gateway.test:3000"
PATH = "/.well-known/oauth-authorization-server/mcp"
ISSUER = "https://idp.test/realms/r"


def fetch(provider: str, upstream: dict[str, Any]) -> tuple[Any, list[str]]:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(str(request.url))
        return httpx.Response(200, json=upstream)

    async def run() -> Any:
        async with httpx.AsyncClient(transport=httpx.MockTransport(handler)) as http:
            authn = Authn(ISSUER, ("https://api.test",), provider, {}, ("url", ""), "strict", None, "p")
            return await authorization_server_metadata(authn, http, ORIGIN, PATH, rewrite_issuer=False, timeout=5)

    return asyncio.run(run()), seen


@pytest.mark.parametrize("provider", ["keycloak", "okta"])
def test_keycloak_and_okta_registration_endpoint_points_back_at_the_gateway(provider: str) -> None:
    upstream = {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth", "token_endpoint": f"{ISSUER}/token",
                "registration_endpoint": f"{ISSUER}/clients-registrations/openid-connect"}
    answer, seen = fetch(provider, upstream)
    assert seen == [f"{ISSUER}/.well-known/openid-configuration"]
    assert answer.status == 200
    document = json.loads(answer.body)
    assert document["registration_endpoint"] == f"{ORIGIN}{PATH}/client-registration"
    assert document["token_endpoint"] == f"{ISSUER}/token"


def test_keycloak_without_a_registration_endpoint_is_a_500() -> None:
    answer, _ = fetch("keycloak", {"issuer": ISSUER, "authorization_endpoint": f"{ISSUER}/auth"})
    assert answer.status == 500 and answer.body == b""
