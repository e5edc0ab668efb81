"""Replay on worker processes (harness/_replay_pool.py): the same runs as one replay, in catalog order, with the
traffic a report draws; fork where it is safe, spawn elsewhere."""

from __future__ import annotations

import threading

import pytest

from harness._replay import replay_all
from harness._replay_pool import _start_method, auto_jobs, replay_in_workers
from harness._selection import select


def test_workers_give_what_one_replay_gives_in_catalog_order() -> None:
    scenarios = select(["scenarios"], "audience-mismatch or unknown-audience")
    assert len(scenarios) == 2
    progress: list[tuple[int, int]] = []
    parallel = replay_in_workers(scenarios, ("broken", "fixed"), 2,
                                 lambda done, total, run: progress.append((done, total)))
    alone = list(replay_all(scenarios, ("broken", "fixed")))
    assert [(r.scenario.name, r.mode, r.passed, r.problems) for r in parallel] == \
           [(r.scenario.name, r.mode, r.passed, r.problems) for r in alone]
    assert all(run.passed for run in parallel) and progress[-1] == (4, 4)
    assert parallel[0].scenario is scenarios[0] and parallel[0].steps[0].step is scenarios[0].steps[0]
    traffic = parallel[0].traffic  # built in this process from what the worker captured
    assert traffic and any(r["service"] == "gateway" and r["path"] == "/mcp" for r in traffic)
    assert all(r["started_at"] <= r["finished_at"] for r in traffic)


def test_fork_only_where_nothing_else_runs(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(threading, "active_count", lambda: 2)
    assert _start_method() == "spawn"
    assert auto_jobs(1) == 1 and auto_jobs(10_000) >= 1
