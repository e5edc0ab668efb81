"""The agentgateway dialect's control plane (`/_authstage/`, the kernel's contract): the config document, plus
`GET /_authstage/warnings` (the lenient loader's allowances), `POST /_authstage/explain` (every check a token meets:
mcpAuthentication, then each `authorization` rule with the claim values it saw; `{"token", "tool"?, "target"?}`)
and `GET /_authstage/stats` (JWKS fetches, upstream connections, sessions).
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from authstage_kit.access import Access
from authstage_kit.control import ControlRequest, ControlRoute, ServiceControl
from authstage_kit.errors import ControlError
from fake_gateway.agentgateway.pipeline import Pipeline
from fake_gateway.agentgateway.settings import AgentGateway

__all__ = ["AgwControl"]


class AgwControl(ServiceControl[AgentGateway]):
    service = "gateway"

    def __init__(self, gateway: AgentGateway, *, base_url: str | None = None, access: Access | None = None) -> None:
        self.base_url = base_url
        self._pipeline: Pipeline | None = None
        super().__init__(gateway, access=access)

    @property
    def pipeline(self) -> Pipeline:
        assert self._pipeline is not None, "installed() builds the pipeline"
        return self._pipeline

    def validate(self, document: dict[str, Any]) -> AgentGateway:
        try:
            return AgentGateway.from_document(document)
        except ValidationError:
            raise
        except (TypeError, ValueError) as exc:
            raise ControlError.invalid("invalid_config", "(body)", str(exc)) from exc

    def dump(self, model: AgentGateway) -> dict[str, Any]:
        return model.to_document()

    def enabled(self) -> bool:
        return self.config.emulator.controlPlane

    def max_records(self) -> int:
        return self.config.emulator.logRecordsMax

    def installed(self, old: AgentGateway | None, new: AgentGateway) -> None:
        if self._pipeline is None:
            self._pipeline = Pipeline(new, clock=self.clock, base_url=self.base_url)
        else:
            self._pipeline.apply(new)

    def cleared(self) -> None:
        self.pipeline.jwks = {}

    async def after_reset(self) -> None:
        await self.pipeline.front.close_all()

    def routes(self) -> list[ControlRoute]:
        return [
            ControlRoute("GET", "/warnings", self._warnings, "the lenient loader's allowances"),
            ControlRoute("POST", "/explain", self._explain, 'every check for {"token": "<jwt>", "tool"?: "x"}'),
            ControlRoute("GET", "/stats", lambda r: self.stats(), "JWKS fetches, upstream connections, sessions"),
        ]

    def stats(self) -> dict[str, Any]:
        pipeline = self.pipeline
        return {
            "jwks_fetches": sum(cache.fetches for cache in pipeline.jwks.values()),
            "upstream_connections": pipeline.front.spawned,
            "sessions": len(pipeline.front.sessions),
        }

    def _warnings(self, request: ControlRequest) -> dict[str, Any]:
        return {"warnings": [
            {"path": w.path, "agentgateway": w.agentgateway, "allowance": w.allowance}
            for w in self.config.loaded.warnings
        ]}

    async def _explain(self, request: ControlRequest) -> dict[str, Any]:
        body = request.object_body('body {"token": "<jwt>"}')
        token = body.get("token")
        if not isinstance(token, str):
            raise ControlError.invalid("invalid_request", "token", 'the body must be {"token": "<jwt>"}')
        tool, target = body.get("tool"), body.get("target")
        checks = await self.pipeline.explain(token, tool=tool if isinstance(tool, str) else None,
                                             target=target if isinstance(target, str) else None)
        return {"checks": [c.to_dict() for c in checks]}
