"""Loading an agentgateway config: `${VAR}` expansion, the shape check (`serde.py`), the lenient allowances, and
the typed view the gateway runs (`Loaded`).

Both topologies [AG:src/types/local.rs#L1092-L1121, L1172-L1217, L552-L566]: `binds[].listeners[].routes[]`
(deprecated, still valid), `gateways` + `routes[]` (a route without `gateways` attaches to `default`), and the
simplified top-level `mcp:` (matches `/mcp`, `/sse`, `/.well-known`). A route without `matches` takes every path
(`PathPrefix "/"`, AG:src/types/local.rs#L1982-L1989).

Two loaders (knob `emulator.loader`):
- **strict** refuses what agentgateway refuses, with its error (`serde.py`).
- **lenient** (default) first applies the sheet's three allowances for the old Auth0 docs page (§0.2, §6.2),
  each announced as a warning with the real spelling: `resourceMetadata` defaults to `{}`, `- if: X` reads as
  `- 'X'`, and `auth.claims` is an alias of `jwt`; everything else is checked as strictly.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from fake_gateway.agentgateway.serde import check_config

__all__ = [
    "AUTH_CLAIMS",
    "Authn",
    "LoadWarning",
    "Loaded",
    "Match",
    "McpBackendSpec",
    "RouteSpec",
    "Rule",
    "TargetSpec",
    "load",
    "mcp_paths",
]

AUTH_CLAIMS = re.compile(r"\bauth\.claims\b")
# validate_mcp_target_name [AG:src/types/agent.rs#L1861-L1882]: a Gateway API SectionName, never `_` or `+`
TARGET_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
TARGET_NAME_ERROR = (
    "invalid MCP target name {name!r}: must match Gateway API SectionName pattern (lowercase letters, digits, "
    "'-' and '.'; '+' and '_' are reserved MCP delimiters)"
)
MCP_SIMPLE_MATCHES = ("/mcp", "/sse", "/.well-known")


@dataclass(frozen=True)
class LoadWarning:
    """An allowance the lenient loader made: where, what agentgateway says, and how to write it today."""

    path: str
    agentgateway: str
    allowance: str

    def __str__(self) -> str:
        return f"{self.path}: {self.agentgateway} — emulator allowance: {self.allowance}"


@dataclass(frozen=True)
class Rule:
    kind: str  # allow | deny | require
    expression: str
    path: str
    auth_alias: bool = False  # lenient: `auth.claims` resolves to the verified claims


@dataclass(frozen=True)
class Authn:
    """mcpAuthentication, normalised across eras (era A `audience`/`jwksUrl` become `audiences`/`jwks.url`)."""

    issuer: str
    audiences: tuple[str, ...]
    provider: str | None
    resource_metadata: dict[str, Any]
    jwks: tuple[str, str]  # ("url", url) | ("file", path) | ("inline", json text)
    mode: str
    client_id: str | None
    path: str


@dataclass(frozen=True)
class TargetSpec:
    name: str
    kind: str  # stdio | mcp | sse | openapi
    cmd: str | None = None
    args: tuple[str, ...] = ()
    env: tuple[tuple[str, str], ...] = ()
    clear_env: bool = False
    url: str | None = None


@dataclass(frozen=True)
class McpBackendSpec:
    targets: tuple[TargetSpec, ...]
    stateful: bool
    prefix_mode: str
    failure_mode: str


@dataclass(frozen=True)
class Match:
    kind: str  # prefix | exact | regex
    value: str
    method: str | None = None


@dataclass(frozen=True)
class RouteSpec:
    name: str
    matches: tuple[Match, ...]
    authentication: Authn | None
    authorization: tuple[Rule, ...]
    mcp_authorization: tuple[Rule, ...]
    cors: dict[str, Any] | None
    passthrough: bool
    backend: McpBackendSpec | None
    backend_kind: str | None  # what the first backend is when it is not an MCP backend


@dataclass
class Loaded:
    routes: list[RouteSpec] = field(default_factory=list)
    ports: list[int] = field(default_factory=list)
    warnings: list[LoadWarning] = field(default_factory=list)
    startup: dict[str, Any] = field(default_factory=dict)  # the `config:` section (adminAddr, statsAddr, ...)


def load(document: dict[str, Any], *, era: str, lenient: bool, compile_cel: Callable[[str], None]) -> Loaded:
    """The config as agentgateway (strict) or the emulator (lenient) reads it; `serde.SerdeError` (or ValueError for
    a conversion error such as a target name) when it does not load."""
    warnings: list[LoadWarning] = []
    if lenient:
        document = _allowances(copy.deepcopy(document), warnings)
    check_config(document, era, compile_cel)
    loaded = Loaded(warnings=warnings, startup=dict(document.get("config") or {}))
    _collect(document, era, loaded, lenient)
    return loaded


# --- the lenient allowances (sheet §0.2, §6.2) ---------------------------------------------------------------------


def _policy_blocks(document: dict[str, Any]) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every `policies` mapping a route or the simplified `mcp:` carries, with its path."""
    for b, bind in enumerate(_items(document.get("binds"))):
        for li, listener in enumerate(_items(bind.get("listeners"))):
            for r, route in enumerate(_items(listener.get("routes"))):
                if isinstance(route.get("policies"), dict):
                    yield f"binds[{b}].listeners[{li}].routes[{r}].policies", route["policies"]
    for r, route in enumerate(_items(document.get("routes"))):
        if isinstance(route.get("policies"), dict):
            yield f"routes[{r}].policies", route["policies"]
    mcp = document.get("mcp")
    if isinstance(mcp, dict) and isinstance(mcp.get("policies"), dict):
        yield "mcp.policies", mcp["policies"]


