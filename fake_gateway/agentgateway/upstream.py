"""agentgateway as an MCP client of its targets: one connection per target per downstream session, messages relayed
as they are (the downstream's own `initialize` goes upstream) [AG:src/mcp/upstream/mod.rs, stdio.rs].

- `stdio`: the command is spawned as agentgateway spawns it (tokio `Command`): found on PATH (`which`), the
  gateway's whole environment plus `env` (only `env` with `clear_env: true`), newline-delimited JSON-RPC on
  stdin/stdout [AG:src/mcp/upstream/mod.rs#L626-L660]. Each stateful session starts its own process.
- `mcp` (streamable HTTP): POSTs with `Accept: application/json, text/event-stream`, the upstream's session id and
  protocol version echoed back; a JSON or SSE answer (httpx2's EventSource); a non-2xx answer is passed back to
  the client unchanged (`UpstreamHttpError`), e.g. a target that wants the user's token answers 401 (sheet §5 #10).
- `sse` (legacy SSE): the `mcp` SDK's `sse_client` transport, at the message level.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import shutil
from collections.abc import Callable
from typing import Any

import httpx2
from mcp.client.sse import sse_client
from mcp.shared.message import SessionMessage
from mcp_types import JSONRPCMessage
from pydantic import TypeAdapter

from authstage_kit.tls import client_context
from fake_gateway.agentgateway.config import TargetSpec
from fake_gateway.agentgateway.errors import UpstreamHttpError

__all__ = ["Upstream", "UpstreamFailure", "connect_target"]

USER_AGENT = "authstage-agentgateway/0.1"
_MESSAGE: TypeAdapter[Any] = TypeAdapter(JSONRPCMessage)


class UpstreamFailure(Exception):
    """The target could not be reached or answered nothing usable (`failed to send message: ...`)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class Upstream:
    """One connection to one target; `request` returns the JSON-RPC response message."""

    def __init__(self, name: str, timeout: float) -> None:
        self.name = name
        self.timeout = timeout
        self._pending: dict[Any, asyncio.Future[dict[str, Any]]] = {}

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message["id"]] = future
        try:
            await self._send(message)
            return await asyncio.wait_for(future, self.timeout)
        except TimeoutError:
            raise UpstreamFailure(f"target {self.name!r} did not answer within {self.timeout:g} s") from None
        finally:
            self._pending.pop(message["id"], None)

    async def notify(self, message: dict[str, Any]) -> None:
        await self._send(message)

    def _deliver(self, message: dict[str, Any]) -> None:
        future = self._pending.get(message.get("id")) if "method" not in message else None
        if future is not None and not future.done():
            future.set_result(message)

    def _fail_all(self, reason: str) -> None:
        for future in self._pending.values():
            if not future.done():
                future.set_exception(UpstreamFailure(reason))

    async def _send(self, message: dict[str, Any]) -> None:
        raise NotImplementedError

    async def close(self) -> None:
        """Release the connection (stop the process, end the upstream session)."""


class StdioUpstream(Upstream):
    def __init__(self, spec: TargetSpec, timeout: float) -> None:
        super().__init__(spec.name, timeout)
        self.spec = spec
        self.process: asyncio.subprocess.Process | None = None
        self._reader: asyncio.Task[None] | None = None

    async def start(self) -> None:
        spec = self.spec
        command = shutil.which(spec.cmd or "")
        if command is None:
            raise UpstreamFailure(f"failed to start stdio server: cannot find binary path ({spec.cmd!r})")
        env = dict(spec.env) if spec.clear_env else {**os.environ, **dict(spec.env)}
        try:
            self.process = await asyncio.create_subprocess_exec(
                command, *spec.args, stdin=asyncio.subprocess.PIPE, stdout=asyncio.subprocess.PIPE,
                stderr=asyncio.subprocess.DEVNULL, env=env, limit=16 * 1024 * 1024,
            )
        except OSError as exc:
            raise UpstreamFailure(f"failed to start stdio server: {exc}") from exc
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        assert self.process is not None and self.process.stdout is not None
        while line := await self.process.stdout.readline():
            with contextlib.suppress(ValueError):
                message = json.loads(line)
                if isinstance(message, dict):
                    self._deliver(message)
        self._fail_all(f"stdio server {self.name!r} exited")

    async def _send(self, message: dict[str, Any]) -> None:
        if self.process is None or self.process.stdin is None or self.process.returncode is not None:
            raise UpstreamFailure(f"stdio server {self.name!r} is not running")
        try:
            self.process.stdin.write(json.dumps(message, separators=(",", ":")).encode() + b"\n")
            await self.process.stdin.drain()
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise UpstreamFailure(f"stdio server {self.name!r}: {exc}") from exc

    async def close(self) -> None:
        process, self.process = self.process, None
        if process is None:
            return
        if process.stdin is not None:
            process.stdin.close()
        with contextlib.suppress(ProcessLookupError):
            process.terminate()
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                process.kill()
            await process.wait()
        if self._reader is not None:
            self._reader.cancel()


