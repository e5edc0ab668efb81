"""Grant types of ``POST /oauth/token`` (RFC 6749 §4.1, §4.4, §6; Auth0 sheet §1.6, §2, §5.1, §6).

Grants are classes configured by a ``GRANT_TYPE`` constant and dispatched through ``token.GRANTS``
(authlib / mock-oauth2-server pattern). Extensions attach as hooks: PKCE registers itself on
``AuthorizationCodeGrant`` (``pkce.CodeChallenge``); token exchange lives in ``token_exchange.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from fake_idp import errors
from fake_idp.audience import find_grant, resolve_target, user_scopes
from fake_idp.context import Ctx
from fake_idp.pkce import CodeChallenge
from fake_idp.state import RefreshRecord, new_refresh_token, random_string
from fake_idp.tenant import Api, Client, User
from fake_idp.tokens import mint_access_token, mint_id_token, mint_opaque_token

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "Grant",
    "RefreshTokenGrant",
    "issue_refresh_token",
    "split_scope",
    "user_token_response",
]


class Grant:
    """One token request of one grant type. Subclasses set ``GRANT_TYPE`` and implement :meth:`respond`."""

    GRANT_TYPE: ClassVar[str] = ""
    _hooks: ClassVar[dict[str, list[Callable[..., None]]]] = {}

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        cls._hooks = {}

    @classmethod
    def register_hook(cls, name: str, fn: Callable[..., None]) -> None:
        cls._hooks.setdefault(name, []).append(fn)

    def run_hooks(self, name: str, **kwargs: Any) -> None:
        for fn in self._hooks.get(name, []):
            fn(self, **kwargs)

    def __init__(self, ctx: Ctx, params: dict[str, str], client: Client) -> None:
        self.ctx = ctx
        self.params = params
        self.client = client

    def check_grant_type(self) -> None:
        if self.GRANT_TYPE not in self.client.grant_types:
            raise errors.grant_type_not_allowed(
                self.GRANT_TYPE,
                reason=f"client {self.client.client_id!r} grant_types {list(self.client.grant_types)} lack {self.GRANT_TYPE!r}",
            )

    async def respond(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError


# ---------------------------------------------------------------------------------------------------------


class ClientCredentialsGrant(Grant):
    """M2M tokens: client grants cap the scopes; ``sub=<client_id>@clients``, ``gty: client-credentials``."""

    GRANT_TYPE = "client_credentials"

    async def respond(self) -> dict[str, Any]:
        ctx, client, params = self.ctx, self.client, self.params
        self.check_grant_type()
        target = resolve_target(ctx, audience=params.get("audience"), resource=params.get("resource"))
        for note in target.notes:
            ctx.note(note)
        if target.source == "none":
            raise errors.OAuthError(
                "access_denied",
                errors.NON_GLOBAL_CLIENTS,
                status=403,
                reason="client_credentials without audience (and no tenant Default Audience) asks for the legacy "
                "APIv1 (F-18: the plugin did not forward audience)",
            )
        if target.api is None:
            value = target.value or ""
            raise errors.OAuthError(
                "access_denied",
                errors.SERVICE_NOT_ENABLED.format(audience=value),
                status=403,
                reason="; ".join(target.notes) or f"no API with identifier {value!r}",
            )
        api = target.api
        grant = find_grant(ctx, client, api, allow_default=False)
        if grant is None or api.subject_type_authorization.client.policy == "deny_all":
            raise errors.client_grant_missing(
                client.client_id,
                api.identifier,
                ctx.tenant.faults.client_grant_error_wording,
                reason=f"client grant missing: client {client.client_id!r} has no grant for audience {api.identifier!r}",
            )
        raw_scope = params.get("scope")
        if raw_scope and raw_scope.strip():
            requested = split_scope(raw_scope)
            missing = [s for s in requested if s not in grant.scope]
            if missing:
                raise errors.OAuthError(
                    "access_denied",
                    errors.SCOPES_NOT_GRANTED.format(scopes=" ".join(missing)),
                    status=403,
                    reason=f"the client grant for {api.identifier!r} allows {grant.scope}; requested {missing} beyond it"
                    + (
                        " (F-17: OIDC scopes on client_credentials)"
                        if set(missing) & {"openid", "profile", "email"}
                        else ""
                    ),
                )
            scopes = requested
        else:
            scopes = list(grant.scope)
        permissions = list(scopes) if api.token_dialect.endswith("_authz") else None
        minted = mint_access_token(
            ctx,
            api=api,
            sub=f"{client.client_id}@clients",
            client=client,
            scopes=scopes,
            permissions=permissions,
            gty="client-credentials",
        )
        # CAPTURE go-auth0 TestLoginWithClientCredentials: scope omitted when no scopes were granted.
        body: dict[str, Any] = {"access_token": minted.token}
        if scopes:
            body["scope"] = " ".join(scopes)
        body["expires_in"] = minted.expires_in
        body["token_type"] = "Bearer"
        return body


# ---------------------------------------------------------------------------------------------------------


def issue_refresh_token(
    ctx: Ctx, client: Client, user: User, api: Api | None, scopes: list[str], family: str | None = None
) -> RefreshRecord:
    now = ctx.now()
    settings = client.refresh_token
    strict_public = ctx.security_mode(client) == "strict" and not client.confidential
    rotating = (
        settings.rotation_type == "rotating" or strict_public
    )  # DOC: rotation on for public third-party apps
    expiring = settings.expiration_type == "expiring" or rotating or ctx.security_mode(client) == "strict"
    rec = RefreshRecord(
        token=new_refresh_token(),
        family=family or random_string(16),
        client_id=client.client_id,
        user_id=user.user_id,
        api_identifier=api.identifier if api else None,
        scopes=list(scopes),
        issued_at=now,
        last_used_at=now,
        expires_at=(now + settings.token_lifetime) if expiring else None,
        rotating=rotating,
    )
    ctx.state.refresh_tokens[rec.token] = rec
    return rec


def user_token_response(
    ctx: Ctx,
    *,
    client: Client,
    user: User,
    api: Api | None,
    scopes: list[str],
    permissions: list[str] | None,
    nonce: str | None = None,
    auth_time: float | None = None,
    gty: str | None = None,
    act: dict[str, Any] | None = None,
    refresh: str | None = None,
) -> tuple[dict[str, Any], dict[str, Any]]:
    """Access token (JWT for an API, opaque for userinfo) + ID token if ``openid`` was granted.

    Returns (pieces, claims) where pieces has ``access_token``, ``id_token`` (maybe) and ``expires_in``.
    """
    openid = "openid" in scopes
    if api is not None:
        at = mint_access_token(
            ctx,
            api=api,
            sub=user.user_id,
            client=client,
            scopes=scopes,
            permissions=permissions,
            gty=gty,
            openid=openid,
            act=act,
        )
    else:
        at = mint_opaque_token(ctx, sub=user.user_id, client=client, scopes=scopes)
    pieces: dict[str, Any] = {"access_token": at.token, "expires_in": at.expires_in}
    if openid and ctx.security_mode(client) != "strict":
        idt = mint_id_token(
            ctx, client=client, user=user, scopes=scopes, nonce=nonce, auth_time=auth_time, act=act
        )
        pieces["id_token"] = idt.token
    if refresh:
        pieces["refresh_token"] = refresh
    return pieces, at.claims


class AuthorizationCodeGrant(Grant):
    """Exchange a single-use code (+ PKCE verifier via the hook) for tokens."""

    GRANT_TYPE = "authorization_code"

    async def respond(self) -> dict[str, Any]:
        ctx, client, params = self.ctx, self.client, self.params
        self.check_grant_type()
        code_value = params.get("code")
        if not code_value:
            raise errors.missing_parameter("code", reason="authorization_code grant without code")
        rec = ctx.state.codes.get(code_value)
        invalid = "invalid_grant", errors.INVALID_AUTHORIZATION_CODE
        if rec is None:
            raise errors.OAuthError(*invalid, status=403, reason="unknown authorization code")
        if rec.used:
            if rec.refresh_family:
                ctx.state.revoke_family(rec.refresh_family)
            raise errors.OAuthError(
                *invalid,
                status=403,
                reason="authorization code already used (codes are single-use); its refresh tokens were revoked",
            )
        if rec.client_id != client.client_id:
            raise errors.OAuthError(
                *invalid,
                status=403,
                reason=f"code was issued to client {rec.client_id!r}, not {client.client_id!r}",
            )
        lifetime = ctx.tenant.emulator.authorization_code_lifetime
        if ctx.now() > rec.created_at + lifetime:
            raise errors.OAuthError(
                *invalid,
                status=403,
                reason=f"authorization code expired (emulator.authorization_code_lifetime {lifetime}s)",
            )
        sent = params.get("redirect_uri")
        if sent != rec.redirect_uri:
            raise errors.OAuthError(
                "unauthorized_client",
                errors.REDIRECT_URI_WRONG.format(
                    sent=sent if sent is not None else "undefined", expected=rec.redirect_uri
                ),
                status=403,
                reason="redirect_uri at /oauth/token must equal the one sent to /authorize",
            )
        rec.used = True
        self.run_hooks("after_validate_code", code=rec, params=params)
        resource = params.get("resource")
        if resource and rec.resource and resource != rec.resource:
            if ctx.tenant.emulator.token_resource_mismatch == "reject":
                raise errors.OAuthError(
                    "invalid_request",
                    errors.INVALID_PARAMETER.format(name="resource"),
                    status=400,
                    reason=f"resource {resource!r} differs from {rec.resource!r} sent to /authorize",
                )
            ctx.note(
                f"resource {resource!r} differs from /authorize ({rec.resource!r}); the code's audience is kept"
            )
        user = ctx.tenant.user_by_id(rec.user_id)
        if user is None:
            raise errors.OAuthError(*invalid, status=403, reason=f"user {rec.user_id!r} no longer exists")
        api = None
        if rec.api_identifier is not None:
            api = next((a for a in ctx.tenant.apis if a.identifier == rec.api_identifier), None)
            if api is None:
                raise errors.OAuthError(
                    *invalid, status=403, reason=f"API {rec.api_identifier!r} was removed"
                )
        _, permissions = user_scopes(ctx, client, user, api, rec.scopes, None)
        refresh = None
        if "offline_access" in rec.scopes and "refresh_token" in client.grant_types:
            rt = issue_refresh_token(ctx, client, user, api, rec.scopes)
            rec.refresh_family = rt.family
            refresh = rt.token
        elif "offline_access" in rec.scopes:
            ctx.note("offline_access granted but client grant_types lack 'refresh_token': no refresh_token")
        pieces, _ = user_token_response(
            ctx,
            client=client,
            user=user,
            api=api,
            scopes=rec.scopes,
            permissions=permissions,
            nonce=rec.nonce,
            auth_time=rec.auth_time,
            refresh=refresh,
        )
        return _ordered(pieces, rec.scopes)


CodeChallenge()(AuthorizationCodeGrant)


def _ordered(pieces: dict[str, Any], scopes: list[str]) -> dict[str, Any]:
    """DOC order for authorization_code: access_token, id_token, refresh_token, scope, expires_in, token_type."""
    body: dict[str, Any] = {"access_token": pieces["access_token"]}
    for key in ("id_token", "refresh_token"):
        if key in pieces:
            body[key] = pieces[key]
    if scopes:
        body["scope"] = " ".join(scopes)
    body["expires_in"] = pieces["expires_in"]
    body["token_type"] = "Bearer"
    return body


# ---------------------------------------------------------------------------------------------------------


class RefreshTokenGrant(Grant):
    """Refresh with optional rotation, family reuse detection and leeway (DOC refresh-token rotation)."""

    GRANT_TYPE = "refresh_token"

    async def respond(self) -> dict[str, Any]:
        ctx, client, params = self.ctx, self.client, self.params
        self.check_grant_type()
        value = params.get("refresh_token")
        if not value:
            raise errors.missing_parameter(
                "refresh_token", reason="refresh_token grant without refresh_token"
            )
        now = ctx.now()
        rec = ctx.state.refresh_tokens.get(value)
        if rec is None:
            raise errors.invalid_refresh_token(reason="unknown refresh token")
        if rec.client_id != client.client_id:
            raise errors.invalid_refresh_token(reason=f"refresh token belongs to client {rec.client_id!r}")
        if rec.revoked:
            raise errors.invalid_refresh_token(
                reason="refresh token revoked (revocation, or its family was revoked after reuse)"
            )
        if rec.expires_at is not None and now >= rec.expires_at:
            raise errors.invalid_refresh_token(reason="refresh token past its absolute lifetime")
        if (
            now - rec.last_used_at > client.refresh_token.idle_token_lifetime
            and client.refresh_token.expiration_type == "expiring"
        ):
            raise errors.invalid_refresh_token(reason="refresh token idle lifetime exceeded")
        user = ctx.tenant.user_by_id(rec.user_id)
        if user is None or rec.user_id in ctx.tenant.faults.refresh_user_deleted:
            raise errors.OAuthError(
                "invalid_grant",
                errors.REFRESH_USER_GONE,
                status=403,
                reason=f"user {rec.user_id!r} was deleted",
            )
        if user.blocked:
            raise errors.invalid_refresh_token(reason=f"user {rec.user_id!r} is blocked")
        new_rt: str | None = None
        if rec.rotating:
            if rec.rotated_at is not None:
                leeway = client.refresh_token.leeway
                if leeway and now - rec.rotated_at <= leeway:
                    ctx.note(f"rotated refresh token reused within the {leeway}s leeway: allowed")
                elif ctx.tenant.faults.refresh_reuse_detection == "on":
                    n = ctx.state.revoke_family(rec.family)
                    raise errors.invalid_refresh_token(
                        reason=f"reuse of a rotated refresh token detected (Auth0 log 'ferrt'): the family "
                        f"({n} live token(s)) was revoked (F-15; leeway {leeway}s)"
                    )
                else:
                    ctx.note("reuse of a rotated refresh token ignored (faults.refresh_reuse_detection: off)")
            rec.rotated_at = now if rec.rotated_at is None else rec.rotated_at
            api = _api(ctx, rec.api_identifier)
            successor = issue_refresh_token(ctx, client, user, api, rec.scopes, family=rec.family)
            rec.successor = successor.token
            new_rt = successor.token
        rec.last_used_at = now
        api = _api(ctx, rec.api_identifier)
        if rec.api_identifier is not None and api is None:
            raise errors.invalid_refresh_token(reason=f"API {rec.api_identifier!r} was removed")
        requested = split_scope(params.get("scope", "")) or rec.scopes
        narrowed = [s for s in rec.scopes if s in requested]
        if len(narrowed) < len(requested):
            ctx.note(
                f"refresh scope can narrow but not widen: {sorted(set(requested) - set(rec.scopes))} dropped"
            )
        scopes, permissions = user_scopes(ctx, client, user, api, narrowed, None)
        pieces, _ = user_token_response(
            ctx,
            client=client,
            user=user,
            api=api,
            scopes=scopes,
            permissions=permissions,
            gty="refresh_token",
            refresh=new_rt,
        )
        # DOC use-refresh-tokens.mdx order: access_token, expires_in, scope, id_token, token_type.
        body: dict[str, Any] = {"access_token": pieces["access_token"]}
        if new_rt:
            body["refresh_token"] = new_rt
        body["expires_in"] = pieces["expires_in"]
        if scopes:
            body["scope"] = " ".join(scopes)
        if "id_token" in pieces:
            body["id_token"] = pieces["id_token"]
        body["token_type"] = "Bearer"
        return body


def _api(ctx: Ctx, identifier: str | None) -> Api | None:
    if identifier is None:
        return None
    return next((a for a in ctx.tenant.apis if a.identifier == identifier), None)


def split_scope(scope: str | None) -> list[str]:
    out: list[str] = []
    for s in (scope or "").split():
        if s not in out:
            out.append(s)
    return out
