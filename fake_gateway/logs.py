"""APPLICATION_LOGS-shaped records (DOC observability-gateway-metrics, sheet §9).

The real records look like
`{"resource_arn", "event_timestamp" (ms), "body": {"isError", "log", "requestBody", "id"}, "account_id",
"request_id", "trace_id", "span_id"}`, with bodies printed in Java `Map.toString()` style. Ours add
`body.reason` — what the real gateway does not tell you (e.g. "aud 'x' not in allowedAudience ['y']").
Redaction is the kernel's (authstage_kit.redact, docs/control-plane.md): secrets and bearer tokens never reach a log.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from authstage_kit import ids
from authstage_kit.redact import LOG_DEPTH, nesting, redact, scrub

__all__ = ["AppLog", "java_map"]

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
            "span_id": ids.token_hex(8),
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
