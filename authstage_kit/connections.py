"""HTTP connections nobody can hold open forever, and a shutdown that does not wait for clients that stopped sending.

uvicorn's h11 protocol times out only a keep-alive connection that is idle after a response
(`timeout_keep_alive`). `guarded_protocol` adds what a public server has (nginx's `client_header_timeout`,
`client_body_timeout`, `keepalive_timeout`):

- **request head**: a connection must deliver a complete request head within `header_timeout` of connecting or
  of the first byte after a response; a slowloris trickle or a silent socket gets `408 Request Timeout` and is
  closed (one warning line);
- **request body**: while a body is being received, each `body_timeout` must bring some of it (unless the server
  itself paused reading); a stalled body closes the connection, and the request ends as a client that went away
  (one line and a 499 record, `reqlog.RequestLogMiddleware`);
- **idle**: `timeout_keep_alive` between requests, also after a body the app never read was drained;
- **shutdown**: a connection whose request body is still arriving is closed at once, so a graceful shutdown under
  load does not wait for (and then cancel, with a traceback each) requests that will never be complete.

Both of uvicorn's HTTP/1.1 implementations get the same guard: `GuardedHttpToolsProtocol` over httptools (the C
parser of `uvicorn[standard]`, the default wherever its wheel installs) and `GuardedH11Protocol` over h11 (pure
Python, the fallback). `guarded_protocol` picks one (``AUTHSTAGE_HTTP=h11`` forces the fallback).
"""

from __future__ import annotations

import asyncio
import logging
import os
import re
from collections.abc import MutableMapping
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

try:
    from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

    HAVE_HTTPTOOLS = True
except ImportError:  # no httptools wheel for this platform: h11 only (GuardedHttpToolsProtocol is not defined)
    HAVE_HTTPTOOLS = False

__all__ = ["BODY_TIMEOUT", "HAVE_HTTPTOOLS", "HEADER_TIMEOUT", "HEAD_LIMIT", "HTTP_IMPLEMENTATIONS", "IN_FLIGHT",
           "GuardedH11Protocol", "guarded_protocol", "http_implementation", "requests_in_flight"]
# ... and GuardedHttpToolsProtocol where httptools is installed

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
IN_FLIGHT = "authstage.in_flight"  # scope key: the server's set of request tasks (`requests_in_flight`)
HEAD_LIMIT = 65536  # bytes of one request head (request line and header lines) the httptools protocol accepts
_BAD_VALUE_BYTES = re.compile(rb"[\x00\r\n\x0b\x0c]")  # what h11's field_vchar ([^\x00\s]) refuses but SP and HTAB
_LOGGER = logging.getLogger("uvicorn.error")
_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 16\r\nconnection: close\r\n\r\nRequest Timeout\n"


class _Deadlines:
    """The deadline timer both guarded protocols share (one per connection), and how a deadline ends a connection."""

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT
    loop: asyncio.AbstractEventLoop
    transport: asyncio.Transport
    client: tuple[str, int] | None
    cycle: Any
    _guard: asyncio.TimerHandle | None = None
    _head_deadline_armed = False

    # The protocol's own events (the mixin comes first in each guarded protocol's bases: super() is uvicorn's).
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[misc]  # uvicorn's protocol, next in the MRO
        self._arm_head()

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)  # type: ignore[misc]  # uvicorn's protocol, next in the MRO

    def on_response_complete(self) -> None:
        super().on_response_complete()  # type: ignore[misc]  # uvicorn's protocol, next in the MRO
        self._watch()

    def _watch(self) -> None:  # pragma: no cover - each protocol has its own
        raise NotImplementedError

    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._guard = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        if self._guard is not None:
            self._guard.cancel()
            self._guard = None

    def _arm_head(self) -> None:
        """The request-head deadline, armed once per head: a trickle of header lines does not move it."""
        if not self._head_deadline_armed:
            self._arm(self.header_timeout, self._head_timed_out)
            self._head_deadline_armed = True

    def _head_timed_out(self) -> None:  # pragma: no cover - each protocol has its own
        raise NotImplementedError

    def _send_408(self) -> None:
        client = self.client or ("?", 0)
        _LOGGER.warning("%s:%s: no complete request head in %g s: 408, connection closed", client[0], client[1],
                        self.header_timeout)
        self.transport.write(_TIMEOUT_408)
        self.transport.close()

    def _idle_timed_out(self) -> None:
        if not self.transport.is_closing():
            self.transport.close()

    def _close_stalled(self, why: str) -> None:
        """Close a connection whose body stopped; the request's record and its one log line say why."""
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.scope.setdefault("state", {})["closed"] = why
        else:
            client = self.client or ("?", 0)
            _LOGGER.warning("%s:%s: %s", client[0], client[1], why)
        self.transport.close()


