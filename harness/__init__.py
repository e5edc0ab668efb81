"""authstage harness: run the fake IdP, the fake gateway and the sample MCP server together.

The public surface is this module's ``__all__``; the implementation modules are private (``harness._stack``,
``harness._clients``, ...), httpx-style, and `tests/test_exported_members.py` pins the surface.

The surface loads on first use (PEP 562 ``__getattr__``): ``import harness`` costs nothing, so the `authstage`
command, which enters at ``harness._cli``, imports only what its subcommand needs (docs/performance.md). The first
``harness.X`` imports the whole surface at once and names it ``harness.X``, as an eager import did.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
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

# Where each public name lives: (module, name there).
_SOURCES = {
    "is_loopback": ("authstage_kit.access", "is_loopback"),
    "deep_merge": ("authstage_kit.merge", "merge_patch"),
    "ServerThread": ("authstage_kit.runner", "ServerThread"),
    "bind_socket": ("authstage_kit.runner", "bind_socket"),
    **{name: ("harness._clients", name) for name in
       ("BrowserResult", "HeadlessBrowser", "MemoryTokenStorage", "connect", "oauth_provider")},
    "StackFile": ("harness._config", "StackFile"),
    **{name: ("harness._exceptions", name) for name in
       ("AuthstageError", "ConfigError", "ScenarioLoadError", "ScenarioMismatch", "ScenarioStepError",
        "ServerStartError")},
    **{name: ("harness._stack", name) for name in ("ProcessStack", "Service", "Stack")},
}


def _load_surface() -> None:
    """Import every public name into this module; the harness's own read as ``harness.X`` (httpx's layout)."""
    for public, (module, name) in _SOURCES.items():
        value = getattr(importlib.import_module(module), name)
        if getattr(value, "__module__", "").startswith("harness."):
            value.__module__ = "harness"
        globals()[public] = value


def __getattr__(name: str) -> Any:
    if name not in _SOURCES:
        raise AttributeError(f"module 'harness' has no attribute {name!r}")
    _load_surface()
    return globals()[name]


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
