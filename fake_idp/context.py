"""Per-request view of the tenant (auth0-tenant.md §1.1 issuer rule): issuer, endpoint base, client lookup, clock.

Issuer rule (auth0-tenant.md §1.1, DOC get-access-tokens.mdx: "Auth0 issues tokens with an issuer (iss)
claim of whichever domain you used when requesting the token"):

1. ``tenant.issuer`` set -> that string, verbatim (e.g. to reproduce a production issuer, or to drop the slash
   everywhere); the endpoint URLs in discovery still point at the host that was called, so they stay reachable;
2. else, if the request's ``Host`` matches one of ``tenant.host_aliases`` (custom domains) -> that alias
   base URL plus ``/``;
3. else ``http://<Host>/`` - the host the client called, with Auth0's trailing slash.

``faults.issuer_trailing_slash`` / ``faults.issuer_override`` change only the ``iss`` claim of minted
tokens, never discovery, which is exactly the mismatch gateways trip over.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Protocol, TypeVar
from urllib.parse import urlsplit

from fake_idp.keys import KeyRing
from fake_idp.state import Expiring, RuntimeState
from fake_idp.tenant import Client, Tenant
from fake_idp.wire import Incoming

__all__ = ["Clock", "Ctx", "Runtime", "base_for_host"]

V = TypeVar("V")

_HOST_RE = re.compile(r"^[A-Za-z0-9.\-]+(:\d{1,5})?$|^\[[0-9A-Fa-f:.]+\](:\d{1,5})?$")


def base_for_host(
    tenant: Tenant, host: str | None, *, scheme: str = "http", fallback: str | None = None
) -> str:
    """``scheme://host`` the client called (a matching host alias supplies its own scheme); no trailing slash."""
    if not host or not _HOST_RE.match(host):
        host = urlsplit(fallback).netloc if fallback else "127.0.0.1"
    for alias in tenant.host_aliases:
        if urlsplit(alias).netloc.lower() == host.lower():
            return alias.rstrip("/")
    return f"{scheme}://{host}"


class Clock(Protocol):
    def now(self) -> float: ...


class Runtime(Protocol):
    """What the endpoints need of the tenant being served (the control plane's object provides it)."""

    @property
    def tenant(self) -> Tenant: ...

    @property
    def state(self) -> RuntimeState: ...

    @property
    def keys(self) -> KeyRing: ...

    @property
    def clock(self) -> Clock: ...

    @property
    def base_url(self) -> str | None: ...


@dataclass
class Ctx:
    """One request to the tenant: the runtime it is served by, the request, and its issuer (module docstring)."""

    control: Runtime
    request: Incoming
    issuer: str
    base: str = ""

    @classmethod
    def of(cls, control: Runtime, request: Incoming) -> Ctx:
        base = base_for_host(control.tenant, request.host, scheme=request.scheme, fallback=control.base_url)
        return cls(control=control, request=request, issuer=control.tenant.issuer or base + "/", base=base)

    @property
    def tenant(self) -> Tenant:
        return self.control.tenant

    @property
    def state(self) -> RuntimeState:
        return self.control.state

    @property
    def keys(self) -> KeyRing:
        return self.control.keys

    def now(self) -> float:
        return self.control.clock.now()

    def url(self, path: str) -> str:
        """An endpoint URL on the host the client called (reachable even when ``tenant.issuer`` is fixed)."""
        return (self.base or self.issuer.rstrip("/")) + path

    @property
    def token_iss(self) -> str:
        f = self.tenant.faults
        iss = f.issuer_override or self.issuer
        if not f.issuer_trailing_slash:
            iss = iss.rstrip("/")
        return iss

    @property
    def userinfo_audience(self) -> str:
        return self.issuer.rstrip("/") + "/userinfo"

    def set_reason(self, text: str) -> None:
        """Why a response that is not an error object still failed (the request log's ``reason``)."""
        self.request.reason = text

    def remember(self, store: Expiring[V], key: str, value: V, limit: int) -> list[V]:
        """Keep `value` in one of the state's bounded maps (`emulator.state`); returns what was evicted."""
        retention = self.tenant.emulator.state.forget_expired_after
        return store.add(key, value, now=self.now(), limit=limit, retention=retention)

    def note(self, text: str) -> None:
        """A remark for the log even on success (e.g. 'resource ignored')."""
        self.request.note(text)

    # Clients ---------------------------------------------------------------------------------------------

    def find_client(self, client_id: str | None) -> Client | None:
        """A configured, dynamically registered or CIMD-resolved client; ``faults.forgotten_clients`` are unknown."""
        if not client_id or client_id in self.tenant.faults.forgotten_clients:
            return None
        for c in self.tenant.clients:
            if c.client_id == client_id or (c.external_client_id and c.external_client_id == client_id):
                return c
        resolved = self.state.cimd_clients.get(client_id) if self.tenant.profile.cimd.fetch else None
        return resolved.client if resolved is not None else self.state.registered_clients.get(client_id)

    def security_mode(self, client: Client) -> str | None:
        """None for first-party; 'strict' or 'permissive' for third-party apps."""
        return client.security_mode(self.tenant.settings.dynamic_client_registration_security_mode)
