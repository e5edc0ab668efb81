"""asyncio helpers: objects bound to the running event loop (httpx clients, locks) recreated per loop, and the
process's worker threads.

A gateway app normally lives on one loop (uvicorn). Tests that drive the same app from several loops (one per
test with `httpx.ASGITransport`) must not reuse loop-bound objects across loops.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Generic, ParamSpec, TypeVar

__all__ = ["LoopLocal", "in_worker"]

T = TypeVar("T")
P = ParamSpec("P")
_WORKERS: ThreadPoolExecutor | None = None
_WORKERS_LOCK = threading.Lock()


async def in_worker(fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
    """``fn(*args, **kwargs)`` on one of the process's worker threads, one per core (`asyncio.to_thread` with a
    pool sized for CPU work: more threads than cores only contend for the GIL), in the caller's context."""
    global _WORKERS
    if _WORKERS is None:
        with _WORKERS_LOCK:
            if _WORKERS is None:
                _WORKERS = ThreadPoolExecutor(os.cpu_count() or 2, thread_name_prefix="authstage-worker")
    call = functools.partial(contextvars.copy_context().run, fn, *args, **kwargs)
    return await asyncio.get_running_loop().run_in_executor(_WORKERS, call)


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
