"""The scenario catalog (`scenarios/*.yaml`) runs in this repo's own suite: every scenario, broken and fixed."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from harness._replay import Replayer
from harness._scenario import MODES, load_scenario
from harness._selection import find_scenarios

CATALOG = Path(__file__).resolve().parents[2] / "scenarios"
FILES = find_scenarios([str(CATALOG)])


@pytest.fixture(scope="module")
def replayer() -> Iterator[Replayer]:
    with Replayer() as replay:
        yield replay


@pytest.mark.parametrize("mode", MODES)
@pytest.mark.parametrize("path", FILES, ids=[p.stem for p in FILES])
def test_scenario(replayer: Replayer, path: Path, mode: str) -> None:
    run = replayer.run(load_scenario(path), mode)
    assert run.passed, "\n".join(run.problems)


def test_catalog_names_are_unique_and_match_file_names() -> None:
    names = [load_scenario(path).name for path in FILES]
    assert len(names) == len(set(names))
    assert [p.stem for p in FILES] == names
