"""Tags: TagResource, UntagResource, ListTagsForResource (API reference; any resource ARN this account created or
the stack's own gateway)."""

from __future__ import annotations

from typing import Any

from fake_gateway.control_api.api import Call, Handler
from fake_gateway.control_api.errors import not_found

__all__ = ["OPERATIONS"]


def _known(call: Call, arn: str) -> bool:
    account = call.account
    arns = {h.arn for h in call.api.handles(account)}
    arns |= {p.arn for p in account.providers()} | {e.arn for e in account.engines.values()}
    arns |= {i.arn for i in account.identities.values()}
    arns |= {p.arn for e in account.engines.values() for p in e.policies.values()}
    return arn in arns or arn in account.tags


def _arn(call: Call) -> str:
    arn = str(call.params["resourceArn"])
    if not _known(call, arn):
        raise not_found("Resource", arn)
    return arn


async def tag(call: Call) -> dict[str, Any]:
    arn = _arn(call)
    call.account.tags.setdefault(arn, {}).update(call.params.get("tags") or {})
    return {}


async def untag(call: Call) -> dict[str, Any]:
    tags = call.account.tags.get(_arn(call), {})
    for key in call.params.get("tagKeys") or []:
        tags.pop(key, None)
    return {}


async def list_tags(call: Call) -> dict[str, Any]:
    return {"tags": dict(call.account.tags.get(_arn(call), {}))}


OPERATIONS: dict[str, Handler] = {
    "TagResource": tag,
    "UntagResource": untag,
    "ListTagsForResource": list_tags,
}
