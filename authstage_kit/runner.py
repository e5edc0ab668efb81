"""Run an ASGI app on a loopback port, in-process (a uvicorn server in a background thread), and the body of every
service's ``python -m``.

The socket is bound *before* the app is built, so an app that must know its own URL (an issuer, a
resource identifier) can be given it; port 0 picks a free port without the bind/close/re-bind race.

The server stack is `uvicorn[standard]`'s where its wheels install: httptools parses HTTP and uvloop runs the event
loop; the pure-Python fallback is h11 on asyncio (``AUTHSTAGE_HTTP=h11``, ``AUTHSTAGE_LOOP=asyncio`` force it).
A server stops as soon as it is asked to: it waits on an event instead of uvicorn's 0.1 s ticks, and its graceful
shutdown polls for open connections every millisecond instead of sleeping 0.1 s first (docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import socket
import sys
import threading
import time
from collections.abc import Callable, Coroutine, Generator
from typing import Any, TypeVar

import uvicorn

from authstage_kit.access import Access, is_loopback
from authstage_kit.connections import BODY_TIMEOUT, HEADER_TIMEOUT, guarded_protocol, http_implementation
from authstage_kit.errors import ServerStartError

__all__ = ["IDLE_TIMEOUT", "LOOPBACK", "LOOPS", "ServerThread", "bind_socket", "event_loop", "port_number",
           "serve_main", "service_parser", "url_of", "warn_if_exposed"]

LOOPBACK = "127.0.0.1"
T = TypeVar("T")


def bind_socket(host: str = LOOPBACK, port: int = 0) -> socket.socket:
    """Bind a listening TCP socket; port 0 lets the kernel pick a free port."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # proto=IPPROTO_TCP: asyncio only sets TCP_NODELAY on accepted sockets of a TCP-proto listener; with
    # proto 0 every response waits ~40 ms for a delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host.strip("[]"), port))
    except (OSError, OverflowError) as exc:  # OverflowError: a port outside 0..65535
        sock.close()
        raise ServerStartError(f"cannot bind {host}:{port}: {getattr(exc, 'strerror', None) or exc}") from exc
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def url_of(sock: socket.socket) -> str:
    host, port = sock.getsockname()[:2]
    if ":" in host:
        host = f"[{host}]"
    return f"http://{host}:{port}"


LOOPS = ("auto", "uvloop", "asyncio")


def event_loop(choice: str | None = None) -> str:
    """uvicorn's ``loop``: ``choice``, else ``$AUTHSTAGE_LOOP``, else ``auto`` (uvloop where it is installed)."""
    choice = choice or os.environ.get("AUTHSTAGE_LOOP") or "auto"
    if choice not in LOOPS:
        raise ValueError(f"AUTHSTAGE_LOOP={choice!r}: use one of {', '.join(LOOPS)}")
    return choice


class _QuietServer(uvicorn.Server):
    """A uvicorn server that never installs signal handlers (it runs off the main thread) and stops at once."""

    _wake: asyncio.Event | None = None
    _loop: asyncio.AbstractEventLoop | None = None

    def install_signal_handlers(self) -> None:  # uvicorn < 0.29
        return None

    @contextlib.contextmanager
    def capture_signals(self) -> Generator[None, None, None]:  # uvicorn >= 0.29
        yield

    async def main_loop(self) -> None:
        """uvicorn's ticks (the Date header once a second), but woken by `request_exit` instead of polled."""
        self._loop, self._wake = asyncio.get_running_loop(), asyncio.Event()
        counter = 0
        while not await self.on_tick(counter):
            counter += 10  # on_tick refreshes the Date header when counter % 10 == 0
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), 1.0)

    def request_exit(self) -> None:
        """Ask the server to stop (from any thread); it does not wait."""
        self.should_exit = True
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None:
            with contextlib.suppress(RuntimeError):  # the loop closed meanwhile
                loop.call_soon_threadsafe(wake.set)

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        """uvicorn's graceful shutdown (stop accepting, close idle connections, let running requests finish within
        `timeout_graceful_shutdown`, then the app's lifespan shutdown) without its fixed 0.1 s sleeps."""
        for server in self.servers:
            server.close()
        for connection in list(self.server_state.connections):
            connection.shutdown()
        state = self.server_state
        try:
            async with asyncio.timeout(self.config.timeout_graceful_shutdown):
                while (state.connections or state.tasks) and not self.force_exit:
                    await asyncio.sleep(0.001)
        except TimeoutError:
            logging.getLogger("uvicorn.error").error(
                "Cancel %s running task(s), timeout graceful shutdown exceeded", len(state.tasks))
            for task in state.tasks:
                task.cancel(msg="Task cancelled, timeout graceful shutdown exceeded")
        if not self.force_exit:
            await self.lifespan.shutdown()


