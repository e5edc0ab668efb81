"""Stack sections checked when their file loads, not when a stack starts: every problem, each with its line.

Each layer of a stack file (a scenario's broken stack, then its `fix`, then its `fault` steps) is rendered with
placeholder URLs, merged over the demo default as the running stack merges it (`compose_section`: named lists by
identity) and validated by the service's own model (`Tenant`, `Gateway`, `SampleSettings`). A problem in the
composed document is traced back to the layer and the YAML path that set it (through named lists by identity),
so `authstage replay` and `authstage up --config` say `file:line: idp.clients[2].grant_types: …` at once.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import cache
from typing import Any

from pydantic import BaseModel, ValidationError

from authstage_kit.merge import MergeError, NamedLists, merge_named
from authstage_kit.suggest import closest, extra_key_message
from harness._exceptions import ConfigError, Problems
from harness._variables import render, stack_variables, strings_in, tenant_variables, variable_names

__all__ = ["NAMED_LISTS", "SECTIONS", "Layer", "LineOf", "compose_section", "section_problems"]

SECTIONS = ("idp", "gateway", "mcp")
# Lists of named things, per section: path -> the keys an item is matched by (tried in order).
NAMED_LISTS: dict[str, NamedLists] = {
    "idp": {
        ("clients",): [("name",), ("client_id",)],
        ("apis",): [("name",), ("identifier",)],
        ("users",): [("email",), ("user_id",)],
        ("client_grants",): [("client_id", "audience"), ("default_for", "audience")],
        ("connections",): [("name",)],
        ("token_exchange_profiles",): [("name",)],
    },
    "gateway": {
        ("targets",): [("name",), ("targetId",)],
        ("credentialProviders",): [("name",)],
        ("policyEngines",): [("name",)],
        ("policyEngines", "*", "policies"): [("name",), ("policyId",)],
    },
    "mcp": {},
}

# Where a layer's sections sit in its file: (section, *path in the section) -> line.
LineOf = Callable[[tuple[Any, ...]], int | None]
Layer = tuple[dict[str, dict[str, Any]], LineOf]
PLACEHOLDERS = ("http://127.0.0.1:40001", "http://127.0.0.1:40002", "http://127.0.0.1:40003")
_PART = re.compile(r"([^.\[\]]+)|\[(\d+)\]")


def compose_section(name: str, default: dict[str, Any], patches: list[dict[str, Any]]) -> dict[str, Any]:
    """One section's document: the demo default with each layer's patch applied in turn (`NAMED_LISTS` merge by
    identity); a patch that cannot apply is a ConfigError naming where."""
    document = default
    for patch in patches:
        try:
            document = merge_named(document, patch, NAMED_LISTS[name])
        except MergeError as exc:
            where = ".".join(str(p) for p in (name, *exc.where))
            raise ConfigError(f"{where}: {exc}", key=where) from exc
    return document


@cache
def _placeholders() -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
    from harness._demo import demo_documents

    variables = stack_variables(*PLACEHOLDERS)
    defaults = demo_documents(variables)
    return variables | tenant_variables(defaults["idp"]), defaults


def _models() -> dict[str, Callable[[dict[str, Any]], Any]]:
    from fake_gateway import Gateway
    from fake_idp import Tenant
    from sample_mcp import SampleSettings

    return {"idp": Tenant.model_validate, "gateway": Gateway.from_document, "mcp": SampleSettings.model_validate}


def _model_type(section: str) -> type[BaseModel]:
    from fake_gateway import Gateway
    from fake_idp import Tenant
    from sample_mcp import SampleSettings

    types: dict[str, type[BaseModel]] = {"idp": Tenant, "gateway": Gateway, "mcp": SampleSettings}
    return types[section]


def _unknown_variables(section: str, patch: dict[str, Any], line_of: LineOf, problems: Problems) -> list[str]:
    """Report every `${...}` no stack has; return their names."""
    variables = _placeholders()[0]
    names: list[str] = []
    for at, text in strings_in(patch):
        for name in variable_names(text):
            if name not in variables:
                near = closest(name, list(variables))
                hint = f" (did you mean ${{{near}}}?)" if near else ""
                where = _dotted((section, *at))
                problems.append((line_of((section, *at)), f"{where}: unknown variable ${{{name}}}{hint}", None))
                names.append(name)
    return names


def _dotted(path: tuple[Any, ...]) -> str:
    return "".join(f"[{p}]" if isinstance(p, int) else (f".{p}" if i else str(p)) for i, p in enumerate(path))


def _loc(raw: tuple[Any, ...]) -> tuple[Any, ...]:
    """A pydantic location with the gateway's dotted AWS paths (`targets[0].name`) split into parts."""
    out: list[Any] = []
    for part in raw:
        if isinstance(part, str) and ("." in part or "[" in part):
            out.extend(m.group(1) if m.group(1) is not None else int(m.group(2)) for m in _PART.finditer(part))
        else:
            out.append(part)
    return tuple(out)


def _identity_match(item: Any, candidates: list[Any], keys: list[tuple[str, ...]]) -> int | None:
    if not isinstance(item, dict):
        return None
    for fields in keys:
        if all(item.get(f) is not None for f in fields):
            for index, other in enumerate(candidates):
                if isinstance(other, dict) and all(other.get(f) == item[f] for f in fields):
                    return index
            return None
    return None


