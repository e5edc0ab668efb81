"""RFC 8693 token exchange as Auth0 does it: Custom Token Exchange (DOC custom-token-exchange, 2025-2026).

A request names a ``subject_token_type``; the tenant maps it to a profile whose Action validates the
subject token, sets the user and optionally an actor (``act`` claim, RFC 8693 §4.1, ``setActor``).
authstage cannot run Actions, so each profile carries a declarative ``action`` (tenant.TokenExchangeAction).

Facts: reserved namespaces (urn:ietf, urn:auth0, auth0.com, okta.com ...) cannot be profile types (DOC), so a
gateway sending the standard ``urn:ietf:params:oauth:token-type:access_token`` finds no profile; a custom
type together with ``requested_token_type`` gets 400 "Invalid subject_token_type and requested_token_type
combination." (COMMUNITY agentgateway/agentgateway#2891).
"""

from __future__ import annotations

import base64
import json
from typing import Any

from fake_idp import errors
from fake_idp.audience import resolve_target, user_flow_policy, user_scopes
from fake_idp.grants import Grant, issue_refresh_token, split_scope, user_token_response
from fake_idp.tenant import TOKEN_EXCHANGE, TokenExchangeProfile
from fake_idp.tokens import verify_own_jwt

__all__ = ["TokenExchangeGrant"]


def _unverified_claims(token: str) -> dict[str, Any] | None:
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        data = json.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
    return data if isinstance(data, dict) else None


class TokenExchangeGrant(Grant):
    GRANT_TYPE = TOKEN_EXCHANGE

    def _bad(self, detail: str, *, reason: str | None = None) -> errors.OAuthError:
        return errors.OAuthError(
            "invalid_request",
            errors.INVALID_SUBJECT_TOKEN.format(detail=detail),
            status=400,
            reason=reason or detail,
        )

    async def respond(self) -> dict[str, Any]:
        ctx, client, params = self.ctx, self.client, self.params
        self.check_grant_type()
        if not client.confidential:
            raise errors.unauthorized_client_auth(
                ctx.tenant.emulator.client_auth_error,
                reason="Custom Token Exchange needs an authenticated (confidential) client",
            )
        for name in ("subject_token", "subject_token_type"):
            if not params.get(name):
                raise errors.missing_parameter(name, reason=f"token exchange without {name}")
        stype = params["subject_token_type"]
        profile: TokenExchangeProfile | None = next(
            (p for p in ctx.tenant.token_exchange_profiles if p.subject_token_type == stype), None
        )
        if params.get("requested_token_type"):
            raise errors.OAuthError(
                "invalid_request",
                errors.TOKEN_EXCHANGE_COMBINATION,
                reason=f"requested_token_type {params['requested_token_type']!r} is not accepted with "
                f"subject_token_type {stype!r} (agentgateway#2891: send no requested_token_type to Auth0 CTE)",
            )
        if profile is None:
            known = [p.subject_token_type for p in ctx.tenant.token_exchange_profiles]
            raise errors.OAuthError(
                "invalid_request",
                errors.TOKEN_EXCHANGE_COMBINATION,
                reason=f"no Custom Token Exchange profile for subject_token_type {stype!r} (profiles: {known}); "
                "reserved namespaces like urn:ietf:params:oauth:token-type:* can never be profiles",
            )
        action = profile.action
        subject = params["subject_token"]
        if action.subject_token == "tenant_access_token":
            claims, problem = verify_own_jwt(ctx, subject)
            if claims is None:
                raise self._bad(
                    problem, reason=f"profile {profile.name!r}: subject token rejected: {problem}"
                )
        else:
            claims = _unverified_claims(subject)
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
        sub = claims.get("sub")
        user = ctx.tenant.user_by_id(sub) if isinstance(sub, str) else None
        if user is None:
            raise self._bad(
                "unknown user",
                reason=f"subject token sub {sub!r} is not a user of this tenant (an M2M token cannot be exchanged for a user)",
            )
        target = resolve_target(ctx, audience=params.get("audience"), resource=params.get("resource"))
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
        grant = None
        if api is not None:
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
        requested = split_scope(params.get("scope"))
        if not requested and api is not None:
            requested = split_scope(claims.get("scope") if isinstance(claims.get("scope"), str) else "")
            requested = [s for s in requested if s in api.scope_values] or list(api.scope_values)
        scopes, permissions = user_scopes(ctx, client, user, api, requested, grant)
        act: dict[str, Any] | None = None
        if action.set_actor == "client":
            act = {"sub": client.client_id}
            prior = claims.get("act")
            if isinstance(prior, dict):
                act["act"] = prior
        refresh = None
        if "offline_access" in scopes and "refresh_token" in client.grant_types:
            refresh = issue_refresh_token(ctx, client, user, api, scopes).token
        pieces, _ = user_token_response(
            ctx,
            client=client,
            user=user,
            api=api,
            scopes=scopes,
            permissions=permissions,
            act=act,
            refresh=refresh,
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