class GuardedH11Protocol(_Deadlines, H11Protocol):
    """uvicorn's h11 protocol with request-head, request-body and idle deadlines (see the module docstring)."""

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.scope is not None:  # the newest request's (its task has not run yet)
            self.scope[IN_FLIGHT] = self.tasks  # type: ignore[literal-required]  # an extra key of ours
        self._watch()

    def shutdown(self) -> None:
        if self.conn.their_state is h11.SEND_BODY and self.cycle is not None and not self.cycle.response_started:
            self._close_stalled("the server is shutting down while the request body was still arriving")
            return
        super().shutdown()

    def _watch(self) -> None:
        """Pick the deadline for where the connection is now: in a request head, in a body, idle, or neither."""
        if self.transport.is_closing():
            self._disarm()
            return
        state = self.conn.their_state
        if state is h11.SEND_BODY:
            self._head_deadline_armed = False
            self._arm(self.body_timeout, self._body_timed_out)  # renewed by every chunk
        elif state is h11.IDLE and (self.cycle is None or self.cycle.response_complete):
            if self.conn.trailing_data[0]:  # part of the next request head is here
                self._arm_head()
            elif self.timeout_keep_alive_task is None:  # uvicorn arms none after a drained body
                self._head_deadline_armed = False
                self._arm(self.timeout_keep_alive, self._idle_timed_out)
        else:
            self._head_deadline_armed = False
            self._disarm()  # the request is complete: the app's time, then uvicorn's keep-alive

    def _head_timed_out(self) -> None:
        if not self.transport.is_closing() and self.conn.their_state is h11.IDLE:
            self._send_408()

    def _body_timed_out(self) -> None:
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if self.flow.read_paused:  # the server stopped reading (the app is not reading yet): not the client's fault
            self._arm(self.body_timeout, self._body_timed_out)
            return
        self._close_stalled(f"no request body bytes for {self.body_timeout:g} s: connection closed")


