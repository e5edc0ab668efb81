"""The shape of an agentgateway config, checked as agentgateway's loader checks it: serde with `camelCase` keys and
`deny_unknown_fields`, fed the YAML transcoded to JSON, errors reported by `serde_json_path_to_error`
[AG:crates/core/src/serdes.rs#L22, L36-L50].

The first error wins (serde stops there), in the wording serde gives: ``missing field `x` ``, ``unknown field `x`,
expected one of `a`, `b` ``, ``data did not match any variant of untagged enum RuleSerde``, ``invalid type: string
"x", expected a sequence``; prefixed with the path (`binds[0].listeners[0].routes[0].policies.mcpAuthentication`)
and followed by ``at line 1 column N`` of the compact JSON transcode (path and position format INFERRED from
serde_path_to_error; the sheet calls the wording INFERRED too). Only the parts the emulator runs are modelled in
depth; every other key agentgateway knows is accepted as it comes (`OPAQUE`), so a valid config is never refused.
Field lists and required fields follow `AG:src/types/local.rs` and `AG:src/types/agent.rs` per era (sheet §0.3).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["SerdeError", "check_config", "compact_positions"]

Path = tuple[str | int, ...]


@dataclass(frozen=True)
class Scalar:
    expected: str  # serde's description: "a string", "u16", "a boolean", "usize"


@dataclass(frozen=True)
class Seq:
    item: Any


@dataclass(frozen=True)
class MapOf:
    value: Any


@dataclass(frozen=True)
class Opaque:
    """A key agentgateway knows whose value the emulator does not check (nor run)."""


@dataclass(frozen=True)
class Enum:
    """Externally tagged: `"unit"` or `{variant: value}`; `flatten=True` when the enum's keys sit in its parent."""

    name: str
    variants: tuple[tuple[str, Any], ...]


@dataclass(frozen=True)
class Untagged:
    name: str
    variants: tuple[Any, ...]


@dataclass(frozen=True)
class Struct:
    name: str
    fields: tuple[tuple[str, Any], ...]
    required: tuple[str, ...] = ()
    flatten: Enum | None = None  # a `#[serde(flatten)]` enum: exactly one of its variant keys
    open: bool = False  # a flattened policy struct swallows other keys


@dataclass(frozen=True)
class Cel:
    """A CEL expression: compiled at load (`cel::Expression::new_strict`) [AG:src/http/authorization.rs#L174-L211]."""


STR, U16, USIZE, BOOL = Scalar("a string"), Scalar("u16"), Scalar("usize"), Scalar("a boolean")
OPAQUE = Opaque()
STRINGS = Seq(STR)


class SerdeError(ValueError):
    """The loader's one error: `path: message at line 1 column N`."""

    def __init__(self, path: Path, message: str, *, key: str | None = None) -> None:
        self.path, self.message = path, message
        self.at_key = (*path, key) if key is not None else None  # errors on a key point at the key's end
        self.column: int | None = None
        super().__init__(message)

    @property
    def where(self) -> str:
        text = ""
        for part in self.path:
            text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
        return text or "."

    def __str__(self) -> str:
        position = f" at line 1 column {self.column}" if self.column is not None else ""
        prefix = "" if self.where == "." else f"{self.where}: "
        return f"{prefix}{self.message}{position}"


def _one_of(names: list[str]) -> str:
    """serde's `OneOf` list."""
    quoted = [f"`{n}`" for n in names]
    if not quoted:
        return "there are no fields"
    if len(quoted) == 1:
        return f"expected {quoted[0]}"
    if len(quoted) == 2:
        return f"expected {quoted[0]} or {quoted[1]}"
    return "expected one of " + ", ".join(quoted)


