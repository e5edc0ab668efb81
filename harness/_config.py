"""Stack files: YAML with the sections `idp:`, `gateway:`, `mcp:`, each deep-merged over the demo default.

Merging is RFC 7396 JSON merge patch: objects merge key by key, lists and scalars replace, `null` deletes a key.
String values may use `${...}` to refer to the running stack, because ports are only known at start:
`${idp.url}`, `${idp.issuer}`, `${idp.discovery_url}`, `${idp.token_endpoint}`, `${idp.jwks_uri}`,
`${gateway.url}`, `${gateway.mcp_url}`, `${gateway.prm_url}`, `${mcp.url}`, `${mcp.mcp_url}`, the ports
(`${idp.port}`, `${gateway.port}`, `${mcp.port}`: e.g. `http://localhost:${idp.port}`), and the demo
tenant's `${clients.<name>.client_id}`, `${clients.<name>.client_secret}`, `${apis.<name>}`. `${event.…}` is
not the harness's: it is left for the IdP's Actions (fake_idp/actions.py).
"""

from __future__ import annotations

import difflib
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from authstage_kit.merge import compose_patches
from harness._exceptions import ConfigError

__all__ = ["SECTIONS", "StackFile", "render", "stack_variables", "tenant_variables"]

SECTIONS = ("idp", "gateway", "mcp")
DEPLOY_CLI_SECTIONS = ("tenant", "resourceServers", "clientGrants", "databases")
# `${event.…}` is left alone: it is an IdP Action's own template, rendered per request (fake_idp/actions.py).
_VARIABLE = re.compile(r"\$\{(?!event\.)([a-z_]+(?:\.[A-Za-z0-9_@+:-]+)+)\}")


def stack_variables(idp_url: str, gateway_url: str, mcp_url: str) -> dict[str, str]:
    ports = {f"{name}.port": str(urlsplit(url).port or "") for name, url in
             (("idp", idp_url), ("gateway", gateway_url), ("mcp", mcp_url))}
    return {
        **ports,
        "idp.url": idp_url,
        "idp.issuer": idp_url + "/",
        "idp.discovery_url": idp_url + "/.well-known/openid-configuration",
        "idp.token_endpoint": idp_url + "/oauth/token",
        "idp.jwks_uri": idp_url + "/.well-known/jwks.json",
        "gateway.url": gateway_url,
        "gateway.mcp_url": gateway_url + "/mcp",
        "gateway.prm_url": gateway_url + "/.well-known/oauth-protected-resource",
        "mcp.url": mcp_url,
        "mcp.mcp_url": mcp_url + "/mcp",
    }


def tenant_variables(tenant: dict[str, Any]) -> dict[str, str]:
    """`clients.<name>.client_id|client_secret` and `apis.<name>` of a tenant document."""
    found: dict[str, str] = {}
    for client in tenant.get("clients", []):
        for key in ("client_id", "client_secret"):
            if client.get(key):
                found[f"clients.{client['name']}.{key}"] = client[key]
    for api in tenant.get("apis", []):
        found[f"apis.{api['name']}"] = api["identifier"]
    return found


def render(value: Any, variables: dict[str, str], *, where: str = "") -> Any:
    """Substitute `${...}` in every string of a nested document."""
    if isinstance(value, str):

        def replace(match: re.Match[str]) -> str:
            name = match.group(1)
            if name not in variables:
                close = difflib.get_close_matches(name, list(variables), n=1)
                hint = f" (did you mean ${{{close[0]}}}?)" if close else ""
                raise ConfigError(f"{where}: unknown variable ${{{name}}}{hint}", key=where)
            return variables[name]

        return _VARIABLE.sub(replace, value)
    if isinstance(value, dict):
        return {k: render(v, variables, where=f"{where}.{k}" if where else str(k)) for k, v in value.items()}
    if isinstance(value, list):
        return [render(v, variables, where=f"{where}[{i}]") for i, v in enumerate(value)]
    return value


class StackFile:
    """The three override sections of a stack file (empty sections = the demo default)."""

    def __init__(self, idp: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None,
                 mcp: dict[str, Any] | None = None, *, source: str = "<stack>", dialect: str | None = None) -> None:
        self.source = source
        if dialect not in (None, "agentcore", "agentgateway"):
            raise ConfigError(f"{source}: `dialect` is agentcore or agentgateway, not {dialect!r}", path=source,
                              key="dialect")
        self.dialect = dialect  # which gateway the demo default is (None: AgentCore, unless --gateway says)
        self.sections: dict[str, dict[str, Any]] = {}
        for name, value in (("idp", idp), ("gateway", gateway), ("mcp", mcp)):
            if value is not None and not isinstance(value, dict):
                raise ConfigError(f"{source}: section `{name}` must be a mapping", path=source, key=name)
            self.sections[name] = dict(value or {})

    @classmethod
    def from_dict(cls, document: dict[str, Any], *, source: str = "<stack>", extra_keys: tuple[str, ...] = ()) -> StackFile:
        if not isinstance(document, dict):
            raise ConfigError(f"{source}: a stack file is a mapping with sections {', '.join(SECTIONS)}", path=source)
        if not any(k in document for k in SECTIONS) and any(k in document for k in DEPLOY_CLI_SECTIONS):
            document = {"idp": document}  # an auth0-deploy-cli tenant.yaml: the IdP section (fake_idp/deploy_cli.py)
        for key in document:
            if key not in SECTIONS and key not in (*extra_keys, "dialect"):
                close = difflib.get_close_matches(str(key), [*SECTIONS, *extra_keys], n=1)
                hint = f"; did you mean `{close[0]}`?" if close else f"; allowed: {', '.join(SECTIONS)}"
                raise ConfigError(f"{source}: unknown section `{key}`{hint}", path=source, key=str(key))
        return cls(document.get("idp"), document.get("gateway"), document.get("mcp"), source=source,
                   dialect=document.get("dialect"))

    @classmethod
    def load(cls, path: str | Path) -> StackFile:
        try:
            document = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read: {exc.strerror}", path=str(path)) from exc
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML: {exc}", path=str(path)) from exc
        return cls.from_dict(document, source=str(path))

    def merged(self, other: StackFile) -> StackFile:
        """This file with `other`'s overrides on top (a scenario's `fix` over its broken stack).

        Both are patches of the demo default, so a `null` in `other` stays `null` (it must still delete the
        demo default's key, e.g. `allowedAudience: null` in a fix when the broken stack never set it)."""
        return StackFile(**{n: compose_patches(self.sections[n], other.sections[n]) for n in SECTIONS},
                         source=self.source, dialect=self.dialect)
