"""AgentCore Policy: Cedar authorization of tool calls (DOC policy-core-concepts, example-policies,
use-gateway-with-policy, policy-enforcement-modes; sheet §8). Evaluation is `cedarpy` (the Cedar engine).

Entities: `AgentCore::OAuthUser::"<sub>"` with every JWT claim as a tag (`principal.getTag("scope")`), or
`AgentCore::IamEntity::"<arn>"`; action `AgentCore::Action::"<target>___<tool>"`; resource
`AgentCore::Gateway::"<gateway ARN>"`; `context.input` = the tool arguments. Default deny, forbid wins.
Listing: "a principal is allowed to list a tool if there exists any set of circumstances under which a call to
that tool would be permitted" — Cedar partial evaluation with the context left unknown. The action is an entity
of the request's entity set: without it, `action in [A, B]` (the form of AWS's example-policies) stays a
residual and every tool would be listed.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import cedarpy

from fake_gateway.authorizer import Principal
from fake_gateway.errors import POLICY_DEFAULT_DENY, POLICY_FORBID
from fake_gateway.settings import PolicyEngineSpec

__all__ = ["PolicyDecision", "PolicyEngine", "policy_set"]


@dataclass
class PolicyDecision:
    allowed: bool
    enforced: bool  # False in LOG_ONLY mode: the call proceeds whatever the decision
    text: str | None  # the isError text a denied caller sees
    reason: str  # for the log


def policy_set(policies: list[tuple[str, str]]) -> str:
    """Cedar policy text with each statement's AgentCore policy id as its `@id` annotation."""
    return "\n".join(f'@id("{pid}")\n{statement.strip()}' for pid, statement in policies)


def _cedar_value(value: Any) -> Any:
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return int(value) if value.is_integer() else {"__extn": {"fn": "decimal", "arg": f"{value:.4f}"}}
    if isinstance(value, list):
        return [_cedar_value(v) for v in value if v is not None]
    if isinstance(value, dict):
        return {str(k): _cedar_value(v) for k, v in value.items() if v is not None}
    return str(value)


def _uid(kind: str, ident: str) -> str:
    return f"AgentCore::{kind}::{json.dumps(ident)}"


class PolicyEngine:
    def __init__(self, spec: PolicyEngineSpec, gateway_arn: str) -> None:
        self.spec = spec
        self.resource = _uid("Gateway", gateway_arn)
        self.active = policy_set([(p.policy_id, p.statement) for p in spec.policies if p.active])
        self.logged = policy_set([(p.policy_id, p.statement) for p in spec.policies if not p.active])

    def _principal(self, principal: Principal) -> tuple[str, list[dict[str, Any]]]:
        if principal.kind == "iam":
            entity = {
                "uid": {"type": "AgentCore::IamEntity", "id": principal.subject},
                "attrs": {},
                "parents": [],
            }
            return _uid("IamEntity", principal.subject or ""), [entity]
        ident = principal.subject or "anonymous"
        tags = {
            k: _cedar_value(v)
            for k, v in principal.claims.items()
            if v is not None and not isinstance(v, dict)
        }
        entity = {
            "uid": {"type": "AgentCore::OAuthUser", "id": ident},
            "attrs": {},
            "parents": [],
            "tags": tags,
        }
        return _uid("OAuthUser", ident), [entity]

    def _entities(self, principal: Principal, tool: str) -> tuple[str, list[dict[str, Any]]]:
        """The principal's uid and the entities a request about `tool` needs: the principal and the action."""
        uid, entities = self._principal(principal)
        action = {"uid": {"type": "AgentCore::Action", "id": tool}, "attrs": {}, "parents": []}
        return uid, [*entities, action]

    def authorize(self, principal: Principal, tool: str, arguments: dict[str, Any] | None) -> PolicyDecision:
        uid, entities = self._entities(principal, tool)
        request = {
            "principal": uid,
            "action": _uid("Action", tool),
            "resource": self.resource,
            "context": {"input": _cedar_value(arguments or {})},
        }
        result = cedarpy.is_authorized(request, self.active, entities) if self.active.strip() else None
        enforced = self.spec.mode == "ENFORCE"
        if result is not None and result.diagnostics.errors:
            reason = f"policy evaluation errors: {result.diagnostics.errors}"
        else:
            reason = ""
        if result is not None and result.allowed:
            ids = self._ids(result)
            return PolicyDecision(True, enforced, None, f"permitted by {ids}")
        ids = self._ids(result) if result is not None else []
        if ids:
            text = POLICY_FORBID.format(policy_id=ids[0])
            why = f"forbidden by {ids}"
        else:
            text = POLICY_DEFAULT_DENY
            why = "no policy applies (denied by default)"
        return PolicyDecision(
            False,
            enforced,
            text,
            f"{why}{'; ' + reason if reason else ''}{'' if enforced else ' [LOG_ONLY: not enforced]'}",
        )

    @staticmethod
    def _ids(result: Any) -> list[str]:
        mapping = result.diagnostics.id_annotations_by_reason
        return [mapping.get(r, r) for r in result.diagnostics.reasons]

    def could_allow(self, principal: Principal, tool: str) -> bool:
        """False only when no context could permit the call (partial evaluation says Deny)."""
        if self.spec.mode != "ENFORCE":
            return True
        if not self.active.strip():
            return False
        uid, entities = self._entities(principal, tool)
        request = {"principal": uid, "action": _uid("Action", tool), "resource": self.resource}
        result = cedarpy.is_authorized_partial(request, self.active, entities)
        return result.decision != cedarpy.Decision.Deny