IDLE_TIMEOUT = 5.0  # uvicorn's keep-alive default, kept


class ServerThread:
    """One ASGI app served by uvicorn in a daemon thread.

    Pass either ``app`` (an ASGI app) or ``build`` (``(base_url) -> ASGI app``); the second form lets
    the app know the URL it will be reached at before it is built. Connections have deadlines
    (`authstage_kit.connections`): ``header_timeout`` for a request head, ``body_timeout`` without body progress,
    ``idle_timeout`` between requests. ``http`` (httptools | h11) and ``loop`` (uvloop | asyncio) pick the server
    stack; by default the fastest installed (`connections.http_implementation`, `event_loop`).
    ``ssl`` (``StackTls.server_options()``) serves HTTPS.
    """

    def __init__(
        self,
        app: Any = None,
        *,
        build: Callable[[str], Any] | None = None,
        host: str = LOOPBACK,
        port: int = 0,
        name: str = "service",
        sock: socket.socket | None = None,
        log_level: str = "warning",
        header_timeout: float = HEADER_TIMEOUT,
        body_timeout: float = BODY_TIMEOUT,
        idle_timeout: float = IDLE_TIMEOUT,
        http: str | None = None,
        loop: str | None = None,
        ssl: dict[str, Any] | None = None,
    ) -> None:
        self.name = name
        self.sock = sock or bind_socket(host, port)
        self.url = url_of(self.sock)
        self.port: int = self.sock.getsockname()[1]
        if (app is None) == (build is None):
            raise TypeError("pass exactly one of app= or build=")
        self.app = build(self.url) if build is not None else app
        config = uvicorn.Config(
            self.app,
            log_level=log_level,
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
            ws="none",
            http=guarded_protocol(header_timeout, body_timeout, implementation=http_implementation(http)),
            loop=event_loop(loop),
            timeout_keep_alive=idle_timeout,  # type: ignore[arg-type]  # typed int; uvicorn hands it to call_later
            **(ssl or {}),  # HTTPS: ssl_certfile / ssl_keyfile (authstage_kit/tls.py)
        )
        self._server = _QuietServer(config)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        try:
            self._server.run(sockets=[self.sock])
        except BaseException as exc:  # surfaced by start()
            self._error = exc

    def launch(self) -> ServerThread:
        """Start serving in the background without waiting (see `wait_ready`)."""
        self._thread = threading.Thread(target=self._run, name=f"authstage-{self.name}", daemon=True)
        self._thread.start()
        return self

    def start(self, timeout: float = 15.0) -> ServerThread:
        return self.launch().wait_ready(timeout)

    def wait_ready(self, timeout: float = 15.0) -> ServerThread:
        assert self._thread is not None, "launch() first"
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if self._error is not None or not self._thread.is_alive():
                raise ServerStartError(f"{self.name} failed to start: {self._error!r}", service=self.name)
            if time.monotonic() > deadline:
                self.stop()
                raise ServerStartError(f"{self.name} not ready after {timeout:.1f}s", service=self.name)
            time.sleep(0.002)
        return self

    def call(self, coroutine: Coroutine[Any, Any, T], timeout: float = 30.0) -> T:
        """Run `coroutine` on the server's event loop (where its app's loop-bound objects live) and wait for it."""
        loop = self._server._loop
        if loop is None or not self.running:
            coroutine.close()
            raise ServerStartError(f"{self.name} is not serving", service=self.name)
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout)

    def request_stop(self) -> None:
        """Ask the server to stop without waiting for it (`stop` waits); a stack asks all its servers at once."""
        self._server.request_exit()

    def stop(self, timeout: float = 5.0) -> None:
        self.request_stop()
        if self._thread is not None and self._thread.is_alive():
            self._thread.join(timeout)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(timeout)
        try:
            self.sock.close()
        except OSError:
            pass

    @property
    def running(self) -> bool:
        return bool(self._thread and self._thread.is_alive() and self._server.started)

    def __enter__(self) -> ServerThread:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()


