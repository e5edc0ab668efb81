"""The gateway's MCP endpoint `/mcp`: streamable HTTP and the JSON-RPC methods AgentCore serves.

Transport: MCP basic/transports (2025-03-26 … 2025-11-25; 2026-07-28 is stateless: no initialize, per-request
`_meta` envelope, `server/discover`). AgentCore specifics: DOC gateway-using (versions, operations),
gateway-using-mcp-list (`<target>___<tool>`, search tool first, only `supportedVersions`), gateway-using-mcp-call,
gateway-sessions, gateway-mcp-streaming (SSE only if enableResponseStreaming AND Accept has text/event-stream),
gateway-debug-messages (`exceptionLevel`). Unknown facts use the sheet §4.4 defaults (see errors.py).
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from mcp.shared.dispatcher import ProgressFnT
from mcp.shared.inbound import ERROR_CODE_HTTP_STATUS, InboundLadderRejection, classify_inbound_request
from mcp_types import SERVER_INFO_META_KEY
from mcp_types import methods as wire
from pydantic import ValidationError

from authstage_kit import ids
from authstage_kit.redact import nesting
from fake_gateway.authorizer import Principal
from fake_gateway.backend import Backend
from fake_gateway.errors import (
    BATCH_NOT_SUPPORTED,
    BODY_TOO_LARGE,
    INTERNAL_ERROR,
    INTERNAL_ERROR_TEXT,
    INVALID_PARAMS,
    INVALID_REQUEST,
    LOG_AUTH_FAILED,
    LOG_FAILED,
    LOG_STARTED,
    LOG_SUCCEEDED,
    METHOD_NOT_ALLOWED,
    METHOD_NOT_FOUND,
    MISSING_SESSION,
    MODERN_VERSIONS,
    NOT_ACCEPTABLE,
    PARSE_ERROR,
    POLICY_DENIED_CODE,
    POLICY_DENIED_PREFIX,
    RESOURCE_NOT_FOUND_TEXT,
    SEARCH_TOOL_INPUT_SCHEMA,
    SEARCH_TOOL_NAME,
    UNKNOWN_SESSION,
    UNKNOWN_TOOL,
    UNSUPPORTED_INITIALIZE_VERSION,
    UNSUPPORTED_MEDIA_TYPE,
    UNSUPPORTED_PROTOCOL_VERSION,
    UNSUPPORTED_VERSION_HEADER,
    AuthError,
    JsonRpcHttpError,
)
from fake_gateway.interceptors import InterceptorFailure
from fake_gateway.propagation import CallContext
from fake_gateway.search import search_result
from fake_gateway.sessions import Session
from fake_gateway.targets import TargetFailure, TargetState

__all__ = ["Incoming", "McpEndpoint", "Outgoing"]

SESSION_HEADER = "mcp-session-id"
VERSION_HEADER = "mcp-protocol-version"
# Besides initialize (DOC gateway-using: the operations AgentCore serves; the others answer -32601).
SERVED_METHODS = frozenset(
    {
        "server/discover",
        "ping",
        "tools/list",
        "tools/call",
        "prompts/list",
        "resources/list",
        "resources/templates/list",
    }
)
HANDSHAKE_ASSUMED = (
    "2025-03-26"  # MCP basic/transports: "the server SHOULD assume protocol version 2025-03-26"
)


# The body of a refused request is read for APPLICATION_LOGS (its JSON-RPC id) only up to this size.
AUTH_FAILURE_BODY_BYTES = 16384


@dataclass
class Incoming:
    """One HTTP request to /mcp, as the adapter read it; `reader` reads the body when `load` asks for it."""

    method: str
    headers: dict[str, str]  # lower-case names
    raw_headers: list[tuple[str, str]]
    body: bytes
    host: str | None
    scheme: str = "http"
    oversize: int | None = None  # bytes seen when the body exceeded maxRequestBytes
    query: str = ""  # the gateway URL's query string (metadataConfiguration.allowedQueryParameters)
    reader: Callable[[], Awaitable[tuple[bytes, int | None]]] | None = None

    async def load(self, *, up_to: int | None = None) -> None:
        """Read the body once (after the token was checked); with `up_to`, only a body declared that small."""
        if self.reader is None:
            return
        declared = self.headers.get("content-length", "")
        if up_to is not None and not (declared.isdigit() and int(declared) <= up_to):
            return
        reader, self.reader = self.reader, None
        self.body, self.oversize = await reader()


@dataclass
class Outgoing:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    stream: AsyncIterator[bytes] | None = None


@dataclass
class _Call:
    request_id: str
    trace_id: str
    principal: Principal
    rpc_id: Any
    method: str
    version: str
    modern: bool
    body: dict[str, Any]
    sse: bool
    failure: str | None = None  # the real reason behind a masked target failure (APPLICATION_LOGS only)
    request: Incoming | None = None
    injected: dict[str, str] = field(default_factory=dict)  # a REQUEST interceptor's headers for targets
    response_headers: dict[str, str] = field(default_factory=dict)  # propagated from a target (DOC)


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


def _sse(message: dict[str, Any]) -> bytes:
    # DOC gateway-mcp-streaming framing: "event: message\ndata: {...}\n\n"
    return b"event: message\ndata: " + _dumps(message) + b"\n\n"


def _error(
    status: int, pair: tuple[int, str], *, reason: str, rpc_id: Any = None, **fmt: Any
) -> JsonRpcHttpError:
    return JsonRpcHttpError.of(status, pair, id=rpc_id, reason=reason, **fmt)


def _valid_id(value: Any) -> bool:
    return isinstance(value, str | int) and not isinstance(value, bool)


class McpEndpoint:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self._auto_progress = 0

    @property
    def knobs(self) -> Any:
        return self.backend.gateway.emulator

    # --- entry: authenticate -> parse -> gate -> dispatch -> respond

    async def handle(self, req: Incoming) -> Outgoing:
        """Raises AuthError / JsonRpcHttpError (rendered by the app's one handler) or returns the response."""
        request_id, trace_id = ids.uuid4(), ids.token_hex(16)
        await self.backend.pool.close_retired()
        principal = await self._authenticate(req, request_id, trace_id)
        await req.load()
        if req.method == "DELETE":
            return self._delete(req, principal)
        self._check_transport(req)
        parsed = self._parse_body(req)
        if self.backend.view.interceptors:
            return await self._intercepted(req, parsed, principal, request_id, trace_id)
        return await self._serve(req, parsed, principal, request_id, trace_id, {})

    async def _serve(
        self, req: Incoming, parsed: Any, principal: Principal, request_id: str, trace_id: str,
        injected: dict[str, str],
    ) -> Outgoing:
        body = _rpc_message(parsed)
        if body is None:
            return Outgoing(202)  # a response to a server-initiated request
        version, modern = self._negotiate(req, body, principal)
        if "id" not in body:
            return Outgoing(202)  # notifications are accepted and dropped
        sse = self.backend.view.mcp.streaming and "text/event-stream" in req.headers.get("accept", "")
        call = _Call(request_id, trace_id, principal, body["id"], body["method"], version, modern, body, sse,
                     request=req, injected=injected)
        return await self._respond(call)

    async def _intercepted(
        self, req: Incoming, parsed: Any, principal: Principal, request_id: str, trace_id: str
    ) -> Outgoing:
        """REQUEST interceptors, then the request (or their answer), then RESPONSE interceptors (DOC)."""
        specs, hub = self.backend.view.interceptors, self.backend.interceptors
        try:
            seen = await hub.on_request(specs, req.body, parsed, req.raw_headers)
            if seen.answer is not None:
                status, body, headers = seen.answer
                out = Outgoing(status, {"Content-Type": "application/json", **headers}, _dumps(body))
            else:
                try:
                    out = await self._serve(req, seen.body, principal, request_id, trace_id, seen.headers)
                except JsonRpcHttpError as exc:
                    out = Outgoing(exc.status, {"Content-Type": "application/json", **exc.headers}, exc.content())
            if out.stream is not None:
                out.stream = hub.stream(specs, req.body, seen.body, req.raw_headers, out.stream)
                return out
            if not out.body:
                return out
            status, body, headers = await hub.on_response(
                specs, req.body, seen.body, req.raw_headers, (out.status, _lenient_json(out.body), out.headers)
            )
        except InterceptorFailure as exc:
            return self._interceptor_failure(parsed, exc.reason, request_id, trace_id)
        return Outgoing(status, {"Content-Type": "application/json", **headers}, _dumps(body))

    def _interceptor_failure(self, parsed: Any, reason: str, request_id: str, trace_id: str) -> Outgoing:
        """An interceptor that fails or answers nonsense: a JSON-RPC internal error (INFERRED; UNKNOWN at AWS)."""
        rpc_id = parsed.get("id") if isinstance(parsed, dict) and _valid_id(parsed.get("id")) else None
        message = reason if self.backend.view.debug else INTERNAL_ERROR_TEXT
        error = JsonRpcHttpError(200, INTERNAL_ERROR[0], message, reason, id=rpc_id)
        self.backend.app_log.emit(
            request_id=request_id, trace_id=trace_id, is_error=True, rpc_id=rpc_id, reason=reason,
            log=LOG_FAILED.format(request_id=rpc_id, reason=reason), response_body=error.body(),
        )
        return Outgoing(200, {"Content-Type": "application/json"}, error.content())

    async def _authenticate(self, req: Incoming, request_id: str, trace_id: str) -> Principal:
        """The inbound authorizer; a refusal is logged to APPLICATION_LOGS with its real reason, then raised."""
        origin = self.backend.origin(req.host, req.scheme)
        try:
            return await self.backend.authenticate(_authorization(req), origin)
        except AuthError as exc:
            await req.load(up_to=AUTH_FAILURE_BODY_BYTES)  # a small body's JSON-RPC id for the log; never a big one
            body = _lenient_json(req.body)
            self.backend.app_log.emit(
                request_id=request_id,
                trace_id=trace_id,
                is_error=True,
                reason=exc.reason,
                rpc_id=body.get("id") if isinstance(body, dict) else None,
                log=LOG_AUTH_FAILED.format(request_id=request_id, reason=exc.reason),
                request_body=body if isinstance(body, dict) else None,
            )
            raise

    def _check_transport(self, req: Incoming) -> None:
        """Streamable HTTP before the body is read: POST, JSON in, JSON accepted (knob strictAccept), size."""
        if req.method != "POST":
            error = _error(
                405, METHOD_NOT_ALLOWED, reason=f"{req.method} /mcp: the gateway answers POST only"
            )
            error.allow = "POST, DELETE" if self.backend.view.mcp.session_timeout else "POST"
            raise error
        content_type = req.headers.get("content-type", "").split(";")[0].strip().lower()
        if content_type != "application/json":
            raise _error(415, UNSUPPORTED_MEDIA_TYPE, reason=f"Content-Type {content_type or '(none)'!r}")
        accept = req.headers.get("accept", "")
        if self.knobs.strictAccept and not any(
            a in accept for a in ("application/json", "*/*", "application/*")
        ):
            raise _error(406, NOT_ACCEPTABLE, reason=f"Accept {accept!r}")
        if req.oversize is not None:
            raise _error(
                413,
                BODY_TOO_LARGE,
                size=req.oversize,
                limit=self.knobs.maxRequestBytes,
                reason=f"body of {req.oversize} bytes > maxRequestBytes {self.knobs.maxRequestBytes}",
            )

    def _parse_body(self, req: Incoming) -> Any:
        """Strict JSON (no NaN), at most knob `maxJsonDepth` deep, one message (no batch): else -32700/-32600."""
        try:
            body = json.loads(req.body, parse_constant=_strict_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            raise _error(400, PARSE_ERROR, reason=f"body is not JSON: {exc}") from exc
        if (depth := nesting(body)) > self.knobs.maxJsonDepth:
            raise _error(
                400,
                PARSE_ERROR,
                reason=f"body nests {depth} levels deep; emulator.maxJsonDepth is {self.knobs.maxJsonDepth}",
            )
        if isinstance(body, list):
            raise _error(400, BATCH_NOT_SUPPORTED, reason="JSON-RPC batch (array) body")
        return body

    def _negotiate(self, req: Incoming, body: dict[str, Any], principal: Principal) -> tuple[str, bool]:
        """The protocol version of this request and whether it is a 2026-07-28 (stateless) one."""
        method = body["method"]
        meta = (body.get("params") or {}).get("_meta")
        modern = method != "initialize" and (
            req.headers.get(VERSION_HEADER) in MODERN_VERSIONS
            or method == "server/discover"
            or (isinstance(meta, dict) and "io.modelcontextprotocol/protocolVersion" in meta)
        )
        if modern:
            return self._modern_gate(req, body), True
        return self._legacy_gate(req, body, principal, method), False

    async def _respond(self, call: _Call) -> Outgoing:
        """Dispatch one request; answer as JSON, or as SSE when enableResponseStreaming and Accept allow it."""
        self.backend.app_log.emit(
            request_id=call.request_id,
            trace_id=call.trace_id,
            is_error=False,
            rpc_id=call.rpc_id,
            log=LOG_STARTED.format(request_id=call.rpc_id),
            request_body=call.body,
        )
        if call.method == "tools/call" and call.sse:
            return self._streamed_call(call)
        try:
            result, headers = await self._dispatch(call)
        except JsonRpcHttpError as exc:
            exc.id = call.rpc_id
            self._log_failure(call, exc.reason, exc.body())
            if call.sse and exc.status == 200:
                return Outgoing(200, {"Content-Type": "text/event-stream"}, _sse(exc.body()))
            raise
        response = {"jsonrpc": "2.0", "id": call.rpc_id, "result": result}
        self._log_success(call, response)
        headers = {**call.response_headers, **headers}  # metadataConfiguration.allowedResponseHeaders
        if call.sse:
            return Outgoing(
                200,
                {"Content-Type": "text/event-stream", "Cache-Control": "no-cache", **headers},
                _sse(response),
            )
        return Outgoing(200, {"Content-Type": "application/json", **headers}, _dumps(response))

    # --- gates: versions and sessions

    def _legacy_gate(self, req: Incoming, body: dict[str, Any], principal: Principal, method: str) -> str:
        view = self.backend.view
        if method == "initialize":
            return ""
        if view.mcp.session_timeout is not None:
            self._session(req, principal, body.get("id"))
        header = req.headers.get(VERSION_HEADER)
        if header is None:
            if self.knobs.missingProtocolVersionHeader == "reject":
                raise _error(
                    400,
                    UNSUPPORTED_VERSION_HEADER,
                    rpc_id=body.get("id"),
                    version="(missing)",
                    supported=", ".join(view.mcp.versions),
                    reason="no MCP-Protocol-Version header",
                )
            header = HANDSHAKE_ASSUMED
        if header not in view.mcp.versions:
            raise _error(
                400,
                UNSUPPORTED_VERSION_HEADER,
                rpc_id=body.get("id"),
                version=header,
                supported=", ".join(view.mcp.versions),
                reason=f"MCP-Protocol-Version {header!r} not in supportedVersions {list(view.mcp.versions)}",
            )
        return header

    def _session(self, req: Incoming, principal: Principal, rpc_id: Any) -> Session:
        session_id = req.headers.get(SESSION_HEADER)
        if not session_id:
            raise _error(
                400,
                MISSING_SESSION,
                rpc_id=rpc_id,
                reason="sessionConfiguration is set and the request carries no Mcp-Session-Id",
            )
        session, why = self.backend.sessions.lookup(session_id, principal.session_owner)
        if session is None:
            raise _error(404, UNKNOWN_SESSION, rpc_id=rpc_id, reason=why)
        return session

    def _modern_gate(self, req: Incoming, body: dict[str, Any]) -> str:
        view = self.backend.view
        modern = [v for v in view.mcp.versions if v in MODERN_VERSIONS]
        requested = req.headers.get(VERSION_HEADER) or ((body.get("params") or {}).get("_meta") or {}).get(
            "io.modelcontextprotocol/protocolVersion"
        )
        if not modern:
            error = _error(
                400,
                UNSUPPORTED_PROTOCOL_VERSION,
                rpc_id=body.get("id"),
                reason=f"{requested!r} (2026-07-28 request) but supportedVersions is {list(view.mcp.versions)}",
            )
            error.data = {"supported": list(view.mcp.versions), "requested": str(requested)}
            raise error
        outcome = classify_inbound_request(body, headers=req.headers, supported_modern_versions=modern)
        if isinstance(outcome, InboundLadderRejection):
            error = JsonRpcHttpError(
                ERROR_CODE_HTTP_STATUS.get(outcome.code, 400),
                outcome.code,
                outcome.message,
                id=body.get("id"),
                data=outcome.data,
                reason=outcome.message,
            )
            raise error
        return outcome.protocol_version

    def _delete(self, req: Incoming, principal: Principal) -> Outgoing:
        if self.backend.view.mcp.session_timeout is None:
            error = _error(405, METHOD_NOT_ALLOWED, reason="DELETE /mcp without sessionConfiguration")
            error.allow = "POST"
            raise error
        session = self._session(req, principal, None)
        self.backend.sessions.delete(session.id)
        return Outgoing(200)

    # --- dispatch

    async def _dispatch(self, call: _Call) -> tuple[dict[str, Any], dict[str, str]]:
        params = call.body.get("params") or {}
        if call.method == "initialize":
            return self._initialize(call, params)
        self._validate_params(call, params)
        result: dict[str, Any]
        if call.method == "server/discover":
            result = self._discover()
        elif call.method == "ping":
            result = {}
        elif call.method == "tools/list":
            result = await self._tools_list(call, params)
        elif call.method == "tools/call":
            result = await self._tools_call(call, params, None)
        elif call.method == "prompts/list":
            result = {"prompts": []}
        elif call.method == "resources/list":
            result = {"resources": []}
        elif call.method == "resources/templates/list":
            result = {"resourceTemplates": []}
        else:  # _validate_params admits only the methods above
            raise AssertionError(call.method)
        if call.modern:
            result.setdefault("resultType", "complete")
            if call.method in wire.CACHEABLE_METHODS:
                result.setdefault("ttlMs", 0)
                result.setdefault("cacheScope", "private")
            self._stamp_server_info(call.method, result)
        return result, {}

    def _stamp_server_info(self, method: str, result: dict[str, Any]) -> None:
        """2026-07-28 `ResultMetaObject`: "Servers SHOULD include [`io.modelcontextprotocol/serverInfo`] on every
        response unless specifically configured not to do so" (schema 2026-07-28; mcp_types
        `ResultMetaObject`). What AgentCore sends is UNKNOWN: knob `emulator.serverInfoMeta`."""
        where = self.knobs.serverInfoMeta
        if where == "none" or (where == "discover-only" and method != "server/discover"):
            return
        meta = result.get("_meta")
        meta = dict(meta) if isinstance(meta, dict) else {}
        meta.setdefault(SERVER_INFO_META_KEY, self.knobs.serverInfo.model_dump())
        result["_meta"] = meta

    def _validate_params(self, call: _Call, params: dict[str, Any]) -> None:
        """Params against the wire schema of the negotiated version (mcp_types), or -32601/-32602."""

        # HTTP status of a dispatch error: 200 before 2026-07-28; the spec's table (mcp.shared.inbound) after.
        def status(code: int) -> int:
            return ERROR_CODE_HTTP_STATUS.get(code, 200) if call.modern else 200

        if call.method not in SERVED_METHODS:
            raise _error(status(-32601), METHOD_NOT_FOUND, reason=f"method {call.method!r} is not served")
        try:
            wire.validate_client_request(call.method, call.version, params or None)
        except KeyError:
            raise _error(
                status(-32601),
                METHOD_NOT_FOUND,
                reason=f"method {call.method!r} does not exist in protocol {call.version}",
            ) from None
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            error = _error(status(-32602), INVALID_PARAMS, reason=f"{where}: {first['msg']}")
            error.message = f"Invalid params: {where}: {first['msg']}"
            raise error from None

    def _capabilities(self) -> dict[str, Any]:
        # DOC gateway-sessions example: {"tools": {"listChanged": true}}
        return {"tools": {"listChanged": True}}

    def _initialize(self, call: _Call, params: dict[str, Any]) -> tuple[dict[str, Any], dict[str, str]]:
        view = self.backend.view
        requested = params.get("protocolVersion")
        if not isinstance(requested, str):
            raise _error(200, INVALID_PARAMS, reason="initialize needs params.protocolVersion (a string)")
        try:
            wire.validate_client_request("initialize", "2025-11-25", params)
        except ValidationError as exc:
            first = exc.errors(include_url=False)[0]
            where = ".".join(str(p) for p in first["loc"])
            error = _error(200, INVALID_PARAMS, reason=f"{where}: {first['msg']}")
            error.message = f"Invalid params: {where}: {first['msg']}"
            raise error from None
        handshake = [v for v in view.mcp.versions if v not in MODERN_VERSIONS]
        if not handshake:
            error = _error(
                400,
                UNSUPPORTED_PROTOCOL_VERSION,
                reason=f"initialize, but supportedVersions is {list(view.mcp.versions)} (2026-07-28 only)",
            )
            error.data = {"supported": list(view.mcp.versions), "requested": requested}
            raise error
        if requested in handshake:
            version = requested
        elif self.knobs.unsupportedInitializeVersion == "reject":
            raise _error(
                200,
                UNSUPPORTED_INITIALIZE_VERSION,
                version=requested,
                supported=", ".join(handshake),
                reason=f"initialize asked for {requested!r}; supportedVersions is {list(view.mcp.versions)}",
            )
        else:
            version = sorted(handshake)[-1]
        call.version = version
        result: dict[str, Any] = {
            "protocolVersion": version,
            "capabilities": self._capabilities(),
            "serverInfo": self.knobs.serverInfo.model_dump(),
        }
        if view.mcp.instructions:
            result["instructions"] = view.mcp.instructions
        headers: dict[str, str] = {}
        if view.mcp.session_timeout is not None:
            session = self.backend.sessions.create(
                call.principal.session_owner, version, view.mcp.session_timeout
            )
            headers["Mcp-Session-Id"] = session.id
        return result, headers

    def _discover(self) -> dict[str, Any]:
        view = self.backend.view
        result: dict[str, Any] = {
            "supportedVersions": list(view.mcp.versions),
            "capabilities": self._capabilities(),
        }
        if view.mcp.instructions:
            result["instructions"] = view.mcp.instructions
        return result

    # --- tools

    async def all_tools(self, principal: Principal) -> list[dict[str, Any]]:
        """Every tool the caller may list: `<target>___<tool>`, sorted, policy-filtered (sheet §12)."""
        backend = self.backend
        listed: list[dict[str, Any]] = []
        for name, state in list(backend.targets.items()):
            try:
                tools = await backend.target_tools(state, principal)
            except TargetFailure as exc:
                state.status_reasons = [exc.reason]
                continue
            for tool in tools:
                if isinstance(tool.get("name"), str):
                    listed.append({**tool, "name": f"{name}___{tool['name']}"})
        listed.sort(key=lambda t: t["name"])
        if backend.policy is not None:
            listed = [t for t in listed if backend.policy.could_allow(principal, t["name"])]
        return listed

    def _search_tool(self) -> dict[str, Any]:
        return {
            "name": SEARCH_TOOL_NAME,
            "description": self.knobs.searchToolDescription,
            "inputSchema": SEARCH_TOOL_INPUT_SCHEMA,
        }

    async def _tools_list(self, call: _Call, params: dict[str, Any]) -> dict[str, Any]:
        view = self.backend.view
        tools = await self.all_tools(call.principal)
        if view.mcp.search:
            tools = [self._search_tool(), *tools]  # DOC: "the search tool … will be listed first"
        if not view.mcp.paginate:
            return {"tools": tools}
        start = 0
        cursor = params.get("cursor")
        if cursor is not None:
            try:
                start = int(json.loads(base64.urlsafe_b64decode(cursor.encode()))["offset"])
                if start < 0:
                    raise ValueError
            except (ValueError, KeyError, TypeError, binascii.Error):
                error = _error(
                    200 if not call.modern else 400, INVALID_PARAMS, reason=f"invalid cursor {cursor!r}"
                )
                error.message = "Invalid params: invalid cursor"
                raise error from None
        size = self.knobs.toolsPageSize
        result: dict[str, Any] = {"tools": tools[start : start + size]}
        if start + size < len(tools):
            token = json.dumps({"offset": start + size}).encode()
            result["nextCursor"] = base64.urlsafe_b64encode(token).decode()
        return result

    def _unknown_tool(self, call: _Call, name: str, why: str) -> JsonRpcHttpError:
        if self.knobs.unknownToolResponse == "http404":
            error = _error(404, UNKNOWN_TOOL, name=name, reason=why)
            error.message = RESOURCE_NOT_FOUND_TEXT
            return error
        return _error(200 if not call.modern else 400, UNKNOWN_TOOL, name=name, reason=why)

    async def _tools_call(
        self, call: _Call, params: dict[str, Any], progress: ProgressFnT | None
    ) -> dict[str, Any]:
        """The search tool, or `<target>___<tool>`: resolve, policy, call the target, mask its failure."""
        name = params["name"]
        arguments = params.get("arguments")
        if name == SEARCH_TOOL_NAME and self.backend.view.mcp.search:
            return await self._search(call, arguments)
        state, tool = await self._resolve_tool(call, name)
        if (denied := self._policy_denial(call, name, arguments)) is not None:
            return denied
        ctx = CallContext(
            request_id=call.request_id,
            rpc_id=call.rpc_id,
            subject=call.principal.subject,
            subject_token=call.principal.token,
            headers=dict(call.request.raw_headers) if call.request else {},
            query=dict(parse_qsl(call.request.query)) if call.request else {},
            injected=call.injected,
        )
        try:
            result = await self.backend.call_tool(state, tool, arguments, ctx, progress)
        except TargetFailure as exc:
            return self._failure(call, exc.reason)
        finally:
            call.response_headers.update(ctx.response_headers)
        if result.get("isError") and self.knobs.targetToolErrors == "mask":
            text = " ".join(
                c.get("text", "") for c in result.get("content") or [] if isinstance(c, dict)
            ).strip()
            return self._failure(call, text or "the target tool returned isError: true")
        return result

    async def _search(self, call: _Call, arguments: Any) -> dict[str, Any]:
        query = (arguments or {}).get("query")
        if not isinstance(query, str) or not query.strip():
            return self._failure(call, "search tool needs a non-empty string 'query'")
        tools = await self.all_tools(call.principal)
        return search_result(query, tools, self.knobs.searchMaxResults)

    async def _resolve_tool(self, call: _Call, name: str) -> tuple[TargetState, str]:
        """The target and tool a `<target>___<tool>` name designates (U14), or the unknown-tool error."""
        backend = self.backend
        target, sep, tool = name.partition("___")
        state = backend.targets.get(target) if sep else None
        if state is None:
            raise self._unknown_tool(
                call,
                name,
                f"no target {target!r} (tool names are <target>___<tool>; targets: {sorted(backend.targets)})"
                if sep
                else f"{name!r} has no '<target>___' prefix (U14)",
            )
        if state.spec.listing_mode != "DYNAMIC" or state.spec.endpoint is None:
            await backend.ensure_synced(state, call.principal)
            known = {t.get("name") for t in state.tools or []}
            if tool not in known:
                raise self._unknown_tool(
                    call,
                    name,
                    f"tool {tool!r} is not in target {target!r}'s synchronized "
                    f"catalogue {sorted(str(k) for k in known)} (status "
                    f"{state.status}; POST /_authstage/targets/{target}/synchronize)",
                )
        return state, tool

    def _policy_denial(self, call: _Call, name: str, arguments: Any) -> dict[str, Any] | None:
        """DOC use-gateway-with-policy: the decision is logged; an enforced deny is the tool's result."""
        policy = self.backend.policy
        if policy is None:
            return None
        decision = policy.authorize(call.principal, name, arguments)
        self.backend.app_log.emit(
            request_id=call.request_id,
            trace_id=call.trace_id,
            is_error=not decision.allowed,
            rpc_id=call.rpc_id,
            log=f"Policy decision for {name}: {'ALLOW' if decision.allowed else 'DENY'}",
            reason=decision.reason,
        )
        if not decision.allowed and decision.enforced:
            text = str(decision.text)
            if self.knobs.policyDenialResponse == "jsonrpc-error":  # sources conflict: errors.py, knob docs
                message = text.removeprefix(POLICY_DENIED_PREFIX)
                raise JsonRpcHttpError(200, POLICY_DENIED_CODE, message, decision.reason)
            return {"content": [{"type": "text", "text": text}], "isError": True}
        return None

    def _failure(self, call: _Call, reason: str) -> dict[str, Any]:
        """DOC gateway-debug-messages: generic text, or (DEBUG) the real one in text and `_meta.debug`."""
        call.failure = reason
        if self.backend.view.debug:
            return {
                "content": [{"type": "text", "text": reason}],
                "_meta": {"debug": {"type": "text", "text": reason}},
                "isError": True,
            }
        return {"content": [{"type": "text", "text": INTERNAL_ERROR_TEXT}], "isError": True}

    def _streamed_call(self, call: _Call) -> Outgoing:
        """tools/call over SSE: target progress notifications as events, then the result (DOC framing)."""
        params = call.body.get("params") or {}
        try:
            self._validate_params(call, params)
        except JsonRpcHttpError as exc:
            exc.id = call.rpc_id
            self._log_failure(call, exc.reason, exc.body())
            raise
        token = (params.get("_meta") or {}).get("progressToken")
        if token is None:
            self._auto_progress += 1
            token = f"auto-{self._auto_progress}"  # DOC example: "progressToken":"auto-1"
        queue: asyncio.Queue[dict[str, Any]] = asyncio.Queue()

        async def report(progress: float, total: float | None, message: str | None) -> None:
            note: dict[str, Any] = {"progressToken": token, "progress": progress}
            if total is not None:
                note["total"] = total
            if message is not None:
                note["message"] = message
            await queue.put({"jsonrpc": "2.0", "method": "notifications/progress", "params": note})

        async def events() -> AsyncIterator[bytes]:
            task = asyncio.ensure_future(self._tools_call(call, params, report))
            try:
                while True:
                    getter = asyncio.ensure_future(queue.get())
                    done, _ = await asyncio.wait({getter, task}, return_when=asyncio.FIRST_COMPLETED)
                    if getter in done:
                        yield _sse(getter.result())
                        continue
                    getter.cancel()
                    while not queue.empty():
                        yield _sse(queue.get_nowait())
                    try:
                        response = {"jsonrpc": "2.0", "id": call.rpc_id, "result": task.result()}
                        self._log_success(call, response)
                    except JsonRpcHttpError as exc:
                        exc.id = call.rpc_id
                        response = exc.body()
                        self._log_failure(call, exc.reason, response)
                    yield _sse(response)
                    return
            finally:
                if not task.done():
                    task.cancel()

        return Outgoing(
            200, {"Content-Type": "text/event-stream", "Cache-Control": "no-cache"}, stream=events()
        )

    # --- logs

    def _log_success(self, call: _Call, response: dict[str, Any]) -> None:
        result = response.get("result") or {}
        self.backend.app_log.emit(
            request_id=call.request_id,
            trace_id=call.trace_id,
            is_error=bool(result.get("isError")),
            rpc_id=call.rpc_id,
            log=LOG_SUCCEEDED.format(request_id=call.rpc_id),
            response_body=response,
            reason=call.failure,
        )

    def _log_failure(self, call: _Call, reason: str, response: dict[str, Any]) -> None:
        self.backend.app_log.emit(
            request_id=call.request_id,
            trace_id=call.trace_id,
            is_error=True,
            rpc_id=call.rpc_id,
            log=LOG_FAILED.format(request_id=call.rpc_id, reason=reason),
            response_body=response,
            reason=reason,
        )


def _rpc_message(body: Any) -> dict[str, Any] | None:
    """A JSON-RPC 2.0 request or notification (-32600/-32602 otherwise); None for a client's response."""
    if not isinstance(body, dict) or body.get("jsonrpc") != "2.0":
        raise _error(
            400,
            INVALID_REQUEST,
            reason='not a JSON-RPC 2.0 object (jsonrpc must be "2.0")',
            rpc_id=body.get("id") if isinstance(body, dict) and _valid_id(body.get("id")) else None,
        )
    has_id = "id" in body
    if has_id and not _valid_id(body["id"]):
        raise _error(400, INVALID_REQUEST, reason=f"id {body['id']!r} must be a string or an integer")
    method = body.get("method")
    if method is None:
        if has_id and ("result" in body or "error" in body):
            return None  # a response to a server-initiated request
        raise _error(400, INVALID_REQUEST, rpc_id=body.get("id"), reason="no method")
    if not isinstance(method, str):
        raise _error(400, INVALID_REQUEST, rpc_id=body.get("id"), reason="method must be a string")
    if "params" in body and not isinstance(body["params"], dict):
        raise _error(
            400 if not has_id else 200,
            INVALID_PARAMS,
            rpc_id=body.get("id"),
            reason="params must be an object",
        )
    return body


def _authorization(req: Incoming) -> str | None:
    """The Authorization header; repeated ones are joined with ", " (RFC 9110 §5.3) so the authorizer refuses them.

    Authorization is not a list-valued field: taking the first or the last of two would let a forged header ride
    along with a valid one (or a valid one vouch for a forged one)."""
    values = [value for name, value in req.raw_headers if name.lower() == "authorization"]
    return ", ".join(values) if values else None


def _strict_constant(name: str) -> Any:
    """NaN / Infinity are not JSON (RFC 8259 §6): a strict parser answers -32700 instead of passing them on."""
    raise ValueError(f"{name} is not valid JSON")


def _lenient_json(raw: bytes) -> Any:
    try:
        return json.loads(raw, parse_constant=_strict_constant) if raw else None
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None
