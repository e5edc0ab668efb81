"""The fake AgentCore gateway as a FastAPI app: the routes table, the one error renderer, the request log.

Emulated surface (DOC gateway-using, gateway-inbound-auth; sheet §1, §5): `POST /mcp`, the unauthenticated
RFC 9728 document at `GET /.well-known/oauth-protected-resource`, and AWS Coral `UnknownOperationException`
for every other path. `/_authstage/` is the emulator's control plane (docs/control-plane.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx
from fastapi import FastAPI
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from fake_gateway.authorizer import explain_token
from fake_gateway.backend import Backend
from fake_gateway.control import Control
from fake_gateway.errors import PRM_PATH, GatewayError, UnknownOperation
from fake_gateway.logs import MAX_BODY, decode_unverified, redact, truncate
from fake_gateway.mcp_endpoint import Incoming, McpEndpoint
from fake_gateway.settings import Gateway

__all__ = ["create_app"]

MCP_PATH = "/mcp"
CONTROL_PREFIX = "/_authstage/"
ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def render(exc: GatewayError) -> Response:
    """The one renderer of every emulated error: each error owns its status, headers and body (errors.py)."""
    return Response(exc.content(), exc.status, headers=exc.headers, media_type=exc.media_type)


def _reason(exc: GatewayError) -> str:
    return exc.reason


class _RequestLog:
    """One control-plane log record per request outside /_authstage/ (secrets redacted, docs/control-plane.md)."""

    def __init__(self, app: ASGIApp, control: Control) -> None:
        self.app = app
        self.control = control

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"].startswith(CONTROL_PREFIX):
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        request_body = bytearray()
        response_body = bytearray()
        response: dict[str, Any] = {"status": 500, "headers": {}}
        scope.setdefault("state", {})

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request" and len(request_body) <= MAX_BODY:
                request_body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(request_body)])
            return message

        recorded = False

        def finish() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
            tokens = []
            scheme, _, token = headers.get("authorization", "").partition(" ")
            if scheme.lower() == "bearer" and (decoded := decode_unverified(token.strip())):
                tokens.append({"where": "request.authorization", **decoded})
            status = response["status"]
            self.control.record(
                {
                    "method": scope["method"],
                    "path": scope["path"],
                    "query": dict(httpx.QueryParams(scope.get("query_string", b"").decode("latin-1"))),
                    "status": status,
                    "reason": scope["state"].get("authstage_reason") if status >= 400 else None,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 3),
                    "request": {"headers": redact(headers), "body": redact(truncate(bytes(request_body)))},
                    "response": {
                        "headers": redact(response["headers"]),
                        "body": redact(truncate(bytes(response_body))),
                    },
                    "tokens": tokens,
                }
            )

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                response["status"] = message["status"]
                response["headers"] = {
                    k.decode("latin-1"): v.decode("latin-1") for k, v in message["headers"]
                }
            elif message["type"] == "http.response.body":
                if len(response_body) <= MAX_BODY:
                    response_body.extend(message.get("body", b"")[: MAX_BODY + 1 - len(response_body)])
                if not message.get("more_body", False):
                    finish()  # recorded before the client sees the last byte: the log is never behind
            await send(message)

        try:
            await self.app(scope, receive_logged, send_logged)
        finally:
            finish()


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


def create_app(gateway: Gateway, *, base_url: str | None = None) -> FastAPI:
    """The gateway. `base_url` is the origin used when a request carries no Host (knob publicUrl overrides)."""
    backend = Backend(gateway, base_url=base_url)
    control = Control(gateway, backend)
    endpoint = McpEndpoint(backend)

    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        await backend.startup()
        try:
            yield
        finally:
            await backend.shutdown()

    app = FastAPI(lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.control = control
    app.state.backend = backend
    app.state.endpoint = endpoint

    async def gateway_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, GatewayError)
        request.scope.setdefault("state", {})["authstage_reason"] = _reason(exc)
        return render(exc)

    app.add_exception_handler(GatewayError, gateway_error)

    def control_enabled() -> bool:
        return backend.gateway.emulator.controlPlane

    @app.api_route(MCP_PATH, methods=ALL_METHODS)
    async def mcp(request: Request) -> Response:
        body, oversize = (b"", None)
        if request.method == "POST":
            body, oversize = await _read_body(request, backend.gateway.emulator.maxRequestBytes)
        incoming = Incoming(
            method=request.method,
            headers={k.lower(): v for k, v in request.headers.items()},
            raw_headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in request.scope["headers"]],
            body=body,
            host=request.headers.get("host"),
            scheme=request.url.scheme,
            oversize=oversize,
        )
        out = await endpoint.handle(incoming)
        if out.stream is not None:
            return StreamingResponse(out.stream, out.status, headers=out.headers)
        return Response(out.body, out.status, headers=out.headers)

    @app.get(PRM_PATH)
    async def protected_resource(request: Request) -> Response:
        origin = backend.origin(request.headers.get("host"), request.url.scheme)
        document = await backend.prm(origin)
        if document is None:
            raise UnknownOperation(request.method, request.url.path)
        return Response(_dumps(document), 200, media_type="application/json")

    # --- control plane (docs/control-plane.md)

    def invalid(exc: Exception) -> JSONResponse:
        if isinstance(exc, ValidationError):
            detail = [
                {"key": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
                for err in exc.errors(include_url=False)
            ]
        else:
            detail = [{"key": "", "message": str(exc)}]
        return JSONResponse({"error": "invalid_config", "detail": detail}, status_code=400)

    async def json_body(request: Request) -> Any:
        raw = await request.body()
        return json.loads(raw) if raw.strip() else {}

    @app.api_route("/_authstage/config", methods=["GET", "PATCH", "PUT"])
    async def config(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        if request.method == "GET":
            return JSONResponse(control.config.to_document())
        try:
            body = await json_body(request)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            new = (
                control.patch(body)
                if request.method == "PATCH"
                else control.replace(Gateway.from_document(body))
            )
        except (ValueError, ValidationError) as exc:
            return invalid(exc)
        return JSONResponse(new.to_document())

    @app.post("/_authstage/reset")
    async def reset(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        control.reset()
        await backend.pool.close_all()
        return JSONResponse({"reset": True})

    @app.api_route("/_authstage/clock", methods=["GET", "POST"])
    async def clock(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        if request.method == "GET":
            return JSONResponse(control.clock.state())
        try:
            body = await json_body(request)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            return JSONResponse(control.clock.apply(body))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": "invalid_clock", "detail": str(exc)}, status_code=400)

    def since(request: Request) -> int:
        value = request.query_params.get("since", "0")
        if not value.lstrip("-").isdigit():
            raise ValueError("since must be an integer")
        return int(value)

    @app.api_route("/_authstage/log", methods=["GET", "DELETE"])
    async def log(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        if request.method == "DELETE":
            control.clear_log()
            return Response(status_code=204)
        try:
            start = since(request)
        except ValueError as exc:
            return JSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=400)
        records = control.records(start)
        return JSONResponse({"records": records, "next": records[-1]["seq"] if records else start})

    @app.get("/_authstage/logs")
    async def app_logs(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        try:
            start = since(request)
        except ValueError as exc:
            return JSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=400)
        records = control.app_logs(start)
        return JSONResponse({"records": records, "next": records[-1]["seq"] if records else start})

    @app.get("/_authstage/targets")
    async def targets(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        return JSONResponse({"targets": [backend.target_status(name) for name in backend.targets]})

    @app.post("/_authstage/targets/{name}/synchronize")
    async def synchronize(request: Request, name: str) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        try:
            return JSONResponse(await control.synchronize(name))
        except KeyError:
            return JSONResponse(
                {"error": "not_found", "detail": f"no target {name!r}; targets: {sorted(backend.targets)}"},
                status_code=404,
            )

    @app.post("/_authstage/explain")
    async def explain(request: Request) -> Response:
        """Every authorizer check for a token, against the running config (the JWKS this gateway fetched)."""
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        try:
            body = await json_body(request)
            token = body["token"] if isinstance(body, dict) else None
            if not isinstance(token, str):
                raise ValueError('the body must be {"token": "<jwt>"}')
        except (ValueError, KeyError) as exc:
            return JSONResponse({"error": "invalid_request", "detail": str(exc)}, status_code=400)
        jwt = backend.view.jwt
        keys = await backend.keys.get(jwt.discovery_url) if jwt else None
        checks = await asyncio.to_thread(
            explain_token,
            token,
            backend.gateway,
            discovery=keys.discovery if keys else None,
            jwks=keys.jwks if keys else None,
            now=control.clock.now(),
        )
        return JSONResponse({"checks": [c.to_dict() for c in checks]})

    @app.get("/_authstage/stats")
    async def stats(request: Request) -> Response:
        if not control_enabled():
            raise UnknownOperation(request.method, request.url.path)
        return JSONResponse(control.stats())

    @app.api_route("/{path:path}", methods=ALL_METHODS)
    async def unknown(request: Request, path: str) -> Response:
        raise UnknownOperation(request.method, request.url.path)

    app.add_middleware(_RequestLog, control=control)
    return app
