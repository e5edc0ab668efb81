"""The IdP's control-plane state (`/_authstage/`, the kernel's contract in docs/control-plane.md).

`IdpControl` is the kernel's `ServiceControl` over the `Tenant`: besides config, clock and request log it holds the
tenant's runtime state (codes, refresh tokens, sessions, DCR clients) and its key ring. Its extra routes:
`GET /_authstage/keys`, `POST /_authstage/keys/rotate` (`{"revoke_previous": bool}`) and
`POST /_authstage/keys/revoke` (`{"kid": "..."}`).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from authstage_kit.access import Access
from authstage_kit.control import ControlRequest, ControlRoute, ServiceControl
from authstage_kit.errors import ControlError
from fake_idp.keys import KeyRing, KeyRingError
from fake_idp.state import RuntimeState
from fake_idp.tenant import Tenant

__all__ = ["IdpControl"]


class IdpControl(ServiceControl[Tenant]):
    """Config, runtime state, clock, key ring and request log of one fake tenant."""

    service = "idp"

    def __init__(self, tenant: Tenant, *, base_url: str | None = None, access: Access | None = None) -> None:
        self.base_url = base_url
        self.state = RuntimeState()
        self._keys: KeyRing | None = None
        super().__init__(tenant, access=access, max_records=tenant.emulator.log_max_records)
        self._initial_keys = self.keys.clone()

    @property
    def tenant(self) -> Tenant:
        return self.config

    @property
    def keys(self) -> KeyRing:
        assert self._keys is not None, "installed() builds the key ring"
        return self._keys

    @property
    def domain(self) -> str:
        """CN of the signing certificates: ``tenant.domain``, else the host of the issuer or base URL."""
        if self.tenant.domain:
            return self.tenant.domain
        for url in (self.tenant.issuer, self.base_url):
            if url:
                host = urlsplit(url).hostname
                if host:
                    return host
        return "authstage.local"

    # -- the kernel's hooks
    def validate(self, document: dict[str, Any]) -> Tenant:
        return Tenant.model_validate(document)

    def enabled(self) -> bool:
        return self.tenant.emulator.control_plane

    def reason_header(self) -> bool:
        return self.tenant.emulator.reason_header

    def seed(self) -> int | None:
        return self.tenant.emulator.seed

    def max_records(self) -> int:
        return self.tenant.emulator.log_max_records

    def installed(self, old: Tenant | None, new: Tenant) -> None:
        if old is None or (new.keys, new.domain, new.issuer) != (old.keys, old.domain, old.issuer):
            self._keys = KeyRing(new.keys, self.domain)

    def cleared(self) -> None:
        """Codes, refresh tokens, sessions and DCR clients cleared; the creation-time keys back (rotations undone,
        the same kids: tokens minted before a reset stay valid)."""
        self.state = RuntimeState()
        self._keys = self._initial_keys.clone()

    def routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("GET", "/keys", lambda r: self.keys.describe(), "the key ring: current, next, revoked"),
            ControlRoute("POST", "/keys/rotate", self._rotate, 'rotate; {"revoke_previous": true} for no overlap'),
            ControlRoute("POST", "/keys/revoke", self._revoke, 'revoke {"kid": "..."} (default: the previous key)'),
        ]

    # -- keys
    def rotate_keys(self, *, revoke_previous: bool | None = None) -> dict[str, Any]:
        """Rotate; under ``faults.key_rotation: rotate_and_revoke_no_overlap`` the old key is revoked at once."""
        if revoke_previous is None:
            revoke_previous = self.tenant.faults.key_rotation == "rotate_and_revoke_no_overlap"
        return self.keys.rotate(revoke_previous=revoke_previous)

    def revoke_key(self, kid: str | None = None) -> dict[str, Any]:
        return self.keys.revoke(kid)

    def _rotate(self, request: ControlRequest) -> dict[str, Any]:
        revoke_previous = request.object_body().get("revoke_previous")
        if revoke_previous is not None and not isinstance(revoke_previous, bool):
            raise ControlError.invalid("invalid_request", "revoke_previous", "must be true or false")
        return self.rotate_keys(revoke_previous=revoke_previous)

    def _revoke(self, request: ControlRequest) -> dict[str, Any]:
        kid = request.object_body().get("kid")
        if kid is not None and not isinstance(kid, str):
            raise ControlError.invalid("invalid_request", "kid", "must be a string")
        try:
            return self.revoke_key(kid)
        except KeyRingError as exc:
            raise ControlError.invalid("invalid_request", "kid", str(exc)) from exc
