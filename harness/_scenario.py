"""Scenario files: load, validate against `scenarios/schema.json`, and report errors with file, line and key.

A scenario is a stack file (sections `idp`, `gateway`, `mcp` over the demo default) plus `name`, `title`,
`symptom`, `root_cause`, `fix` (overrides that repair it), `sources`, `tags` and `steps`; see docs/scenarios.md.
"""

from __future__ import annotations

import difflib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import yaml

from authstage_kit.merge import merge_patch
from harness._config import StackFile
from harness._exceptions import ScenarioLoadError

__all__ = ["MODES", "STEP_KINDS", "Scenario", "Step", "load_scenario", "schema"]

STEP_KINDS = (
    "token",
    "register",
    "authorize",
    "refresh",
    "revoke",
    "mcp",
    "http",
    "fault",
    "clock",
    "rotate_keys",
    "explain",
    "deploy",
)
STEP_KEYS = ("name", "as", "only", "expect", "expect_fixed", "note", "fix")
MODES = ("broken", "fixed")


SCHEMA_PATH = Path(__file__).resolve().parent.parent / "scenarios" / "schema.json"


@cache
def schema() -> dict[str, Any]:
    """The JSON Schema of the format: `scenarios/schema.json` (the one copy; editors can use it too)."""
    document: dict[str, Any] = json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))
    return document


@dataclass
class Step:
    index: int
    kind: str
    spec: dict[str, Any]
    name: str
    save_as: str | None
    only: str | None
    expect: dict[str, Any]
    expect_fixed: dict[str, Any] | None
    note: str | None
    line: int | None
    fix: dict[str, Any] | None = None

    def expectations(self, mode: str) -> dict[str, Any]:
        return self.expect_fixed if mode == "fixed" and self.expect_fixed is not None else self.expect

    def spec_for(self, mode: str) -> dict[str, Any]:
        """The step as the client sends it: in the fixed run, the step's own `fix` merged over it (RFC 7396)."""
        return merge_patch(self.spec, self.fix) if mode == "fixed" and self.fix else self.spec

    def runs_in(self, mode: str) -> bool:
        return self.only is None or self.only == mode


@dataclass
class Scenario:
    name: str
    title: str
    symptom: str
    root_cause: str
    fix: StackFile
    sources: list[str]
    tags: list[str]
    steps: list[Step]
    stack: StackFile
    path: str
    fix_note: str | None = None
    clock_at: float | None = None

    def stack_for(self, mode: str) -> StackFile:
        return self.stack if mode == "broken" else self.stack.merged(self.fix)

    def deferred_sections(self) -> tuple[str, ...]:
        """Sections a `deploy` step creates (not applied when the run starts): its `service`, or all three."""
        found: list[str] = []
        for step in self.steps:
            if step.kind == "deploy":
                service = step.spec.get("service")
                for name in [service] if service else ["idp", "gateway", "mcp"]:
                    if name not in found:
                        found.append(name)
        return tuple(found)


Lines = dict[tuple[Any, ...], int]  # JSON path -> 1-based line


def _lines(node: yaml.Node, path: tuple[Any, ...] = (), table: Lines | None = None) -> Lines:
    """JSON path → 1-based line of every key and value in a composed YAML document."""
    table = {} if table is None else table
    table.setdefault(path, node.start_mark.line + 1)
    if isinstance(node, yaml.MappingNode):
        for key_node, value_node in node.value:
            key = key_node.value
            table[(*path, key)] = key_node.start_mark.line + 1
            _lines(value_node, (*path, key), table)
    elif isinstance(node, yaml.SequenceNode):
        for index, item in enumerate(node.value):
            _lines(item, (*path, index), table)
    return table


def _line_of(lines: Lines, path: tuple[Any, ...]) -> int | None:
    while path and path not in lines:
        path = path[:-1]
    return lines.get(path)


def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else f" (allowed: {', '.join(options)})"


def _subschema(node: Any) -> dict[str, Any]:
    """A schema node, its `$ref` followed."""
    ref = node.get("$ref")
    found: dict[str, Any] = schema()["$defs"][ref.removeprefix("#/$defs/")] if ref and ref.startswith("#/$defs/") else node
    return found


