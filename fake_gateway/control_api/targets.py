"""Gateway targets: Create/Get/List/Update/DeleteGatewayTarget and SynchronizeGatewayTargets.

A target's status is its data plane's: CREATING until the implicit capability discovery (`tools/list` against
the MCP server) ends, then READY, or FAILED with the reason in `statusReasons` (DOC gateway-target-MCPservers;
REPORTED states in the sheet §7.2). SynchronizeGatewayTargets answers at once (202) with SYNCHRONIZING and
synchronizes in the background.
"""

from __future__ import annotations

from typing import Any

from fake_gateway.control_api.api import Call, Handler
from fake_gateway.control_api.errors import ALREADY_EXISTS, conflict, not_found
from fake_gateway.control_api.gateways import REQUEST_ONLY, install, new_target_id
from fake_gateway.control_api.serving import GatewayHandle
from fake_gateway.control_api.store import page
from fake_gateway.validation import service_model

__all__ = ["OPERATIONS"]


def _find(handle: GatewayHandle, target_id: str) -> tuple[int, dict[str, Any]]:
    for index, doc in enumerate(handle.targets()):
        if doc.get("targetId") == target_id:
            return index, doc
    raise not_found("Target", target_id)


def target_answer(call: Call, handle: GatewayHandle, doc: dict[str, Any], operation: str) -> dict[str, Any]:
    key = f"{handle.gateway_id}/{doc['targetId']}"
    life = call.api.life(key, call.now())
    state = handle.backend.targets.get(str(doc.get("name")))
    status = state.status if state else "READY"
    busy = life.status(call.now())
    answer = {
        **{k: v for k, v in doc.items() if k not in REQUEST_ONLY},
        "gatewayArn": handle.arn,
        "targetId": doc["targetId"],
        "createdAt": life.created_at,
        "updatedAt": life.updated_at,
        "status": busy if busy in ("UPDATING", "SYNCHRONIZING") else status,
        "statusReasons": list(state.status_reasons) if state else [],
        "credentialProviderConfigurations": doc.get("credentialProviderConfigurations") or [],
        "lastSynchronizedAt": state.last_synchronized_at if state else None,
    }
    shape = service_model().operation_model(operation).output_shape
    members = shape.members if shape is not None else {}
    return {k: v for k, v in answer.items() if k in members and v is not None}


def _sync_new(call: Call, handle: GatewayHandle, name: str) -> None:
    state = handle.backend.targets.get(name)
    if state is not None and not state.sync_attempted:
        call.api.background(handle.backend.ensure_synced(state))


async def create_target(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    target_id = new_target_id()
    doc = {k: v for k, v in call.params.items() if k not in REQUEST_ONLY}
    doc.setdefault("name", f"target-{target_id.lower()}")  # INFERRED: AWS's default name is not documented
    if any(t.get("name") == doc["name"] for t in handle.targets()):
        raise conflict(ALREADY_EXISTS.format(kind="target", name=doc["name"]))
    doc["targetId"] = target_id
    targets = [*handle.targets(), doc]
    install(call, handle, handle.request(), targets, prefix=f"targets[{len(targets) - 1}]")
    call.api.life(f"{handle.gateway_id}/{target_id}", call.now())
    _sync_new(call, handle, str(doc["name"]))
    return target_answer(call, handle, doc, call.operation)


async def get_target(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    _, doc = _find(handle, str(call.params["targetId"]))
    return target_answer(call, handle, doc, call.operation)


async def list_targets(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    docs, token = page(handle.targets(), call.params)
    items = []
    for doc in docs:
        answer = target_answer(call, handle, doc, "GetGatewayTarget")
        listing = (((doc.get("targetConfiguration") or {}).get("mcp") or {}).get("mcpServer") or {}).get("listingMode")
        item: dict[str, Any] = {k: answer[k] for k in ("targetId", "name", "status", "description", "createdAt",
                                                       "updatedAt") if k in answer}
        if listing:
            item["listingMode"] = listing
        items.append(item)
    return {"items": items, "nextToken": token}


async def update_target(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    index, old = _find(handle, str(call.params["targetId"]))
    doc = {k: v for k, v in call.params.items() if k not in REQUEST_ONLY}
    doc.setdefault("name", old.get("name"))
    doc["targetId"] = old["targetId"]
    targets = handle.targets()
    targets[index] = doc
    install(call, handle, handle.request(), targets, prefix=f"targets[{index}]")
    key = f"{handle.gateway_id}/{doc['targetId']}"
    call.api.life(key, call.now()).start("UPDATING", call.now(), call.api.knobs().transitionSeconds)
    _sync_new(call, handle, str(doc["name"]))
    return target_answer(call, handle, doc, call.operation)


async def delete_target(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    index, doc = _find(handle, str(call.params["targetId"]))
    targets = handle.targets()
    del targets[index]
    install(call, handle, handle.request(), targets)
    call.api.lives.pop(f"{handle.gateway_id}/{doc['targetId']}", None)
    return {"gatewayArn": handle.arn, "targetId": doc["targetId"], "status": "DELETING", "statusReasons": []}


async def synchronize(call: Call) -> dict[str, Any]:
    handle = call.gateway()
    answers = []
    for target_id in call.params["targetIdList"]:
        _, doc = _find(handle, str(target_id))
        state = handle.backend.targets.get(str(doc["name"]))
        if state is not None:
            state.status = "SYNCHRONIZING"
            call.api.background(handle.backend.synchronize(str(doc["name"])))
        answers.append(target_answer(call, handle, doc, "GetGatewayTarget"))
    return {"targets": answers}


OPERATIONS: dict[str, Handler] = {
    "CreateGatewayTarget": create_target,
    "GetGatewayTarget": get_target,
    "ListGatewayTargets": list_targets,
    "UpdateGatewayTarget": update_target,
    "DeleteGatewayTarget": delete_target,
    "SynchronizeGatewayTargets": synchronize,
}
