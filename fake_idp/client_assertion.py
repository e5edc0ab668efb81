"""``private_key_jwt`` client authentication: RFC 7523 §2.2 / §3 and OIDC Core §9, as Auth0 documents it
(DOC get-started/authentication-and-authorization-flow/authenticate-with-private-key-jwt.mdx).

The assertion is a JWT signed with the private key of one of the application's credentials: its ``alg`` must be the
credential's, ``kid`` is optional; ``iss`` and ``sub`` are the client id; ``aud`` is the tenant URL "Include the
trailing slash" (we also accept it without the slash and, as RFC 7523 §3 allows, the token endpoint URL);
``exp`` at most 5 minutes after ``iat`` ("Auth0 supports a maximum of 5 minutes as the token lifetime"); ``jti``
single-use. Failures are the tenant's client-authentication 401 (``emulator.client_auth_error``) with the real
reason in the request log.
"""

from __future__ import annotations

from typing import Any

from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from authstage_kit.redact import decode_unverified
from fake_idp import errors
from fake_idp.context import Ctx
from fake_idp.profile import PublicKeyCredential
from fake_idp.tenant import Client

__all__ = ["AUTH0_ASSERTION_ALGS", "CLIENT_ASSERTION_TYPE", "assertion_subject", "verify_client_assertion"]

CLIENT_ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"  # RFC 7523 §2.2
AUTH0_ASSERTION_ALGS = ["RS256", "RS384", "PS256"]  # CAPTURE: token_endpoint_auth_signing_alg_values_supported
MAX_LIFETIME = 300  # DOC: "Auth0 supports a maximum of 5 minutes as the token lifetime"


def _refuse(ctx: Ctx, reason: str) -> errors.OAuthError:
    return errors.unauthorized_client_auth(ctx.tenant.emulator.client_auth_error, reason=f"private_key_jwt: {reason}")


def assertion_subject(assertion: str) -> str | None:
    """The client an assertion names (``sub``), read before anything is verified, to find its credentials."""
    claims = (decode_unverified(assertion) or {}).get("claims") or {}
    sub = claims.get("sub")
    return sub if isinstance(sub, str) else None


def allowed_algs(ctx: Ctx) -> list[str]:
    configured = ctx.tenant.profile.discovery.token_endpoint_auth_signing_alg_values_supported
    return list(AUTH0_ASSERTION_ALGS) if configured == "auth0" else list(configured)


def _public_key(credential: PublicKeyCredential) -> Any:
    kind = ECKey if credential.alg.startswith("ES") else RSAKey
    return kind.import_key(credential.pem)


def _verified_claims(ctx: Ctx, client: Client, assertion: str) -> dict[str, Any]:
    """The claims, once the signature verifies with a credential of ``client`` whose ``alg`` (and ``kid``) match."""
    methods = client.client_authentication_methods
    credentials = methods.private_key_jwt.credentials if methods and methods.private_key_jwt else []
    try:
        header = jws.extract_compact(assertion.encode()).headers()
    except (JoseError, ValueError, UnicodeError) as exc:
        raise _refuse(ctx, f"client_assertion is not a compact JWS ({exc})") from exc
    alg, kid = header.get("alg"), header.get("kid")
    if alg not in allowed_algs(ctx):
        raise _refuse(ctx, f"alg {alg!r} is not one of {allowed_algs(ctx)}")
    for credential in credentials:
        if credential.alg != alg or (kid and credential.kid and kid != credential.kid):
            continue
        try:
            return dict(jwt.decode(assertion, _public_key(credential), algorithms=[alg]).claims)
        except (JoseError, ValueError):
            continue
    raise _refuse(ctx, f"signature does not verify with any {alg} credential of client {client.client_id!r}")


def _check_claims(ctx: Ctx, client: Client, claims: dict[str, Any]) -> None:
    """RFC 7523 §3: iss, sub, aud, exp (and jti, single-use within its lifetime)."""
    if claims.get("iss") != client.client_id or claims.get("sub") != client.client_id:
        raise _refuse(ctx, f"iss {claims.get('iss')!r} and sub {claims.get('sub')!r} must both be the client id")
    audiences = claims.get("aud")
    audiences = audiences if isinstance(audiences, list) else [audiences]
    accepted = {ctx.issuer, ctx.issuer.rstrip("/"), ctx.url("/oauth/token")}
    if not accepted & {a for a in audiences if isinstance(a, str)}:
        raise _refuse(ctx, f"aud {claims.get('aud')!r} is neither the tenant URL {ctx.issuer!r} nor the token endpoint")
    now = ctx.now()
    exp, iat = claims.get("exp"), claims.get("iat", now)
    if not isinstance(exp, int | float) or exp <= now:
        raise _refuse(ctx, "the assertion has no exp or is expired")
    if not isinstance(iat, int | float) or exp - iat > MAX_LIFETIME:
        raise _refuse(ctx, f"exp is more than {MAX_LIFETIME} s after iat (Auth0's maximum)")
    jti = claims.get("jti")
    if not isinstance(jti, str) or not jti:
        raise _refuse(ctx, "no jti")
    used = ctx.state.used_assertions
    for old in [j for j, until in used.items() if until < now]:
        del used[old]
    if jti in used:
        raise _refuse(ctx, f"jti {jti!r} was already used (an assertion is single-use)")
    used[jti] = float(exp)


def verify_client_assertion(ctx: Ctx, client: Client, params: dict[str, str]) -> None:
    """Authenticate ``client`` by its ``client_assertion`` or raise the 401."""
    if params.get("client_assertion_type") != CLIENT_ASSERTION_TYPE:
        raise _refuse(ctx, f"client_assertion_type must be {CLIENT_ASSERTION_TYPE!r}")
    assertion = params.get("client_assertion") or ""
    _check_claims(ctx, client, _verified_claims(ctx, client, assertion))
