"""The PRM's `authorization_servers` (fake_gateway/prm.py): the discovery issuer, or derived from discoveryUrl."""

from __future__ import annotations

import re
from typing import Any

import pytest
from mcp.client.auth.exceptions import OAuthFlowError

from fake_gateway.prm import authorization_servers, issuer_from_discovery_url
from tests.fake_gateway.conftest import FakeIdP, jwt_document


@pytest.mark.parametrize(
    ("discovery_url", "issuer"),
    [
        ("https://t.auth0.com/.well-known/openid-configuration", "https://t.auth0.com"),
        ("https://login.example/tenant/v2.0/.well-known/openid-configuration", "https://login.example/tenant/v2.0"),
        ("https://as.example/.well-known/oauth-authorization-server/tenant1", "https://as.example/tenant1"),
        ("https://as.example/.well-known/openid-configuration/tenant1/", "https://as.example/tenant1"),
        ("http://127.0.0.1:9000/.well-known/openid-configuration", "http://127.0.0.1:9000"),
    ],
)
def test_issuer_from_discovery_url(discovery_url: str, issuer: str) -> None:
    assert issuer_from_discovery_url(discovery_url) == issuer
    assert issuer_from_discovery_url(discovery_url, trailing_slash=True) == issuer + "/"


def test_the_rule_picks_the_issuer_or_the_url() -> None:
    url = "https://t.auth0.com/.well-known/openid-configuration"
    discovery = {"issuer": "https://t.auth0.com/"}
    assert authorization_servers("discovery-issuer", url, discovery) == ["https://t.auth0.com/"]
    assert authorization_servers("discovery-issuer", url, None) == []
    assert authorization_servers("discovery-url", url, discovery) == ["https://t.auth0.com"]
    assert authorization_servers("discovery-url-slash", url, None) == ["https://t.auth0.com/"]


def test_knob_prm_authorization_servers_at_the_well_known_url(idp: FakeIdP, start_gateway: Any) -> None:
    """Default: the discovery issuer (Auth0-style, with its slash); `discovery-url`: the URL's base, no slash."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    with gw.client() as client:
        assert client.get("/.well-known/oauth-protected-resource").json()["authorization_servers"] == [
            idp.issuer()
        ]
        gw.control.patch({"emulator": {"prmAuthorizationServers": "discovery-url"}})
        served = client.get("/.well-known/oauth-protected-resource").json()["authorization_servers"]
    assert idp.issuer().endswith("/") and served == [idp.issuer().rstrip("/")]


def test_the_mcp_sdk_client_refuses_the_metadata_when_the_prm_drops_the_slash() -> None:
    """The real client: the `mcp` SDK's OAuthClientProvider compares the metadata's `issuer` with the PRM's
    authorization server byte for byte (RFC 8414 §3.3; its root-slash leniency is for the legacy path only), so a
    PRM derived from discoveryUrl stops it before any login; with the discovery issuer it logs in (the catalog
    scenario prm-authorization-server-without-trailing-slash)."""
    import asyncio

    from harness import Stack

    async def call(stack: Stack) -> object:
        async with stack.mcp_client(oauth=True) as client:
            return await client.call_tool("search-server___whoami", {})

    with Stack({"gateway": {"emulator": {"prmAuthorizationServers": "discovery-url"}}}) as stack:
        assert stack.http.get(stack.gateway.prm_url).json()["authorization_servers"] == [stack.idp.url]
        message = f"Authorization server metadata issuer mismatch: {stack.idp.issuer} != {stack.idp.url}"
        with pytest.raises(ExceptionGroup) as caught:  # the SDK's task group around its OAuthFlowError
            asyncio.run(call(stack))
        assert caught.group_contains(OAuthFlowError, match=re.escape(message))
        assert not [r for r in stack.idp.log() if r["path"] == "/authorize"]
        stack.patch(gateway={"emulator": {"prmAuthorizationServers": None}})
        assert not asyncio.run(call(stack)).is_error  # type: ignore[attr-defined]
