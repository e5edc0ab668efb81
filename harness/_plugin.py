"""pytest plugin (entry point `authstage`): the chain as fixtures, and scenario files as test items.

Fixtures:

* ``authstage_stack`` — the demo stack, started once per test session (per xdist worker), in this process.
  Restored after every test that used it (`harness._restore`): its config, clocks and keys as they were before
  the test, its runtime state and logs cleared when the test changed anything; a failing test's report gets a
  section "authstage refusals" with every 4xx/5xx the stack served during the test, its reason and its fix.
* ``authstage`` — a factory: ``authstage(idp={...}, gateway={...}, mcp={...})`` starts a fresh, isolated stack
  for one test, its sections deep-merged over the demo default (lists of named things merged by name); stopped after the test.
* ``authstage_process_stack`` — the demo stack in a child process started with pytest-xprocess
  (``authstage up --json``), for tests that want the services out of their process.

Option ``--authstage-scenarios DIR`` collects every YAML file under DIR as a scenario (one test item per scenario
and mode); a file that does not load is a collection error. ``--authstage-exclude GLOB`` (or a
``.authstageignore`` file) leaves files out, as ``authstage replay --exclude`` does.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Generator, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from harness._exceptions import ScenarioMismatch
from harness._stack import ProcessStack, Stack

if TYPE_CHECKING:
    from harness._replay import Replayer
    from harness._restore import Snapshot
    from harness._scenario import Scenario

__all__ = ["authstage", "authstage_process_stack", "authstage_stack"]

_REPLAYER = pytest.StashKey["Replayer"]()
STACKS = pytest.StashKey[list["Snapshot"]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("authstage")
    group.addoption(
        "--authstage-scenarios",
        action="append",
        default=[],
        metavar="DIR",
        help="collect authstage scenario files (YAML) under DIR as tests, one per scenario and mode",
    )
    group.addoption(
        "--authstage-exclude",
        action="append",
        default=[],
        metavar="GLOB",
        help="leave out YAML files under the scenario directories that match GLOB (also: .authstageignore)",
    )


def pytest_configure(config: pytest.Config) -> None:
    # Scenario directories are collected even when they are not among the paths pytest was given.
    for directory in config.getoption("authstage_scenarios") or []:
        if directory not in config.args:
            config.args.append(directory)


@pytest.fixture(scope="session")
def _authstage_session_stack() -> Iterator[Stack]:
    stack = Stack().start()
    yield stack
    stack.stop()


@pytest.fixture
def authstage_stack(_authstage_session_stack: Stack, request: pytest.FixtureRequest) -> Iterator[Stack]:
    """The demo stack (IdP + gateway + sample MCP server), one per session/worker, on free loopback ports;
    restored after each test, its refusals shown in a failing test's report."""
    from harness._restore import Snapshot

    snapshot = Snapshot.take(_authstage_session_stack)
    request.node.stash[STACKS] = [*request.node.stash.get(STACKS, []), snapshot]
    yield _authstage_session_stack
    snapshot.restore()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if report.failed and call.when == "call":
        from harness._restore import refusals_section

        text = refusals_section(item.stash.get(STACKS, []))
        if text:
            report.sections.append(("authstage refusals", text))
    return report


@pytest.fixture
def authstage(request: pytest.FixtureRequest) -> Iterator[Callable[..., Stack]]:
    """Factory of isolated stacks: ``authstage(idp=..., gateway=..., mcp=..., config=path)``."""
    from harness._restore import Snapshot

    stacks: list[Stack] = []

    def start(config: str | Path | None = None, *, idp: dict[str, Any] | None = None,
              gateway: dict[str, Any] | None = None, mcp: dict[str, Any] | None = None) -> Stack:
        if config is not None and (idp or gateway or mcp):
            raise TypeError("pass either config= or the idp/gateway/mcp sections, not both")
        document = config if config is not None else {"idp": idp, "gateway": gateway, "mcp": mcp}
        stack = Stack(document).start()
        stacks.append(stack)
        request.node.stash[STACKS] = [*request.node.stash.get(STACKS, []), Snapshot(stack, {}, {})]
        return stack

    yield start
    for stack in stacks:
        stack.stop()


