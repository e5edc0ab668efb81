"""The emulator's control plane for the sample server (`/_authstage/`, see docs/control-plane.md).

State lives in `Control` (config, clock, request log); the routes at the bottom are a thin HTTP adapter.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable
from typing import Any

from joserfc.errors import JoseError
from joserfc.jws import extract_compact
from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from sample_mcp.settings import SampleSettings

__all__ = [
    "LOG_DEPTH",
    "Clock",
    "Control",
    "control_routes",
    "decode_unverified",
    "json_safe",
    "merge_patch",
    "nesting",
    "redact",
    "scrub",
]

SECRET_KEYS = {
    "client_secret",
    "password",
    "code_verifier",
    "refresh_token",
    "access_token",
    "id_token",
    "subject_token",
    "client_assertion",
    "code",
    "api_key",
    "x-api-key",
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
}
MAX_BODY = 8192


class Clock:
    """Wall time plus an offset, or a frozen instant."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen_at: float | None = None

    def now(self) -> float:
        return self.frozen_at if self.frozen_at is not None else time.time() + self.offset

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        if "offset" in body:
            self.offset = float(body["offset"])
        if "at" in body:
            self.frozen_at = float(body["at"])
        elif body.get("freeze") is True and self.frozen_at is None:
            self.frozen_at = self.now()
        elif body.get("freeze") is False and self.frozen_at is not None:
            self.offset, self.frozen_at = self.frozen_at - time.time(), None
        if "advance" in body:
            if self.frozen_at is not None:
                self.frozen_at += float(body["advance"])
            else:
                self.offset += float(body["advance"])
        return self.state()

    def state(self) -> dict[str, Any]:
        return {"now": self.now(), "frozen": self.frozen_at is not None, "offset": self.offset}

    def reset(self) -> None:
        self.offset, self.frozen_at = 0.0, None


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON merge patch: objects merge, everything else replaces, null deletes."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def decode_unverified(token: str) -> dict[str, Any] | None:
    """Header and claims of a compact JWS, for the log only (never trusted)."""
    try:
        compact = extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError, RecursionError):
        return None
    if not isinstance(claims, dict) or len(token) > MAX_BODY or nesting(claims) > LOG_DEPTH:
        return None
    return {"header": dict(compact.headers()), "claims": claims}


LOG_DEPTH = 32  # a logged body nested deeper than this is kept as text (redaction recurses over it)


