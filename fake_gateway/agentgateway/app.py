"""The agentgateway dialect as an ASGI app: every path goes through the pipeline (routes decide what is served);
`/_authstage/` is the emulator's control plane. The only module here that knows the web framework (Starlette).

The admin surfaces agentgateway serves on other ports (sheet §1: admin `:15000` with `/ui` and `/config_dump`,
stats `:15020/metrics`, readiness `:15021/healthz/ready`) are `admin_apps()`; `python -m fake_gateway` binds them
where `config.adminAddr` / `statsAddr` / `readinessAddr` say.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, RedirectResponse, Response, StreamingResponse
from starlette.routing import Route

from authstage_kit.access import Access
from authstage_kit.control import install
from fake_gateway.agentgateway.control import AgwControl
from fake_gateway.agentgateway.errors import AgwError
from fake_gateway.agentgateway.pipeline import Incoming, Pipeline
from fake_gateway.agentgateway.settings import AgentGateway

__all__ = ["admin_apps", "create_app"]

ALL_METHODS = ["GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"]
MAX_BODY = 4 * 1024 * 1024


def render(exc: AgwError) -> Response:
    # the content type exactly as agentgateway sends it (Starlette would add `; charset=utf-8` to text/plain)
    return Response(exc.content(), exc.status, headers={"content-type": exc.media_type, **exc.headers})


async def serve(request: Request) -> Response:
    pipeline: Pipeline = request.app.state.control.pipeline
    body = await request.body() if request.method in ("POST", "PUT", "PATCH") else b""
    incoming = Incoming(
        method=request.method,
        path=request.url.path,
        query=dict(request.query_params),
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body[:MAX_BODY],
        scheme=request.url.scheme,
        host=request.headers.get("host"),
    )
    state = request.scope.setdefault("state", {})
    try:
        reply = await pipeline.handle(incoming)
    except AgwError as exc:
        state["reason"] = exc.reason
        state.setdefault("notes", []).extend(incoming.notes)
        return render(exc)
    state.setdefault("notes", []).extend(incoming.notes)
    if reply.stream is not None:
        return StreamingResponse(reply.stream, reply.status, headers=reply.headers)
    return Response(reply.body, reply.status, headers=reply.headers)


def _lifespan(control: AgwControl) -> Any:
    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        yield
        await control.pipeline.close()

    return lifespan


def create_app(gateway: AgentGateway, *, base_url: str | None = None, access: Access | None = None) -> Starlette:
    """The gateway on one port: every route of every bind/gateway of the config (sheet §2.1)."""
    control = AgwControl(gateway, base_url=base_url, access=access)
    app = Starlette(routes=[Route("/{path:path}", serve, methods=ALL_METHODS)], lifespan=_lifespan(control))
    install(app, control)
    return app


def admin_apps(gateway_app: Starlette) -> dict[str, Starlette]:
    """The admin (UI stub, `/config_dump`), stats (`/metrics`) and readiness (`/healthz/ready`) servers."""
    control: AgwControl = gateway_app.state.control

    async def ui(request: Request) -> Response:
        return PlainTextResponse("agentgateway UI (emulated by authstage: the real UI is not served)\n")

    async def config_dump(request: Request) -> Response:
        document = {"config": control.config.config_document(), "emulator": control.config.emulator.model_dump()}
        return Response(json.dumps(document, indent=2), media_type="application/json")

    async def metrics(request: Request) -> Response:
        stats = control.stats()
        lines = [f"# TYPE agentgateway_{name} gauge\nagentgateway_{name} {value}" for name, value in stats.items()]
        return PlainTextResponse("\n".join(lines) + "\n", media_type="text/plain; version=0.0.4")

    async def ready(request: Request) -> Response:
        return PlainTextResponse("ready\n")

    return {
        "admin": Starlette(routes=[Route("/", lambda r: RedirectResponse("/ui")), Route("/ui", ui),
                                   Route("/config_dump", config_dump)]),
        "stats": Starlette(routes=[Route("/metrics", metrics)]),
        "readiness": Starlette(routes=[Route("/healthz/ready", ready)]),
    }
