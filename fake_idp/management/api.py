"""The Auth0 Management API v2 subset a setup script uses, on the running tenant (`/api/v2/...`).

https://auth0.com/docs/api/management/v2 — resource-servers, clients, client-grants, users, tenants/settings,
connections. A call needs a Management API access token: a JWT this tenant signed, `aud` = `<issuer>api/v2/`
(the audience Auth0's own clients request: `https://{domain}/api/v2/`), with the endpoint's scope (403
`insufficient_scope` naming it otherwise). Every change is a new tenant document validated by the tenant model
and installed at once (`/_authstage/config` shows it; the next `/oauth/token` sees it).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from pydantic import ValidationError

from fake_idp import errors
from fake_idp.context import Ctx
from fake_idp.management import auth
from fake_idp.management.errors import INVALID_JSON, PAYLOAD_VALIDATION, bad_request
from fake_idp.tenant import Tenant
from fake_idp.wire import Outgoing, empty_response, json_response

__all__ = ["Op", "api_v2", "commit", "route"]


@dataclass
class Op:
    """One Management API call: the request context, the path's `{id}`, the JSON body, the token's claims."""

    ctx: Ctx
    id: str
    body: dict[str, Any]
    claims: dict[str, Any]
    scopes: set[str]

    def query(self, name: str) -> str | None:
        return self.ctx.request.query_param(name)


Endpoint = Callable[[Op], Awaitable[Outgoing]]


class _Replaceable(Protocol):
    def replace(self, document: Any) -> Any: ...


# (method, path pattern under /api/v2/, endpoint, scope): filled by resources.py
ROUTES: list[tuple[str, re.Pattern[str], Endpoint, str]] = []


def route(method: str, path: str, scope: str) -> Callable[[Endpoint], Endpoint]:
    pattern = re.compile("^" + path.replace("{id}", "(?P<id>[^/]+)") + "$")

    def register(endpoint: Endpoint) -> Endpoint:
        ROUTES.append((method, pattern, endpoint, scope))
        return endpoint

    return register


def commit(ctx: Ctx, document: dict[str, Any], what: str) -> Tenant:
    """Install a changed tenant document; the model's problems answer 400 as Auth0's payload errors do."""
    try:
        tenant = Tenant.model_validate(document)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        path = ".".join(str(p) for p in first.get("loc", ())) or what
        raise bad_request(PAYLOAD_VALIDATION.format(detail=first.get("msg", ""), path=path),
                          reason=f"{what}: the tenant model refused it: {exc}") from None
    cast(_Replaceable, ctx.control).replace(tenant)
    return tenant


def _body(ctx: Ctx) -> dict[str, Any]:
    request = ctx.request
    if request.oversize is not None:
        raise errors.BoomError(413, "Payload content length greater than maximum allowed", reason="body too large")
    if request.method not in ("POST", "PATCH", "PUT") or not request.body.strip():
        return {}
    try:
        body = json.loads(request.body)
    except (ValueError, RecursionError):
        raise bad_request(INVALID_JSON, reason="the body is not JSON") from None
    if not isinstance(body, dict):
        raise bad_request(PAYLOAD_VALIDATION.format(detail="Expected type object", path="(body)"),
                          reason="the body is not a JSON object")
    return body


async def api_v2(ctx: Ctx) -> Outgoing:
    """Every `/api/v2/...` request: route, authenticate, authorize the scope, run the endpoint."""
    from fake_idp.management import resources  # noqa: F401 - registers ROUTES

    path = ctx.request.path.split("/api/v2/", 1)[-1].rstrip("/")
    allowed = []
    for method, pattern, endpoint, scope in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        allowed.append(method)
        if method != ctx.request.method:
            continue
        claims, scopes = auth.authenticate(ctx, scope)
        return await endpoint(Op(ctx, match.groupdict().get("id") or "", _body(ctx), claims, scopes))
    if allowed:
        raise errors.BoomError(405, errors.METHOD_NOT_ALLOWED, reason=f"{ctx.request.method} not in {allowed}")
    raise errors.BoomError(404, errors.NOT_FOUND, reason=f"/api/v2/{path}: not an emulated Management API path")


def answer(body: Any, status: int = 200) -> Outgoing:
    return json_response(body, status) if status != 204 else empty_response(204)
