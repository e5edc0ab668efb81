"""The MCP endpoint of an MCP backend: streamable HTTP on every path, legacy SSE on `/sse`
[AG:src/mcp/router.rs#L162-L203, streamablehttp.rs, sse.rs; sheet §2.1, §3.6].

Streamable HTTP (stateful by default): a POST must accept both `application/json` and `text/event-stream` (406)
and send `application/json` (415); `initialize` without `mcp-session-id` opens a session (its targets connected,
a stdio target spawned) and answers with the session header; any other request needs the header (400) of a live
session (404). Answers are SSE (`event: message`), notifications 202. DELETE ends a session (202). A GET stream
is refused with 405 `GET event stream is not supported by any upstream` (INFERRED simplification: real
agentgateway opens one when its upstreams offer it). `statefulMode: stateless`: each POST connects, initializes
the targets itself, relays and disconnects; GET/DELETE are 405. Errors are `text/plain` `mcp: <message>`.

Legacy SSE: `GET /sse` opens a session and sends `event: endpoint` with `/sse?sessionId=<id>`; messages are POSTed
there (202) and answered on the stream.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass, field
from typing import Any

from authstage_kit import ids
from fake_gateway.agentgateway.config import McpBackendSpec, RouteSpec
from fake_gateway.agentgateway.errors import AgwError, PlainError
from fake_gateway.agentgateway.relay import CallContext, Relay
from fake_gateway.agentgateway.upstream import UpstreamFailure, connect_target
from fake_gateway.mcp_endpoint import Outgoing

__all__ = ["McpFront", "McpRequest", "Reply"]

SYNTHETIC_INITIALIZE = {"protocolVersion": "2025-06-18", "capabilities": {},
                        "clientInfo": {"name": "agentgateway", "version": "stateless"}}


@dataclass
class McpRequest:
    method: str
    path: str
    headers: dict[str, str]  # lower-case names
    query: dict[str, str]
    body: bytes
    context: CallContext
    upstream_headers: dict[str, str] = field(default_factory=dict)  # backendAuth passthrough


# The gateway's one response shape (shared with the AgentCore dialect's MCP endpoint).
Reply = Outgoing


@dataclass
class _Session:
    relay: Relay
    events: asyncio.Queue[bytes | None] | None = None  # legacy SSE: the open stream


def _event(message: dict[str, Any], name: str = "message") -> bytes:
    return f"event: {name}\ndata: ".encode() + json.dumps(message, separators=(",", ":")).encode() + b"\n\n"


class McpFront:
    def __init__(self, *, timeout: Callable[[], float], server_version: Callable[[], str]) -> None:
        self.timeout = timeout
        self.server_version = server_version
        self.sessions: dict[str, _Session] = {}
        self.spawned = 0  # upstream connections opened (stdio processes and others)
        self._tasks: set[asyncio.Task[None]] = set()  # legacy SSE answers in flight

    async def close_all(self) -> None:
        sessions, self.sessions = self.sessions, {}
        for session in sessions.values():
            if session.events is not None:
                session.events.put_nowait(None)
            await session.relay.close()

    async def _relay(self, backend: McpBackendSpec, upstream_headers: dict[str, str]) -> Relay:
        async def connect(spec: Any) -> Any:
            return await connect_target(spec, self.timeout(), lambda: upstream_headers)

        self.spawned += len(backend.targets)
        results = await asyncio.gather(*(connect(t) for t in backend.targets), return_exceptions=True)
        upstreams = {}
        failures = []
        for spec, result in zip(backend.targets, results, strict=True):
            if isinstance(result, BaseException):
                failures.append(result.reason if isinstance(result, UpstreamFailure) else str(result))
            else:
                upstreams[spec.name] = result
        if failures and (backend.failure_mode == "failClosed" or not upstreams):
            await asyncio.gather(*(u.close() for u in upstreams.values()), return_exceptions=True)
            reason = failures[0]
            if reason.startswith("failed to start stdio server: "):
                raise PlainError(500, f"mcp: {reason}")
            raise PlainError.transport("send", reason, detail=reason)
        return Relay(backend, upstreams, self.server_version())

    # --- streamable HTTP

    async def handle(self, route: RouteSpec, req: McpRequest) -> Reply:
        backend = route.backend
        assert backend is not None
        if (req.path == "/sse" and req.method == "GET") or (req.path == "/sse" and "sessionId" in req.query):
            return await self._legacy(backend, req)
        if req.method == "POST":
            return await self._post(backend, req)
        if req.method in ("GET", "DELETE") and backend.stateful:
            session_id = req.headers.get("mcp-session-id")
            if req.method == "GET" and "text/event-stream" not in req.headers.get("accept", ""):
                raise PlainError.transport("accept_get")
            if not session_id:
                raise PlainError.transport("session_id_required")
            if req.method == "GET":
                if session_id not in self.sessions:
                    raise PlainError.transport("unknown_session")
                raise PlainError.transport("get_stream")
            session = self.sessions.pop(session_id, None)
            if session is not None:
                await session.relay.close()
            return Reply(202)
        raise PlainError.transport("method")

    def _message(self, req: McpRequest) -> dict[str, Any]:
        accept = req.headers.get("accept", "")
        if "application/json" not in accept or "text/event-stream" not in accept:
            raise PlainError.transport("accept")
        if not req.headers.get("content-type", "").startswith("application/json"):
            raise PlainError.transport("content_type")
        try:
            message = json.loads(req.body)
        except (ValueError, UnicodeDecodeError) as exc:
            raise PlainError.transport("deserialize", detail=str(exc)) from exc
        if not isinstance(message, dict) or message.get("jsonrpc") != "2.0":
            raise PlainError.transport("deserialize", detail="data did not match any variant of JsonRpcMessage")
        return message

    async def _post(self, backend: McpBackendSpec, req: McpRequest) -> Reply:
        message = self._message(req)
        if not backend.stateful:
            return await self._stateless(backend, req, message)
        session_id = req.headers.get("mcp-session-id")
        if session_id:
            session = self.sessions.get(session_id)
            if session is None:
                raise PlainError.transport("unknown_session")
            return await self._answer(session.relay, message, req)
        if message.get("method") != "initialize" or "id" not in message:
            raise PlainError.transport("session_required")
        relay = await self._relay(backend, req.upstream_headers)
        session_id = ids.uuid4()
        reply = await self._answer(relay, message, req)
        self.sessions[session_id] = _Session(relay)
        reply.headers["mcp-session-id"] = session_id
        return reply

    async def _answer(self, relay: Relay, message: dict[str, Any], req: McpRequest) -> Reply:
        if "id" not in message or "method" not in message:
            if "method" in message:
                await relay.notify(message)
            return Reply(202)
        answer = await relay.request(message, req.context)
        return Reply(200, {"content-type": "text/event-stream"}, _event(answer))

    async def _stateless(self, backend: McpBackendSpec, req: McpRequest, message: dict[str, Any]) -> Reply:
        relay = await self._relay(backend, req.upstream_headers)
        try:
            if message.get("method") != "initialize":
                init = {"jsonrpc": "2.0", "id": 0, "method": "initialize", "params": SYNTHETIC_INITIALIZE}
                await relay.request(init, req.context)
                await relay.notify({"jsonrpc": "2.0", "method": "notifications/initialized"})
            return await self._answer(relay, message, req)
        finally:
            await relay.close()

    # --- legacy SSE

    async def _legacy(self, backend: McpBackendSpec, req: McpRequest) -> Reply:
        if req.method == "GET":
            relay = await self._relay(backend, req.upstream_headers)
            session_id = ids.uuid4()
            events: asyncio.Queue[bytes | None] = asyncio.Queue()
            self.sessions[session_id] = _Session(relay, events)
            events.put_nowait(f"event: endpoint\ndata: /sse?sessionId={session_id}\n\n".encode())
            return Reply(200, {"content-type": "text/event-stream", "cache-control": "no-cache"},
                         stream=self._drain(session_id, events))
        session = self.sessions.get(req.query.get("sessionId", ""))
        if session is None or session.events is None:
            raise PlainError.transport("unknown_session")
        message = json.loads(req.body) if req.body else {}
        if not isinstance(message, dict):
            raise PlainError.transport("deserialize", detail="not a JSON-RPC message")
        task = asyncio.ensure_future(self._legacy_answer(session, message, req))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return Reply(202, {"content-type": "text/plain"}, b"Accepted")

    async def _legacy_answer(self, session: _Session, message: dict[str, Any], req: McpRequest) -> None:
        assert session.events is not None
        if "id" not in message:
            await session.relay.notify(message)
            return
        try:
            answer = await session.relay.request(message, req.context)
        except AgwError as exc:
            answer = {"jsonrpc": "2.0", "id": message.get("id"), "error": {"code": -32603, "message": exc.reason}}
        session.events.put_nowait(_event(answer))

    async def _drain(self, session_id: str, events: asyncio.Queue[bytes | None]) -> AsyncIterator[bytes]:
        try:
            while (chunk := await events.get()) is not None:
                yield chunk
        finally:
            session = self.sessions.pop(session_id, None)
            if session is not None:
                with contextlib.suppress(Exception):
                    await session.relay.close()