def _unexpected(value: Any) -> str:
    """serde's `Unexpected` for a JSON value."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"boolean `{str(value).lower()}`"
    if isinstance(value, int):
        return f"integer `{value}`"
    if isinstance(value, float):
        return f"floating point `{value}`"
    if isinstance(value, str):
        return f"string {json.dumps(value, ensure_ascii=False)}"
    return "sequence" if isinstance(value, list) else "map"


def _expected(node: Any) -> str:
    if isinstance(node, Scalar):
        return node.expected
    if isinstance(node, Seq):
        return "a sequence"
    if isinstance(node, MapOf):
        return "a map"
    if isinstance(node, Struct):
        return f"struct {node.name}"
    return "a value"


@dataclass
class Walker:
    """One pass over a document; `cel` compiles an expression or raises ValueError with the parser's message."""

    cel: Callable[[str], None]
    pending: list[str] = field(default_factory=list)  # expressions seen, compiled once their rule set parsed

    def walk(self, node: Any, value: Any, path: Path) -> None:
        if isinstance(node, Opaque):
            return
        if isinstance(node, Cel):
            if not isinstance(value, str):
                raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected a string")
            self.pending.append(value)
            return
        if isinstance(node, Scalar):
            self._scalar(node, value, path)
        elif isinstance(node, Seq):
            if not isinstance(value, list):
                raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected a sequence")
            for index, item in enumerate(value):
                self.walk(node.item, item, (*path, index))
        elif isinstance(node, MapOf):
            if not isinstance(value, dict):
                raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected a map")
            for key, item in value.items():
                self.walk(node.value, item, (*path, key))
        elif isinstance(node, Struct):
            self._struct(node, value, path)
        elif isinstance(node, Enum):
            self._enum(node, value, path)
        elif isinstance(node, Untagged):
            self._untagged(node, value, path)

    def _scalar(self, node: Scalar, value: Any, path: Path) -> None:
        ok = {
            "a string": isinstance(value, str),
            "a boolean": isinstance(value, bool),
        }.get(node.expected, isinstance(value, int) and not isinstance(value, bool))
        if not ok:
            raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected {node.expected}")
        if node.expected == "u16" and not 0 <= value <= 65535:
            raise SerdeError(path, f"invalid value: integer `{value}`, expected u16")

    def _struct(self, node: Struct, value: Any, path: Path) -> None:
        if not isinstance(value, dict):
            raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected {_expected(node)}")
        known = dict(node.fields)
        variants = dict(node.flatten.variants) if node.flatten else {}
        mark = len(self.pending)
        tags = [k for k in value if k in variants]
        for key, item in value.items():
            if key in known:
                self.walk(known[key], item, (*path, key))
            elif key in variants:
                if variants[key] is not None:
                    self.walk(variants[key], item, (*path, key))
            elif not node.open:
                raise SerdeError(path, f"unknown field `{key}`, {_one_of(list(known))}", key=key)
        for name in node.required:
            if name not in value:
                raise SerdeError(path, f"missing field `{name}`")
        if node.flatten and len(tags) != 1:
            raise SerdeError(path, f"no variant of enum {node.flatten.name} found in flattened data")
        if node.name == "RuleSet":  # de_policies compiles after the whole list parsed: a custom error on `rules`
            for expression in self.pending[mark:]:
                try:
                    self.cel(expression)
                except ValueError as exc:
                    raise SerdeError((*path, "rules"), str(exc)) from None
            del self.pending[mark:]

    def _enum(self, node: Enum, value: Any, path: Path) -> None:
        variants = dict(node.variants)
        if isinstance(value, str):
            if value in variants and variants[value] is None:
                return
            raise SerdeError(path, f"unknown variant `{value}`, {_one_of(list(variants))}")
        if not isinstance(value, dict) or len(value) != 1:
            raise SerdeError(path, f"invalid type: {_unexpected(value)}, expected enum {node.name}")
        (tag, inner), = value.items()
        if tag not in variants:
            raise SerdeError(path, f"unknown variant `{tag}`, {_one_of(list(variants))}", key=tag)
        if variants[tag] is not None:
            self.walk(variants[tag], inner, (*path, tag))

    def _untagged(self, node: Untagged, value: Any, path: Path) -> None:
        for variant in node.variants:
            try:
                self.walk(variant, value, path)
            except SerdeError:
                continue
            return
        raise SerdeError(path, f"data did not match any variant of untagged enum {node.name}")


# --- the schema (era D = HEAD unless noted) ----------------------------------------------------------------------

