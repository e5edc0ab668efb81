"""From any seat (harness/_public.py): a stack bound beyond loopback hands out URLs that work, its control planes
answer to the public name and require the control token; plus the stack-wide opt-in reason header."""

from __future__ import annotations

import asyncio

import httpx
import jwt
import pytest

from harness import Stack
from harness._exceptions import ConfigError
from harness._public import check_public_url


def test_all_interfaces_with_a_public_name() -> None:
    with Stack(host="0.0.0.0", public_url="http://127.0.0.2") as stack:
        manifest = stack.manifest
        assert manifest["idp"]["issuer"].startswith("http://127.0.0.2:")
        assert manifest["gateway"]["mcp_url"].startswith("http://127.0.0.2:")
        assert manifest["mcp"]["mcp_url"].startswith("http://127.0.0.1:")  # only the gateway reaches it
        assert manifest["control_token"]
        prm = httpx.get(manifest["gateway"]["prm_url"]).json()
        assert prm["resource"] == manifest["gateway"]["mcp_url"]
        assert prm["authorization_servers"] == [manifest["idp"]["issuer"]]
        without = httpx.get(stack.gateway.url + "/_authstage/config")
        assert without.status_code == 401
        stack.gateway.config()  # the stack's own calls carry the token

        async def dance() -> bool:  # the SDK's OAuth client through the public URLs
            async with stack.mcp_client(oauth=True) as client:
                result = await client.call_tool("search-server___search", {"q": "PKCE", "limit": 1})
                return not result.is_error

        assert asyncio.run(dance())


def test_the_control_planes_answer_to_the_public_name_only_with_the_token() -> None:
    with Stack(host="0.0.0.0", public_url="http://teacher.example") as stack:
        port = stack.idp.url.rsplit(":", 1)[1]
        url = f"http://127.0.0.1:{port}/_authstage/config"
        token = {"X-Authstage-Token": str(stack.access.token)}
        assert httpx.get(url, headers={"Host": f"teacher.example:{port}", **token}).status_code == 200
        assert httpx.get(url, headers={"Host": f"evil.example:{port}", **token}).status_code == 421
        assert httpx.get(url, headers={"Host": f"teacher.example:{port}"}).status_code == 401


def test_a_wildcard_bind_without_a_public_name_hands_out_loopback_urls() -> None:
    with Stack(host="0.0.0.0") as stack:
        assert stack.gateway.mcp_url.startswith("http://127.0.0.1:") and stack.idp.issuer.startswith("http://127.0.0.1:")
        assert stack.token()


@pytest.mark.parametrize("bad", ["teacher.local", "ftp://teacher.local", "http://teacher.local:8000",
                                 "http://teacher.local/path"])
def test_a_public_url_is_a_scheme_and_a_host(bad: str) -> None:
    with pytest.raises(ConfigError, match="--public-url"):
        check_public_url(bad)


def test_reason_header_and_the_basic_auth_client() -> None:
    with Stack(reason_header=True) as stack:
        refused = stack.http.post(stack.gateway.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "tools/list"},
                                  headers={"Accept": "application/json, text/event-stream"})
        assert refused.status_code == 401 and refused.headers["x-authstage-reason"] == "no Authorization header"
        assert "x-authstage-reason" not in stack.http.get(stack.idp.discovery_url).headers
        token = stack.token("demo-m2m-basic")  # HTTP Basic, as the client is registered
        assert jwt.decode(token, options={"verify_signature": False})["client_id"] == stack.client("demo-m2m-basic")["client_id"]
        assert stack.manifest["clients"]["demo-m2m-basic"]["token_endpoint_auth_method"] == "client_secret_basic"
        wrong = stack.http.post(stack.idp.token_endpoint, data={
            "grant_type": "client_credentials", "client_id": stack.client("demo-m2m-basic")["client_id"],
            "client_secret": stack.client("demo-m2m-basic")["client_secret"], "audience": stack.gateway.mcp_url})
        assert wrong.status_code == 401 and "client_secret_basic" in wrong.headers["x-authstage-reason"]
