"""CEL authorization as agentgateway decides it: the sheet's §4 table (R1-R6 x contexts a-d), errors as false,
and the allow/deny/require decision (§2.5; §6 row 8)."""

from __future__ import annotations

import pytest

from fake_gateway.agentgateway.cel_rules import compile_expression, decide, evaluate
from fake_gateway.agentgateway.config import Rule

R = {
    "R1": '"read:tools" in auth.claims.permissions',
    "R2": '"read:tools" in jwt.permissions',
    "R3": 'mcp.tool.name == "echo"',
    "R4": 'jwt.sub == "test-user" && mcp.tool.name == "add"',
    "R5": 'mcp.tool.name == "printEnv" && jwt.nested.key == "value"',
    "R6": 'mcp.tool.target == "admin-tools" && has(jwt.sub) && "admin" in jwt.roles',
}
CLAIMS = {"permissions": ["read:tools", "write:tools"], "sub": "test-user", "roles": ["admin"]}
CONTEXTS = {
    "a": {"jwt": CLAIMS, "auth": {"claims": CLAIMS}, "mcp": {"tool": {"name": "add", "target": "admin-tools"}}},
    "b": {"jwt": CLAIMS, "mcp": {"tool": {"name": "add", "target": "admin-tools"}}},
    "c": {"jwt": {"sub": "other", "roles": ["viewer"]}, "mcp": {"tool": {"name": "printEnv", "target": "t"}}},
    "d": {"mcp": {"tool": {"name": "echo", "target": "t"}}},
}
# sheet §4 "Results", an error counting as false (eval_bool)
EXPECTED = {
    "R1": {"a": True, "b": False, "c": False, "d": False},
    "R2": {"a": True, "b": True, "c": False, "d": False},
    "R3": {"a": False, "b": False, "c": False, "d": True},
    "R4": {"a": True, "b": True, "c": False, "d": False},
    "R5": {"a": False, "b": False, "c": False, "d": False},
    "R6": {"a": True, "b": True, "c": False, "d": False},
}


@pytest.mark.parametrize("rule", sorted(R))
@pytest.mark.parametrize("ctx", sorted(CONTEXTS))
def test_sheet_table(rule: str, ctx: str) -> None:
    assert evaluate(Rule("allow", R[rule], "r"), CONTEXTS[ctx]).value is EXPECTED[rule][ctx]


def test_an_error_is_reported_with_what_the_rule_saw() -> None:
    ev = evaluate(Rule("allow", R["R1"], "r"), CONTEXTS["b"])
    assert ev.error is not None and "auth" in ev.error
    assert ev.seen == {"auth.claims.permissions": "<absent>"}
    assert evaluate(Rule("allow", '"x" in jwt.aud', "r"), {"jwt": {"aud": "x"}}).value is False  # string aud: TypeError


def test_lenient_alias_makes_auth_claims_read_jwt() -> None:
    assert evaluate(Rule("allow", R["R1"], "r", auth_alias=True), CONTEXTS["b"]).value is True


def test_decision_allow_deny_require() -> None:
    allow, deny = Rule("allow", R["R2"], "a"), Rule("deny", 'jwt.sub == "test-user"', "d")
    require = Rule("require", '"admin" in jwt.roles', "q")
    assert decide([], {}).allowed
    assert decide([allow], CONTEXTS["b"]).allowed
    assert not decide([allow], CONTEXTS["c"]).allowed
    assert not decide([allow, deny], CONTEXTS["b"]).allowed
    assert not decide([allow, require], CONTEXTS["c"] | {"jwt": {"permissions": ["read:tools"]}}).allowed
    # deny fails open on an error; with only deny rules the default is allow
    assert decide([Rule("deny", "jwt.missing == 1", "d")], {"jwt": {}}).allowed
    assert "no allow rule matched" in decide([allow], CONTEXTS["c"]).reason


def test_extension_functions() -> None:
    assert evaluate(Rule("allow", '"b" in jwt.scope.split(" ")', "r"), {"jwt": {"scope": "a b"}}).value


def test_compile_refuses_syntax_errors() -> None:
    with pytest.raises(ValueError, match="Syntax error"):
        compile_expression('"read:tools" in')
