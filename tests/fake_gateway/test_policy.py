"""AgentCore Policy with Cedar (§13 items 17, 18; DOC use-gateway-with-policy, example-policies)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fake_gateway import Gateway
from tests.fake_gateway.conftest import MCP_HEADERS, FakeIdP, jwt_document, mcp_target, rpc

ENGINE_ARN = "arn:aws:bedrock-agentcore:us-east-1:123456789012:policy-engine/tiny_policies-a1b2c3d4e5"
DEFAULT_DENY = (
    "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
    "[No policy applies to the request (denied by default).]"
)


def policy_doc(
    idp: FakeIdP, target_url: str, policies: list[tuple[str, str]], mode: str = "ENFORCE"
) -> dict[str, Any]:
    doc = jwt_document(idp, allowedAudience=["api"], targets=[mcp_target("tiny", target_url)])
    doc["name"] = "insurance"
    doc["policyEngineConfiguration"] = {"arn": ENGINE_ARN, "mode": mode}
    doc["policyEngines"] = [
        {
            "name": "tiny_policies",
            "policies": [
                {"name": name, "definition": {"cedar": {"statement": statement}}}
                for name, statement in policies
            ],
        }
    ]
    return doc


def session(gw: Any, idp: FakeIdP, **claims: Any) -> Any:
    headers = {
        **MCP_HEADERS,
        "MCP-Protocol-Version": "2025-06-18",
        "Authorization": f"Bearer {idp.mint(aud='api', **claims)}",
    }

    def post(body: dict[str, Any]) -> dict[str, Any]:
        with gw.client() as client:
            return client.post("/mcp", json=body, headers=headers).json()

    return post


def test_default_deny(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    """Item 17: an engine with no permit denies every call (200, isError) and lists nothing."""
    forbid_other = 'forbid(principal, action == AgentCore::Action::"other___x", resource);'
    gw = start_gateway(policy_doc(idp, tiny_target.mcp_url, [("forbid_other", forbid_other)]))
    post = session(gw, idp)
    response = post(rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "1"}}, id=2))
    assert response == {
        "jsonrpc": "2.0",
        "id": 2,
        "result": {"content": [{"type": "text", "text": DEFAULT_DENY}], "isError": True},
    }
    assert post(rpc("tools/list"))["result"]["tools"] == []
    decision = [r for r in gw.control.app_logs() if r["body"]["log"].startswith("Policy decision")][-1][
        "body"
    ]
    assert decision["reason"] == "no policy applies (denied by default)"


def test_explicit_forbid_on_input_and_listing(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    """Item 18: forbid on a tool input; the tool stays listed because some input is permitted."""
    arn = "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/insurance-abcdefghij"
    permit = (
        f'permit(principal is AgentCore::OAuthUser, action in [AgentCore::Action::"tiny___count", '
        f'AgentCore::Action::"tiny___lookup_order"], resource == AgentCore::Gateway::"{arn}");'
    )
    forbid = (
        'forbid(principal is AgentCore::OAuthUser, action == AgentCore::Action::"tiny___count", resource) '
        "when { context.input has n && context.input.n > 3 };"
    )
    admin_only = (
        'forbid(principal, action == AgentCore::Action::"tiny___lookup_order", resource) '
        'unless { principal.hasTag("role") && principal.getTag("role") == "admin" };'
    )
    doc = policy_doc(
        idp,
        tiny_target.mcp_url,
        [("permit_tools", permit), ("limit_count", forbid), ("orders_admins", admin_only)],
    )
    doc["gatewayArn"] = arn
    doc["policyEngines"][0]["policies"][1]["policyId"] = "limit_count-q1w2e3r4t5"
    gw = start_gateway(doc)
    user = session(gw, idp, role="analyst")
    assert [t["name"] for t in user(rpc("tools/list"))["result"]["tools"]] == ["tiny___count"]
    assert (
        user(rpc("tools/call", {"name": "tiny___count", "arguments": {"n": 2}}))["result"]["content"][0][
            "text"
        ]
        == "counted to 2"
    )
    denied = user(rpc("tools/call", {"name": "tiny___count", "arguments": {"n": 5}}))["result"]
    assert denied == {
        "content": [
            {
                "type": "text",
                "text": (
                    "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
                    "[Policy evaluation denied due to limit_count-q1w2e3r4t5]"
                ),
            }
        ],
        "isError": True,
    }
    admin = session(gw, idp, role="admin")
    assert [t["name"] for t in admin(rpc("tools/list"))["result"]["tools"]] == [
        "tiny___count",
        "tiny___lookup_order",
    ]
    assert (
        admin(rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "9"}}))["result"][
            "isError"
        ]
        is False
    )


def test_log_only_mode_evaluates_but_does_not_enforce(
    idp: FakeIdP, start_gateway: Any, tiny_target: Any
) -> None:
    gw = start_gateway(policy_doc(idp, tiny_target.mcp_url, [], mode="LOG_ONLY"))
    post = session(gw, idp)
    assert len(post(rpc("tools/list"))["result"]["tools"]) == 2
    assert (
        post(rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "1"}}))["result"][
            "isError"
        ]
        is False
    )
    decision = [r for r in gw.control.app_logs() if r["body"]["log"].startswith("Policy decision")][-1][
        "body"
    ]
    assert decision["isError"] is True
    assert decision["reason"].endswith("[LOG_ONLY: not enforced]")


def test_invalid_cedar_and_unmatched_engine_are_config_errors(idp: FakeIdP, tiny_target: Any) -> None:
    doc = policy_doc(idp, tiny_target.mcp_url, [("bad", "permit(principal, action, resourc) when { true };")])
    with pytest.raises(ValidationError) as caught:
        Gateway.from_document(doc)
    errors = {e["loc"][0]: e["msg"] for e in caught.value.errors()}
    assert errors["policyEngines[0].policies[0].definition.cedar.statement"].startswith(
        "Invalid Cedar policy: "
    )
    doc = policy_doc(idp, tiny_target.mcp_url, [])
    doc["policyEngines"].append({"name": "other_engine"})
    doc["policyEngineConfiguration"]["arn"] = ENGINE_ARN.replace("tiny_policies", "missing")
    with pytest.raises(ValidationError) as caught:
        Gateway.from_document(doc)
    assert any(e["loc"] == ("policyEngineConfiguration.arn",) for e in caught.value.errors())


def test_action_in_a_list_lists_only_the_tools_it_names(idp: FakeIdP, start_gateway: Any, tiny_target: Any) -> None:
    """`action in [A, B]` (the form of AWS's example-policies, sheet §8): a tool outside the list is neither listed
    nor callable. The action is an entity of the partial request, so Cedar decides instead of leaving a residual."""
    permit = (
        'permit(principal is AgentCore::OAuthUser, action in [AgentCore::Action::"tiny___count", '
        'AgentCore::Action::"other___x"], resource);'
    )
    gw = start_gateway(policy_doc(idp, tiny_target.mcp_url, [("permit_count", permit)]))
    post = session(gw, idp)
    assert [t["name"] for t in post(rpc("tools/list"))["result"]["tools"]] == ["tiny___count"]
    denied = post(rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "1"}}))["result"]
    assert denied["isError"] is True and denied["content"][0]["text"] == DEFAULT_DENY


def test_denial_as_a_json_rpc_error_when_the_sources_conflict(
    idp: FakeIdP, start_gateway: Any, tiny_target: Any
) -> None:
    """Knob policyDenialResponse: jsonrpc-error answers HTTP 200 with error -32002 (third-party captures) instead of
    the documented isError result; the decision is logged either way."""
    doc = policy_doc(idp, tiny_target.mcp_url, [])
    doc["emulator"] = {"policyDenialResponse": "jsonrpc-error"}
    gw = start_gateway(doc)
    post = session(gw, idp)
    response = post(rpc("tools/call", {"name": "tiny___lookup_order", "arguments": {"order_id": "1"}}, id=4))
    assert response == {
        "jsonrpc": "2.0",
        "id": 4,
        "error": {"code": -32002, "message": DEFAULT_DENY.removeprefix("AuthorizeActionException - ")},
    }
    failed = [r["body"] for r in gw.control.app_logs() if r["body"]["log"].startswith("Failed to process")][-1]
    assert failed["reason"] == "no policy applies (denied by default)"
