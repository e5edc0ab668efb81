"""asyncio helpers: objects bound to the running event loop (httpx clients, locks) recreated per loop.

A gateway app normally lives on one loop (uvicorn). Tests that drive the same app from several loops (one per
test with `httpx.ASGITransport`) must not reuse loop-bound objects across loops.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Generic, TypeVar

__all__ = ["LoopLocal"]

T = TypeVar("T")


class LoopLocal(Generic[T]):
    """`get()` returns the instance made by `factory` for the running loop (one per loop, newest kept)."""

    def __init__(self, factory: Callable[[], T]) -> None:
        self._factory = factory
        self._loop: asyncio.AbstractEventLoop | None = None
        self._value: T | None = None

    def get(self) -> T:
        loop = asyncio.get_running_loop()
        if self._value is None or self._loop is not loop:
            self._loop, self._value = loop, self._factory()
        return self._value

    def current(self) -> T | None:
        """The instance of the running loop, if any (no creation)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return None
        return self._value if self._loop is loop else None

    def reset(self) -> None:
        self._loop, self._value = None, None
