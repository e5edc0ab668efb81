"""The gateway's control-plane state (`/_authstage/`, the kernel's contract in docs/control-plane.md).

`GatewayControl` is the kernel's `ServiceControl` over the `Gateway` document: a new config is installed into the
`Backend` (moto's models: caches, sessions, targets, policy, APPLICATION_LOGS); a reset clears them. Its extra
routes: `GET /_authstage/logs` (APPLICATION_LOGS-shaped records), `GET /_authstage/targets`,
`POST /_authstage/targets/{name}/synchronize`, `POST /_authstage/explain` (every authorizer check for a token,
against the running config and the JWKS this gateway fetched, on this gateway's clock) and `GET /_authstage/stats`.
"""

from __future__ import annotations

import asyncio
from typing import Any

from authstage_kit.access import Access
from authstage_kit.control import ControlRequest, ControlRoute, ServiceControl
from authstage_kit.errors import ControlError
from fake_gateway.authorizer import explain_token
from fake_gateway.backend import Backend
from fake_gateway.control_api import ControlApi, new_control_api
from fake_gateway.settings import Gateway

__all__ = ["GatewayControl"]


class GatewayControl(ServiceControl[Gateway]):
    """Config, clock, logs and backend of one running gateway."""

    service = "gateway"

    def __init__(self, gateway: Gateway, *, base_url: str | None = None, access: Access | None = None) -> None:
        self.base_url = base_url
        self._backend: Backend | None = None
        self._api: ControlApi | None = None
        super().__init__(gateway, access=access)

    @property
    def backend(self) -> Backend:
        assert self._backend is not None, "installed() builds the backend"
        return self._backend

    # -- the kernel's hooks
    def validate(self, document: dict[str, Any]) -> Gateway:
        return Gateway.from_document(document)

    def dump(self, model: Gateway) -> dict[str, Any]:
        return model.to_document()

    def enabled(self) -> bool:
        return self.config.emulator.controlPlane

    def reason_header(self) -> bool:
        return self.config.emulator.reasonHeader

    def max_records(self) -> int:
        return self.config.emulator.logRecordsMax

    @property
    def control_api(self) -> ControlApi:
        """The emulated bedrock-agentcore-control API (fake_gateway/control_api) and the gateways it created."""
        assert self._api is not None, "installed() builds the control API"
        return self._api

    def installed(self, old: Gateway | None, new: Gateway) -> None:
        if self._backend is None:
            self._backend = Backend(new, clock=self.clock, base_url=self.base_url)
            self._api = new_control_api(self)
        else:
            self._backend.apply(new)

    def cleared(self) -> None:
        self.backend.clear()
        self.control_api.clear()

    async def after_reset(self) -> None:
        await self.backend.pool.close_all()
        await self.control_api.close()

    def routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("GET", "/logs", self._app_logs, "APPLICATION_LOGS-shaped records after ?since=N"),
            ControlRoute("GET", "/targets", self._targets, "each target's status and catalogue"),
            ControlRoute("POST", "/targets/{name}/synchronize", self._synchronize, "SynchronizeGatewayTargets"),
            ControlRoute("POST", "/explain", self._explain, 'every authorizer check for {"token": "<jwt>"}'),
            ControlRoute("GET", "/stats", lambda r: self.stats(), "JWKS fetches, token requests, calls"),
            ControlRoute("GET", "/notices", self._notices, "what the config converted, ignores or warns about"),
            ControlRoute("GET", "/gateways", lambda r: {"gateways": self.control_api.documents()},
                         "every served gateway's document (the control-plane API's creations too)"),
        ]

    # -- the gateway's own in-process API (the routes below are its HTTP face)
    def app_logs(self, since: int = 0) -> list[dict[str, Any]]:
        """APPLICATION_LOGS-shaped records after `since`."""
        return self.backend.app_log.records(since)

    def stats(self) -> dict[str, Any]:
        """Counters the benchmarks and tests read (JWKS fetches, token requests, target calls, sessions)."""
        return self.backend.stats()

    async def synchronize(self, target: str) -> dict[str, Any]:
        return await self.backend.synchronize(target)

    # -- the extra routes
    def _notices(self, request: ControlRequest) -> dict[str, Any]:
        return {"notices": [n.to_dict() for n in self.config.notices]}

    def _app_logs(self, request: ControlRequest) -> dict[str, Any]:
        since = request.since()
        records = self.app_logs(since)
        return {"records": records, "next": records[-1]["seq"] if records else max(since, 0)}

    def _targets(self, request: ControlRequest) -> dict[str, Any]:
        return {"targets": [self.backend.target_status(name) for name in self.backend.targets]}

    async def _synchronize(self, request: ControlRequest) -> dict[str, Any]:
        name = request.params["name"]
        try:
            return await self.synchronize(name)
        except KeyError:
            raise ControlError.invalid(
                "not_found", "name", f"no target {name!r}; targets: {sorted(self.backend.targets)}", status=404
            ) from None

    async def _explain(self, request: ControlRequest) -> dict[str, Any]:
        token = request.object_body('body {"token": "<jwt>"}').get("token")
        if not isinstance(token, str):
            raise ControlError.invalid("invalid_request", "token", 'the body must be {"token": "<jwt>"}')
        backend = self.backend
        jwt = backend.view.jwt
        keys = await backend.keys.get(jwt.discovery_url) if jwt else None
        checks = await asyncio.to_thread(
            explain_token,
            token,
            backend.gateway,
            discovery=keys.discovery if keys else None,
            jwks=keys.jwks if keys else None,
            now=self.clock.now(),
        )
        return {"checks": [check.to_dict() for check in checks]}
