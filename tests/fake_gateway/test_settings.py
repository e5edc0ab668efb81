"""The gateway document: AWS JSON shape, validated against botocore's model and AgentCore's own rules."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from pydantic import ValidationError

from fake_gateway import Gateway, demo_gateway

DISCOVERY = "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_AbCdEf123/.well-known/openid-configuration"

# What `aws bedrock-agentcore-control get-gateway` prints (read-only members included), plus targets and providers.
PASTED: dict[str, Any] = {
    "gatewayArn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/mygateway-abcdefghij",
    "gatewayId": "mygateway-abcdefghij",
    "gatewayUrl": "https://mygateway-abcdefghij.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp",
    "createdAt": "2025-08-16T10:00:00.123000+00:00",
    "updatedAt": "2025-08-16T10:05:00.456000+00:00",
    "status": "READY",
    "statusReasons": [],
    "name": "mygateway",
    "roleArn": "arn:aws:iam::123456789012:role/AgentCoreGatewayRole",
    "protocolType": "MCP",
    "protocolConfiguration": {"mcp": {"supportedVersions": ["2025-03-26"], "searchType": "SEMANTIC"}},
    "authorizerType": "CUSTOM_JWT",
    "authorizerConfiguration": {
        "customJWTAuthorizer": {"discoveryUrl": DISCOVERY, "allowedClients": ["4lqp1d3v0r8u2k7s9f5m6n3b1a"]}
    },
    "workloadIdentityDetails": {
        "workloadIdentityArn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:"
        "workload-identity-directory/default/workload-identity/mygateway"
    },
    "ResponseMetadata": {"RequestId": "abc", "HTTPStatusCode": 200},
    "targets": [
        {
            "gatewayArn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/mygateway-abcdefghij",
            "targetId": "ABCDEFGHIJ",
            "createdAt": "2025-08-16T10:01:00+00:00",
            "updatedAt": "2025-08-16T10:01:00+00:00",
            "lastSynchronizedAt": "2025-08-16T10:02:00+00:00",
            "status": "READY",
            "name": "orders-server",
            "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": "https://orders.example.com/mcp"}}},
            "credentialProviderConfigurations": [
                {
                    "credentialProviderType": "OAUTH",
                    "credentialProvider": {
                        "oauthCredentialProvider": {
                            "providerArn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:token-vault/default/"
                            "oauth2credentialprovider/orders-idp",
                            "scopes": ["orders/read"],
                            "grantType": "CLIENT_CREDENTIALS",
                        }
                    },
                }
            ],
        }
    ],
    "credentialProviders": [
        {
            "name": "orders-idp",
            "credentialProviderVendor": "CustomOauth2",
            "oauth2ProviderConfigInput": {
                "customOauth2ProviderConfig": {
                    "oauthDiscovery": {
                        "discoveryUrl": "https://idp.example.com/.well-known/openid-configuration"
                    },
                    "clientId": "orders-client",
                    "clientSecret": "demo-secret-not-for-production-orders",
                }
            },
        }
    ],
}


def errors_of(document: dict[str, Any]) -> dict[str, str]:
    with pytest.raises(ValidationError) as caught:
        Gateway.from_document(document)
    return {".".join(str(p) for p in e["loc"]): e["msg"] for e in caught.value.errors(include_url=False)}


def pasted(**changes: Any) -> dict[str, Any]:
    doc = copy.deepcopy(PASTED)
    doc.update(changes)
    return doc


def test_pasted_get_gateway_output_loads_and_round_trips(tmp_path: Path) -> None:
    gateway = Gateway.from_document(PASTED)
    view = gateway.view
    assert (view.gateway_id, view.region, view.account) == (
        "mygateway-abcdefghij",
        "us-west-2",
        "123456789012",
    )
    assert view.jwt is not None and view.jwt.clients == ("4lqp1d3v0r8u2k7s9f5m6n3b1a",)
    assert view.mcp.versions == ("2025-03-26",) and view.mcp.search is True
    target = view.targets[0]
    assert (target.name, target.target_id, target.endpoint, target.listing_mode) == (
        "orders-server",
        "ABCDEFGHIJ",
        "https://orders.example.com/mcp",
        "DEFAULT",
    )
    assert target.outbound.oauth is not None and target.outbound.oauth.client_id == "orders-client"
    document = gateway.to_document()
    assert Gateway.from_document(document).to_document() == document
    assert document["gatewayUrl"] == PASTED["gatewayUrl"]
    json_file = tmp_path / "gw.json"
    json_file.write_text(json.dumps(PASTED))
    yaml_file = tmp_path / "gw.yaml"
    yaml_file.write_text(yaml.safe_dump(PASTED))
    assert (
        Gateway.from_file(json_file).to_document() == Gateway.from_file(yaml_file).to_document() == document
    )


def test_derived_ids_when_the_document_is_a_create_request() -> None:
    gateway = Gateway.from_document(
        {
            "name": "Demo-GW",
            "authorizerType": "NONE",
            "roleArn": PASTED["roleArn"],
            "clientToken": "a" * 40,
            "tags": {"team": "x"},
        }
    )
    view = gateway.view
    assert view.gateway_id.startswith("demo-gw-") and len(view.gateway_id) == len("demo-gw-") + 10
    assert view.arn == f"arn:aws:bedrock-agentcore:us-east-1:123456789012:gateway/{view.gateway_id}"
    assert view.mcp.versions == ("2025-03-26", "2025-06-18", "2025-11-25")


def test_unknown_member_suggests_the_real_one() -> None:
    doc = pasted(
        authorizerConfiguration={"customJwtAuthorizer": {"discoveryUrl": DISCOVERY, "allowedClients": ["c"]}}
    )
    errors = errors_of(doc)
    assert errors["authorizerConfiguration.customJwtAuthorizer"] == (
        'Unknown parameter in authorizerConfiguration: "customJwtAuthorizer", must be one of: customJWTAuthorizer. '
        "Did you mean 'customJWTAuthorizer'?"
    )
    assert "authorizerConfiguration" not in errors  # no extra union noise when the key is only misspelt


def test_forgotten_wrapper_is_named() -> None:
    errors = errors_of(pasted(authorizerConfiguration={"discoveryUrl": DISCOVERY, "allowedClients": ["c"]}))
    assert errors["authorizerConfiguration.discoveryUrl"].endswith(
        """'discoveryUrl' belongs inside 'customJWTAuthorizer': {"customJWTAuthorizer": {"discoveryUrl": ...}}"""
    )


def test_top_level_typos_and_emulator_knobs() -> None:
    errors = errors_of(pasted(target=[], protocolConfig={}, emulator={"leeway": 5}))
    assert errors["target"].endswith("Did you mean 'targets'?")
    assert errors["protocolConfig"].endswith("Did you mean 'protocolConfiguration'?")
    assert errors["emulator.leeway"] == "Extra inputs are not permitted"
    assert errors_of(pasted(emulator={"issuerMismatchStatus": 500}))[
        "emulator.issuerMismatchStatus"
    ].startswith("Input should be 401 or 403")


@pytest.mark.parametrize(
    ("change", "path", "message"),
    [
        (
            {"authorizerType": "JWT"},
            "authorizerType",
            "Value 'JWT' at 'authorizerType' failed to satisfy constraint: Member must satisfy enum value set: "
            "[CUSTOM_JWT, AWS_IAM, NONE, AUTHORIZE_ONLY]".replace("AUTHORIZE_ONLY", "AUTHENTICATE_ONLY"),
        ),
        (
            {"name": "my_gateway"},
            "name",
            "Value 'my_gateway' at 'name' failed to satisfy constraint: Member must satisfy regular expression pattern: "
            "([0-9a-zA-Z][-]?){1,48}",
        ),
        (
            {"protocolConfiguration": {"mcp": {"sessionConfiguration": {"sessionTimeoutInSeconds": 60}}}},
            "protocolConfiguration.mcp.sessionConfiguration.sessionTimeoutInSeconds",
            "Value '60' at 'protocolConfiguration.mcp.sessionConfiguration.sessionTimeoutInSeconds' failed to satisfy "
            "constraint: Member must have value greater than or equal to 900",
        ),
        (
            {"protocolConfiguration": {"mcp": {"supportedVersions": ["2024-11-05"]}}},
            "protocolConfiguration.mcp.supportedVersions[0]",
            "Unsupported MCP version '2024-11-05'. AgentCore Gateway supports: 2025-03-26, 2025-06-18, 2025-11-25, 2026-07-28",
        ),
        (
            {"exceptionLevel": "debug"},
            "exceptionLevel",
            "Value 'debug' at 'exceptionLevel' failed to satisfy constraint: Member must satisfy enum value set: [DEBUG]",
        ),
        (
            {"description": ""},
            "description",
            "Value at 'description' failed to satisfy constraint: Member must have length greater than or equal to 1",
        ),
        (
            {"authorizerType": None},
            "authorizerType",
            "Value null at 'authorizerType' failed to satisfy constraint: Member must not be null",
        ),
    ],
)
def test_model_constraints(change: dict[str, Any], path: str, message: str) -> None:
    assert errors_of(pasted(**change))[path] == message


def jwt_config(**config: Any) -> dict[str, Any]:
    return pasted(authorizerConfiguration={"customJWTAuthorizer": {"discoveryUrl": DISCOVERY, **config}})


def test_agentcore_authorizer_rules() -> None:
    errors = errors_of(jwt_config())
    assert errors["authorizerConfiguration.customJWTAuthorizer"] == (
        "At least one of the fields is required for the configuration: allowed audiences, allowed clients, allowed "
        "scopes, or required custom claims."
    )
    errors = errors_of(
        pasted(
            authorizerConfiguration={
                "customJWTAuthorizer": {
                    "discoveryUrl": "https://x.example.com/.well-known/jwks_json",
                    "allowedClients": ["c"],
                }
            }
        )
    )
    assert errors["authorizerConfiguration.customJWTAuthorizer.discoveryUrl"].startswith(
        "Value 'https://x.example.com/.well-known/jwks_json' at 'authorizerConfiguration.customJWTAuthorizer."
        "discoveryUrl' failed to satisfy constraint: Member must satisfy regular expression pattern: "
    )
    rfc8414 = jwt_config(allowedClients=["c"])
    rfc8414["authorizerConfiguration"]["customJWTAuthorizer"]["discoveryUrl"] = (
        "https://x.example.com/.well-known/oauth-authorization-server"
    )
    assert Gateway.from_document(rfc8414).view.jwt is not None  # the model accepts RFC 8414 metadata
    errors = errors_of({**rfc8414, "emulator": {"discoveryUrlRule": "devguide"}})
    assert errors["authorizerConfiguration.customJWTAuthorizer.discoveryUrl"].endswith(
        r"pattern: ^.+/\.well-known/openid-configuration$"
    )
    errors = errors_of(jwt_config(allowedScopes=["a"], advertisedScopeMapping={"b": "api://x/b"}))
    assert errors["authorizerConfiguration.customJWTAuthorizer.advertisedScopeMapping.b"].startswith(
        "Each key of advertisedScopeMapping must be a scope from allowedScopes"
    )
    assert "authorizerConfiguration" in errors_of(pasted(authorizerConfiguration=None))


def test_custom_claims_rules() -> None:
    def claim(vtype: str, op: str, value: dict[str, Any]) -> dict[str, Any]:
        return {
            "inboundTokenClaimName": "roles",
            "inboundTokenClaimValueType": vtype,
            "authorizingClaimMatchValue": {"claimMatchValue": value, "claimMatchOperator": op},
        }

    base = "authorizerConfiguration.customJWTAuthorizer.customClaims"
    errors = errors_of(
        jwt_config(
            customClaims=[
                claim("STRING", "CONTAINS", {"matchValueString": "a"}),
                claim("STRING_ARRAY", "EQUALS", {"matchValueString": "a"}),
                claim("STRING_ARRAY", "CONTAINS_ANY", {"matchValueString": "a"}),
                claim("STRING", "EQUALS", {"matchValueString": "a", "matchValueStringList": ["b"]}),
                claim("STRING", "EQUALS", {"matchValueString": "a b"}),
            ]
        )
    )
    assert errors[f"{base}[0].authorizingClaimMatchValue.claimMatchOperator"] == (
        "If InboundTokenClaimValueType equals STRING, claimMatchOperator must be EQUALS"
    )
    assert errors[f"{base}[1].authorizingClaimMatchValue.claimMatchOperator"] == (
        "If InboundTokenClaimValueType equals STRING_ARRAY, claimMatchOperator can be CONTAINS or CONTAINS_ANY"
    )
    assert errors[f"{base}[2].authorizingClaimMatchValue.claimMatchValue"] == (
        "CONTAINS_ANY compares against a list: use matchValueStringList"
    )
    assert errors[f"{base}[3].authorizingClaimMatchValue.claimMatchValue"].startswith(
        "Invalid number of parameters set for tagged union structure"
    )
    assert (
        "regular expression pattern: [A-Za-z0-9_.-]+"
        in errors[f"{base}[4].authorizingClaimMatchValue.claimMatchValue.matchValueString"]
    )


def test_target_and_credential_rules() -> None:
    doc = pasted()
    second = copy.deepcopy(doc["targets"][0])
    doc["targets"].append(second)  # duplicate name
    third = copy.deepcopy(second)
    third["name"] = "orders_server"
    third["credentialProviderConfigurations"] = third["credentialProviderConfigurations"] * 2
    doc["targets"].append(third)
    fourth = copy.deepcopy(second)
    fourth["name"] = "http-target"
    fourth["targetConfiguration"] = {"mcp": {"mcpServer": {"endpoint": "http://orders.example.com/mcp"}}}
    fourth["credentialProviderConfigurations"][0]["credentialProvider"]["oauthCredentialProvider"][
        "providerArn"
    ] = "orders-ipd"
    doc["targets"].append(fourth)
    errors = errors_of(doc)
    assert (
        errors["targets[1].name"]
        == "A target named 'orders-server' already exists in this gateway (targets[0])"
    )
    assert errors["targets[2].name"].startswith(
        "Target name 'orders_server' may contain only letters, digits and "
        "single hyphens: tool names are <target>___<tool>. Try 'orders-server'"
    )
    assert errors["targets[2].credentialProviderConfigurations"] == (
        "Value '[2 items]' at 'targets[2].credentialProviderConfigurations' failed to satisfy constraint: Member must "
        "have length less than or equal to 1"
    )
    assert errors["targets[3].targetConfiguration.mcp.mcpServer.endpoint"].endswith("pattern: https://.*")
    assert errors[
        "targets[3].credentialProviderConfigurations[0].credentialProvider.oauthCredentialProvider."
        "providerArn"
    ].endswith("Did you mean 'orders-idp'?")


def test_loopback_http_endpoints_are_an_emulator_widening() -> None:
    doc = pasted()
    doc["targets"][0]["targetConfiguration"]["mcp"]["mcpServer"]["endpoint"] = "http://127.0.0.1:8001/mcp"
    assert Gateway.from_document(doc).view.targets[0].endpoint == "http://127.0.0.1:8001/mcp"
    errors = errors_of({**doc, "emulator": {"allowHttpLoopbackEndpoints": False}})
    assert errors["targets[0].targetConfiguration.mcp.mcpServer.endpoint"].endswith("pattern: https://.*")


@pytest.mark.parametrize(
    ("endpoint", "accepted"),
    [
        ("http://127.0.0.1:8001/mcp", True),
        ("http://127.9.9.9/mcp", True),
        ("http://[::1]:8001/mcp", True),
        ("http://localhost:8001/mcp", True),
        ("http://127.attacker.example/mcp", False),
        ("http://127.0.0.1.attacker.example/mcp", False),
        ("http://localhost.attacker.example/mcp", False),
        ("http://10.0.0.1/mcp", False),
        ("http://[::1/mcp", False),
    ],
)
def test_the_loopback_exception_is_for_loopback_addresses_only(endpoint: str, accepted: bool) -> None:
    """Only hosts that are loopback pass the http:// widening; a name starting with `127.` is a name."""
    doc = pasted()
    doc["targets"][0]["targetConfiguration"]["mcp"]["mcpServer"]["endpoint"] = endpoint
    path = "targets[0].targetConfiguration.mcp.mcpServer.endpoint"
    if accepted:
        assert Gateway.from_document(doc).view.targets[0].endpoint == endpoint
    else:
        assert errors_of(doc)[path].endswith("pattern: https://.*")


