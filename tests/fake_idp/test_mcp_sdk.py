"""End to end with the ``mcp`` SDK's OAuthClientProvider: PRM discovery -> RFC 8414 metadata -> DCR -> authorize
(PKCE S256, resource) -> token -> retry, against a tiny protected resource; tokens verified with PyJWT.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx2
import jwt
import pytest
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.shared.auth import OAuthClientMetadata
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread, bind_socket, url_of
from fake_idp import create_app, demo_tenant
from harness import MemoryTokenStorage

REDIRECT = "http://127.0.0.1:33418/callback"  # nothing listens: the 302 is intercepted


def protected_resource(base: str, issuer: str) -> Starlette:
    """An MCP-style resource server: 401 + resource_metadata, PRM, and PyJWT verification of the bearer."""
    resource = base + "/mcp"
    prm_url = base + "/.well-known/oauth-protected-resource/mcp"
    jwks = jwt.PyJWKClient(issuer + ".well-known/jwks.json", cache_keys=False)

    async def prm(request: Request) -> JSONResponse:
        return JSONResponse(
            {
                "resource": resource,
                "authorization_servers": [issuer],
                "scopes_supported": ["mcp:tools"],
                "bearer_methods_supported": ["header"],
            }
        )

    async def mcp(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        challenge = {"WWW-Authenticate": f'Bearer error="invalid_token", resource_metadata="{prm_url}"'}
        if not auth.startswith("Bearer "):
            return JSONResponse({"error": "invalid_token"}, status_code=401, headers=challenge)
        token = auth[7:]
        try:
            key = await asyncio.to_thread(jwks.get_signing_key_from_jwt, token)
            claims = jwt.decode(token, key.key, algorithms=["RS256"], audience=resource, issuer=issuer)
        except jwt.PyJWTError as exc:
            return JSONResponse(
                {"error": "invalid_token", "detail": str(exc)}, status_code=401, headers=challenge
            )
        return JSONResponse({"ok": True, "claims": claims})

    return Starlette(
        routes=[Route("/.well-known/oauth-protected-resource/mcp", prm), Route("/mcp", mcp, methods=["POST"])]
    )


class HeadlessBrowser:
    """Follows the authorize URL once (the fake tenant auto-approves) and hands the code back to the SDK."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None
        self.authorize_urls: list[str] = []

    async def redirect_handler(self, url: str) -> None:
        self.authorize_urls.append(url)
        async with httpx2.AsyncClient(follow_redirects=False) as c:
            r = await c.get(url)
        q = {k: v[0] for k, v in parse_qs(urlsplit(r.headers["location"]).query).items()}
        if "error" in q:
            raise RuntimeError(q)
        self.result = AuthorizationCodeResult(code=q["code"], state=q.get("state"), iss=q.get("iss"))

    async def callback_handler(self) -> AuthorizationCodeResult:
        assert self.result is not None
        return self.result


@dataclass
class Stack:
    idp: ServerThread
    resource: ServerThread

    @property
    def mcp_url(self) -> str:
        return self.resource.url + "/mcp"


@pytest.fixture
def stack() -> Iterator[Stack]:
    sock = bind_socket()
    resource_url = url_of(sock)
    tenant = demo_tenant(gateway_resource=resource_url + "/mcp")
    tenant.settings.headless_auto_approve = True  # the browser below follows the authorize URL with plain httpx2
    idp = ServerThread(
        build=lambda url: create_app(tenant, base_url=url), name="idp", sock=bind_socket()
    ).start()
    res = ServerThread(
        app=protected_resource(resource_url, idp.url + "/"), sock=sock, name="resource"
    ).start()
    try:
        yield Stack(idp=idp, resource=res)
    finally:
        res.stop()
        idp.stop()


