"""MCP server targets: the gateway as an MCP client (DOC gateway-target-MCPservers, sheet §7.2).

The gateway talks to each target with the `mcp` SDK client (`streamable_http_client` + `ClientSession`, over
httpx2), keeping one initialized session per target (per caller for TOKEN_EXCHANGE) so a tool call costs one
HTTP round trip. "The gateway stores the MCP target's session ID on first use and re-initializes transparently
if the target's session expires" (DOC gateway-sessions): a failed call drops the connection and is retried once.
Catalogue: `listingMode` DEFAULT serves the tools synchronized at startup / on synchronize; DYNAMIC lists live.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import httpx2
import mcp_types as types
from mcp import ClientSession
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.dispatcher import ProgressFnT
from mcp.shared.exceptions import MCPError
from pydantic import TypeAdapter

from authstage_kit.aio import LoopLocal
from authstage_kit.tls import client_context
from fake_gateway.credentials import CredentialError, OutboundCredentials
from fake_gateway.errors import USER_AGENT, Failure
from fake_gateway.propagation import CallContext, outgoing, returned
from fake_gateway.settings import TargetSpec

__all__ = ["TargetFailure", "TargetPool", "TargetState"]

# A raw JSON-RPC result. TypeAdapter[Any]: the SDK bounds typed results to BaseModel, a dict adapter works as well.
_RAW: TypeAdapter[Any] = TypeAdapter(dict[str, Any])


class TargetFailure(Failure):
    """A target call failed; `reason` is the real message (shown only with exceptionLevel DEBUG)."""


@dataclass
class TargetState:
    """AWS target status plus the synchronized catalogue (get-gateway-target's status/statusReasons)."""

    spec: TargetSpec
    status: str = "CREATING"
    status_reasons: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    last_synchronized_at: float | None = None
    sync_attempted: bool = False


def _leaf(exc: BaseException) -> BaseException:
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return exc


def _describe(exc: BaseException, endpoint: str) -> str:
    exc = _leaf(exc)
    if isinstance(exc, MCPError):
        return f"target {endpoint} returned JSON-RPC error {exc.error.code}: {exc.error.message}"
    if isinstance(exc, TimeoutError):
        return f"target {endpoint} did not answer in time"
    if isinstance(exc, httpx2.HTTPError):
        return f"cannot reach target {endpoint} ({type(exc).__name__}: {exc})"
    return f"target {endpoint} failed: {type(exc).__name__}: {exc}"


class _HeaderAuth(httpx2.Auth):
    """Adds the connection's current outbound credential to each request (set before every call)."""

    def __init__(self, connection: _Connection) -> None:
        self.connection = connection

    def auth_flow(self, request: httpx2.Request) -> Any:
        for name, value in self.connection.headers.items():
            request.headers[name] = value
        response = yield request
        if request.method == "POST":  # not the optional GET stream / DELETE of the SDK transport
            self.connection.last_status = response.status_code
            self.connection.last_headers = dict(response.headers)


class _Connection:
    """One initialized MCP client session to one target, owned by a background task."""

    def __init__(self, url: str, timeout: float) -> None:
        self.url = url
        self.timeout = timeout
        self.headers: dict[str, str] = {}
        self.last_status: int | None = None
        self.last_headers: dict[str, str] = {}
        self.loop: asyncio.AbstractEventLoop | None = None
        self._session: ClientSession | None = None
        self._task: asyncio.Task[None] | None = None
        self._closing: asyncio.Event | None = None
        self._lock = LoopLocal(asyncio.Lock)

    @property
    def alive(self) -> bool:
        return (
            self._session is not None
            and self._task is not None
            and not self._task.done()
            and self.loop is asyncio.get_running_loop()
        )

    async def session(self) -> ClientSession:
        async with self._lock.get():
            if not self.alive:
                await self._start()
            assert self._session is not None
            return self._session

    async def _start(self) -> None:
        loop = asyncio.get_running_loop()
        self.loop = loop
        ready: asyncio.Future[ClientSession] = loop.create_future()
        self._closing = asyncio.Event()
        self._task = loop.create_task(self._run(ready, self._closing))
        try:
            self._session = await asyncio.wait_for(asyncio.shield(ready), self.timeout)
        except BaseException:
            self._closing.set()
            ready.add_done_callback(_retrieved)  # nobody waits for it any more (timed out, or cancelled by a stop)
            raise

    async def _run(self, ready: asyncio.Future[ClientSession], closing: asyncio.Event) -> None:
        try:
            timeout = httpx2.Timeout(self.timeout, read=self.timeout)
            async with (
                httpx2.AsyncClient(
                    auth=_HeaderAuth(self),
                    timeout=timeout,
                    trust_env=False,
                    headers={"User-Agent": USER_AGENT},
                    verify=client_context(),
                ) as http,
                streamable_http_client(self.url, http_client=http, terminate_on_close=False) as (read, write),
                ClientSession(read, write, read_timeout_seconds=self.timeout) as session,
            ):
                await session.initialize()
                if not ready.done():
                    ready.set_result(session)
                await closing.wait()
        except BaseException as exc:  # surfaced to the waiting caller
            if not ready.done():
                ready.set_exception(
                    _leaf(exc) if isinstance(_leaf(exc), Exception) else RuntimeError(str(exc))
                )
        finally:
            self._session = None

    async def close(self) -> None:
        if self._closing is not None:
            self._closing.set()
        task, self._task = self._task, None
        if task is not None and self.loop is asyncio.get_running_loop():
            if self._session is None:  # still connecting (a stack stopping during the start-up sync): stop that
                task.cancel()
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(task, 5)


def _retrieved(future: asyncio.Future[Any]) -> None:
    """Mark a future's outcome as seen (asyncio logs an exception nobody retrieved, with its traceback)."""
    if not future.cancelled():
        future.exception()


class TargetPool:
    """Connections to all targets, keyed by (target, credential identity)."""

    def __init__(self, credentials: OutboundCredentials, *, timeout: Callable[[], float]) -> None:
        self.credentials = credentials
        self.timeout = timeout
        self._connections: dict[tuple[str, str], _Connection] = {}
        self._retired: list[_Connection] = []
        self.calls = 0

    async def close_all(self) -> None:
        self.retire_all()
        await self.close_retired()

    def retire_all(self) -> None:
        """Forget every connection now (sync); they are closed at the next `close_retired` on their loop."""
        self._retired.extend(self._connections.values())
        self._connections = {}

    async def close_retired(self) -> None:
        retired, self._retired = self._retired, []
        for connection in retired:
            await connection.close()

    def _url(self, endpoint: str, query: dict[str, str]) -> str:
        if not query:
            return endpoint
        parts = urlsplit(endpoint)
        extra = urlencode(query)
        return urlunsplit(parts._replace(query=f"{parts.query}&{extra}" if parts.query else extra))

    async def _run(
        self,
        spec: TargetSpec,
        subject: str | None,
        subject_token: str | None,
        op: Callable[[ClientSession], Awaitable[dict[str, Any]]],
        ctx: CallContext | None = None,
    ) -> dict[str, Any]:
        if spec.endpoint is None:
            raise TargetFailure(
                f"target {spec.name!r} is a {spec.kind} target; only mcpServer targets are emulated"
            )
        key = (spec.name, self.credentials.connection_key(spec, subject))
        last: BaseException | None = None
        for attempt in range(2):
            try:
                headers, query = await self.credentials.for_target(spec, subject_token)
            except CredentialError as exc:
                raise TargetFailure(f"outbound credential for target {spec.name!r}: {exc.reason}") from exc
            headers, query = outgoing(spec, ctx, headers, query)  # metadataConfiguration, interceptor headers
            url = self._url(spec.endpoint, query)
            connection = self._connections.get(key)
            if (
                connection is None
                or connection.url != url
                or (connection.loop is not None and connection.loop is not asyncio.get_running_loop())
            ):
                if connection is not None:
                    await connection.close()
                connection = self._connections[key] = _Connection(url, self.timeout())
            connection.headers = headers
            connection.last_status = None
            try:
                session = await connection.session()
                self.calls += 1
                result = await op(session)
                returned(spec, ctx, connection.last_headers)
                return result
            except MCPError as exc:
                if connection.last_status in (401, 403, 404) and attempt == 0:
                    last = exc
                    await self._drop(key, spec, subject_token, connection.last_status)
                    continue
                gone = exc.error.code == -32000 or exc.error.message == "Session terminated"  # SDK wording
                if attempt == 0 and (gone or (exc.error.code == -32603 and connection.last_status is None)):
                    last = exc  # the connection or the target's session went away: reconnect once
                    await self._drop(key, spec, subject_token, None)
                    continue
                raise TargetFailure(self._status_reason(exc, spec, connection.last_status)) from exc
            except (Exception, BaseExceptionGroup) as exc:
                await self._drop(key, spec, subject_token, connection.last_status)
                leaf = _leaf(exc)
                if attempt == 0 and connection.last_status in (401, 403):
                    last = leaf
                    continue
                raise TargetFailure(self._status_reason(leaf, spec, connection.last_status)) from exc
        assert last is not None
        raise TargetFailure(self._status_reason(last, spec, None))

    def _status_reason(self, exc: BaseException, spec: TargetSpec, status: int | None) -> str:
        text = _describe(exc, spec.endpoint or spec.name)
        if status in (401, 403):
            text += f" (HTTP {status}: the target rejected the gateway's outbound credential)"
        return text

    async def _drop(
        self, key: tuple[str, str], spec: TargetSpec, subject_token: str | None, status: int | None
    ) -> None:
        connection = self._connections.pop(key, None)
        if connection is not None:
            await connection.close()
        if status in (401, 403):
            self.credentials.invalidate(spec, subject_token)

    async def list_tools(
        self, spec: TargetSpec, *, subject: str | None = None, subject_token: str | None = None
    ) -> list[dict[str, Any]]:
        async def op(session: ClientSession) -> dict[str, Any]:
            tools: list[dict[str, Any]] = []
            cursor: str | None = None
            for _ in range(1000):
                params = types.PaginatedRequestParams(cursor=cursor) if cursor else None
                page: dict[str, Any] = await session.send_request(types.ListToolsRequest(params=params), _RAW)
                tools.extend(t for t in page.get("tools", []) if isinstance(t, dict))
                cursor = page.get("nextCursor")
                if not cursor:
                    break
            return {"tools": tools}

        tools: list[dict[str, Any]] = (await self._run(spec, subject, subject_token, op))["tools"]
        return tools

    async def call_tool(
        self,
        spec: TargetSpec,
        tool: str,
        arguments: dict[str, Any] | None,
        *,
        subject: str | None = None,
        subject_token: str | None = None,
        progress: ProgressFnT | None = None,
        ctx: CallContext | None = None,
    ) -> dict[str, Any]:
        async def op(session: ClientSession) -> dict[str, Any]:
            request = types.CallToolRequest(
                params=types.CallToolRequestParams(name=tool, arguments=arguments)
            )
            result: dict[str, Any] = await session.send_request(request, _RAW, progress_callback=progress)
            return result

        return await self._run(spec, subject, subject_token, op, ctx)
