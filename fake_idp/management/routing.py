"""The Management API's route table and what every endpoint shares: the call (`Op`), `commit`, `answer`.

Endpoints register themselves with :func:`route` (fake_idp/management/resources.py); `api.py` dispatches.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Protocol, cast

from pydantic import ValidationError

from fake_idp.context import Ctx
from fake_idp.management.errors import PAYLOAD_VALIDATION, bad_request
from fake_idp.tenant import Tenant
from fake_idp.wire import Outgoing, empty_response, json_response

__all__ = ["ROUTES", "Op", "answer", "commit", "route"]


@dataclass
class Op:
    """One Management API call: its context, the path's `{id}`, the JSON body and the token's scopes."""

    ctx: Ctx
    id: str
    body: dict[str, Any]
    scopes: set[str]

    def query(self, name: str) -> str | None:
        return self.ctx.request.query_param(name)


Endpoint = Callable[[Op], Awaitable[Outgoing]]


class _Replaceable(Protocol):
    def replace(self, document: Any) -> Any: ...


# (method, path pattern under /api/v2/, endpoint, scope), in registration order
ROUTES: list[tuple[str, Any, Endpoint, str]] = []


def route(method: str, path: str, scope: str) -> Callable[[Endpoint], Endpoint]:
    import re

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


def answer(body: Any, status: int = 200) -> Outgoing:
    return json_response(body, status) if status != 204 else empty_response(204)
