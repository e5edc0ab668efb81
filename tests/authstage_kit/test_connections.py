"""Connection deadlines and a clean shutdown (authstage_kit/connections.py), on raw sockets against a real uvicorn,
with each of the two HTTP implementations (httptools, and the pure-Python h11 fallback)."""

from __future__ import annotations

import logging
import socket
import time
from collections.abc import Iterator

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.clock import Clock
from authstage_kit.connections import HAVE_HTTPTOOLS
from authstage_kit.reqlog import RequestLog, RequestLogMiddleware
from authstage_kit.runner import ServerThread

SHORT = 0.4
IMPLEMENTATIONS = [
    pytest.param("httptools", marks=pytest.mark.skipif(not HAVE_HTTPTOOLS, reason="pip install 'uvicorn[standard]'")),
    "h11",
]


def _app(log: RequestLog) -> Starlette:
    async def echo(request: Request) -> JSONResponse:
        body = await request.body()
        return JSONResponse({"size": len(body)})

    async def early(request: Request) -> JSONResponse:
        return JSONResponse({"refused": True}, status_code=401)  # answers without reading the body

    app = Starlette(routes=[Route("/echo", echo, methods=["POST"]), Route("/early", early, methods=["POST"])])
    app.add_middleware(RequestLogMiddleware, log=log)
    return app


@pytest.fixture(scope="module", params=IMPLEMENTATIONS)
def served(request: pytest.FixtureRequest) -> Iterator[tuple[ServerThread, RequestLog]]:
    """One server per HTTP implementation for the deadline tests (created before `lines` attaches: uvicorn
    configures its loggers)."""
    log = RequestLog(service="test", clock=Clock())
    server = ServerThread(_app(log), header_timeout=SHORT, body_timeout=SHORT, idle_timeout=SHORT,
                          http=request.param).start()
    yield server, log
    server.stop()


class _Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def lines() -> Iterator[list[logging.LogRecord]]:
    """What the servers log (uvicorn's error logger, which does not propagate to pytest's handler)."""
    handler = _Lines()
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def _connect(server: ServerThread) -> socket.socket:
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    sock.settimeout(5)
    return sock


def _read_all(sock: socket.socket) -> bytes:
    data = b""
    try:
        while chunk := sock.recv(65536):
            data += chunk
    except (ConnectionResetError, TimeoutError):
        pass
    return data


def _head(path: str, length: int) -> bytes:
    return f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: {length}\r\n\r\n".encode()


def test_a_silent_or_trickling_request_head_gets_408_and_the_connection_closes(served) -> None:
    server, _ = served
    for first in (b"", b"POST /echo HTTP/1.1\r\nHost: 127.0.0.1\r\n"):
        sock = _connect(server)
        started = time.monotonic()
        sock.sendall(first)
        for _ in range(3):  # a slowloris keeps adding header lines; the deadline does not move
            time.sleep(SHORT / 4)
            try:
                sock.sendall(b"X-Slow: 1\r\n" if first else b"")
            except OSError:
                break
        reply = _read_all(sock)
        assert reply.startswith(b"HTTP/1.1 408 Request Timeout\r\n"), reply[:80]
        assert time.monotonic() - started < SHORT + 2
        sock.close()


def test_a_stalled_body_closes_the_connection_and_the_request_ends_as_gone(served, lines) -> None:
    server, log = served
    sock = _connect(server)
    sock.sendall(_head("/echo", 100) + b"x" * 10)
    assert _read_all(sock) == b""  # closed, no answer
    sock.close()
    deadline = time.monotonic() + 3
    while not log.records() and time.monotonic() < deadline:
        time.sleep(0.02)
    record = log.records()[-1]
    assert record["status"] == 499
    assert record["reason"] == f"no request body bytes for {SHORT:g} s: connection closed (10 body bytes received)"
    stalled = [r for r in lines if "no request body bytes" in r.getMessage()]
    assert len(stalled) == 1 and stalled[0].exc_info is None


def test_idle_and_drained_connections_are_closed(served) -> None:
    server, _ = served
    sock = _connect(server)
    sock.sendall(_head("/echo", 2) + b"{}")
    started = time.monotonic()
    reply = _read_all(sock)  # the answer, then the idle deadline closes the keep-alive connection
    assert reply.startswith(b"HTTP/1.1 200 OK") and time.monotonic() - started < SHORT + 2
    sock = _connect(server)
    sock.sendall(_head("/early", 1000) + b"x" * 10)  # answered at once; the rest of the body never comes
    started = time.monotonic()
    reply = _read_all(sock)
    assert reply.startswith(b"HTTP/1.1 401") and time.monotonic() - started < SHORT + 2


def test_a_client_that_goes_away_costs_one_line_and_a_499_record(served, lines) -> None:
    server, log = served
    before = len(log.records())
    sock = _connect(server)
    sock.sendall(_head("/echo", 1000) + b"x" * 7)
    time.sleep(0.1)
    sock.close()
    deadline = time.monotonic() + 3
    while len(log.records()) == before and time.monotonic() < deadline:
        time.sleep(0.02)
    record = log.records()[-1]
    assert (record["status"], record["reason"]) == (499, "the client went away before the answer (7 body bytes received)")
    gone = [r for r in lines if "went away" in r.getMessage()]
    assert len(gone) == 1 and gone[0].exc_info is None
    assert not [r for r in lines if r.exc_info], "no traceback"


