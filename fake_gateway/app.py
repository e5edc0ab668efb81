"""The fake AgentCore gateway as a Starlette app: the routes table, the one error renderer, the request log.

Emulated surface (DOC gateway-using, gateway-inbound-auth; sheet §1, §5): `POST /mcp`, the unauthenticated
RFC 9728 document at `GET /.well-known/oauth-protected-resource`, the `bedrock-agentcore-control` API and the
gateways it creates at `/gateways/<gatewayId>/mcp` (fake_gateway/control_api), and AWS Coral
`UnknownOperationException` for every other path. `/_authstage/` is the emulator's control plane (docs/control-plane.md).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse

from authstage_kit.access import Access
from authstage_kit.control import install
from authstage_kit.routing import exact_route
from fake_gateway.backend import Backend
from fake_gateway.control import GatewayControl
from fake_gateway.control_api import ApiRequest, ControlApi
from fake_gateway.control_api.serving import CreatedGateway
from fake_gateway.errors import PRM_PATH, GatewayError, UnknownOperation
from fake_gateway.mcp_endpoint import Incoming, McpEndpoint
from fake_gateway.settings import Gateway

__all__ = ["ROUTES", "create_app", "render"]

MCP_PATH = "/mcp"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def render(exc: GatewayError) -> Response:
    """The one renderer of every emulated error: each error owns its status, headers and body (errors.py)."""
    return Response(exc.content(), exc.status, headers=exc.headers, media_type=exc.media_type)


async def _read_body(request: Request, limit: int) -> tuple[bytes, int | None]:
    """The body, or (b"", size) once it exceeds `limit` (the rest is drained, not stored)."""
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        return b"", int(declared)
    chunks = bytearray()
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size <= limit:
            chunks.extend(chunk)
    return (bytes(chunks), None) if size <= limit else (b"", size)


async def mcp(request: Request) -> Response:
    """`POST /mcp` (and the other methods, answered as AgentCore answers them): the MCP endpoint. The body is read
    only once the token is checked (`Incoming.load`): an anonymous flood of large bodies costs no memory."""
    return await _serve_mcp(request, request.app.state.backend, request.app.state.endpoint)


async def _serve_mcp(request: Request, backend: Backend, endpoint: McpEndpoint) -> Response:
    async def read() -> tuple[bytes, int | None]:
        return await _read_body(request, backend.gateway.emulator.maxRequestBytes)

    incoming = Incoming(
        method=request.method,
        headers={k.lower(): v for k, v in request.headers.items()},
        raw_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
        body=b"",
        host=request.headers.get("host"),
        scheme=request.url.scheme,
        reader=read if request.method == "POST" else None,
        query=request.url.query,
    )
    out = await endpoint.handle(incoming)
    if out.stream is not None:
        return StreamingResponse(out.stream, out.status, headers=out.headers)
    return Response(out.body, out.status, headers=out.headers)


async def protected_resource(request: Request) -> Response:
    """RFC 9728 §3 protected-resource metadata, unauthenticated (DOC gateway-inbound-auth)."""
    return await _serve_prm(request, request.app.state.backend)


async def _serve_prm(request: Request, backend: Backend) -> Response:
    origin = backend.origin(request.headers.get("host"), request.url.scheme)
    document = await backend.prm(origin)
    if document is None:
        raise UnknownOperation(request.method, request.url.path)
    return Response(_dumps(document), 200, media_type="application/json")


def _mounted(request: Request) -> CreatedGateway:
    control: GatewayControl = request.app.state.control
    served = control.control_api.served(request.path_params["gateway_id"])
    if served is None:
        raise UnknownOperation(request.method, request.url.path)
    return served


async def mounted_mcp(request: Request) -> Response:
    """A gateway the control-plane API created, at `/gateways/<gatewayId>/mcp` (fake_gateway/control_api/serving.py)."""
    served = _mounted(request)
    return await _serve_mcp(request, served.backend, served.endpoint)


async def mounted_prm(request: Request) -> Response:
    return await _serve_prm(request, _mounted(request).backend)


async def unknown(request: Request) -> Response:
    """The control-plane API's operations (fake_gateway/control_api), else Coral's UnknownOperationException
    for every other path (the control plane too, when it is off)."""
    api: ControlApi = request.app.state.control.control_api
    body, oversize = await _read_body(request, request.app.state.backend.gateway.emulator.maxRequestBytes)
    answer = await api.handle(
        ApiRequest(
            request.method,
            request.scope.get("raw_path", request.url.path.encode()).decode("latin-1").split("?", 1)[0],
            request.query_params.multi_items(),
            {k.lower(): v for k, v in request.headers.items()},
            body,
            request.headers.get("host"),
            request.url.scheme,
            oversize,
        )
    )
    if answer is None:
        raise UnknownOperation(request.method, request.url.path)
    if answer.reason:
        request.scope.setdefault("state", {})["reason"] = answer.reason
    return Response(answer.body, answer.status, headers=answer.headers)


# (path, endpoint, methods): the whole emulated surface in one table.
ROUTES = [
    (MCP_PATH, mcp, ALL_METHODS),
    (PRM_PATH, protected_resource, ["GET"]),
    ("/gateways/{gateway_id}/mcp", mounted_mcp, ALL_METHODS),
    ("/gateways/{gateway_id}" + PRM_PATH, mounted_prm, ["GET"]),
    (PRM_PATH + "/gateways/{gateway_id}/mcp", mounted_prm, ["GET"]),
    ("/{path:path}", unknown, ALL_METHODS),
]


async def _gateway_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, GatewayError)
    state = request.scope.setdefault("state", {})
    state["reason"] = exc.reason
    if exc.fix:
        state["fix"] = exc.fix
    return render(exc)


async def _http_error(request: Request, exc: Exception) -> Response:
    """A method no route serves (TRACE, CONNECT): answered as the FastAPI app before it answered."""
    assert isinstance(exc, HTTPException)
    if exc.status_code in (204, 304):
        return Response(status_code=exc.status_code, headers=exc.headers)
    return JSONResponse({"detail": exc.detail}, exc.status_code, headers=exc.headers)


def _lifespan(control: GatewayControl) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await control.backend.startup()
        try:
            yield
        finally:
            await control.backend.shutdown()
            await control.control_api.close()

    return lifespan


def create_app(gateway: Gateway, *, base_url: str | None = None, access: Access | None = None) -> Starlette:
    """The gateway. `base_url` is the origin used when a request carries no Host (knob publicUrl overrides);
    `access` says who may use its control plane (default: loopback only, no token)."""
    control = GatewayControl(gateway, base_url=base_url, access=access)
    backend = control.backend
    app = Starlette(routes=[exact_route(path, endpoint, methods) for path, endpoint, methods in ROUTES],
                    exception_handlers={GatewayError: _gateway_error, HTTPException: _http_error},
                    lifespan=_lifespan(control))
    app.state.backend = backend
    app.state.endpoint = McpEndpoint(backend)
    install(app, control)
    return app
