"""The fake Auth0 tenant as an ASGI app: one route table, one exception handler, the request log.

Auth0 Authentication API surface emulated (auth0-tenant.md §1): discovery, RFC 8414 alias, JWKS,
``/authorize`` (+ Universal Login ``/u/login``, ``/u/consent``), ``/oauth/token``, ``/oauth/revoke``,
``/oidc/register``, ``/userinfo``, ``/oidc/logout``, ``/v2/logout``; plus the ``/_authstage/`` control plane.

This is the only module of the emulated surface that knows the web framework (Starlette): each route parses the
request into a :class:`~fake_idp.wire.Incoming`, calls its framework-neutral endpoint and renders the
:class:`~fake_idp.wire.Outgoing` it returns, or the :class:`~fake_idp.errors.IdpError` it raises. The routes are
Starlette's own, serving exactly the methods of the table (authstage_kit.routing).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.applications import Starlette
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.requests import Request
from starlette.responses import Response

from authstage_kit.access import Access
from authstage_kit.connections import requests_in_flight
from authstage_kit.control import install
from authstage_kit.routing import exact_route
from fake_idp import errors
from fake_idp.authorize import authorize_endpoint
from fake_idp.context import Ctx
from fake_idp.control import IdpControl
from fake_idp.cors import CorsMiddleware
from fake_idp.discovery import jwks_endpoint, oauth_authorization_server, openid_configuration, path_metadata
from fake_idp.login import consent_get, consent_post, login_get, login_post
from fake_idp.logout import legacy_logout, oidc_logout
from fake_idp.management.api import api_v2
from fake_idp.register import register_endpoint
from fake_idp.render import error_response
from fake_idp.tenant import Tenant
from fake_idp.token import revoke_endpoint, token_endpoint
from fake_idp.userinfo import userinfo_endpoint
from fake_idp.wire import Incoming, Outgoing

__all__ = ["ROUTES", "create_app"]

Endpoint = Callable[[Ctx], Awaitable[Outgoing]]

# (path, endpoint, methods): the whole emulated surface in one table.
ROUTES: list[tuple[str, Endpoint, list[str]]] = [
    ("/.well-known/openid-configuration", openid_configuration, ["GET"]),
    ("/.well-known/oauth-authorization-server", oauth_authorization_server, ["GET"]),
    ("/.well-known/jwks.json", jwks_endpoint, ["GET"]),
    # Issuers with a path (profile.discovery.metadata_urls): RFC 8414 §3.1 / §5 insertion, OIDC appending.
    ("/.well-known/oauth-authorization-server/{rest:path}", path_metadata, ["GET"]),
    ("/.well-known/openid-configuration/{rest:path}", path_metadata, ["GET"]),
    ("/{prefix:path}/.well-known/openid-configuration", path_metadata, ["GET"]),
    ("/authorize", authorize_endpoint, ["GET"]),
    ("/u/login", login_get, ["GET"]),
    ("/u/login", login_post, ["POST"]),
    ("/u/consent", consent_get, ["GET"]),
    ("/u/consent", consent_post, ["POST"]),
    ("/oauth/token", token_endpoint, ["POST"]),
    ("/oauth/revoke", revoke_endpoint, ["POST"]),
    ("/oidc/register", register_endpoint, ["POST"]),
    ("/userinfo", userinfo_endpoint, ["GET", "POST"]),
    ("/oidc/logout", oidc_logout, ["GET", "POST"]),
    ("/v2/logout", legacy_logout, ["GET"]),
    ("/api/v2/{rest:path}", api_v2, ["GET", "POST", "PATCH", "PUT", "DELETE"]),  # fake_idp/management
]


# ---------------------------------------------------------------------------------------------------------
# Request in, response out
# ---------------------------------------------------------------------------------------------------------


async def _incoming(request: Request, body_limit: int) -> Incoming:
    """The neutral request; a POST, PUT or PATCH body is read up to ``body_limit`` bytes (beyond: ``oversize``)."""
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        headers.setdefault(name, value)  # Starlette's headers.get: the first of a repeated header
    body, oversize = b"", None
    if request.method in ("POST", "PUT", "PATCH"):
        chunks: list[bytes] = []
        size = 0
        async for chunk in request.stream():
            size += len(chunk)
            if size > body_limit:
                oversize = body_limit
                break
            chunks.append(chunk)
        body = b"" if oversize else b"".join(chunks)
    return Incoming(
        method=request.method,
        scheme=request.url.scheme or "http",
        host=request.headers.get("host"),
        path=request.url.path,
        query=request.query_params.multi_items(),
        headers=headers,
        cookies=dict(request.cookies),
        body=body,
        oversize=oversize,
        in_flight=requests_in_flight(request.scope),
    )


def _render(out: Outgoing) -> Response:
    response = Response(out.body, out.status, headers=out.headers, media_type=out.media_type)
    for c in out.cookies:
        response.set_cookie(c.name, c.value, max_age=c.max_age, expires=c.expires, httponly=c.httponly)
    return response


def _route(endpoint: Endpoint) -> Callable[[Request], Awaitable[Response]]:
    async def route(request: Request) -> Response:
        control: IdpControl = request.app.state.control
        incoming = await _incoming(request, control.tenant.emulator.max_body_bytes)
        try:
            return _render(await endpoint(Ctx.of(control, incoming)))
        finally:
            # The request log reads these (reqlog.py); an error's reason is set again by the handler.
            if incoming.reason is not None:
                request.state.reason = incoming.reason
            if incoming.notes:
                request.state.notes = incoming.notes

    route.__name__ = endpoint.__name__
    return route


# ---------------------------------------------------------------------------------------------------------
# The one exception handler: every error is an IdpError rendered by render.error_response
# ---------------------------------------------------------------------------------------------------------


def render_error(request: Request, exc: errors.IdpError) -> Response:
    """The one place errors become responses; the reason goes to the request log."""
    request.state.reason = exc.reason
    return _render(error_response(exc))


def _as_idp_error(request: Request, exc: Exception) -> errors.IdpError:
    """Starlette's own errors (no route, wrong method, bad input) and bugs, in Auth0's shapes."""
    if isinstance(exc, errors.IdpError):
        return exc
    if isinstance(exc, StarletteHTTPException):
        if exc.status_code == 405:
            reason = f"{request.method} is not allowed on {request.url.path}"
            return errors.BoomError(405, errors.METHOD_NOT_ALLOWED, reason=reason)
        if exc.status_code == 404:
            return errors.BoomError(404, errors.NOT_FOUND, reason=f"no route {request.url.path}")
        return errors.BoomError(exc.status_code, str(exc.detail), reason=str(exc.detail))
    # A bug in the emulator, never a traceback on the wire; the log names it.
    return errors.BoomError(500, errors.INTERNAL_ERROR, reason=f"authstage bug: {type(exc).__name__}: {exc}")


async def _handle(request: Request, exc: Exception) -> Response:
    return render_error(request, _as_idp_error(request, exc))


HANDLED: tuple[type[Exception], ...] = (
    errors.IdpError,
    StarletteHTTPException,
    Exception,
)


def create_app(tenant: Tenant, *, base_url: str | None = None, access: Access | None = None) -> Starlette:
    """Build the fake tenant. ``base_url`` (e.g. ``http://127.0.0.1:9000``) names the bind address; the issuer
    is still derived per request from ``Host`` unless ``tenant.issuer`` is set (see ``context.py``). ``access``
    says who may use its control plane (default: loopback only, no token)."""
    control = IdpControl(tenant, base_url=base_url.rstrip("/") if base_url else None, access=access)
    app = Starlette(routes=[exact_route(path, _route(endpoint), methods) for path, endpoint, methods in ROUTES],
                    exception_handlers=dict.fromkeys(HANDLED, _handle))
    app.add_middleware(CorsMiddleware, allowed=lambda: control.tenant.emulator.cors_allowed_origins)
    install(app, control)
    return app

