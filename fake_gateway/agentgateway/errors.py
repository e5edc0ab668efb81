"""Every exact string the agentgateway dialect sends or logs, each with its source, and the errors carrying them.

Sources are the sections of `shared/reference/agentgateway.md` (the "sheet") and the code it cites:
`AG:` = agentgateway/agentgateway@75b4e6ce (`src/` = crates/agentgateway/src/), `AG@vX:` a release tag,
`WEB:` = agentgateway/website@855a0c1a, `JWT10:` = Keats/jsonwebtoken v10.4.0. INFERRED marks our reading.

Exception tree (each error owns its status, headers and body; `app.py` renders them):

* AgwError
  x McpAuthRequired     - 401 + `www-authenticate: Bearer resource_metadata="…"`, the one MCP auth body
  x PlainError          - a `text/plain` answer: 403 `authorization failed`, era A's 403, `mcp: …` transport errors
  x JsonRpcDenial       - mcpAuthorization refusing a call: -32602 `Unknown tool: <name>` at the era's status
  x UpstreamHttpError   - an upstream's own HTTP error, passed through unchanged
"""

from __future__ import annotations

import json
from typing import Any

__all__ = [
    "AUTHORIZATION_FAILED",
    "GATEWAY_PREAMBLE",
    "MCP_AUTH_BODY",
    "TOKEN_ERRORS",
    "TRANSPORT",
    "AgwError",
    "JsonRpcDenial",
    "McpAuthRequired",
    "PlainError",
    "UpstreamHttpError",
]

# 401 body of every MCP authentication failure, byte for byte [AG:src/proxy/mod.rs#L480-L491; WEB auth0.md#L226-L229]
MCP_AUTH_BODY = b'{"error":"unauthorized","error_description":"JWT token required"}'
# Route `authorization` denial: ProxyError::AuthorizationFailed, text/plain [AG:src/proxy/mod.rs#L190, L501-L503]
AUTHORIZATION_FAILED = "authorization failed"
# The multiplexed initialize's instructions preamble [AG:src/mcp/handler.rs get_info]
GATEWAY_PREAMBLE = (
    "This server is a gateway to a set of mcp servers. It is responsible for routing requests to the correct "
    "server and aggregating the results."
)

# TokenError texts [AG:src/http/jwt.rs#L23-L42]; jsonwebtoken's ErrorKind Debug names inside `Error(...)` [JWT10].
TOKEN_ERRORS = {
    "missing": "no bearer token found",
    "header": "the token header is malformed: {detail}",
    "kid": "the token header does not specify a `kid`",
    "unknown_kid": 'token uses the unknown key "{kid}"',
    "invalid": "the token is invalid or malformed: Error({kind})",
}

# MCP transport errors: ProxyError::MCP renders `mcp: <message>` as text/plain [AG:src/proxy/mod.rs#L237, L406-L433,
# L501-L503; AG:src/mcp/mod.rs#L104-L174]. The sheet's §3.6 table lists the inner messages without the `mcp: ` the
# ProxyError Display adds (INFERRED from the code: `#[error("mcp: {0}")]`).
TRANSPORT = {
    "method": (405, "method not allowed; must be GET, POST, or DELETE"),
    "get_stream": (405, "GET event stream is not supported by any upstream"),
    "accept": (406, "client must accept both application/json and text/event-stream"),
    "accept_get": (406, "client must accept text/event-stream"),
    "content_type": (415, "client must send application/json"),
    "deserialize": (400, "fail to deserialize request body: {detail}"),
    "session_required": (400, "session header is required for non-initialize requests"),
    "session_id_required": (400, "session ID is required"),
    "unknown_session": (404, "session not found"),
    "stdio": (500, "failed to start stdio server: {detail}"),
    "send": (500, "failed to send message: {detail}"),
    "no_backends": (503, "no backends configured"),
    "route": (404, "route not found"),
    "sse_query": (422, "failed to process session_id query parameter"),
}


class AgwError(Exception):
    """An answer the gateway gives instead of forwarding; `reason` is what the request log says (never sent)."""

    status = 500
    media_type = "text/plain"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.headers: dict[str, str] = {}

    def content(self) -> bytes:
        raise NotImplementedError


class McpAuthRequired(AgwError):
    """The single MCP 401: no `error=`, `scope=` or `realm` [AG:src/mcp/auth.rs#L148-L174]."""

    status = 401
    media_type = "application/json"

    def __init__(self, reason: str, resource_metadata: str) -> None:
        super().__init__(reason)
        self.headers = {"www-authenticate": f'Bearer resource_metadata="{resource_metadata}"'}

    def content(self) -> bytes:
        return MCP_AUTH_BODY


class PlainError(AgwError):
    """A text/plain answer with agentgateway's own message."""

    def __init__(self, status: int, text: str, reason: str | None = None) -> None:
        super().__init__(reason or text)
        self.status = status
        self.text = text

    @classmethod
    def transport(cls, key: str, reason: str | None = None, **fmt: Any) -> PlainError:
        status, message = TRANSPORT[key]
        text = "mcp: " + message.format(**fmt)
        return cls(status, text, reason or text)

    def content(self) -> bytes:
        return self.text.encode()


class JsonRpcDenial(AgwError):
    """mcpAuthorization refusing a direct call: it hides that the item exists [AG:src/mcp/mod.rs#L157-L159, L205]."""

    media_type = "application/json"

    def __init__(self, status: int, rpc_id: Any, kind: str, name: str, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.rpc_id = rpc_id
        self.code = -32602
        self.message = f"Unknown {kind}: {name}"

    def content(self) -> bytes:
        body = {"jsonrpc": "2.0", "id": self.rpc_id, "error": {"code": self.code, "message": self.message}}
        return json.dumps(body, separators=(",", ":")).encode()


class UpstreamHttpError(AgwError):
    """An upstream's non-2xx answer, returned to the client as it came (UpstreamError::Http(Status))
    [AG:src/mcp/session.rs#L376-L381]."""

    def __init__(self, status: int, headers: dict[str, str], body: bytes, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.body = body
        self.media_type = headers.get("content-type", "text/plain")
        self.headers = {k: v for k, v in headers.items() if k.lower() in ("www-authenticate",)}

    def content(self) -> bytes:
        return self.body
