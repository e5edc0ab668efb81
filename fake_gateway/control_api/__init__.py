"""The emulated `bedrock-agentcore-control` API (docs/control-api.md): gateways, targets, credential providers,
workload identities, policy engines and policies, tags — on the gateway service's port, each created gateway
served at once by the local data plane."""

from __future__ import annotations

from collections.abc import Mapping

from fake_gateway.control_api.api import ApiAnswer, ApiRequest, ControlApi, Handler
from fake_gateway.control_api.serving import RootControl

__all__ = ["ApiAnswer", "ApiRequest", "ControlApi", "emulated_operations", "new_control_api"]


def emulated_operations() -> Mapping[str, Handler]:
    """Every operation authstage answers (the others answer UnknownOperationException naming themselves)."""
    from fake_gateway.control_api import gateways, identity, policy_engines, tagging, targets

    return {**gateways.OPERATIONS, **targets.OPERATIONS, **identity.OPERATIONS, **policy_engines.OPERATIONS,
            **tagging.OPERATIONS}


def new_control_api(root: RootControl) -> ControlApi:
    return ControlApi(root, emulated_operations())
