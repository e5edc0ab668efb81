"""Who may call the Management API: a bearer JWT this tenant signed, for the audience `<issuer>api/v2/`, with
the endpoint's scope (https://auth0.com/docs/secure/tokens/access-tokens/management-api-access-tokens: "the
Management API ... audience https://{yourDomain}/api/v2/", scopes such as `create:clients`)."""

from __future__ import annotations

from fake_idp.context import Ctx
from fake_idp.management.errors import (
    BAD_AUDIENCE,
    EXPIRED_TOKEN,
    INVALID_SIGNATURE,
    INVALID_TOKEN,
    MISSING_AUTHENTICATION,
    forbidden_scope,
    unauthorized,
)
from fake_idp.tokens import verify_own_jwt

__all__ = ["audience", "authenticate"]


def audience(ctx: Ctx) -> str:
    """The Management API's identifier on the domain this request called."""
    return ctx.issuer.rstrip("/") + "/api/v2/"


def authenticate(ctx: Ctx, scope: str) -> set[str]:
    """The token's scopes, or the 401/403 Auth0 answers."""
    scheme, _, token = ctx.request.header("authorization").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise unauthorized(MISSING_AUTHENTICATION, reason="no Bearer token on a Management API call")
    token = token.strip()
    claims, problem = verify_own_jwt(ctx, token, check_exp=False)
    if claims is None:
        message = INVALID_SIGNATURE if token.count(".") == 2 else INVALID_TOKEN
        raise unauthorized(message, reason=f"Management API token rejected: {problem}")
    exp = claims.get("exp")
    if not isinstance(exp, int | float) or exp <= ctx.now():
        raise unauthorized(EXPIRED_TOKEN, reason="Management API token expired")
    aud = claims.get("aud")
    auds = [str(a) for a in (aud if isinstance(aud, list) else [aud])]
    if audience(ctx) not in auds:
        raise unauthorized(BAD_AUDIENCE.format(audience=" ".join(auds)),
                           reason=f"aud {auds} is not the Management API {audience(ctx)!r}")
    scopes = set(str(claims.get("scope") or "").split())
    if scope not in scopes:
        raise forbidden_scope(scope, reason=f"the token's scopes {sorted(scopes)} lack {scope!r}")
    return scopes
