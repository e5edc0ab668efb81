"""A lean HTTP/1.1 load generator for the benches: keep-alive connections, one request in flight on each, the
same pre-built request bytes every time, responses parsed by httptools (the C parser uvicorn uses) or, where
its wheel is missing, by h11.

It costs the client a few tens of microseconds per request, so the server is what a bench measures (an httpx
client costs ~0.5 ms per request of the same two cores). `run_level` drives one server at one concurrency for a
duration and returns requests/s and latency percentiles; every response's status and body are checked.

    from loadgen import post_request, run_level
    level = asyncio.run(run_level("http://127.0.0.1:8000", post_request(...), concurrency=8, seconds=3))
"""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode, urlsplit

try:
    import httptools
except ImportError:  # pragma: no cover - the pure-Python fallback
    httptools = None
import h11

__all__ = ["Level", "get_request", "json_request", "parser_name", "post_request", "run_level"]


def parser_name() -> str:
    return "httptools" if httptools is not None else "h11"


def post_request(url: str, form: dict[str, str], headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one form POST to `url` (keep-alive)."""
    body = urlencode(form).encode()
    parts = urlsplit(url)
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}",
             "Content-Type: application/x-www-form-urlencoded", f"Content-Length: {len(body)}",
             *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def json_request(url: str, payload: Any, headers: dict[str, str] | None = None) -> bytes:
    """The bytes of one JSON POST to `url` (keep-alive)."""
    body = json.dumps(payload).encode()
    parts = urlsplit(url)
    lines = [f"POST {parts.path or '/'} HTTP/1.1", f"Host: {parts.netloc}", "Content-Type: application/json",
             f"Content-Length: {len(body)}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def get_request(url: str, headers: dict[str, str] | None = None) -> bytes:
    parts = urlsplit(url)
    target = parts.path + (f"?{parts.query}" if parts.query else "")
    lines = [f"GET {target or '/'} HTTP/1.1", f"Host: {parts.netloc}", *(f"{k}: {v}" for k, v in (headers or {}).items())]
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


class _Response:
    def __init__(self) -> None:
        self.status = 0
        self.body = bytearray()


class _Client(asyncio.Protocol):
    """One keep-alive connection; `send` writes a request and returns its parsed response."""

    def __init__(self) -> None:
        self.transport: asyncio.Transport | None = None
        self.waiter: asyncio.Future[_Response] | None = None
        self.response = _Response()
        if httptools is not None:
            self._parser: Any = httptools.HttpResponseParser(self)
        else:
            self._h11 = h11.Connection(h11.CLIENT)

    # httptools callbacks
    def on_body(self, body: bytes) -> None:
        self.response.body.extend(body)

    def on_message_complete(self) -> None:
        self.response.status = self._parser.get_status_code()
        self._done()

    def _done(self) -> None:
        response, self.response = self.response, _Response()
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_result(response)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self.transport = transport  # type: ignore[assignment]

    def data_received(self, data: bytes) -> None:
        if httptools is not None:
            self._parser.feed_data(data)
            return
        self._h11.receive_data(data)
        while True:
            event = self._h11.next_event()
            if event is h11.NEED_DATA or event is h11.PAUSED:
                break
            if isinstance(event, h11.Response):
                self.response.status = event.status_code
            elif isinstance(event, h11.Data):
                self.response.body.extend(event.data)
            elif isinstance(event, h11.EndOfMessage):
                self._h11.start_next_cycle()
                self._done()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.waiter is not None and not self.waiter.done():
            self.waiter.set_exception(ConnectionError(f"connection lost: {exc}"))

    async def send(self, request: bytes) -> _Response:
        assert self.transport is not None
        self.waiter = asyncio.get_running_loop().create_future()
        if httptools is None:
            self._h11.send(h11.Request(method="GET", target="/", headers=[("Host", "x")]))  # keep h11's state in step
            self._h11.send(h11.EndOfMessage())
        self.transport.write(request)
        return await self.waiter


@dataclass
class Level:
    concurrency: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    first_error: str = ""

    @property
    def requests(self) -> int:
        return len(self.latencies)

    @property
    def per_second(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0

    def percentile(self, p: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(len(ordered) * p))] * 1000

    @property
    def p50_ms(self) -> float:
        return statistics.median(self.latencies) * 1000 if self.latencies else float("nan")

    def as_dict(self) -> dict[str, Any]:
        return {"concurrency": self.concurrency, "requests": self.requests, "errors": self.errors,
                "per_second": round(self.per_second, 1), "p50_ms": round(self.p50_ms, 3),
                "p99_ms": round(self.percentile(0.99), 3)}


async def run_level(url: str, request: bytes, *, concurrency: int, seconds: float, max_requests: int = 10**9,
                    check: Callable[[int, bytes], str | None] | None = None, warmup: int = 5) -> Level:
    """`concurrency` connections sending `request` back to back for `seconds` (or `max_requests` in all).
    `check(status, body)` returns a problem or None; the default wants a 200."""
    check = check or (lambda status, body: None if status == 200 else f"HTTP {status}: {bytes(body[:200])!r}")
    parts = urlsplit(url)
    loop = asyncio.get_running_loop()
    clients = []
    for _ in range(concurrency):
        _, client = await loop.create_connection(_Client, parts.hostname, parts.port)
        clients.append(client)
    for client in clients:  # connections and first-request costs out of the measurement
        for _ in range(warmup):
            await client.send(request)
    level = Level(concurrency, seconds)
    remaining = max_requests
    started = time.perf_counter()
    deadline = started + seconds

    async def worker(client: _Client) -> None:
        nonlocal remaining
        while remaining > 0 and time.perf_counter() < deadline:
            remaining -= 1
            t0 = time.perf_counter()
            response = await client.send(request)
            level.latencies.append(time.perf_counter() - t0)
            problem = check(response.status, bytes(response.body))
            if problem:
                level.errors += 1
                level.first_error = level.first_error or problem

    await asyncio.gather(*(worker(c) for c in clients))
    level.seconds = time.perf_counter() - started
    for client in clients:
        if client.transport is not None:
            client.transport.close()
    return level
