"""The request log of docs/control-plane.md: one record per request, secrets redacted, JWTs decoded.

An ASGI middleware tees the request and response bodies (bounded), then builds the record after the
response is sent. Handlers explain 4xx/5xx by setting ``request.state.reason`` (the exception handler does
it for every rendered error) and add remarks with ``request.state.notes``.
"""

from __future__ import annotations

import base64
import json
import re
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

from fake_idp.clock import Clock

__all__ = ["RequestLog", "RequestLogMiddleware", "decode_jwt", "json_safe", "redact_token", "scrub"]

SECRET_KEYS = {
    "client_secret",
    "password",
    "code_verifier",
    "refresh_token",
    "subject_token",
    "actor_token",
    "client_assertion",
    "code",
    "access_token",
    "id_token",
    "token",
    "id_token_hint",
    "api_key",
}
TOKEN_KEYS = (
    "access_token",
    "id_token",
    "subject_token",
    "actor_token",
    "token",
    "id_token_hint",
    "refresh_token",
)
REQUEST_HEADERS = ("content-type", "authorization", "host", "accept", "origin", "user-agent", "cookie")
RESPONSE_HEADERS = (
    "content-type",
    "location",
    "www-authenticate",
    "retry-after",
    "x-ratelimit-limit",
    "x-ratelimit-remaining",
    "x-ratelimit-reset",
    "cache-control",
    "set-cookie",
)
MAX_BODY = 8192
CAPTURE_LIMIT = 65536


# Redaction by value, after redaction by key: a bearer token or a ``secret=value`` pair can turn up anywhere (a
# query string, a text/plain body, a Cookie, a tool argument); control-plane.md says every one is redacted.
_JOSE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}")
_SECRET_PAIR = re.compile(
    r"(?i)\b(client_secret|password|code_verifier|refresh_token|access_token|id_token|subject_token|actor_token"
    r"|client_assertion|code|api_key)=([^&\s\"\\,;{}()\[\]]+)"
)


def scrub(text: str) -> str:
    """``text`` with every JOSE token (JWS or JWE) cut to a prefix and every ``secret=value`` pair redacted."""
    text = _JOSE.sub(lambda m: m.group(0)[:10] + "…[redacted]", text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}=[redacted]", text)


def json_safe(value: Any) -> Any:
    """``value`` as strict JSON (RFC 8259 §6), scrubbed: NaN / Infinity become their names (else one body carrying
    ``NaN`` makes ``GET /_authstage/log`` answer 500 for as long as the record is kept), anything odd a string."""
    try:
        text = json.dumps(value, default=str)
    except (RecursionError, ValueError):
        return scrub(str(value)[:MAX_BODY])
    return json.loads(scrub(text), parse_constant=str)


def redact_token(value: str) -> str:
    """Keep a recognisable prefix of tokens (``eyJhbGciOi…[redacted]``, ``v1.M…[redacted]``)."""
    if value.startswith("eyJ"):
        return value[:10] + "…[redacted]"
    if value.startswith("v1.M"):
        return "v1.M…[redacted]"
    return "[redacted]"


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_jwt(token: str) -> dict[str, Any] | None:
    """Header and claims of a JWS (signature dropped), header only of a JWE; None if not a JOSE token."""
    parts = token.split(".")
    if len(parts) not in (3, 5) or not token.startswith("eyJ"):
        return None
    try:
        header = _b64json(parts[0])
        if not isinstance(header, dict):
            return None
        if len(parts) == 5:
            return {"header": header, "claims": None, "encrypted": True}
        claims = _b64json(parts[1])
        return {"header": header, "claims": claims if isinstance(claims, dict) else None}
    except (ValueError, UnicodeDecodeError, RecursionError):
        return None


def _redact_mapping(data: dict[str, Any], where: str, tokens: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, str) and key in TOKEN_KEYS:
            decoded = decode_jwt(value)
            if decoded is not None:
                tokens.append({"where": f"{where}.{key}", **decoded})
        if key in SECRET_KEYS and isinstance(value, str):
            out[key] = redact_token(value) if key in TOKEN_KEYS else "[redacted]"
        else:
            out[key] = value
    return out


def _truncate(text: str) -> str:
    raw = text.encode("utf-8", "replace")
    if len(raw) <= MAX_BODY:
        return text
    return raw[:MAX_BODY].decode("utf-8", "ignore") + f"…[truncated {len(raw) - MAX_BODY} bytes]"


def _body(raw: bytes, ctype: str, where: str, tokens: list[dict[str, Any]], complete: bool) -> Any:
    if not raw:
        return None
    ctype = ctype.split(";")[0].strip().lower()
    text = raw.decode("utf-8", "replace")
    if len(raw) <= MAX_BODY and complete:
        if ctype == "application/json" or ctype.endswith("+json"):
            try:
                doc = json.loads(text)
            except (json.JSONDecodeError, RecursionError):
                return _truncate(text)
            return _redact_mapping(doc, where, tokens) if isinstance(doc, dict) else doc
        if ctype in ("application/x-www-form-urlencoded", ""):
            pairs = parse_qsl(text, keep_blank_values=True)
            if pairs:
                return _redact_mapping(dict(pairs), where, tokens)
    suffix = "" if complete else "…[truncated]"
    return _truncate(text) + suffix


def _redact_url(url: str) -> str:
    try:
        parts = urlsplit(url)
    except ValueError:
        return url

    def clean(qs: str) -> str:
        pairs = parse_qsl(qs, keep_blank_values=True)
        if not any(k in SECRET_KEYS for k, _ in pairs):
            return qs
        return "&".join(
            f"{quote(k)}=" + ("[redacted]" if k in SECRET_KEYS else quote(v, safe="")) for k, v in pairs
        )

    return urlunsplit((parts.scheme, parts.netloc, parts.path, clean(parts.query), clean(parts.fragment)))


