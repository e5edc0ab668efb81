"""Stack files: YAML with the sections `idp:`, `gateway:`, `mcp:`, each deep-merged over the demo default.

Merging is RFC 7396 JSON merge patch (objects merge key by key, scalars replace, `null` deletes a key), except
that lists of named things merge item by item (`NAMED_LISTS`, the kernel's `merge_named`): changing one client
is `clients: [{name: demo-m2m, grant_types: [...]}]`; `{name: x, $patch: delete}` removes an item,
`{name: x, $patch: replace, ...}` replaces it whole, and a list that starts with `{$patch: replace}` replaces the
demo's list. A scenario's `fix` is a second layer, applied after the broken stack (`StackFile.layers`).
String values may use `${...}` to refer to the running stack, because ports are only known at start:
`${idp.url}`, `${idp.issuer}`, `${idp.discovery_url}`, `${idp.token_endpoint}`, `${idp.jwks_uri}`,
`${gateway.url}`, `${gateway.mcp_url}`, `${gateway.prm_url}`, `${mcp.url}`, `${mcp.mcp_url}`, the ports
(`${idp.port}`, `${gateway.port}`, `${mcp.port}`: e.g. `http://localhost:${idp.port}`), and the demo
tenant's `${clients.<name>.client_id}`, `${clients.<name>.client_secret}`, `${apis.<name>}`. `${event.…}` is
not the harness's: it is left for the IdP's Actions (fake_idp/actions.py).
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from authstage_kit.merge import compose_patches
from harness._exceptions import ConfigError, Problems
from harness._sections import NAMED_LISTS, SECTIONS, compose_section, section_problems
from harness._source import read_yaml
from harness._variables import render, stack_variables, tenant_variables, variable_names

__all__ = [
    "GATEWAY_CONFIG",
    "NAMED_LISTS",
    "SECTIONS",
    "StackFile",
    "compose_section",
    "gateway_config",
    "render",
    "stack_variables",
    "tenant_variables",
    "variable_names",
]

Layer = dict[str, dict[str, Any]]
GATEWAY_CONFIG = "gateway-config"  # files taken as the gateway document, as written (harness/_paste.py)


class StackFile:
    """The three override sections of a stack file (empty sections = the demo default).

    `layers` are the patches applied in turn over the demo default (one for a stack file; a scenario's fixed run
    adds its `fix`); `sections` is their RFC 7396 composition, for reading."""

    def __init__(self, idp: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None,
                 mcp: dict[str, Any] | None = None, *, source: str = "<stack>", dialect: str | None = None,
                 layers: tuple[Layer, ...] | None = None, gateway_config: dict[str, Any] | None = None) -> None:
        self.source = source
        self.gateway_config = gateway_config  # {"files": [...], "parameters": {...}, "select": ...} or None
        if dialect not in (None, "agentcore", "agentgateway"):
            raise ConfigError(f"{source}: `dialect` is agentcore or agentgateway, not {dialect!r}", path=source,
                              key="dialect")
        self.dialect = dialect  # which gateway the demo default is (None: AgentCore, unless --gateway says)
        self.sections: dict[str, dict[str, Any]] = {}
        for name, value in (("idp", idp), ("gateway", gateway), ("mcp", mcp)):
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f"{source}: section `{name}` must be a mapping", path=source, key=name)
            self.sections[name] = dict(value or {})
        self.layers: tuple[Layer, ...] = layers if layers is not None else (self.sections,)

    def without(self, names: tuple[str, ...]) -> StackFile:
        """This file with the sections `names` left at the demo default (in every layer)."""
        layers = tuple({n: ({} if n in names else v) for n, v in layer.items()} for layer in self.layers)
        sections = {n: ({} if n in names else v) for n, v in self.sections.items()}
        return StackFile(**sections, source=self.source, dialect=self.dialect, layers=layers,
                         gateway_config=self.gateway_config)

    @classmethod
    def from_dict(cls, document: dict[str, Any], *, source: str = "<stack>", extra_keys: tuple[str, ...] = ()) -> StackFile:
        if not isinstance(document, dict):
            raise ConfigError(f"{source}: a stack file is a mapping with sections {', '.join(SECTIONS)}", path=source)
        document = _deploy_cli(document)
        for key in document:
            if key not in SECTIONS and key not in (*extra_keys, "dialect", GATEWAY_CONFIG):
                close = difflib.get_close_matches(str(key), [*SECTIONS, *extra_keys], n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f"; allowed: {', '.join(SECTIONS)}"
                raise ConfigError(f"{source}: unknown section `{key}`{hint}", path=source, key=str(key))
        return cls(document.get("idp"), document.get("gateway"), document.get("mcp"), source=source,
                   dialect=document.get("dialect"),
                   gateway_config=gateway_config(document.get(GATEWAY_CONFIG), source))

    @classmethod
    def load(cls, path: str | Path) -> StackFile:
        """A stack file, checked at once: the YAML (harness._source), its sections, and the documents they make
        over the demo default (harness._sections); ConfigError lists every problem with its line."""
        source = read_yaml(path)
        document = {} if source.document is None else _deploy_cli(source.document)
        if not isinstance(document, dict):
            raise ConfigError.of(source.path, [(1, f"a stack file is a mapping with sections {', '.join(SECTIONS)}", None)])
        problems: Problems = []
        for key, value in document.items():
            if key in ("dialect", GATEWAY_CONFIG):
                continue  # StackFile checks their values
            if key not in SECTIONS:
                close = difflib.get_close_matches(str(key), list(SECTIONS), n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f"; allowed: {', '.join(SECTIONS)}"
                problems.append((source.line_of((key,)), f"unknown section `{key}`{hint}", str(key)))
            elif value is not None and not isinstance(value, dict):
                problems.append((source.line_of((key,)), f"section `{key}` must be a mapping", key))
        # the sections are checked beside an unknown one: every problem of the file at once
        sections = {name: v if isinstance(v := document.get(name), dict) else {} for name in SECTIONS}
        # an agentgateway `gateway:` section, or a pasted gateway document (taken as written, any shape), is
        # checked by its own loader when the stack starts (with its notices)
        from fake_gateway.dialect import detect as dialect
        from fake_gateway.shapes import detect

        pasted = (GATEWAY_CONFIG in document or detect(sections["gateway"]) != "overlay"
                  or dialect(sections["gateway"]) == "agentgateway")
        skip = ("gateway",) if document.get("dialect") == "agentgateway" or pasted else ()
        problems += section_problems([(sections, source.line_of)], skip=skip)
        if problems:
            raise ConfigError.of(source.path, problems)
        return cls.from_dict(document, source=source.path)

    def merged(self, other: StackFile) -> StackFile:
        """This file with `other`'s overrides on top (a scenario's `fix` over its broken stack).

        Both are patches of the demo default, so a `null` in `other` stays `null` (it must still delete the
        demo default's key, e.g. `allowedAudience: null` in a fix when the broken stack never set it)."""
        return StackFile(**{n: compose_patches(self.sections[n], other.sections[n]) for n in SECTIONS},
                         source=self.source, dialect=self.dialect, layers=(*self.layers, *other.layers),
                         gateway_config=other.gateway_config or self.gateway_config)


def gateway_config(value: Any, source: str) -> dict[str, Any] | None:
    """`gateway-config:` as `{"files", "parameters", "select"}`: a path, a list of paths, or that mapping; paths
    relative to the stack file."""
    if value is None:
        return None
    if isinstance(value, str | list):
        value = {"files": value}
    files = value.get("files") if isinstance(value, dict) else None
    files = [files] if isinstance(files, str) else files
    if not isinstance(files, list) or not files or not all(isinstance(f, str) for f in files):
        raise ConfigError(f"{source}: `{GATEWAY_CONFIG}` is a file, a list of files, or "
                          "{files: [...], parameters: {...}, select: NAME}", path=source, key=GATEWAY_CONFIG)
    base = Path(source).parent if source not in ("<stack>", "") else Path.cwd()
    unknown = sorted(set(value) - {"files", "parameters", "select"})
    if unknown:
        raise ConfigError(f"{source}: unknown `{GATEWAY_CONFIG}` keys {unknown}", path=source, key=GATEWAY_CONFIG)
    return {"files": [str(f if Path(f).is_absolute() else base / f) for f in files],
            "parameters": {str(k): str(v) for k, v in (value.get("parameters") or {}).items()},
            "select": value.get("select")}


def _deploy_cli(document: Any) -> Any:
    """An auth0-deploy-cli tenant.yaml (no stack sections; `tenant:`, `resourceServers:`, ...): the `idp:` patch it
    stands for, which the named-list merge applies over the demo tenant as `a0deploy import` does (adds and
    updates, deletes nothing; fake_idp/deploy_cli.py)."""
    from fake_idp.deploy_cli import as_patch, is_deploy_cli

    if isinstance(document, dict) and not any(k in document for k in SECTIONS) and is_deploy_cli(document):
        return {"idp": as_patch(document)}
    return document
