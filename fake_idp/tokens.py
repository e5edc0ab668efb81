"""Auth0 token shapes (DOC access-token-profiles.mdx, sheet §2): access tokens, ID tokens, opaque tokens.

JWT access tokens in the four token dialects, OIDC ID tokens, and the opaque (JWE ``alg:dir``) tokens of the
userinfo audience (sheet §2.5).

Header ``{"alg","typ","kid"}`` in that order (CAPTURE ref 586189657). Claims order follows the captured
M2M token (ref 1267571811): iss, sub, aud, iat, exp, scope, gty, azp [, permissions].
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from joserfc import jwe, jwt
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import OctKey
from joserfc.registry import HeaderParameter

from authstage_kit.ids import random_string, token_urlsafe
from fake_idp.context import Ctx
from fake_idp.keys import random_kid
from fake_idp.tenant import Api, Client, User
from fake_idp.token_profiles import header_for, reshape
from fake_idp.triggers import with_custom_claims

__all__ = [
    "DEFAULT_PICTURE",
    "Minted",
    "decode_opaque",
    "hs256_secret",
    "mint_access_token",
    "mint_id_token",
    "mint_opaque_token",
    "scope_claims",
    "token_profile",
    "verify_own_jwt",
]

# Auth0's default avatar (a gravatar "mystery person") for users without a picture.
DEFAULT_PICTURE = "https://s.gravatar.com/avatar/00000000000000000000000000000000?s=480&r=pg&d=mp"

_JWE_REGISTRY = JWERegistry(
    header_registry={"iss": HeaderParameter("Issuer", "str")}, algorithms=["dir", "A256GCM"]
)


@dataclass
class Minted:
    token: str
    expires_in: int
    claims: dict[str, Any]


def hs256_secret(api: Api) -> str:
    """The API's HS256 signing secret (Auth0 generates one per API; ours is obviously fake)."""
    return api.signing_secret or f"demo-secret-not-for-production-hs256-{api.name}".ljust(48, "x")


def _times(ctx: Ctx, lifetime: int) -> tuple[int, int]:
    f = ctx.tenant.faults
    iat = int(ctx.now()) + f.clock_skew_seconds
    exp = iat + (f.expire_after if f.expire_after is not None else lifetime)
    return iat, exp


def _sign_rs(
    ctx: Ctx, header_typ: str, claims: dict[str, Any], alg: str = "RS256", profile: str = "auth0"
) -> str:
    """Sign with the current key (or, under ``serve_next_only``, with a key the JWKS does not publish)."""
    f = ctx.tenant.faults
    ring = ctx.keys
    key = ring.current
    kid: str | None = None
    if f.jwks_kid_mode == "unknown_kid":
        kid = random_kid()
    elif f.jwks_kid_mode != "omit_kid":
        kid = key.kid
    return key.encode(header_for(profile, alg, kid, header_typ), claims, alg)


def mint_access_token(
    ctx: Ctx,
    *,
    api: Api,
    sub: str,
    client: Client,
    scopes: list[str],
    permissions: list[str] | None,
    gty: str | None,
    openid: bool = False,
    act: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
) -> Minted:
    """A JWT access token for ``api`` in its token dialect (DOC access-token-profiles.mdx); ``custom``: the
    claims Actions set (``api.accessToken.setCustomClaim``), filtered by Auth0's rules."""
    iat, exp = _times(ctx, api.token_lifetime)
    rfc9068 = api.token_dialect.startswith("rfc9068")
    aud: str | list[str] = [api.identifier, ctx.userinfo_audience] if openid else api.identifier
    claims: dict[str, Any] = {"iss": ctx.token_iss, "sub": sub, "aud": aud, "iat": iat, "exp": exp}
    if rfc9068:
        if scopes:
            claims["scope"] = " ".join(scopes)
        claims["jti"] = random_string(22)
        claims["client_id"] = client.client_id
    else:
        if scopes:
            claims["scope"] = " ".join(scopes)
        if gty:
            claims["gty"] = gty
        claims["azp"] = client.client_id
    if permissions is not None:
        claims["permissions"] = list(permissions)
    if act:
        claims["act"] = act
    profile = token_profile(ctx, api)
    if profile != "auth0":
        user = None if gty == "client-credentials" else ctx.tenant.user_by_id(sub)
        claims = reshape(
            profile, claims, api=api, client=client, user=user, scopes=scopes, permissions=permissions
        )
    if custom:
        claims = with_custom_claims(ctx, claims, custom, token="access", scopes=scopes)
    if api.signing_alg == "HS256":
        # DOC: HS256 tokens are signed with the API's secret and carry no kid.
        token = jwt.encode(
            {"alg": "HS256", "typ": "JWT"},
            claims,
            OctKey.import_key(hs256_secret(api)),
            algorithms=["HS256"],
            default_type=None,
        )
    else:
        token = _sign_rs(ctx, "at+jwt" if rfc9068 else "JWT", claims, api.signing_alg, profile)
    return Minted(token=token, expires_in=api.token_lifetime, claims=claims)


def token_profile(ctx: Ctx, api: Api) -> str:
    """``emulator.token_profiles``: the vendor shape of access tokens for ``api`` (by name, then identifier)."""
    profiles = ctx.tenant.emulator.token_profiles
    return profiles.get(api.name) or profiles.get(api.identifier) or "auth0"