async def _run(stack: Stack, storage: MemoryTokenStorage, browser: HeadlessBrowser) -> dict:
    provider = OAuthClientProvider(
        server_url=stack.mcp_url,
        client_metadata=OAuthClientMetadata(
            redirect_uris=[REDIRECT],  # type: ignore[list-item]
            client_name="authstage-test",
            grant_types=["authorization_code", "refresh_token"],
            token_endpoint_auth_method="none",
        ),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    async with httpx2.AsyncClient(auth=provider, timeout=30) as http:
        r = await http.post(stack.mcp_url, json={"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert r.status_code == 200, r.text
        return r.json()


def test_sdk_dcr_pkce_flow_end_to_end(stack: Stack) -> None:
    storage, browser = MemoryTokenStorage(), HeadlessBrowser()
    result = asyncio.run(_run(stack, storage, browser))
    claims = result["claims"]
    assert claims["aud"] == stack.mcp_url and claims["sub"] == "auth0|alice"
    assert claims["client_id"].startswith("tpc_") and claims["scope"] == "mcp:tools offline_access"
    assert storage.client_info is not None and storage.client_info.client_id == claims["client_id"]
    assert (
        storage.tokens is not None
        and storage.tokens.refresh_token
        and storage.tokens.refresh_token.startswith("v1.M")
    )
    url = browser.authorize_urls[0]
    q = parse_qs(urlsplit(url).query)
    assert q["code_challenge_method"] == ["S256"] and q["resource"] == [stack.mcp_url]
    paths = [r["path"] for r in stack.idp.app.state.control.records()]
    assert paths[:4] == [
        "/.well-known/oauth-authorization-server",
        "/oidc/register",
        "/authorize",
        "/oauth/token",
    ]
    # Independent re-verification with PyJWT from the raw token the SDK stored.
    raw = storage.tokens.access_token
    key = jwt.PyJWKClient(stack.idp.url + "/.well-known/jwks.json").get_signing_key_from_jwt(raw)
    assert jwt.decode(raw, key.key, algorithms=["RS256"], audience=stack.mcp_url)["sub"] == "auth0|alice"


def test_sdk_flow_with_rfc9207_iss_and_oidc_fallback(stack: Stack) -> None:
    control = stack.idp.app.state.control
    control.patch(
        {"settings": {"authorization_response_iss_parameter_supported": True, "rfc8414_metadata": "absent"}}
    )
    storage, browser = MemoryTokenStorage(), HeadlessBrowser()
    result = asyncio.run(_run(stack, storage, browser))
    assert result["claims"]["sub"] == "auth0|alice"
    assert browser.result is not None and browser.result.iss == stack.idp.url + "/"
    paths = [r["path"] for r in control.records()]
    assert paths[:2] == ["/.well-known/oauth-authorization-server", "/.well-known/openid-configuration"]


def test_sdk_flow_fails_when_resource_is_ignored(stack: Stack) -> None:
    """F-2: profile off -> DCR (third-party) client gets the userinfo-audience error; the SDK surfaces it."""
    stack.idp.app.state.control.patch({"settings": {"resource_parameter_profile": "ignore"}})
    control = stack.idp.app.state.control
    control.patch({"faults": {"authorize_error_delivery": "redirect"}})
    with pytest.raises(Exception, match="userinfo audience is not allowed"):
        asyncio.run(_run(stack, MemoryTokenStorage(), HeadlessBrowser()))


def test_sdk_refuses_a_callback_without_the_iss_it_was_promised(stack: Stack) -> None:
    """Fault iss_advertised_not_sent: discovery promises RFC 9207 `iss` but the redirect carries none; the SDK's
    OAuth client refuses it before redeeming the code (cloudflare/mcp-server-cloudflare#449 with Codex)."""
    control = stack.idp.app.state.control
    control.patch({"faults": {"iss_advertised_not_sent": True}})
    metadata = httpx2.get(stack.idp.url + "/.well-known/oauth-authorization-server").json()
    assert metadata["authorization_response_iss_parameter_supported"] is True
    browser = HeadlessBrowser()
    with pytest.raises(Exception, match="Authorization response missing iss parameter advertised by the authorization server"):
        asyncio.run(_run(stack, MemoryTokenStorage(), browser))
    assert browser.result is not None and browser.result.iss is None
    assert "/oauth/token" not in [r["path"] for r in control.records()]
