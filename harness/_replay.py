"""Replay scenarios against a running stack: broken (the scenario's sections), then fixed (plus `fix`).

One stack serves a whole replay: before each run the services are reset and given the run's documents
(`Stack.apply`), so a catalog of dozens of scenarios replays in seconds. Each step sends real HTTP requests —
the same ones a client sends (`harness._steps`) — and what it observes is matched against its `expect` block
(`harness._matching`). Which scenarios and modes run is `harness._selection`; the reports are `harness._report`.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx

from authstage_kit.reqlog import PendingRecord
from authstage_kit.tls import client_context
from harness._config import StackFile
from harness._exceptions import AuthstageError, ScenarioMismatch
from harness._matching import check
from harness._scenario import MODES, Scenario, Step
from harness._stack import Stack
from harness._steps import USER_AGENT, StepContext, execute, resolve

__all__ = ["Replayer", "RunResult", "StepResult", "replay_all"]

# What a step that cannot run raises: it is recorded as the step's `error` outcome, and the run goes on.
STEP_ERRORS = (AuthstageError, httpx.HTTPError, KeyError, ValueError, TypeError)


@dataclass
class StepResult:
    step: Step
    mode: str
    outcome: str  # passed | failed | error | skipped
    expected: dict[str, Any]
    observed: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0


@dataclass
class RunResult:
    """One run. `served` is what the services served during it: records, or (in-process) `(finished, pending
    record)` pairs that are built only when `traffic` is read (reports draw it; a plain replay never does)."""

    scenario: Scenario
    mode: str
    steps: list[StepResult]
    served: list[Any]
    duration_ms: float
    error: str | None = None
    _traffic: list[dict[str, Any]] | None = field(default=None, repr=False)

    @property
    def traffic(self) -> list[dict[str, Any]]:
        """This run's requests in the order they started (redacted records; `started_at`/`finished_at` when the
        replayer watched them served)."""
        if self._traffic is None:
            self._traffic = _ordered(self.served)
        return self._traffic

    @property
    def passed(self) -> bool:
        return self.error is None and all(s.outcome in ("passed", "skipped") for s in self.steps)

    @property
    def problems(self) -> list[str]:
        found = [f"step {s.step.index + 1} ({s.step.name}): {p}" for s in self.steps for p in s.problems]
        return ([self.error] if self.error else []) + found

    def raise_for_mismatch(self) -> None:
        """Raise `ScenarioMismatch` unless the run observed what its scenario expects (as httpx's
        `raise_for_status`): `step=` and `response=` are the first step that did not, and what it observed."""
        if self.passed:
            return
        first = next((s for s in self.steps if s.outcome in ("failed", "error")), None)
        raise ScenarioMismatch(
            "\n".join(self.problems),
            run=self,
            step=first.step if first else None,
            response=first.observed if first else None,
        )


class Replayer:
    """Runs scenarios on one in-process stack (started on first use, reused across scenarios)."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack
        self._own = stack is None
        self._stacks: dict[str, Stack] = {}  # one more stack per other gateway dialect a scenario asks for
        self.http = httpx.Client(timeout=30.0, follow_redirects=False, headers={"User-Agent": USER_AGENT},
                                 verify=client_context())
        self._lock = threading.Lock()
        self._served: list[tuple[float, PendingRecord]] = []
        self._watching: Stack | None = None
        self._unwatchers: list[Callable[[], None]] = []
        self._settled_stacks: set[int] = set()

    def close(self) -> None:
        self._unwatch()
        self.http.close()
        for other in self._stacks.values():
            other.stop()
        self._stacks = {}
        if self._own and self.stack is not None:
            self.stack.stop()
            self.stack = None

    def __enter__(self) -> Replayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_stack(self, dialect: str | None = None) -> Stack:
        if self.stack is None:
            self.stack = Stack().start()
        if (dialect or "agentcore") == self.stack.dialect:
            return self._settled(self.stack)
        if dialect not in self._stacks:
            self._stacks[dialect or "agentcore"] = Stack(gateway=dialect).start()
        return self._settled(self._stacks[dialect or "agentcore"])

    def _settled(self, stack: Stack) -> Stack:
        """A stack's first run waits for its gateway's start-up synchronization (whoever started the stack), so
        that traffic does not spill into the run."""
        if id(stack) not in self._settled_stacks:
            _settle(stack)
            self._settled_stacks.add(id(stack))
        return stack

    # -- traffic ------------------------------------------------------------------------------------------------------
    def _watch(self, stack: Stack) -> None:
        """Collect records as they are served: their wall-clock order survives frozen service clocks."""
        if self._watching is stack or not all(s.app is not None for s in stack.services):
            return
        self._unwatch()
        self._unwatchers = [s.app.state.control.subscribe(self._on_record, pending=True) for s in stack.services]
        self._watching = stack

    def _unwatch(self) -> None:
        for unsubscribe in self._unwatchers:
            with contextlib.suppress(ValueError):
                unsubscribe()
        self._unwatchers, self._watching = [], None

    def _on_record(self, pending: PendingRecord) -> None:
        with self._lock:
            self._served.append((time.perf_counter(), pending))

    def _traffic(self, stack: Stack) -> list[Any]:
        """What the run's requests were: (finished, pending record) pairs as served; else the services' log."""
        if self._watching is not stack:
            return stack.log()
        with self._lock:
            served, self._served = self._served, []
        return served

    # -- running ------------------------------------------------------------------------------------------------------
    def run(self, scenario: Scenario, mode: str) -> RunResult:
        assert mode in MODES
        stack = self._ensure_stack(scenario.stack.dialect)
        self._watch(stack)
        started = time.perf_counter()
        context = StepContext(stack, self.http, scenario.stack_for(mode))
        with self._lock:
            self._served = []
        try:
            _prepare(stack, scenario, context.run_stack)
        except AuthstageError as exc:
            return RunResult(scenario, mode, [], [], (time.perf_counter() - started) * 1000, f"stack: {exc}")
        results: list[StepResult] = []
        for step in scenario.steps:
            if not step.runs_in(mode):
                results.append(StepResult(step, mode, "skipped", {}))
                continue
            context.step = step
            results.append(_run_step(step, mode, context))
        traffic = self._traffic(stack)
        return RunResult(scenario, mode, results, traffic, (time.perf_counter() - started) * 1000)


