"""Which scenarios and modes a replay runs: file discovery, `-k` expressions, `--fixed-only`/`--broken-only`."""

from __future__ import annotations

import pytest

from harness import AuthstageError, ScenarioLoadError
from harness._selection import find_scenarios, is_scenario_file, keyword_matches, modes, select
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


def test_find_scenarios_skips_non_scenario_yaml(tmp_path) -> None:
    write(tmp_path, GOOD)
    (tmp_path / "stack.yaml").write_text("idp: {}\n")
    assert [p.name for p in find_scenarios([str(tmp_path)])] == ["s.yaml"]
    with pytest.raises(ScenarioLoadError, match="no such file"):
        find_scenarios([str(tmp_path / "nope")])
    assert not is_scenario_file(tmp_path / "stack.yaml") and not is_scenario_file(tmp_path / "nope.yaml")


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