def _patch_path(loc: tuple[Any, ...], document: Any, patch: Any, named: NamedLists) -> tuple[Any, ...]:
    """The path in `patch` that set what `loc` points at in the composed `document` (as deep as it goes)."""
    out: list[Any] = []
    pattern: tuple[str, ...] = ()
    for part in loc:
        if isinstance(part, int):
            if not (isinstance(document, list) and isinstance(patch, list) and part < len(document)):
                break
            keys = named.get(pattern)
            index = _identity_match(document[part], patch, list(keys)) if keys else part
            if index is None or index >= len(patch):
                break
            out.append(index)
            document, patch, pattern = document[part], patch[index], (*pattern, "*")
        else:
            if not (isinstance(patch, dict) and part in patch):
                break
            out.append(part)
            document = document.get(part) if isinstance(document, dict) else None
            patch, pattern = patch[part], (*pattern, part)
    return tuple(out)


def _where(section: str, loc: tuple[Any, ...], document: Any,
           layers: list[tuple[dict[str, Any], LineOf]]) -> tuple[int | None, tuple[Any, ...]]:
    """The line of the layer that set `loc` most precisely (the last one on a tie), else the section's line; and
    `loc` as that layer writes it (its own list indexes, matched by identity through named lists)."""
    best: tuple[int, int | None, tuple[Any, ...]] = (-1, None, loc)
    for patch, line_of in layers:
        path = _patch_path(loc, document, patch, NAMED_LISTS[section])
        if patch and len(path) >= best[0]:
            best = (len(path), line_of((section, *path)), (*path, *loc[len(path):]))
    return best[1], best[2]


class _Known(dict[str, str]):
    """The placeholder variables; an unknown name (reported already) stays as written, so checking goes on."""

    def __contains__(self, name: object) -> bool:
        return True

    def __missing__(self, name: str) -> str:
        return f"${{{name}}}"


def _without(value: Any, where: tuple[Any, ...]) -> Any:
    """A copy of `value` without the element at `where` (a list item or an object key)."""
    if not where:
        return {}
    head, rest = where[0], where[1:]
    if isinstance(value, dict):
        copy = dict(value)
        if rest and head in copy:
            copy[head] = _without(copy[head], rest)
        else:
            copy.pop(head, None)
        return copy
    if isinstance(value, list) and isinstance(head, int) and head < len(value):
        copy_list = list(value)
        if rest:
            copy_list[head] = _without(copy_list[head], rest)
        else:
            del copy_list[head]
        return copy_list
    return value


def _compose(section: str, layers: list[tuple[dict[str, Any], LineOf]], problems: Problems) -> dict[str, Any]:
    """The section's document; a patch element that cannot merge is reported and left out, so checking goes on."""
    known, defaults = _placeholders()
    variables = _Known(known)
    document = defaults[section]
    for patch, line_of in layers:
        rendered = render(patch, variables, where=section)
        for _ in range(50):
            try:
                document = compose_section(section, document, [rendered])  # what the running stack does
                break
            except ConfigError as exc:
                cause = exc.__cause__
                assert isinstance(cause, MergeError)
                problems.append((line_of((section, *cause.where)), f"{_dotted((section, *cause.where))}: {cause}", None))
                rendered = _without(rendered, cause.where)
    return document


def _validate(section: str, document: dict[str, Any], layers: list[tuple[dict[str, Any], LineOf]],
              problems: Problems, unknown: list[str]) -> None:
    """The service model's verdict on the composed document; `unknown` variables (reported already) are not
    reported again as the values they left behind."""
    try:
        _models()[section](document)
    except ValidationError as exc:
        model = _model_type(section)
        for err in exc.errors(include_url=False):
            raw = tuple(err.get("loc", ()))
            message = extra_key_message(err, model)
            if any(f"${{{name}}}" in message for name in unknown):
                continue
            line, loc = _where(section, _loc(raw), document, layers)
            # AWS's wording names the member itself ("Value … at 'targets[0].name' …"): no second path in front
            named = len(raw) == 1 and isinstance(raw[0], str) and f"'{raw[0]}'" in message
            problems.append((line, f"{section}: {message}" if named else f"{_dotted((section, *loc))}: {message}", None))
    except (ValueError, TypeError) as exc:
        problems.append((_where(section, (), document, layers)[0], f"{section}: {exc}", None))


def section_problems(layers: list[Layer], *, skip: tuple[str, ...] = ()) -> Problems:
    """Every problem of the stack the layers compose (each layer: its sections and where they sit in the file)."""
    problems: Problems = []
    for section in SECTIONS:
        if section in skip:
            continue
        mine = [(sections.get(section) or {}, line_of) for sections, line_of in layers]
        if not all(isinstance(patch, dict) for patch, _ in mine):
            continue  # the schema / StackFile says so already
        if not any(patch for patch, _ in mine):
            continue  # the demo default, valid by construction
        unknown = [name for patch, line_of in mine for name in _unknown_variables(section, patch, line_of, problems)]
        _validate(section, _compose(section, mine, problems), mine, problems, unknown)
    return sorted(problems, key=lambda p: p[0] or 0)
