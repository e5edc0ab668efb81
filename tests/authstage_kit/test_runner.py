from __future__ import annotations

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from authstage_kit.access import is_loopback
from authstage_kit.errors import ServerStartError
from authstage_kit.runner import ServerThread, bind_socket


def hello_app(text: str = "hi") -> Starlette:
    return Starlette(routes=[Route("/", lambda request: PlainTextResponse(text))])


def test_serves_on_a_free_loopback_port_and_stops() -> None:
    with ServerThread(hello_app()) as server:
        assert server.url.startswith("http://127.0.0.1:") and server.port > 0
        assert httpx.get(server.url).text == "hi"
    with pytest.raises(httpx.ConnectError):
        httpx.get(server.url, timeout=1)


def test_build_receives_the_url_before_the_app_exists() -> None:
    with ServerThread(build=lambda url: hello_app(url)) as server:
        assert httpx.get(server.url).text == server.url


def test_app_and_build_are_exclusive() -> None:
    with pytest.raises(TypeError):
        ServerThread(hello_app(), build=lambda url: hello_app())


def test_port_in_use_is_a_clear_error() -> None:
    sock = bind_socket()
    try:
        with pytest.raises(ServerStartError, match="cannot bind"):
            bind_socket(port=sock.getsockname()[1])
    finally:
        sock.close()


def test_is_loopback() -> None:
    assert (
        is_loopback("127.0.0.1")
        and is_loopback("::1")
        and is_loopback("localhost")
        and is_loopback("127.1.2.3")
    )
    assert not is_loopback("0.0.0.0") and not is_loopback("192.168.1.1") and not is_loopback("example.com")


def test_a_port_beyond_65535_is_a_start_error_not_an_overflow() -> None:
    """`Stack(port_base=65534)` asks for 65536 too: socket.bind raises OverflowError, which is a ServerStartError."""
    with pytest.raises(ServerStartError, match=r"cannot bind 127\.0\.0\.1:65536"):
        bind_socket("127.0.0.1", 65536)
    with pytest.raises(ServerStartError, match=r"cannot bind 127\.0\.0\.1:-5"):
        bind_socket("127.0.0.1", -5)
