"""Which scenarios and modes a replay runs: file discovery, `-k` expressions, `--fixed-only`/`--broken-only`."""

from __future__ import annotations

import pytest

from harness import AuthstageError, ScenarioLoadError
from harness._selection import excluded, find_scenarios, keyword_matches, modes, select
from tests.harness.test_replay import SCENARIO, load_scenario_text
from tests.harness.test_scenario import GOOD, write


def test_keyword_expressions() -> None:
    scenario = load_scenario_text(SCENARIO)
    assert keyword_matches("audience", scenario) and keyword_matches("agentcore and not dcr", scenario)
    assert not keyword_matches("dcr or (auth0 and audience)", scenario)
    assert keyword_matches("(dcr or agentcore) and aud-demo", scenario)


def test_a_malformed_keyword_expression_is_an_error() -> None:
    scenario = load_scenario_text(SCENARIO)
    for expression, message in (("(audience", r"missing '\)'"), ("audience and", "ends early"), ("a b", "unexpected 'b'")):
        with pytest.raises(AuthstageError, match=message):
            keyword_matches(expression, scenario)
    assert keyword_matches(None, scenario) and keyword_matches("", scenario)


def test_every_yaml_file_in_a_folder_is_a_scenario_or_an_error(tmp_path) -> None:
    """Nothing is skipped silently: a stack file or a scenario with `symptoms:` in a replayed folder fails the
    load, naming the file and the line, all files at once."""
    write(tmp_path, GOOD)
    (tmp_path / "stack.yaml").write_text("idp: {}\n")
    (tmp_path / "typo.yml").write_text(GOOD.replace("name: sample", "name: other").replace("symptom:", "symptoms:"))
    assert [p.name for p in find_scenarios([str(tmp_path)])] == ["s.yaml", "stack.yaml", "typo.yml"]
    with pytest.raises(ScenarioLoadError) as caught:
        select([str(tmp_path)], None)
    text = str(caught.value)
    assert text.startswith("2 files do not load")
    assert "stack.yaml:1: missing required key `name` in (top level)" in text
    assert "typo.yml:3: unknown key `symptoms` in (top level) (did you mean `symptom`?)" in text
    assert "typo.yml:1: missing required key `symptom`" in text
    with pytest.raises(ScenarioLoadError, match="no such file"):
        find_scenarios([str(tmp_path / "nope")])


def test_files_are_left_out_only_when_asked(tmp_path) -> None:
    """`--exclude GLOB` and a `.authstageignore` in the folder (or one above it, inside the replayed folder)."""
    write(tmp_path, GOOD)
    (tmp_path / "stack.yaml").write_text("idp: {}\n")
    (tmp_path / "fixtures").mkdir()
    (tmp_path / "fixtures" / "tenant.yaml").write_text("name: x\n")
    assert [p.name for p in find_scenarios([str(tmp_path)], exclude=["stack.yaml", "fixtures/*"])] == ["s.yaml"]
    (tmp_path / ".authstageignore").write_text("# not scenarios\nstack.yaml\nfixtures/*.yaml  # tenants\n")
    assert [p.name for p in find_scenarios([str(tmp_path)])] == ["s.yaml"]
    assert [s.name for s in select([str(tmp_path)], None)] == ["sample"]
    root = tmp_path.resolve()
    assert excluded(root / "fixtures" / "tenant.yaml", root) and not excluded(root / "s.yaml", root)
    assert [p.name for p in find_scenarios([str(tmp_path / "stack.yaml")])] == ["stack.yaml"]  # named: taken


def test_select_filters_by_keyword_and_refuses_two_scenarios_of_one_name(tmp_path) -> None:
    write(tmp_path, GOOD)
    assert [s.name for s in select([str(tmp_path)], "demo")] == ["sample"]
    assert select([str(tmp_path)], "not demo") == []
    (tmp_path / "t.yaml").write_text(GOOD)
    with pytest.raises(ScenarioLoadError, match="duplicate scenario name `sample`"):
        select([str(tmp_path)], None)


def test_modes() -> None:
    assert modes() == ("broken", "fixed")
    assert modes(fixed_only=True) == ("fixed",) and modes(broken_only=True) == ("broken",)


def test_shards_are_contiguous_balanced_slices_that_cover_the_catalog_once() -> None:
    from harness._selection import parse_shard, shard

    items = list(range(10))
    for count in (1, 3, 4, 10, 13):
        slices = [shard(items, index, count) for index in range(1, count + 1)]  # type: ignore[arg-type]
        assert [x for s in slices for x in s] == items
        assert max(map(len, slices)) - min(map(len, slices)) <= 1
    assert shard(items, 2, 4) == [2, 3, 4]  # type: ignore[arg-type]
    assert parse_shard("2/4") == (2, 4) and parse_shard(" 1 / 1 ") == (1, 1)
    for bad in ("0/4", "5/4", "2", "a/b", "-1/3", "1/0"):
        with pytest.raises(ValueError):
            parse_shard(bad)
