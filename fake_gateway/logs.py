"""APPLICATION_LOGS-shaped records (DOC observability-gateway-metrics, sheet §9) and secret redaction.

The real records look like
`{"resource_arn", "event_timestamp" (ms), "body": {"isError", "log", "requestBody", "id"}, "account_id",
"request_id", "trace_id", "span_id"}`, with bodies printed in Java `Map.toString()` style. Ours add
`body.reason` — what the real gateway does not tell you (e.g. "aud 'x' not in allowedAudience ['y']").
Redaction follows docs/control-plane.md: secrets and bearer tokens never reach a log.
"""

from __future__ import annotations

import json
import re
import secrets
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from joserfc.errors import JoseError
from joserfc.jws import extract_compact

__all__ = [
    "AppLog",
    "decode_unverified",
    "java_map",
    "json_safe",
    "redact",
    "redact_token",
    "scrub",
    "truncate",
]

SECRET_KEYS = frozenset(
    {
        "client_secret",
        "password",
        "code_verifier",
        "refresh_token",
        "access_token",
        "id_token",
        "subject_token",
        "actor_token",
        "client_assertion",
        "code",
        "api_key",
        "apikey",
        "x-api-key",
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-amz-security-token",
        "clientsecret",
    }
)
MAX_BODY = 8192


def redact_token(token: str) -> str:
    """Keep a recognisable prefix of a JWT, nothing of anything else."""
    return f"{token[:10]}…[redacted]" if token.startswith("eyJ") and len(token) > 10 else "[redacted]"


def redact(value: Any, key: str = "") -> Any:
    """A copy of a body / header map with secrets replaced (keys compared case-insensitively)."""
    lowered = key.lower()
    if lowered in SECRET_KEYS and isinstance(value, str):
        if lowered == "authorization":
            scheme, _, token = value.partition(" ")
            return f"{scheme} {redact_token(token.strip())}" if token else "[redacted]"
        return redact_token(value)
    if isinstance(value, dict):
        return {k: redact(v, str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v, key) for v in value]
    return value


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
    `NaN` would make `GET /_authstage/log` fail for as long as the record is kept), anything odd a string."""
    try:
        text = json.dumps(value, default=str)
    except (RecursionError, ValueError):
        return scrub(str(value)[:MAX_BODY])
    return json.loads(scrub(text), parse_constant=str)


def truncate(raw: bytes) -> Any:
    """A logged body: parsed JSON when possible, text otherwise, cut at 8 KiB."""
    if not raw:
        return None
    if len(raw) > MAX_BODY:
        return raw[:MAX_BODY].decode("utf-8", errors="replace") + f"…[truncated {len(raw) - MAX_BODY} bytes]"
    text = raw.decode("utf-8", errors="replace")
    try:
        document = json.loads(text)
    except (ValueError, RecursionError):
        return text
    return document if nesting(document) <= LOG_DEPTH else text


def decode_unverified(token: str) -> dict[str, Any] | None:
    """Header and claims of a compact JWS, for logs and explanations only (never trusted)."""
    try:
        compact = extract_compact(token.encode())
        claims = json.loads(compact.payload)
    except (JoseError, ValueError, TypeError, UnicodeError, RecursionError):
        return None
    if not isinstance(claims, dict) or len(token) > MAX_BODY or nesting(claims) > LOG_DEPTH:
        return None  # not a JWT a log can show (an oversized or absurdly nested token stays redacted text)
    return {"header": dict(compact.headers()), "claims": claims}


def _loggable(value: Any) -> str:
    if nesting(value) > LOG_DEPTH:
        return f"[a body nested {nesting(value)} levels deep is not logged]"
    return scrub(java_map(redact(value)))


def java_map(value: Any) -> str:
    """Java `Map.toString()` rendering, as the real APPLICATION_LOGS print request/response bodies."""
    if isinstance(value, dict):
        return "{" + ", ".join(f"{k}={java_map(v)}" for k, v in value.items()) + "}"
    if isinstance(value, list):
        return "[" + ", ".join(java_map(v) for v in value) + "]"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)  # Java prints strings unquoted: {name=t___LocationTool, arguments={location=seattle}}


class AppLog:
    """The gateway's APPLICATION_LOGS: in memory (for `/_authstage/logs`) and optionally a JSON-lines file."""

    def __init__(
        self,
        *,
        arn: Callable[[], str],
        account: Callable[[], str],
        now: Callable[[], float],
        max_records: Callable[[], int],
        path: Callable[[], str | None],
    ) -> None:
        self._arn, self._account, self._now, self._max, self._path = arn, account, now, max_records, path
        self._records: list[dict[str, Any]] = []
        self._seq = 0
        self._lock = threading.Lock()

    def emit(
        self,
        *,
        request_id: str,
        trace_id: str,
        log: str,
        is_error: bool,
        rpc_id: Any = None,
        request_body: Any = None,
        response_body: Any = None,
        reason: str | None = None,
    ) -> dict[str, Any]:
        body: dict[str, Any] = {"isError": is_error, "log": log}
        if request_body is not None:
            body["requestBody"] = _loggable(request_body)
        if response_body is not None:
            body["responseBody"] = _loggable(response_body)
        if rpc_id is not None:
            body["id"] = str(rpc_id)
        if reason is not None:
            body["reason"] = reason
        record = {
            "resource_arn": self._arn(),
            "event_timestamp": int(self._now() * 1000),
            "body": body,
            "account_id": self._account(),
            "request_id": request_id,
            "trace_id": trace_id,
            "span_id": secrets.token_hex(8),
        }
        with self._lock:
            self._seq += 1
            self._records.append({"seq": self._seq, **record})
            del self._records[: -self._max()]
        path = self._path()
        if path:
            with Path(path).open("a", encoding="utf-8") as handle:
                handle.write(json.dumps(record) + "\n")
        return record

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._records if r["seq"] > since]

    def clear(self) -> None:
        with self._lock:
            self._records.clear()
