"""Scenario files: load, check, and report every problem at once with file, line and key.

A scenario is a stack file (sections `idp`, `gateway`, `mcp` over the demo default) plus `name`, `title`,
`symptom`, `root_cause`, `fix` (overrides that repair it; optional when a step's `fix` repairs the client),
`sources`, `tags` and `steps`; see docs/writing-scenarios.md. Loading checks, and lists together: the YAML itself
(`harness._source`), the format (`scenarios/schema.json`), the `${...}` references of every step (a name no
earlier step saved), that something is fixed, and the stack sections as the services would take them
(`harness._sections`: broken, fixed, and after each `fault` step), each with its line.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
from jsonschema.exceptions import best_match

from authstage_kit.merge import merge_patch
from harness._config import SECTIONS, StackFile
from harness._exceptions import Problems, ScenarioLoadError
from harness._sections import Layer, LineOf, section_problems
from harness._source import Lines, YamlFile, line_of, read_yaml
from harness._variables import REFERENCE, STACK_ROOTS, strings_in

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
    "check",
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
    replacement: tuple[str, dict[str, Any]] | None = None  # `fix: {step: {<kind>: {...}}}`

    def expectations(self, mode: str) -> dict[str, Any]:
        return self.expect_fixed if mode == "fixed" and self.expect_fixed is not None else self.expect

    def kind_for(self, mode: str) -> str:
        """The step's kind; in the fixed run, the kind of the step its `fix` replaces it with."""
        return self.replacement[0] if mode == "fixed" and self.replacement else self.kind

    def spec_for(self, mode: str) -> dict[str, Any]:
        """The step as the client sends it: in the fixed run, its replacement, or its own `fix` merged over it
        (RFC 7396)."""
        if mode == "fixed" and self.replacement:
            return self.replacement[1]
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
        return _deferred([(s.kind, s.spec) for s in self.steps])


def _deferred(steps: list[tuple[str, dict[str, Any]]]) -> tuple[str, ...]:
    found: list[str] = []
    for kind, spec in steps:
        if kind == "deploy":
            service = spec.get("service") if isinstance(spec, dict) else None
            for name in [service] if service else ["idp", "gateway", "mcp"]:
                if name not in found:
                    found.append(name)
    return tuple(found)


# -- the format (scenarios/schema.json) -------------------------------------------------------------------------
def _suggest(word: str, options: list[str]) -> str:
    close = difflib.get_close_matches(word, options, n=1, cutoff=0.6)
    return f" (did you mean `{close[0]}`?)" if close else f" (allowed: {', '.join(options)})"


def _subschema(node: Any) -> dict[str, Any]:
    """A schema node, its `$ref` followed."""
    ref = node.get("$ref")
    found: dict[str, Any] = schema()["$defs"][ref.removeprefix("#/$defs/")] if ref and ref.startswith("#/$defs/") else node
    return found


