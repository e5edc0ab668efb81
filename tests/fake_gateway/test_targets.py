"""Targets: the real sample_mcp behind outbound client credentials, failures, sync, token exchange, API keys.

§13 items 19, 20, 28; the "never pass the caller's token through" rule of the MCP authorization spec.
"""

from __future__ import annotations

import time
from typing import Any

import jwt as pyjwt

from tests.fake_gateway.conftest import (
    GATEWAY_CLIENT,
    MCP_HEADERS,
    FakeIdP,
    jwt_document,
    mcp_target,
    rpc,
    rsa_key,
)

TARGET_TEXT = "Error executing tool fail: database is down"  # the SDK server's wording of a ToolError
GENERIC = {
    "content": [{"type": "text", "text": "An internal error occurred. Please retry later."}],
    "isError": True,
}


def gateway_for(
    idp: FakeIdP, start_gateway: Any, *targets: dict[str, Any], **extra: Any
) -> tuple[Any, dict[str, str]]:
    doc = jwt_document(idp, allowedAudience=["gw-api"], targets=list(targets), **extra)
    gw = start_gateway(doc)
    caller = idp.mint(aud="gw-api", sub="caller-7", scope="mcp:tools")
    return gw, {**MCP_HEADERS, "MCP-Protocol-Version": "2025-06-18", "Authorization": f"Bearer {caller}"}


def call_tool(
    gw: Any, headers: dict[str, str], name: str, arguments: dict[str, Any] | None = None
) -> dict[str, Any]:
    with gw.client() as client:
        response = client.post(
            "/mcp", json=rpc("tools/call", {"name": name, "arguments": arguments or {}}), headers=headers
        )
    assert response.status_code == 200, response.text
    return response.json()


def list_names(gw: Any, headers: dict[str, str]) -> list[str]:
    with gw.client() as client:
        response = client.post("/mcp", json=rpc("tools/list"), headers=headers)
    return [t["name"] for t in response.json()["result"]["tools"]]


def test_sample_mcp_through_the_gateway_with_client_credentials(
    idp: FakeIdP, start_gateway: Any, sample_target: Any
) -> None:
    gw, headers = gateway_for(
        idp, start_gateway, mcp_target("search-server", sample_target.mcp_url, audience=sample_target.mcp_url)
    )
    assert list_names(gw, headers) == [
        f"search-server___{n}" for n in ("echo", "fail", "search", "slow", "whoami")
    ]
    result = call_tool(gw, headers, "search-server___search", {"q": "allowedClients azp", "limit": 2})[
        "result"
    ]
    assert result["isError"] is False
    assert result["structuredContent"]["query"] == "allowedClients azp"
    assert len(result["structuredContent"]["results"]) == 2
    identity = call_tool(gw, headers, "search-server___whoami")["result"]["structuredContent"]
    # the target sees the gateway's own client, never the caller
    assert identity["authenticated"] is True
    assert identity["client_id"] == GATEWAY_CLIENT
    assert identity["subject"] == f"{GATEWAY_CLIENT}@clients"
    assert identity["scopes"] == ["search:read"]
    # one token request (cached) with the provider's parameters; the token checked with PyJWT
    token_calls = [c for c in idp.calls if c["form"].get("grant_type") == "client_credentials"]
    assert len(token_calls) == 1
    assert token_calls[0]["form"] == {
        "grant_type": "client_credentials",
        "scope": "search:read",
        "audience": sample_target.mcp_url,
    }
    assert token_calls[0]["basic"] is True  # RFC 6749 §2.3.1 default: client_secret_basic
    claims = pyjwt.decode(
        token_calls[0]["access_token"],
        pyjwt.PyJWK(rsa_key("k1").as_dict(private=False)),
        algorithms=["RS256"],
        audience=sample_target.mcp_url,
        issuer=idp.issuer(),
    )
    assert claims["azp"] == GATEWAY_CLIENT
    stats = gw.control.stats()
    assert stats["token_requests"] == 1 and stats["target_calls"] == 3


