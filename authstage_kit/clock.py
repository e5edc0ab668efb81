"""A service's clock (docs/control-plane.md "The clock"): wall time plus an offset, or a frozen instant.

Token ``iat``/``exp``, code and session lifetimes, cache ages and log timestamps read it, so a test can freeze,
advance or skew one service alone (clock skew between IdP and gateway is an incident of its own). Thread-safe:
the harness moves it from the control plane while request handlers read it.
"""

from __future__ import annotations

import math
import threading
import time
from typing import Any

from authstage_kit.errors import ControlError

__all__ = ["CLOCK_KEYS", "Clock"]

CLOCK_KEYS = ("freeze", "at", "advance", "offset")


class Clock:
    """``now()`` is ``time.time() + offset``, or the frozen instant."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._offset = 0.0
        self._frozen_at: float | None = None

    def now(self) -> float:
        frozen = self._frozen_at
        return frozen if frozen is not None else time.time() + self._offset

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
        """Let time run again from the frozen instant (the shift is kept as an offset)."""
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
        """Apply a control-plane body: ``freeze``, ``at``, ``advance``, ``offset`` (several keys allowed, applied
        in that order: offset, freeze, at, advance). Anything else is refused whole, before any change."""
        numbers = _validated(body)
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


def _validated(body: Any) -> dict[str, float]:
    if not isinstance(body, dict):
        raise ControlError.invalid("invalid_clock", "(body)", "a clock body is a JSON object")
    problems = [(str(key), f"unknown clock key; allowed: {list(CLOCK_KEYS)}") for key in body if key not in CLOCK_KEYS]
    numbers: dict[str, float] = {}
    for key in ("at", "advance", "offset"):
        value = body.get(key)
        if key not in body:
            continue
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
            problems.append((key, f"must be a finite number of seconds, got {value!r:.40}"))
        elif abs(value) > 1e11:  # about 3,000 years: beyond it `exp` arithmetic stops meaning anything
            problems.append((key, f"must be within ±1e11 seconds, got {value!r:.40}"))
        else:
            numbers[key] = float(value)
    if "freeze" in body and not isinstance(body["freeze"], bool):
        problems.append(("freeze", f"must be true or false, got {body['freeze']!r:.40}"))
    if problems:
        raise ControlError.invalid("invalid_clock", *problems[0], more=problems[1:])
    return numbers
