"""The docs stay true: every test the fidelity ledger cites exists; the README quick start is the two commands."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_every_test_cited_in_the_fidelity_ledger_exists() -> None:
    text = (ROOT / "docs" / "fidelity.md").read_text()
    refs = re.findall(r"(tests/[\w/]+\.py)::(test_\w+)", text)
    assert len(refs) > 200
    for path, name in set(refs):
        source = (ROOT / path).read_text()
        assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name} is cited but does not exist"


def test_every_ledger_row_has_five_cells_and_a_source() -> None:
    rows = [line for line in (ROOT / "docs" / "fidelity.md").read_text().splitlines() if line.startswith("| ")]
    for row in rows:
        cells = [c.strip() for c in row.strip("|").split(" | ")]
        assert len(cells) >= 5, row
        if cells[0] != "behaviour":
            assert cells[1], f"no source: {row}"


def test_readme_quick_start_is_exactly_two_commands() -> None:
    readme = (ROOT / "README.md").read_text()
    quick = readme.split("## Quick start", 1)[1].split("##", 1)[0]
    block = re.search(r"```sh\n(.*?)```", quick, re.S).group(1)
    commands = [line.split("#")[0].strip() for line in block.splitlines() if line.strip()]
    assert commands == ["make up", "make test"]


def test_scenario_index_is_current() -> None:
    from harness._report import index_markdown
    from harness._scenario import load_scenario
    from harness._selection import find_scenarios

    scenarios = [load_scenario(p) for p in find_scenarios([str(ROOT / "scenarios")])]
    guide = (ROOT / "docs" / "writing-scenarios.md").read_text()
    expected = index_markdown(scenarios, guide)
    assert (ROOT / "docs" / "scenarios.md").read_text() == expected, (
        "docs/scenarios.md is stale: run `authstage replay scenarios/ --write-index docs/scenarios.md`"
    )
