"""pytest plugin (entry point ``authstage``): fixtures that start the chain."""

from __future__ import annotations

__all__: list[str] = []
