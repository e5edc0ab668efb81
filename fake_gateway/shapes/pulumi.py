"""Pulumi, to the API shape: `pulumi stack export` JSON, or a Pulumi YAML program (Pulumi.yaml).

Resource types: `aws-native:bedrockagentcore:Gateway` / `:GatewayTarget` (the CloudFormation properties in
camelCase, Pulumi registry "aws-native.bedrockagentcore.Gateway") and the bridged
`aws:bedrock/agentcoreGateway:AgentcoreGateway` / `aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget`
(the Terraform attributes in camelCase, list attributes pluralized: `allowedAudiences`; Pulumi registry
"aws.bedrock.AgentcoreGateway"). A stack export's `outputs` carry the ids AWS assigned; a YAML program's
`${resource.property}` references between resources are resolved, `${config}` values from its `config:` /
`variables:` when they are plain values. Encrypted secrets are named, not read.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.notices import Notice
from fake_gateway.rules import GATEWAY_SHAPE, TARGET_SHAPE
from fake_gateway.shapes.recase import Recaser
from fake_gateway.shapes.result import Conversion, Options
from fake_gateway.shapes.terraform import ALIASES, blocks_to_api

__all__ = ["convert_pulumi"]

GATEWAY_TYPES = ("aws-native:bedrockagentcore:Gateway", "aws:bedrock/agentcoreGateway:AgentcoreGateway")
TARGET_TYPES = ("aws-native:bedrockagentcore:GatewayTarget",
                "aws:bedrock/agentcoreGatewayTarget:AgentcoreGatewayTarget")
SECRET_SIG = "4dabf18193072939515e22adb298388d"  # Pulumi's marker of a secret value in state
_REF = re.compile(r"\$\{([A-Za-z0-9_-]+)(?:\.([A-Za-z0-9_.\[\]-]+))?\}")


def convert_pulumi(document: Mapping[str, Any], options: Options, *, shape: str) -> Conversion:
    resources = _stack_resources(document) if shape == "pulumi-stack" else _yaml_resources(document)
    gateways = [(n, t, p) for n, t, p in resources if t in GATEWAY_TYPES]
    if not gateways:
        return Conversion({}, shape, issues=[Issue("", f"no Pulumi resource of type {' or '.join(GATEWAY_TYPES)}")])
    if options.select is not None:
        gateways = [g for g in gateways if options.select in (g[0], g[2].get("name"))]
    if len(gateways) != 1:
        names = [g[0] for g in gateways]
        return Conversion({}, shape, issues=[Issue("", f"choose one gateway with --gateway NAME: {names}")])
    name, kind, props = gateways[0]
    recaser = Recaser("Pulumi", aliases=ALIASES, fold_enums=True)
    notices: list[Notice] = []
    props = _secrets(props, name, notices)
    document_out = recaser.members(blocks_to_api(props), GATEWAY_SHAPE.members)
    gid = props.get("gatewayIdentifier") or props.get("gatewayId")
    if isinstance(document_out.get("gatewayIdentifier"), str):  # aws-native's output name of the gateway id
        document_out.setdefault("gatewayId", document_out.pop("gatewayIdentifier"))
    targets = []
    for tname, tkind, tprops in resources:
        ref = tprops.get("gatewayIdentifier")
        if tkind in TARGET_TYPES and (ref in (gid, name, None) or (isinstance(ref, str) and f"${{{name}." in ref)):
            tprops = {k: v for k, v in _secrets(tprops, tname, notices).items() if k != "gatewayIdentifier"}
            targets.append((tname, recaser.members(blocks_to_api(tprops), TARGET_SHAPE.members)))
    if targets:
        document_out["targets"] = [t for _, t in targets]
    notices.insert(0, Notice("converted", "", f"Pulumi {'stack export' if shape == 'pulumi-stack' else 'YAML'}: "
                             f"gateway from {name} ({kind}); targets from {', '.join(t for t, _ in targets) or 'none'}"))
    return Conversion(document_out, shape, notices + recaser.notices)


def _stack_resources(document: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    found = []
    for resource in (document.get("deployment") or {}).get("resources") or []:
        if isinstance(resource, dict):
            props = resource.get("outputs") or resource.get("inputs") or {}
            name = str(resource.get("urn", "")).rsplit("::", 1)[-1]
            found.append((name, str(resource.get("type")), props if isinstance(props, dict) else {}))
    return found


def _yaml_resources(document: Mapping[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    resources = document.get("resources") or {}
    values = {**_plain(document.get("config")), **_plain(document.get("variables"))}
    by_name = {n: r.get("properties") for n, r in resources.items()
               if isinstance(r, dict) and isinstance(r.get("properties"), dict)} if isinstance(resources, dict) else {}

    def fill(value: Any) -> Any:
        if isinstance(value, str):
            return _REF.sub(lambda m: _lookup(m, values, by_name), value)
        if isinstance(value, dict):
            return {k: fill(v) for k, v in value.items()}
        if isinstance(value, list):
            return [fill(v) for v in value]
        return value

    found = []
    for name, resource in resources.items() if isinstance(resources, dict) else []:
        props = resource.get("properties") if isinstance(resource, dict) else None
        if isinstance(props, dict) or (isinstance(resource, dict) and props is None):
            found.append((str(name), str(resource.get("type")), fill(props or {})))
    return found


def _plain(section: Any) -> dict[str, Any]:
    out = {}
    for key, value in (section or {}).items() if isinstance(section, dict) else []:
        if isinstance(value, dict) and "default" in value:
            value = value["default"]
        if isinstance(value, str | int | float | bool):
            out[str(key).split(":")[-1]] = value
    return out


def _lookup(match: re.Match[str], values: Mapping[str, Any], resources: Mapping[str, Any]) -> str:
    head, attr = match.group(1), match.group(2)
    if attr is None and head in values:
        return str(values[head])
    if attr and head in resources and attr in ("name", "gatewayId", "gatewayIdentifier", "id"):
        return str(resources[head].get("name", head)) if attr == "name" else f"${{{head}.{attr}}}"
    return match.group(0)


def _secrets(props: Mapping[str, Any], name: str, notices: list[Notice]) -> dict[str, Any]:
    def walk(value: Any, path: str) -> Any:
        if isinstance(value, dict):
            if SECRET_SIG in value:
                notices.append(Notice("warning", f"{name}.{path}", "a Pulumi secret (encrypted in the export): "
                                      "give its value in the converted document"))
                return None
            return {k: walk(v, f"{path}.{k}" if path else k) for k, v in value.items()}
        if isinstance(value, list):
            return [walk(v, f"{path}[{i}]") for i, v in enumerate(value)]
        return value

    result = walk(dict(props), "")
    return result if isinstance(result, dict) else {}
