"""The tenant's clock (docs/control-plane.md "The clock"): wall time plus an offset, or a frozen instant.

Token ``iat``/``exp``, authorization-code and refresh-token lifetimes, rate-limit windows and log
timestamps all read it, so a test can freeze, advance or skew the IdP alone (clock skew between IdP and
gateway is an incident of its own).
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

__all__ = ["Clock", "ClockError"]


class ClockError(ValueError):
    """A control-plane clock request that makes no sense (unknown key, not a number)."""


class Clock:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        frozen = self._frozen_at
        if frozen is not None:
            return frozen
        return time.time() + self._offset

    @property
    def frozen(self) -> bool:
        return self._frozen_at is not None

    @property
    def offset(self) -> float:
        return self._offset

    def freeze(self, at: float | None = None) -> None:
        with self._lock:
            self._frozen_at = self.now() if at is None else float(at)

    def unfreeze(self) -> None:
        """Let time run again from the frozen instant (keeps the shift as an offset)."""
        with self._lock:
            if self._frozen_at is not None:
                self._offset = self._frozen_at - time.time()
                self._frozen_at = None

    def advance(self, seconds: float) -> None:
        with self._lock:
            if self._frozen_at is not None:
                self._frozen_at += seconds
            else:
                self._offset += seconds

    def set_offset(self, seconds: float) -> None:
        with self._lock:
            self._offset = float(seconds)
            if self._frozen_at is not None:
                self._frozen_at = time.time() + self._offset

    def reset(self) -> None:
        with self._lock:
            self._offset = 0.0
            self._frozen_at = None

    def state(self) -> dict[str, Any]:
        return {"now": self.now(), "frozen": self.frozen, "offset": self._offset}

    def apply(self, body: Any) -> dict[str, Any]:
        """Apply a control-plane body: ``freeze``, ``at``, ``advance``, ``offset`` (several keys allowed)."""
        if not isinstance(body, dict):
            raise ClockError("clock body must be a JSON object")
        allowed = {"freeze", "at", "advance", "offset"}
        unknown = sorted(set(body) - allowed)
        if unknown:
            raise ClockError(f"unknown clock key(s) {unknown}; allowed: {sorted(allowed)}")
        numbers: dict[str, float] = {}
        for key in ("at", "advance", "offset"):
            if key in body:
                value = body[key]
                if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
                    raise ClockError(f"clock '{key}' must be a finite number of seconds, got {value!r}")
                numbers[key] = float(value)
        if "freeze" in body and not isinstance(body["freeze"], bool):
            raise ClockError(f"clock 'freeze' must be true or false, got {body['freeze']!r}")
        if "offset" in numbers:
            self.set_offset(numbers["offset"])
        if body.get("freeze") is True and "at" not in numbers:
            self.freeze()
        if body.get("freeze") is False:
            self.unfreeze()
        if "at" in numbers:
            self.freeze(numbers["at"])
        if "advance" in numbers:
            self.advance(numbers["advance"])
        return self.state()
