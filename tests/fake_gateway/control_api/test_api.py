"""The emulated bedrock-agentcore-control API, driven by boto3 (a real client) against one in-process stack.

The walk: every operation of botocore's model is either emulated — then a boto3 call reaches it, botocore
validated the request client-side, the emulator validated it against the same model, and the raw response body
is checked here against the operation's output shape — or it answers AWS's error shape naming itself (501
UnknownOperationException), never a 500.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from typing import Any

import boto3
import pytest
from botocore.config import Config
from botocore.exceptions import ClientError, WaiterError

from fake_gateway.control_api import emulated_operations
from fake_gateway.control_api.protocol import find_route
from fake_gateway.errors import Issue
from fake_gateway.validation import service_model, validate
from harness import Stack

ROLE = "arn:aws:iam::123456789012:role/AgentCoreGatewayRole"
# OBSERVED in users' configs (token-vault ARNs under bedrock-agentcore); the model's pattern says `acps`.
OBSERVED_ARN = r"arn:aws:bedrock-agentcore:[a-z0-9-]+:\d{12}:token-vault/default/(oauth2|apikey)credentialprovider/.+"


def _observed_arn(value: Any, path: str) -> list[Issue] | None:
    import re

    return [] if isinstance(value, str) and re.fullmatch(OBSERVED_ARN, value) else None


HOOKS = {"CredentialProviderArnType": _observed_arn, "ApiKeyCredentialProviderArnType": _observed_arn}


@pytest.fixture(scope="module")
def stack():
    """HTTPS, as AWS: the model's patterns want https:// endpoints (no loopback widening needed here)."""
    with Stack(tls=True) as running:
        yield running


def _boto(stack, region: str = "us-east-1"):
    return boto3.client(
        "bedrock-agentcore-control", endpoint_url=stack.gateway.url, region_name=region,
        aws_access_key_id="AKIAEXAMPLE", aws_secret_access_key="not-checked", verify=str(stack.tls.bundle_file),
        config=Config(retries={"max_attempts": 1}),
    )


@pytest.fixture
def client(stack):
    """boto3 with a recorder of every raw response (botocore's `before-parse` event)."""
    stack.gateway.reset()
    agentcore = _boto(stack)
    agentcore.raw = []

    def record(operation_model, response_dict, **_: Any) -> None:
        agentcore.raw.append((operation_model.name, response_dict))

    agentcore.meta.events.register("before-parse.bedrock-agentcore-control.*", record)
    return agentcore


def _check_responses(raw: list[tuple[str, dict[str, Any]]]) -> set[str]:
    """Every 2xx body against its output shape (raw JSON: timestamps are epoch numbers)."""
    seen = set()
    model = service_model()
    for name, response in raw:
        if response["status_code"] >= 300:
            continue
        shape = model.operation_model(name).output_shape
        body = json.loads(response["body"]) if response["body"] else {}
        if shape is not None:
            assert validate(body, shape, hooks=HOOKS) == [], (name, body)
        seen.add(name)
    return seen


def _jwt(stack) -> dict[str, Any]:
    return {"customJWTAuthorizer": {"discoveryUrl": stack.idp.discovery_url, "allowedAudience": ["urn:gw"]}}


def _target(stack, provider_arn: str) -> dict[str, Any]:
    return {
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": stack.mcp.mcp_url}}},
        "credentialProviderConfigurations": [{"credentialProviderType": "OAUTH", "credentialProvider": {
            "oauthCredentialProvider": {"providerArn": provider_arn, "scopes": ["search:read"],
                                        "customParameters": {"audience": stack.mcp.mcp_url}}}}],
    }


