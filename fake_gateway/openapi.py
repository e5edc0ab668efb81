"""OpenAPI and API Gateway targets: operations become tools, tool calls become HTTP requests (sheet §7.1).

DOC gateway-schema-openapi: OpenAPI 3.0 and 3.1 (not Swagger 2.0); "The operationId is used as the tool name";
path, query, header and cookie parameters and JSON bodies; "The server attribute needs to have a valid URL of
the actual endpoint". How AgentCore lays parameters and the body out in a tool's `inputSchema` is not
documented (INFERRED): every parameter is a property of the same name (required when the spec says so), the JSON
request body is the property `body`. API Gateway targets (DOC gateway-target-api-gateway) expose the stage's
operations that `toolFilters` select (`filterPath` exact, or `/pets/*` for everything below), named by
`toolOverrides`; the stage's OpenAPI export is a local file (knob `emulator.schemaFiles['<restApiId>/<stage>']`),
without it the overrides alone define the tools. `$ref`s resolve with `referencing` (the JSON Schema ecosystem's
resolver).
"""

from __future__ import annotations

import fnmatch
import json
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx
from referencing import Registry, Resource
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

from fake_gateway.shapes.text import TextError, parse_text

__all__ = ["Operation", "apigateway_operations", "base_url", "operations", "parse_spec", "request_for"]

METHODS = ("get", "put", "post", "delete", "options", "head", "patch")
LOCATIONS = ("path", "query", "header", "cookie")


@dataclass(frozen=True)
class Param:
    name: str
    location: str
    required: bool
    schema: dict[str, Any]


@dataclass(frozen=True)
class Operation:
    name: str
    method: str
    path: str
    description: str
    params: tuple[Param, ...] = ()
    body: dict[str, Any] | None = None
    body_required: bool = False

    def tool(self) -> dict[str, Any]:
        properties: dict[str, Any] = {p.name: p.schema for p in self.params}
        required = [p.name for p in self.params if p.required]
        if self.body is not None:
            properties["body"] = self.body
            if self.body_required:
                required.append("body")
        schema: dict[str, Any] = {"type": "object", "properties": properties}
        if required:
            schema["required"] = required
        return {"name": self.name, "description": self.description, "inputSchema": schema}


def parse_spec(source: Any) -> dict[str, Any]:
    """An OpenAPI 3.x document (a dict, or JSON/YAML text); ValueError naming what is wrong."""
    spec = source
    if isinstance(source, str):
        try:
            spec = parse_text(source, source="openApiSchema")
        except TextError as exc:
            raise ValueError(str(exc)) from None
    if not isinstance(spec, dict):
        raise ValueError("the OpenAPI schema is not a JSON/YAML object")
    if "swagger" in spec:
        raise ValueError("Swagger 2.0 is not supported (OpenAPI versions 3.0 and 3.1 are)")
    if not str(spec.get("openapi", "")).startswith("3."):
        raise ValueError(f"not an OpenAPI 3.x document (openapi: {spec.get('openapi')!r})")
    if not isinstance(spec.get("paths"), dict):
        raise ValueError("the OpenAPI schema has no paths")
    return spec


def base_url(spec: Mapping[str, Any]) -> str | None:
    """servers[0].url with its variables' defaults."""
    servers = spec.get("servers") or []
    server = servers[0] if servers and isinstance(servers[0], dict) else {}
    url = server.get("url")
    if not isinstance(url, str):
        return None
    for name, variable in (server.get("variables") or {}).items():
        if isinstance(variable, dict) and "default" in variable:
            url = url.replace("{" + name + "}", str(variable["default"]))
    return url


class _Refs:
    def __init__(self, spec: Mapping[str, Any]) -> None:
        registry: Registry[Any] = Registry().with_resource(
            "urn:spec", Resource.from_contents(dict(spec), default_specification=DRAFT202012)
        )
        self.resolver = registry.resolver("urn:spec")

    def inline(self, value: Any, depth: int = 0) -> Any:
        if depth > 20:
            return {"type": "object"}
        if isinstance(value, dict):
            ref = value.get("$ref")
            if isinstance(ref, str):
                try:
                    return self.inline(self.resolver.lookup(ref).contents, depth + 1)
                except Unresolvable:
                    raise ValueError(f"unresolvable $ref {ref!r}") from None
            return {k: self.inline(v, depth + 1) for k, v in value.items()}
        if isinstance(value, list):
            return [self.inline(v, depth + 1) for v in value]
        return value


def operations(spec: Mapping[str, Any]) -> list[Operation]:
    """Every operation with an operationId (DOC: the others are not exposed as tools)."""
    refs = _Refs(spec)
    found = []
    for path, item in (spec.get("paths") or {}).items():
        item = refs.inline(item) if isinstance(item, dict) else {}
        shared = item.get("parameters") or []
        for method in METHODS:
            op = item.get(method)
            if isinstance(op, dict) and isinstance(op.get("operationId"), str):
                found.append(_operation(op["operationId"], method.upper(), path, op, shared))
    return found


