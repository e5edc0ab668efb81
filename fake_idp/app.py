"""The fake Auth0 tenant as an ASGI app: one route table, one exception handler, the request log.

Auth0 Authentication API surface emulated (auth0-tenant.md §1): discovery, RFC 8414 alias, JWKS,
``/authorize`` (+ Universal Login ``/u/login``, ``/u/consent``), ``/oauth/token``, ``/oauth/revoke``,
``/oidc/register``, ``/userinfo``, ``/oidc/logout``, ``/v2/logout``; plus the ``/_authstage/`` control plane.
"""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, PlainTextResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from authstage_kit.access import Access
from authstage_kit.control import install
from fake_idp import errors, pages
from fake_idp.authorize import (
    authorize_endpoint,
    consent_get,
    consent_post,
    login_get,
    login_post,
    redirect_with,
)
from fake_idp.control import IdpControl
from fake_idp.cors import CorsMiddleware
from fake_idp.discovery import jwks_endpoint, oauth_authorization_server, openid_configuration
from fake_idp.logout import legacy_logout, oidc_logout
from fake_idp.register import register_endpoint
from fake_idp.state import random_string
from fake_idp.tenant import Tenant
from fake_idp.token import revoke_endpoint, token_endpoint
from fake_idp.userinfo import userinfo_endpoint

__all__ = ["ROUTES", "create_app"]

# (path, endpoint, methods): the whole emulated surface in one table.
ROUTES = [
    ("/.well-known/openid-configuration", openid_configuration, ["GET"]),
    ("/.well-known/oauth-authorization-server", oauth_authorization_server, ["GET"]),
    ("/.well-known/jwks.json", jwks_endpoint, ["GET"]),
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
]


def render_error(request: Request, exc: errors.IdpError) -> Response:
    """The one place errors become responses; the reason goes to the request log."""
    request.state.reason = exc.reason
    headers = dict(exc.headers)
    if isinstance(exc, errors.AuthorizeError):
        if exc.redirect_uri:
            params = {
                "error": exc.error,
                "error_description": exc.description,
                "state": exc.state,
                "iss": exc.iss,
            }
            response = redirect_with(exc.redirect_uri, params, exc.response_mode)  # type: ignore[arg-type]
            response.headers.update(headers)
            return response
        html = pages.error_page(
            error=exc.error, description=exc.description, tracking=random_string(20).lower()
        )
        return HTMLResponse(html, status_code=exc.status_code, headers=headers)
    if isinstance(exc, errors.PlainError):
        return PlainTextResponse(exc.text, status_code=exc.status_code, headers=headers)
    if isinstance(exc, errors.OAuthError | errors.BoomError | errors.JsonError):
        return JSONResponse(exc.body(), status_code=exc.status_code, headers=headers)
    return JSONResponse(  # pragma: no cover - every IdpError subclass is handled above
        {"error": "server_error", "error_description": errors.INTERNAL_ERROR}, status_code=500
    )


def create_app(tenant: Tenant, *, base_url: str | None = None, access: Access | None = None) -> FastAPI:
    """Build the fake tenant. ``base_url`` (e.g. ``http://127.0.0.1:9000``) names the bind address; the issuer
    is still derived per request from ``Host`` unless ``tenant.issuer`` is set (see ``context.py``). ``access``
    says who may use its control plane (default: loopback only, no token)."""
    app = FastAPI(title="authstage fake_idp", docs_url=None, redoc_url=None, openapi_url=None)
    control = IdpControl(tenant, base_url=base_url.rstrip("/") if base_url else None, access=access)
    for path, endpoint, methods in ROUTES:
        app.add_api_route(path, endpoint, methods=methods, include_in_schema=False)

    @app.exception_handler(errors.IdpError)
    async def _idp_error(request: Request, exc: errors.IdpError) -> Response:
        return render_error(request, exc)

    @app.exception_handler(StarletteHTTPException)
    async def _http_error(request: Request, exc: StarletteHTTPException) -> Response:
        if exc.status_code == 405:
            err = errors.BoomError(
                405,
                errors.METHOD_NOT_ALLOWED,
                reason=f"{request.method} is not allowed on {request.url.path}",
            )
        elif exc.status_code == 404:
            err = errors.BoomError(404, errors.NOT_FOUND, reason=f"no route {request.url.path}")
        else:
            err = errors.BoomError(exc.status_code, str(exc.detail), reason=str(exc.detail))
        return render_error(request, err)

    @app.exception_handler(RequestValidationError)
    async def _validation_error(
        request: Request, exc: RequestValidationError
    ) -> Response:  # pragma: no cover
        return render_error(
            request, errors.OAuthError("invalid_request", "Invalid request", reason=str(exc)[:500])
        )

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> Response:
        # A bug in the emulator, never a traceback on the wire; the log names it.
        return render_error(
            request,
            errors.BoomError(
                500, errors.INTERNAL_ERROR, reason=f"authstage bug: {type(exc).__name__}: {exc}"
            ),
        )

    app.add_middleware(CorsMiddleware, allowed=lambda: control.tenant.emulator.cors_allowed_origins)
    install(app, control)
    return app