def test_callers_token_is_never_passed_through(idp: FakeIdP, start_gateway: Any, sample_target: Any) -> None:
    gw, headers = gateway_for(
        idp, start_gateway, mcp_target("search-server", sample_target.mcp_url, audience=sample_target.mcp_url)
    )
    since = len(sample_target.app.state.control.records())
    call_tool(gw, headers, "search-server___echo", {"text": "x"})
    caller = pyjwt.decode(headers["Authorization"].split()[1], options={"verify_signature": False})
    seen = sample_target.app.state.control.records()[since:]
    assert seen, "the target saw no request"
    for record in seen:
        assert len(record["tokens"]) == 1
        for token in record["tokens"]:
            assert token["claims"]["jti"] != caller["jti"]
            assert token["claims"]["sub"] != "caller-7"
            assert token["claims"]["aud"] == sample_target.mcp_url


def test_target_failure_generic_or_debug(idp: FakeIdP, start_gateway: Any, sample_target: Any) -> None:
    """Item 19 (DOC gateway-debug-messages)."""
    target = mcp_target("search-server", sample_target.mcp_url, audience=sample_target.mcp_url)
    gw, headers = gateway_for(idp, start_gateway, target)
    response = call_tool(gw, headers, "search-server___fail", {"message": "database is down"})
    assert response == {"jsonrpc": "2.0", "id": 1, "result": GENERIC}
    logged = gw.control.app_logs()[-1]["body"]
    assert logged["reason"] == "Error executing tool fail: database is down" and logged["isError"] is True
    debug_doc = jwt_document(idp, allowedAudience=["gw-api"], targets=[target])
    debug_doc["exceptionLevel"] = "DEBUG"
    debug = start_gateway(debug_doc)
    response = call_tool(debug, headers, "search-server___fail", {"message": "database is down"})
    assert response["result"] == {
        "content": [{"type": "text", "text": TARGET_TEXT}],
        "_meta": {"debug": {"type": "text", "text": TARGET_TEXT}},
        "isError": True,
    }
    passthrough = start_gateway(
        {**debug_doc, "exceptionLevel": None, "emulator": {"targetToolErrors": "pass-through"}}
    )
    result = call_tool(passthrough, headers, "search-server___fail", {"message": "database is down"})[
        "result"
    ]
    assert result["isError"] is True and result["content"][0]["text"] == TARGET_TEXT


def test_outbound_oauth_failure_is_a_fast_generic_error(
    idp: FakeIdP, start_gateway: Any, sample_target: Any
) -> None:
    """Item 20 / U16: tools/list (catalogue) works, tools/call fails fast with the generic text."""
    target = mcp_target("search-server", sample_target.mcp_url, audience=sample_target.mcp_url)
    gw, headers = gateway_for(idp, start_gateway, target)
    assert "search-server___echo" in list_names(gw, headers)
    idp.token_status = 401
    # force a refetch of the cached token: refresh margin beyond its lifetime (a real knob)
    gw.control.patch({"emulator": {"outboundTokenRefreshMarginSeconds": 7200}})
    assert "search-server___echo" in list_names(gw, headers)
    started = time.monotonic()
    assert call_tool(gw, headers, "search-server___echo", {"text": "x"})["result"] == GENERIC
    assert time.monotonic() - started < 1.0
    reason = gw.control.app_logs()[-1]["body"]["reason"]
    assert reason.startswith(
        f"outbound credential for target 'search-server': token endpoint {idp.token_endpoint} "
        "answered HTTP 401 to CLIENT_CREDENTIALS"
    )


def test_wrong_client_secret_fails_sync(idp: FakeIdP, start_gateway: Any, sample_target: Any) -> None:
    doc = jwt_document(
        idp,
        allowedAudience=["gw-api"],
        targets=[mcp_target("search-server", sample_target.mcp_url, audience=sample_target.mcp_url)],
    )
    doc["credentialProviders"][0]["oauth2ProviderConfigInput"]["customOauth2ProviderConfig"][
        "clientSecret"
    ] = "wrong"
    gw = start_gateway(doc)
    headers = {
        **MCP_HEADERS,
        "MCP-Protocol-Version": "2025-06-18",
        "Authorization": f"Bearer {idp.mint(aud='gw-api')}",
    }
    assert list_names(gw, headers) == []
    with gw.client() as client:
        status = client.get("/_authstage/targets").json()["targets"][0]
    assert status["status"] == "FAILED"
    assert "answered HTTP 401" in status["statusReasons"][0]


