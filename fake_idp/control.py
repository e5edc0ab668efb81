"""The control plane of docs/control-plane.md: the in-process :class:`Control` object (``app.state.control``)
and its thin HTTP adapter under ``/_authstage/`` (plus the IdP's ``keys/rotate`` and ``keys/revoke``).
"""

from __future__ import annotations

import json
import random
import threading
from collections.abc import Callable
from typing import Any
from urllib.parse import urlsplit

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import ValidationError

from fake_idp import errors
from fake_idp.clock import Clock, ClockError
from fake_idp.keys import KeyRing, KeyRingError
from fake_idp.reqlog import RequestLog
from fake_idp.state import RuntimeState
from fake_idp.tenant import Tenant, format_validation_error

__all__ = ["ConfigUpdateError", "Control", "control_router", "merge_patch"]


class ConfigUpdateError(ValueError):
    """A PATCH/PUT that does not validate; ``detail`` names each bad key. The old config stays."""

    def __init__(self, detail: list[dict[str, Any]]) -> None:
        super().__init__("; ".join(f"{d.get('loc')}: {d.get('msg')}" for d in detail))
        self.detail = detail


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7396 JSON Merge Patch: objects merge, lists and scalars replace, ``null`` deletes."""
    if not isinstance(patch, dict):
        return patch
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


class Control:
    """Config, runtime state, clock, key ring and request log of one fake tenant."""

    def __init__(self, tenant: Tenant, *, base_url: str | None = None) -> None:
        self._lock = threading.RLock()
        self._initial = tenant.model_copy(deep=True)
        self.base_url = base_url
        self.tenant = tenant
        self.clock = Clock()
        self.ids = _seeded(tenant)
        self.state = RuntimeState()
        self.keys = KeyRing(tenant.keys, self.domain)
        self._initial_keys = self.keys.clone()
        self.log = RequestLog(service="idp", clock=self.clock, max_records=tenant.emulator.log_max_records)

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

    # Config ----------------------------------------------------------------------------------------------

    @property
    def config(self) -> Tenant:
        return self.tenant

    def patch(self, patch: dict[str, Any]) -> Tenant:
        if not isinstance(patch, dict):
            raise ConfigUpdateError([{"loc": "(body)", "msg": "a merge patch must be a JSON object"}])
        with self._lock:
            merged = merge_patch(self.tenant.model_dump(mode="json"), patch)
            return self._apply(merged)

    def replace(self, model: Tenant | dict[str, Any]) -> Tenant:
        with self._lock:
            doc = model.model_dump(mode="json") if isinstance(model, Tenant) else model
            if not isinstance(doc, dict):
                raise ConfigUpdateError([{"loc": "(body)", "msg": "a tenant document must be a JSON object"}])
            return self._apply(doc)

    def _apply(self, doc: dict[str, Any]) -> Tenant:
        try:
            new = Tenant.model_validate(doc)
        except ValidationError as exc:
            raise ConfigUpdateError(format_validation_error(exc)) from exc
        old = self.tenant
        self.tenant = new
        if new.emulator.seed != old.emulator.seed:
            self.ids = _seeded(new)
        if new.keys != old.keys or new.domain != old.domain or new.issuer != old.issuer:
            self.keys = KeyRing(new.keys, self.domain)
        return new

    def reset(self) -> None:
        """Back to the creation-time config and key ring; codes, refresh tokens, sessions, DCR clients, log and
        clock cleared. Rotations are undone, but the initial keys (and their kids) are the same as at creation."""
        with self._lock:
            self.tenant = self._initial.model_copy(deep=True)
            self.ids = _seeded(self.tenant)
            self.state = RuntimeState()
            self.keys = self._initial_keys.clone()  # the creation-time keys: tokens minted before stay valid
            self.log.clear()
            self.clock.reset()

    # Log -------------------------------------------------------------------------------------------------

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        return self.log.records(since)

    def subscribe(self, callback: Callable[[dict[str, Any]], None]) -> Callable[[], None]:
        """Call ``callback(record)`` for every new request record; returns an unsubscribe function."""
        return self.log.subscribe(callback)

    # Keys ------------------------------------------------------------------------------------------------

    def rotate_keys(self, *, revoke_previous: bool | None = None) -> dict[str, Any]:
        """Rotate; under ``faults.key_rotation: rotate_and_revoke_no_overlap`` the old key is revoked at once."""
        if revoke_previous is None:
            revoke_previous = self.tenant.faults.key_rotation == "rotate_and_revoke_no_overlap"
        return self.keys.rotate(revoke_previous=revoke_previous)

    def revoke_key(self, kid: str | None = None) -> dict[str, Any]:
        return self.keys.revoke(kid)


# ---------------------------------------------------------------------------------------------------------
# HTTP adapter
# ---------------------------------------------------------------------------------------------------------


def _control(request: Request) -> Control:
    control: Control = request.app.state.control
    if not control.tenant.emulator.control_plane:
        raise errors.BoomError(
            404, errors.NOT_FOUND, reason="control plane disabled (emulator.control_plane: false)"
        )
    return control


async def _json(request: Request, *, allow_empty: bool = False) -> Any:
    raw = await request.body()
    if not raw.strip():
        if allow_empty:
            return {}
        raise _bad([{"loc": "(body)", "msg": "a JSON body is required"}])
    try:
        return json.loads(raw)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise _bad([{"loc": "(body)", "msg": f"not JSON: {exc}"}]) from exc


def _bad(detail: list[dict[str, Any]], error: str = "invalid_config") -> errors.JsonError:
    return errors.JsonError(400, {"error": error, "detail": detail})


def control_router() -> APIRouter:
    router = APIRouter(prefix="/_authstage", include_in_schema=False)

    @router.get("/config")
    async def get_config(request: Request) -> Response:
        return JSONResponse(_control(request).config.model_dump(mode="json"))

    @router.patch("/config")
    async def patch_config(request: Request) -> Response:
        control = _control(request)
        body = await _json(request)
        try:
            return JSONResponse(control.patch(body).model_dump(mode="json"))
        except ConfigUpdateError as exc:
            raise _bad(exc.detail) from exc

    @router.put("/config")
    async def put_config(request: Request) -> Response:
        control = _control(request)
        body = await _json(request)
        try:
            return JSONResponse(control.replace(body).model_dump(mode="json"))
        except ConfigUpdateError as exc:
            raise _bad(exc.detail) from exc

    @router.post("/reset")
    async def reset(request: Request) -> Response:
        _control(request).reset()
        return JSONResponse({"reset": True})

    @router.get("/clock")
    async def get_clock(request: Request) -> Response:
        return JSONResponse(_control(request).clock.state())

    @router.post("/clock")
    async def set_clock(request: Request) -> Response:
        control = _control(request)
        body = await _json(request)
        try:
            return JSONResponse(control.clock.apply(body))
        except ClockError as exc:
            raise _bad([{"loc": "(body)", "msg": str(exc)}], "invalid_clock") from exc

    @router.get("/log")
    async def get_log(request: Request) -> Response:
        control = _control(request)
        raw = request.query_params.get("since", "0")
        try:
            since = int(raw)
        except ValueError as exc:
            raise _bad([{"loc": "since", "msg": f"not an integer: {raw[:32]!r}"}], "invalid_request") from exc
        records = control.records(since)
        nxt = records[-1]["seq"] if records else max(since, 0)
        return JSONResponse({"records": records, "next": nxt})

    @router.delete("/log")
    async def clear_log(request: Request) -> Response:
        _control(request).log.clear()
        return Response(status_code=204)

    @router.get("/keys")
    async def get_keys(request: Request) -> Response:
        return JSONResponse(_control(request).keys.describe())

    @router.post("/keys/rotate")
    async def rotate(request: Request) -> Response:
        control = _control(request)
        body = await _json(request, allow_empty=True)
        revoke_previous = body.get("revoke_previous") if isinstance(body, dict) else None
        if revoke_previous is not None and not isinstance(revoke_previous, bool):
            raise _bad([{"loc": "revoke_previous", "msg": "must be true or false"}], "invalid_request")
        return JSONResponse(control.rotate_keys(revoke_previous=revoke_previous))

    @router.post("/keys/revoke")
    async def revoke(request: Request) -> Response:
        control = _control(request)
        body = await _json(request, allow_empty=True)
        kid = body.get("kid") if isinstance(body, dict) else None
        if kid is not None and not isinstance(kid, str):
            raise _bad([{"loc": "kid", "msg": "must be a string"}], "invalid_request")
        try:
            return JSONResponse(control.revoke_key(kid))
        except KeyRingError as exc:
            raise _bad([{"loc": "kid", "msg": str(exc)}], "invalid_request") from exc

    return router


def _seeded(tenant: Tenant) -> random.Random | None:
    """The PRNG behind every id of the tenant when `emulator.seed` is set (see `state.random_string`)."""
    return None if tenant.emulator.seed is None else random.Random(tenant.emulator.seed)
