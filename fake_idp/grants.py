"""Grant types of ``POST /oauth/token`` (RFC 6749 §4.1, §4.4, §6; Auth0 sheet §1.6, §2, §5.1, §6).

Grants are classes configured by a ``GRANT_TYPE`` constant and dispatched through ``token.GRANTS``
(authlib / mock-oauth2-server pattern). Extensions attach as hooks when the token endpoint registers the
grant: PKCE on ``AuthorizationCodeGrant`` (``pkce.CodeChallenge``); token exchange lives in ``token_exchange.py``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, ClassVar

from authstage_kit.ids import random_string
from fake_idp import errors
from fake_idp.audience import find_grant, resolve_target, split_scope, user_scopes
from fake_idp.context import Ctx
from fake_idp.state import AuthCode, RefreshRecord, new_refresh_token
from fake_idp.tenant import Api, Client, ClientGrant, User
from fake_idp.tokens import mint_access_token, mint_id_token, mint_opaque_token
from fake_idp.triggers import Login, Outcome, credentials_exchange, post_login, remember_userinfo_claims

__all__ = [
    "AuthorizationCodeGrant",
    "ClientCredentialsGrant",
    "Grant",
    "RefreshTokenGrant",
    "issue_refresh_token",
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

    def respond(self) -> dict[str, Any]:  # pragma: no cover - abstract
        raise NotImplementedError

    def respond_locked(self) -> dict[str, Any]:
        """`respond` under the tenant state's lock: codes, refresh-token families and sessions change together."""
        with self.ctx.state.lock:
            return self.respond()


# ---------------------------------------------------------------------------------------------------------


class ClientCredentialsGrant(Grant):
    """M2M tokens: client grants cap the scopes; ``sub=<client_id>@clients``, ``gty: client-credentials``."""

    GRANT_TYPE = "client_credentials"

    def respond_locked(self) -> dict[str, Any]:
        """Unlocked but for the Actions: concurrent M2M tokens are signed in parallel (the signature releases
        the GIL; docs/performance.md)."""
        return self.respond()

    def respond(self) -> dict[str, Any]:
        self.check_grant_type()
        api = self._api()
        scopes = self._scopes(api, self._client_grant(api))
        with self.ctx.state.lock:  # the Actions' cache is the only state a client-credentials token touches
            actions = credentials_exchange(self.ctx, client=self.client, api=api, scopes=scopes, params=self.params)
        permissions = list(scopes) if api.token_dialect.endswith("_authz") else None
        minted = mint_access_token(
            self.ctx,
            api=api,
            sub=f"{self.client.client_id}@clients",
            client=self.client,
            scopes=scopes,
            permissions=permissions,
            gty="client-credentials",
            custom=actions.access_claims,
        )
        # CAPTURE go-auth0 TestLoginWithClientCredentials: scope omitted when no scopes were granted.
        body: dict[str, Any] = {"access_token": minted.token}
        if scopes:
            body["scope"] = " ".join(scopes)
        body["expires_in"] = minted.expires_in
        body["token_type"] = "Bearer"
        return body

    def _api(self) -> Api:
        """The audience must name an API (sheet §3.5; there is no userinfo audience for M2M)."""
        ctx, params = self.ctx, self.params
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
        return target.api

    def _client_grant(self, api: Api) -> ClientGrant:
        client = self.client
        grant = find_grant(self.ctx, client, api, allow_default=False)
        if grant is None or api.subject_type_authorization.client.policy == "deny_all":
            raise errors.client_grant_missing(
                client.client_id,
                api.identifier,
                self.ctx.tenant.faults.client_grant_error_wording,
                reason=f"client grant missing: client {client.client_id!r} has no grant for audience {api.identifier!r}",
            )
        return grant

    def _scopes(self, api: Api, grant: ClientGrant) -> list[str]:
        """The requested scopes, all within the client grant; none requested: all of the grant's."""
        raw_scope = self.params.get("scope")
        if not (raw_scope and raw_scope.strip()):
            return list(grant.scope)
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
        return requested


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
    state, limits = ctx.state, ctx.tenant.emulator.state
    ctx.remember(state.refresh_tokens, rec.token, rec, limits.refresh_tokens)
    issued = state.refresh_by_grant.setdefault((user.user_id, client.client_id), [])
    issued.append(rec.token)
    _revoke_beyond(ctx, issued, limits.refresh_tokens_per_user_per_app, now)
    return rec


