"""Validate a pasted AgentCore document against the `bedrock-agentcore-control` service model shipped in botocore.

API reference: https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/ (CreateGateway,
GetGateway, CreateGatewayTarget, GetGatewayTarget, CreateOauth2CredentialProvider, CreateApiKeyCredentialProvider,
CreatePolicyEngine, CreatePolicy). The shapes, required members, enums, patterns, lengths, ranges and tagged
unions all come from the model (`botocore.session.get_session().get_service_model(...)`); nothing is re-typed
here. A document may be a create request *or* a get response: the members of both are accepted, and a member
is required only when both require it. AgentCore's own rules on top live in `rules.py`.
"""

from __future__ import annotations

import difflib
import functools
import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.loaders
from botocore.model import ListShape, MapShape, ServiceModel, Shape, StructureShape

from fake_gateway.errors import (
    C_ENUM,
    C_MAX_LEN,
    C_MAX_VAL,
    C_MIN_LEN,
    C_MIN_VAL,
    C_NOT_NULL,
    C_PATTERN,
    C_TYPE,
    UNION_COUNT,
    UNKNOWN_MEMBER,
    VALUE_CONSTRAINT,
    VALUE_CONSTRAINT_SENSITIVE,
    Issue,
)

__all__ = ["DocShape", "Hook", "Placer", "doc_shape", "same_kind", "service_model", "suggest", "validate"]

SERVICE = "bedrock-agentcore-control"

# A hook replaces the model check of one named shape: it returns the issues it found, or None to fall back
# to the model (used where the emulator deliberately widens AWS: http loopback endpoints, provider names).
Hook = Callable[[Any, str], "list[Issue] | None"]
# A placer says where an unknown key belongs in the whole document (key, parent path) -> a hint, or None.
Placer = Callable[[str, str], "str | None"]


@functools.lru_cache(maxsize=1)
def service_model() -> ServiceModel:
    """The model as `botocore.session.get_session().get_service_model(SERVICE)` builds it, through botocore's
    loader alone (a session imports botocore's clients, waiters and docstring machinery: ~30 ms at start)."""
    document = botocore.loaders.create_loader().load_service_model(SERVICE, "service-2")
    return ServiceModel(document, service_name=SERVICE)


@dataclass(frozen=True)
class DocShape:
    """A synthetic structure: the union of the members of several model shapes."""

    name: str
    members: Mapping[str, Shape]
    required: frozenset[str]


def doc_shape(
    name: str,
    shapes: Iterable[tuple[str, str]],
    *,
    required: Iterable[str] | None = None,
    drop: Iterable[str] = (),
) -> DocShape:
    """Merge `(operation, "input"|"output")` shapes; required = intersection unless given."""
    model = service_model()
    members: dict[str, Shape] = {}
    req: set[str] | None = None
    for operation, side in shapes:
        op = model.operation_model(operation)
        shape = op.input_shape if side == "input" else op.output_shape
        assert shape is not None, f"{operation} has no {side} shape in {SERVICE}"
        for key, member in shape.members.items():
            members.setdefault(key, member)
        req = set(shape.required_members) if req is None else req & set(shape.required_members)
    for key in drop:
        members.pop(key, None)
    required_set = set(required) if required is not None else (req or set())
    return DocShape(name, members, frozenset(required_set - set(drop)))


