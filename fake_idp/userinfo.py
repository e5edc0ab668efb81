"""``GET|POST /userinfo`` (OIDC Core §5.3; DOC api/authentication/user-profile/get-user-info.mdx, sheet §1.8).

Accepts the opaque (JWE) userinfo-audience tokens and JWT access tokens whose ``aud`` includes
``https://<tenant>/userinfo``; works only if ``openid`` was granted. Errors: 401 with a plain
``Unauthorized`` body (COMMUNITY Auth0.Android#629) and ``WWW-Authenticate: Bearer realm="Users", ...``
(COMMUNITY react-native-auth0#241).
"""

from __future__ import annotations

from typing import Any

from fake_idp import errors
from fake_idp.context import Ctx
from fake_idp.tokens import decode_opaque, scope_claims, verify_own_jwt
from fake_idp.triggers import userinfo_claims
from fake_idp.wire import Outgoing, json_response

__all__ = ["userinfo_endpoint"]


def _deny(ctx: Ctx, www: str, reason: str) -> errors.IdpError:
    if ctx.tenant.emulator.userinfo_error_style == "json":
        return errors.OAuthError(
            "invalid_token",
            errors.USERINFO_INVALID_TOKEN_JSON,
            status=401,
            reason=reason,
            headers={"WWW-Authenticate": www},
        )
    return errors.PlainError(
        401, errors.USERINFO_UNAUTHORIZED, reason=reason, headers={"WWW-Authenticate": www}
    )


async def userinfo_endpoint(ctx: Ctx) -> Outgoing:
    header = ctx.request.header("authorization")
    token = header[7:].strip() if header[:7].lower() == "bearer " else ""
    if not token:
        raise _deny(ctx, errors.USERINFO_WWW_AUTHENTICATE_MISSING, "no Bearer token")
    claims = _jwt_claims(ctx, token) if token.count(".") == 2 else _opaque_claims(ctx, token)
    scopes = str(claims.get("scope", "")).split()
    if "openid" not in scopes:
        raise _deny(
            ctx, errors.USERINFO_WWW_AUTHENTICATE_INVALID, "the token was not granted the openid scope"
        )
    user = ctx.tenant.user_by_id(str(claims.get("sub")))
    if user is None:
        raise _deny(
            ctx, errors.USERINFO_WWW_AUTHENTICATE_INVALID, f"user {claims.get('sub')!r} does not exist"
        )
    # CAPTURE go-auth0 TestUserInfo.yaml key order.
    # DOC custom-claims-migration.mdx: the claims Actions set are "also added to the response of /userinfo".
    return json_response({"sub": user.user_id, **scope_claims(user, scopes), **userinfo_claims(ctx, token)})


def _jwt_claims(ctx: Ctx, token: str) -> dict[str, Any]:
    """A JWT access token of this tenant whose ``aud`` includes the userinfo audience."""
    claims, problem = verify_own_jwt(ctx, token)
    if claims is None:
        www = (
            errors.USERINFO_WWW_AUTHENTICATE_EXPIRED
            if problem == "expired"
            else errors.USERINFO_WWW_AUTHENTICATE_INVALID
        )
        raise _deny(ctx, www, f"JWT rejected: {problem}")
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    if not any(isinstance(a, str) and a.endswith("/userinfo") for a in auds):
        raise _deny(
            ctx,
            errors.USERINFO_WWW_AUTHENTICATE_INVALID,
            f"access token aud {aud!r} does not include the userinfo audience (request openid together with the API)",
        )
    return claims


def _opaque_claims(ctx: Ctx, token: str) -> dict[str, Any]:
    """An opaque (userinfo-audience) token this tenant issued, unexpired."""
    claims = decode_opaque(ctx, token)
    if claims is None:
        raise _deny(ctx, errors.USERINFO_WWW_AUTHENTICATE_INVALID, "not a token this tenant issued")
    if claims.get("exp", 0) <= ctx.now():
        raise _deny(ctx, errors.USERINFO_WWW_AUTHENTICATE_EXPIRED, "opaque token expired")
    return claims
