"""Which dialect a config file's text is for, `${VAR}` references in YAML flow syntax included."""

from __future__ import annotations

import pytest

from fake_gateway.dialect import detect_text

FLOW = """\
binds:
- port: 3107
  listeners:
  - routes:
    - policies:
        mcpAuthentication: {issuer: '${IDP_ISSUER}', audiences: [${CRM_AUDIENCE}], jwks: {url: ${JWKS:-http://x/j}}}
      backends:
      - mcp:
          targets:
          - {name: s, mcp: {host: ${CONTACTS_MCP_URL}}}
"""


def test_agentgateway_text_with_references_in_flow_syntax() -> None:
    assert detect_text(FLOW) == "agentgateway"


@pytest.mark.parametrize("text", [
    '{"name": "gw", "authorizerType": "NONE"}',
    "Resources:\n  G:\n    Type: AWS::BedrockAgentCore::Gateway\n    Properties: {Name: !Sub '${AWS::StackName}-gw'}\n"
    "Outputs:\n  U: {Value: !GetAtt G.GatewayUrl}\n",
])
def test_agentcore_documents_and_cloudformation_short_tags(text: str) -> None:
    assert detect_text(text) == "agentcore"


def test_a_pulumi_yaml_program_with_config_is_not_agentgateway() -> None:
    text = "config: {region: us-east-1}\nresources:\n  gw: {type: 'aws:bedrockagentcore:Gateway', properties: {}}\n"
    assert detect_text(text) == "agentcore"
