"""CloudFormation templates (JSON or YAML) and CDK synth output, to the API shape.

Resource types (AWS CloudFormation Template Reference, "Amazon Bedrock AgentCore resource type reference"):
`AWS::BedrockAgentCore::Gateway` (Name, RoleArn, AuthorizerType, AuthorizerConfiguration, ProtocolType,
ProtocolConfiguration, InterceptorConfigurations, PolicyEngineConfiguration, ExceptionLevel, KmsKeyArn, Tags),
`AWS::BedrockAgentCore::GatewayTarget` (GatewayIdentifier, Name, TargetConfiguration,
CredentialProviderConfigurations, MetadataConfiguration), `AWS::BedrockAgentCore::PolicyEngine` and
`AWS::BedrockAgentCore::Policy`. Properties are PascalCase, including the JSON-Schema keywords inside tool
schemas; intrinsics are resolved first (intrinsics.py), then every member is re-cased against the model.
CDK synth output (`cdk.out/*.template.json`) is a template whose resources carry `aws:cdk:path` metadata.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fake_gateway.errors import Issue
from fake_gateway.notices import Notice
from fake_gateway.rules import GATEWAY_SHAPE, POLICY_ENGINE_SHAPE, POLICY_SHAPE, TARGET_SHAPE
from fake_gateway.shapes.intrinsics import Resolver
from fake_gateway.shapes.recase import Recaser
from fake_gateway.shapes.result import Conversion, Options

__all__ = ["convert_resource", "convert_template"]


def _obj(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}

GATEWAY = "AWS::BedrockAgentCore::Gateway"
TARGET = "AWS::BedrockAgentCore::GatewayTarget"
ENGINE = "AWS::BedrockAgentCore::PolicyEngine"
POLICY = "AWS::BedrockAgentCore::Policy"


def convert_resource(resource: Mapping[str, Any], options: Options) -> Conversion:
    """One resource pasted on its own: wrapped as a one-resource template."""
    logical = "Gateway" if resource.get("Type") == GATEWAY else "Target"
    conversion = convert_template({"Resources": {logical: dict(resource)}}, options, shape="cloudformation-resource")
    return conversion


def convert_template(template: Mapping[str, Any], options: Options, *, shape: str = "") -> Conversion:
    resources = {k: v for k, v in _obj(template.get("Resources")).items() if isinstance(v, dict)}
    cdk = "CDKMetadata" in resources or any("aws:cdk:path" in _obj(r.get("Metadata")) for r in resources.values())
    shape = shape or ("cdk" if cdk else "cloudformation")
    label = "CDK synth output" if cdk else "CloudFormation template"
    found = _choose(resources, options.select, label)
    if isinstance(found, Issue):
        return Conversion({}, shape, issues=[found])
    logical, gateway = found
    resolver = Resolver(template, parameters=options.parameters, region=options.region, account=options.account)
    recaser = Recaser(label)
    props = resolver.resolve(_obj(gateway.get("Properties")), f"Resources.{logical}.Properties")
    document = recaser.members(props if isinstance(props, dict) else {}, GATEWAY_SHAPE.members)
    targets = _targets(resources, logical, resolver, recaser)
    if targets:
        document["targets"] = [t for _, t in targets]
    engines = _policy_engines(resources, props, resolver, recaser)
    if engines:
        document["policyEngines"] = engines
    notices = [Notice("converted", "", _summary(label, logical, resources, [t for t, _ in targets], cdk)),
               *_others(resources), *resolver.notices, *recaser.notices]
    return Conversion(document, shape, notices, resolver.issues)


def _choose(resources: Mapping[str, dict[str, Any]], select: str | None,
            label: str) -> tuple[str, dict[str, Any]] | Issue:
    gateways = {lid: r for lid, r in resources.items() if r.get("Type") == GATEWAY}
    if not gateways:
        types = sorted({str(r.get("Type")) for r in resources.values()})
        return Issue("Resources", f"{label} has no {GATEWAY} resource (resource types: {', '.join(types) or 'none'})")
    if select is not None:
        for lid, resource in gateways.items():
            name = _obj(resource.get("Properties")).get("Name")
            if select in (lid, name, _cdk_path(resource)):
                return lid, resource
        return Issue("Resources", f"no gateway {select!r} in this {label}; its gateways: {sorted(gateways)}")
    if len(gateways) > 1:
        return Issue("Resources", f"{label} defines {len(gateways)} gateways ({', '.join(sorted(gateways))}): "
                     "choose one with --gateway LOGICAL_ID (`select:` in a stack file)")
    return next(iter(gateways.items()))


def _cdk_path(resource: Mapping[str, Any]) -> str | None:
    path = _obj(resource.get("Metadata")).get("aws:cdk:path")
    return str(path) if path else None


def _refers_to(value: Any, logical: str) -> bool | None:
    """Does a GatewayIdentifier name the gateway `logical`? None when it names no resource (a literal id)."""
    if isinstance(value, dict) and len(value) == 1:
        (key, arg), = value.items()
        if key == "Ref":
            return bool(arg == logical)
        if key == "Fn::GetAtt":
            parts = arg.split(".", 1) if isinstance(arg, str) else arg
            return bool(isinstance(parts, list) and parts and parts[0] == logical)
        if key == "Fn::Sub" and isinstance(arg, str):
            return "${" + logical in arg
    return None


def _targets(resources: Mapping[str, dict[str, Any]], gateway: str, resolver: Resolver,
             recaser: Recaser) -> list[tuple[str, dict[str, Any]]]:
    out = []
    candidates = [(lid, r) for lid, r in resources.items() if r.get("Type") == TARGET]
    only = sum(1 for r in resources.values() if r.get("Type") == GATEWAY) == 1
    for logical, resource in candidates:
        props = _obj(resource.get("Properties"))
        refers = _refers_to(props.get("GatewayIdentifier"), gateway)
        if refers is False or (refers is None and not only):
            continue
        resolved = resolver.resolve(props, f"Resources.{logical}.Properties")
        target = recaser.members(resolved if isinstance(resolved, dict) else {}, TARGET_SHAPE.members)
        target.pop("gatewayIdentifier", None)
        out.append((logical, target))
    return out


def _policy_engines(resources: Mapping[str, dict[str, Any]], gateway_props: Any, resolver: Resolver,
                    recaser: Recaser) -> list[dict[str, Any]]:
    engines = []
    for logical, resource in resources.items():
        if resource.get("Type") != ENGINE:
            continue
        props = resolver.resolve(_obj(resource.get("Properties")), f"Resources.{logical}.Properties")
        engine = recaser.members(props if isinstance(props, dict) else {}, POLICY_ENGINE_SHAPE.members)
        engine["policyEngineId"] = resolver.attribute(logical, "PolicyEngineId", logical)
        policies = []
        for plogical, policy in resources.items():
            pprops = _obj(policy.get("Properties"))
            if policy.get("Type") == POLICY and _refers_to(pprops.get("PolicyEngineId"), logical) is not False:
                resolved = resolver.resolve(pprops, f"Resources.{plogical}.Properties")
                converted = recaser.members(resolved if isinstance(resolved, dict) else {}, POLICY_SHAPE.members)
                converted.pop("policyEngineId", None)
                policies.append(converted)
        engine["policies"] = policies
        engines.append(engine)
    return engines


def _summary(label: str, logical: str, resources: Mapping[str, dict[str, Any]], targets: list[str],
             cdk: bool) -> str:
    def name(lid: str) -> str:
        path = _cdk_path(resources[lid]) if cdk else None
        return f"{lid} ({path})" if path else lid

    listed = ", ".join(name(t) for t in targets) or "none"
    return f"{label}: gateway from Resources.{name(logical)}; targets from {listed}"


def _others(resources: Mapping[str, dict[str, Any]]) -> list[Notice]:
    counts: dict[str, int] = {}
    for resource in resources.values():
        kind = str(resource.get("Type"))
        if kind not in (GATEWAY, TARGET, ENGINE, POLICY):
            counts[kind] = counts.get(kind, 0) + 1
    if not counts:
        return []
    listed = ", ".join(f"{k} x{n}" if n > 1 else k for k, n in sorted(counts.items()))
    return [Notice("ignored", "Resources", f"other resources are not emulated ({listed}); their ids are stand-ins")]