def _ordered(served: list[Any]) -> list[dict[str, Any]]:
    """Records in the order their requests started (served time minus duration), each a copy with `started_at`
    and `finished_at`; records read from the services' logs as they are."""
    traffic = []
    for item in served:
        if not isinstance(item, tuple):
            traffic.append(item)
            continue
        finished, pending = item
        built = pending.record()
        if built is None:
            continue
        record = dict(built)
        record["started_at"] = finished - (record.get("duration_ms") or 0) / 1000
        record["finished_at"] = finished
        traffic.append(record)
    if all("started_at" in record for record in traffic):
        traffic.sort(key=lambda r: r["started_at"])
    return traffic


def _prepare(stack: Stack, scenario: Scenario, run_stack: StackFile) -> None:
    """Reset the services to this run's documents (sections a `deploy` step creates: the demo default) and clock."""
    deferred = scenario.deferred_sections()
    stack.apply(run_stack.without(deferred) if deferred else run_stack)
    if scenario.clock_at is not None:
        stack.clock(at=scenario.clock_at)


def _run_step(step: Step, mode: str, context: StepContext) -> StepResult:
    """Run one step and match what it observed against its expectations for `mode`."""
    expected = step.expectations(mode)
    started = time.perf_counter()
    try:
        observed, request, saved = execute(step, mode, context, expected)
    except STEP_ERRORS as exc:
        duration = (time.perf_counter() - started) * 1000
        return StepResult(step, mode, "error", expected, problems=[f"{type(exc).__name__}: {exc}"], duration_ms=duration)
    if step.save_as:
        context.saved[step.save_as] = saved
    try:
        expected = resolve(expected, context)
    except AuthstageError as exc:
        return StepResult(step, mode, "error", expected, observed, [f"expectation: {exc}"], request)
    problems = check(expected, observed)
    duration = (time.perf_counter() - started) * 1000
    return StepResult(step, mode, "failed" if problems else "passed", expected, observed, problems, request, duration)


def _settle(stack: Stack, timeout: float = 10.0) -> None:
    """Wait for the gateway's start-up target synchronization, so it does not spill into the first run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            targets = stack.http.get(f"{stack.gateway.url}/_authstage/targets").json().get("targets", [])
        except (httpx.HTTPError, ValueError, AttributeError):
            return
        if not any(t.get("status") in ("CREATING", "SYNCHRONIZING") for t in targets):
            return
        time.sleep(0.02)


def replay_all(scenarios: list[Scenario], modes: tuple[str, ...],
               progress: Callable[[int, int, RunResult], None] | None = None) -> Iterator[RunResult]:
    """Each scenario in each mode on one fresh stack; `progress(done, total, run)` after each run (on several
    cores: harness._replay_pool)."""
    with Replayer() as replayer:
        total = len(scenarios) * len(modes)
        done = 0
        for scenario in scenarios:
            for mode in modes:
                run = replayer.run(scenario, mode)
                done += 1
                if progress:
                    progress(done, total, run)
                yield run