RULE_KINDS = {"A": ("allow", "deny"), "B": ("allow", "deny"), "C": ("allow", "deny"), "D": ("allow", "deny", "require")}
# RuleSerde: {allow|deny|require: cel} or a plain string [AG:src/http/authorization.rs#L121-L141]; `require` #1223 v1.1
def _rule_set(era: str) -> Struct:
    rule_object = Enum("RuleTypeSerde", tuple((k, Cel()) for k in RULE_KINDS[era]))
    return Struct("RuleSet", (("rules", Seq(Untagged("RuleSerde", (rule_object, Cel())))),), ("rules",))


PROVIDER = Enum("McpIDP", tuple((n, Struct(n, ())) for n in ("auth0", "keycloak", "okta", "descope", "authentik", "entra")))
JWKS = Untagged(
    "FileInlineOrRemote",
    (Struct("File", (("file", STR),), ("file",)), STR, Struct("Remote", (("url", STR),), ("url",))),
)
MODE = Enum("McpAuthenticationMode", (("strict", None), ("optional", None), ("permissive", None)))


def _mcp_authentication(era: str) -> Struct:
    """LocalMcpAuthentication per era [AG@v0.10.5:src/types/agent.rs#L1158; AG@v0.11.2 #L1977; AG@v1.0.0; AG HEAD]."""
    if era == "A":
        fields: tuple[tuple[str, Any], ...] = (
            ("issuer", STR), ("audience", STR), ("jwksUrl", STR), ("provider", PROVIDER), ("resourceMetadata", OPAQUE),
        )
        return Struct("McpAuthentication", fields, ("issuer", "audience", "jwksUrl", "resourceMetadata"))
    fields = (("issuer", STR), ("audiences", STRINGS), ("provider", PROVIDER), ("resourceMetadata", MapOf(OPAQUE)),
              ("jwks", JWKS), ("mode", MODE))
    if era == "B":
        return Struct("LocalMcpAuthentication", fields, ("issuer", "audiences", "resourceMetadata", "jwks"))
    fields += (("jwtValidationOptions", OPAQUE),)
    if era == "C":
        return Struct("LocalMcpAuthentication", fields, ("issuer", "audiences", "resourceMetadata", "jwks"))
    fields = (*fields[:4], ("jwks", JWKS), ("mode", MODE), ("authorizationLocation", OPAQUE),
              ("jwtValidationOptions", OPAQUE), ("clientId", STR), ("clientSecret", STR))
    return Struct("LocalMcpAuthentication", fields, ("issuer", "audiences", "resourceMetadata"))


# FilterOrPolicy's keys in declaration order [AG:src/types/local.rs#L2823-L2933]
POLICY_KEYS = (
    "requestHeaderModifier", "responseHeaderModifier", "requestRedirect", "urlRewrite", "requestMirror",
    "directResponse", "cors", "mcpAuthorization", "mcpGuardrails", "authorization", "mcpAuthentication", "a2a",
    "ai", "backendTLS", "backendTunnel", "backendAuth", "localRateLimit", "remoteRateLimit", "jwtAuth", "oidc",
    "basicAuth", "apiKey", "extAuthz", "extProc", "transformations", "csrf", "buffer", "timeout", "retry", "delay",
)


def _policies(era: str) -> Struct:
    modelled = {"mcpAuthorization": _rule_set(era), "authorization": _rule_set(era),
                "mcpAuthentication": _mcp_authentication(era)}
    return Struct("FilterOrPolicy", tuple((k, modelled.get(k, OPAQUE)) for k in POLICY_KEYS))


STDIO = Struct("Stdio", (("cmd", STR), ("args", STRINGS), ("env", MapOf(STR)), ("clear_env", BOOL)), ("cmd",))
HOST = Struct("McpBackendHostInput", (("host", STR), ("port", U16), ("path", STR), ("backend", STR)))
TARGET_SPEC = Enum("LocalMcpTargetSpec", (("sse", HOST), ("mcp", HOST), ("stdio", STDIO), ("openapi", OPAQUE)))
TARGET = Struct("LocalMcpTarget", (("name", STR), ("policies", OPAQUE)), ("name",), flatten=TARGET_SPEC)
MCP_BACKEND_FIELDS: tuple[tuple[str, Any], ...] = (
    ("targets", Seq(TARGET)),
    ("statefulMode", Enum("McpStatefulMode", (("stateless", None), ("stateful", None)))),
    ("prefixMode", Enum("McpPrefixMode", (("conditional", None), ("always", None), ("never", None)))),
    ("failureMode", Enum("FailureMode", (("failClosed", None), ("failOpen", None)))),
    ("dnsRebindingProtection", BOOL),
)
MCP_BACKEND = Struct("LocalMcpBackend", MCP_BACKEND_FIELDS, ("targets",))
LOCAL_BACKEND = Enum(
    "LocalBackend",
    tuple((k, MCP_BACKEND if k == "mcp" else OPAQUE)
          for k in ("service", "backend", "host", "internal", "dynamic", "mcp", "ai", "aws", "routeGroup", "invalid")),
)


