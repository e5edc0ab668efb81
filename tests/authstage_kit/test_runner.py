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


# -- the server stack (issue 14): httptools + uvloop where installed, the pure-Python fallback on request ----------
def _stack_of(server: ServerThread) -> tuple[str, str]:
    config = server._server.config
    protocol = config.http_protocol_class.__mro__[1].__name__  # guarded_protocol makes a subclass
    return protocol, type(server._server._loop).__module__ if server._server._loop else ""


def test_the_fastest_installed_stack_by_default_and_the_pure_python_one_on_request(monkeypatch) -> None:
    from authstage_kit.connections import HAVE_HTTPTOOLS

    with ServerThread(hello_app()) as server:
        assert httpx.get(server.url).text == "hi"
        protocol, loop = _stack_of(server)
    assert protocol == ("GuardedHttpToolsProtocol" if HAVE_HTTPTOOLS else "GuardedH11Protocol")
    try:
        import uvloop  # noqa: F401
    except ImportError:
        assert loop.startswith("asyncio")
    else:
        assert loop.startswith("uvloop")
    monkeypatch.setenv("AUTHSTAGE_HTTP", "h11")
    monkeypatch.setenv("AUTHSTAGE_LOOP", "asyncio")
    with ServerThread(hello_app()) as server:
        assert httpx.get(server.url).text == "hi"
        assert _stack_of(server) == ("GuardedH11Protocol", "asyncio.unix_events")


def test_an_unknown_server_stack_is_a_clear_error(monkeypatch) -> None:
    monkeypatch.setenv("AUTHSTAGE_HTTP", "quic")
    with pytest.raises(ValueError, match="AUTHSTAGE_HTTP='quic': use one of auto, httptools, h11"):
        ServerThread(hello_app())
    monkeypatch.setenv("AUTHSTAGE_HTTP", "auto")
    monkeypatch.setenv("AUTHSTAGE_LOOP", "trio")
    with pytest.raises(ValueError, match="AUTHSTAGE_LOOP='trio'"):
        ServerThread(hello_app())


def test_stop_closes_keep_alive_connections_and_a_running_request_finishes() -> None:
    import threading
    import time

    from starlette.requests import Request

    async def slow(request: Request) -> PlainTextResponse:
        import asyncio

        await asyncio.sleep(0.3)
        return PlainTextResponse("done")

    app = Starlette(routes=[Route("/", lambda request: PlainTextResponse("hi")), Route("/slow", slow)])
    server = ServerThread(app).start()
    idle = httpx.Client()
    assert idle.get(server.url).text == "hi"  # a keep-alive connection left open
    answers: list[str] = []
    worker = threading.Thread(target=lambda: answers.append(httpx.get(server.url + "/slow").text))
    worker.start()
    time.sleep(0.1)
    server.stop()  # waits for the request in flight, not for the idle connection's keep-alive
    worker.join(5)
    idle.close()
    assert answers == ["done"] and not server.running


def test_call_runs_a_coroutine_on_the_servers_loop() -> None:
    import asyncio

    async def which_loop() -> asyncio.AbstractEventLoop:
        return asyncio.get_running_loop()

    with ServerThread(hello_app()) as server:
        assert server.call(which_loop()) is server._server._loop
    with pytest.raises(ServerStartError, match="not serving"):
        server.call(which_loop())


def test_the_pure_python_stack_serves_the_whole_chain(tmp_path) -> None:
    """`authstage up` on h11 and asyncio (AUTHSTAGE_HTTP / AUTHSTAGE_LOOP): a token, then a tool call through the
    gateway, which reaches the sample server: the fallback works where the C wheels are missing."""
    import json
    import os
    import subprocess
    import sys

    env = {**os.environ, "AUTHSTAGE_HTTP": "h11", "AUTHSTAGE_LOOP": "asyncio", "AUTHSTAGE_HOME": str(tmp_path)}
    process = subprocess.Popen([sys.executable, "-m", "authstage", "up", "--json", "--quiet", "--no-console"],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        manifest = json.loads(process.stdout.readline())
        client = manifest["clients"]["demo-m2m"]
        with httpx.Client(trust_env=False, timeout=30) as http:
            token = http.post(manifest["services"]["idp"]["token_endpoint"], data={
                "grant_type": "client_credentials", "client_id": client["client_id"],
                "client_secret": client["client_secret"], "audience": manifest["gateway"]["mcp_url"]}).json()
            call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call",
                    "params": {"name": "search-server___search", "arguments": {"q": "pkce"}}}
            answer = http.post(manifest["gateway"]["mcp_url"], json=call, headers={
                "Authorization": f"Bearer {token['access_token']}", "MCP-Protocol-Version": "2025-11-25",
                "Accept": "application/json, text/event-stream"})
        assert answer.status_code == 200 and answer.json()["result"]["isError"] is False
    finally:
        process.terminate()
        process.wait(15)
