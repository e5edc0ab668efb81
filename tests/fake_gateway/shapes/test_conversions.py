"""Each foreign shape's conversion details (fake_gateway/shapes): detection, re-casing guided by the service
model, Terraform blocks, Pulumi secrets, agentcore-cli handlers, YAML tags, HCL, Cedar files, bundles."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fake_gateway import Gateway
from fake_gateway.rules import TARGET_SHAPE
from fake_gateway.shapes import Options, combine, convert, detect, read_files
from fake_gateway.shapes.cedar import split_policies
from fake_gateway.shapes.recase import Recaser
from fake_gateway.shapes.terraform import schema_blocks
from fake_gateway.shapes.text import HCL_MESSAGE, TextError, parse_text

CORPUS = Path(__file__).parents[1] / "corpus"


@pytest.mark.parametrize(
    ("document", "shape"),
    [
        ({"name": "g", "authorizerType": "NONE"}, "api"),
        ({"authorizerType": "NONE"}, "overlay"),  # some members only: a stack file's overlay of the demo
        ({"name": "g", "authorizerType": "AWS_IAM", "authorizerConfiguration": None}, "overlay"),  # a merge patch
        ({"gatewayIdentifier": "g", "name": "g", "authorizerType": "NONE"}, "update-gateway"),
        ({"gatewayArn": "arn:x", "targetConfiguration": {}}, "gateway-target"),
        ({"items": [{"targetId": "A"}]}, "list-gateway-targets"),
        ({"items": [{"gatewayId": "g"}]}, "list-gateways"),
        ({"Resources": {"G": {"Type": "AWS::BedrockAgentCore::Gateway"}}}, "cloudformation"),
        ({"Resources": {"CDKMetadata": {"Type": "AWS::CDK::Metadata"}, "G": {"Type": "AWS::X::Y"}}}, "cdk"),
        ({"Type": "AWS::BedrockAgentCore::GatewayTarget", "Properties": {}}, "cloudformation-resource"),
        ({"format_version": "1.0", "values": {}}, "terraform-show"),
        ({"version": 4, "terraform_version": "1.9", "resources": []}, "terraform-state"),
        ({"agentCoreGateways": []}, "agentcore-cli"),
        ({"deployment": {"resources": []}}, "pulumi-stack"),
        ({"runtime": "yaml", "resources": {"g": {"type": "aws:bedrock/x:Y"}}}, "pulumi-yaml"),
        ({"emulator": {"leewaySeconds": 5}}, "overlay"),
        ([1], "invalid"),
    ],
)
def test_detect(document: Any, shape: str) -> None:
    assert detect(document) == shape


def test_recase_follows_the_model_and_keeps_data_keys() -> None:
    cfn = {"Name": "t", "TargetConfiguration": {"Mcp": {"Lambda": {"LambdaArn": "arn", "ToolSchema": {"InlinePayload": [
        {"Name": "x", "Description": "d", "InputSchema": {"Type": "object", "Properties": {"MyField": {"Type": "string"}},
                                                          "Required": ["MyField"]}}]}}}}, "Tags": [{"Key": "K", "Value": "v"}]}
    out = Recaser("CloudFormation").members(cfn, TARGET_SHAPE.members)
    schema = out["targetConfiguration"]["mcp"]["lambda"]["toolSchema"]["inlinePayload"][0]["inputSchema"]
    assert schema == {"type": "object", "properties": {"MyField": {"type": "string"}}, "required": ["MyField"]}
    assert out["Tags"] == [{"Key": "K", "Value": "v"}]  # not a target member: kept as written, validation names it


def test_terraform_schema_blocks() -> None:
    block = {"type": "object", "property": [
        {"name": "a", "type": "string", "required": True, "items": [], "property": []},
        {"name": "b", "type": "array", "items_json": json.dumps({"type": "integer"})},
        {"name": "c", "type": "object", "properties_json": json.dumps({"properties": {"d": {"type": "string"}}})}]}
    assert schema_blocks(block) == {"type": "object", "required": ["a"], "properties": {
        "a": {"type": "string"}, "b": {"type": "array", "items": {"type": "integer"}},
        "c": {"type": "object", "properties": {"d": {"type": "string"}}}}}


def test_terraform_enum_case_and_blocks_of_one() -> None:
    state = {"format_version": "1.0", "values": {"root_module": {"resources": [
        {"address": "aws_bedrockagentcore_gateway.g", "type": "aws_bedrockagentcore_gateway", "values": {
            "name": "g", "role_arn": "arn:aws:iam::123456789012:role/r", "authorizer_type": "none"}},
        {"address": "aws_bedrockagentcore_gateway_target.t", "type": "aws_bedrockagentcore_gateway_target", "values": {
            "name": "t", "target_configuration": [{"mcp": [{"mcp_server": [{"endpoint": "https://x.example/mcp"}]}]}],
            "credential_provider_configuration": [{"oauth": [{"provider_arn": "arn:p", "grant_type": "client_credentials",
                                                              "scopes": ["s"]}], "api_key": []}]}}]}}}
    conversion = convert(state)
    assert conversion.document["authorizerType"] == "NONE"
    (target,) = conversion.document["targets"]
    assert target["credentialProviderConfigurations"] == [{"credentialProviderType": "OAUTH", "credentialProvider": {
        "oauthCredentialProvider": {"providerArn": "arn:p", "grantType": "CLIENT_CREDENTIALS", "scopes": ["s"]}}}]
    assert any("read as 'NONE'" in n.message for n in conversion.notices)


def test_pulumi_secrets_are_named_not_read() -> None:
    export = {"deployment": {"resources": [{"urn": "urn:pulumi:s::p::aws-native:bedrockagentcore:Gateway::gw",
        "type": "aws-native:bedrockagentcore:Gateway", "outputs": {
            "name": "gw", "authorizerType": "NONE", "roleArn": "arn:aws:iam::123456789012:role/r",
            "kmsKeyArn": {"4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", "ciphertext": "v1:x"}}}]}}
    conversion = convert(export)
    assert "kmsKeyArn" not in conversion.document
    assert any(n.kind == "warning" and "Pulumi secret" in n.message for n in conversion.notices)


def test_agentcore_cli_python_tool_code_becomes_the_local_handler(tmp_path: Path) -> None:
    (tmp_path / "agentcore").mkdir()
    (tmp_path / "app" / "greet").mkdir(parents=True)
    (tmp_path / "app" / "greet" / "handler.py").write_text("def handler(event, context):\n    return 'hi ' + event['who']\n")
    project = {"name": "Demo", "agentCoreGateways": [{"name": "gw", "targets": [{
        "name": "greet", "targetType": "lambda",
        "toolDefinitions": [{"name": "greet", "description": "Greet", "inputSchema": {"type": "object"}}],
        "compute": {"host": "Lambda", "implementation": {"language": "Python", "path": "app/greet/handler.py",
                                                         "handler": "handler"}, "pythonVersion": "PYTHON_3_12"}}]}]}
    (tmp_path / "agentcore" / "agentcore.json").write_text(json.dumps(project))
    gateway = Gateway.from_file(tmp_path / "agentcore" / "agentcore.json")
    (arn, handler), = gateway.emulator.lambdaFunctions.items()
    assert arn.endswith(":function:Demo-greet") and handler == f"{tmp_path}/app/greet/handler.py:handler"
    assert gateway.view.name == "Demo-gw" and gateway.view.mcp.search  # enableSemanticSearch defaults to true
    assert gateway.view.targets[0].outbound.kind == "GATEWAY_IAM_ROLE"  # the CLI's IAM fallback for Lambda


def test_yaml_tags_timestamps_and_hcl() -> None:
    doc = parse_text("Version: 2010-09-09\nA: !GetAtt R.Arn\nB: !If [C, !Ref X, !Ref AWS::NoValue]\n")
    assert doc == {"Version": "2010-09-09", "A": {"Fn::GetAtt": ["R", "Arn"]},
                   "B": {"Fn::If": ["C", {"Ref": "X"}, {"Ref": "AWS::NoValue"}]}}
    with pytest.raises(TextError, match="terraform show -json"):
        parse_text('terraform {\n  required_version = ">= 1.5"\n}\n')
    assert "terraform show -json" in HCL_MESSAGE


def test_cedar_file_policies_get_agentcore_names_and_ids() -> None:
    policies = split_policies('@id("allow-all")\npermit(principal, action, resource);\n'
                              "forbid(principal, action, resource) when { context.input.x > 1 };", "rules")
    assert [p["name"] for p in policies] == ["allow_all", "rules_1"]
    assert all(p["policyId"].startswith(p["name"] + "-") and len(p["policyId"]) == len(p["name"]) + 11 for p in policies)
    assert policies[0]["definition"]["cedar"]["statement"] == "permit(principal, action, resource);"
    with pytest.raises(ValueError):
        split_policies("permit(", "bad")


def test_bundles_add_targets_providers_and_cedar(tmp_path: Path) -> None:
    (tmp_path / "extra.cedar").write_text("permit(principal, action, resource);")
    provider = {"name": "weather-key", "apiKey": "demo-api-key-not-for-production-x"}
    conversion = combine([("gw.json", {"name": "g", "authorizerType": "NONE", "roleArn": "arn:aws:iam::123456789012:role/r"}),
                          ("target.json", json.loads((CORPUS / "get-gateway-target-lambda.json").read_text())),
                          ("key.json", provider), ("extra.cedar", (tmp_path / "extra.cedar").read_text())])
    assert [t["name"] for t in conversion.document["targets"]] == ["calc-lambda"]
    assert conversion.document["credentialProviders"] == [provider]
    assert conversion.document["policyEngines"][0]["policies"][0]["name"] == "extra_0"
    second = combine([("a.json", {"name": "a", "authorizerType": "NONE"}), ("b.json", {"name": "b", "authorizerType": "NONE"})])
    assert any("a second gateway document" in i.message for i in second.issues)
    missing = read_files([tmp_path / "nope.json"])
    assert missing.issues[0].message.startswith("cannot read")


def test_options_select_and_parameters_reach_the_converters() -> None:
    template = parse_text((CORPUS / "cfn-two-gateways.yaml").read_text())
    assert convert(template, Options(select="PublicGateway")).document["name"] == "public-tools"
    assert "no gateway 'Nope'" in convert(template, Options(select="Nope")).issues[0].message


def test_api_request_bodies_become_a_served_gateway() -> None:
    from fake_gateway.rules import validate_request
    from fake_gateway.shapes import from_requests

    create = {"name": "api-made", "roleArn": "arn:aws:iam::123456789012:role/r", "authorizerType": "NONE",
              "protocolType": "MCP"}
    target = {"gatewayIdentifier": "api-made-abcdefghij", "name": "calc", "targetConfiguration": {"mcp": {"lambda": {
        "lambdaArn": "arn:aws:lambda:us-east-1:123456789012:function:calc",
        "toolSchema": {"inlinePayload": [{"name": "add", "description": "Add", "inputSchema": {"type": "object"}}]}}}},
        "credentialProviderConfigurations": [{"credentialProviderType": "GATEWAY_IAM_ROLE"}]}
    assert validate_request("CreateGateway", create) == []
    assert validate_request("CreateGatewayTarget", target) == []
    gateway = Gateway.from_conversion(from_requests(create, [target]))
    assert [t.name for t in gateway.view.targets] == ["calc"]
    problems = validate_request("CreateGateway", {**create, "customJWTAuthorizer": {}})
    assert "belongs inside 'authorizerConfiguration'" in problems[0].message