def nesting(value: Any) -> int:
    """How deeply `value` nests lists/objects, counted without recursion (bodies come from anyone)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


# Redaction by value, after redaction by key: a bearer token or a `secret=value` pair can turn up anywhere (a
# query string, a text/plain body, a Cookie, a tool argument); control-plane.md says every one is redacted.
_JOSE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}(?:\.[A-Za-z0-9_-]*){2,4}")
_SECRET_PAIR = re.compile(
    r"(?i)\b(client_secret|password|code_verifier|refresh_token|access_token|id_token|subject_token|actor_token"
    r"|client_assertion|code|api_key)=([^&\s\"\\,;{}()\[\]]+)"
)


def scrub(text: str) -> str:
    """`text` with every JOSE token (JWS or JWE) cut to a prefix and every `secret=value` pair redacted."""
    text = _JOSE.sub(lambda m: m.group(0)[:10] + "…[redacted]", text)
    return _SECRET_PAIR.sub(lambda m: f"{m.group(1)}=[redacted]", text)


def json_safe(value: Any) -> Any:
    """`value` as strict JSON (RFC 8259 §6), scrubbed: NaN / Infinity become their names (else one request carrying
    `NaN` makes `GET /_authstage/log` fail for as long as the record is kept), anything odd a string."""
    try:
        text = json.dumps(value, default=str)
    except (RecursionError, ValueError):
        return scrub(str(value)[:MAX_BODY])
    return json.loads(scrub(text), parse_constant=str)


def redact_token(token: str) -> str:
    return f"{token[:10]}…[redacted]" if len(token) > 10 else "[redacted]"


def redact(value: Any, key: str = "") -> Any:
    """A copy of a body or header map with secrets replaced."""
    if key.lower() in SECRET_KEYS and isinstance(value, str):
        if key.lower() == "authorization":
            scheme, _, token = value.partition(" ")
            return f"{scheme} {redact_token(token)}" if token else "[redacted]"
        return redact_token(value) if value.startswith("eyJ") else "[redacted]"
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    return value


class Control:
    """Config, clock and request log of one running sample server."""

    def __init__(self, settings: SampleSettings, *, on_change: Callable[[SampleSettings], None]) -> None:
        self.initial = settings
        self.config = settings
        self.clock = Clock()
        self._records: list[dict[str, Any]] = []
        self._seq = 0
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self._on_change = on_change

    def replace(self, settings: SampleSettings) -> SampleSettings:
        self.config = settings
        self._on_change(settings)
        return settings

    def patch(self, patch: dict[str, Any]) -> SampleSettings:
        merged = merge_patch(self.config.model_dump(mode="json"), patch)
        return self.replace(SampleSettings.model_validate(merged))

    def reset(self) -> None:
        self.replace(self.initial)
        self.clock.reset()
        self._records.clear()

    def record(self, entry: dict[str, Any]) -> None:
        self._seq += 1
        entry = {"seq": self._seq, "time": self.clock.now(), "service": "mcp", **json_safe(entry)}
        self._records.append(entry)
        del self._records[:-5000]
        for callback in list(self._subscribers):
            callback(entry)

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        return [r for r in self._records if r["seq"] > since]

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def clear_log(self) -> None:
        self._records.clear()


def _invalid(exc: Exception) -> JSONResponse:
    if isinstance(exc, ValidationError):
        detail = [
            {"key": ".".join(str(p) for p in err["loc"]), "message": err["msg"]}
            for err in exc.errors(include_url=False)
        ]
    else:
        detail = [{"key": "", "message": str(exc)}]
    return JSONResponse({"error": "invalid_config", "detail": detail}, status_code=400)


async def _json_body(request: Request) -> Any:
    raw = await request.body()
    return json.loads(raw) if raw.strip() else {}


def control_routes(control: Control) -> list[Route]:
    async def config(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(control.config.model_dump(mode="json"))
        try:
            body = await _json_body(request)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            settings = (
                control.patch(body)
                if request.method == "PATCH"
                else control.replace(SampleSettings.model_validate(body))
            )
        except (ValueError, ValidationError) as exc:
            return _invalid(exc)
        return JSONResponse(settings.model_dump(mode="json"))

    async def reset(request: Request) -> Response:
        control.reset()
        return JSONResponse({"reset": True})

    async def clock(request: Request) -> Response:
        if request.method == "GET":
            return JSONResponse(control.clock.state())
        try:
            body = await _json_body(request)
            if not isinstance(body, dict):
                raise ValueError("the body must be a JSON object")
            return JSONResponse(control.clock.apply(body))
        except (ValueError, TypeError) as exc:
            return JSONResponse({"error": "invalid_clock", "detail": str(exc)}, status_code=400)

    async def log(request: Request) -> Response:
        if request.method == "DELETE":
            control.clear_log()
            return Response(status_code=204)
        try:
            since = int(request.query_params.get("since", "0"))
        except ValueError:
            return JSONResponse(
                {"error": "invalid_request", "detail": "since must be an integer"}, status_code=400
            )
        records = control.records(since)
        return JSONResponse({"records": records, "next": records[-1]["seq"] if records else since})

    return [
        Route("/_authstage/config", config, methods=["GET", "PATCH", "PUT"]),
        Route("/_authstage/reset", reset, methods=["POST"]),
        Route("/_authstage/clock", clock, methods=["GET", "POST"]),
        Route("/_authstage/log", log, methods=["GET", "DELETE"]),
    ]
