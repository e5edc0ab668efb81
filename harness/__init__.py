"""authstage harness: run the fake IdP, the fake gateway and the sample MCP server together.

The public surface is this module's ``__all__``; the implementation modules are private (``harness._stack``,
``harness._clients``, ...), httpx-style, and `tests/test_exported_members.py` pins the surface.
"""

from __future__ import annotations

from authstage_kit.access import is_loopback
from authstage_kit.merge import merge_patch as deep_merge
from authstage_kit.runner import ServerThread, bind_socket
from harness._clients import BrowserResult, HeadlessBrowser, MemoryTokenStorage, connect, oauth_provider
from harness._config import StackFile
from harness._exceptions import (
    AuthstageError,
    ConfigError,
    ScenarioLoadError,
    ScenarioMismatch,
    ScenarioStepError,
    ServerStartError,
)
from harness._stack import ProcessStack, Service, Stack

__all__ = [
    "AuthstageError",
    "BrowserResult",
    "ConfigError",
    "HeadlessBrowser",
    "MemoryTokenStorage",
    "ProcessStack",
    "ScenarioLoadError",
    "ScenarioMismatch",
    "ScenarioStepError",
    "ServerStartError",
    "ServerThread",
    "Service",
    "Stack",
    "StackFile",
    "bind_socket",
    "connect",
    "deep_merge",
    "is_loopback",
    "oauth_provider",
]

for _name in __all__:
    _obj = globals()[_name]
    if getattr(_obj, "__module__", "").startswith("harness."):
        _obj.__module__ = "harness"
del _name, _obj
