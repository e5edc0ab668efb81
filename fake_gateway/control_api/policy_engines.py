"""AgentCore Policy: policy engines and their Cedar policies (API reference CreatePolicyEngine / CreatePolicy;
DOC policy-core-concepts, use-gateway-with-policy).

Statuses go CREATING → ACTIVE and UPDATING → ACTIVE (botocore's waiters `PolicyEngineActive`, `PolicyActive`);
a delete answers DELETING and the resource is gone (waiter `PolicyEngineDeleted`: ResourceNotFoundException). A
policy's statement is parsed by Cedar (cedarpy) at create/update; a change re-installs every gateway the engine
is attached to, so enforcement changes at once.
"""

from __future__ import annotations

from typing import Any

import cedarpy

from fake_gateway.control_api.api import Call, Handler
from fake_gateway.control_api.errors import (
    ALREADY_EXISTS,
    ENGINE_IN_USE,
    conflict,
    not_found,
    validation_error,
)
from fake_gateway.control_api.gateways import install
from fake_gateway.control_api.store import EngineRecord, PolicyRecord, Transition, page, suffix
from fake_gateway.errors import Issue
from fake_gateway.validation import service_model

__all__ = ["OPERATIONS"]

ID_ALPHABET = "abcdefghijklmnopqrstuvwxyz0123456789"


def _output(operation: str, answer: dict[str, Any]) -> dict[str, Any]:
    shape = service_model().operation_model(operation).output_shape
    members = shape.members if shape is not None else {}
    return {k: v for k, v in answer.items() if k in members and v is not None}


def _engine(call: Call) -> EngineRecord:
    engine_id = str(call.params["policyEngineId"])
    if engine_id not in call.account.engines:
        raise not_found("Policy engine", engine_id)
    return call.account.engines[engine_id]


def _users(call: Call, engine: EngineRecord) -> list[Any]:
    return [h for h in call.api.handles(call.account)
            if (h.request().get("policyEngineConfiguration") or {}).get("arn") == engine.arn]


def _refresh(call: Call, engine: EngineRecord) -> None:
    for handle in _users(call, engine):
        install(call, handle, handle.request(), handle.targets())


def engine_answer(call: Call, engine: EngineRecord, operation: str) -> dict[str, Any]:
    return _output(operation, {
        **engine.request,
        "policyEngineId": engine.engine_id, "name": engine.name, "policyEngineArn": engine.arn,
        "createdAt": engine.life.created_at, "updatedAt": engine.life.updated_at,
        "status": engine.life.status(call.now()), "statusReasons": [],
    })


async def create_engine(call: Call) -> dict[str, Any]:
    name = str(call.params["name"])
    if any(e.name == name for e in call.account.engines.values()):
        raise conflict(ALREADY_EXISTS.format(kind="policy engine", name=name))
    engine_id = f"{name}-{suffix(10, ID_ALPHABET)}"
    request = {k: v for k, v in call.params.items() if k in ("description", "encryptionKeyArn")}
    life = Transition(call.now(), call.now(), done="ACTIVE")
    life.start("CREATING", call.now(), call.api.knobs().transitionSeconds)
    engine = EngineRecord(engine_id, name, call.account.arn(f"policy-engine/{engine_id}"), request, life)
    call.account.engines[engine_id] = engine
    if call.params.get("tags"):
        call.account.tags[engine.arn] = dict(call.params["tags"])
    return {**engine_answer(call, engine, call.operation), "status": "CREATING"}


async def get_engine(call: Call) -> dict[str, Any]:
    return engine_answer(call, _engine(call), call.operation)


async def list_engines(call: Call) -> dict[str, Any]:
    engines, token = page(list(call.account.engines.values()), call.params)
    return {"policyEngines": [engine_answer(call, e, "GetPolicyEngine") for e in engines], "nextToken": token}


