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


def test_every_problem_of_a_file_is_listed_at_once(tmp_path) -> None:
    text = GOOD.replace("symptom: HTTP 401\n", "symptoms: HTTP 401\n").replace(
        "    expect: {status: 200}\n  - mcp", "    expct: {status: 200}\n  - mcp").replace("${tok.", "${tk.")
    with pytest.raises(ScenarioLoadError) as err:
        load_scenario(write(tmp_path, text))
    lines = str(err.value).splitlines()
    assert lines[0].endswith("s.yaml: 4 problems")
    assert [line.split("s.yaml:", 1)[1] for line in lines[1:]] == [
        "1: missing required key `symptom` in (top level)",
        "3: unknown key `symptoms` in (top level) (did you mean `symptom`?)",
        "11: unknown key `expct` in steps.0 (did you mean `expect`?)",
        "12: unknown reference ${tk.access_token}: no earlier step saved `tk` (as: tk); did you mean `tok`?",
    ]
    assert [p[0] for p in err.value.problems] == [1, 3, 11, 12] and err.value.line == 1


def test_stack_sections_are_checked_when_the_file_loads(tmp_path) -> None:
    """Broken stack, fix and fault steps, as each run composes them over the demo default, with their lines."""
    text = GOOD.replace("fix: {gateway: {}}\n", "fix:\n  idp:\n    clients: [{name: demo-cli, callback: [x]}]\n") + (
        "  - fault: {gateway: {emulator: {leewaySecond: 5}}}\n"
        "idp:\n  settings: {default_audience: '${gateway.mcp_ur}'}\n")
    with pytest.raises(ScenarioLoadError) as err:
        load_scenario(write(tmp_path, text))
    assert [line.split("s.yaml:", 1)[1] for line in str(err.value).splitlines()[1:]] == [
        "7: idp.clients[0].callback: Extra inputs are not permitted (did you mean `callbacks`?)",
        "17: gateway.emulator.leewaySecond: Extra inputs are not permitted (did you mean `leewaySeconds`?)",
        "19: idp.settings.default_audience: unknown variable ${gateway.mcp_ur} (did you mean ${gateway.mcp_url}?)",
    ]


def test_fix_is_optional_when_a_step_fixes_the_client_but_something_must_be_fixed(tmp_path) -> None:
    client_side = GOOD.replace("fix: {gateway: {}}\n", "").replace(
        "  - mcp: {method: tools/list, token: \"${tok.access_token}\"}\n",
        "  - mcp: {method: tools/list, token: \"${tok.access_token}\"}\n    fix: {method: ping}\n")
    scenario = load_scenario(write(tmp_path, client_side))
    assert scenario.fix.sections == {"idp": {}, "gateway": {}, "mcp": {}}
    assert scenario.steps[1].spec_for("fixed")["method"] == "ping"
    nothing = GOOD.replace("fix: {gateway: {}}\n", "")
    with pytest.raises(ScenarioLoadError, match=r":7: nothing is fixed: give `fix:` \(what repairs the stack\) or a "
                                                r"step's `fix:` \(what repairs the client\)"):
        load_scenario(write(tmp_path, nothing))


def test_a_step_fix_may_replace_the_step_with_another_kind(tmp_path) -> None:
    replaced = GOOD.replace("    as: tok\n", "    as: tok\n    fix: {step: {authorize: {user: alice@example.test}}}\n")
    step = load_scenario(write(tmp_path, replaced)).steps[0]
    assert (step.kind_for("broken"), step.kind_for("fixed")) == ("token", "authorize")
    assert step.spec_for("broken") == {"client": "demo-m2m"} and step.spec_for("fixed") == {"user": "alice@example.test"}
    for bad, message in (
        ("{step: {authorise: {}}}", r"unknown key `authorise` in steps.0.fix.step \(did you mean `authorize`\?\)"),
        ("{step: {authorize: {usr: x}}}", r"unknown key `usr` in steps.0.fix.step.authorize \(did you mean `user`\?\)"),
        ("{step: {token: {}, mcp: {}}}", r"steps.0.fix.step names exactly one step kind"),
        ("{step: {token: {}}, more: 1}", r"unknown key `more` in steps.0.fix"),
    ):
        with pytest.raises(ScenarioLoadError, match=message):
            load_scenario(write(tmp_path, GOOD.replace("    as: tok\n", f"    as: tok\n    fix: {bad}\n")))


def test_check_steps_and_id_token_expectations_load(tmp_path) -> None:
    steps = GOOD.replace(
        "    expect_fixed: {status: 200}\n",
        "    expect_fixed: {status: 200}\n"
        "  - check: {redirect: \"${tok.redirect}\", issuer_rule: root-slash, only: [iss, issuer]}\n"
        "    expect: {checks: {iss: false, issuer: true}, id_token_claims: {nonce: n}, id_token_header: {alg: RS256}}\n")
    assert load_scenario(write(tmp_path, steps)).steps[2].kind == "check"
    with pytest.raises(ScenarioLoadError, match=r"steps.2.check.issuer_rule: 'loose' is not one of"):
        load_scenario(write(tmp_path, steps.replace("root-slash", "loose")))
