"""CloudFormation intrinsics resolved offline, or named (fake_gateway/shapes/intrinsics.py)."""

from __future__ import annotations

from typing import Any

import pytest

from fake_gateway.arns import gateway_id
from fake_gateway.shapes.intrinsics import Resolver

TEMPLATE: dict[str, Any] = {
    "Parameters": {"Env": {"Type": "String", "Default": "dev"}, "Zones": {"Type": "CommaDelimitedList", "Default": "a, b"},
                   "Secret": {"Type": "String"}},
    "Mappings": {"Hosts": {"dev": {"idp": "idp-dev.example"}}},
    "Conditions": {"IsDev": {"Fn::Equals": [{"Ref": "Env"}, "dev"]},
                   "NotDev": {"Fn::Not": [{"Condition": "IsDev"}]}},
    "Resources": {
        "Gw": {"Type": "AWS::BedrockAgentCore::Gateway", "Properties": {"Name": {"Fn::Sub": "tools-${Env}"}}},
        "Fn": {"Type": "AWS::Lambda::Function", "Properties": {}},
        "Pool": {"Type": "AWS::Cognito::UserPool"},
        "Custom": {"Type": "Custom::Provider"},
    },
}


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        ({"Ref": "Env"}, "dev"),
        ({"Ref": "Zones"}, ["a", "b"]),
        ({"Ref": "AWS::Region"}, "eu-west-1"),
        ({"Fn::Sub": "https://${Pool}.x/${AWS::AccountId}/${!Literal}"}, "https://eu-west-1_{pool}.x/111122223333/${Literal}"),
        ({"Fn::Sub": ["${A}-${B}", {"A": {"Ref": "Env"}, "B": "b"}]}, "dev-b"),
        ({"Fn::Join": [":", ["a", {"Ref": "Env"}]]}, "a:dev"),
        ({"Fn::Select": [1, {"Fn::Split": [",", "x,y,z"]}]}, "y"),
        ({"Fn::If": ["NotDev", "prod-only", "dev-too"]}, "dev-too"),
        ({"Fn::FindInMap": ["Hosts", {"Ref": "Env"}, "idp"]}, "idp-dev.example"),
        ({"Fn::GetAtt": ["Gw", "GatewayIdentifier"]}, gateway_id("tools-dev")),
        ({"Fn::GetAtt": "Gw.GatewayUrl"}, f"https://{gateway_id('tools-dev')}.gateway.bedrock-agentcore.eu-west-1.amazonaws.com/mcp"),
        ({"Fn::GetAtt": ["Fn", "Arn"]}, "arn:aws:lambda:eu-west-1:111122223333:function:authstage-Fn-{fn}"),
        ({"Fn::Sub": "${idp.discovery_url}"}, "${idp.discovery_url}"),  # a stack variable, rendered later
        ({"Fn::Base64": "hi"}, "aGk="),
        ({"a": {"Ref": "AWS::NoValue"}, "b": 1}, {"b": 1}),
    ],
)
def test_resolved(value: Any, expected: Any) -> None:
    resolver = Resolver(TEMPLATE, region="eu-west-1", account="111122223333")
    pool = resolver.attribute("Pool", "Ref", "").split("_", 1)[1]
    fn = resolver.attribute("Fn", "Ref", "").rsplit("-", 1)[1]
    if isinstance(expected, str):
        expected = expected.replace("{pool}", pool).replace("{fn}", fn)
    assert resolver.resolve(value, "x") == expected
    assert not resolver.issues


@pytest.mark.parametrize(
    ("value", "hint"),
    [
        ({"Ref": "Secret"}, "--param Secret=VALUE"),
        ({"Fn::ImportValue": "shared-Url"}, "--param shared-Url=VALUE"),
        ({"Ref": "Nope"}, "no parameter or resource named 'Nope'"),
        ({"Fn::Cidr": ["10.0.0.0/16", 2, 8]}, "Fn::Cidr is not resolved offline"),
        ({"Fn::Select": [5, ["a"]]}, "does not select"),
    ],
)
def test_unresolvable_intrinsics_are_named_with_a_way_out(value: Any, hint: str) -> None:
    resolver = Resolver(TEMPLATE)
    assert str(resolver.resolve(value, "Resources.X.Properties.Y")).startswith("<unresolved")
    (issue,) = resolver.issues
    assert issue.path == "Resources.X.Properties.Y" and hint in issue.message


def test_given_parameters_win_and_every_resolution_is_said_once() -> None:
    resolver = Resolver(TEMPLATE, parameters={"Env": "prod", "Secret": "s", "shared-Url": "u", "AWS::Region": "ap-south-1"})
    assert resolver.resolve([{"Ref": "Env"}, {"Ref": "Env"}, {"Fn::ImportValue": "shared-Url"}], "x") == ["prod", "prod", "u"]
    assert resolver.region == "ap-south-1"
    assert [n.message for n in resolver.notices] == ["Ref Env -> 'prod' (given)", "Fn::ImportValue shared-Url -> 'u' (given)"]


def test_a_cycle_is_an_issue_not_a_recursion_error() -> None:
    loop = {"Resources": {"A": {"Type": "AWS::Lambda::Function", "Properties": {"FunctionName": {"Ref": "A"}}}}}
    resolver = Resolver(loop)
    resolver.resolve({"Ref": "A"}, "x")
    assert resolver.issues and "nest too deep" in resolver.issues[0].message