async def update_engine(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    description = (call.params.get("description") or {}).get("optionalValue")
    engine.request = {**engine.request, "description": description}
    engine.life.start("UPDATING", call.now(), call.api.knobs().transitionSeconds)
    return {**engine_answer(call, engine, call.operation), "status": "UPDATING"}


async def delete_engine(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    users = _users(call, engine)
    if users:
        raise conflict(ENGINE_IN_USE.format(identifier=engine.engine_id, gateways=sorted(h.gateway_id for h in users)))
    answer = engine_answer(call, engine, call.operation)
    del call.account.engines[engine.engine_id]
    call.account.tags.pop(engine.arn, None)
    return {**answer, "status": "DELETING"}


# -- policies ---------------------------------------------------------------------------------------------------


def _check_cedar(definition: Any, operation: str) -> None:
    block = (definition or {}).get("cedar") or (definition or {}).get("policy") or {}
    statement = block.get("statement") if isinstance(block, dict) else None
    if isinstance(statement, str):
        try:
            cedarpy.policies_to_json_str(statement)
        except ValueError as exc:
            raise validation_error([Issue("definition.cedar.statement", f"Invalid Cedar policy: {exc}")],
                                   operation) from None


def _policy(call: Call, engine: EngineRecord) -> PolicyRecord:
    policy_id = str(call.params["policyId"])
    if policy_id not in engine.policies:
        raise not_found("Policy", policy_id)
    return engine.policies[policy_id]


def policy_answer(call: Call, engine: EngineRecord, policy: PolicyRecord, operation: str) -> dict[str, Any]:
    return _output(operation, {
        **policy.request, "policyId": policy.policy_id, "name": policy.name, "policyEngineId": engine.engine_id,
        "policyArn": policy.arn, "createdAt": policy.life.created_at, "updatedAt": policy.life.updated_at,
        "status": policy.life.status(call.now()), "statusReasons": [],
    })


async def create_policy(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    name = str(call.params["name"])
    if any(p.name == name for p in engine.policies.values()):
        raise conflict(ALREADY_EXISTS.format(kind="policy", name=name))
    _check_cedar(call.params.get("definition"), call.operation)
    policy_id = f"{name}-{suffix(10, ID_ALPHABET)}"
    request = {k: v for k, v in call.params.items() if k in ("definition", "description", "enforcementMode")}
    life = Transition(call.now(), call.now(), done="ACTIVE")
    life.start("CREATING", call.now(), call.api.knobs().transitionSeconds)
    policy = PolicyRecord(policy_id, name, f"{engine.arn}/policy/{policy_id}", request, life)
    engine.policies[policy_id] = policy
    _refresh(call, engine)
    return {**policy_answer(call, engine, policy, call.operation), "status": "CREATING"}


async def get_policy(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    return policy_answer(call, engine, _policy(call, engine), call.operation)


async def list_policies(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    policies, token = page(list(engine.policies.values()), call.params)
    return {"policies": [policy_answer(call, engine, p, "GetPolicy") for p in policies], "nextToken": token}


async def update_policy(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    policy = _policy(call, engine)
    if "definition" in call.params:
        _check_cedar(call.params["definition"], call.operation)
        policy.request["definition"] = call.params["definition"]
    if "enforcementMode" in call.params:
        policy.request["enforcementMode"] = call.params["enforcementMode"]
    if "description" in call.params:
        policy.request["description"] = (call.params["description"] or {}).get("optionalValue")
    policy.life.start("UPDATING", call.now(), call.api.knobs().transitionSeconds)
    _refresh(call, engine)
    return {**policy_answer(call, engine, policy, call.operation), "status": "UPDATING"}


async def delete_policy(call: Call) -> dict[str, Any]:
    engine = _engine(call)
    policy = _policy(call, engine)
    answer = policy_answer(call, engine, policy, call.operation)
    del engine.policies[policy.policy_id]
    _refresh(call, engine)
    return {**answer, "status": "DELETING"}


OPERATIONS: dict[str, Handler] = {
    "CreatePolicyEngine": create_engine,
    "GetPolicyEngine": get_engine,
    "ListPolicyEngines": list_engines,
    "UpdatePolicyEngine": update_engine,
    "DeletePolicyEngine": delete_engine,
    "CreatePolicy": create_policy,
    "GetPolicy": get_policy,
    "ListPolicies": list_policies,
    "UpdatePolicy": update_policy,
    "DeletePolicy": delete_policy,
}
