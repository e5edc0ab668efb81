"""The emulator's control plane state for the gateway (`/_authstage/`, contract in docs/control-plane.md).

`Control` is what the harness drives in-process (`app.state.control`): `config`, `patch(dict)`,
`replace(model)`, `reset()`, `records(since)`, `subscribe(callback)`, `clock`, plus the gateway's own
`app_logs(since)`, `synchronize(target)` and `explain(token)`. The HTTP routes in `app.py` are a thin adapter.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fake_gateway.logs import json_safe
from fake_gateway.settings import Gateway

if TYPE_CHECKING:
    from fake_gateway.backend import Backend

__all__ = ["Clock", "Control", "merge_patch"]


class Clock:
    """Wall time plus an offset, or a frozen instant (docs/control-plane.md "The clock")."""

    def __init__(self) -> None:
        self.offset = 0.0
        self.frozen_at: float | None = None

    def now(self) -> float:
        return self.frozen_at if self.frozen_at is not None else time.time() + self.offset

    def apply(self, body: dict[str, Any]) -> dict[str, Any]:
        allowed = {"freeze", "at", "advance", "offset"}
        unknown = set(body) - allowed
        if unknown:
            raise ValueError(f"unknown clock field(s) {sorted(unknown)}; use {sorted(allowed)}")
        for key in ("at", "advance", "offset"):
            if key in body and (isinstance(body[key], bool) or not isinstance(body[key], int | float)):
                raise ValueError(f"{key} must be a number of seconds")
        if "freeze" in body and not isinstance(body["freeze"], bool):
            raise ValueError("freeze must be true or false")
        if "offset" in body:
            self.offset = float(body["offset"])
            if self.frozen_at is not None and "at" not in body:
                self.frozen_at = time.time() + self.offset
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
    """RFC 7396 JSON merge patch: objects merge, lists and scalars replace, null deletes."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class Control:
    """Config, clock and logs of one running gateway."""

    def __init__(self, gateway: Gateway, backend: Backend) -> None:
        self.initial = gateway
        self.backend = backend
        self.clock = backend.clock
        self._records: list[dict[str, Any]] = []
        self._seq = 0
        self._subscribers: list[Callable[[dict[str, Any]], None]] = []
        self._lock = threading.Lock()

    @property
    def config(self) -> Gateway:
        return self.backend.gateway

    def replace(self, gateway: Gateway) -> Gateway:
        self.backend.apply(gateway)
        return gateway

    def patch(self, patch: dict[str, Any]) -> Gateway:
        """RFC 7396 merge patch of the whole document; raises pydantic.ValidationError and keeps the old config."""
        merged = merge_patch(self.config.to_document(), patch)
        return self.replace(Gateway.from_document(merged))

    def reset(self) -> None:
        self.clock.reset()
        self.backend.reset(self.initial)
        self.clear_log()

    # --- the request log (one record per request outside /_authstage/)

    def record(self, entry: dict[str, Any]) -> dict[str, Any]:
        with self._lock:
            self._seq += 1
            entry = {"seq": self._seq, "time": self.clock.now(), "service": "gateway", **json_safe(entry)}
            self._records.append(entry)
            del self._records[: -self.config.emulator.logRecordsMax]
            subscribers = list(self._subscribers)
        for callback in subscribers:
            callback(entry)
        return entry

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        with self._lock:
            return [r for r in self._records if r["seq"] > since]

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        self._subscribers.append(callback)
        return lambda: self._subscribers.remove(callback)

    def clear_log(self) -> None:
        with self._lock:
            self._records.clear()
        self.backend.app_log.clear()

    # --- gateway specifics

    def app_logs(self, since: int = 0) -> list[dict[str, Any]]:
        return self.backend.app_log.records(since)

    async def synchronize(self, target: str) -> dict[str, Any]:
        return await self.backend.synchronize(target)

    def stats(self) -> dict[str, Any]:
        """Counters the benchmark and tests read (JWKS fetches, token requests, target calls, sessions)."""
        return self.backend.stats()