def test_sensitive_values_are_left_out_of_validation_messages() -> None:
    """AWS omits a sensitive member's value (smithy RestJsonMalformedPatternSensitiveString) instead of masking it."""
    message = errors_of(pasted(description="x" * 201))["description"]
    assert message == "Value at 'description' failed to satisfy constraint: Member must have length less than or equal to 200"
    assert "redacted" not in message and "xxx" not in message


def test_credential_provider_rules() -> None:
    doc = pasted()
    doc["credentialProviders"].append({"name": "mystery"})
    doc["credentialProviders"].append({"name": "orders-idp", "apiKey": "k"})
    errors = errors_of(doc)
    assert errors["credentialProviders[1]"].startswith("Cannot tell the provider kind")
    assert errors["credentialProviders[2].name"] == "Duplicate credential provider name 'orders-idp'"
    doc = pasted()
    doc["targets"][0]["credentialProviderConfigurations"] = [
        {
            "credentialProviderType": "API_KEY",
            "credentialProvider": {"apiKeyCredentialProvider": {"providerArn": "orders-idp"}},
        }
    ]
    assert (
        errors_of(doc)[
            "targets[0].credentialProviderConfigurations[0].credentialProvider.apiKeyCredentialProvider."
            "providerArn"
        ]
        == "'orders-idp' is not an API key credential provider"
    )
    doc = pasted()
    del doc["targets"][0]["credentialProviderConfigurations"]
    assert (
        Gateway.from_document(doc).view.targets[0].outbound.kind == "none"
    )  # mcpServer: no outbound auth is allowed
    lambda_target = {
        "name": "fn",
        "targetConfiguration": {
            "mcp": {
                "lambda": {
                    "lambdaArn": "arn:aws:lambda:us-west-2:123456789012:function:orders",
                    "toolSchema": {"inlinePayload": []},
                }
            }
        },
    }
    doc["targets"].append(lambda_target)
    assert errors_of(doc)["targets[1].credentialProviderConfigurations"] == (
        "Credential provider configurations is not defined"
    )


