"""The user's own Action code, run in a Node.js subprocess (``actions_runner.js``), one process per execution.

Auth0 runs Actions in Node (DOC actions-overview). authstage hands the runner the Action's source, the ``event``
and the surface of the ``api`` object (``actions.py``); the runner returns the calls the Action made, its console
output and its cache writes. Each run has a time limit (``emulator.actions.timeout_seconds``, DOC: 20 s), no
network (the runner disarms sockets, DNS and fetch), an empty environment, and — where Node has the permission
model (``--experimental-permission``, Node 20+; ``--permission``, Node 23.5+) — no child processes, workers or
file writes. Without Node a tenant with JavaScript Actions is refused at load (:func:`load_problem`).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from fake_idp.actions import (
    API_METHODS,
    EVENT_SCHEMA,
    HANDLERS,
    MAX_BOUND_PER_TRIGGER,
    MISSING,
    NOT_EMULATED,
    Action,
)

__all__ = ["NodeResult", "check_actions", "load_problem", "node_binary", "run_action"]

RUNNER = Path(__file__).with_name("actions_runner.js")
MIN_NODE_MAJOR = 18  # Auth0's oldest Actions runtime is Node 18 (DOC actions-limitations: "Node.js 18 runtime")


@dataclass
class NodeResult:
    """What one execution produced: the ``api`` calls in order, console lines, cache writes, or an error
    (``error``: for the log, with the JavaScript error's name; ``message``: what an Auth0 error body shows)."""

    calls: list[tuple[str, list[Any]]] = field(default_factory=list)
    logs: list[str] = field(default_factory=list)
    cache_writes: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    message: str | None = None

    @classmethod
    def failed(cls, text: str) -> NodeResult:
        return cls(error=text, message=text)


def node_binary(node_path: str) -> str | None:
    """The Node.js executable for ``emulator.actions.node_path`` (a name on PATH or a path), or None."""
    return shutil.which(node_path)


@lru_cache(maxsize=8)
def _node_setup(binary: str) -> tuple[int, tuple[str, ...]]:
    """(major version, sandbox flags) of a Node binary."""
    try:
        version = subprocess.run([binary, "--version"], capture_output=True, text=True, timeout=10, check=False)
        major = int(version.stdout.strip().lstrip("v").split(".")[0])
    except (OSError, ValueError, subprocess.TimeoutExpired):
        return 0, ()
    read = f"--allow-fs-read={RUNNER}"
    for flag in ("--permission", "--experimental-permission"):
        probe = subprocess.run([binary, flag, read, "-e", "0"], capture_output=True, timeout=10, check=False)
        if probe.returncode == 0:
            return major, ("--no-warnings", flag, read)
    return major, ("--no-warnings",)


def check_actions(actions: list[Action], profile_action_ids: list[str | None], node_path: str) -> list[str]:
    """The tenant's ``actions`` problems: duplicate names, more than Auth0's 20 bound Actions per trigger (DOC
    limitations.mdx), CTE profiles naming no custom-token-exchange Action, and JavaScript Actions that cannot load."""
    problems: list[str] = []
    names = [a.name for a in actions]
    problems += [f"actions: duplicate name {n!r}" for n in sorted({n for n in names if names.count(n) > 1})]
    for trigger in API_METHODS:
        bound = [a for a in actions if a.trigger == trigger and a.enabled]
        if len(bound) > MAX_BOUND_PER_TRIGGER:
            problems.append(f"actions: {len(bound)} bound {trigger} Actions (Auth0 allows {MAX_BOUND_PER_TRIGGER})")
    cte = {a.name for a in actions if a.trigger == "custom-token-exchange"}
    for i, action_id in enumerate(profile_action_ids):
        if action_id is not None and action_id not in cte:
            problems.append(
                f"token_exchange_profiles.{i}.action_id: no custom-token-exchange Action named {action_id!r}"
            )
    for i, action in enumerate(actions):
        problem = load_problem(action, node_path) if action.javascript else None
        if problem:
            problems.append(f"actions.{i} ({action.name}): {problem}")
    return problems


def load_problem(action: Action, node_path: str) -> str | None:
    """Why a JavaScript Action cannot be loaded (no Node, too old, a syntax error, no handler), or None."""
    binary = node_binary(node_path)
    if binary is None:
        return (
            f"JavaScript Actions need Node.js (emulator.actions.node_path {node_path!r} is not on PATH): install "
            "Node.js 18 or newer, or write the Action declaratively (when: / api:)"
        )
    major, _ = _node_setup(binary)
    if major < MIN_NODE_MAJOR:
        return f"JavaScript Actions need Node.js {MIN_NODE_MAJOR} or newer ({binary} is version {major or 'unknown'})"
    return _check_source(binary, action.trigger, action.source(), _filename(action))


@lru_cache(maxsize=256)
def _check_source(binary: str, trigger: str, source: str, filename: str) -> str | None:
    """Compile the source and look for the trigger's handler (cached by content: validation runs often)."""
    result = _execute(binary, {"check": True, **_payload(trigger, source, filename, {}, {})}, timeout=10)
    return None if result.error is None else f"{filename}: {result.error}"


def _filename(action: Action) -> str:
    return str(Path(action.code_file).resolve()) if action.code_file else f"{action.name}.js"


def _payload(
    trigger: str, source: str, filename: str, event: dict[str, Any], cache: dict[str, Any]
) -> dict[str, Any]:
    return {
        "source": source,
        "filename": filename,
        "handler": HANDLERS[trigger],
        "trigger": trigger,
        "event": event,
        "schema": EVENT_SCHEMA[trigger],
        "methods": {m: list(p) for m, p in API_METHODS[trigger].items()},
        "notEmulated": list(NOT_EMULATED[trigger]),
        "cache": cache,
    }


def run_action(
    action: Action, event: dict[str, Any], *, node_path: str, timeout: float, cache: dict[str, Any]
) -> NodeResult:
    """Run ``action``'s handler on ``event``; a timeout, a crash or a thrown error comes back as ``error``."""
    binary = node_binary(node_path)
    if binary is None:  # Node went away after the tenant was loaded
        return NodeResult.failed(load_problem(action, node_path) or "Node.js is not available")
    payload = _payload(action.trigger, action.source(), _filename(action), event, cache)
    return _execute(binary, payload, timeout=timeout)


def _execute(binary: str, payload: dict[str, Any], *, timeout: float) -> NodeResult:
    _, flags = _node_setup(binary)
    try:
        proc = subprocess.run(
            [binary, *flags, str(RUNNER)],
            input=json.dumps(payload),
            capture_output=True,
            text=True,
            timeout=timeout,
            env={},
            cwd=str(RUNNER.parent),
            check=False,
        )
    except subprocess.TimeoutExpired:
        return NodeResult.failed(f"the Action did not finish within {timeout:g} s (emulator.actions.timeout_seconds)")
    line = proc.stdout.strip().splitlines()[-1] if proc.stdout.strip() else ""
    try:
        doc = json.loads(line)
    except json.JSONDecodeError:
        stderr = proc.stderr.strip().splitlines()
        return NodeResult.failed(f"node exited with status {proc.returncode}: {stderr[-1] if stderr else 'no output'}")
    return _result(doc)


def _result(doc: dict[str, Any]) -> NodeResult:
    calls = []
    for call in doc.get("calls", []):
        args = list(call.get("args", []))
        for index in call.get("undefinedArgs", []):
            args[index] = MISSING  # JavaScript's undefined, as in the declarative form
        calls.append((str(call["method"]), args))
    result = NodeResult(calls=calls, logs=list(doc.get("logs", [])), cache_writes=doc.get("cacheWrites", []))
    error = doc.get("error")
    if isinstance(error, dict):
        result.message = str(error.get("message", ""))
        result.error = f"{error.get('name', 'Error')}: {result.message}"
    return result