def _operation(name: str, method: str, path: str, op: Mapping[str, Any], shared: list[Any]) -> Operation:
    params: dict[tuple[str, str], Param] = {}
    for raw in [*shared, *(op.get("parameters") or [])]:
        if isinstance(raw, dict) and raw.get("in") in LOCATIONS and isinstance(raw.get("name"), str):
            schema = dict(raw.get("schema") or {"type": "string"})
            if raw.get("description") and "description" not in schema:
                schema["description"] = raw["description"]
            required = bool(raw.get("required")) or raw["in"] == "path"
            params[(raw["name"], raw["in"])] = Param(raw["name"], raw["in"], required, schema)
    raw_body = op.get("requestBody")
    body_spec: dict[str, Any] = raw_body if isinstance(raw_body, dict) else {}
    content = body_spec.get("content") or {}
    json_body = next((v for k, v in content.items() if "json" in k), None) if isinstance(content, dict) else None
    body = dict(json_body.get("schema") or {}) if isinstance(json_body, dict) else None
    description = str(op.get("description") or op.get("summary") or name)
    return Operation(name, method, path, description, tuple(params.values()), body, bool(body_spec.get("required")))


def request_for(op: Operation, base: str, arguments: Mapping[str, Any] | None,
                extra_headers: Mapping[str, str] | None = None,
                extra_query: Mapping[str, str] | None = None) -> httpx.Request:
    """The HTTP request a tool call makes: parameters placed where the spec says, the body as JSON, plus the
    outbound credential's and the propagated headers and query parameters."""
    args = dict(arguments or {})
    path = op.path
    query: dict[str, Any] = {}
    headers: dict[str, str] = {}
    cookies: list[str] = []
    for param in op.params:
        if param.name not in args or args[param.name] is None:
            continue
        value = args[param.name]
        text = json.dumps(value) if isinstance(value, dict | list) and param.location != "query" else value
        if param.location == "path":
            path = path.replace("{" + param.name + "}", quote(str(text), safe=""))
        elif param.location == "query":
            query[param.name] = [_scalar(v) for v in value] if isinstance(value, list) else _scalar(value)
        elif param.location == "header":
            headers[param.name] = str(text)
        else:
            cookies.append(f"{param.name}={quote(str(text), safe='')}")
    if cookies:
        headers["Cookie"] = "; ".join(cookies)
    body = args.get("body") if op.body is not None else None
    return httpx.Request(op.method, base.rstrip("/") + path, params={**query, **(extra_query or {})},
                         headers={**headers, **(extra_headers or {})},
                         json=body if body is not None else None)


def _scalar(value: Any) -> str:
    return ("true" if value else "false") if isinstance(value, bool) else str(value)


def apigateway_operations(config: Mapping[str, Any], spec: Mapping[str, Any] | None) -> list[Operation]:
    """The tools of an API Gateway target: the export's operations the filters select, named by the overrides."""
    tool_config = config.get("apiGatewayToolConfiguration") or {}
    overrides = {(str(o.get("path")), str(o.get("method")).upper()): o
                 for o in tool_config.get("toolOverrides") or [] if isinstance(o, dict)}
    filters = [f for f in tool_config.get("toolFilters") or [] if isinstance(f, dict)]
    if spec is None:
        return [_bare(path, method, o) for (path, method), o in overrides.items()]
    selected = []
    for op in operations(spec) + _unnamed(spec):
        if not any(_selects(f, op) for f in filters):
            continue
        override = overrides.get((op.path, op.method))
        if override is not None:
            op = Operation(str(override.get("name") or op.name), op.method, op.path,
                           str(override.get("description") or op.description), op.params, op.body, op.body_required)
        if op.name:
            selected.append(op)
    return selected


def _selects(tool_filter: Mapping[str, Any], op: Operation) -> bool:
    path = str(tool_filter.get("filterPath", ""))
    methods = [str(m).upper() for m in tool_filter.get("methods") or []]
    matches = op.path == path or (path.endswith("/*") and fnmatch.fnmatchcase(op.path, path))
    return matches and op.method in methods


def _unnamed(spec: Mapping[str, Any]) -> list[Operation]:
    """Operations without an operationId: an override may still name them (name '' until it does)."""
    out = []
    for path, item in (spec.get("paths") or {}).items():
        for method in METHODS:
            op = item.get(method) if isinstance(item, dict) else None
            if isinstance(op, dict) and not isinstance(op.get("operationId"), str):
                out.append(_operation("", method.upper(), path, op, item.get("parameters") or []))
    return out


def _bare(path: str, method: str, override: Mapping[str, Any]) -> Operation:
    names = [part[1:-1] for part in path.split("/") if part.startswith("{") and part.endswith("}")]
    params = tuple(Param(n, "path", True, {"type": "string"}) for n in names)
    body = {"type": "object"} if method in ("POST", "PUT", "PATCH") else None
    return Operation(str(override.get("name")), method, path, str(override.get("description") or path), params, body)
