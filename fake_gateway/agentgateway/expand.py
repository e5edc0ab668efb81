"""`${VAR}` expansion of an agentgateway config, as `shellexpand::full` does it before YAML parsing
[AG:src/types/local.rs#L85-L87; AG:src/config.rs#L39].

`$NAME` and `${NAME}` are replaced from the environment; `${NAME:-default}` falls back to `default`; `$$` is not an
escape (shellexpand leaves a `$` that starts no name as it is). An unset variable is fatal, with shellexpand's
`LookupError` text `error looking key 'NAME' up: environment variable not found` (INFERRED from shellexpand's
Display; the docs quote its tail, WEB:content/docs/standalone/latest/integrations/auth/auth0.md#L91). The schema
comment `# yaml-language-server: $schema=…` is neutralised first, as agentgateway does.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

__all__ = ["ExpansionError", "expand_text", "expand_value"]

SCHEMA_COMMENT = "# yaml-language-server: $schema"
_REF = re.compile(r"\$(?:\{(?P<braced>[^}]*)\}|(?P<bare>[A-Za-z0-9_]+))")
NOT_FOUND = "error looking key '{name}' up: environment variable not found"


class ExpansionError(ValueError):
    """An unset variable: the config does not load."""

    def __init__(self, name: str) -> None:
        super().__init__(NOT_FOUND.format(name=name))
        self.name = name


def expand_text(text: str, env: Mapping[str, str]) -> str:
    """The whole file, expanded (what agentgateway parses)."""
    return _expand(text.replace(SCHEMA_COMMENT, "#"), env)


def _expand(text: str, env: Mapping[str, str]) -> str:
    def replace(match: re.Match[str]) -> str:
        braced = match.group("braced")
        name, default = (braced, None) if braced is None or ":-" not in braced else braced.split(":-", 1)
        name = name if name is not None else match.group("bare")
        value = env.get(name)
        if value is not None:
            return value
        if default is not None:
            return _expand(default, env)
        raise ExpansionError(name)

    return _REF.sub(replace, text)


def expand_value(value: Any, env: Mapping[str, str]) -> Any:
    """Every string of an already-parsed document (a stack file's section), expanded the same way."""
    if isinstance(value, str):
        return _expand(value, env) if "$" in value else value
    if isinstance(value, dict):
        return {k: expand_value(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [expand_value(v, env) for v in value]
    return value
