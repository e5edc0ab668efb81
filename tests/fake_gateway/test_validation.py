"""Validation that helps (issue 11): every problem at once with its path, where a key belongs before any
suggestion, suggestions only when close and of the same kind, a discoveryUrl near miss gets the URL it meant."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fake_gateway import Gateway

BASE: dict[str, Any] = {"name": "gw", "roleArn": "arn:aws:iam::123456789012:role/r", "authorizerType": "NONE"}


def errors(**changes: Any) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Gateway.from_document({**BASE, **changes})
    return {".".join(map(str, e["loc"])): e["msg"] for e in caught.value.errors(include_url=False)}


def test_a_key_in_the_wrong_place_is_told_where_it_belongs_first() -> None:
    found = errors(customJWTAuthorizer={"discoveryUrl": "https://x/.well-known/openid-configuration"})
    assert found["customJWTAuthorizer"].endswith(
        """'customJWTAuthorizer' belongs inside 'authorizerConfiguration': {"authorizerConfiguration": """
        """{"customJWTAuthorizer": ...}}""")
    found = errors(discoveryUrl="https://x/.well-known/openid-configuration")
    assert found["discoveryUrl"].endswith("'discoveryUrl' belongs at authorizerConfiguration.customJWTAuthorizer.discoveryUrl")
    found = errors(targets=[{"name": "t", "targetConfiguration": {"mcp": {"lambda": {
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:f", "inlinePayload": []}}}}])
    assert "'inlinePayload' belongs inside 'toolSchema'" in found["targets[0].targetConfiguration.mcp.lambda.inlinePayload"]


@pytest.mark.parametrize(
    ("key", "value", "bad_hint", "good_hint"),
    [
        ("Type", "AWS::BedrockAgentCore::Gateway", "Did you mean 'protocolType'", "CloudFormation resource keys"),
        ("targetType", "LAMBDA", "Did you mean 'targetId'", "list-gateway-targets"),
        ("tags", ["a"], "Did you mean", "Member must be of type map"),  # a real member, wrong type: no rename
        ("protocolTyp", {"mcp": {}}, "Did you mean 'protocolType'", ""),  # close, but a string member: not offered
    ],
)
def test_suggestions_only_when_close_and_of_the_same_kind(key: str, value: Any, bad_hint: str, good_hint: str) -> None:
    target = key == "targetType"
    found = errors(targets=[{"name": "t", key: value, "targetConfiguration": {"mcp": {"mcpServer": {
        "endpoint": "https://x.example/mcp"}}}}]) if target else errors(**{key: value})
    message = next(m for p, m in found.items() if p.endswith(key))
    assert bad_hint not in message and good_hint in message


def test_every_problem_in_one_answer_even_inside_a_misspelt_member() -> None:
    found = errors(authorizerType="CUSTOM_JWT", authorizerConfiguration={"customJwtAuthorizer": {
        "discoveryUrl": "https://x/.well-known/openid-configuration", "allowedAudiences": ["a"], "allowedScopes": "s"}})
    assert found["authorizerConfiguration.customJwtAuthorizer"].endswith("Did you mean 'customJWTAuthorizer'?")
    assert found["authorizerConfiguration.customJwtAuthorizer.allowedAudiences"].endswith("Did you mean 'allowedAudience'?")
    assert "Member must be of type list" in found["authorizerConfiguration.customJwtAuthorizer.allowedScopes"]


@pytest.mark.parametrize(
    ("url", "meant"),
    [
        ("https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab/.well-known/jwks.json",
         "That is a JWKS URL; discoveryUrl names the OpenID configuration (which points at the JWKS): "
         "'https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Ab/.well-known/openid-configuration'"),
        ("https://tenant.okta.com/oauth2/default/.well-known/openid-configuraton",
         "Did you mean 'https://tenant.okta.com/oauth2/default/.well-known/openid-configuration'?"),
        ("https://tenant.us.auth0.com/", "Did you mean 'https://tenant.us.auth0.com/.well-known/openid-configuration'?"),
    ],
)
def test_a_discovery_url_near_miss_gets_the_url_it_meant(url: str, meant: str) -> None:
    found = errors(authorizerType="CUSTOM_JWT", authorizerConfiguration={"customJWTAuthorizer": {
        "discoveryUrl": url, "allowedAudience": ["a"]}})
    message = found["authorizerConfiguration.customJWTAuthorizer.discoveryUrl"]
    assert "Member must satisfy regular expression pattern" in message and message.endswith(meant)


def test_an_update_gateway_request_is_a_gateway() -> None:
    gateway = Gateway.from_document({**BASE, "gatewayIdentifier": "gw-abcdefghij"})
    assert gateway.view.gateway_id == "gw-abcdefghij"
    assert gateway.view.arn == "arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/gw-abcdefghij"
    assert any("UpdateGateway request" in n.message for n in gateway.notices)


def test_crashes_of_old_are_validation_exceptions() -> None:
    cfn_target = {"Name": "t", "TargetConfiguration": {"Mcp": {"McpServer": {"Endpoint": "https://x.example/mcp"}}}}
    assert "targets[0].Name" in errors(targets=[cfn_target])  # was KeyError: 'name'
    claim = {"inboundTokenClaimName": "g", "inboundTokenClaimValueType": "STRING_ARRAY",
             "authorizingClaimMatchValue": {"claimMatchValue": ["a"], "claimMatchOperator": "CONTAINS_ANY"}}
    found = errors(authorizerType="CUSTOM_JWT", authorizerConfiguration={"customJWTAuthorizer": {
        "discoveryUrl": "https://x/.well-known/openid-configuration", "customClaims": [claim]}})  # was AttributeError
    assert any("matchValueStringList" in m for m in found.values())
