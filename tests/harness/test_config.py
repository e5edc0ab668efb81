from __future__ import annotations

import pytest

from harness import ConfigError, StackFile, deep_merge
from harness._config import render, stack_variables


def test_deep_merge_merges_objects_replaces_lists_and_deletes_on_null() -> None:
    base = {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": {"f": 1}}
    assert deep_merge(base, {"a": {"c": [3]}, "d": None, "e": {"g": 2}}) == {"a": {"b": 1, "c": [3]}, "e": {"f": 1, "g": 2}}
    assert base == {"a": {"b": 1, "c": [1, 2]}, "d": 1, "e": {"f": 1}}


def test_a_fix_null_deletes_a_demo_default_key_the_broken_stack_never_set() -> None:
    demo = {"jwt": {"allowedAudience": ["a"], "allowedScopes": ["s"]}}
    broken = StackFile(gateway={"jwt": {"allowedClients": ["c"]}})
    fixed = broken.merged(StackFile(gateway={"jwt": {"allowedAudience": None, "allowedClients": ["d"]}}))
    assert fixed.sections["gateway"] == {"jwt": {"allowedClients": ["d"], "allowedAudience": None}}
    assert deep_merge(demo, fixed.sections["gateway"]) == {"jwt": {"allowedScopes": ["s"], "allowedClients": ["d"]}}
    assert deep_merge(demo, broken.sections["gateway"])["jwt"]["allowedAudience"] == ["a"]


def test_stack_variables_include_the_ports() -> None:
    variables = stack_variables("http://127.0.0.1:9000", "http://127.0.0.1:9001", "http://127.0.0.1:9002")
    assert (variables["idp.port"], variables["gateway.port"], variables["mcp.port"]) == ("9000", "9001", "9002")


def test_render_substitutes_stack_variables_and_names_unknown_ones() -> None:
    variables = stack_variables("http://127.0.0.1:1", "http://127.0.0.1:2", "http://127.0.0.1:3")
    assert render({"x": ["${gateway.mcp_url}/"]}, variables) == {"x": ["http://127.0.0.1:2/mcp/"]}
    with pytest.raises(ConfigError, match=r"gateway\.x\[0\]: unknown variable \$\{gateway\.mcp_ur\}.*gateway\.mcp_url"):
        render({"x": ["${gateway.mcp_ur}"]}, variables, where="gateway")


def test_stack_file_sections_and_typos(tmp_path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text("idp:\n  settings: {}\ngatway: {}\n")
    with pytest.raises(ConfigError, match="unknown section `gatway`; did you mean `gateway`"):
        StackFile.load(path)
    path.write_text("idp: [1]\n")
    with pytest.raises(ConfigError, match="section `idp` must be a mapping"):
        StackFile.load(path)
    path.write_text("idp: {a: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        StackFile.load(path)
    with pytest.raises(ConfigError, match="cannot read"):
        StackFile.load(tmp_path / "missing.yaml")
