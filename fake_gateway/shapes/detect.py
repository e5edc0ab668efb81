"""Which shape a pasted document has: the question every route asks before anything is validated.

Shapes (the names notices and errors use):

* `api`                  - get-gateway output / create-gateway request (the emulator's own document shape): a
                           whole gateway, carrying `name` and `authorizerType` (both required by the API)
* `update-gateway`       - an UpdateGateway request (`gatewayIdentifier` + the gateway members)
* `gateway-target`       - one get-gateway-target output / create-gateway-target request
* `list-gateway-targets` - list-gateway-targets output (`items` of target summaries)
* `list-gateways`        - list-gateways output (`items` of gateway summaries)
* `cloudformation`       - a CloudFormation template (JSON or YAML), `cdk` when it is CDK synth output
* `cloudformation-resource` - one `{"Type": "AWS::BedrockAgentCore::Gateway", "Properties": ...}` resource
* `terraform-show`       - `terraform show -json` of a state or a plan; `terraform-state` - a raw .tfstate
* `agentcore-cli`        - an agentcore-cli project file (agentcore/agentcore.json)
* `pulumi-stack`         - `pulumi stack export`; `pulumi-yaml` - a Pulumi YAML program
* `overlay`              - anything else: a partial document (a stack file's override over the demo gateway), also
                           one that deletes members with `null` (a merge patch)
"""

from __future__ import annotations

from typing import Any

__all__ = ["FOREIGN", "GATEWAY_TYPES", "detect"]

GATEWAY_TYPES = ("AWS::BedrockAgentCore::Gateway", "AWS::BedrockAgentCore::GatewayTarget")
# Members only a gateway document carries (get-gateway output or a create/update request).
_GATEWAY_MARKERS = ("authorizerType", "gatewayArn", "gatewayId", "gatewayUrl", "gatewayIdentifier")
FOREIGN = frozenset({
    "cloudformation", "cdk", "cloudformation-resource", "terraform-show", "terraform-state", "agentcore-cli",
    "pulumi-stack", "pulumi-yaml",
})


def detect(document: Any) -> str:
    """The shape name of `document` (see the module docstring)."""
    if not isinstance(document, dict):
        return "invalid"
    return _infrastructure(document) or _api(document)


def _infrastructure(doc: dict[str, Any]) -> str | None:
    resources = doc.get("Resources")
    if isinstance(resources, dict) and ("AWSTemplateFormatVersion" in doc or _has_cfn_types(resources)):
        return "cdk" if _is_cdk(resources) else "cloudformation"
    if doc.get("Type") in GATEWAY_TYPES and isinstance(doc.get("Properties"), dict):
        return "cloudformation-resource"
    if "format_version" in doc and any(k in doc for k in ("values", "planned_values", "resource_changes")):
        return "terraform-show"
    if "terraform_version" in doc and isinstance(doc.get("resources"), list):
        return "terraform-state"
    if isinstance(doc.get("agentCoreGateways"), list):
        return "agentcore-cli"
    deployment = doc.get("deployment")
    if isinstance(deployment, dict) and isinstance(deployment.get("resources"), list):
        return "pulumi-stack"
    resources = doc.get("resources")
    if isinstance(resources, dict) and any(
        isinstance(r, dict) and ":" in str(r.get("type", "")) for r in resources.values()
    ):
        return "pulumi-yaml"
    return None


def _api(doc: dict[str, Any]) -> str:
    items = doc.get("items")
    if isinstance(items, list) and not any(k in doc for k in _GATEWAY_MARKERS):
        first = next((i for i in items if isinstance(i, dict)), {})
        return "list-gateways" if "authorizerType" in first or "gatewayId" in first else "list-gateway-targets"
    if "targetConfiguration" in doc and "authorizerType" not in doc:
        return "gateway-target"  # a get-gateway-target output carries gatewayArn too
    if None in doc.values() or not ("authorizerType" in doc and "name" in doc):
        return "overlay"  # a merge patch (null deletes), or some members only: not a gateway of its own
    return "update-gateway" if "gatewayIdentifier" in doc else "api"


def _has_cfn_types(resources: dict[str, Any]) -> bool:
    return any(isinstance(r, dict) and str(r.get("Type", "")).startswith("AWS::") for r in resources.values())


def _is_cdk(resources: dict[str, Any]) -> bool:
    return "CDKMetadata" in resources or any(
        isinstance(r, dict) and isinstance(r.get("Metadata"), dict) and "aws:cdk:path" in r["Metadata"]
        for r in resources.values()
    )
