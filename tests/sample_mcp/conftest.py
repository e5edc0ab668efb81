from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest

from authstage_kit.runner import ServerThread
from sample_mcp import SampleSettings, create_app

# One initialize request and the Accept/Content-Type every streamable-HTTP POST carries.
INIT = {
    "jsonrpc": "2.0",
    "id": 1,
    "method": "initialize",
    "params": {
        "protocolVersion": "2025-11-25",
        "capabilities": {},
        "clientInfo": {"name": "t", "version": "1"},
    },
}
ACCEPT = {"Accept": "application/json, text/event-stream", "Content-Type": "application/json"}


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