@pytest.fixture(scope="session")
def authstage_process_stack(request: pytest.FixtureRequest) -> Iterator[ProcessStack]:
    """The demo stack in a child process, managed by pytest-xprocess (named per xdist worker)."""
    try:
        from xprocess import ProcessStarter  # type: ignore[import-untyped]  # pytest-xprocess ships no type hints
    except ImportError:  # pragma: no cover - depends on the user's environment
        pytest.fail("authstage_process_stack needs pytest-xprocess: pip install 'authstage[test]'")
    xprocess = request.getfixturevalue("xprocess")
    worker = getattr(request.config, "workerinput", {}).get("workerid", "main")
    name = f"authstage-{worker}"

    class Starter(ProcessStarter):  # type: ignore[misc]  # ProcessStarter is untyped (Any)
        pattern = r'^\{"authstage"'
        args = [sys.executable, "-m", "harness", "up", "--json", "--quiet"]  # noqa: RUF012 (xprocess API)
        timeout = 60
        max_read_lines = 200
        terminate_on_interrupt = True
        env = {**os.environ, "PYTHONUNBUFFERED": "1"}  # noqa: RUF012

    _, log = xprocess.ensure(name, Starter, restart=True)
    lines = [line for line in Path(log).read_text().splitlines() if line.startswith('{"authstage"')]
    stack = ProcessStack()
    stack.attach_manifest(json.loads(lines[-1]))
    yield stack
    stack.stop()  # closes its client; the process is xprocess's to stop
    xprocess.getinfo(name).terminate()


def pytest_collect_file(parent: pytest.Collector, file_path: Path) -> pytest.Collector | None:
    roots = [Path(p).resolve() for p in parent.config.getoption("authstage_scenarios") or []]
    if not roots or file_path.suffix not in (".yaml", ".yml"):
        return None
    resolved = file_path.resolve()
    inside = [root for root in roots if root == resolved or root in resolved.parents]
    if not inside:
        return None
    from harness._selection import excluded

    patterns = parent.config.getoption("authstage_exclude") or []
    if resolved not in roots and excluded(resolved, inside[0], patterns):
        return None
    return ScenarioFile.from_parent(parent, path=file_path)


def _replayer(config: pytest.Config) -> Replayer:
    """One replayer (and so one stack) per session/worker for every collected scenario."""
    from harness._replay import Replayer

    replayer: Replayer | None = config.stash.get(_REPLAYER, None)
    if replayer is None:
        replayer = config.stash[_REPLAYER] = Replayer()
        config.add_cleanup(replayer.close)
    return replayer


class ScenarioFile(pytest.File):
    """A scenario YAML file: one item per mode (broken, fixed)."""

    def collect(self) -> Iterator[pytest.Item]:
        from harness._scenario import MODES, load_scenario

        scenario = load_scenario(self.path)
        for mode in MODES:
            yield ScenarioItem.from_parent(self, name=f"{scenario.name}[{mode}]", scenario=scenario, mode=mode)


class ScenarioItem(pytest.Item):
    """One scenario in one mode; it fails with `ScenarioMismatch` when the replay observes something else."""

    def __init__(self, *, scenario: Scenario, mode: str, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.scenario = scenario
        self.mode = mode

    def runtest(self) -> None:
        _replayer(self.config).run(self.scenario, self.mode).raise_for_mismatch()

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScenarioMismatch):
            run = excinfo.value.run
            lines = [f"{self.scenario.title} ({self.mode}): the replay did not observe what the scenario expects"]
            lines += [f"  - {problem}" for problem in run.problems]
            return "\n".join(lines)
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Path, int, str]:
        return self.path, 0, f"scenario {self.scenario.name} [{self.mode}]"