def test_target_without_outbound_token_is_rejected_by_protected_target(
    idp: FakeIdP, start_gateway: Any, sample_target: Any
) -> None:
    gw, headers = gateway_for(idp, start_gateway, mcp_target("search-server", sample_target.mcp_url))
    assert list_names(gw, headers) == []
    with gw.client() as client:
        reason = client.get("/_authstage/targets").json()["targets"][0]["statusReasons"][0]
    assert "HTTP 401" in reason


def test_stale_catalogue_until_synchronize(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    """Item 28: DEFAULT listing serves the synchronized catalogue; DYNAMIC lists live."""
    gw, headers = gateway_for(
        idp,
        start_gateway,
        mcp_target("tiny", tiny_target.mcp_url),
        mcp_target("live", tiny_target.mcp_url, listing="DYNAMIC"),
    )
    assert list_names(gw, headers) == [
        "live___count",
        "live___lookup_order",
        "tiny___count",
        "tiny___lookup_order",
    ]

    @tiny_target.app.tool()
    def cancel_order(order_id: str) -> str:
        """Cancel an order."""
        return f"order {order_id}: cancelled"

    try:
        names = list_names(gw, headers)
        assert "live___cancel_order" in names and "tiny___cancel_order" not in names
        stale = call_tool(gw, headers, "tiny___cancel_order", {"order_id": "1"})
        assert stale["error"] == {"code": -32602, "message": "Unknown tool: tiny___cancel_order"}
        assert call_tool(gw, headers, "live___cancel_order", {"order_id": "1"})["result"]["content"][0][
            "text"
        ] == ("order 1: cancelled")
        with gw.client() as client:
            synced = client.post("/_authstage/targets/tiny/synchronize", json={}).json()
            assert client.post("/_authstage/targets/nope/synchronize", json={}).status_code == 404
        assert synced["status"] == "READY" and "cancel_order" in synced["tools"]
        assert "tiny___cancel_order" in list_names(gw, headers)
        assert call_tool(gw, headers, "tiny___cancel_order", {"order_id": "2"})["result"]["isError"] is False
    finally:
        tiny_target.app.remove_tool("cancel_order")


def test_stateful_target_session_is_reused_and_renewed(
    idp: FakeIdP, start_gateway: Any, stateful_target: Any
) -> None:
    gw, headers = gateway_for(
        idp, start_gateway, mcp_target("stateful", stateful_target.mcp_url, audience=stateful_target.mcp_url)
    )
    control = stateful_target.app.state.control
    since = len(control.records())
    for text in ("a", "b", "c"):
        assert (
            call_tool(gw, headers, "stateful___echo", {"text": text})["result"]["content"][0]["text"] == text
        )
    posts = [r for r in control.records()[since:] if r["method"] == "POST"]
    methods = [r["request"]["body"]["method"] for r in posts]
    assert methods.count("initialize") == 1  # one target session for all calls
    session = next(
        r["response"]["headers"]["mcp-session-id"]
        for r in posts
        if r["request"]["body"]["method"] == "initialize"
    )
    # the target forgets the session: the gateway re-initializes transparently (DOC gateway-sessions)
    token = next(c["access_token"] for c in reversed(idp.calls) if "access_token" in c)
    import httpx

    with httpx.Client(trust_env=False) as client:
        deleted = client.delete(
            stateful_target.mcp_url, headers={"Mcp-Session-Id": session, "Authorization": f"Bearer {token}"}
        )
    assert deleted.status_code in (200, 204)
    assert call_tool(gw, headers, "stateful___echo", {"text": "d"})["result"]["content"][0]["text"] == "d"
    methods = [
        r["request"]["body"]["method"]
        for r in control.records()[since:]
        if r["method"] == "POST" and isinstance(r["request"]["body"], dict)
    ]
    assert methods.count("initialize") == 2


def test_token_exchange_uses_the_callers_token_as_subject(
    idp: FakeIdP, start_gateway: Any, sample_target: Any
) -> None:
    target = mcp_target("obo", sample_target.mcp_url, audience=sample_target.mcp_url, grant="TOKEN_EXCHANGE")
    gw, headers = gateway_for(idp, start_gateway, target)
    identity = call_tool(gw, headers, "obo___whoami")["result"]["structuredContent"]
    assert identity["subject"] == "caller-7"  # on behalf of the caller
    assert identity["claims"]["act"] == {"sub": GATEWAY_CLIENT}
    exchange = [
        c
        for c in idp.calls
        if c["form"].get("grant_type") == "urn:ietf:params:oauth:grant-type:token-exchange"
    ]
    assert len(exchange) == 1
    form = exchange[0]["form"]
    assert form["subject_token"] == headers["Authorization"].split()[1]
    assert form["subject_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    assert form["audience"] == sample_target.mcp_url


def test_api_key_in_header_and_query(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    def api_key_target(name: str, location: str) -> dict[str, Any]:
        return {
            "name": name,
            "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": tiny_target.mcp_url}}},
            "credentialProviderConfigurations": [
                {
                    "credentialProviderType": "API_KEY",
                    "credentialProvider": {
                        "apiKeyCredentialProvider": {
                            "providerArn": "arn:aws:acps:us-east-1:123456789012:token-vault/"
                            "default/apikeycredentialprovider/tiny-key",
                            "credentialLocation": location,
                            "credentialParameterName": "x-key",
                            "credentialPrefix": "Key",
                        }
                    },
                }
            ],
        }

    doc = jwt_document(
        idp,
        allowedAudience=["gw-api"],
        targets=[api_key_target("hdr", "HEADER"), api_key_target("qry", "QUERY_PARAMETER")],
    )
    doc["credentialProviders"].append({"name": "tiny-key", "apiKey": "demo-secret-not-for-production-key"})
    gw = start_gateway(doc)
    headers = {
        **MCP_HEADERS,
        "MCP-Protocol-Version": "2025-06-18",
        "Authorization": f"Bearer {idp.mint(aud='gw-api')}",
    }
    tiny_target.requests.clear()
    assert call_tool(gw, headers, "hdr___lookup_order", {"order_id": "1"})["result"]["isError"] is False
    assert {r["headers"].get("x-key") for r in tiny_target.requests} == {
        "Key demo-secret-not-for-production-key"
    }
    tiny_target.requests.clear()
    assert call_tool(gw, headers, "qry___lookup_order", {"order_id": "1"})["result"]["isError"] is False
    assert {r["query"] for r in tiny_target.requests} == {"x-key=Key+demo-secret-not-for-production-key"}
    assert all("authorization" not in r["headers"] for r in tiny_target.requests)