def _walk_identity(c, stack) -> str:
    outbound = stack.client("gateway-outbound")
    provider = c.create_oauth2_credential_provider(
        name="auth0-outbound", credentialProviderVendor="CustomOauth2",
        oauth2ProviderConfigInput={"customOauth2ProviderConfig": {
            "oauthDiscovery": {"discoveryUrl": stack.idp.discovery_url},
            "clientId": outbound["client_id"], "clientSecret": outbound["client_secret"],
            "clientAuthenticationMethod": "CLIENT_SECRET_POST"}})
    assert outbound["client_secret"] not in json.dumps(c.get_oauth2_credential_provider(name="auth0-outbound"),
                                                       default=str)  # the token vault keeps it
    assert [p["name"] for p in c.list_oauth2_credential_providers()["credentialProviders"]] == ["auth0-outbound"]
    c.create_api_key_credential_provider(name="search-key", apiKey="demo-api-key-not-secret")
    c.get_api_key_credential_provider(name="search-key")
    c.list_api_key_credential_providers()
    c.update_api_key_credential_provider(name="search-key", apiKey="demo-api-key-rotated")
    c.delete_api_key_credential_provider(name="search-key")
    c.create_workload_identity(name="search-agent", allowedResourceOauth2ReturnUrls=["https://app.example/cb"])
    c.get_workload_identity(name="search-agent")
    c.list_workload_identities()
    c.update_workload_identity(name="search-agent", allowedResourceOauth2ReturnUrls=[])
    c.delete_workload_identity(name="search-agent")
    c.get_token_vault()
    return str(provider["credentialProviderArn"])


def _walk_policy(c) -> str:
    engine = c.create_policy_engine(name="search_policies", description="tools the agent may call")
    assert engine["status"] == "CREATING"
    c.get_waiter("policy_engine_active").wait(policyEngineId=engine["policyEngineId"],
                                              WaiterConfig={"Delay": 1, "MaxAttempts": 3})
    c.update_policy_engine(policyEngineId=engine["policyEngineId"], description={"optionalValue": "updated"})
    c.list_policy_engines()
    statement = ('permit(principal is AgentCore::OAuthUser, action == AgentCore::Action::"search___search", '
                 'resource == AgentCore::Gateway::"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/x");')
    policy = c.create_policy(policyEngineId=engine["policyEngineId"], name="allow_search",
                             definition={"cedar": {"statement": statement}})
    c.get_policy(policyEngineId=engine["policyEngineId"], policyId=policy["policyId"])
    c.list_policies(policyEngineId=engine["policyEngineId"])
    c.update_policy(policyEngineId=engine["policyEngineId"], policyId=policy["policyId"], enforcementMode="ACTIVE")
    return str(engine["policyEngineId"])


def test_every_emulated_operation_answers_per_the_model(client, stack) -> None:
    c = client
    provider_arn = _walk_identity(c, stack)
    engine_id = _walk_policy(c)
    gateway = c.create_gateway(name="walk", roleArn=ROLE, authorizerType="CUSTOM_JWT", protocolType="MCP",
                               authorizerConfiguration=_jwt(stack), tags={"team": "agents"})
    gid = gateway["gatewayId"]
    c.get_gateway(gatewayIdentifier=gid)
    c.list_gateways(maxResults=1)
    c.update_gateway(gatewayIdentifier=gid, name="walk", roleArn=ROLE, authorizerType="CUSTOM_JWT",
                     protocolType="MCP", authorizerConfiguration=_jwt(stack), exceptionLevel="DEBUG")
    target = c.create_gateway_target(gatewayIdentifier=gid, name="search", **_target(stack, provider_arn))
    tid = target["targetId"]
    c.get_gateway_target(gatewayIdentifier=gid, targetId=tid)
    c.list_gateway_targets(gatewayIdentifier=gid)
    c.update_gateway_target(gatewayIdentifier=gid, targetId=tid, name="search", **_target(stack, provider_arn))
    c.synchronize_gateway_targets(gatewayIdentifier=gid, targetIdList=[tid])
    c.update_oauth2_credential_provider(
        name="auth0-outbound", credentialProviderVendor="CustomOauth2",
        oauth2ProviderConfigInput={"customOauth2ProviderConfig": {
            "oauthDiscovery": {"discoveryUrl": stack.idp.discovery_url}, "clientId": "x", "clientSecret": "y"}})
    c.tag_resource(resourceArn=gateway["gatewayArn"], tags={"env": "ci"})
    assert c.list_tags_for_resource(resourceArn=gateway["gatewayArn"])["tags"] == {"team": "agents", "env": "ci"}
    c.untag_resource(resourceArn=gateway["gatewayArn"], tagKeys=["env"])
    policy_id = c.list_policies(policyEngineId=engine_id)["policies"][0]["policyId"]
    c.delete_policy(policyEngineId=engine_id, policyId=policy_id)
    c.delete_policy_engine(policyEngineId=engine_id)
    c.delete_gateway_target(gatewayIdentifier=gid, targetId=tid)
    c.delete_oauth2_credential_provider(name="auth0-outbound")
    c.delete_gateway(gatewayIdentifier=gid)
    assert _check_responses(c.raw) == set(emulated_operations())
    log = json.dumps(stack.gateway.log())
    secrets = (stack.client("gateway-outbound")["client_secret"], "demo-api-key-not-secret", "demo-api-key-rotated")
    assert "CreateOauth2CredentialProvider" in log and not any(secret in log for secret in secrets)


