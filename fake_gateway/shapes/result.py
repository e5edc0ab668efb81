"""What a conversion returns: the API-shaped document, the shape it came from, its notices and its issues."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.notices import Notice

__all__ = ["Conversion", "Options"]


@dataclass
class Options:
    """How to convert: which gateway of several (`select`: a logical id, address or name), the values of
    template parameters / imports, the directory relative file references are read from."""

    select: str | None = None
    parameters: dict[str, str] = field(default_factory=dict)
    base_dir: Path | None = None
    region: str = "us-east-1"
    account: str = "123456789012"


@dataclass
class Conversion:
    document: dict[str, Any]
    shape: str
    notices: list[Notice] = field(default_factory=list)
    issues: list[Issue] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.issues
