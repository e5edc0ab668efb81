"""The sample MCP server as an ASGI app: streamable HTTP at `/mcp`, optional self-protection, control plane.

MCP transport: https://modelcontextprotocol.io/specification/2025-11-25/basic/transports (SDK 2.3 session
managers: stateless JSON by default, stateful SSE with `Mcp-Session-Id` when `sessions` is on).
Protected-resource metadata: RFC 9728 §3 (https://www.rfc-editor.org/rfc/rfc9728#section-3), served at the
path-inserted location of `/mcp` and at the root.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from typing import Any

import httpx
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from authstage_kit.access import Access
from authstage_kit.control import install
from authstage_kit.reqlog import ClientGoneFilter
from authstage_kit.tls import client_context
from sample_mcp.auth import TokenVerifier
from sample_mcp.control import SampleControl
from sample_mcp.corpus import Corpus
from sample_mcp.errors import AuthFailure
from sample_mcp.settings import SampleSettings
from sample_mcp.tools import build_server

__all__ = ["create_app"]

MCP_PATH = "/mcp"
# The SDK logs a traceback when a client goes away mid-body; the request log says it in one line instead.
logging.getLogger("mcp.server.streamable_http").addFilter(ClientGoneFilter())
PRM_PATHS = ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")


class _State:
    """Everything that changes when the config changes; read on every request."""

    def __init__(self, settings: SampleSettings, base_url: str | None, access: Access | None) -> None:
        self.base_url = base_url.rstrip("/") if base_url else None
        self.security = TransportSecuritySettings(enable_dns_rebinding_protection=True)
        self.http = httpx.AsyncClient(
            timeout=httpx.Timeout(5.0),
            follow_redirects=False,
            headers={"User-Agent": "authstage-sample-mcp/0.1"},
            verify=client_context(),
        )
        self.verifier: TokenVerifier | None = None
        self.control = SampleControl(settings, on_change=self.apply, access=access)

    @property
    def settings(self) -> SampleSettings:
        return self.control.config

    def apply(self, settings: SampleSettings) -> None:
        self.security.allowed_hosts = list(settings.allowed_hosts)
        self.security.allowed_origins = list(settings.allowed_origins)
        self.verifier = (
            TokenVerifier(settings.auth, http=self.http, now=lambda: self.control.clock.now())
            if settings.auth
            else None
        )

    def origin(self, scope: Scope) -> str:
        if self.base_url:
            return self.base_url
        host = dict(scope["headers"]).get(b"host", b"127.0.0.1").decode("latin-1")
        return f"{scope.get('scheme', 'http')}://{host}"


def _challenge(failure: AuthFailure, metadata_url: str) -> str:
    """RFC 6750 §3 challenge; error omitted when no credentials were sent (§3.1)."""
    params = []
    if failure.error:
        params.append(f'error="{failure.error}"')
        params.append(f'error_description="{failure.description}"')
    if failure.scopes:
        params.append(f'scope="{" ".join(failure.scopes)}"')
    params.append(f'resource_metadata="{metadata_url}"')
    return "Bearer " + ", ".join(params)


class _RequireBearer:
    """Verifies the bearer token for `/mcp` when self-protection is on; otherwise passes through."""

    def __init__(self, app: ASGIApp, state: _State) -> None:
        self.app = app
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        verifier = self.state.verifier
        if scope["type"] != "http" or verifier is None:
            await self.app(scope, receive, send)
            return
        headers = [v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"]
        auth = verifier.settings
        scopes = tuple(auth.scopes)
        if not headers:
            result: Any = AuthFailure(401, None, "missing", "no Authorization header", scopes)
        elif len(headers) > 1:
            result = AuthFailure(
                400, "invalid_request", "duplicate", "more than one Authorization header", scopes
            )
        else:
            scheme, _, token = headers[0].strip().partition(" ")
            if scheme.lower() != "bearer" or not token.strip():
                result = AuthFailure(
                    401, "invalid_token", "scheme", f"scheme {scheme[:20]!r} is not Bearer", scopes
                )
            else:
                result = await verifier.verify(token.strip())
        if isinstance(result, AuthFailure):
            scope.setdefault("state", {})["reason"] = result.reason
            metadata_url = self.state.origin(scope) + PRM_PATHS[0]
            body = {"error": result.error or "invalid_token", "error_description": result.description}
            response = JSONResponse(
                body,
                status_code=result.status,
                headers={"WWW-Authenticate": _challenge(result, metadata_url)},
            )
            await response(scope, receive, send)
            return
        scope["user"] = AuthenticatedUser(result)
        scope["auth"] = AuthCredentials(result.scopes)
        await self.app(scope, receive, send)


class _MCPEndpoint:
    """Picks the session manager for the current transport settings."""

    def __init__(
        self, managers: dict[tuple[bool, bool], StreamableHTTPSessionManager], state: _State
    ) -> None:
        self.managers = managers
        self.state = state

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        settings = self.state.settings
        manager = self.managers[(settings.sessions, settings.use_json)]
        await manager.handle_request(scope, receive, send)


def create_app(
    settings: SampleSettings | None = None,
    *,
    base_url: str | None = None,
    corpus: Corpus | None = None,
    access: Access | None = None,
) -> Starlette:
    """The sample MCP server. `base_url` fixes the origin used in metadata; default: the request's Host.
    `access` says who may use its control plane (default: loopback only, no token)."""
    state = _State(settings or SampleSettings(), base_url, access)
    server = build_server(lambda: state.settings, corpus or Corpus.load())
    lowlevel = server._lowlevel_server  # the SDK's low-level Server behind MCPServer
    managers = {
        (sessions, use_json): StreamableHTTPSessionManager(
            app=lowlevel, json_response=use_json, stateless=not sessions, security_settings=state.security
        )
        for sessions in (False, True)
        for use_json in (False, True)
    }

    async def protected_resource(request: Request) -> Response:
        auth = state.settings.auth
        if auth is None:
            return JSONResponse(
                {"error": "not_found", "error_description": "this server is not protected"}, 404
            )
        return JSONResponse(
            {
                "resource": auth.resource or auth.audience,
                "authorization_servers": [auth.issuer],
                "scopes_supported": list(auth.scopes),
                "bearer_methods_supported": ["header"],
                "resource_name": state.settings.name,
            }
        )

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "sample_mcp"})

    endpoint = _RequireBearer(AuthContextMiddleware(_MCPEndpoint(managers, state)), state)
    routes: list[Route] = [
        Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"]),
        *(Route(path, protected_resource, methods=["GET"]) for path in PRM_PATHS),
        Route("/healthz", health, methods=["GET"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for manager in managers.values():
                await stack.enter_async_context(manager.run())
            stack.push_async_callback(state.http.aclose)
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    install(app, state.control)
    app.state.mcp_server = server
    return app