def test_unreachable_target(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    down = "http://127.0.0.1:9/mcp"
    gw, headers = gateway_for(
        idp,
        start_gateway,
        mcp_target("down", down),
        mcp_target("live", down, listing="DYNAMIC"),
        mcp_target("tiny", tiny_target.mcp_url),
    )
    assert list_names(gw, headers) == ["tiny___count", "tiny___lookup_order"]
    assert call_tool(gw, headers, "live___anything")["result"] == GENERIC
    assert "cannot reach target" in gw.control.app_logs()[-1]["body"]["reason"]
    with gw.client() as client:
        states = {t["name"]: t for t in client.get("/_authstage/targets").json()["targets"]}
    assert states["down"]["status"] == "FAILED" and states["tiny"]["status"] == "READY"


def test_startup_synchronizes_default_targets(idp: FakeIdP, tiny_target: Any) -> None:
    from fake_gateway import Gateway, create_app
    from tests.fake_gateway.conftest import serve

    gateway = Gateway.from_document(
        jwt_document(idp, allowedAudience=["gw-api"], targets=[mcp_target("tiny", tiny_target.mcp_url)])
    )
    with serve(lambda url: create_app(gateway, base_url=url), "startup-gateway") as server:
        backend = server.app.state.backend
        deadline = time.monotonic() + 10
        while backend.target_status("tiny")["status"] != "READY" and time.monotonic() < deadline:
            time.sleep(0.02)  # the startup sync runs in the background; no request triggers it here
        status = backend.target_status("tiny")
    assert status["status"] == "READY"
    assert status["tools"] == ["lookup_order", "count"]
