"""Which scenarios and modes a replay runs: file discovery, `-k EXPR`, `--fixed-only` / `--broken-only`.

`authstage replay PATHS` and `pytest --authstage-scenarios DIR` find scenario files the same way
(`find_scenarios`, `is_scenario_file`); `-k` takes pytest's keyword expressions over a scenario's name, title
and tags (docs/writing-scenarios.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

from harness._exceptions import AuthstageError, ScenarioLoadError
from harness._scenario import MODES, Scenario, load_scenario

if TYPE_CHECKING:
    from harness._client_suites import ClientScenario

__all__ = ["find_scenarios", "is_scenario_file", "keyword_matches", "modes", "select"]


def is_scenario_file(path: str | Path) -> bool:
    """A YAML file with `steps:` and `symptom:` at the top level (cheap check before a full load)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError:
        return False
    return "\nsteps:" in f"\n{text}" and "\nsymptom:" in f"\n{text}"


def find_scenarios(paths: list[str]) -> list[Path]:
    """Scenario files: each path as given, each directory searched for `*.yaml`/`*.yml` scenario files."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            found.extend(p for p in sorted(path.rglob("*.y*ml")) if p.suffix in (".yaml", ".yml") and is_scenario_file(p))
        elif path.exists():
            found.append(path)
        else:
            raise ScenarioLoadError("no such file or directory", path=str(path))
    return found


def keyword_matches(expression: str | None, scenario: Scenario | ClientScenario) -> bool:
    """`-k`: words match name, title and tags (substring, case-insensitive); `and`, `or`, `not`, parentheses."""
    if not expression:
        return True
    haystack = " ".join([scenario.name, scenario.title, *scenario.tags]).lower()
    tokens: list[str] = re.findall(r"\(|\)|[^\s()]+", expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def chain(word: str, operand: Callable[[], bool]) -> list[bool]:
        values = [operand()]
        while peek() == word:
            take()
            values.append(operand())
        return values

    def parse_or() -> bool:
        return any(chain("or", parse_and))

    def parse_and() -> bool:
        return all(chain("and", parse_not))

    def parse_not() -> bool:
        if peek() == "not":
            take()
            return not parse_not()
        if peek() == "(":
            take()
            value = parse_or()
            if peek() != ")":
                raise AuthstageError(f"-k {expression!r}: missing ')'")
            take()
            return value
        if peek() is None:
            raise AuthstageError(f"-k {expression!r}: expression ends early")
        return take().lower() in haystack

    result = parse_or()
    if peek() is not None:
        raise AuthstageError(f"-k {expression!r}: unexpected {peek()!r}")
    return result


def select(paths: list[str], keyword: str | None) -> list[Scenario]:
    """The scenarios under `paths` that `keyword` selects; two scenarios of one name are a load error."""
    scenarios = [load_scenario(path) for path in find_scenarios(paths)]
    names: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in names:
            raise ScenarioLoadError(f"duplicate scenario name `{scenario.name}` (also in {names[scenario.name]})",
                                    path=scenario.path, key="name")
        names[scenario.name] = scenario.path
    return [s for s in scenarios if keyword_matches(keyword, s)]


def modes(*, fixed_only: bool = False, broken_only: bool = False) -> tuple[str, ...]:
    """The modes a replay runs: both (broken, then fixed) unless one is asked for."""
    return ("fixed",) if fixed_only else ("broken",) if broken_only else MODES
