"""The process's worker threads (authstage_kit/aio.py `in_worker`): off the loop, one per core, in the caller's
context (a service's seeded ids go with the work)."""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading

from authstage_kit.aio import in_worker

ASKED: contextvars.ContextVar[str] = contextvars.ContextVar("asked", default="unset")


def _where() -> tuple[str, str]:
    return threading.current_thread().name, ASKED.get()


def test_work_runs_on_a_worker_thread_with_the_callers_context() -> None:
    async def main() -> list[tuple[str, str]]:
        ASKED.set("the caller's")
        return await asyncio.gather(*(in_worker(_where) for _ in range(8)))

    answers = asyncio.run(main())
    names = {name for name, _ in answers}
    assert all(name.startswith("authstage-worker") for name in names)
    assert len(names) <= (os.cpu_count() or 2)
    assert {value for _, value in answers} == {"the caller's"}
