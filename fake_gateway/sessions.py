"""Gateway MCP sessions (DOC gateway-sessions; MCP 2025-11-25 basic/transports "Session Management").

Enabled only by `protocolConfiguration.mcp.sessionConfiguration`. "Sessions are scoped to the authenticated user
identity" (`sub`, or the IAM principal ARN; no binding without auth). The timeout is "absolute, calculated from
the first `initialize` request" (default 3600 s). Missing `Mcp-Session-Id` -> 400; unknown, expired or another
user's session -> 404.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass

from authstage_kit import ids

__all__ = ["Session", "SessionStore"]


@dataclass
class Session:
    id: str
    owner: str | None
    protocol_version: str
    created_at: float
    expires_at: float


class SessionStore:
    def __init__(self, now: Callable[[], float]) -> None:
        self.now = now
        self._sessions: dict[str, Session] = {}
        self._lock = threading.Lock()

    def create(self, owner: str | None, protocol_version: str, timeout: int) -> Session:
        # DOC example: `Mcp-Session-Id: session-abc123def456` (visible ASCII, cryptographically random).
        created = self.now()
        session = Session(
            f"session-{ids.token_hex(16)}", owner, protocol_version, created, created + timeout
        )
        with self._lock:
            self._sessions[session.id] = session
        return session

    def lookup(self, session_id: str, owner: str | None) -> tuple[Session | None, str]:
        """The live session, or None and why not (for the log)."""
        with self._lock:
            session = self._sessions.get(session_id)
            if session is None:
                return None, f"unknown session {session_id[:24]!r}"
            if self.now() >= session.expires_at:
                del self._sessions[session_id]
                return None, f"session expired {self.now() - session.expires_at:.0f} s ago (absolute timeout)"
            if session.owner is not None and session.owner != owner:
                return None, f"session belongs to another principal ({session.owner!r}, caller {owner!r})"
            return session, ""

    def delete(self, session_id: str) -> bool:
        with self._lock:
            return self._sessions.pop(session_id, None) is not None

    def clear(self) -> None:
        with self._lock:
            self._sessions.clear()

    def __len__(self) -> int:
        return len(self._sessions)