class HttpUpstream(Upstream):
    """Streamable HTTP, message by message, keeping the upstream's `mcp-session-id`."""

    def __init__(self, spec: TargetSpec, timeout: float, headers: Callable[[], dict[str, str]]) -> None:
        super().__init__(spec.name, timeout)
        self.url = spec.url or ""
        self.extra_headers = headers
        self.session_id: str | None = None
        self.protocol_version: str | None = None
        self.http = httpx2.AsyncClient(timeout=httpx2.Timeout(timeout), trust_env=False, verify=client_context(),
                                       headers={"User-Agent": USER_AGENT})

    def _headers(self) -> dict[str, str]:
        headers = {"accept": "application/json, text/event-stream", "content-type": "application/json",
                   **self.extra_headers()}
        if self.session_id:
            headers["mcp-session-id"] = self.session_id
        if self.protocol_version:
            headers["mcp-protocol-version"] = self.protocol_version
        return headers

    async def request(self, message: dict[str, Any]) -> dict[str, Any]:
        try:
            async with self.http.stream("POST", self.url, json=message, headers=self._headers()) as response:
                if response.status_code >= 400:
                    body = await response.aread()
                    raise UpstreamHttpError(response.status_code, dict(response.headers), body,
                                            f"target {self.name!r} answered HTTP {response.status_code}")
                if sid := response.headers.get("mcp-session-id"):
                    self.session_id = sid
                answer = await self._answer(response, message.get("id"))
        except httpx2.HTTPError as exc:
            raise UpstreamFailure(f"target {self.name!r} ({self.url}): {type(exc).__name__}: {exc}") from exc
        result = answer.get("result")
        if message.get("method") == "initialize" and isinstance(result, dict):
            self.protocol_version = result.get("protocolVersion")
        return answer

    async def _answer(self, response: httpx2.Response, rpc_id: Any) -> dict[str, Any]:
        if "text/event-stream" in response.headers.get("content-type", ""):
            async for event in httpx2.EventSource(response):
                with contextlib.suppress(ValueError):
                    message = json.loads(event.data)
                    if isinstance(message, dict) and "method" not in message and message.get("id") == rpc_id:
                        return message
            raise UpstreamFailure(f"target {self.name!r} closed its event stream without an answer")
        try:
            message = json.loads(await response.aread())
        except ValueError as exc:
            raise UpstreamFailure(f"target {self.name!r} answered no JSON: {exc}") from exc
        if not isinstance(message, dict):
            raise UpstreamFailure(f"target {self.name!r} answered a {type(message).__name__}")
        return message

    async def notify(self, message: dict[str, Any]) -> None:
        with contextlib.suppress(httpx2.HTTPError):
            await self.http.post(self.url, json=message, headers=self._headers())

    async def close(self) -> None:
        if self.session_id:
            with contextlib.suppress(httpx2.HTTPError):
                await self.http.delete(self.url, headers=self._headers())
        await self.http.aclose()


class SseUpstream(Upstream):
    """Legacy SSE through the SDK transport, owned by one background task."""

    def __init__(self, spec: TargetSpec, timeout: float) -> None:
        super().__init__(spec.name, timeout)
        self.url = spec.url or ""
        self._outbox: asyncio.Queue[dict[str, Any] | None] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None

    async def start(self) -> None:
        ready: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self._task = asyncio.ensure_future(self._run(ready))
        try:
            await asyncio.wait_for(asyncio.shield(ready), self.timeout)
        except (TimeoutError, OSError) as exc:
            await self.close()
            raise UpstreamFailure(f"target {self.name!r} ({self.url}): {type(exc).__name__}: {exc}") from exc

    async def _run(self, ready: asyncio.Future[None]) -> None:
        try:
            async with sse_client(self.url, timeout=self.timeout) as (read, write):
                ready.set_result(None)
                pump = asyncio.ensure_future(self._pump(read))
                try:
                    while (message := await self._outbox.get()) is not None:
                        await write.send(SessionMessage(_MESSAGE.validate_python(message)))
                finally:
                    pump.cancel()
        except Exception as exc:  # surfaced to the waiting callers
            if not ready.done():
                ready.set_exception(OSError(str(exc)))
            self._fail_all(f"target {self.name!r}: {exc}")

    async def _pump(self, read: Any) -> None:
        async for item in read:
            if isinstance(item, SessionMessage):
                self._deliver(item.message.model_dump(by_alias=True, exclude_none=True, mode="json"))

    async def _send(self, message: dict[str, Any]) -> None:
        await self._outbox.put(message)

    async def close(self) -> None:
        await self._outbox.put(None)
        if self._task is not None:
            with contextlib.suppress(BaseException):
                await asyncio.wait_for(self._task, 5)


async def connect_target(spec: TargetSpec, timeout: float, headers: Callable[[], dict[str, str]]) -> Upstream:
    """An open connection to one target (a started process, a ready SSE stream, an HTTP client)."""
    if spec.kind == "stdio":
        stdio = StdioUpstream(spec, timeout)
        await stdio.start()
        return stdio
    if spec.kind == "sse":
        sse = SseUpstream(spec, timeout)
        await sse.start()
        return sse
    if spec.kind == "mcp":
        return HttpUpstream(spec, timeout, headers)
    raise UpstreamFailure(f"target {spec.name!r}: {spec.kind} targets are not emulated (stdio, mcp, sse are)")
