"""What a call to the protected server needs, and how a refusal says so: per-method and per-tool scopes, anonymous
methods, the Bearer challenge and the RFC 9728 document.

Sources: RFC 6750 §3 (challenge parameters; §3.1 no error code when no credentials were sent), RFC 9728 §3 and §5.1
(the metadata document, `resource_metadata`), MCP authorization 2025-11-25 "Scope Selection Strategy" and
"Step-Up Authorization Flow" (a 403 `insufficient_scope` names the scopes the operation needs, which the client
requests next). Everything is read from `SampleAuth` on each request, so a config PATCH applies at once.
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.types import Message, Receive

from sample_mcp.errors import AuthFailure
from sample_mcp.settings import SampleAuth

__all__ = [
    "Call",
    "buffered",
    "challenge",
    "is_anonymous",
    "metadata_document",
    "needs_body",
    "read_call",
    "required_scopes",
]

MAX_PEEK = 1_048_576  # bytes of a body read to find its JSON-RPC method; larger bodies are not inspected


@dataclass(frozen=True)
class Call:
    """The JSON-RPC method of one POST /mcp, and the tool of a tools/call (None when not known)."""

    method: str | None = None
    tool: str | None = None


def read_call(body: bytes) -> Call:
    if not body or len(body) > MAX_PEEK:
        return Call()
    try:
        message: Any = json.loads(body)
    except (ValueError, RecursionError):
        return Call()
    if not isinstance(message, dict) or not isinstance(message.get("method"), str):
        return Call()
    params = message.get("params")
    tool = params.get("name") if isinstance(params, dict) and message["method"] == "tools/call" else None
    return Call(message["method"], tool if isinstance(tool, str) else None)


async def buffered(receive: Receive) -> tuple[bytes, Callable[[], Awaitable[Message]]]:
    """The request body up to just past `MAX_PEEK` bytes (a larger one is not inspected: `read_call` gives up on it,
    and the token is checked without the rest being read), and a `receive` that replays what was read, then passes
    the remainder through to the app behind."""
    chunks: list[bytes] = []
    size = 0
    more = False
    pending: Message | None = None
    while True:
        message = await receive()
        if message["type"] != "http.request":
            pending = message
            break
        chunks.append(message.get("body", b""))
        size += len(chunks[-1])
        more = bool(message.get("more_body", False))
        if not more or size > MAX_PEEK:
            break
    body = b"".join(chunks)
    replayed = False

    async def replay() -> Message:
        nonlocal replayed, pending
        if not replayed:
            replayed = True
            return {"type": "http.request", "body": body, "more_body": more}
        if pending is not None:
            message, pending = pending, None
            return message
        return await receive()

    return body, replay


def needs_body(auth: SampleAuth) -> bool:
    return bool(auth.method_scopes or auth.tool_scopes or auth.anonymous_methods)


def is_anonymous(auth: SampleAuth, call: Call) -> bool:
    return call.method is not None and any(fnmatch.fnmatchcase(call.method, p) for p in auth.anonymous_methods)


def required_scopes(auth: SampleAuth, call: Call) -> tuple[str, ...]:
    """`scopes`, then the method's, then the tool's, each once, in that order."""
    wanted = list(auth.scopes)
    if call.method is not None:
        wanted += auth.method_scopes.get(call.method, [])
    if call.tool is not None:
        wanted += auth.tool_scopes.get(call.tool, [])
    return tuple(dict.fromkeys(wanted))


def challenge(failure: AuthFailure, auth: SampleAuth, metadata_url: str | None) -> str:
    """RFC 6750 §3 challenge: error (omitted when no credentials were sent, §3.1), scope, resource_metadata."""
    params = []
    if failure.error:
        params.append(f'error="{failure.error}"')
        params.append(f'error_description="{failure.description}"')
    if failure.scopes and (failure.status == 403 or auth.challenge_scope):
        params.append(f'scope="{" ".join(failure.scopes)}"')
    if metadata_url is not None and auth.challenge_resource_metadata:
        params.append(f'resource_metadata="{metadata_url}"')
    return "Bearer " + ", ".join(params) if params else "Bearer"


def metadata_document(auth: SampleAuth, name: str) -> dict[str, Any]:
    """The RFC 9728 document (its `resource` overridable for the resource-mismatch trap)."""
    document: dict[str, Any] = {"resource": auth.resource or auth.audience, "authorization_servers": [auth.issuer]}
    if auth.prm_scopes_supported != "omit":
        scopes = auth.scopes if auth.prm_scopes_supported == "scopes" else auth.prm_scopes_supported
        document["scopes_supported"] = list(scopes)
    document["bearer_methods_supported"] = ["header"]
    document["resource_name"] = name
    return document
