"""The API's own shapes that are not a whole gateway: UpdateGateway requests, single targets, list outputs.

DOC API reference: UpdateGateway (`gatewayIdentifier` + the gateway members), GetGatewayTarget /
CreateGatewayTarget (one target), ListGatewayTargets and ListGateways (`items` of summaries, which carry no
configuration). A boto3 response's `ResponseMetadata` is ignored wherever it appears.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.notices import Notice
from fake_gateway.shapes.result import Conversion

__all__ = ["convert_api"]


def convert_api(document: Mapping[str, Any], shape: str) -> Conversion:
    doc = {k: v for k, v in document.items() if k != "ResponseMetadata"}
    if shape == "update-gateway":
        return _update(doc)
    if shape == "gateway-target":
        name = doc.get("name", "<name>")
        return Conversion({}, shape, issues=[Issue("", (
            f"this is one gateway target ({name!r}: a get-gateway-target output or create-gateway-target "
            "request), not a gateway. Give it together with its gateway: `authstage up --gateway-config "
            "gateway.json --gateway-config target.json`, or put it in the gateway document's `targets:` list"))])
    if shape == "list-gateway-targets":
        return Conversion({}, shape, issues=[Issue("items", _list_targets(doc))])
    if shape == "list-gateways":
        names = [i.get("gatewayId") or i.get("name") for i in doc.get("items") or [] if isinstance(i, dict)]
        return Conversion({}, shape, issues=[Issue("items", (
            f"this is list-gateways output: summaries of {names}, without their configuration. Give one gateway: "
            "`aws bedrock-agentcore-control get-gateway --gateway-identifier <id>`"))])
    return Conversion(doc, shape)


def _update(doc: dict[str, Any]) -> Conversion:
    identifier = str(doc.get("gatewayIdentifier", ""))
    notices = [Notice("converted", "gatewayIdentifier", "UpdateGateway request: served as the gateway it updates")]
    if identifier.startswith("arn:") and "gatewayArn" not in doc:
        doc["gatewayArn"] = identifier
        doc.setdefault("gatewayId", identifier.rsplit("/", 1)[-1])
    elif identifier and "gatewayId" not in doc:
        doc["gatewayId"] = identifier
    return Conversion(doc, "update-gateway", notices)


def _list_targets(doc: Mapping[str, Any]) -> str:
    items = [i for i in doc.get("items") or [] if isinstance(i, dict)]
    listed = ", ".join(f"{i.get('name')} ({i.get('targetType', '?')}, {i.get('targetId')})" for i in items)
    return (f"this is list-gateway-targets output: summaries of {len(items)} target(s) [{listed}] without their "
            "targetConfiguration, so none can be served. Give each one's full document: `aws bedrock-agentcore-"
            "control get-gateway-target --gateway-identifier <gateway> --target-id <targetId>`")