def mint_id_token(
    ctx: Ctx,
    *,
    client: Client,
    user: User,
    scopes: list[str],
    nonce: str | None,
    auth_time: float | None,
    sid: str | None = None,
    act: dict[str, Any] | None = None,
    custom: dict[str, Any] | None = None,
) -> Minted:
    """An OIDC ID token: aud = client_id, lifetime jwt_configuration.lifetime_in_seconds (DOC 36000); ``custom``:
    the claims Actions set (``api.idToken.setCustomClaim``)."""
    lifetime = client.jwt_configuration.lifetime_in_seconds
    iat, exp = _times(ctx, lifetime)
    claims = scope_claims(user, scopes)
    claims.update(
        {"iss": ctx.token_iss, "aud": client.client_id, "sub": user.user_id, "iat": iat, "exp": exp}
    )
    if auth_time is not None:
        claims["auth_time"] = int(auth_time)
    if sid:
        claims["sid"] = sid
    if nonce:
        claims["nonce"] = nonce
    if act:
        claims["act"] = act
    if custom:
        claims = with_custom_claims(ctx, claims, custom, token="id", scopes=scopes)
    if client.jwt_configuration.alg == "HS256" and client.client_secret:
        token = jwt.encode(
            {"alg": "HS256", "typ": "JWT"},
            claims,
            OctKey.import_key(client.client_secret),
            algorithms=["HS256"],
            default_type=None,
        )
    else:
        token = _sign_rs(ctx, "JWT", claims)
    return Minted(token=token, expires_in=lifetime, claims=claims)


def scope_claims(user: User, scopes: list[str]) -> dict[str, Any]:
    """OIDC Core §5.4: the claims the ``profile`` and ``email`` scopes release, in Auth0's order (ID token and
    ``/userinfo`` alike)."""
    claims: dict[str, Any] = {}
    if "profile" in scopes:
        claims["nickname"] = user.nickname or user.email.split("@")[0]
        claims["name"] = user.name or user.email
        claims["picture"] = user.picture or DEFAULT_PICTURE
        claims["updated_at"] = user.updated_at
    if "email" in scopes:
        claims["email"] = user.email
        claims["email_verified"] = user.email_verified
    return claims


def mint_opaque_token(
    ctx: Ctx, *, sub: str, client: Client, scopes: list[str], lifetime: int = 86400
) -> Minted:
    """An access token for the userinfo audience (sheet §2.5): a 5-part JWE, or a short random string."""
    iat, exp = _times(ctx, lifetime)
    claims = {
        "iss": ctx.token_iss,
        "sub": sub,
        "aud": ctx.userinfo_audience,
        "iat": iat,
        "exp": exp,
        "scope": " ".join(scopes),
        "azp": client.client_id,
    }
    if ctx.tenant.faults.opaque_token_style == "short_random":
        token = random_string(32)
        ctx.remember(ctx.state.opaque_tokens, token, claims, ctx.tenant.emulator.state.opaque_tokens)
    else:
        header = {"alg": "dir", "enc": "A256GCM", "iss": ctx.issuer}
        token = jwe.encrypt_compact(
            header, json.dumps(claims).encode(), ctx.state.opaque_key, registry=_JWE_REGISTRY
        )
    return Minted(token=token, expires_in=lifetime, claims=claims)


def decode_opaque(ctx: Ctx, token: str) -> dict[str, Any] | None:
    """Claims of an opaque token this tenant issued, or None."""
    if token in ctx.state.opaque_tokens:
        return ctx.state.opaque_tokens[token]
    if token.count(".") != 4:
        return None
    try:
        data = jwe.decrypt_compact(token, ctx.state.opaque_key, registry=_JWE_REGISTRY)
        claims = json.loads(data.plaintext or b"{}")
    except (JoseError, ValueError, TypeError):
        return None
    return claims if isinstance(claims, dict) else None


def verify_own_jwt(ctx: Ctx, token: str, *, check_exp: bool = True) -> tuple[dict[str, Any] | None, str]:
    """Verify a JWT signed by one of this tenant's (non-revoked) keys. Returns (claims, problem)."""
    if not isinstance(token, str) or token.count(".") != 2 or len(token) > 16384:
        return None, "not a compact JWS"
    # Try every non-revoked key (tokens minted under the kid faults have no or a wrong kid), then the
    # HS256 secrets of the APIs.
    candidates: list[tuple[Any, list[str]]] = [(k.jose, ["RS256", "PS256"]) for k in ctx.keys.keys]
    candidates += [
        (OctKey.import_key(hs256_secret(a)), ["HS256"]) for a in ctx.tenant.apis if a.signing_alg == "HS256"
    ]
    decoded = None
    for key, algs in candidates:
        try:
            decoded = jwt.decode(token, key, algorithms=algs)
            break
        except (JoseError, ValueError):
            continue
    if decoded is None:
        return (
            None,
            "signature not verifiable with this tenant's current keys (revoked key, other issuer or tampered)",
        )
    claims = dict(decoded.claims)
    if check_exp:
        exp = claims.get("exp")
        if not isinstance(exp, int | float) or exp <= ctx.now():
            return None, "expired"
    return claims, ""


def random_code() -> str:
    """~44 URL-safe characters like ``Y_QLzkV8Zk6ELowbnpeTbUlHFn5_i5Q1YoPYtJ5OmWHFK`` (CAPTURE sanand log)."""
    return token_urlsafe(33)