def _items(value: Any) -> list[dict[str, Any]]:
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _allowances(document: dict[str, Any], warnings: list[LoadWarning]) -> dict[str, Any]:
    for where, policies in _policy_blocks(document):
        authn = policies.get("mcpAuthentication")
        if isinstance(authn, dict) and "resourceMetadata" not in authn and "resource_metadata" not in authn:
            authn["resourceMetadata"] = {}
            warnings.append(LoadWarning(
                f"{where}.mcpAuthentication", "missing field `resourceMetadata` (it is required)",
                "defaulted to {}; write `resourceMetadata: {}` (or your PRM fields)",
            ))
        for kind in ("authorization", "mcpAuthorization"):
            block = policies.get(kind)
            raw = block.get("rules") if isinstance(block, dict) else None
            rules: list[Any] = raw if isinstance(raw, list) else []
            for i, rule in enumerate(rules):
                _allow_if(rule, rules, i, f"{where}.{kind}.rules[{i}]", warnings)
                text = rule if isinstance(rule, str) else next(iter(rule.values()), "") if isinstance(rule, dict) else ""
                if isinstance(text, str) and AUTH_CLAIMS.search(text):
                    warnings.append(LoadWarning(
                        f"{where}.{kind}.rules[{i}]",
                        "no variable `auth` exists in agentgateway's CEL (the verified claims are `jwt`): the rule "
                        "errors, which counts as false",
                        f"`auth.claims` read as `jwt`; write '{AUTH_CLAIMS.sub('jwt', text)}'",
                    ))
    return document


def _allow_if(rule: Any, rules: list[Any], index: int, where: str, warnings: list[LoadWarning]) -> None:
    if isinstance(rule, dict) and list(rule) == ["if"] and isinstance(rule["if"], str):
        rules[index] = rule["if"]
        today = AUTH_CLAIMS.sub("jwt", rule["if"])
        warnings.append(LoadWarning(
            where, "data did not match any variant of untagged enum RuleSerde (`if:` was never a rule key)",
            f"read as an allow rule; write `- '{today}'` (or `- allow: '{today}'`)",
        ))


# --- the typed view ----------------------------------------------------------------------------------------------


def _collect(document: dict[str, Any], era: str, loaded: Loaded, lenient: bool) -> None:
    for b, bind in enumerate(_items(document.get("binds"))):
        if isinstance(bind.get("port"), int):
            loaded.ports.append(bind["port"])
        for li, listener in enumerate(_items(bind.get("listeners"))):
            for r, route in enumerate(_items(listener.get("routes"))):
                loaded.routes.append(_route(route, f"binds[{b}].listeners[{li}].routes[{r}]", era, lenient))
    for gateway in (document.get("gateways") or {}).values():
        if isinstance(gateway, dict) and isinstance(gateway.get("port"), int):
            loaded.ports.append(gateway["port"])
    for r, route in enumerate(_items(document.get("routes"))):
        loaded.routes.append(_route(route, f"routes[{r}]", era, lenient))
    mcp = document.get("mcp")
    if isinstance(mcp, dict):
        if isinstance(mcp.get("port"), int):
            loaded.ports.append(mcp["port"])
        route = {"name": "mcp", "matches": [{"path": {"pathPrefix": p}} for p in MCP_SIMPLE_MATCHES],
                 "policies": mcp.get("policies"), "backends": [{"mcp": mcp}]}
        loaded.routes.append(_route(route, "mcp", era, lenient))


