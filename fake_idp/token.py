"""``POST /oauth/token`` (RFC 6749 §3.2) and ``POST /oauth/revoke`` (RFC 7009), Auth0 flavour (sheet §1.6, §1.7, §5.1).

Both accept ``application/x-www-form-urlencoded`` and JSON bodies. The token endpoint parses, applies the
rate limit, authenticates the client and dispatches on ``grant_type`` through :data:`GRANTS`.
"""

from __future__ import annotations

import json
import math
from urllib.parse import parse_qsl

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from fake_idp import errors
from fake_idp.client_auth import authenticate_client
from fake_idp.context import Ctx, ctx_of
from fake_idp.grants import AuthorizationCodeGrant, ClientCredentialsGrant, Grant, RefreshTokenGrant
from fake_idp.token_exchange import TokenExchangeGrant

__all__ = ["GRANTS", "read_params", "revoke_endpoint", "token_endpoint"]

GRANTS: dict[str, type[Grant]] = {
    g.GRANT_TYPE: g
    for g in (ClientCredentialsGrant, AuthorizationCodeGrant, RefreshTokenGrant, TokenExchangeGrant)
}

# Grant types Auth0 advertises that authstage does not emulate.
NOT_EMULATED = {
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
}

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


async def _read_body(request: Request, limit: int) -> bytes:
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise errors.OAuthError(
                "invalid_request",
                errors.BODY_TOO_LARGE,
                status=413,
                reason=f"request body over {limit} bytes (emulator.max_body_bytes)",
            )
        chunks.append(chunk)
    return b"".join(chunks)


async def read_params(ctx: Ctx) -> dict[str, str]:
    """Form or JSON body as a flat ``str -> str`` dict; anything else reads as no parameters (with a note)."""
    request = ctx.request
    body = await _read_body(request, ctx.tenant.emulator.max_body_bytes)
    ctype = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if not body:
        return {}
    if ctype == "application/json" or ctype.endswith("+json"):
        try:
            doc = json.loads(body)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            raise errors.OAuthError(
                "invalid_request",
                errors.MALFORMED_BODY.format(detail="invalid JSON"),
                reason=f"invalid JSON body: {exc}",
            ) from exc
        if not isinstance(doc, dict):
            raise errors.OAuthError(
                "invalid_request",
                errors.MALFORMED_BODY.format(detail="expected a JSON object"),
                reason=f"JSON body is a {type(doc).__name__}, not an object",
            )
        out: dict[str, str] = {}
        for key, value in doc.items():
            if value is None:
                continue
            if isinstance(value, bool):
                out[key] = "true" if value else "false"
            elif isinstance(value, str):
                out[key] = value
            elif isinstance(value, int | float) and math.isfinite(value):
                out[key] = str(value)
            else:
                raise errors.OAuthError(
                    "invalid_request",
                    errors.INVALID_PARAMETER.format(name=key),
                    reason=f"JSON parameter {key!r} is a {type(value).__name__}; token parameters are strings",
                )
        return out
    if ctype in ("application/x-www-form-urlencoded", ""):
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
        except (UnicodeDecodeError, ValueError) as exc:
            raise errors.OAuthError(
                "invalid_request",
                errors.MALFORMED_BODY.format(detail="invalid form encoding"),
                reason=str(exc),
            ) from exc
        out = {}
        for key, value in pairs:
            if key in out:
                ctx.note(f"parameter {key!r} repeated; the first value is used")
                continue
            out[key] = value
        return out
    ctx.note(f"content-type {ctype!r} is neither form nor JSON: body ignored")
    return {}


def _rate_limit(ctx: Ctx) -> dict[str, str]:
    rl = ctx.tenant.faults.token_rate_limit
    if rl is None:
        return {}
    now = ctx.now()
    with ctx.state.lock:
        allowed, remaining, reset_at = ctx.state.window("token", rl.limit, rl.window_seconds).hit(now)
    headers = {
        "x-ratelimit-limit": str(rl.limit),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(math.ceil(reset_at)),
    }
    if not allowed:
        headers["Retry-After"] = str(max(1, math.ceil(reset_at - now)))
        raise errors.OAuthError(
            "too_many_requests",
            errors.RATE_LIMIT_TEXT[rl.wording],
            status=429,
            headers=headers,
            reason=f"token endpoint limit {rl.limit} per {rl.window_seconds}s exhausted (faults.token_rate_limit)",
        )
    return headers


async def token_endpoint(request: Request) -> Response:
    ctx = ctx_of(request)
    rl_headers: dict[str, str] = {}
    try:
        rl_headers = _rate_limit(ctx)
        params = await read_params(ctx)
        grant_type = params.get("grant_type")
        if not grant_type:
            raise errors.missing_parameter("grant_type", reason="no grant_type parameter")
        grant_cls = GRANTS.get(grant_type)
        if grant_cls is None:
            why = (
                "a grant type Auth0 supports but authstage does not emulate"
                if grant_type in NOT_EMULATED
                else "unknown grant type"
            )
            raise errors.OAuthError(
                "unsupported_grant_type",
                errors.UNSUPPORTED_GRANT_TYPE.format(grant_type=grant_type[:200]),
                reason=f"{why}: {grant_type[:200]!r}",
            )
        with ctx.state.lock:
            client = authenticate_client(ctx, params)
        grant = grant_cls(ctx, params, client)
        with ctx.state.lock:
            body = await grant.respond()
    except errors.IdpError as exc:
        exc.headers = {**rl_headers, **NO_STORE, **exc.headers}
        raise
    return JSONResponse(body, headers={**rl_headers, **NO_STORE})


async def revoke_endpoint(request: Request) -> Response:
    """DOC revoke-refresh-token.mdx: refresh tokens only; "A successful 200 response has no body"."""
    ctx = ctx_of(request)
    params = await read_params(ctx)
    with ctx.state.lock:
        client = authenticate_client(ctx, params)
        token = params.get("token")
        if not token:
            raise errors.missing_parameter("token", reason="revocation without token")
        rec = ctx.state.refresh_tokens.get(token)
        if rec is None:
            ctx.note(
                "token is not a refresh token of this tenant (access tokens cannot be revoked): nothing to do"
            )
        elif rec.client_id != client.client_id:
            ctx.note(f"refresh token belongs to client {rec.client_id!r}: not revoked")
        elif ctx.tenant.settings.refresh_token_revocation_deletes_grant:
            n = ctx.state.revoke_grant(rec.user_id, rec.client_id, rec.api_identifier)
            ctx.note(f"revoked {n} refresh token(s) of the grant (refresh_token_revocation_deletes_grant)")
        else:
            n = ctx.state.revoke_family(rec.family)
            ctx.note(f"revoked the refresh-token family ({n} live token(s))")
    return Response(status_code=200, content=b"")
