"""Runtime state (RFC 6749 §4.1.2 codes, §6 refresh tokens; Auth0 rotation families) of one tenant.

Authorization codes, refresh-token families, login transactions, SSO sessions, dynamically registered
clients, clients resolved from client ID metadata documents (``cimd.py``), opaque tokens and rate-limit windows.

Everything here is cleared by ``POST /_authstage/reset``; the tenant configuration is not (it is reset to the
document the app was created with by the control object). Nothing grows without bound: each kind of entry lives in
an :class:`Expiring` map that holds at most its count (``emulator.state``, the oldest go first) and forgets an
entry ``forget_expired_after`` seconds after it expires (docs/performance.md "Memory").
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from joserfc.jwk import OctKey

from authstage_kit.ids import URLSAFE, random_string
from fake_idp.tenant import Client

__all__ = [
    "ActionsRuntime",
    "AuthCode",
    "AuthTxn",
    "CimdEntry",
    "Expiring",
    "FixedWindow",
    "RefreshRecord",
    "RuntimeState",
    "Session",
    "new_refresh_token",
]

V = TypeVar("V")
_SWEEP_EVERY = 64  # additions between two sweeps for expired entries


class Expiring(dict[str, V]):
    """A dict (reads are a dict's) whose additions go through `add`: at most `limit` entries are kept, the oldest
    added go first, and an entry is forgotten `retention` seconds after ``deadline(value)`` (None: never expires).
    Expired entries are swept every few additions, so a sweep costs nothing per request."""

    def __init__(self, deadline: Callable[[V], float | None]) -> None:
        super().__init__()
        self._deadline = deadline
        self._added = 0

    def add(self, key: str, value: V, *, now: float, limit: int, retention: float) -> list[V]:
        """Keep `value` under `key`; returns the entries evicted to stay within `limit` (oldest first)."""
        self.pop(key, None)  # a re-added key is the newest again
        self[key] = value
        self._added += 1
        if self._added % _SWEEP_EVERY == 0:
            self.forget_expired(now, retention)
        evicted = []
        while len(self) > limit:
            evicted.append(self.pop(next(iter(self))))
        return evicted

    def forget_expired(self, now: float, retention: float) -> None:
        for key in [k for k, v in self.items() if (d := self._deadline(v)) is not None and d + retention < now]:
            del self[key]


def _exp_claim(claims: dict[str, Any]) -> float | None:
    exp = claims.get("exp")
    return float(exp) if isinstance(exp, int | float) else None


def new_refresh_token() -> str:
    """``v1.M`` + 60 URL-safe characters (MOCK regex ``^v1\\.M[A-Za-z0-9_-]{60}$``, sheet §9)."""
    return "v1.M" + random_string(60, URLSAFE)


@dataclass
class AuthTxn:
    """One pending /authorize request between the login page and the redirect back."""

    txn_id: str
    client_id: str
    redirect_uri: str
    response_mode: str
    state: str | None
    nonce: str | None
    scopes: list[str]
    api_identifier: str | None
    resource: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    needs_consent: bool
    issuer: str
    created_at: float
    user_id: str | None = None
    auth_time: float | None = None
    force_consent: bool = False
    device: str = ""  # the browser that started it (its `did` cookie); the login and consent forms must match


@dataclass
class AuthCode:
    code: str
    client_id: str
    redirect_uri: str
    user_id: str
    scopes: list[str]
    api_identifier: str | None
    resource: str | None
    code_challenge: str | None
    code_challenge_method: str | None
    nonce: str | None
    issuer: str
    auth_time: float
    created_at: float
    expires_at: float | None = None  # created_at + emulator.authorization_code_lifetime at issue
    used: bool = False
    refresh_family: str | None = None
    actions: Any = None  # what the post-login Actions decided at login (`triggers.Outcome`), applied at the exchange


@dataclass
class RefreshRecord:
    token: str
    family: str
    client_id: str
    user_id: str
    api_identifier: str | None
    scopes: list[str]
    issued_at: float
    last_used_at: float
    expires_at: float | None
    rotating: bool
    rotated_at: float | None = None
    revoked: bool = False
    successor: str | None = None


@dataclass
class Session:
    sid: str
    user_id: str
    auth_time: float
    expires_at: float = float("inf")  # auth_time + settings.session_lifetime
    idle_expires_at: float = float("inf")  # last use + settings.idle_session_lifetime

    def deadline(self) -> float:
        return min(self.expires_at, self.idle_expires_at)


@dataclass
class FixedWindow:
    """Fixed-window counter (DOC: Auth0 buckets are refilled every window, "fixed window")."""

    limit: int
    window: float
    start: float = 0.0
    count: int = 0

    def hit(self, now: float) -> tuple[bool, int, float]:
        """Count one request; return (allowed, remaining, reset_at)."""
        if now >= self.start + self.window or now < self.start:
            self.start = now - (now % self.window) if self.window >= 1 else now
            self.count = 0
        reset_at = self.start + self.window
        if self.count >= self.limit:
            return False, 0, reset_at
        self.count += 1
        return True, self.limit - self.count, reset_at


@dataclass
class CimdEntry:
    """A client resolved from its client ID metadata document: the last valid document's client, and until when that
    document is fresh (its HTTP cache lifetime; /authorize and /oauth/token fetch it again after)."""

    client: Client
    fresh_until: float
    source: str  # "fetched" | "pinned"


@dataclass
class ActionsRuntime:
    """What Actions leave behind (``triggers.py``): metadata they set (DOC: persisted on the user profile),
    ``api.cache`` entries per trigger, login counts (``event.stats.logins_count``), and the ID-token custom
    claims ``/userinfo`` also returns (DOC custom-claims-migration.mdx), by access token."""

    metadata: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    cache: dict[str, dict[str, dict[str, Any]]] = field(default_factory=dict)
    logins: dict[str, int] = field(default_factory=dict)
    userinfo_claims: Expiring[tuple[float | None, dict[str, Any]]] = field(
        default_factory=lambda: Expiring(lambda kept: kept[0])
    )  # access token -> (its exp, the claims)


@dataclass
class RuntimeState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: Expiring[AuthCode] = field(default_factory=lambda: Expiring(lambda c: c.expires_at))
    refresh_tokens: Expiring[RefreshRecord] = field(default_factory=lambda: Expiring(lambda r: r.expires_at))
    refresh_by_grant: dict[tuple[str, str], list[str]] = field(default_factory=dict)  # (user, client) -> tokens
    transactions: Expiring[AuthTxn] = field(default_factory=lambda: Expiring(lambda t: None))
    sessions: Expiring[Session] = field(default_factory=lambda: Expiring(Session.deadline))
    registered_clients: Expiring[Client] = field(default_factory=lambda: Expiring(lambda c: None))
    cimd_clients: Expiring[CimdEntry] = field(default_factory=lambda: Expiring(lambda e: e.fresh_until))
    consents: set[tuple[str, str, str]] = field(default_factory=set)
    opaque_tokens: Expiring[dict[str, Any]] = field(default_factory=lambda: Expiring(_exp_claim))
    windows: dict[str, FixedWindow] = field(default_factory=dict)
    jwks_requests: int = 0
    used_assertions: dict[str, float] = field(default_factory=dict)  # private_key_jwt jti -> exp
    opaque_key: OctKey = field(default_factory=lambda: OctKey.generate_key(256))
    actions: ActionsRuntime = field(default_factory=ActionsRuntime)

    def window(self, name: str, limit: int, seconds: float) -> FixedWindow:
        win = self.windows.get(name)
        if win is None or win.limit != limit or win.window != seconds:
            win = FixedWindow(limit=limit, window=seconds)
            self.windows[name] = win
        return win

    # Refresh-token families ------------------------------------------------------------------------------

    def family_members(self, family: str) -> list[RefreshRecord]:
        return [r for r in self.refresh_tokens.values() if r.family == family]

    def revoke_family(self, family: str) -> int:
        n = 0
        for rec in self.family_members(family):
            if not rec.revoked:
                rec.revoked = True
                n += 1
        return n

    def revoke_grant(self, user_id: str, client_id: str, api_identifier: str | None) -> int:
        n = 0
        for rec in self.refresh_tokens.values():
            same = (
                rec.user_id == user_id and rec.client_id == client_id and rec.api_identifier == api_identifier
            )
            if same and not rec.revoked:
                rec.revoked = True
                n += 1
        return n