def warn_if_exposed(host: str, service: str) -> None:
    if not is_loopback(host):
        print(
            f"authstage: WARNING: {service} listens on {host}, reachable beyond this machine. Demo secrets are then "
            "exposed; the /_authstage/ control plane requires the control token printed at start "
            "(or pass --no-control-plane to turn it off).",
            file=sys.stderr,
            flush=True,
        )


def port_number(text: str) -> int:
    """An argparse type: a TCP port, 0 (a free one) to 65535."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a port number") from None
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"{port} is not a port (0 picks a free one; at most 65535)")
    return port


def service_parser(service: str, description: str) -> argparse.ArgumentParser:
    """The command line every ``python -m <service>`` shares: --host, --port, --json, --no-control-plane."""
    parser = argparse.ArgumentParser(prog=f"python -m {service}", description=description)
    parser.add_argument("--host", default=LOOPBACK, help=f"interface to bind (default {LOOPBACK})")
    parser.add_argument("--port", type=port_number, default=0, help="port (0 = a free port)")
    parser.add_argument("--json", action="store_true", help="print one JSON ready line")
    parser.add_argument("--no-control-plane", action="store_true", help="do not serve /_authstage/")
    return parser


def serve_main(
    build: Callable[..., Any],
    *,
    service: str,
    args: argparse.Namespace,
    ready: Callable[[str, Any], dict[str, Any]],
    summary: Callable[[str, Any], str] | None = None,
) -> int:
    """Body of each service's ``python -m <service>`` (``args`` from :func:`service_parser`): serve until
    SIGINT/SIGTERM.

    ``build(base_url=..., access=...)`` returns the app; once it answers, ``ready(base_url, app)`` is printed as one JSON
    line (``--json``) or ``summary`` as text. Bound beyond loopback, the control plane's token is made here and
    printed with it (``control_token``).
    """
    host, port, json_line = args.host, args.port, args.json
    warn_if_exposed(host, service)
    access = Access.for_bind(host)
    try:
        server = ServerThread(
            build=lambda url: build(base_url=url, access=access), host=host, port=port, name=service
        )
        server.start()
    except ServerStartError as exc:
        print(f"{service}: {exc}", file=sys.stderr)
        return 1
    if json_line:
        line = ready(server.url, server.app)
        print(json.dumps({**line, "control_token": access.token} if access.token else line), flush=True)
    else:
        print(summary(server.url, server.app) if summary else f"{service} listening on {server.url}", flush=True)
        if access.token:
            print(f"  control token (X-Authstage-Token): {access.token}", flush=True)
    stop = threading.Event()

    def _handler(signum: int, frame: object) -> None:
        stop.set()

    signal.signal(signal.SIGINT, _handler)
    signal.signal(signal.SIGTERM, _handler)
    while not stop.is_set() and server.running:
        stop.wait(0.5)
    server.stop()
    return 0
