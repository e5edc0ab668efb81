"""Gateways the control plane knows, served by the local data plane: the demo (root) gateway and created ones.

Where a gateway is served (docs/control-api.md "Where gateways are served"): AWS gives each gateway its own host,
`https://<gatewayId>.gateway.bedrock-agentcore.<region>.amazonaws.com/mcp`. Here every gateway shares the gateway
service's port: the root gateway (the stack's demo gateway, or the one a stack file pasted) keeps the host root,
`<origin>/mcp`; each created gateway is mounted at `<origin>/gateways/<gatewayId>`, which is its host root — its
MCP endpoint is `<origin>/gateways/<gatewayId>/mcp`, its RFC 9728 document `<origin>/gateways/<gatewayId>/.well-
known/oauth-protected-resource` (the URL its challenges name) and also the path-inserted RFC 9728 §3.1 location
`<origin>/.well-known/oauth-protected-resource/gateways/<gatewayId>/mcp`. `resource` is `<mount>/mcp`, as AWS's
is `<host>/mcp`.

A control-plane request becomes a served gateway through one function, :func:`load_gateway`: the document the
control plane composes (the create/update-gateway members, the targets, the credential providers and the policy
engine they reference) is loaded exactly as a pasted stack file's `gateway:` section is.
"""

from __future__ import annotations

from typing import Any, Protocol

from authstage_kit.clock import Clock
from fake_gateway.backend import Backend
from fake_gateway.mcp_endpoint import McpEndpoint
from fake_gateway.settings import Gateway

__all__ = ["CreatedGateway", "GatewayHandle", "MountedBackend", "RootControl", "RootGateway", "load_gateway"]

# Members AWS computes; the loader reads gatewayId/gatewayArn from the document, the rest is answered live.
COMPUTED = ("gatewayId", "gatewayArn", "gatewayUrl", "status", "statusReasons", "createdAt", "updatedAt",
            "workloadIdentityDetails", "clientToken", "tags", "ResponseMetadata")
OURS = ("targets", "credentialProviders", "policyEngines", "emulator")


def load_gateway(document: dict[str, Any]) -> Gateway:
    """The seam: a document the control plane composed, loaded exactly as if pasted (raises pydantic's
    ValidationError naming every problem)."""
    return Gateway.from_document(document)


class RootControl(Protocol):
    """What the control API needs of the gateway service's own control plane (fake_gateway/control.py)."""

    base_url: str | None
    clock: Clock

    @property
    def config(self) -> Gateway: ...

    @property
    def backend(self) -> Backend: ...

    def replace(self, document: Gateway | dict[str, Any]) -> Gateway: ...


class MountedBackend(Backend):
    """A gateway whose host root is a path of the gateway service (`/gateways/<gatewayId>`)."""

    def __init__(self, gateway: Gateway, *, clock: Clock, base_url: str | None, mount: str) -> None:
        self.mount = mount
        super().__init__(gateway, clock=clock, base_url=base_url)

    def origin(self, host: str | None, scheme: str = "http") -> str:
        return super().origin(host, scheme) + self.mount


class GatewayHandle:
    """One gateway as the control plane sees it: ids, its AWS members, its targets, its data plane."""

    created_at: float
    root: bool = False

    def parts(self) -> tuple[Gateway, Backend]:
        """The gateway's current document and data plane."""
        raise NotImplementedError

    @property
    def gateway(self) -> Gateway:
        return self.parts()[0]

    @property
    def backend(self) -> Backend:
        return self.parts()[1]

    @property
    def gateway_id(self) -> str:
        """Ids and region come from the document, as the loader resolves them (`gatewayId`, `gatewayArn`)."""
        return self.gateway.view.gateway_id

    @property
    def arn(self) -> str:
        return self.gateway.view.arn

    @property
    def region(self) -> str:
        return self.gateway.view.region

    def request(self) -> dict[str, Any]:
        """The create/update-gateway members, as a get-gateway answer echoes them."""
        extra = self.gateway.model_extra or {}
        return {k: v for k, v in extra.items() if k not in COMPUTED}

    def targets(self) -> list[dict[str, Any]]:
        """The target documents, each with its targetId (the loader's derived one when the document had none)."""
        ids = {spec.name: spec.target_id for spec in self.gateway.view.targets}
        return [{**doc, "targetId": doc.get("targetId") or ids.get(str(doc.get("name")))}
                for doc in self.gateway.targets]

    def base(self) -> dict[str, Any]:
        """The sections of the served document the control plane does not own (the emulator knobs, ...)."""
        raise NotImplementedError

    def install(self, gateway: Gateway) -> None:
        raise NotImplementedError

    def url(self, host: str | None, scheme: str) -> str:
        return self.backend.origin(host, scheme) + "/mcp"


class RootGateway(GatewayHandle):
    """The gateway the service was started with; its document is the service's config (`/_authstage/config`)."""

    root = True

    def __init__(self, control: RootControl, created_at: float) -> None:
        self.control = control
        self.created_at = created_at

    def parts(self) -> tuple[Gateway, Backend]:
        return self.control.config, self.control.backend

    def base(self) -> dict[str, Any]:
        return {k: v for k, v in self.gateway.to_document().items() if k in OURS}

    def install(self, gateway: Gateway) -> None:
        self.control.replace(gateway)


class CreatedGateway(GatewayHandle):
    """A gateway CreateGateway made: its own backend, mounted under `/gateways/<gatewayId>`."""

    def __init__(self, gateway: Gateway, *, clock: Clock, base_url: str | None, created_at: float) -> None:
        self.created_at = created_at
        self._gateway = gateway
        mount = f"/gateways/{gateway.view.gateway_id}"
        self._backend = MountedBackend(gateway, clock=clock, base_url=base_url, mount=mount)
        self.endpoint = McpEndpoint(self._backend)
        self.started = False

    def parts(self) -> tuple[Gateway, Backend]:
        return self._gateway, self._backend

    def base(self) -> dict[str, Any]:
        return {"emulator": self._gateway.emulator.model_dump(mode="json")}

    def install(self, gateway: Gateway) -> None:
        self._gateway = gateway
        self._backend.apply(gateway)

    async def start(self) -> None:
        """Begin target synchronization (CreateGatewayTarget's implicit sync) on the serving loop."""
        if not self.started:
            self.started = True
            await self._backend.startup()

    async def close(self) -> None:
        await self._backend.shutdown()