def test_every_other_operation_answers_aws_error_shape_naming_itself(stack) -> None:
    model = service_model()
    emulated = set(emulated_operations())
    for name in model.operation_names:
        http = model.operation_model(name).http
        path = str(http["requestUri"]).split("?")[0].replace("+}", "}")
        for label in [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]:
            path = path.replace("{" + label + "}", f"{label.lower()}-abcdefghij")
        found = find_route(str(http["method"]), path)
        assert found is not None and found[0].operation == name, (name, path)
        if name in emulated:
            continue
        response = stack.http.request(str(http["method"]), stack.gateway.url + path, json={})
        assert response.status_code == 501, (name, response.status_code, response.text)
        assert response.headers["x-amzn-ErrorType"] == "UnknownOperationException"
        assert name in response.json()["message"]
    assert len(model.operation_names) - len(emulated) > 100  # the rest of AgentCore (runtimes, memory, ...)


def test_boto3_reads_the_not_emulated_answer_as_a_client_error(client) -> None:
    with pytest.raises(ClientError) as info:
        client.get_agent_runtime(agentRuntimeId="runtime-abcdefghij")
    error = info.value.response["Error"]
    assert error["Code"] == "UnknownOperationException" and "GetAgentRuntime" in error["Message"]
    assert info.value.response["ResponseMetadata"]["HTTPStatusCode"] == 501