def _shown(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 120 else text[:117] + "..."


def _step_sentence(path: tuple[Any, ...], instance: Any) -> tuple[str, tuple[Any, ...]]:
    step = f"step {int(path[1]) + 1}"
    keys = [k for k in instance if k not in STEP_KEYS]
    kinds = [k for k in keys if k in STEP_KINDS]
    if kinds:
        return f"{step} has more than one kind: {', '.join(kinds)}", path
    if not keys:
        return f"{step} has no kind; give one of: {', '.join(STEP_KINDS)}", path
    return f"unknown step kind `{keys[0]}` in {step}{_suggest(str(keys[0]), list(STEP_KINDS))}", (*path, keys[0])


def _explain(error: jsonschema.ValidationError) -> Iterator[tuple[str, tuple[Any, ...]]]:
    """One clear sentence per problem a schema error stands for, and the path it points at."""
    path = tuple(error.absolute_path)
    instance: Any = error.instance
    where = ".".join(str(p) for p in path) or "(top level)"
    if error.validator == "additionalProperties":
        allowed = sorted(_subschema(error.schema).get("properties", {}))
        for key in [k for k in instance if k not in allowed]:
            yield f"unknown key `{key}` in {where}{_suggest(str(key), allowed)}", (*path, key)
    elif error.validator == "required":
        missing = error.message.split("'")[1] if "'" in error.message else error.message
        yield f"missing required key `{missing}` in {where}", path
    elif error.validator == "oneOf" and isinstance(instance, dict) and len(path) == 2 and path[0] == "steps":
        yield _step_sentence(path, instance)
    elif error.validator in ("anyOf", "oneOf") and error.context:
        yield from _explain(best_match(error.context))
    elif error.validator in ("minProperties", "maxProperties") and len(path) >= 2 and path[-1] == "step":
        yield f"{where} names exactly one step kind: {', '.join(STEP_KINDS)}", path
    else:
        yield f"{where}: {error.message if len(error.message) < 300 else _shown(instance) + ' is not valid'}", path


def _schema_problems(source: YamlFile) -> Problems:
    validator = jsonschema.Draft202012Validator(schema())
    found: Problems = []
    for error in validator.iter_errors(source.document):
        for message, at in _explain(error):
            problem = (source.line_of(at), message, str(at[-1]) if at else None)
            if problem not in found:
                found.append(problem)
    return found


# -- what the schema cannot say ------------------------------------------------------------------------------------
def _steps(document: dict[str, Any]) -> list[dict[str, Any]]:
    """The step mappings (checked beside the schema's own problems, so a malformed one is skipped here)."""
    steps = document.get("steps")
    return [s if isinstance(s, dict) else {} for s in steps] if isinstance(steps, list) else []


def _reference_problems(steps: list[dict[str, Any]], lines: Lines) -> Problems:
    """`${name...}` that no earlier step saved (`as: name`); a step's expectations may read its own."""
    saved: list[str] = []
    found: Problems = []
    for index, raw in enumerate(steps):
        own = raw.get("as") if isinstance(raw.get("as"), str) else None
        for key, value in raw.items():
            if key in ("name", "note", "as", "only"):
                continue
            known = [*saved, own] if key in ("expect", "expect_fixed") and own else saved
            for at, text in strings_in(value, ("steps", index, key)):
                for reference in REFERENCE.findall(text):
                    head = reference.split(".")[0]
                    if head in STACK_ROOTS or head in known:
                        continue
                    hint = f"; did you mean `{close[0]}`?" if (close := difflib.get_close_matches(head, known, n=1)) else ""
                    message = f"unknown reference ${{{reference}}}: no earlier step saved `{head}` (as: {head}){hint}"
                    found.append((line_of(lines, at), message, head))
        if own:
            saved.append(own)
    return found


def _fix_problems(document: dict[str, Any], lines: Lines) -> Problems:
    if "fix" in document or not _steps(document) or any("fix" in s for s in _steps(document)):
        return []
    message = "nothing is fixed: give `fix:` (what repairs the stack) or a step's `fix:` (what repairs the client)"
    return [(line_of(lines, ("steps",)), message, "fix")]


def _pasted(document: dict[str, Any]) -> bool:
    """A `gateway:` section that is a whole gateway document in any shape (harness/_paste.py), not an overlay."""
    from fake_gateway.shapes import detect

    gateway = document.get("gateway")
    return isinstance(gateway, dict) and detect(gateway) != "overlay"


def _stack_problems(document: dict[str, Any], source: YamlFile) -> Problems:
    """The stack sections as each run composes them: broken, fixed, and after each `fault` step (in order)."""
    kinds = [(next((k for k in raw if k in STEP_KINDS), ""), raw) for raw in _steps(document)]
    skip = _deferred([(kind, raw[kind] or {}) for kind, raw in kinds if kind])
    if document.get("dialect") == "agentgateway" or _pasted(document):  # checked by its own loader at start
        skip = (*skip, "gateway")

    def lines_under(*prefix: Any) -> LineOf:
        return lambda at: source.line_of((*prefix, *at))

    def sections(value: Any) -> dict[str, Any]:
        value = value if isinstance(value, dict) else {}
        return {n: value.get(n) if isinstance(value.get(n), dict) else {} for n in SECTIONS}

    broken: Layer = (sections(document), source.line_of)
    fixed: Layer = (sections(document.get("fix")), lines_under("fix"))
    found: Problems = []
    for mode, layers in (("broken", [broken]), ("fixed", [broken, fixed])):
        for index, (kind, raw) in enumerate(kinds):
            if kind == "fault" and raw.get("only") in (None, mode):
                layers = [*layers, (sections(raw["fault"]), lines_under("steps", index, "fault"))]
        for problem in section_problems(layers, skip=skip):
            if problem not in found:
                found.append(problem)
    return found


# -- building ----------------------------------------------------------------------------------------------------
def _step(index: int, raw: dict[str, Any], lines: Lines) -> Step:
    kind = next(k for k in raw if k in STEP_KINDS)
    fix = raw.get("fix")
    replacement = None
    if isinstance(fix, dict) and isinstance(fix.get("step"), dict):
        new_kind, new_spec = next(iter(fix["step"].items()))
        replacement = (new_kind, new_spec if new_spec is not None else {})
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
        line=line_of(lines, ("steps", index)),
        fix=fix,
        replacement=replacement,
    )


def load_scenario(path: str | Path) -> Scenario:
    """Parse and check one scenario file; ScenarioLoadError lists every problem with the file, the line and the key."""
    source = read_yaml(path, ScenarioLoadError)
    document = source.document
    if not isinstance(document, dict):
        raise ScenarioLoadError.of(source.path, [(1, "a scenario is a mapping (name, title, symptom, root_cause, "
                                                      "sources, steps)", None)])
    problems = [*_schema_problems(source), *_reference_problems(_steps(document), source.lines),
                *_fix_problems(document, source.lines), *_stack_problems(document, source)]
    if problems:
        raise ScenarioLoadError.of(source.path, sorted(problems, key=lambda p: p[0] or 0))
    return Scenario(
        name=document["name"],
        title=document["title"],
        symptom=document["symptom"],
        root_cause=document["root_cause"],
        fix=StackFile(**(document.get("fix") or {}), source=f"{source.path}#fix", dialect=document.get("dialect")),
        sources=list(document["sources"]),
        tags=list(document.get("tags", [])),
        steps=[_step(index, raw, source.lines) for index, raw in enumerate(document["steps"])],
        stack=StackFile(document.get("idp"), document.get("gateway"), document.get("mcp"), source=source.path,
                        dialect=document.get("dialect")),
        path=source.path,
        fix_note=document.get("fix_note"),
        clock_at=(document.get("clock") or {}).get("at"),
    )
