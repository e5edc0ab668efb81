"""A held door in front of a service: client-check starts the next clients while a scenario still runs (a client
spends most of its time starting its interpreter and importing its libraries), and lets a client's connections
through only once its own scenario is the stack's.

Each gate is a loopback TCP port that forwards bytes, unchanged, to one service: the client's `Host` names the gate,
so the services derive every URL they publish from it (the resource, the challenge, the co-located issuer) exactly
as they would from their own port. Until `release()`, accepted connections wait unanswered; after `close()` they
are cut. All gates share one event loop in one background thread.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from concurrent.futures import Future
from typing import Any

from authstage_kit.runner import LOOPBACK

__all__ = ["Gate", "Gates"]

CHUNK = 65536


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
        if writer.can_write_eof():
            writer.write_eof()
    except (ConnectionError, OSError):
        pass


class Gate:
    """One held port in front of `target` (host, port); the target may be named later, up to `release()` (a client
    can start before the stack does)."""

    def __init__(self, gates: Gates, target: tuple[str, int] | None = None) -> None:
        self.target = target
        self._gates = gates
        self._open = asyncio.Event()
        self._closed = False
        self._writers: set[asyncio.StreamWriter] = set()
        self._server: asyncio.base_events.Server | None = None
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://{LOOPBACK}:{self.port}"

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._handle, host=LOOPBACK, port=0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        upstream: asyncio.StreamWriter | None = None
        try:
            await self._open.wait()
            if self._closed or self.target is None:
                return
            up_reader, upstream = await asyncio.open_connection(*self.target)
            self._writers.add(upstream)
            await asyncio.gather(_pipe(reader, upstream), _pipe(up_reader, writer))
        except (ConnectionError, OSError, asyncio.CancelledError):
            pass  # the gate closed under a connection: it is cut, as the scenario is over
        finally:
            for end in (writer, upstream):
                if end is not None:
                    end.close()
                    self._writers.discard(end)

    def release(self) -> None:
        self._gates.call(self._open.set)

    async def _close(self) -> None:
        self._closed = True
        self._open.set()  # waiting connections wake up, see the gate closed and end
        if self._server is not None:
            self._server.close()
        for writer in list(self._writers):
            writer.close()
        self._writers.clear()

    def close(self) -> None:
        self._gates.run(self._close())


class Gates:
    """The event loop (in a daemon thread) that serves every gate of one run."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, name="authstage-gates", daemon=True)
        self._thread.start()

    def run(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self.loop)
        return future.result(10)

    def call(self, fn: Any) -> None:
        self.loop.call_soon_threadsafe(fn)

    def open(self, target: tuple[str, int] | None = None) -> Gate:
        gate = Gate(self, target)
        self.run(gate._start())
        return gate

    async def _shutdown(self) -> None:
        tasks = [t for t in asyncio.all_tasks(self.loop) if t is not asyncio.current_task()]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    def close(self) -> None:
        """Cut every connection and stop the loop."""
        with contextlib.suppress(RuntimeError, TimeoutError):
            self.run(self._shutdown())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
        if not self.loop.is_running():
            self.loop.close()