if HAVE_HTTPTOOLS:

    class GuardedHttpToolsProtocol(_Deadlines, HttpToolsProtocol):
        """uvicorn's httptools protocol with the same deadlines, read from httptools' parser callbacks: a request head
        runs from its first byte (`on_message_begin`) to `on_headers_complete`, a body until `on_message_complete`.

        It reads requests as the h11 fallback does where llhttp is stricter or laxer (the same service must answer
        the same request the same way on either parser; docs/performance.md "Two HTTP parsers"): header values
        may carry any byte but NUL, CR, LF, VT and FF (h11's `field_vchar`), a bare LF ends a line, an HTTP/1.1
        request needs exactly one Host (RFC 9112 §3.2, which h11 enforces), HTTP/0.9 is refused, and a request head longer than
        `HEAD_LIMIT` bytes is refused (h11 refuses a head it cannot parse from one read) instead of buffered whole.
        Each is refused as uvicorn refuses a request it cannot parse: 400, connection closed.
        """

        _in_head = False  # between the first byte of a request and the end of its head
        _in_body = False  # between the end of a head and the end of its body (also while a refused body drains)
        _head_bytes = 0  # bytes received since the current request head began
        _hosts = 0  # Host header lines of the current request

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            super().__init__(*args, **kwargs)
            self.parser.set_dangerous_leniencies(lenient_headers=True, lenient_optional_cr_before_lf=True)

        def data_received(self, data: bytes) -> None:
            if not self._in_body:
                self._head_bytes += len(data)
            super().data_received(data)
            if self._in_head and self._head_bytes > HEAD_LIMIT and not self.transport.is_closing():
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            self._watch()

        def on_message_begin(self) -> None:
            super().on_message_begin()
            self._in_head, self._hosts = True, 0
            self.scope[IN_FLIGHT] = self.tasks  # type: ignore[literal-required]  # an extra key of ours

        def on_header(self, name: bytes, value: bytes) -> None:
            if _BAD_VALUE_BYTES.search(value.rstrip(b" \t")):  # an exception here is httptools' 400
                raise ValueError("a header value with a byte h11 refuses (NUL, CR, LF, VT, FF)")
            if name.lower() == b"host":
                self._hosts += 1
            super().on_header(name, value)

        def on_headers_complete(self) -> None:
            self._in_head, self._in_body, self._head_bytes = False, True, 0
            version = self.parser.get_http_version()
            if version == "0.9":  # llhttp reads a request line without a version as HTTP/0.9; h11 refuses it
                raise ValueError("an HTTP/0.9 request")
            if version == "1.1" and self._hosts != 1:
                raise ValueError(f"an HTTP/1.1 request with {self._hosts} Host header lines (RFC 9112 §3.2: one)")
            super().on_headers_complete()

        def on_message_complete(self) -> None:
            self._in_body = False
            super().on_message_complete()

        def shutdown(self) -> None:
            if self._in_body and self.cycle is not None and not self.cycle.response_started:
                self._close_stalled("the server is shutting down while the request body was still arriving")
                return
            super().shutdown()

        def _watch(self) -> None:
            """Pick the deadline for where the connection is now: in a request head, in a body, idle, or neither."""
            if self.transport is None or self.transport.is_closing():
                self._disarm()
            elif self._in_head:
                self._arm_head()
            elif self._in_body:
                self._head_deadline_armed = False
                self._arm(self.body_timeout, self._body_timed_out)  # renewed by every chunk
            elif self.cycle is None or self.cycle.response_complete:
                self._head_deadline_armed = False
                if self.timeout_keep_alive_task is None:  # uvicorn's was cancelled by the bytes of a drained body
                    self._arm(self.timeout_keep_alive, self._idle_timed_out)
                else:
                    self._disarm()
            else:
                self._head_deadline_armed = False
                self._disarm()  # the request is complete: the app's time, then uvicorn's keep-alive

        def _head_timed_out(self) -> None:
            if not self.transport.is_closing() and (self._in_head or self.cycle is None):
                self._send_408()

        def _body_timed_out(self) -> None:
            if self.transport.is_closing() or not self._in_body:
                return
            if self.flow.read_paused:  # the server stopped reading (the app is not reading yet): not the client's fault
                self._arm(self.body_timeout, self._body_timed_out)
                return
            self._close_stalled(f"no request body bytes for {self.body_timeout:g} s: connection closed")


def requests_in_flight(scope: MutableMapping[str, Any]) -> int:
    """How many requests the server that serves `scope` is serving, this one included (1 when it is not ours)."""
    tasks = scope.get(IN_FLIGHT)
    return max(1, len(tasks)) if tasks is not None else 1


HTTP_IMPLEMENTATIONS = ("auto", "httptools", "h11")


def http_implementation(choice: str | None = None) -> str:
    """`httptools` or `h11`: ``choice`` (else ``$AUTHSTAGE_HTTP``, else ``auto``); `auto` is httptools where its
    wheel is installed (`uvicorn[standard]`), h11 elsewhere."""
    choice = choice or os.environ.get("AUTHSTAGE_HTTP") or "auto"
    if choice not in HTTP_IMPLEMENTATIONS:
        raise ValueError(f"AUTHSTAGE_HTTP={choice!r}: use one of {', '.join(HTTP_IMPLEMENTATIONS)}")
    if choice == "httptools" and not HAVE_HTTPTOOLS:
        raise ValueError("AUTHSTAGE_HTTP=httptools, but httptools is not installed (pip install 'uvicorn[standard]')")
    if choice == "auto":
        return "httptools" if HAVE_HTTPTOOLS else "h11"
    return choice


def guarded_protocol(
    header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT, *, implementation: str | None = None
) -> type[asyncio.Protocol]:
    """A guarded protocol class with these deadlines, for `uvicorn.Config(http=...)` (`http_implementation`)."""
    base: type[Any] = GuardedH11Protocol
    if http_implementation(implementation) == "httptools":
        base = GuardedHttpToolsProtocol
    return type(base.__name__, (base,), {"header_timeout": header_timeout, "body_timeout": body_timeout})
