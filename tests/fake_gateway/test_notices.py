"""Nothing ignored silently (fake_gateway/notices.py): accepted members the emulator does not act on, read-only
members, and the warnings - at load, in GET /_authstage/notices and in APPLICATION_LOGS."""

from __future__ import annotations

from typing import Any

from fake_gateway import Gateway
from fake_gateway.notices import document_notices, find

ROLE = "arn:aws:iam::123456789012:role/r"


def test_find_walks_list_patterns() -> None:
    doc = {"targets": [{"a": {"b": 1}}, {"a": {}}, "x"]}
    assert list(find(doc, "targets[*].a.b")) == [("targets[0].a.b", 1)]


def test_ignored_members_are_listed_with_why() -> None:
    doc: dict[str, Any] = {
        "name": "g", "roleArn": ROLE, "authorizerType": "NONE", "kmsKeyArn": "arn:aws:kms:us-east-1:123456789012:key/k",
        "status": "READY", "description": "d",
        "targets": [{"name": "m", "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": "https://x.example/mcp",
                                                                              "resourcePriority": 3}}},
                     "credentialProviderConfigurations": [{"credentialProviderType": "JWT_PASSTHROUGH"}]},
                    {"name": "h", "targetConfiguration": {"http": {"passthrough": {"endpoint": "https://y.example",
                                                                                   "protocolType": "CUSTOM"}}}}],
    }
    by_path = {n.path: n for n in document_notices(doc)}
    assert by_path["roleArn"].kind == "ignored" and "IAM is not evaluated" in by_path["roleArn"].message
    assert by_path["kmsKeyArn"].kind == "ignored"
    assert by_path["targets[0].targetConfiguration.mcp.mcpServer.resourcePriority"].kind == "ignored"
    assert by_path["targets[0].credentialProviderConfigurations[0]"].kind == "warning"
    assert "not emulated" in by_path["targets[1].targetConfiguration"].message
    assert "status" in by_path[""].message and "description" in by_path[""].message


def test_a_policy_engine_without_policies_warns_that_every_call_is_denied(start_gateway: Any) -> None:
    doc = {"name": "g", "roleArn": ROLE, "authorizerType": "NONE", "policyEngineConfiguration": {
        "arn": "arn:aws:bedrock-agentcore:us-east-1:123456789012:policy-engine/e-abcdefghij", "mode": "ENFORCE"}}
    gateway = Gateway.from_document(doc)
    (warning,) = [n for n in gateway.notices if n.kind == "warning"]
    assert "every tools/call will be denied and tools/list will be empty" in warning.message
    running = start_gateway(doc)
    with running.client() as http:
        listed = http.get("/_authstage/notices").json()["notices"]
    assert {"kind": "warning", "path": "policyEngineConfiguration", "message": warning.message} in listed
    logs = [r["body"] for r in running.control.app_logs() if r["request_id"] == "configuration"]
    assert any(b["isError"] and "every tools/call will be denied" in b["log"] for b in logs)
    running.control.reset()
    assert any(r["request_id"] == "configuration" for r in running.control.app_logs())  # said again after a reset