def test_session_and_metadata_conflict_and_dynamic_search() -> None:
    doc = pasted(protocolConfiguration={"mcp": {"sessionConfiguration": {}, "searchType": "SEMANTIC"}})
    doc["targets"][0]["metadataConfiguration"] = {"allowedRequestHeaders": ["Mcp-Session-Id"]}
    doc["targets"][0]["targetConfiguration"]["mcp"]["mcpServer"]["listingMode"] = "DYNAMIC"
    errors = errors_of(doc)
    assert errors["targets[0].metadataConfiguration.allowedRequestHeaders"] == (
        "Mcp-Session-Id cannot be propagated when the gateway has sessionConfiguration"
    )
    assert errors["targets[0].targetConfiguration.mcp.mcpServer.listingMode"].startswith(
        "DYNAMIC listing mode is not interoperable with semantic search"
    )


def test_enforce_target_auth_matrix_knob() -> None:
    doc = pasted(emulator={"enforceTargetAuthMatrix": True})
    doc["targets"][0]["credentialProviderConfigurations"][0]["credentialProvider"]["oauthCredentialProvider"][
        "grantType"
    ] = "TOKEN_EXCHANGE"
    assert (
        "mcpServer targets do not support OAUTH outbound auth with TOKEN_EXCHANGE"
        in errors_of(doc)["targets[0].credentialProviderConfigurations[0]"]
    )


