"""Header and query-parameter propagation between the client and a target (DOC gateway-headers, sheet §7.4).

Per target, `metadataConfiguration` allowlists request headers (client -> target), response headers (target ->
client) and query parameters (the gateway URL's -> the target's); names compare case-insensitively. Headers a
REQUEST interceptor returns take precedence over the client's, and its `Authorization` is forwarded even though
no allowlist may name it ("it will be forwarded to the target when provided by an interceptor lambda"), over
the credential provider's. Lambda and Smithy targets take no HTTP headers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from fake_gateway.settings import TargetSpec

__all__ = ["CallContext", "outgoing", "returned"]


@dataclass
class CallContext:
    """What a tool call knows about the request that caused it, and what it learns from the target."""

    request_id: str = ""
    rpc_id: Any = None
    subject: str | None = None
    subject_token: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # the client's request headers (any case)
    query: Mapping[str, str] = field(default_factory=dict)  # the gateway URL's query parameters
    injected: Mapping[str, str] = field(default_factory=dict)  # a REQUEST interceptor's headers
    response_headers: dict[str, str] = field(default_factory=dict)  # propagated back to the client


def _pick(source: Mapping[str, str], allowed: tuple[str, ...]) -> dict[str, str]:
    wanted = {name.lower(): name for name in allowed}
    return {wanted[k.lower()]: v for k, v in source.items() if k.lower() in wanted}


def outgoing(spec: TargetSpec, ctx: CallContext | None, credential: Mapping[str, str],
             query: Mapping[str, str]) -> tuple[dict[str, str], dict[str, str]]:
    """(headers, query) of a request to `spec`: credential, allowlisted client values, interceptor values."""
    headers = dict(credential)
    params = dict(query)
    if ctx is None:
        return headers, params
    allowed = spec.metadata.request_headers
    headers.update(_pick(ctx.headers, allowed))
    injected = _pick(ctx.injected, allowed)
    for name, value in ctx.injected.items():
        if name.lower() == "authorization":
            for existing in [k for k in headers if k.lower() == "authorization"]:
                del headers[existing]
            injected["Authorization"] = value
    headers.update(injected)
    params.update(_pick(ctx.query, spec.metadata.query_parameters))
    return headers, params


def returned(spec: TargetSpec, ctx: CallContext | None, headers: Mapping[str, str]) -> None:
    """Record the target response headers `spec` allowlists for the client."""
    if ctx is not None:
        ctx.response_headers.update(_pick(headers, spec.metadata.response_headers))