def _explain(error: jsonschema.ValidationError) -> tuple[str, tuple[Any, ...]]:
    """One clear sentence per schema error, and the path it points at."""
    path = tuple(error.absolute_path)
    instance: Any = error.instance
    where = ".".join(str(p) for p in path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(_subschema(error.schema).get("properties", {}))
        unknown = [key for key in instance if key not in allowed]
        key = unknown[0] if unknown else "?"
        return f"unknown key `{key}` in {where}{_suggest(str(key), allowed)}", (*path, key)
    if error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        return f"missing required key `{missing}` in {where}", path
    if error.validator == "oneOf" and isinstance(instance, dict) and len(path) == 2 and path[0] == "steps":
        step = f"step {int(path[1]) + 1}"
        keys = [k for k in instance if k not in STEP_KEYS]
        kinds = [k for k in keys if k in STEP_KINDS]
        if kinds:
            return f"{step} has more than one kind: {', '.join(kinds)}", path
        if not keys:
            return f"{step} has no kind; give one of: {', '.join(STEP_KINDS)}", path
        return f"unknown step kind `{keys[0]}` in {step}{_suggest(keys[0], list(STEP_KINDS))}", (*path, keys[0])
    return f"{where}: {error.message}", path


def _read(path: str | Path) -> tuple[dict[str, Any], yaml.Node]:
    """The document of a scenario file and its composed YAML (for line numbers)."""
    source = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as exc:
        raise ScenarioLoadError(f"cannot read: {exc.strerror}", path=source) from exc
    try:
        node = yaml.compose(text)
        document = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise ScenarioLoadError(f"not valid YAML: {getattr(exc, 'problem', exc)}", path=source,
                                line=mark.line + 1 if mark else None) from exc
    if not isinstance(document, dict) or node is None:
        raise ScenarioLoadError("a scenario is a mapping (name, title, symptom, root_cause, fix, sources, steps)",
                                path=source, line=1)
    return document, node


def _validate(document: dict[str, Any], lines: Lines, source: str) -> None:
    """Raise the clearest schema error of `document`, with its line and key."""
    validator = jsonschema.Draft202012Validator(schema())
    errors = sorted(validator.iter_errors(document), key=lambda e: (len(e.absolute_path), str(e.absolute_path)))
    if not errors:
        return
    error = min(errors, key=lambda e: (-len(e.absolute_path), e.validator == "oneOf"))
    for candidate in errors:  # prefer our own sentence for steps
        if candidate.validator == "oneOf":
            error = candidate
            break
    message, at = _explain(error)
    raise ScenarioLoadError(message, path=source, line=_line_of(lines, at), key=str(at[-1]) if at else None)


def _step(index: int, raw: dict[str, Any], lines: Lines) -> Step:
    kind = next(k for k in raw if k in STEP_KINDS)
    return Step(
        index=index,
        kind=kind,
        spec=raw[kind] if raw[kind] is not None else {},
        name=raw.get("name") or f"{kind} {index + 1}",
        save_as=raw.get("as"),
        only=raw.get("only"),
        expect=raw.get("expect") or {},
        expect_fixed=raw.get("expect_fixed"),
        note=raw.get("note"),
        line=_line_of(lines, ("steps", index)),
        fix=raw.get("fix"),
    )


def load_scenario(path: str | Path) -> Scenario:
    """Parse and validate one scenario file; ScenarioLoadError names the file, the line and the key."""
    source = str(path)
    document, node = _read(path)
    lines = _lines(node)
    _validate(document, lines, source)
    return Scenario(
        name=document["name"],
        title=document["title"],
        symptom=document["symptom"],
        root_cause=document["root_cause"],
        fix=StackFile(**document["fix"], source=f"{source}#fix", dialect=document.get("dialect")),
        sources=list(document["sources"]),
        tags=list(document.get("tags", [])),
        steps=[_step(index, raw, lines) for index, raw in enumerate(document["steps"])],
        stack=StackFile(document.get("idp"), document.get("gateway"), document.get("mcp"), source=source,
                        dialect=document.get("dialect")),
        path=source,
        fix_note=document.get("fix_note"),
        clock_at=(document.get("clock") or {}).get("at"),
    )
