"""`${...}` in stack files: the running stack's URLs and the demo tenant's ids, known only once ports are bound.

`stack_variables` and `tenant_variables` are the names a stack file may use; `render` substitutes them in a
nested document (an unknown name is a ConfigError with the closest real one).
"""

from __future__ import annotations

import difflib
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

from harness._exceptions import ConfigError

__all__ = ["REFERENCE", "STACK_ROOTS", "render", "stack_variables", "strings_in", "tenant_variables", "variable_names"]

# `${event.…}` is left alone: it is an IdP Action's own template, rendered per request (fake_idp/actions.py).
_VARIABLE = re.compile(r"\$\{(?!event\.)([a-z_]+(?:\.[A-Za-z0-9_@+:-]+)+)\}")
# A scenario step's `${...}`: a stack variable, the manifest's clients/users/apis, or what an earlier step saved.
REFERENCE = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_:@+-]+)*)\}")
STACK_ROOTS = ("idp", "gateway", "mcp", "clients", "users", "apis")


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


def strings_in(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], str]]:
    """Every string of a nested document with its path (iterative: documents come from anyone)."""
    stack: list[tuple[Any, tuple[Any, ...]]] = [(value, path)]
    while stack:
        item, at = stack.pop()
        if isinstance(item, str):
            yield at, item
        elif isinstance(item, dict):
            stack.extend((v, (*at, k)) for k, v in item.items())
        elif isinstance(item, list):
            stack.extend((v, (*at, i)) for i, v in enumerate(item))


def variable_names(text: str) -> list[str]:
    """The `${...}` stack variables a string refers to."""
    return [match.group(1) for match in _VARIABLE.finditer(text)]


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