@pytest.mark.parametrize("http", IMPLEMENTATIONS)
def test_shutdown_closes_half_sent_bodies_at_once_without_tracebacks(request: pytest.FixtureRequest, http: str) -> None:
    log = RequestLog(service="test", clock=Clock())
    server = ServerThread(_app(log), http=http).start()
    lines = request.getfixturevalue("lines")  # after uvicorn configured its loggers
    socks = []
    for _ in range(30):
        sock = _connect(server)
        sock.sendall(_head("/echo", 100_000) + b"x" * 10)
        socks.append(sock)
    time.sleep(0.2)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 1.5  # no waiting out the 2 s grace period, no cancelled tasks
    assert not server.running
    for sock in socks:
        sock.close()
    assert not [r for r in lines if r.exc_info or "Cancel" in r.getMessage()]
    assert sum("shutting down while the request body was still arriving" in r.getMessage() for r in lines) == 30


# -- the two parsers read requests alike (docs/performance.md "Two HTTP parsers") --------------------------------
H = b"Host: 127.0.0.1\r\n"
SAME = {  # name -> raw request: each gets the same status and body from both implementations
    "plain": b"GET /echo?x=1 HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    "control byte 0x01 in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\x01b\r\nConnection: close\r\n\r\n",
    "DEL in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\x7fb\r\nConnection: close\r\n\r\n",
    "obs-text in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: caf\xe9\r\nConnection: close\r\n\r\n",
    "tab in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\tb\r\nConnection: close\r\n\r\n",
    "NUL in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\x00b\r\nConnection: close\r\n\r\n",
    "VT in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\x0bb\r\nConnection: close\r\n\r\n",
    "lone CR in a value": b"GET /echo HTTP/1.1\r\n" + H + b"X-A: a\rb\r\nConnection: close\r\n\r\n",
    "space in a name": b"GET /echo HTTP/1.1\r\n" + H + b"X A: a\r\nConnection: close\r\n\r\n",
    "no Host": b"GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n",
    "two Hosts": b"GET /echo HTTP/1.1\r\n" + H + H + b"Connection: close\r\n\r\n",
    "HTTP/0.9": b"GET /echo\r\n\r\n",
    "HTTP/1.0 without Host": b"POST /echo HTTP/1.0\r\nContent-Length: 2\r\n\r\nab",
    "chunked body": b"POST /echo HTTP/1.1\r\n" + H + b"Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    b"2\r\nab\r\n0\r\n\r\n",
    "different Content-Lengths": b"POST /echo HTTP/1.1\r\n" + H + b"Content-Length: 2\r\nContent-Length: 3\r\n"
                                 b"Connection: close\r\n\r\nabc",
    "space in the target": b"GET /a b HTTP/1.1\r\n" + H + b"Connection: close\r\n\r\n",
    "not HTTP at all": b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40,
}


@pytest.fixture(scope="module")
def both() -> Iterator[dict[str, ServerThread]]:
    log = RequestLog(service="test", clock=Clock())
    servers = {name: ServerThread(_app(log), http=name).start() for name in ("httptools", "h11") if
               name == "h11" or HAVE_HTTPTOOLS}
    yield servers
    for server in servers.values():
        server.stop()


def _status_and_body(server: ServerThread, raw: bytes) -> tuple[bytes, bytes]:
    sock = _connect(server)
    sock.sendall(raw)
    reply = _read_all(sock)
    sock.close()
    head, _, body = reply.partition(b"\r\n\r\n")
    if b"transfer-encoding: chunked" in head.lower():  # h11 chunks its own 400: the same bytes, framed
        body = b"".join(part.split(b"\r\n", 1)[1] for part in body.split(b"\r\n0\r\n")[0:1] if b"\r\n" in part)
    return head.split(b"\r\n")[0], body


@pytest.mark.skipif(not HAVE_HTTPTOOLS, reason="pip install 'uvicorn[standard]' (httptools)")
@pytest.mark.parametrize("case", list(SAME))
def test_both_parsers_answer_a_request_alike(both: dict[str, ServerThread], case: str) -> None:
    answers = {name: _status_and_body(server, SAME[case]) for name, server in both.items()}
    assert answers["httptools"] == answers["h11"], answers


@pytest.mark.skipif(not HAVE_HTTPTOOLS, reason="pip install 'uvicorn[standard]' (httptools)")
def test_a_head_beyond_the_limit_is_refused_not_buffered(both: dict[str, ServerThread]) -> None:
    from authstage_kit.connections import HEAD_LIMIT

    sock = _connect(both["httptools"])
    try:
        sock.sendall(b"GET /echo HTTP/1.1\r\n" + H + b"X-Big: " + b"a" * (HEAD_LIMIT + 1000))
    except OSError:
        pass
    reply = _read_all(sock)
    sock.close()
    assert reply.startswith(b"HTTP/1.1 400 Bad Request"), reply[:80]
    status, _ = _status_and_body(both["httptools"], b"GET /echo HTTP/1.1\r\n" + H + b"X-A: " + b"a" * 8000
                                    + b"\r\nConnection: close\r\n\r\n")
    assert status == b"HTTP/1.1 405 Method Not Allowed"  # an 8 KB header is fine (GET on a POST route: 405)
