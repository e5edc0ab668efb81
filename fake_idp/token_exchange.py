"""RFC 8693 token exchange as Auth0 does it: Custom Token Exchange (DOC custom-token-exchange, 2025-2026).

A request names a ``subject_token_type``; the tenant maps it to a profile whose Action validates the
subject token, sets the user and optionally an actor (``act`` claim, RFC 8693 §4.1, ``setActor``). A profile
either names a custom-token-exchange Action of the tenant (``action_id``, run by ``triggers.py``) or carries the
built-in declarative ``action`` (tenant.TokenExchangeAction). The post-login Actions then run for that user
(DOC custom-token-exchange-trigger.mdx: ``event.transaction.protocol`` is ``oauth2-token-exchange``).

Facts: reserved namespaces (urn:ietf, urn:auth0, auth0.com, okta.com ...) cannot be profile types (DOC), so a
gateway sending the standard ``urn:ietf:params:oauth:token-type:access_token`` finds no profile; a custom
type together with ``requested_token_type`` gets 400 "Invalid subject_token_type and requested_token_type
combination." (COMMUNITY agentgateway/agentgateway#2891).
"""

from __future__ import annotations

from typing import Any

from authstage_kit.redact import decode_unverified
from fake_idp import errors
from fake_idp.audience import resolve_target, split_scope, user_flow_policy, user_scopes
from fake_idp.grants import Grant, issue_refresh_token, user_token_response
from fake_idp.id_jag import ID_JAG, issue_id_jag
from fake_idp.tenant import TOKEN_EXCHANGE, Api, ClientGrant, TokenExchangeProfile, User
from fake_idp.tokens import verify_own_jwt
from fake_idp.triggers import Login, custom_token_exchange, post_login

__all__ = ["TokenExchangeGrant"]


