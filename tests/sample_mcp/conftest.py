from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from harness._runner import ServerThread
from sample_mcp import SampleSettings, create_app


@pytest.fixture
def serve() -> Iterator[Callable[..., ServerThread]]:
    """Start the sample server with the given settings on a free loopback port; stopped after the test."""
    servers: list[ServerThread] = []

    def start(settings: SampleSettings | None = None, **kwargs: Any) -> ServerThread:
        server = ServerThread(create_app(settings or SampleSettings(**kwargs)), name="sample_mcp").start()
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.stop()