@functools.lru_cache(maxsize=512)
def _regex(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None


def _show(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, list):
        return (
            f"'[{len(value)} item{'s' if len(value) != 1 else ''}]'"  # containers may hold secrets: size only
        )
    if isinstance(value, dict):
        return "'{...}'"
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > 120:
        text = text[:117] + "..."
    return f"'{text}'"


def _constraint(path: str, value: Any, constraint: str, sensitive: bool = False) -> Issue:
    """AWS's wording; a sensitive member's value is left out of it (errors.VALUE_CONSTRAINT_SENSITIVE)."""
    if sensitive and value is not None:
        return Issue(path, VALUE_CONSTRAINT_SENSITIVE.format(path=path, constraint=constraint))
    return Issue(path, VALUE_CONSTRAINT.format(value=_show(value), path=path, constraint=constraint))


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def suggest(name: str, candidates: Iterable[str], cutoff: float = 0.5) -> str | None:
    """The closest real member name (case-insensitive exact match first, then difflib above `cutoff`)."""
    options = list(candidates)
    for option in options:
        if option.lower() == name.lower():
            return option
    close = difflib.get_close_matches(name, options, n=1, cutoff=cutoff)
    if close:
        return close[0]
    lowered = {o.lower(): o for o in options}
    close = difflib.get_close_matches(name.lower(), list(lowered), n=1, cutoff=cutoff)
    return lowered[close[0]] if close else None


_KINDS = {"structure": dict, "map": dict, "list": list, "string": str, "boolean": bool, "timestamp": str}


def same_kind(value: Any, shape: Shape | None) -> bool:
    """Is `value` the JSON kind `shape` wants (an object for a structure, a list for a list, ...)?"""
    if shape is None:
        return True
    kind = shape.type_name
    if kind in ("integer", "long", "float", "double"):
        return isinstance(value, int | float) and not isinstance(value, bool)
    wanted = _KINDS.get(kind)
    return wanted is None or isinstance(value, wanted)


def _scalar_type(kind: str, value: Any) -> str | None:
    """The JSON type a scalar shape wants when `value` is not of it (bool is never a number); else None."""
    if kind in ("integer", "long"):
        ok = isinstance(value, int) and not isinstance(value, bool)
        return None if ok else "integer"
    if kind in ("float", "double"):
        ok = isinstance(value, int | float) and not isinstance(value, bool)
        return None if ok else "number"
    if kind == "boolean":
        return None if isinstance(value, bool) else "boolean"
    if kind == "timestamp":
        ok = isinstance(value, str | int | float) and not isinstance(value, bool)
        return None if ok else "timestamp (ISO 8601 or epoch)"
    if kind == "blob":
        return None if isinstance(value, str) else "blob (base64 string)"
    return None


class _Walker:
    def __init__(self, hooks: Mapping[str, Hook], placer: Placer | None = None) -> None:
        self.hooks = hooks
        self.placer = placer
        self.issues: list[Issue] = []

    def structure(
        self,
        value: Any,
        members: Mapping[str, Shape],
        required: Iterable[str],
        path: str,
        name: str,
        union: bool,
        extra: Iterable[str] = (),
    ) -> None:
        if not isinstance(value, dict):
            self.issues.append(_constraint(path, value, C_TYPE.format(type="structure (a JSON object)")))
            return
        for key, item in value.items():
            if key not in members:
                message, meant = self._unknown(key, item, members, path, name, extra)
                self.issues.append(Issue(_join(path, key), message))
                if meant is not None and item not in (None, {}, []):
                    self.check(item, members[meant], _join(path, key))  # its own problems, in the same answer
                continue
            if item is None:
                continue
            self.check(item, members[key], _join(path, key))
        written = {k.lower() for k in value}
        for key in sorted(required):
            if value.get(key) is None and not (key not in value and key.lower() in written):
                self.issues.append(_constraint(_join(path, key), None, C_NOT_NULL))
        if union and all(key in members for key in value):
            present = [k for k in members if value.get(k) is not None]
            if len(present) != 1:
                self.issues.append(
                    Issue(path, UNION_COUNT.format(where=path or name, members=", ".join(members)))
                )

    def _unknown(
        self, key: str, item: Any, members: Mapping[str, Shape], path: str, name: str, extra: Iterable[str] = ()
    ) -> tuple[str, str | None]:
        """The message for an unknown key, and the member it is meant to be (to check its value too).

        Where a key belongs is said before any suggestion: a forgotten wrapper, then another place in the
        document; a suggestion only when the name is close (or differs in case) and of the same kind."""
        names = [*members, *extra]
        message = UNKNOWN_MEMBER.format(where=path or name, name=key, members=", ".join(names))
        exact = next((m for m in names if m.lower() == key.lower()), None)
        if exact is not None:
            return f"{message}. Did you mean '{exact}'?", exact if exact in members else None
        # A member of a nested structure pasted one level too high: a forgotten wrapper.
        for wrapper, shape in members.items():
            if isinstance(shape, StructureShape) and key in shape.members:
                hint = f"'{key}' belongs inside '{wrapper}': {{\"{wrapper}\": {{\"{key}\": ...}}}}"
                return f"{message}. {hint}", None
        placed = self.placer(key, path) if self.placer is not None else None
        if placed:
            return f"{message}. {placed}", None
        close = suggest(key, names, cutoff=0.75)
        if close and same_kind(item, members.get(close)):
            return f"{message}. Did you mean '{close}'?", close if close in members else None
        return message, None

    def check(self, value: Any, shape: Shape, path: str) -> None:
        hook = self.hooks.get(shape.name)
        if hook is not None:
            found = hook(value, path)
            if found is not None:
                self.issues.extend(found)
                return
        meta = shape.metadata
        kind = shape.type_name
        if kind == "structure":
            if meta.get("document"):
                return
            assert isinstance(shape, StructureShape)
            self.structure(
                value, shape.members, shape.required_members, path, shape.name, bool(meta.get("union"))
            )
        elif kind == "list":
            assert isinstance(shape, ListShape)
            self._list(value, shape, path)
        elif kind == "map":
            assert isinstance(shape, MapShape)
            self._map(value, shape, path)
        elif kind == "string":
            self._string(value, shape, path)
        elif (expected := _scalar_type(kind, value)) is not None:
            self.issues.append(_constraint(path, value, C_TYPE.format(type=expected)))
        elif kind in ("integer", "long"):
            if "min" in meta and value < meta["min"]:
                self.issues.append(_constraint(path, value, C_MIN_VAL.format(n=meta["min"])))
            if "max" in meta and value > meta["max"]:
                self.issues.append(_constraint(path, value, C_MAX_VAL.format(n=meta["max"])))

    def _list(self, value: Any, shape: ListShape, path: str) -> None:
        if not isinstance(value, list):
            self.issues.append(_constraint(path, value, C_TYPE.format(type="list (a JSON array)")))
            return
        self._length(value, shape.metadata, path, bool(shape.metadata.get("sensitive")), len(value))
        for index, item in enumerate(value):
            self.check(item, shape.member, f"{path}[{index}]")

    def _map(self, value: Any, shape: MapShape, path: str) -> None:
        if not isinstance(value, dict):
            self.issues.append(_constraint(path, value, C_TYPE.format(type="map (a JSON object)")))
            return
        self._length(value, shape.metadata, path, bool(shape.metadata.get("sensitive")), len(value))
        for key, item in value.items():
            self.check(key, shape.key, f"{path}.{key}")
            self.check(item, shape.value, f"{path}.{key}")

    def _string(self, value: Any, shape: Shape, path: str) -> None:
        meta = shape.metadata
        sensitive = bool(meta.get("sensitive"))
        if not isinstance(value, str):
            self.issues.append(_constraint(path, value, C_TYPE.format(type="string"), sensitive))
            return
        enum = getattr(shape, "enum", None)
        if enum and value not in enum:
            self.issues.append(_constraint(path, value, C_ENUM.format(values=", ".join(enum)), sensitive))
            return
        self._length(value, meta, path, sensitive, len(value))
        pattern = meta.get("pattern")
        regex = _regex(pattern) if pattern else None
        if regex is not None and not regex.fullmatch(value):
            self.issues.append(_constraint(path, value, C_PATTERN.format(pattern=pattern), sensitive))

    def _length(self, value: Any, meta: Mapping[str, Any], path: str, sensitive: bool, size: int) -> None:
        if "min" in meta and size < meta["min"]:
            self.issues.append(_constraint(path, value, C_MIN_LEN.format(n=meta["min"]), sensitive))
        if "max" in meta and size > meta["max"]:
            self.issues.append(_constraint(path, value, C_MAX_LEN.format(n=meta["max"]), sensitive))


def validate(
    value: Any,
    shape: DocShape | Shape,
    path: str = "",
    *,
    hooks: Mapping[str, Hook] | None = None,
    extra_members: Iterable[str] = (),
    placer: Placer | None = None,
) -> list[Issue]:
    """All model violations of `value` (a JSON value) against `shape`; `extra_members` are skipped keys;
    `placer` says where an unknown key belongs elsewhere in the document."""
    walker = _Walker(hooks or {}, placer)
    if isinstance(shape, DocShape):
        if isinstance(value, dict):
            skip = set(extra_members)
            value = {k: v for k, v in value.items() if k not in skip}
        walker.structure(
            value, shape.members, shape.required, path, shape.name, union=False, extra=extra_members
        )
    else:
        walker.check(value, shape, path)
    return walker.issues
