"""The sample MCP server as an ASGI app: streamable HTTP at `/mcp`, optional self-protection, control plane.

MCP transport: https://modelcontextprotocol.io/specification/2025-11-25/basic/transports (SDK 2.3 session
managers: stateless JSON by default, stateful SSE with `Mcp-Session-Id` when `sessions` is on).
Protected-resource metadata: RFC 9728 §3 (https://www.rfc-editor.org/rfc/rfc9728#section-3), served at the
path-inserted location of `/mcp` and at the root by default (`SampleAuth.metadata_paths`); what each call needs and
how a refusal says so is `protection.py`; the co-located authorization server of the 2025-03-26 layout `as_proxy.py`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

import httpx
from mcp.server.auth.middleware.auth_context import AuthContextMiddleware
from mcp.server.auth.middleware.bearer_auth import AuthenticatedUser
from mcp.server.streamable_http_manager import StreamableHTTPSessionManager
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.authentication import AuthCredentials
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route
from starlette.types import ASGIApp, Receive, Scope, Send

from authstage_kit.access import Access
from authstage_kit.control import install
from authstage_kit.reqlog import ClientGoneFilter
from authstage_kit.tls import client_context
from sample_mcp.as_proxy import forward, upstream_path
from sample_mcp.auth import TokenVerifier
from sample_mcp.control import SampleControl
from sample_mcp.corpus import Corpus
from sample_mcp.errors import INSUFFICIENT_SCOPE, NO_METADATA_HERE, NOT_PROTECTED, AuthFailure
from sample_mcp.protection import (
    Call,
    buffered,
    challenge,
    is_anonymous,
    metadata_document,
    needs_body,
    read_call,
    required_scopes,
)
from sample_mcp.settings import SampleSettings
from sample_mcp.tools import build_server

__all__ = ["create_app"]

MCP_PATH = "/mcp"
# The SDK logs a traceback when a client goes away mid-body; the request log says it in one line instead.
logging.getLogger("mcp.server.streamable_http").addFilter(ClientGoneFilter())


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
        # The co-located AS forwards the client's own headers (and no User-Agent of ours: the IdP's log must show
        # the client's requests as the client's).
        self.forwarding = httpx.AsyncClient(timeout=httpx.Timeout(10.0), follow_redirects=False, verify=client_context())
        del self.forwarding.headers["user-agent"]
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
        auth = verifier.settings
        call = Call()
        if needs_body(auth) and scope.get("method") == "POST":
            body, receive = await buffered(receive)
            call = read_call(body)
            if is_anonymous(auth, call):
                await self.app(scope, receive, send)
                return
        result = await self._verify(scope, verifier, call)
        if isinstance(result, AuthFailure):
            await self._refuse(result, scope, receive, send)
            return
        scope["user"] = AuthenticatedUser(result)
        scope["auth"] = AuthCredentials(result.scopes)
        await self.app(scope, receive, send)

    @staticmethod
    async def _verify(scope: Scope, verifier: TokenVerifier, call: Call) -> Any:
        """The verified token, or why the call is refused (the scopes it needs on every failure)."""
        needed = required_scopes(verifier.settings, call)
        headers = [v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"]
        if not headers:
            return AuthFailure(401, None, "missing", "no Authorization header", needed)
        if len(headers) > 1:
            return AuthFailure(400, "invalid_request", "duplicate", "more than one Authorization header", needed)
        scheme, _, token = headers[0].strip().partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            return AuthFailure(401, "invalid_token", "scheme", f"scheme {scheme[:20]!r} is not Bearer", needed)
        result = await verifier.verify(token.strip())
        if isinstance(result, AuthFailure):
            return replace(result, scopes=needed)
        missing = [s for s in needed if s not in result.scopes]
        if missing:
            reason = f"{call.method or 'this call'} needs {list(needed)}; token scopes {result.scopes} lack {missing}"
            return AuthFailure(403, INSUFFICIENT_SCOPE, "scope", reason, needed)
        return result

    async def _refuse(self, failure: AuthFailure, scope: Scope, receive: Receive, send: Send) -> None:
        scope.setdefault("state", {})["reason"] = failure.reason
        auth = self.state.settings.auth
        assert auth is not None
        paths = auth.metadata_paths
        metadata_url = self.state.origin(scope) + paths[0] if paths else None
        body = {"error": failure.error or "invalid_token", "error_description": failure.description}
        response = JSONResponse(
            body, status_code=failure.status, headers={"WWW-Authenticate": challenge(failure, auth, metadata_url)}
        )
        await response(scope, receive, send)


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

    async def elsewhere(request: Request) -> Response:
        """Every other path: the RFC 9728 document where configured, the co-located AS, or a 404."""
        settings, path = state.settings, request.url.path
        auth = settings.auth
        if auth is not None and path in auth.metadata_paths and request.method == "GET":
            return JSONResponse(metadata_document(auth, settings.name))
        colocated = settings.authorization_server
        target = upstream_path(colocated, path) if colocated is not None else None
        if colocated is not None and target is not None:
            return await forward(state.forwarding, colocated, target, request)
        if path.startswith("/.well-known/"):
            why = NOT_PROTECTED if auth is None else NO_METADATA_HERE
            return JSONResponse({"error": "not_found", "error_description": why}, 404)
        return PlainTextResponse("Not Found", 404)

    async def health(request: Request) -> Response:
        return JSONResponse({"status": "ok", "service": "sample_mcp"})

    endpoint = _RequireBearer(AuthContextMiddleware(_MCPEndpoint(managers, state)), state)
    routes: list[Route] = [
        Route(MCP_PATH, endpoint, methods=["GET", "POST", "DELETE"]),
        Route("/healthz", health, methods=["GET"]),
        Route("/{path:path}", elsewhere, methods=["GET", "POST", "HEAD", "PUT", "DELETE", "PATCH", "OPTIONS"]),
    ]

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            for manager in managers.values():
                await stack.enter_async_context(manager.run())
            stack.push_async_callback(state.http.aclose)
            stack.push_async_callback(state.forwarding.aclose)
            yield

    app = Starlette(routes=routes, lifespan=lifespan)
    install(app, state.control)
    app.state.mcp_server = server
    return app