class RequestLog:
    """A bounded, thread-safe list of records with monotonically increasing ``seq`` and subscribers."""

    def __init__(self, *, service: str, clock: Clock, max_records: int = 10000) -> None:
        self.service = service
        self.clock = clock
        self._lock = threading.Lock()
        self._records: deque[dict[str, Any]] = deque(maxlen=max_records)
        self._seq = 0
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []

    def add(self, record: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._seq += 1
            record = {"seq": self._seq, **json_safe(record)}
            self._records.append(record)
            subscribers = list(self._subscribers)
        for cb in subscribers:
            try:
                cb(record)
            except Exception:
                pass
        return record

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._records if r["seq"] > since]

    @property
    def next_seq(self) -> int:
        return self._seq

    def clear(self) -> None:
        with self._lock:
            self._records.clear()

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        with self._lock:
            self._subscribers.append(callback)

        def unsubscribe() -> None:
            with self._lock:
                if callback in self._subscribers:
                    self._subscribers.remove(callback)

        return unsubscribe


class RequestLogMiddleware:
    """Pure ASGI middleware; control-plane paths (``/_authstage/``) are not logged."""

    def __init__(self, app: Any, *, log_of: Callable[[], RequestLog]) -> None:
        self.app = app
        self.log_of = log_of

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/_authstage/"):
            await self.app(scope, receive, send)
            return
        log = self.log_of()
        started = log.clock.now()
        t0 = time.perf_counter()
        req_body = bytearray()
        req_complete = True
        resp_body = bytearray()
        resp_complete = True
        status = 0
        resp_headers: list[tuple[bytes, bytes]] = []
        scope.setdefault("state", {})

        async def recv() -> Any:
            nonlocal req_complete
            msg = await receive()
            if msg.get("type") == "http.request":
                chunk = msg.get("body", b"")
                if len(req_body) + len(chunk) <= CAPTURE_LIMIT:
                    req_body.extend(chunk)
                else:
                    req_complete = False
            return msg

        recorded = False

        def record() -> None:
            nonlocal recorded
            if recorded:
                return
            recorded = True
            try:
                self._record(
                    log,
                    scope,
                    started,
                    t0,
                    bytes(req_body),
                    req_complete,
                    status,
                    resp_headers,
                    bytes(resp_body),
                    resp_complete,
                )
            except Exception:
                pass

        pending_start: Any = None

        async def snd(msg: Any) -> None:
            # The start message is held back until the first body chunk, and the record is written before
            # the last chunk leaves: a client that has its answer always finds the record.
            nonlocal status, resp_headers, resp_complete, pending_start
            if msg["type"] == "http.response.start":
                status = msg["status"]
                resp_headers = list(msg.get("headers", []))
                pending_start = msg
                return
            if msg["type"] == "http.response.body":
                chunk = msg.get("body", b"")
                if len(resp_body) + len(chunk) <= CAPTURE_LIMIT:
                    resp_body.extend(chunk)
                else:
                    resp_complete = False
                if not msg.get("more_body", False):
                    record()
            if pending_start is not None:
                start, pending_start = pending_start, None
                await send(start)
            await send(msg)

        try:
            await self.app(scope, recv, snd)
        finally:
            record()

    def _record(
        self,
        log: RequestLog,
        scope: dict[str, Any],
        started: float,
        t0: float,
        req_body: bytes,
        req_complete: bool,
        status: int,
        resp_headers: list[tuple[bytes, bytes]],
        resp_body: bytes,
        resp_complete: bool,
    ) -> None:
        tokens: list[dict[str, Any]] = []
        req_h: dict[str, str] = {}
        for k, v in scope.get("headers", []):
            name = k.decode("latin-1").lower()
            if name in REQUEST_HEADERS:
                value = v.decode("latin-1")
                if name == "authorization":
                    scheme, _, cred = value.partition(" ")
                    if scheme.lower() == "bearer":
                        decoded = decode_jwt(cred.strip())
                        if decoded is not None:
                            tokens.append({"where": "request.headers.authorization", **decoded})
                        value = f"{scheme} {redact_token(cred.strip())}"
                    else:
                        value = f"{scheme} [redacted]"
                elif name == "cookie":
                    value = "[redacted]"
                req_h[name] = value
        resp_h: dict[str, str] = {}
        for k, v in resp_headers:
            name = k.decode("latin-1").lower()
            if name in RESPONSE_HEADERS:
                value = v.decode("latin-1")
                if name == "location":
                    value = _redact_url(value)
                elif name == "set-cookie":
                    value = value.split("=", 1)[0] + "=[redacted]"
                resp_h[name] = value
        query = {
            k: ("[redacted]" if k in SECRET_KEYS else v)
            for k, v in parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)
        }
        state = scope.get("state", {})
        reason = state.get("reason")
        if status >= 400 and not reason:
            reason = f"HTTP {status}"
        record = {
            "time": started,
            "service": log.service,
            "method": scope.get("method", ""),
            "path": scope.get("path", ""),
            "query": query,
            "status": status,
            "reason": reason,
            "notes": list(state.get("notes", [])),
            "duration_ms": round((time.perf_counter() - t0) * 1000, 3),
            "request": {
                "headers": req_h,
                "body": _body(req_body, req_h.get("content-type", ""), "request.body", tokens, req_complete),
            },
            "response": {
                "headers": resp_h,
                "body": _body(
                    resp_body, resp_h.get("content-type", ""), "response.body", tokens, resp_complete
                ),
            },
            "tokens": tokens,
        }
        log.add(record)
