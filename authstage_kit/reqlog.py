"""The request log of docs/control-plane.md: one record per request, secrets redacted, JWTs decoded, capped.

:class:`RequestLog` keeps the newest records (bounded, thread-safe, with subscribers); the ASGI
:class:`RequestLogMiddleware` tees the request and response bodies (bounded) and writes the record before the last
response byte leaves, so a client that has its answer always finds the record. Writing is cheap: what the record is
made of is captured as served, and the record itself (tokens decoded, secrets redacted) is built when someone reads
it — ``records()``, or at once for a subscriber — so traffic nobody inspects costs no redaction (docs/performance.md). Handlers explain a 4xx/5xx by
setting ``scope["state"]["reason"]`` (``request.state.reason``) and add remarks to ``scope["state"]["notes"]``.
Control-plane paths (``/_authstage/``) are never logged.

A client that goes away before its answer (a closed socket, a body cut short, a connection the server closed
because it stalled) costs one warning line and a record with status 499 (nginx's "client closed request"), never
a traceback: whatever the app raises once the client is gone (Starlette's ``ClientDisconnect`` reading the body,
the cancellation of its task) ends the request quietly. ``ClientGoneFilter`` drops the traceback a library logs
for the same event (the MCP SDK's "Error handling POST request").
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authstage_kit import redact
from authstage_kit.clock import Clock

__all__ = ["CAPTURE_LIMIT", "CLIENT_GONE", "CONTROL_PREFIX", "REASON_HEADER", "ClientGoneFilter", "PendingRecord",
           "Record", "RequestLog", "RequestLogMiddleware"]

CONTROL_PREFIX = "/_authstage"
REASON_HEADER = "x-authstage-reason"
CLIENT_GONE = 499  # nginx's "client closed request": the status a request's record gets when nobody is left to answer
_LOGGER = logging.getLogger("uvicorn.error")  # the server's own log: the one line a vanished client costs
CAPTURE_LIMIT = 65536  # bytes of each body kept while a request is served; the record keeps redact.MAX_TEXT of them
Record = dict[str, Any]


class RequestLog:
    """The newest ``max_records`` records, each with a monotonically increasing ``seq``; thread-safe.

    A record is added built (``add``) or as the function that builds it (``add_deferred``): it is built on first
    read, at once when someone subscribes for built records. A subscriber with ``pending=True`` gets each record as
    a `PendingRecord` instead, built only if it asks (the replayer keeps a run's traffic so, for reports)."""

    def __init__(self, *, service: str, clock: Clock, max_records: int = 10000) -> None:
        self.service = service
        self.clock = clock
        self._lock = threading.Lock()
        self._records: deque[Record | PendingRecord] = deque(maxlen=max(1, max_records))
        self._seq = 0
        self._deferred = 0  # how many of _records are not built yet
        self._subscribers: list[tuple[Callable[[Any], None], bool]] = []

    def resize(self, max_records: int) -> None:
        with self._lock:
            if self._records.maxlen != max(1, max_records):
                self._records = deque(self._records, maxlen=max(1, max_records))
                self._deferred = sum(isinstance(r, PendingRecord) for r in self._records)

    def add(self, record: Record) -> Record:
        return self._add(PendingRecord(0, self.service, None, record))

    def add_deferred(self, build: Callable[[], Record]) -> None:
        """Add the record `build()` returns, built when it is first read."""
        self._add(PendingRecord(0, self.service, build))

    def _add(self, pending: PendingRecord) -> Record:
        with self._lock:
            self._seq += 1
            pending.seq = self._seq
            subscribers = list(self._subscribers)
            record: Record | None = {}
            if pending.build is None or any(not lazy for _, lazy in subscribers):
                record = pending.record()
                if record is None:
                    return {}
                self._append(record)
            else:
                self._append(pending)
        for callback, lazy in subscribers:
            try:
                callback(pending if lazy else record)
            except Exception:  # a subscriber's bug must not fail the request it watches
                pass
        return record or {}

    def _append(self, item: Record | PendingRecord) -> None:
        records = self._records
        if len(records) == records.maxlen and isinstance(records[0], PendingRecord):
            self._deferred -= 1  # the oldest falls out unread
        records.append(item)
        if isinstance(item, PendingRecord):
            self._deferred += 1

    def records(self, since: int = 0) -> list[Record]:
        with self._lock:
            if self._deferred:
                built = (r.record() if isinstance(r, PendingRecord) else r for r in self._records)
                self._records = deque((r for r in built if r is not None), maxlen=self._records.maxlen)
                self._deferred = 0
            built_only = cast("deque[Record]", self._records)  # every item is built now
            return [r for r in built_only if r["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
            self._deferred = 0

    def subscribe(self, callback: Callable[[Any], None], *, pending: bool = False) -> Callable[[], None]:
        """Call ``callback(record)`` for every new record (``pending``: with its `PendingRecord`); returns the
        unsubscribe function."""
        entry = (callback, pending)
        with self._lock:
            self._subscribers.append(entry)

        def unsubscribe() -> None:
            with self._lock:
                if entry in self._subscribers:
                    self._subscribers.remove(entry)

        return unsubscribe


class PendingRecord:
    """A record, built on first `record()`: its number, its service and what it is built from (a finished record,
    or the function that builds one: a bound method of the captured exchange, so it pickles, for the replay's
    worker processes)."""

    __slots__ = ("_raw", "_record", "build", "seq", "service")

    def __init__(self, seq: int, service: str, build: Callable[[], Record] | None,
                 raw: Record | None = None) -> None:
        self.seq, self.service, self.build, self._raw = seq, service, build, raw
        self._record: Record | None = None

    def record(self) -> Record | None:
        """The record (None: it cannot be built: the log must never fail a request, such a record is dropped)."""
        if self._record is None and (self.build is not None or self._raw is not None):
            try:
                source = self.build() if self.build is not None else self._raw
                self._record = {"seq": self.seq, "service": self.service, **redact.json_safe(source)}
            except Exception:
                self.build = self._raw = None
        return self._record


class _Tee:
    """The first CAPTURE_LIMIT bytes of a body and whether that is all of it."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.complete = True

    def add(self, chunk: bytes) -> None:
        if len(self.data) + len(chunk) <= CAPTURE_LIMIT:
            self.data.extend(chunk)
        else:
            self.data.extend(chunk[: CAPTURE_LIMIT - len(self.data)])
            self.complete = False


class ClientGoneFilter(logging.Filter):
    """Drops a library's traceback for a client that went away (the request log's warning line says it once)."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        return type(error).__name__ != "ClientDisconnect"


class RequestLogMiddleware:
    """Pure ASGI middleware writing one record per request outside ``/_authstage/`` to ``log``."""

    def __init__(self, app: ASGIApp, *, log: RequestLog, reason_header: Callable[[], bool] | None = None) -> None:
        self.app = app
        self.log = log
        self.reason_header = reason_header or (lambda: False)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith(CONTROL_PREFIX + "/"):
            await self.app(scope, receive, send)
            return
        scope.setdefault("state", {})
        exchange = _Exchange(scope, self.log.clock.now())

        async def receive_logged() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                exchange.request.add(message.get("body", b""))
                exchange.received += len(message.get("body", b""))
            elif message["type"] == "http.disconnect" and not exchange.answered:
                exchange.gone = True
            return message

        async def send_logged(message: Message) -> None:
            if message["type"] == "http.response.start":
                exchange.status = message["status"]
                exchange.headers = list(message.get("headers", []))
                exchange.pending = message
                return  # held back until the first body chunk, so the record can precede the last byte
            if message["type"] == "http.response.body":
                exchange.response.add(message.get("body", b""))
                if not message.get("more_body", False) and not exchange.gone:
                    exchange.answered = True
                    self._write(exchange)
            if exchange.pending is not None:
                start, exchange.pending = exchange.pending, None
                await send(self._with_reason(start, scope))
            await send(message)

        try:
            await self.app(scope, receive_logged, send_logged)
        except (Exception, asyncio.CancelledError):
            if not exchange.gone:
                raise  # a real failure: the server's error handling answers and logs it
        finally:
            if exchange.gone:
                self._gone(exchange)
            self._write(exchange)

    def _with_reason(self, start: Message, scope: Scope) -> Message:
        """The opt-in ``X-Authstage-Reason`` header (docs/control-plane.md): a refusal's reason for clients that
        cannot read the request log (ASCII, one line, at most 512 characters)."""
        reason = scope.get("state", {}).get("reason")
        if not reason or start["status"] < 400 or not self.reason_header():
            return start
        value = " ".join(str(reason).split()).encode("ascii", "backslashreplace")[:512]
        return {**start, "headers": [*start.get("headers", []), (REASON_HEADER.encode(), value)]}

    @staticmethod
    def _gone(exchange: _Exchange) -> None:
        """The one line a vanished client costs; its record says 499 and why."""
        state = exchange.scope.setdefault("state", {})
        why = state.get("closed") or "the client went away before the answer"
        state["reason"] = f"{why} ({exchange.received} body bytes received)"
        exchange.status = CLIENT_GONE
        client = exchange.scope.get("client") or ("?", 0)
        _LOGGER.warning("%s:%s %s %s: %s", client[0], client[1], exchange.scope.get("method", ""),
                        exchange.scope.get("path", ""), state["reason"])

    def _write(self, exchange: _Exchange) -> None:
        if exchange.recorded:
            return
        exchange.recorded = True
        try:
            captured = exchange.captured()
            if captured.large:  # kept built: a record holds MAX_TEXT bytes of a body, the capture up to 64 KB
                self.log.add(captured.record())
            else:
                self.log.add_deferred(captured.record)
        except Exception:  # the log must never fail a request; a record that cannot be built is dropped
            pass


class _Exchange:
    """One request/response pair being served; `captured()` when it ends."""

    def __init__(self, scope: Scope, started: float) -> None:
        self.scope = scope
        self.started = started
        self.t0 = time.perf_counter()
        self.request = _Tee()
        self.response = _Tee()
        self.status = 0
        self.headers: list[tuple[bytes, bytes]] = []
        self.pending: Message | None = None
        self.recorded = False
        self.received = 0  # request body bytes the app read
        self.gone = False  # the client disconnected before its answer was complete
        self.answered = False

    def captured(self) -> _Captured:
        """What the record is made of, copied now (the scope is not kept: a record may be built much later)."""
        scope = self.scope
        state = scope.get("state", {})
        reason = state.get("reason")
        if self.status >= 400 and not reason:
            reason = f"HTTP {self.status}"
        return _Captured(
            time=self.started,
            method=scope.get("method", ""),
            path=scope.get("path", ""),
            query=scope.get("query_string", b""),
            status=self.status,
            reason=reason,
            fix=state.get("fix"),
            notes=list(state.get("notes", [])),
            duration_ms=round((time.perf_counter() - self.t0) * 1000, 3),
            request_headers=list(scope.get("headers", [])),
            response_headers=self.headers,
            request_body=(bytes(self.request.data), self.request.complete),
            response_body=(bytes(self.response.data), self.response.complete),
        )


@dataclass
class _Captured:
    time: float
    method: str
    path: str
    query: bytes
    status: int
    reason: str | None
    fix: str | None
    notes: list[str]
    duration_ms: float
    request_headers: list[tuple[bytes, bytes]]
    response_headers: list[tuple[bytes, bytes]]
    request_body: tuple[bytes, bool]  # the teed bytes, and whether that is all of the body
    response_body: tuple[bytes, bool]

    @property
    def large(self) -> bool:
        return len(self.request_body[0]) > redact.MAX_TEXT or len(self.response_body[0]) > redact.MAX_TEXT

    def record(self) -> Record:
        tokens: list[dict[str, Any]] = []
        request_headers = _headers(self.request_headers, "request.headers", tokens)
        response_headers = _headers(self.response_headers, "response.headers", tokens)
        return {
            "time": self.time,
            "method": self.method,
            "path": self.path,
            "query": redact.redact_query(self.query.decode("latin-1")),
            "status": self.status,
            "reason": self.reason,
            **({"fix": self.fix} if self.fix else {}),
            "notes": self.notes,
            "duration_ms": self.duration_ms,
            "request": {
                "headers": request_headers,
                "body": _body(self.request_body, request_headers.get("content-type", ""), "request.body", tokens),
            },
            "response": {
                "headers": response_headers,
                "body": _body(self.response_body, response_headers.get("content-type", ""), "response.body", tokens),
            },
            "tokens": tokens,
        }


def _headers(raw: list[tuple[bytes, bytes]], where: str, tokens: list[dict[str, Any]]) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in raw:
        name, text = key.decode("latin-1").lower(), value.decode("latin-1")
        if name in ("authorization", "proxy-authorization"):
            scheme, _, credential = text.strip().partition(" ")
            if scheme.lower() == "bearer" and (decoded := redact.decode_unverified(credential.strip())):
                tokens.append({"where": f"{where}.{name}", **decoded})
        out[name] = redact.redact_header(name, text) if name not in out else out[name] + ", " + redact.redact_header(name, text)
    return out


def _truncate(text: str) -> str:
    raw = text.encode("utf-8", "replace")
    if len(raw) <= redact.MAX_TEXT:
        return text
    return raw[:redact.MAX_TEXT].decode("utf-8", "ignore") + f"…[truncated {len(raw) - redact.MAX_TEXT} bytes]"


def _body(teed: tuple[bytes, bool], content_type: str, where: str, tokens: list[dict[str, Any]]) -> Any:
    raw, complete = teed
    if not raw:
        return None
    ctype = content_type.split(";")[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if complete and len(raw) <= redact.MAX_TEXT:
        if ctype in ("application/x-www-form-urlencoded", "") and "=" in text and not text.lstrip().startswith(("{", "[")):
            pairs = parse_qsl(text, keep_blank_values=True)
            if pairs:
                return _mapping(dict(pairs), where, tokens)
        if ctype == "application/json" or ctype.endswith("+json") or text.lstrip().startswith(("{", "[")):
            try:
                document = json.loads(text)
            except (ValueError, RecursionError):
                return redact.scrub(_truncate(text))
            if redact.nesting(document) > redact.LOG_DEPTH:
                return redact.scrub(_truncate(text))
            return _mapping(document, where, tokens) if isinstance(document, dict) else redact.redact(document)
    return redact.scrub(_truncate(text)) + ("" if complete else "…[truncated]")


def _mapping(document: dict[str, Any], where: str, tokens: list[dict[str, Any]]) -> dict[str, Any]:
    """A top-level object: tokens under token-ish keys decoded into ``tokens``, then every secret redacted."""
    for key, value in document.items():
        if isinstance(value, str) and redact.is_token_name(key) and (decoded := redact.decode_unverified(value)):
            tokens.append({"where": f"{where}.{key}", **decoded})
    return dict(redact.redact(document))
