"""Which scenarios and modes a replay runs: file discovery, exclusions, `-k EXPR`, `--fixed-only` / `--broken-only`.

`authstage replay PATHS` and `pytest --authstage-scenarios DIR` find scenario files the same way
(`find_scenarios`, `excluded`): every `*.yaml` / `*.yml` under a directory is a scenario, and one that does not
load is an error that fails the run; nothing is skipped silently. A file is left out only when asked: a glob of
`--exclude` (`--authstage-exclude` under pytest), or of a `.authstageignore` file in the directory or one above
it inside the replayed directory (one glob per line, matched against the path relative to that directory and the
file name; `#` starts a comment). `-k` takes pytest's keyword expressions over a scenario's name, title and
tags (docs/writing-scenarios.md). `--shard i/n` keeps the i-th of n slices of what is left, for CI matrices.
"""

from __future__ import annotations

import fnmatch
import re
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from harness._exceptions import AuthstageError, Problems, ScenarioLoadError
from harness._scenario import MODES, Scenario, load_scenario

if TYPE_CHECKING:
    from harness._client_suites import ClientScenario

__all__ = ["IGNORE_FILE", "excluded", "find_scenarios", "keyword_matches", "modes", "parse_shard", "select", "shard"]

IGNORE_FILE = ".authstageignore"


def _ignore_globs(directory: Path) -> list[str]:
    try:
        text = (directory / IGNORE_FILE).read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError):
        return []
    return [line.split("#", 1)[0].strip() for line in text.splitlines() if line.split("#", 1)[0].strip()]


def excluded(path: Path, root: Path, patterns: Sequence[str] = ()) -> bool:
    """Is `path` (a YAML file under the replayed directory `root`) left out by `patterns` (`--exclude`) or by a
    `.authstageignore` between `root` and the file?"""
    directories = [d for d in (path.parent, *path.parent.parents) if d == root or root in d.parents]
    for directory in directories:
        relative = path.relative_to(directory).as_posix()
        for pattern in [*patterns, *_ignore_globs(directory)]:
            if fnmatch.fnmatch(relative, pattern) or fnmatch.fnmatch(path.name, pattern):
                return True
    return False


def find_scenarios(paths: list[str], exclude: Sequence[str] = ()) -> list[Path]:
    """Scenario files: each file as given, and every `*.yaml`/`*.yml` under each directory but the excluded ones."""
    found: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir():
            root = path.resolve()
            found.extend(p for p in sorted(path.rglob("*.y*ml"))
                         if p.suffix in (".yaml", ".yml") and p.is_file() and not excluded(p.resolve(), root, exclude))
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


def select(paths: list[str], keyword: str | None, exclude: Sequence[str] = ()) -> list[Scenario]:
    """The scenarios under `paths` that `keyword` selects. Every file is loaded first: a file that does not load,
    or a second scenario of one name, is a ScenarioLoadError listing the problems of every such file."""
    scenarios: list[Scenario] = []
    failed: list[ScenarioLoadError] = []
    for path in find_scenarios(paths, exclude):
        try:
            scenarios.append(load_scenario(path))
        except ScenarioLoadError as exc:
            failed.append(exc)
    names: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in names:
            failed.append(ScenarioLoadError(f"duplicate scenario name `{scenario.name}` (also in "
                                            f"{names[scenario.name]})", path=scenario.path, key="name"))
        names[scenario.name] = scenario.path
    if len(failed) == 1:
        raise failed[0]
    if failed:
        problems: Problems = [p for exc in failed for p in exc.problems]
        listing = "\n".join(str(exc) for exc in failed)
        raise ScenarioLoadError(f"{len(failed)} files do not load:\n{listing}", problems=problems)
    return [s for s in scenarios if keyword_matches(keyword, s)]


def parse_shard(text: str) -> tuple[int, int]:
    """`i/n` (1 ≤ i ≤ n): the i-th of n shards. Raises ValueError with what is wrong."""
    index, sep, count = text.partition("/")
    if not (sep and index.strip().isdigit() and count.strip().isdigit()):
        raise ValueError(f"{text!r} is not i/n (e.g. 2/4: the second of four shards)")
    i, n = int(index), int(count)
    if not 1 <= i <= n:
        raise ValueError(f"shard {i}/{n}: i must be between 1 and n")
    return i, n


def shard(scenarios: list[Scenario], index: int, count: int) -> list[Scenario]:
    """The `index`-th (1-based) of `count` contiguous slices of `scenarios` in catalog order, as Playwright's and
    Jest's `--shard i/n` split: the n jobs of a CI matrix together run every scenario once, slices differing in
    size by at most one. A slice may be empty (more shards than scenarios)."""
    total = len(scenarios)
    return scenarios[total * (index - 1) // count : total * index // count]


def modes(*, fixed_only: bool = False, broken_only: bool = False) -> tuple[str, ...]:
    """The modes a replay runs: both (broken, then fixed) unless one is asked for."""
    return ("fixed",) if fixed_only else ("broken",) if broken_only else MODES
