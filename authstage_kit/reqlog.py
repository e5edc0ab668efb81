"""The request log of docs/control-plane.md: one record per request, secrets redacted, JWTs decoded, capped.

:class:`RequestLog` keeps the newest records (bounded, thread-safe, with subscribers); the ASGI
:class:`RequestLogMiddleware` tees the request and response bodies (bounded) and writes the record before the last
response byte leaves, so a client that has its answer always finds the record. Handlers explain a 4xx/5xx by
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
from typing import Any
from urllib.parse import parse_qsl

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from authstage_kit import redact
from authstage_kit.clock import Clock

__all__ = ["CAPTURE_LIMIT", "CLIENT_GONE", "CONTROL_PREFIX", "REASON_HEADER", "ClientGoneFilter", "Record",
           "RequestLog", "RequestLogMiddleware"]

CONTROL_PREFIX = "/_authstage"
REASON_HEADER = "x-authstage-reason"
CLIENT_GONE = 499  # nginx's "client closed request": the status a request's record gets when nobody is left to answer
_LOGGER = logging.getLogger("uvicorn.error")  # the server's own log: the one line a vanished client costs
CAPTURE_LIMIT = 65536  # bytes of each body kept while a request is served; the record keeps redact.MAX_TEXT of them
Record = dict[str, Any]


class RequestLog:
    """The newest ``max_records`` records, each with a monotonically increasing ``seq``; thread-safe."""

    def __init__(self, *, service: str, clock: Clock, max_records: int = 10000) -> None:
        self.service = service
        self.clock = clock
        self._lock = threading.Lock()
        self._records: deque[Record] = deque(maxlen=max(1, max_records))
        self._seq = 0
        self._subscribers: list[Callable[[Record], None]] = []

    def resize(self, max_records: int) -> None:
        with self._lock:
            if self._records.maxlen != max(1, max_records):
                self._records = deque(self._records, maxlen=max(1, max_records))

    def add(self, record: Record) -> Record:
        with self._lock:
            self._seq += 1
            record = {"seq": self._seq, "service": self.service, **redact.json_safe(record)}
            self._records.append(record)
            subscribers = list(self._subscribers)
        for callback in subscribers:
            try:
                callback(record)
            except Exception:  # a subscriber's bug must not fail the request it watches
                pass
        return record

    def records(self, since: int = 0) -> list[Record]:
        with self._lock:
            return [r for r in self._records if r["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def subscribe(self, callback: Callable[[Record], None]) -> Callable[[], None]:
        """Call ``callback(record)`` for every new record; returns the unsubscribe function."""
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe


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
            self.log.add(exchange.record())
        except Exception:  # the log must never fail a request; a record that cannot be built is dropped
            pass


class _Exchange:
    """One request/response pair being served, turned into a record at the end."""

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

    def record(self) -> Record:
        tokens: list[dict[str, Any]] = []
        request_headers = _headers(self.scope.get("headers", []), "request.headers", tokens)
        response_headers = _headers(self.headers, "response.headers", tokens)
        state = self.scope.get("state", {})
        reason = state.get("reason")
        if self.status >= 400 and not reason:
            reason = f"HTTP {self.status}"
        fix = {"fix": state["fix"]} if state.get("fix") else {}
        return {
            "time": self.started,
            "method": self.scope.get("method", ""),
            "path": self.scope.get("path", ""),
            "query": redact.redact_query(self.scope.get("query_string", b"").decode("latin-1")),
            "status": self.status,
            "reason": reason,
            **fix,
            "notes": list(state.get("notes", [])),
            "duration_ms": round((time.perf_counter() - self.t0) * 1000, 3),
            "request": {
                "headers": request_headers,
                "body": _body(self.request, request_headers.get("content-type", ""), "request.body", tokens),
            },
            "response": {
                "headers": response_headers,
                "body": _body(self.response, response_headers.get("content-type", ""), "response.body", tokens),
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


def _body(tee: _Tee, content_type: str, where: str, tokens: list[dict[str, Any]]) -> Any:
    raw = bytes(tee.data)
    if not raw:
        return None
    ctype = content_type.split(";")[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if tee.complete and len(raw) <= redact.MAX_TEXT:
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
    return redact.scrub(_truncate(text)) + ("" if tee.complete else "…[truncated]")


def _mapping(document: dict[str, Any], where: str, tokens: list[dict[str, Any]]) -> dict[str, Any]:
    """A top-level object: tokens under token-ish keys decoded into ``tokens``, then every secret redacted."""
    for key, value in document.items():
        if isinstance(value, str) and redact.is_token_name(key) and (decoded := redact.decode_unverified(value)):
            tokens.append({"where": f"{where}.{key}", **decoded})
    return dict(redact.redact(document))