def _route(route: dict[str, Any], where: str, era: str, lenient: bool) -> RouteSpec:
    policies = route.get("policies") or {}
    backends = _items(route.get("backends"))
    first = backends[0] if backends else {}
    mcp = first.get("mcp") if isinstance(first.get("mcp"), dict) else None
    authn = policies.get("mcpAuthentication")
    backend_auth = policies.get("backendAuth")
    return RouteSpec(
        name=str(route.get("name") or where),
        matches=_matches(route.get("matches")),
        authentication=_authn(authn, f"{where}.policies.mcpAuthentication", era) if authn else None,
        authorization=_rules(policies.get("authorization"), f"{where}.policies.authorization", lenient),
        mcp_authorization=_rules(policies.get("mcpAuthorization"), f"{where}.policies.mcpAuthorization", lenient),
        cors=policies.get("cors") if isinstance(policies.get("cors"), dict) else None,
        passthrough=isinstance(backend_auth, dict) and "passthrough" in backend_auth,
        backend=_mcp_backend(mcp) if mcp is not None else None,
        backend_kind=None if mcp is not None else next((k for k in first if k not in ("weight", "policies")), None),
    )


def _matches(raw: Any) -> tuple[Match, ...]:
    if not isinstance(raw, list) or not raw:
        return (Match("prefix", "/"),)
    found = []
    for item in raw:
        path = item.get("path") if isinstance(item, dict) else None
        method = item.get("method") if isinstance(item, dict) else None
        kind, value = next(iter(path.items())) if isinstance(path, dict) and path else ("pathPrefix", "/")
        found.append(Match({"pathPrefix": "prefix", "exact": "exact"}.get(kind, "regex"), str(value), method))
    return tuple(found)


def _rules(raw: Any, where: str, lenient: bool) -> tuple[Rule, ...]:
    if not isinstance(raw, dict):
        return ()
    found = []
    for i, rule in enumerate(raw.get("rules") or []):
        kind, text = ("allow", rule) if isinstance(rule, str) else next(iter(rule.items()))
        found.append(Rule(kind, text, f"{where}.rules[{i}]", lenient and bool(AUTH_CLAIMS.search(text))))
    return tuple(found)


def _authn(raw: dict[str, Any], where: str, era: str) -> Authn:
    if era == "A":
        audiences: tuple[str, ...] = (raw["audience"],)
        jwks: tuple[str, str] = ("url", raw.get("jwksUrl", ""))
    else:
        audiences = tuple(raw.get("audiences") or ())
        spec = raw.get("jwks")
        jwks = ("inline", spec) if isinstance(spec, str) else next(iter(spec.items())) if spec else ("url", "")
    provider = next(iter(raw["provider"]), None) if isinstance(raw.get("provider"), dict) else None
    default_mode = "strict" if era in ("C", "D") else "optional"  # #997 made strict the default in v1.0
    return Authn(
        issuer=raw["issuer"],
        audiences=audiences,
        provider=provider,
        resource_metadata=dict(raw.get("resourceMetadata") or {}),
        jwks=jwks,
        mode=raw.get("mode", default_mode) if era != "A" else "strict",
        client_id=raw.get("clientId"),
        path=where,
    )


def _mcp_backend(raw: dict[str, Any]) -> McpBackendSpec:
    targets = []
    for target in _items(raw.get("targets")):
        if not TARGET_NAME.match(target["name"]) or len(target["name"]) > 253:
            raise ValueError(TARGET_NAME_ERROR.format(name=target["name"]).replace("'", '"', 2))
        kind = next(k for k in ("stdio", "mcp", "sse", "openapi") if k in target)
        spec = target[kind] if isinstance(target[kind], dict) else {}
        if kind == "stdio":
            targets.append(TargetSpec(
                target["name"], kind, cmd=spec["cmd"], args=tuple(spec.get("args") or ()),
                env=tuple((spec.get("env") or {}).items()), clear_env=bool(spec.get("clear_env")),
            ))
        else:
            targets.append(TargetSpec(target["name"], kind, url=_target_url(spec, kind)))
    return McpBackendSpec(
        targets=tuple(targets),
        stateful=raw.get("statefulMode", "stateful") == "stateful",
        prefix_mode=raw.get("prefixMode", "conditional"),
        failure_mode=raw.get("failureMode", "failClosed"),
    )


def _target_url(spec: dict[str, Any], kind: str) -> str | None:
    """`host` alone may be a full URL; `host`+`port`+`path` are parts [AG:src/types/local.rs McpBackendHost]."""
    host = spec.get("host")
    if not isinstance(host, str):
        return None
    if "port" in spec:
        return f"http://{host}:{spec['port']}{spec.get('path') or ''}"
    return host if "://" in host else f"http://{host}"



def mcp_paths(loaded: Loaded) -> list[str]:
    """The paths a client reaches the MCP backends at: each MCP route's `exact`/`pathPrefix` matches (not its
    `/.well-known` ones, nor regexes); a route taking every path answers at `/mcp` as well as anywhere."""
    paths: list[str] = []
    for route in loaded.routes:
        if route.backend is None:
            continue
        for match in route.matches:
            if match.kind == "regex" or match.value.startswith("/.well-known"):
                continue
            path = "/mcp" if match.value.rstrip("/") == "" else match.value
            if path not in paths:
                paths.append(path)
    return paths or ["/mcp"]
