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
"""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import h11
from uvicorn.protocols.http.h11_impl import H11Protocol

__all__ = ["BODY_TIMEOUT", "HEADER_TIMEOUT", "GuardedH11Protocol", "guarded_protocol"]

HEADER_TIMEOUT = 10.0
BODY_TIMEOUT = 30.0
_LOGGER = logging.getLogger("uvicorn.error")
_TIMEOUT_408 = b"HTTP/1.1 408 Request Timeout\r\ncontent-type: text/plain\r\ncontent-length: 16\r\nconnection: close\r\n\r\nRequest Timeout\n"


class GuardedH11Protocol(H11Protocol):
    """uvicorn's h11 protocol with request-head, request-body and idle deadlines (see the module docstring)."""

    header_timeout = HEADER_TIMEOUT
    body_timeout = BODY_TIMEOUT

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]  # uvicorn's own
        super().connection_made(transport)
        self._guard: asyncio.TimerHandle | None = None
        self._head_deadline_armed = False
        self._arm(self.header_timeout, self._head_timed_out)
        self._head_deadline_armed = True

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._watch()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self._watch()

    def shutdown(self) -> None:
        if self.conn.their_state is h11.SEND_BODY and self.cycle is not None and not self.cycle.response_started:
            self._close_stalled("the server is shutting down while the request body was still arriving")
            return
        super().shutdown()

    # -- the deadline -----------------------------------------------------------------------------------------
    def _arm(self, delay: float, callback: Any) -> None:
        self._disarm()
        self._guard = self.loop.call_later(delay, callback)

    def _disarm(self) -> None:
        guard = getattr(self, "_guard", None)
        if guard is not None:
            guard.cancel()
            self._guard = None

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
                if not self._head_deadline_armed:
                    self._arm(self.header_timeout, self._head_timed_out)
                    self._head_deadline_armed = True
            elif self.timeout_keep_alive_task is None:  # uvicorn arms none after a drained body
                self._head_deadline_armed = False
                self._arm(self.timeout_keep_alive, self._idle_timed_out)
        else:
            self._head_deadline_armed = False
            self._disarm()  # the request is complete: the app's time, then uvicorn's keep-alive

    def _head_timed_out(self) -> None:
        if self.transport.is_closing() or self.conn.their_state is not h11.IDLE:
            return
        client = self.client or ("?", 0)
        _LOGGER.warning("%s:%s: no complete request head in %g s: 408, connection closed", client[0], client[1],
                        self.header_timeout)
        self.transport.write(_TIMEOUT_408)
        self.transport.close()

    def _body_timed_out(self) -> None:
        if self.transport.is_closing() or self.conn.their_state is not h11.SEND_BODY:
            return
        if self.flow.read_paused:  # the server stopped reading (the app is not reading yet): not the client's fault
            self._arm(self.body_timeout, self._body_timed_out)
            return
        self._close_stalled(f"no request body bytes for {self.body_timeout:g} s: connection closed")

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


def guarded_protocol(header_timeout: float = HEADER_TIMEOUT, body_timeout: float = BODY_TIMEOUT) -> type[H11Protocol]:
    """A `GuardedH11Protocol` with these deadlines, for `uvicorn.Config(http=...)`."""
    return type("GuardedH11Protocol", (GuardedH11Protocol,),
                {"header_timeout": header_timeout, "body_timeout": body_timeout})