def _revoke_beyond(ctx: Ctx, issued: list[str], limit: int, now: float) -> None:
    """DOC refresh-tokens.mdx: a user holds at most `limit` (200) active refresh tokens per application; one more
    revokes the oldest. `issued` (this user's and client's tokens, oldest first) drops those no longer kept."""
    records = [r for r in (ctx.state.refresh_tokens.get(t) for t in issued) if r is not None]
    issued[:] = [r.token for r in records]
    active = [r for r in records if not r.revoked and r.rotated_at is None
              and (r.expires_at is None or now < r.expires_at)]
    for oldest in active[: max(0, len(active) - limit)]:
        oldest.revoked = True
        ctx.note(f"refresh token limit: {limit} active per user and application "
                 "(emulator.state.refresh_tokens_per_user_per_app); the oldest was revoked")


def user_token_response(
    ctx: Ctx,
    client: Client,
    user: User,
    api: Api | None,
    scopes: list[str],
    permissions: list[str] | None,
    *,
    nonce: str | None = None,
    auth_time: float | None = None,
    gty: str | None = None,
    act: dict[str, Any] | None = None,
    refresh: str | None = None,
    custom: Outcome | None = None,
) -> dict[str, Any]:
    """Access token (JWT for an API, opaque for userinfo) + ID token if ``openid`` was granted; ``custom``: what
    the post-login Actions added (``triggers.post_login``).

    Returns the pieces: ``access_token``, ``id_token`` (maybe), ``refresh_token`` (if given) and ``expires_in``.
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
            custom=custom.access_claims if custom else None,
        )
    else:
        at = mint_opaque_token(ctx, sub=user.user_id, client=client, scopes=scopes)
    pieces: dict[str, Any] = {"access_token": at.token, "expires_in": at.expires_in}
    if openid and ctx.security_mode(client) != "strict":
        idt = mint_id_token(
            ctx, client=client, user=user, scopes=scopes, nonce=nonce, auth_time=auth_time, act=act,
            custom=custom.id_claims if custom else None,
        )  # fmt: skip
        pieces["id_token"] = idt.token
        if custom:
            remember_userinfo_claims(ctx, at.token, custom, scopes, at.claims.get("exp"))
    if refresh:
        pieces["refresh_token"] = refresh
    return pieces


def _invalid_code(reason: str) -> errors.OAuthError:
    return errors.OAuthError("invalid_grant", errors.INVALID_AUTHORIZATION_CODE, status=403, reason=reason)


class AuthorizationCodeGrant(Grant):
    """Exchange a single-use code (+ PKCE verifier via the hook) for tokens."""

    GRANT_TYPE = "authorization_code"

    def respond(self) -> dict[str, Any]:
        self.check_grant_type()
        rec = self._code()
        rec.used = True
        self.run_hooks("after_validate_code", code=rec, params=self.params)
        self._check_resource(rec)
        user, api = self._subject(rec)
        _, permissions = user_scopes(self.ctx, self.client, user, api, rec.scopes, None)
        login: Outcome = rec.actions  # decided at login (login.finish), as Auth0 runs post-login there
        pieces = user_token_response(
            self.ctx,
            self.client,
            user,
            api,
            login.scopes,
            permissions,
            nonce=rec.nonce,
            auth_time=rec.auth_time,
            refresh=self._refresh_token(rec, user, api),
            custom=login,
        )
        return _ordered(pieces, login.scopes)

    def _code(self) -> AuthCode:
        """RFC 6749 §4.1.3: the code exists, is unused, unexpired, was issued to this client for this callback."""
        ctx, client, params = self.ctx, self.client, self.params
        code_value = params.get("code")
        if not code_value:
            raise errors.missing_parameter("code", reason="authorization_code grant without code")
        rec = ctx.state.codes.get(code_value)
        if rec is None:
            raise _invalid_code("unknown authorization code")
        if rec.used:
            if rec.refresh_family:
                ctx.state.revoke_family(rec.refresh_family)
            raise _invalid_code(
                "authorization code already used (codes are single-use); its refresh tokens were revoked"
            )
        if rec.client_id != client.client_id:
            raise _invalid_code(f"code was issued to client {rec.client_id!r}, not {client.client_id!r}")
        lifetime = ctx.tenant.emulator.authorization_code_lifetime
        if ctx.now() > rec.created_at + lifetime:
            raise _invalid_code(
                f"authorization code expired (emulator.authorization_code_lifetime {lifetime}s)"
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
        return rec

    def _check_resource(self, rec: AuthCode) -> None:
        """A ``resource`` at the token endpoint differing from ``/authorize`` (``emulator.token_resource_mismatch``)."""
        resource = self.params.get("resource")
        if not (resource and rec.resource and resource != rec.resource):
            return
        if self.ctx.tenant.emulator.token_resource_mismatch == "reject":
            raise errors.OAuthError(
                "invalid_request",
                errors.INVALID_PARAMETER.format(name="resource"),
                status=400,
                reason=f"resource {resource!r} differs from {rec.resource!r} sent to /authorize",
            )
        self.ctx.note(
            f"resource {resource!r} differs from /authorize ({rec.resource!r}); the code's audience is kept"
        )

    def _subject(self, rec: AuthCode) -> tuple[User, Api | None]:
        """The code's user and API, both still there."""
        user = self.ctx.tenant.user_by_id(rec.user_id)
        if user is None:
            raise _invalid_code(f"user {rec.user_id!r} no longer exists")
        api = self.ctx.tenant.api_by_identifier(rec.api_identifier)
        if rec.api_identifier is not None and api is None:
            raise _invalid_code(f"API {rec.api_identifier!r} was removed")
        return user, api

    def _refresh_token(self, rec: AuthCode, user: User, api: Api | None) -> str | None:
        """A refresh token with ``offline_access`` when the client may refresh (sheet §6)."""
        if "offline_access" not in rec.scopes:
            return None
        if "refresh_token" not in self.client.grant_types:
            self.ctx.note(
                "offline_access granted but client grant_types lack 'refresh_token': no refresh_token"
            )
            return None
        rt = issue_refresh_token(self.ctx, self.client, user, api, rec.scopes)
        rec.refresh_family = rt.family
        return rt.token


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

    def respond(self) -> dict[str, Any]:
        ctx, client = self.ctx, self.client
        self.check_grant_type()
        now = ctx.now()
        rec = self._record(now)
        user = self._user(rec)
        new_rt = self._rotate(rec, user, now) if rec.rotating else None
        rec.last_used_at = now
        api = ctx.tenant.api_by_identifier(rec.api_identifier)
        if rec.api_identifier is not None and api is None:
            raise errors.invalid_refresh_token(reason=f"API {rec.api_identifier!r} was removed")
        scopes, permissions = user_scopes(ctx, client, user, api, self._narrowed(rec), None)
        login = post_login(ctx, Login(client, user, api, scopes, "oauth2-refresh-token", self.params))
        scopes = login.scopes
        pieces = user_token_response(
            ctx, client, user, api, scopes, permissions, gty="refresh_token", refresh=new_rt, custom=login
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

    def _record(self, now: float) -> RefreshRecord:
        """RFC 6749 §6: a live refresh token of this client (revocation, absolute and idle lifetimes)."""
        value = self.params.get("refresh_token")
        if not value:
            raise errors.missing_parameter(
                "refresh_token", reason="refresh_token grant without refresh_token"
            )
        rec = self.ctx.state.refresh_tokens.get(value)
        if rec is None:
            raise errors.invalid_refresh_token(reason="unknown refresh token")
        if rec.client_id != self.client.client_id:
            raise errors.invalid_refresh_token(reason=f"refresh token belongs to client {rec.client_id!r}")
        if rec.revoked:
            raise errors.invalid_refresh_token(
                reason="refresh token revoked (revocation, or its family was revoked after reuse)"
            )
        if rec.expires_at is not None and now >= rec.expires_at:
            raise errors.invalid_refresh_token(reason="refresh token past its absolute lifetime")
        settings = self.client.refresh_token
        if now - rec.last_used_at > settings.idle_token_lifetime and settings.expiration_type == "expiring":
            raise errors.invalid_refresh_token(reason="refresh token idle lifetime exceeded")
        return rec

    def _user(self, rec: RefreshRecord) -> User:
        user = self.ctx.tenant.user_by_id(rec.user_id)
        if user is None or rec.user_id in self.ctx.tenant.faults.refresh_user_deleted:
            raise errors.OAuthError(
                "invalid_grant",
                errors.REFRESH_USER_GONE,
                status=403,
                reason=f"user {rec.user_id!r} was deleted",
            )
        if user.blocked:
            raise errors.invalid_refresh_token(reason=f"user {rec.user_id!r} is blocked")
        return user

    def _rotate(self, rec: RefreshRecord, user: User, now: float) -> str:
        """Rotation: a successor in the same family; reusing a rotated token revokes the family (F-15)."""
        ctx = self.ctx
        if rec.rotated_at is not None:
            leeway = self.client.refresh_token.leeway
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
        api = ctx.tenant.api_by_identifier(rec.api_identifier)
        successor = issue_refresh_token(ctx, self.client, user, api, rec.scopes, family=rec.family)
        rec.successor = successor.token
        return successor.token

    def _narrowed(self, rec: RefreshRecord) -> list[str]:
        """RFC 6749 §6: ``scope`` may narrow the original grant, never widen it."""
        requested = split_scope(self.params.get("scope", "")) or rec.scopes
        narrowed = [s for s in rec.scopes if s in requested]
        if len(narrowed) < len(requested):
            self.ctx.note(
                f"refresh scope can narrow but not widen: {sorted(set(requested) - set(rec.scopes))} dropped"
            )
        return narrowed
