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
    "Problems",
    "ScenarioLoadError",
    "ScenarioMismatch",
    "ScenarioStepError",
    "ServerStartError",
]


Problems = list[tuple[int | None, str, str | None]]  # (line, message, key) of each problem in one file


def _listing(path: str, problems: Problems) -> str:
    """Every problem of one file, each as `path:line: message` (the first line counts them when there are several)."""
    lines = [f"{path}:{line}: {message}" if line else f"{path}: {message}" for line, message, _ in problems]
    return lines[0] if len(lines) == 1 else f"{path}: {len(lines)} problems\n" + "\n".join(f"  {t}" for t in lines)


class ConfigError(AuthstageError):
    """A configuration document could not be loaded; the message names the file and the key. `problems` holds
    every problem found in the file (`(line, message, key)`, line None when unknown); the message lists them."""

    def __init__(self, message: str, *, path: str | None = None, key: str | None = None,
                 problems: Problems | None = None) -> None:
        super().__init__(message)
        self.path = path
        self.key = key
        self.problems: Problems = problems or []

    @classmethod
    def of(cls, path: str, problems: Problems) -> ConfigError:
        """One error listing every problem of the file at `path`."""
        return cls(_listing(path, problems), path=path, key=problems[0][2], problems=problems)


class ScenarioLoadError(ConfigError):
    """A scenario file is malformed. Carries the file, the line and the offending key of its first problem;
    `problems` holds them all."""

    def __init__(
        self, message: str, *, path: str | None = None, line: int | None = None, key: str | None = None,
        problems: Problems | None = None,
    ) -> None:
        problems = problems or [(line, message, key)]
        text = _listing(path, problems) if path else message
        super().__init__(text, path=path, key=problems[0][2], problems=problems)
        self.line = problems[0][0]

    @classmethod
    def of(cls, path: str, problems: Problems) -> ScenarioLoadError:
        return cls("", path=path, problems=problems)


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
