"""Gateways and gateway targets: CreateGateway ... SynchronizeGatewayTargets (API reference, DOC gateway-create-api,
gateway-target-MCPservers: "CreateGatewayTarget and UpdateGatewayTarget … automatically trigger capability
discovery"; explicit sync "returns a 202 response immediately and processes synchronization asynchronously").

Every change is a new gateway document (create/update members + targets + the credential providers and policy
engine they reference) loaded through `serving.load_gateway` and installed in the gateway's data plane at once.
"""

from __future__ import annotations

from typing import Any

from fake_gateway.control_api.api import Call, Handler
from fake_gateway.control_api.errors import ALREADY_EXISTS, GATEWAY_HAS_TARGETS, conflict, not_found
from fake_gateway.control_api.serving import CreatedGateway, GatewayHandle
from fake_gateway.control_api.store import UPPER, Account, page, suffix
from fake_gateway.validation import service_model

__all__ = ["OPERATIONS", "compose", "install", "provider_refs"]

REQUEST_ONLY = ("gatewayIdentifier", "targetId", "clientToken", "tags")


def _output(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    shape = service_model().operation_model(operation).output_shape
    members = shape.members if shape is not None else {}
    return {k: v for k, v in answer.items() if k in members and v is not None}


def provider_refs(targets: list[dict[str, Any]]) -> set[str]:
    refs: set[str] = set()
    for target in targets:
        for config in target.get("credentialProviderConfigurations") or []:
            for block in (config.get("credentialProvider") or {}).values():
                if isinstance(block, dict) and isinstance(block.get("providerArn"), str):
                    refs.add(block["providerArn"])
    return refs


def compose(handle_base: dict[str, Any], request: dict[str, Any], targets: list[dict[str, Any]],
            ids: tuple[str, str], account: Account) -> dict[str, Any]:
    """The served document: AWS members, targets, and the account's providers and policy engine they name."""
    doc: dict[str, Any] = {**request, "gatewayId": ids[0], "gatewayArn": ids[1], **handle_base, "targets": targets}
    refs = provider_refs(targets)
    providers = {p["name"]: p for p in handle_base.get("credentialProviders") or []}
    for record in account.providers():
        if record.arn in refs or record.name in refs:
            providers[record.name] = record.document()
    doc["credentialProviders"] = list(providers.values())
    engine_arn = (request.get("policyEngineConfiguration") or {}).get("arn")
    engines = [e.document() for e in account.engines.values() if e.arn == engine_arn]
    if engines:
        doc["policyEngines"] = engines
    return {k: v for k, v in doc.items() if v != [] or k == "targets"}


def _check_engine(request: dict[str, Any], base: dict[str, Any], account: Account) -> None:
    """policyEngineConfiguration names a policy engine of the account (or the pasted document carries engines)."""
    arn = (request.get("policyEngineConfiguration") or {}).get("arn")
    if arn and all(e.arn != arn for e in account.engines.values()) and not base.get("policyEngines"):
        raise not_found("Policy engine", str(arn))


def install(call: Call, handle: GatewayHandle, request: dict[str, Any], targets: list[dict[str, Any]],
            prefix: str = "") -> None:
    _check_engine(request, handle.base(), call.account)
    document = compose(handle.base(), request, targets, (handle.gateway_id, handle.arn), call.account)
    handle.install(call.api.load(document, call.operation, prefix))


def _status(call: Call, key: str, done: str = "READY") -> str:
    life = call.api.lives.get(key)
    return life.status(call.now()) if life else done


def gateway_answer(call: Call, handle: GatewayHandle, operation: str, status: str | None = None) -> dict[str, Any]:
    """A get-gateway answer; a create or update answers the status it starts (CREATING / UPDATING)."""
    life = call.api.root_life if handle.root else call.api.life(handle.gateway_id, handle.created_at)
    identity = call.account.arn(f"workload-identity-directory/default/workload-identity/{handle.gateway_id}")
    answer = {
        **handle.request(),
        "gatewayArn": handle.arn,
        "gatewayId": handle.gateway_id,
        "gatewayUrl": handle.url(call.host, call.scheme),
        "createdAt": life.created_at,
        "updatedAt": life.updated_at,
        "status": status or life.status(call.now()),
        "statusReasons": [],
        "workloadIdentityDetails": {"workloadIdentityArn": identity},
    }
    return _output(operation, answer)


async def create_gateway(call: Call) -> dict[str, Any]:
    request = {k: v for k, v in call.params.items() if k not in REQUEST_ONLY}
    name = str(request["name"])
    if any(h.request().get("name") == name for h in call.api.handles(call.account)):
        raise conflict(ALREADY_EXISTS.format(kind="gateway", name=name))
    gateway_id = f"{name.lower()}-{suffix()}"
    arn = call.account.arn(f"gateway/{gateway_id}")
    base = {"emulator": call.api.emulator()}
    _check_engine(request, base, call.account)
    gateway = call.api.load(compose(base, request, [], (gateway_id, arn), call.account), call.operation)
    handle = CreatedGateway(gateway, clock=call.api.root_control.clock,
                            base_url=call.api.root_control.base_url, created_at=call.now())
    call.account.gateways[gateway_id] = handle
    call.api.life(gateway_id, call.now()).start("CREATING", call.now(), call.api.knobs().transitionSeconds)
    if call.params.get("tags"):
        call.account.tags[arn] = dict(call.params["tags"])
    await handle.start()
    return gateway_answer(call, handle, call.operation, "CREATING")


async def get_gateway(call: Call) -> dict[str, Any]:
    return gateway_answer(call, call.gateway(), call.operation)


async def list_gateways(call: Call) -> dict[str, Any]:
    handles, token = page(call.api.handles(call.account), call.params)
    items = []
    for handle in handles:
        answer = gateway_answer(call, handle, "GetGateway")
        items.append({k: answer.get(k) for k in ("gatewayId", "name", "status", "description", "createdAt",
                                                 "updatedAt", "authorizerType", "protocolType")})
    return {"items": [{k: v for k, v in i.items() if v is not None} for i in items], "nextToken": token}


async def update_gateway(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    request = {k: v for k, v in call.params.items() if k not in REQUEST_ONLY}
    install(call, handle, request, handle.targets())
    life = call.api.root_life if handle.root else call.api.life(handle.gateway_id, handle.created_at)
    life.start("UPDATING", call.now(), call.api.knobs().transitionSeconds)
    return gateway_answer(call, handle, call.operation, "UPDATING")


async def delete_gateway(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    if handle.targets():
        raise conflict(GATEWAY_HAS_TARGETS.format(identifier=handle.gateway_id, count=len(handle.targets())))
    if handle.root or not isinstance(handle, CreatedGateway):
        raise conflict(f"Gateway '{handle.gateway_id}' is the stack's own gateway; it cannot be deleted here")
    del call.account.gateways[handle.gateway_id]
    call.api.lives.pop(handle.gateway_id, None)
    call.account.tags.pop(handle.arn, None)
    call.api.retire(handle)
    return {"gatewayId": handle.gateway_id, "status": "DELETING", "statusReasons": []}


OPERATIONS: dict[str, Handler] = {
    "CreateGateway": create_gateway,
    "GetGateway": get_gateway,
    "ListGateways": list_gateways,
    "UpdateGateway": update_gateway,
    "DeleteGateway": delete_gateway,
}


def new_target_id() -> str:
    return suffix(10, UPPER)