class TokenExchangeGrant(Grant):
    GRANT_TYPE = TOKEN_EXCHANGE

    def respond(self) -> dict[str, Any]:
        ctx, client = self.ctx, self.client
        if self.params.get("requested_token_type") == ID_JAG and ctx.tenant.profile.cross_app_access.issue_id_jag:
            return issue_id_jag(self)  # this tenant as the enterprise IdP of cross-app access (id_jag.py)
        self.check_grant_type()
        profile = self._profile()
        if profile.action_id:
            api, grant = self._api()
            cte = custom_token_exchange(ctx, profile.action_id, client=client, api=api, params=self.params)
            claims: dict[str, Any] = {}
            user, act = cte.user, cte.actor
            assert user is not None, "custom_token_exchange raises when no user was set"
        else:
            claims = self._subject_claims(profile)
            user = self._user(profile, claims)
            api, grant = self._api()
            act = self._actor(profile, claims)
        scopes, permissions = user_scopes(ctx, client, user, api, self._requested(claims, api), grant)
        transaction = {"subject_token_type": profile.subject_token_type}
        login = post_login(ctx, Login(client, user, api, scopes, "oauth2-token-exchange", self.params, transaction))
        scopes = login.scopes
        refresh = None
        # DOC (Actions types, setActor): "Refresh tokens are not issued when an actor is set for the transaction."
        no_refresh = profile.action_id is not None and act is not None
        if "offline_access" in scopes and "refresh_token" in client.grant_types and not no_refresh:
            refresh = issue_refresh_token(ctx, client, user, api, scopes).token
        pieces = user_token_response(
            ctx, client, user, api, scopes, permissions, act=act, refresh=refresh, custom=login
        )
        body: dict[str, Any] = {"access_token": pieces["access_token"]}
        for key in ("id_token", "refresh_token"):
            if key in pieces:
                body[key] = pieces[key]
        # RFC 8693 §2.2.1: issued_token_type is REQUIRED (Auth0's CTE response shape is not recorded).
        body["issued_token_type"] = "urn:ietf:params:oauth:token-type:access_token"
        if scopes:
            body["scope"] = " ".join(scopes)
        body["expires_in"] = pieces["expires_in"]
        body["token_type"] = "Bearer"
        return body

    def _bad(self, detail: str, *, reason: str | None = None) -> errors.OAuthError:
        return errors.OAuthError(
            "invalid_request",
            errors.INVALID_SUBJECT_TOKEN.format(detail=detail),
            status=400,
            reason=reason or detail,
        )

    def _profile(self) -> TokenExchangeProfile:
        """The Custom Token Exchange profile for ``subject_token_type`` (RFC 8693 §2.1 parameters)."""
        ctx, params = self.ctx, self.params
        if not self.client.confidential:
            raise errors.unauthorized_client_auth(
                ctx.tenant.emulator.client_auth_error,
                reason="Custom Token Exchange needs an authenticated (confidential) client",
            )
        for name in ("subject_token", "subject_token_type"):
            if not params.get(name):
                raise errors.missing_parameter(name, reason=f"token exchange without {name}")
        stype = params["subject_token_type"]
        if params.get("requested_token_type"):
            raise errors.OAuthError(
                "invalid_request",
                errors.TOKEN_EXCHANGE_COMBINATION,
                reason=f"requested_token_type {params['requested_token_type']!r} is not accepted with "
                f"subject_token_type {stype!r} (agentgateway#2891: send no requested_token_type to Auth0 CTE)",
            )
        profile = next((p for p in ctx.tenant.token_exchange_profiles if p.subject_token_type == stype), None)
        if profile is None:
            known = [p.subject_token_type for p in ctx.tenant.token_exchange_profiles]
            raise errors.OAuthError(
                "invalid_request",
                errors.TOKEN_EXCHANGE_COMBINATION,
                reason=f"no Custom Token Exchange profile for subject_token_type {stype!r} (profiles: {known}); "
                "reserved namespaces like urn:ietf:params:oauth:token-type:* can never be profiles",
            )
        return profile

    def _subject_claims(self, profile: TokenExchangeProfile) -> dict[str, Any]:
        """What the profile's Action makes of the subject token (verified, or trusted as-is), and its audience."""
        action = profile.action
        subject = self.params["subject_token"]
        if action.subject_token == "tenant_access_token":
            claims, problem = verify_own_jwt(self.ctx, subject)
            if claims is None:
                raise self._bad(
                    problem, reason=f"profile {profile.name!r}: subject token rejected: {problem}"
                )
        else:
            claims = (decode_unverified(subject) or {}).get("claims")
            if claims is None:
                raise self._bad("not a JWT", reason=f"profile {profile.name!r}: subject token is not a JWT")
        if action.required_subject_audience:
            aud = claims.get("aud")
            auds = aud if isinstance(aud, list) else [aud]
            if action.required_subject_audience not in auds:
                raise self._bad(
                    "audience",
                    reason=f"profile {profile.name!r} requires subject aud {action.required_subject_audience!r}; token has {aud!r}",
                )
        return claims

    def _user(self, profile: TokenExchangeProfile, claims: dict[str, Any]) -> User:
        sub = claims.get("sub")
        user = self.ctx.tenant.user_by_id(sub) if isinstance(sub, str) else None
        if user is None:
            raise self._bad(
                "unknown user",
                reason=f"subject token sub {sub!r} is not a user of this tenant (an M2M token cannot be exchanged for a user)",
            )
        return user

    def _api(self) -> tuple[Api | None, ClientGrant | None]:
        """The audience of the new token and the client grant that caps its scopes (user access policy)."""
        ctx, client = self.ctx, self.client
        target = resolve_target(
            ctx, audience=self.params.get("audience"), resource=self.params.get("resource")
        )
        for note in target.notes:
            ctx.note(note)
        if target.unknown is not None:
            raise errors.OAuthError(
                "access_denied",
                errors.SERVICE_NOT_FOUND.format(audience=target.unknown),
                status=403,
                reason="; ".join(target.notes),
            )
        api = target.api
        if api is None:
            return None, None
        allowed, grant = user_flow_policy(ctx, client, api)
        if not allowed:
            raise errors.OAuthError(
                "access_denied",
                errors.CLIENT_NOT_AUTHORIZED_FOR_RS.format(
                    client_id=client.client_id, audience=api.identifier
                ),
                status=403,
                reason=f"API {api.name!r} user access policy refuses client {client.client_id!r}",
            )
        return api, grant

    def _requested(self, claims: dict[str, Any], api: Api | None) -> list[str]:
        """``scope``; else the subject token's scopes the API defines; else all of the API's scopes."""
        requested = split_scope(self.params.get("scope"))
        if not requested and api is not None:
            scope = claims.get("scope")
            requested = split_scope(scope if isinstance(scope, str) else "")
            requested = [s for s in requested if s in api.scope_values] or list(api.scope_values)
        return requested

    def _actor(self, profile: TokenExchangeProfile, claims: dict[str, Any]) -> dict[str, Any] | None:
        """RFC 8693 §4.1 ``act``: the client, with the subject token's own actor nested (``setActor``)."""
        if profile.action.set_actor != "client":
            return None
        act: dict[str, Any] = {"sub": self.client.client_id}
        prior = claims.get("act")
        if isinstance(prior, dict):
            act["act"] = prior
        return act