def _route(era: str, extra: tuple[tuple[str, Any], ...] = ()) -> Struct:
    backend = Struct("LocalRouteBackend", (("weight", USIZE), ("policies", OPAQUE)), flatten=LOCAL_BACKEND)
    fields = (*extra, ("name", STR), ("namespace", STR), ("ruleName", STR), ("hostnames", STRINGS),
              ("matches", OPAQUE), ("policies", _policies(era)), ("backends", Seq(backend)))
    return Struct("LocalRoute", fields)


def _top_level(era: str) -> Struct:
    """LocalConfig [AG:src/types/local.rs#L318-L395]."""
    route = _route(era)
    listener = Struct("LocalListener", (("name", STR), ("namespace", STR), ("hostname", STR), ("protocol", OPAQUE),
                                        ("tls", OPAQUE), ("routes", Seq(route)), ("tcpRoutes", OPAQUE),
                                        ("policies", OPAQUE)))
    bind = Struct("LocalBind", (("port", U16), ("listeners", Seq(listener)), ("tunnelProtocol", OPAQUE),
                                ("mode", OPAQUE)), ("listeners",))
    gateway = Struct("LocalGateway", (("port", U16), ("protocol", OPAQUE), ("listeners", OPAQUE), ("tls", OPAQUE)),
                     open=True)
    gateways_ref = Untagged("LocalGatewayRefs", (STR, STRINGS))
    simple_mcp = Struct("LocalSimpleMcpConfig", (("gateways", gateways_ref), ("port", U16),
                                                 *MCP_BACKEND_FIELDS, ("policies", _policies(era))), ("targets",))
    fields = (("config", OPAQUE), ("binds", Seq(bind)), ("frontendPolicies", OPAQUE), ("policies", OPAQUE),
              ("workloads", OPAQUE), ("services", OPAQUE), ("backends", OPAQUE), ("routeGroups", OPAQUE),
              ("gateways", MapOf(gateway)), ("routes", Seq(_route(era, (("gateways", gateways_ref),)))),
              ("tcpRoutes", OPAQUE), ("llm", OPAQUE), ("mcp", simple_mcp), ("ui", OPAQUE))
    return Struct("LocalConfig", fields)


def check_config(document: dict[str, Any], era: str, cel: Callable[[str], None]) -> None:
    """Raise the first SerdeError agentgateway's loader would raise for `document` (with its column)."""
    try:
        Walker(cel).walk(_top_level(era), document, ())
    except SerdeError as exc:
        ends, key_ends = compact_positions(document)
        exc.column = key_ends.get(exc.at_key) if exc.at_key is not None else ends.get(exc.path)
        raise


def compact_positions(value: Any) -> tuple[dict[Path, int], dict[Path, int]]:
    """Where each value (and each key) of `value` ends in its compact JSON transcode (serde_json's output)."""
    ends: dict[Path, int] = {}
    key_ends: dict[Path, int] = {}

    def visit(node: Any, path: Path, offset: int) -> int:
        if isinstance(node, dict):
            offset += 1
            for i, (key, item) in enumerate(node.items()):
                offset += (1 if i else 0) + len(json.dumps(str(key), ensure_ascii=False).encode())
                key_ends[(*path, key)] = offset
                offset = visit(item, (*path, key), offset + 1)
            offset += 1
        elif isinstance(node, list):
            offset += 1
            for i, item in enumerate(node):
                offset = visit(item, (*path, i), offset + (1 if i else 0))
            offset += 1
        else:
            offset += len(json.dumps(node, ensure_ascii=False).encode())
        ends[path] = offset
        return offset

    visit(value, (), 0)
    return ends, key_ends
