"""The one exception tree of the harness (its root and ServerStartError come from the kernel, authstage_kit.errors).

* AuthstageError
  x ServerStartError          - a service did not become ready in time
  x ConfigError               - a stack file, tenant, gateway or scenario could not be loaded
    + ScenarioLoadError       - a scenario file is malformed (file, line, key)
  x ScenarioStepError         - a scenario step observed something other than it expected (step, response)
    + ScenarioMismatch        - a replayed run did not observe what its scenario expects (run): the pytest
                                item's failure, raised by `RunResult.raise_for_mismatch()`
"""

from __future__ import annotations

from typing import Any

from authstage_kit.errors import AuthstageError, ServerStartError

__all__ = [
    "AuthstageError",
    "ConfigError",
    "ScenarioLoadError",
    "ScenarioMismatch",
    "ScenarioStepError",
    "ServerStartError",
]


class ConfigError(AuthstageError):
    """A configuration document could not be loaded; the message names the file and the key."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key


class ScenarioLoadError(ConfigError):
    """A scenario file is malformed. Carries the file, the line and the offending key."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, key: str | None = None
    ) -> None:
        location = f"{path}:{line}" if path and line else (path or "")
        super().__init__(f"{location}: {message}" if location else message, path=path, key=key)
        self.line = line


class ScenarioStepError(AuthstageError):
    """A step observed something other than what it expected.

    ``step`` is the scenario step; ``response`` what it received (the `httpx.Response`, or the observation the
    replay recorded: status, headers, json, text)."""

    def __init__(self, message: str, *, step: Any = None, response: Any = None) -> None:
        super().__init__(message)
        self.step = step
        self.response = response


class ScenarioMismatch(ScenarioStepError):
    """A replayed run did not observe what its scenario expects; ``run`` (a `RunResult`) holds every problem, and
    ``step``/``response`` are the first step that did not pass."""

    def __init__(self, message: str, *, run: Any, step: Any = None, response: Any = None) -> None:
        super().__init__(message, step=step, response=response)
        self.run = run
