"""The Auth0 Management API v2 subset a setup script uses, on the running tenant (`/api/v2/...`).

https://auth0.com/docs/api/management/v2 — resource-servers, clients, client-grants, users, tenants/settings,
connections. A call needs a Management API access token: a JWT this tenant signed, `aud` = `<issuer>api/v2/`
(the audience Auth0's own clients request: `https://{domain}/api/v2/`), with the endpoint's scope (403
`insufficient_scope` naming it otherwise). Every change is a new tenant document validated by the tenant model
and installed at once (`/_authstage/config` shows it; the next `/oauth/token` sees it).
"""

from __future__ import annotations

import json
from typing import Any

from fake_idp import errors
from fake_idp.context import Ctx
from fake_idp.management import auth, resources
from fake_idp.management.errors import INVALID_JSON, PAYLOAD_VALIDATION, bad_request
from fake_idp.management.routing import ROUTES, Op
from fake_idp.wire import Outgoing

__all__ = ["api_v2"]

assert resources.__name__  # the endpoints register themselves on import


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
    path = ctx.request.path.split("/api/v2/", 1)[-1].rstrip("/")
    allowed = []
    for method, pattern, endpoint, scope in ROUTES:
        match = pattern.match(path)
        if match is None:
            continue
        allowed.append(method)
        if method != ctx.request.method:
            continue
        scopes = auth.authenticate(ctx, scope)
        return await endpoint(Op(ctx, match.groupdict().get("id") or "", _body(ctx), scopes))
    if allowed:
        raise errors.BoomError(405, errors.METHOD_NOT_ALLOWED, reason=f"{ctx.request.method} not in {allowed}")
    raise errors.BoomError(404, errors.NOT_FOUND, reason=f"/api/v2/{path}: not an emulated Management API path")
