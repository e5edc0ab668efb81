"""Authorization in CEL, as agentgateway decides it (sheet §2.5, §2.6, §4).

The engine is `common-expression-language` (`import cel`): Python bindings of the upstream Rust `cel` crate, the
family agentgateway forked (sheet §4: same decisions on every rule the sheet tested). As agentgateway's
`eval_bool`, **any evaluation error counts as false** [AG:src/cel/types.rs#L765-L780]: an undeclared variable
(`auth`), a missing key, a type mismatch (`"x" in "a-string"`). Expressions are compiled when the config loads
(`Expression::new_strict`), so a syntax error refuses the config.

Decision over all rule sets of a request (route + backend are merged, every set applies) [AG:src/http/
authorization.rs#L255-L316]: no rules -> allow; any `deny` true -> deny; any `require` not true -> deny; any `allow`
true -> allow; otherwise deny when allow rules exist, allow when only deny rules exist.

Variables: `jwt` (the verified claims, absent without a validated token), `request` (method, uri, host, scheme, path,
headers), `mcp.{tool,prompt,resource,task}.{name,target}` (unprefixed name) for mcpAuthorization; with the lenient
loader's alias, `auth.claims` = `jwt`. Extension functions the sheet names as missing from the Python bindings are
registered: `split`, `lowerAscii`, `upperAscii`, `default` (agent-celx; AG:schema/cel-functions.md).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

import cel

from fake_gateway.agentgateway.config import Rule

__all__ = ["Decision", "Evaluation", "compile_expression", "decide", "evaluate"]

_PATH = re.compile(r"\b(?:jwt|auth\.claims|mcp|request)(?:\.[A-Za-z_][A-Za-z0-9_]*)+")


def _default(value: Any, fallback: Any) -> Any:
    return fallback if value is None else value


FUNCTIONS: dict[str, Callable[..., Any]] = {
    "split": lambda text, sep: str(text).split(sep),
    "lowerAscii": lambda text: str(text).lower(),
    "upperAscii": lambda text: str(text).upper(),
    "default": _default,
}


@lru_cache(maxsize=512)
def _program(expression: str) -> Any:
    return cel.compile(expression)


def compile_expression(expression: str) -> None:
    """Compile at load time; ValueError with the parser's message (the config does not load)."""
    _program(expression)


@dataclass
class Evaluation:
    rule: Rule
    value: bool
    error: str | None
    seen: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        seen = ", ".join(f"{k} = {v!r}" for k, v in self.seen.items())
        outcome = f"error ({self.error}) -> false" if self.error else str(self.value).lower()
        return f"{self.rule.kind} `{self.rule.expression}` is {outcome}" + (f" ({seen})" if seen else "")


@dataclass
class Decision:
    allowed: bool
    evaluations: list[Evaluation]
    reason: str


def _lookup(context: dict[str, Any], dotted: str) -> Any:
    node: Any = context
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return "<absent>"
        node = node[part]
    return node


def evaluate(rule: Rule, context: dict[str, Any]) -> Evaluation:
    """One rule; an error is false (eval_bool), and a non-bool result is false too."""
    variables = dict(context)
    if rule.auth_alias and "jwt" in context:
        variables["auth"] = {"claims": context["jwt"]}
    seen = {path: _lookup(variables, path) for path in dict.fromkeys(_PATH.findall(rule.expression))}
    try:
        result = _program(rule.expression).execute(cel.Context(variables=variables, functions=FUNCTIONS))
    except (ValueError, RuntimeError, KeyError, TypeError, IndexError, OverflowError) as exc:
        message = str(exc).split(". ")[0]
        return Evaluation(rule, False, f"{type(exc).__name__}: {message}", seen)
    return Evaluation(rule, result is True, None if isinstance(result, bool) else f"not a bool: {result!r}", seen)


def decide(rules: Sequence[Rule], context: dict[str, Any], *, what: str = "authorization") -> Decision:
    """The allow/deny/require decision over every rule (all are evaluated, for the log and `explain`)."""
    if not rules:
        return Decision(True, [], f"no {what} rules")
    evaluations = [evaluate(rule, context) for rule in rules]
    by_kind: dict[str, list[Evaluation]] = {"allow": [], "deny": [], "require": []}
    for ev in evaluations:
        by_kind[ev.rule.kind].append(ev)
    if denied := [e for e in by_kind["deny"] if e.value]:
        return Decision(False, evaluations, f"{what}: deny rule matched: {denied[0].describe()}")
    if unmet := [e for e in by_kind["require"] if not e.value]:
        return Decision(False, evaluations, f"{what}: require rule not met: {unmet[0].describe()}")
    if allowed := [e for e in by_kind["allow"] if e.value]:
        return Decision(True, evaluations, f"{what}: {allowed[0].describe()}")
    if by_kind["allow"]:
        detail = "; ".join(e.describe() for e in by_kind["allow"])
        return Decision(False, evaluations, f"{what}: no allow rule matched: {detail}")
    return Decision(True, evaluations, f"{what}: only deny rules, none matched")