def test_validation_and_not_found_errors_are_awss(client, stack) -> None:
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.create_gateway(name="bad_name", roleArn=ROLE, authorizerType="NONE")
    body = info.value.response
    assert body["Error"]["Message"] == (
        "1 validation error detected: Value 'bad_name' at 'name' failed to satisfy constraint: Member must "
        "satisfy regular expression pattern: ([0-9a-zA-Z][-]?){1,48}")
    assert body["reason"] == "FieldValidationFailed" and body["fieldList"][0]["name"] == "name"
    with pytest.raises(client.exceptions.ValidationException) as info:  # an AgentCore rule, through the loader
        client.create_gateway(name="nochecks", roleArn=ROLE, authorizerType="CUSTOM_JWT",
                              authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": stack.idp.discovery_url}})
    assert "At least one of the fields is required" in info.value.response["Error"]["Message"]
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_gateway(gatewayIdentifier="missing-abcdefghij")
    raw = stack.http.post(stack.gateway.url + "/gateways/", content=b"{not json", headers={"content-type": "application/json"})
    assert raw.status_code == 400 and raw.headers["x-amzn-ErrorType"] == "SerializationException"
    big = stack.http.post(stack.gateway.url + "/gateways/", content=b"{" + b" " * (1 << 21) + b"}")
    assert big.status_code == 413 and big.headers["x-amzn-ErrorType"] == "SerializationException"
    engine = "arn:aws:bedrock-agentcore:us-east-1:123456789012:policy-engine/nowhere-abcdefghij"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.create_gateway(name="unguarded", roleArn=ROLE, authorizerType="NONE",
                              policyEngineConfiguration={"arn": engine, "mode": "ENFORCE"})


def test_statuses_move_on_the_service_clock_and_deletes_lead_to_not_found(client, stack) -> None:
    stack.gateway.patch({"emulator": {"controlApi": {"transitionSeconds": 30}}})
    stack.gateway.clock(freeze=True)
    gid = client.create_gateway(name="slow", roleArn=ROLE, authorizerType="NONE")["gatewayId"]
    assert client.get_gateway(gatewayIdentifier=gid)["status"] == "CREATING"
    stack.gateway.clock(advance=31)
    assert client.get_gateway(gatewayIdentifier=gid)["status"] == "READY"
    updated = client.update_gateway(gatewayIdentifier=gid, name="slow", roleArn=ROLE, authorizerType="NONE")
    assert updated["status"] == "UPDATING" == client.get_gateway(gatewayIdentifier=gid)["status"]
    stack.gateway.clock(advance=31)
    assert client.get_gateway(gatewayIdentifier=gid)["status"] == "READY"
    engine = client.create_policy_engine(name="gone_soon")["policyEngineId"]
    with pytest.raises(WaiterError):  # still CREATING: the waiter gives up
        client.get_waiter("policy_engine_active").wait(policyEngineId=engine,
                                                       WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    assert client.delete_policy_engine(policyEngineId=engine)["status"] == "DELETING"
    client.get_waiter("policy_engine_deleted").wait(policyEngineId=engine, WaiterConfig={"Delay": 0, "MaxAttempts": 2})
    assert client.delete_gateway(gatewayIdentifier=gid)["status"] == "DELETING"
    with pytest.raises(client.exceptions.ResourceNotFoundException):
        client.get_gateway(gatewayIdentifier=gid)


def test_client_token_makes_creates_idempotent(client) -> None:
    token = uuid.uuid4().hex + "-idempotent"
    first = client.create_gateway(name="once", roleArn=ROLE, authorizerType="NONE", clientToken=token)
    again = client.create_gateway(name="once", roleArn=ROLE, authorizerType="NONE", clientToken=token)
    assert again["gatewayId"] == first["gatewayId"] and len(client.list_gateways()["items"]) == 2
    with pytest.raises(client.exceptions.ValidationException) as info:
        client.create_gateway(name="twice", roleArn=ROLE, authorizerType="NONE", clientToken=token)
    assert info.value.response["reason"] == "IdempotentParameterMismatchException"


def test_ids_arns_and_region_follow_the_model_and_the_signature(client, stack) -> None:
    west = _boto(stack, "us-west-2")
    gateway = west.create_gateway(name="West-Gateway", roleArn=ROLE, authorizerType="NONE")
    assert gateway["gatewayId"].startswith("west-gateway-") and len(gateway["gatewayId"]) == len("west-gateway-") + 10
    assert gateway["gatewayArn"] == f"arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/{gateway['gatewayId']}"
    assert [g["name"] for g in west.list_gateways()["items"]] == ["West-Gateway"]  # the demo lives in us-east-1
    assert [g["name"] for g in client.list_gateways()["items"]] == ["authstage-demo"]
    created = client.get_gateway(gatewayIdentifier=client.list_gateways()["items"][0]["gatewayId"])
    assert isinstance(created["createdAt"], dt.datetime)


def test_odd_input_to_every_emulated_operation_is_a_4xx_never_a_500(stack) -> None:
    stack.gateway.reset()
    model = service_model()
    bodies = [b"[]", b'{"name": 5, "unknown": true}', b'{"name": "' + b"x" * 300 + b'"}', b"\xff\xfe", b"null"]
    for name in emulated_operations():
        http = model.operation_model(name).http
        path = str(http["requestUri"]).split("?")[0]
        for label in [seg[1:-1] for seg in path.split("/") if seg.startswith("{")]:
            path = path.replace("{" + label + "}", "no%2Fsuch-thing")
        for body in bodies:
            response = stack.http.request(str(http["method"]), stack.gateway.url + path + "?maxResults=x",
                                          content=body, headers={"content-type": "application/json"})
            assert 400 <= response.status_code < 500, (name, body, response.status_code, response.text)
            assert response.headers["x-amzn-ErrorType"] and "message" in response.json()
