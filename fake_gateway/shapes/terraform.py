"""Terraform's JSON, to the API shape: `terraform show -json` of a state or a plan, or a raw `.tfstate`.

Resources: `aws_bedrockagentcore_gateway` / `aws_bedrockagentcore_gateway_target` (hashicorp/aws: nested blocks
are lists of one object, `credential_provider_configuration { oauth {...} }`, tool schemas as `property` blocks
with `required = true`, `api_schema_configuration.inline_payload.payload`) and their Cloud Control twins
`awscc_bedrockagentcore_gateway(_target)` (hashicorp/awscc: the CloudFormation properties in snake_case, nested
attributes as objects). Attribute names are documented on registry.terraform.io (resources
bedrockagentcore_gateway, bedrockagentcore_gateway_target). A plan's unknown values (`after_unknown`) are absent;
Terraform-only attributes (`id`, `region`, `tags_all`, `timeouts`) are dropped with a notice. HCL source gets a
message that says which JSON to give instead (text.py).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.notices import Notice
from fake_gateway.rules import GATEWAY_SHAPE, TARGET_SHAPE
from fake_gateway.shapes.recase import Recaser, norm
from fake_gateway.shapes.result import Conversion, Options

__all__ = ["blocks_to_api", "convert_terraform", "schema_blocks"]

GATEWAYS = ("aws_bedrockagentcore_gateway", "awscc_bedrockagentcore_gateway")
TARGETS = ("aws_bedrockagentcore_gateway_target", "awscc_bedrockagentcore_gateway_target")
TERRAFORM_ONLY = ("id", "region", "tags_all", "timeouts", "gateway_identifier")
# hashicorp/aws block names that are not the API member's name (normalized spelling -> API member)
ALIASES = {
    "custom_claim": "customClaims",
    "interceptor_configuration": "interceptorConfigurations",
    "tool_filter": "toolFilters",
    "tool_override": "toolOverrides",
    "allowed_audiences": "allowedAudience",  # Pulumi's bridged (pluralized) spelling of the same attribute
    "credential_provider_configuration": "credentialProviderConfigurations",
}
_CREDENTIALS = {"gatewayiamrole": ("GATEWAY_IAM_ROLE", "iamCredentialProvider"),
                "oauth": ("OAUTH", "oauthCredentialProvider"),
                "apikey": ("API_KEY", "apiKeyCredentialProvider")}


def convert_terraform(document: Mapping[str, Any], options: Options, *, shape: str) -> Conversion:
    resources = list(_resources(document))
    gateways = [(a, t, v) for a, t, v in resources if t in GATEWAYS]
    found = _choose(gateways, options.select)
    if isinstance(found, Issue):
        return Conversion({}, shape, issues=[found])
    address, kind, values = found
    recaser = Recaser("Terraform", aliases=ALIASES, fold_enums=True)
    dropped = sorted(k for k in values if k in TERRAFORM_ONLY and values[k] is not None)
    document_out = recaser.members(blocks_to_api(_without(values)), GATEWAY_SHAPE.members)
    gid = values.get("gateway_id") or values.get("gateway_identifier")
    if isinstance(gid, str) and gid:
        document_out.setdefault("gatewayId", gid)
    targets = []
    for taddress, tkind, tvalues in resources:
        if tkind in TARGETS and _target_of(tvalues, gid, len(gateways)):
            targets.append((taddress, recaser.members(blocks_to_api(_without(tvalues)), TARGET_SHAPE.members)))
    if targets:
        document_out["targets"] = [t for _, t in targets]
    label = "terraform show -json" if shape == "terraform-show" else "Terraform state"
    notices = [Notice("converted", "", f"{label}: gateway from {address} ({kind}); targets from "
                      f"{', '.join(a for a, _ in targets) or 'none'}")]
    if dropped:
        notices.append(Notice("ignored", address, f"Terraform-only attributes dropped: {', '.join(dropped)}"))
    return Conversion(document_out, shape, notices + recaser.notices)


def _target_of(values: Mapping[str, Any], gateway: Any, gateways: int) -> bool:
    ref = values.get("gateway_identifier")
    return (ref is None and gateways == 1) or ref == gateway or (gateway is None and gateways == 1)


def _without(values: Mapping[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in values.items() if k not in TERRAFORM_ONLY}


def _choose(gateways: list[tuple[str, str, dict[str, Any]]],
            select: str | None) -> tuple[str, str, dict[str, Any]] | Issue:
    if not gateways:
        return Issue("", "no aws_bedrockagentcore_gateway (or awscc_bedrockagentcore_gateway) resource in this "
                     "Terraform JSON")
    if select is not None:
        for found in gateways:
            if select in (found[0], found[2].get("name"), found[0].split(".")[-1]):
                return found
        return Issue("", f"no gateway {select!r}; the Terraform JSON has {[g[0] for g in gateways]}")
    if len(gateways) > 1:
        return Issue("", f"{len(gateways)} gateways ({', '.join(g[0] for g in gateways)}): choose one with "
                     "--gateway ADDRESS")
    return gateways[0]


def _resources(document: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    """(address, type, values) of every managed resource, from show -json (state or plan) or a raw tfstate."""
    for root in (document.get("values"), document.get("planned_values")):
        if isinstance(root, dict) and isinstance(root.get("root_module"), dict):
            yield from _module(root["root_module"])
    raw = document.get("resources")
    for resource in raw if isinstance(raw, list) else []:
        if not isinstance(resource, dict) or resource.get("mode") == "data":
            continue
        instances = resource.get("instances")
        for index, instance in enumerate(instances if isinstance(instances, list) else []):
            if isinstance(instance, dict) and isinstance(instance.get("attributes"), dict):
                suffix = f"[{instance.get('index_key', index)}]" if len(resource["instances"]) > 1 else ""
                address = f"{resource.get('type')}.{resource.get('name')}{suffix}"
                yield address, str(resource.get("type")), instance["attributes"]


def _module(module: Mapping[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    resources = module.get("resources")
    for resource in resources if isinstance(resources, list) else []:
        if isinstance(resource, dict) and resource.get("mode", "managed") == "managed" \
                and isinstance(resource.get("values"), dict):
            yield str(resource.get("address")), str(resource.get("type")), resource["values"]
    children = module.get("child_modules")
    for child in children if isinstance(children, list) else []:
        if isinstance(child, dict):
            yield from _module(child)


# --- hashicorp/aws block shapes that differ from the API (also Pulumi's bridged provider) -----------------

def blocks_to_api(values: Any) -> Any:
    """Rewrite the provider's own block shapes into the API's; everything else is left for re-casing."""
    if isinstance(values, list):
        return [blocks_to_api(v) for v in values]
    if not isinstance(values, dict):
        return values
    out: dict[str, Any] = {}
    for key, value in values.items():
        n = norm(key)
        if n in ("credentialproviderconfiguration", "credentialproviderconfigurations") and _block_list(value):
            out["credentialProviderConfigurations"] = [_credential(b) for b in _as_list(value)]
        elif n in ("inputschema", "outputschema", "items"):
            out[key] = schema_blocks(_one(value))
        elif n == "inlinepayload" and _one(value) is not None and isinstance(_one(value), dict) \
                and set(map(norm, _one(value))) == {"payload"}:
            out[key] = next(iter(_one(value).values()))
        else:
            out[key] = blocks_to_api(value)
    return out


def schema_blocks(block: Any) -> Any:
    """A `schema_definition` block (`property { name, type, required, ... }`, `items_json`, `properties_json`)
    as a JSON-Schema-like SchemaDefinition."""
    import json

    if not isinstance(block, dict):
        return block
    out: dict[str, Any] = {}
    required: list[str] = []
    for key, value in block.items():
        n = norm(key)
        if value is None or value == [] or (n in ("required",) and isinstance(value, bool)):
            continue  # an unset attribute or block
        if n in ("property", "properties") and isinstance(value, list):
            props = {}
            for prop in value:
                if isinstance(prop, dict) and "name" in prop:
                    if prop.get("required") is True:
                        required.append(str(prop["name"]))
                    props[str(prop["name"])] = schema_blocks({k: v for k, v in prop.items() if k != "name"})
            out["properties"] = props
        elif n in ("itemsjson", "propertiesjson") and isinstance(value, str):
            try:
                parsed = json.loads(value)
            except ValueError:
                parsed = value
            if n == "itemsjson":
                out["items"] = parsed
            elif isinstance(parsed, dict):
                out.update(parsed)
        elif n == "items":
            out["items"] = schema_blocks(_one(value))
        else:
            out[key] = value
    if required:
        out["required"] = sorted(set(required) | set(out.get("required") or []))
    return out


def _credential(block: Any) -> Any:
    if not isinstance(block, dict):
        return block
    for key, value in block.items():
        found = _CREDENTIALS.get(norm(key))
        if found and value is not None and value != []:  # Terraform: [] unset, [{}] set; Pulumi: {} set
            kind, member = found
            inner = _one(value)
            entry: dict[str, Any] = {"credentialProviderType": kind}
            if isinstance(inner, dict) and any(v is not None for v in inner.values()):
                entry["credentialProvider"] = {member: inner}
            return entry
    return block


def _block_list(value: Any) -> bool:
    items = _as_list(value)
    return bool(items) and all(isinstance(i, dict) and any(norm(k) in _CREDENTIALS for k in i) for i in items)


def _as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def _one(value: Any) -> Any:
    if isinstance(value, list) and len(value) <= 1:
        return value[0] if value else None
    return value
