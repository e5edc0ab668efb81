"""Expectations: what a scenario step's `expect` block asserts about what the step observed (docs/writing-scenarios.md).

`match` compares one expected value with an observed one: objects are subset-matched, lists element by element,
and a one-key object whose key is an operator (`regex`, `contains`, `not_contains`, `absent`, `present`,
`one_of`, `not`, `equals`) tests the value instead. `check` applies a whole `expect` block, one function per key
(`EXPECTATIONS`). Both return the mismatches as sentences; [] means the step observed what was expected.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from typing import Any

__all__ = ["EXPECTATIONS", "MISSING", "OPERATORS", "check", "match", "show"]

OPERATORS = {"regex", "contains", "not_contains", "absent", "present", "one_of", "not", "equals"}
MISSING: Any = object()  # an observation that has no such key (unlike a key whose value is null)


def show(value: Any) -> str:
    """A value as a mismatch sentence quotes it (JSON, strings repr'd, cut at 300 characters)."""
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


def match(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Mismatches between an expectation and an observed value ([] = match). Objects are subset-matched."""
    where = path or "value"
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in OPERATORS:
        op, operand = next(iter(expected.items()))
        return _operator(op, operand, actual, path)
    if actual is MISSING:
        return [f"{where}: missing (expected {show(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {show(actual)}"]
        problems: list[str] = []
        for key, value in expected.items():
            problems += match(value, actual.get(key, MISSING) if key in actual else MISSING, f"{path}.{key}" if path else str(key))
        return problems
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        problems = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problems += match(want, got, f"{where}[{index}]")
        return problems
    return [] if expected == actual else [f"{where}: expected {show(expected)}, got {show(actual)}"]


def _operator(op: str, operand: Any, actual: Any, path: str) -> list[str]:
    """One operator of `OPERATORS` applied to an observed value (MISSING when the key is not there)."""
    where = path or "value"
    present = actual is not MISSING and actual is not None
    value = None if actual is MISSING else actual
    if op == "absent":
        return [] if not present else [f"{where}: expected absent, got {show(value)}"]
    if op == "present":
        return [] if present else [f"{where}: expected present, got nothing"]
    if op == "regex":
        text = value if isinstance(value, str) else json.dumps(value)
        return [] if present and re.search(operand, text) else [f"{where}: {show(value)} does not match /{operand}/"]
    if op in ("contains", "not_contains"):
        if isinstance(value, list):
            wanted = operand if isinstance(operand, list) else [operand]
            hit = all(any(not match(w, item) for item in value) for w in wanted)
        else:
            hit = present and str(operand) in (value if isinstance(value, str) else json.dumps(value))
        if (op == "contains") == bool(hit):
            return []
        return [f"{where}: {show(value)} {'does not contain' if op == 'contains' else 'contains'} {show(operand)}"]
    if op == "one_of":
        return [] if any(not match(o, actual, path) for o in operand) else [f"{where}: {show(value)} not one of {show(operand)}"]
    if op == "not":
        return [f"{where}: expected not {show(operand)}, got {show(value)}"] if not match(operand, actual, path) else []
    return [] if value == operand else [f"{where}: expected exactly {show(operand)}, got {show(value)}"]


# -- one function per key of an `expect` block --------------------------------------------------------------------
def _status(want: Any, observed: dict[str, Any]) -> list[str]:
    wanted = want if isinstance(want, list) else [want]
    if observed.get("status") in wanted:
        return []
    return [f"status: expected {want}, got {observed.get('status')} ({show(observed.get('text', ''))[:200]})"]


def _headers(want: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    headers = {k.lower(): v for k, v in (observed.get("headers") or {}).items()}
    problems: list[str] = []
    for name, matcher in want.items():
        problems += match(matcher, headers.get(name.lower(), MISSING), f"headers.{name}")
    return problems


def _jsonrpc_error(want: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    body = observed.get("json")
    body = body if isinstance(body, dict) else {}
    problems = match({k: v for k, v in want.items() if k != "id"}, body.get("error", MISSING), "error")
    if "id" in want:
        problems += match(want["id"], body.get("id", MISSING) if "id" in body else MISSING, "id")
    return problems


def _result(want: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """`result:` reads an MCP tool answer: `isError`, the text content, `structured` content, the tool names."""
    body = observed.get("json")
    result = body.get("result") if isinstance(body, dict) else None
    if not isinstance(result, dict):
        return [f"result: no JSON-RPC result in the answer ({show(body)})"]
    problems: list[str] = []
    if "isError" in want:
        problems += match(want["isError"], bool(result.get("isError", False)), "result.isError")
    if "text" in want:
        text = "\n".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))
        problems += match(want["text"], text, "result.text")
    if "structured" in want:
        problems += match(want["structured"], result.get("structuredContent", MISSING), "result.structured")
    if "tools" in want:
        names = [t.get("name") for t in result.get("tools", []) if isinstance(t, dict)]
        problems += match(want["tools"], names, "result.tools")
    return problems


def _log(want: Any, observed: dict[str, Any]) -> list[str]:
    """`log:` passes when any request record the step caused matches."""
    records = observed.get("log", [])
    if any(not match(want, record) for record in records):
        return []
    seen = [f"{r['service']} {r['method']} {r['path']} {r['status']} {r.get('reason')}" for r in records]
    return [f"log: no record matches {show(want)}; logged: {seen}"]


def _app_log(want: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """`app_log:` passes when any APPLICATION_LOGS record the step caused matches `text`."""
    texts = [json.dumps(record) for record in observed.get("app_log", [])]
    if any(not match(want["text"], text) for text in texts):
        return []
    return [f"app_log: no APPLICATION_LOGS record matches {show(want)}"]


def _observed(key: str, default: Any = MISSING) -> Callable[[Any, dict[str, Any]], list[str]]:
    def check_key(want: Any, observed: dict[str, Any]) -> list[str]:
        return match(want, observed.get(key, default), key)

    return check_key


EXPECTATIONS: dict[str, Callable[[Any, dict[str, Any]], list[str]]] = {
    "status": _status,
    "headers": _headers,
    "json": _observed("json"),
    "text": _observed("text"),
    "jsonrpc_error": _jsonrpc_error,
    "result": _result,
    "claims": _observed("claims"),
    "token_header": _observed("token_header"),
    "redirect": _observed("redirect"),
    "checks": _observed("checks"),
    "token_kind": _observed("token_kind", "none"),
    "id_token_claims": _observed("id_token_claims"),
    "id_token_header": _observed("id_token_header"),
    "log": _log,
    "app_log": _app_log,
}


def check(expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
    """Every mismatch between a step's `expect` block and what the step observed, key by key."""
    problems: list[str] = []
    for key, want in expected.items():
        if key in EXPECTATIONS:
            problems += EXPECTATIONS[key](want, observed)
    return problems