def test_demo_gateway() -> None:
    gateway = demo_gateway(
        discovery_url="http://127.0.0.1:9000/.well-known/openid-configuration",
        target_endpoint="http://127.0.0.1:8001/mcp",
        token_endpoint="http://127.0.0.1:9000/oauth/token",
        client_id="gw-client",
        client_secret="demo-secret-not-for-production-x",
        audience="http://127.0.0.1:8000/mcp",
        target_audience="http://127.0.0.1:8001/mcp",
    )
    view = gateway.view
    assert view.name == "authstage-demo" and view.authorizer_type == "CUSTOM_JWT"
    assert view.jwt is not None
    assert (view.jwt.audiences, view.jwt.scopes) == (("http://127.0.0.1:8000/mcp",), ("mcp:tools",))
    assert view.mcp.versions == ("2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")
    assert view.debug is False
    target = view.targets[0]
    assert (target.name, target.endpoint) == ("search-server", "http://127.0.0.1:8001/mcp")
    assert target.outbound.grant == "CLIENT_CREDENTIALS" and target.outbound.scopes == ("search:read",)
    assert target.outbound.custom == {"audience": "http://127.0.0.1:8001/mcp"}
    assert target.outbound.oauth is not None
    assert target.outbound.oauth.token_endpoint == "http://127.0.0.1:9000/oauth/token"
    assert Gateway.from_document(gateway.to_document()).view == view


def test_every_knob_is_documented_and_the_surface_is_small() -> None:
    import fake_gateway
    from fake_gateway.settings import Emulator

    docs = (Path(__file__).parents[2] / "docs" / "gateway.md").read_text()
    missing = [name for name in Emulator.model_fields if f"| `{name}` |" not in docs]
    assert missing == []
    assert sorted(fake_gateway.__all__) == ["Check", "Gateway", "create_app", "demo_gateway", "explain_token"]
