"""The ``event`` object each Actions trigger receives, in Auth0's shape (DOC explore-triggers/*-event-object.mdx).

Built from the tenant (client, user, API, connection) and the token request. What authstage cannot know is
left out, as Auth0 leaves optional members out (``geoip`` is empty: there is no GeoIP database on loopback).
``event.user.app_metadata``/``user_metadata`` include what earlier transactions' Actions set
(``api.user.setAppMetadata``), as Auth0 persists those.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from fake_idp.actions import Action
from fake_idp.context import Ctx
from fake_idp.tenant import Api, Client, User

__all__ = [
    "Login",
    "credentials_exchange_event",
    "post_login_event",
    "token_exchange_event",
    "user_metadata",
    "with_secrets",
]

# Never handed to an Action in event.request.body (they are credentials, not request data).
_BODY_SECRETS = frozenset({"client_secret", "client_assertion", "code_verifier", "password"})


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def _request(ctx: Ctx, params: dict[str, str] | None, *, query: bool = False) -> dict[str, Any]:
    req = ctx.request
    forwarded = req.header("x-forwarded-for").split(",")[0].strip()
    out: dict[str, Any] = {
        "body": {k: v for k, v in (params or {}).items() if k not in _BODY_SECRETS},
        "geoip": {},
        "hostname": (req.host or "").split(":")[0] or None,
        "ip": forwarded or "127.0.0.1",
        "method": req.method,
    }
    if query:
        out["query"] = dict(req.query)
    language = req.header("accept-language").split(",")[0].strip()
    if language:
        out["language"] = language
    if req.header("user-agent"):
        out["user_agent"] = req.header("user-agent")
    return {k: v for k, v in out.items() if v is not None}


def _common(ctx: Ctx, client: Client, api: Api | None) -> dict[str, Any]:
    event: dict[str, Any] = {
        "client": {
            "client_id": client.client_id,
            "metadata": dict(client.client_metadata),
            "name": client.name,
        },
        "tenant": {"id": ctx.tenant.name},
    }
    if api is not None:
        event["resource_server"] = {"identifier": api.identifier}
    return event


def user_metadata(ctx: Ctx, user: User) -> tuple[dict[str, Any], dict[str, Any]]:
    """The user's app_metadata and user_metadata, with the updates Actions made since the tenant was loaded."""
    updates = ctx.state.actions.metadata.get(user.user_id, {})
    app = {**copy.deepcopy(user.app_metadata), **updates.get("app_metadata", {})}
    usr = {**copy.deepcopy(user.user_metadata), **updates.get("user_metadata", {})}
    return app, usr


def _user(ctx: Ctx, user: User) -> dict[str, Any]:
    app, usr = user_metadata(ctx, user)
    provider, _, local_id = user.user_id.partition("|")
    out = {
        "app_metadata": app,
        "created_at": user.updated_at,
        "email": user.email,
        "email_verified": user.email_verified,
        "identities": [
            {"connection": user.connection, "isSocial": False, "provider": provider, "user_id": local_id or provider}
        ],
        "name": user.name or user.email,
        "nickname": user.nickname or user.email.split("@")[0],
        "picture": user.picture,
        "updated_at": user.updated_at,
        "user_id": user.user_id,
        "user_metadata": usr,
    }
    return {k: v for k, v in out.items() if v is not None}


@dataclass
class Login:
    """One login the post-login trigger runs for. ``protocol`` (DOC event.transaction.protocol):
    ``oidc-basic-profile`` (code), ``oauth2-refresh-token``, ``oauth2-token-exchange``."""

    client: Client
    user: User
    api: Api | None
    scopes: list[str]
    protocol: str
    params: dict[str, str] | None = None
    transaction: dict[str, Any] | None = None


def post_login_event(ctx: Ctx, login: Login) -> dict[str, Any]:
    """DOC post-login-event-object.mdx."""
    now = ctx.now()
    user, scopes, protocol = login.user, login.scopes, login.protocol
    logins = ctx.state.actions.logins.get(user.user_id, 0) + (0 if protocol == "oauth2-refresh-token" else 1)
    event = _common(ctx, login.client, login.api)
    event.update(
        {
            "authentication": {"methods": [{"name": "pwd", "timestamp": _iso(now)}]},
            "authorization": {"roles": list(user.roles)},
            "connection": {
                "id": "con_" + user.connection.replace("-", "")[:16],
                "metadata": {},
                "name": user.connection,
                "strategy": "auth0",
            },
            "request": _request(ctx, login.params, query=True),
            "stats": {"logins_count": logins},
            "transaction": {
                "metadata": {},
                "protocol": protocol,
                "requested_scopes": list(scopes),
                **(login.transaction or {}),
            },
            "user": _user(ctx, user),
        }
    )
    return event


def credentials_exchange_event(
    ctx: Ctx, *, client: Client, api: Api, scopes: list[str], params: dict[str, str]
) -> dict[str, Any]:
    """DOC credentials-exchange-event-object.mdx."""
    event = _common(ctx, client, api)
    requested = params.get("scope", "").split()
    event.update(
        {
            "accessToken": {"customClaims": {}, "scope": list(scopes)},
            "request": _request(ctx, params),
            "transaction": {"requested_scopes": requested},
        }
    )
    return event


def token_exchange_event(
    ctx: Ctx, *, client: Client, api: Api | None, params: dict[str, str]
) -> dict[str, Any]:
    """DOC custom-token-exchange-event-object.mdx."""
    event = _common(ctx, client, api)
    transaction = {
        "requested_scopes": params.get("scope", "").split(),
        "requested_token_type": params.get("requested_token_type")
        or "urn:ietf:params:oauth:token-type:access_token",
        "subject_token": params.get("subject_token", ""),
        "subject_token_type": params.get("subject_token_type", ""),
    }
    for name in ("actor_token", "actor_token_type"):
        if params.get(name):
            transaction[name] = params[name]
    event.update({"request": _request(ctx, params), "transaction": transaction})
    return event


def with_secrets(event: dict[str, Any], action: Action) -> dict[str, Any]:
    """The event one Action sees: its own ``event.secrets`` (DOC: "Secret values securely associated with this
    Action")."""
    return {**event, "secrets": {s.name: s.value for s in action.secrets}}
