"""Runtime state (RFC 6749 §4.1.2 codes, §6 refresh tokens; Auth0 rotation families) of one tenant.

Authorization codes, refresh-token families, login transactions, SSO sessions, dynamically registered
clients, clients resolved from client ID metadata documents (``cimd.py``), opaque tokens and rate-limit windows.

Everything here is cleared by ``POST /_authstage/reset``; the tenant configuration is not (it is reset to the
document the app was created with by the control object).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from joserfc.jwk import OctKey

from authstage_kit.ids import URLSAFE, random_string
from fake_idp.tenant import Client

__all__ = [
    "ActionsRuntime",
    "AuthCode",
    "AuthTxn",
    "CimdEntry",
    "FixedWindow",
    "RefreshRecord",
    "RuntimeState",
    "Session",
    "new_refresh_token",
]

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
    userinfo_claims: dict[str, dict[str, Any]] = field(default_factory=dict)


@dataclass
class RuntimeState:
    lock: threading.RLock = field(default_factory=threading.RLock)
    codes: dict[str, AuthCode] = field(default_factory=dict)
    refresh_tokens: dict[str, RefreshRecord] = field(default_factory=dict)
    transactions: dict[str, AuthTxn] = field(default_factory=dict)
    sessions: dict[str, Session] = field(default_factory=dict)
    registered_clients: dict[str, Client] = field(default_factory=dict)
    cimd_clients: dict[str, CimdEntry] = field(default_factory=dict)  # Client Identifier URL -> its client
    consents: set[tuple[str, str, str]] = field(default_factory=set)
    opaque_tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
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
