"""Self-protected mode: the sample server verifies bearer tokens itself (tokens from an independent test issuer)."""

from __future__ import annotations

import asyncio
import re
import time

import httpx
import httpx2
import jwt as pyjwt
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client

from sample_mcp import SampleAuth, SampleSettings
from tests.sample_mcp.conftest import ACCEPT, INIT

AUDIENCE = "http://127.0.0.1:9/mcp"


def challenge_params(header: str) -> dict[str, str]:
    """Parse a challenge the way MCP clients do (mcp-spec-and-sdk.md §1.3)."""
    assert header.startswith("Bearer ")
    return {m[0]: m[1] or m[2] for m in re.findall(r'(\w+)=(?:"([^"]+)"|([^\s,]+))', header)}


def protected(serve, issuer, **auth):
    settings = SampleSettings(
        auth=SampleAuth(issuer=issuer.issuer, audience=AUDIENCE, scopes=["search:read"], **auth)
    )
    return serve(settings)


def post(server, token: str | None = None, **headers: str) -> httpx.Response:
    if token is not None:
        headers["Authorization"] = f"Bearer {token}"
    return httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT | headers)


def test_no_token_is_401_with_resource_metadata_and_scope_but_no_error_code(serve, issuer) -> None:
    server = protected(serve, issuer)
    response = post(server)
    assert response.status_code == 401
    params = challenge_params(response.headers["www-authenticate"])
    assert params["resource_metadata"] == f"{server.url}/.well-known/oauth-protected-resource/mcp"
    assert params["scope"] == "search:read"
    assert "error" not in params  # RFC 6750 §3.1: no error code when no credentials were sent
    prm = httpx.get(params["resource_metadata"]).json()
    assert prm == {
        "resource": AUDIENCE,
        "authorization_servers": [issuer.issuer],
        "scopes_supported": ["search:read"],
        "bearer_methods_supported": ["header"],
        "resource_name": "sample-search",
    }
    assert httpx.get(f"{server.url}/.well-known/oauth-protected-resource").json() == prm


def test_wrong_audience_is_401_invalid_token(serve, issuer) -> None:
    server = protected(serve, issuer)
    response = post(server, issuer.mint(aud="http://127.0.0.1:9/other", scope="search:read"))
    assert response.status_code == 401
    assert challenge_params(response.headers["www-authenticate"])["error"] == "invalid_token"
    assert response.json()["error_description"] == "The token was not issued for this resource"
    record = httpx.get(f"{server.url}/_authstage/log").json()["records"][-1]
    assert "does not include" in record["reason"]


def test_missing_scope_is_403_insufficient_scope_with_the_needed_scope(serve, issuer) -> None:
    server = protected(serve, issuer)
    response = post(server, issuer.mint(aud=AUDIENCE, scope="profile"))
    assert response.status_code == 403
    params = challenge_params(response.headers["www-authenticate"])
    assert params["error"] == "insufficient_scope"
    assert params["scope"] == "search:read"
    assert params["resource_metadata"].endswith("/.well-known/oauth-protected-resource/mcp")


def test_valid_token_reaches_the_tools_and_whoami_shows_the_verified_claims(serve, issuer) -> None:
    server = protected(serve, issuer)
    token = issuer.mint(
        aud=[AUDIENCE, "https://other/userinfo"],
        scope="openid search:read",
        client_id="cli-1",
        sub="auth0|alice",
    )
    # Independent check of the token we present (PyJWT, not our code).
    jwks = pyjwt.PyJWKClient(f"{issuer.server.url}/.well-known/jwks.json")
    assert pyjwt.decode(
        token, jwks.get_signing_key_from_jwt(token).key, algorithms=["RS256"], audience=AUDIENCE
    )

    async def call() -> dict:
        async with httpx2.AsyncClient(headers={"Authorization": f"Bearer {token}"}) as http:
            async with streamable_http_client(f"{server.url}/mcp", http_client=http) as (read, write):
                async with ClientSession(read, write) as session:
                    await session.initialize()
                    return (await session.call_tool("whoami", {})).structured_content

    identity = asyncio.run(call())
    assert identity["authenticated"] is True
    assert identity["subject"] == "auth0|alice"
    assert identity["client_id"] == "cli-1"
    assert identity["scopes"] == ["openid", "search:read"]
    assert identity["claims"]["aud"] == [AUDIENCE, "https://other/userinfo"]


def test_expired_wrong_issuer_bad_signature_and_non_jwt_are_401(serve, issuer) -> None:
    server = protected(serve, issuer, leeway_seconds=0)
    now = int(time.time())
    good = issuer.mint(aud=AUDIENCE, scope="search:read")
    header, payload, signature = good.split(".")
    cases = {
        "expired": issuer.mint(aud=AUDIENCE, scope="search:read", iat=now - 100, exp=now - 10),
        "issuer": issuer.mint(aud=AUDIENCE, scope="search:read", iss=issuer.issuer.rstrip("/")),
        "signature": f"{header}.{payload}.{signature[::-1]}",
        "malformed": "opaque-token-value",
        "claims": issuer.mint(aud=AUDIENCE, scope="search:read", exp=None),
    }
    for kind, token in cases.items():
        response = post(server, token)
        assert response.status_code == 401, kind
        assert challenge_params(response.headers["www-authenticate"])["error"] == "invalid_token", kind


def test_unknown_kid_triggers_one_jwks_refetch(serve, issuer) -> None:
    server = protected(serve, issuer)
    assert post(server, issuer.mint(aud=AUDIENCE, scope="search:read")).status_code == 200
    hits = issuer.jwks_hits
    issuer.rotate("test-key-2")
    assert post(server, issuer.mint(aud=AUDIENCE, scope="search:read")).status_code == 200
    assert issuer.jwks_hits == hits + 1
    # A kid nobody publishes: refetch is rate limited, so no second fetch right away.
    assert (
        post(server, issuer.mint(aud=AUDIENCE, scope="search:read", header={"kid": "ghost"})).status_code
        == 401
    )
    assert issuer.jwks_hits == hits + 1


def test_jwks_unavailable_is_401_not_500(serve, issuer) -> None:
    issuer.jwks_status = 503
    server = protected(serve, issuer)
    response = post(server, issuer.mint(aud=AUDIENCE, scope="search:read"))
    assert response.status_code == 401


def test_non_bearer_scheme_and_duplicate_headers(serve, issuer) -> None:
    server = protected(serve, issuer)
    basic = post(server, None, Authorization="Basic dXNlcjpwYXNz")
    assert basic.status_code == 401
    token = issuer.mint(aud=AUDIENCE, scope="search:read")
    duplicated = httpx.post(
        f"{server.url}/mcp",
        json=INIT,
        headers=[*ACCEPT.items(), ("Authorization", f"Bearer {token}"), ("Authorization", f"Bearer {token}")],
    )
    assert duplicated.status_code == 400


def test_unprotected_server_has_no_protected_resource_metadata(serve) -> None:
    server = serve()
    assert httpx.get(f"{server.url}/.well-known/oauth-protected-resource/mcp").status_code == 404
