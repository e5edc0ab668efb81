"""``POST /oauth/token`` (RFC 6749 §3.2) and ``POST /oauth/revoke`` (RFC 7009), Auth0 flavour (sheet §1.6, §1.7, §5.1).

Both accept ``application/x-www-form-urlencoded`` and JSON bodies. The token endpoint parses, applies the
rate limit, authenticates the client and dispatches on ``grant_type`` through :data:`GRANTS`, the grant
classes registered with their extensions (authlib's ``register_grant(grant, [CodeChallenge()])``).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, get_args

from authstage_kit.aio import in_worker
from fake_idp import errors
from fake_idp.cimd import resolve_at_token
from fake_idp.client_auth import authenticate_client
from fake_idp.context import Ctx
from fake_idp.grants import AuthorizationCodeGrant, ClientCredentialsGrant, Grant, RefreshTokenGrant
from fake_idp.id_jag import JwtBearerGrant
from fake_idp.pkce import CodeChallenge
from fake_idp.tenant import GrantType
from fake_idp.token_exchange import TokenExchangeGrant
from fake_idp.wire import Outgoing, empty_response, json_response, read_params

__all__ = ["GRANTS", "revoke_endpoint", "token_endpoint"]


def register_grants(
    *grants: tuple[type[Grant], list[Callable[[type[Grant]], None]]],
) -> dict[str, type[Grant]]:
    """The dispatch table ``grant_type -> grant class``, each grant's extensions attached to it once."""
    table: dict[str, type[Grant]] = {}
    for grant_cls, extensions in grants:
        for extension in extensions:
            extension(grant_cls)
        table[grant_cls.GRANT_TYPE] = grant_cls
    return table


GRANTS = register_grants(
    (ClientCredentialsGrant, []),
    (AuthorizationCodeGrant, [CodeChallenge()]),
    (RefreshTokenGrant, []),
    (TokenExchangeGrant, []),
    (JwtBearerGrant, []),
)

# Grant types Auth0 offers that authstage does not emulate (an answer of their own at the token endpoint).
NOT_EMULATED = frozenset(get_args(GrantType)) - GRANTS.keys()

NO_STORE = {"Cache-Control": "no-store", "Pragma": "no-cache"}


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


def _grant_class(grant_type: str | None) -> type[Grant]:
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
    return grant_cls


async def token_endpoint(ctx: Ctx) -> Outgoing:
    """Alone, a token request is served on the event loop; with other requests in flight, its client
    authentication and grant run on one of the process's worker threads (`aio.in_worker`: the request's context,
    seeded ids included, goes with it). An RS256 signature releases the GIL, so concurrent token requests sign on
    every core while the loop reads the next request, and an Action's Node process does not hold up the loop then
    (docs/performance.md). A Client Identifier URL's document is fetched first, on the loop (cimd.py)."""
    rl_headers: dict[str, str] = {}
    try:
        rl_headers = _rate_limit(ctx)
        params = read_params(ctx.request)
        grant_cls = _grant_class(params.get("grant_type"))
        await resolve_at_token(ctx, params)
        if ctx.request.in_flight > 1:
            body = await in_worker(_issue, ctx, params, grant_cls)
        else:
            body = _issue(ctx, params, grant_cls)
    except errors.IdpError as exc:
        exc.headers = {**rl_headers, **NO_STORE, **exc.headers}
        raise
    return json_response(body, headers={**rl_headers, **NO_STORE})


def _issue(ctx: Ctx, params: dict[str, str], grant_cls: type[Grant]) -> dict[str, Any]:
    with ctx.state.lock:
        client = authenticate_client(ctx, params)
    return grant_cls(ctx, params, client).respond_locked()


async def revoke_endpoint(ctx: Ctx) -> Outgoing:
    """DOC revoke-refresh-token.mdx: refresh tokens only; "A successful 200 response has no body"."""
    params = read_params(ctx.request)
    await resolve_at_token(ctx, params)
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
    return empty_response(200)
