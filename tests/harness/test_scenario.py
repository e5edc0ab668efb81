"""Loading scenario files: clear errors with file, line and key."""

from __future__ import annotations

import textwrap

import pytest

from harness import ScenarioLoadError
from harness._scenario import load_scenario

GOOD = """\
name: sample
title: A sample
symptom: HTTP 401
root_cause: because
fix: {gateway: {}}
sources: [https://example.test/doc]
tags: [demo]
steps:
  - token: {client: demo-m2m}
    as: tok
    expect: {status: 200}
  - mcp: {method: tools/list, token: "${tok.access_token}"}
    expect: {status: 200}
    expect_fixed: {status: 200}
"""


def write(tmp_path, text: str):
    path = tmp_path / "s.yaml"
    path.write_text(textwrap.dedent(text))
    return path


def test_a_good_file_loads_into_steps_with_lines(tmp_path) -> None:
    scenario = load_scenario(write(tmp_path, GOOD))
    assert scenario.name == "sample" and [s.kind for s in scenario.steps] == ["token", "mcp"]
    assert scenario.steps[0].save_as == "tok" and scenario.steps[0].line == 9
    assert scenario.steps[1].expectations("fixed") == {"status": 200}
    assert scenario.stack_for("fixed").sections["gateway"] == {}


def test_a_typo_in_a_key_names_the_line_and_suggests_the_key(tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("    expect: {status: 200}\n  - mcp", "    expct: {status: 200}\n  - mcp"))
    with pytest.raises(ScenarioLoadError, match=r"s\.yaml:11: unknown key `expct` in steps\.0 \(did you mean `expect`\?\)") as err:
        load_scenario(path)
    assert err.value.key == "expct" and err.value.line == 11


def test_a_typo_in_an_expectation_names_it(tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("expect: {status: 200}\n  - mcp", "expect: {stauts: 200}\n  - mcp"))
    with pytest.raises(ScenarioLoadError, match=r":11: unknown key `stauts` .*did you mean `status`"):
        load_scenario(path)


def test_a_missing_field_is_named(tmp_path) -> None:
    with pytest.raises(ScenarioLoadError, match="missing required key `symptom`"):
        load_scenario(write(tmp_path, GOOD.replace("symptom: HTTP 401\n", "")))


def test_an_unknown_step_kind_is_named_with_a_suggestion(tmp_path) -> None:
    path = write(tmp_path, GOOD.replace("  - token: {client: demo-m2m}", "  - tokn: {client: demo-m2m}"))
    with pytest.raises(ScenarioLoadError, match=r":9: unknown step kind `tokn` in step 1 \(did you mean `token`\?\)"):
        load_scenario(path)


def test_two_kinds_in_one_step_and_no_kind(tmp_path) -> None:
    both = GOOD.replace("  - token: {client: demo-m2m}", "  - token: {client: demo-m2m}\n    register: {}")
    with pytest.raises(ScenarioLoadError, match="more than one kind: token, register"):
        load_scenario(write(tmp_path, both))
    none = GOOD.replace("  - token: {client: demo-m2m}\n    as: tok\n", "  - as: tok\n")
    with pytest.raises(ScenarioLoadError, match="step 1 has no kind"):
        load_scenario(write(tmp_path, none))


def test_bad_yaml_and_wrong_types(tmp_path) -> None:
    with pytest.raises(ScenarioLoadError, match="not valid YAML"):
        load_scenario(write(tmp_path, "name: [\n"))
    with pytest.raises(ScenarioLoadError, match="a scenario is a mapping"):
        load_scenario(write(tmp_path, "- 1\n"))
    with pytest.raises(ScenarioLoadError, match=r":1: name: 'Bad Name' does not match"):
        load_scenario(write(tmp_path, GOOD.replace("name: sample", "name: Bad Name")))
