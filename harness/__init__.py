"""authstage harness: run the fake IdP, the fake gateway and the sample MCP server together."""

from __future__ import annotations

from harness._exceptions import (
    AuthstageError,
    ConfigError,
    ScenarioLoadError,
    ScenarioStepError,
    ServerStartError,
)
from harness._runner import ServerThread, bind_socket, is_loopback

__all__ = [
    "AuthstageError",
    "ConfigError",
    "ScenarioLoadError",
    "ScenarioStepError",
    "ServerStartError",
    "ServerThread",
    "bind_socket",
    "is_loopback",
]

for _name in __all__:
    globals()[_name].__module__ = "harness"
del _name
