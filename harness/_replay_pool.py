"""Replay on several cores: worker processes, each with its own stack, reused (reset) from run to run.

`authstage replay --jobs N` (``auto``: one per core) hands the runs (scenario × mode) to N worker processes. Each
worker is a whole `harness._replay.Replayer`: it starts its stacks on its first run and resets them before every
run, as a single replay does, so a run observes exactly what it would alone. Workers are forked from the process
that loaded the scenarios (its imports come along; one per core costs a fork, not an interpreter start) when it
runs no other thread, else spawned. The results come back in the catalog's order, whatever order they finished in.
"""

from __future__ import annotations

import multiprocessing
import multiprocessing.pool
import multiprocessing.util
import os
import sys
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from harness._replay import Replayer, RunResult
    from harness._scenario import Scenario

__all__ = ["auto_jobs", "replay_in_workers"]

# The worker's own: the catalog (inherited or pickled once per worker) and its replayer.
_SCENARIOS: list[Scenario] = []
_REPLAYER: Replayer | None = None


def auto_jobs(runs: int) -> int:
    """`--jobs auto`: one worker per core the process may use, never more than there are runs."""
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(cores, runs))


def _start_method() -> str:
    """fork where it exists and nothing but this thread runs (a fork copies no other thread, and any lock one of
    them held would stay held in the child); spawn elsewhere."""
    if sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods() and threading.active_count() == 1:
        return "fork"
    return "spawn"


def _warm() -> None:
    """What every worker's first stack would load itself, loaded once before the fork: the services' modules, the
    process's RSA key pool and the sample server's index (no thread is started: the fork copies none)."""
    import fake_gateway  # noqa: F401  # imported for the workers
    import fake_idp  # noqa: F401
    import sample_mcp  # noqa: F401
    from authstage_kit import keypool
    from sample_mcp.corpus import Corpus

    keypool.pool_key(1)  # a tenant's current and next key
    keypool.wait()  # the thread that generated them ahead (cmd_replay) is gone: the fork copies no thread
    Corpus.load()


def _worker_start(scenarios: list[Scenario]) -> None:
    from harness._replay import Replayer

    global _SCENARIOS, _REPLAYER
    _SCENARIOS = scenarios
    _REPLAYER = Replayer()
    multiprocessing.util.Finalize(_REPLAYER, _REPLAYER.close, exitpriority=10)  # its stacks stop as it exits


def _worker_run(task: tuple[int, str]) -> tuple[int, str, RunResult]:
    index, mode = task
    assert _REPLAYER is not None, "the pool initializer starts the replayer"
    return index, mode, _REPLAYER.run(_SCENARIOS[index], mode)


def replay_in_workers(scenarios: list[Scenario], modes: tuple[str, ...], jobs: int,
                      progress: Callable[[int, int, RunResult], None] | None = None) -> list[RunResult]:
    """Every scenario in every mode on `jobs` workers; `progress(done, total, run)` as each run finishes. The
    runs are returned in catalog order (scenario, then mode)."""
    tasks = [(index, mode) for index in range(len(scenarios)) for mode in modes]
    if sys.platform != "win32" and "fork" in multiprocessing.get_all_start_methods():
        _warm()  # for a fork: the modules, keys and index the workers would each load
    context = multiprocessing.get_context(_start_method())
    done: dict[tuple[int, str], RunResult] = {}
    with context.Pool(jobs, initializer=_worker_start, initargs=(scenarios,)) as pool:
        for index, mode, run in pool.imap_unordered(_worker_run, tasks):
            run.scenario = scenarios[index]  # the caller's own objects, not the worker's copies
            for result, step in zip(run.steps, run.scenario.steps, strict=True):
                result.step = step
            done[(index, mode)] = run
            if progress:
                progress(len(done), len(tasks), run)
        pool.close()
        pool.join()
    return [done[task] for task in tasks]
