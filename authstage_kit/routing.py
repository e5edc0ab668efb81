"""Starlette routes that serve exactly the methods their table names.

The services' apps are Starlette's own (FastAPI's per-route machinery, dependency solving and telemetry, cost a
third of the framework's time on a request and served nothing here; docs/performance.md). Starlette's `Route` adds
HEAD to every GET route, FastAPI's does not: `exact_route` keeps the table's word, so a HEAD goes where it went.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from starlette.routing import Route

__all__ = ["exact_route"]


def exact_route(path: str, endpoint: Callable[..., Any], methods: list[str]) -> Route:
    route = Route(path, endpoint, methods=methods)
    route.methods = set(methods)  # no implicit HEAD
    return route
