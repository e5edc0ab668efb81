"""Loading agentgateway configs: `${VAR}`, both topologies, the strict loader's errors, the lenient allowances
(sheet §0.2, §1, §2.1, §6 rows 1-2)."""

from __future__ import annotations

import copy
import json

import pytest
import yaml
from pydantic import ValidationError

from fake_gateway.agentgateway.settings import AgentGateway
from fake_gateway.dialect import detect
from tests.fake_gateway.agentgateway.pages import current_page_text, old_page

ROUTE = "binds[0].listeners[0].routes[0]"


def strict(document: dict) -> AgentGateway:
    return AgentGateway.from_document({**document, "emulator": {"loader": "strict"}})


def error_of(document: dict, **emulator: object) -> str:
    with pytest.raises(ValidationError) as info:
        AgentGateway.from_document({**document, "emulator": {"loader": "strict", **emulator}})
    return str(info.value.errors()[0]["msg"])


def test_old_page_loads_leniently_with_three_warnings_naming_the_real_spelling() -> None:
    gateway = AgentGateway.from_document(old_page())
    warnings = [str(w) for w in gateway.loaded.warnings]
    assert len(warnings) == 3
    assert warnings[0].startswith(f"{ROUTE}.policies.mcpAuthentication: missing field `resourceMetadata`")
    assert "data did not match any variant of untagged enum RuleSerde" in warnings[1]
    assert """write `- '"read:tools" in jwt.permissions'`""" in warnings[1]
    assert "no variable `auth` exists" in warnings[2]
    route = gateway.loaded.routes[0]
    assert [m.value for m in route.matches] == ["/"]  # no `matches`: every path
    assert route.authentication is not None and route.authentication.resource_metadata == {}
    assert route.authorization[0].auth_alias


def test_old_page_is_refused_strictly_with_the_first_serde_error() -> None:
    document = old_page()
    # serde_json reports a missing field where the object ends in the compact JSON transcode
    authn = document["binds"][0]["listeners"][0]["routes"][0]["policies"]["mcpAuthentication"]
    text = json.dumps(document, separators=(",", ":"), ensure_ascii=False)
    piece = '"mcpAuthentication":' + json.dumps(authn, separators=(",", ":"), ensure_ascii=False)
    column = text.index(piece) + len(piece)
    assert error_of(document) == (
        f"{ROUTE}.policies.mcpAuthentication: missing field `resourceMetadata` at line 1 column {column}"
    )


def test_old_page_with_resource_metadata_then_fails_on_the_if_rule() -> None:
    document = old_page()
    document["binds"][0]["listeners"][0]["routes"][0]["policies"]["mcpAuthentication"]["resourceMetadata"] = {}
    message = error_of(document)
    assert message.startswith(
        f"{ROUTE}.policies.authorization.rules[0]: data did not match any variant of untagged enum RuleSerde at line 1"
    )


def test_today_spelling_loads_strictly_without_warnings() -> None:
    document = old_page()
    policies = document["binds"][0]["listeners"][0]["routes"][0]["policies"]
    policies["mcpAuthentication"]["resourceMetadata"] = {}
    policies["authorization"]["rules"] = ['"read:tools" in jwt.permissions']
    assert strict(document).loaded.warnings == []


def test_current_page_expands_variables_and_uses_the_gateways_form() -> None:
    env = {"AUTH0_ISSUER": "https://example-tenant.auth0.test/", "AUTH0_AUDIENCE": "https://api.example.test"}
    gateway = AgentGateway.from_text(current_page_text(), emulator={"loader": "strict", "env": env, "processEnv": False})
    route = gateway.loaded.routes[0]
    assert gateway.loaded.ports == [3000]
    assert route.authentication is not None
    assert route.authentication.issuer == env["AUTH0_ISSUER"] and route.authentication.provider == "auth0"
    assert route.authentication.jwks == ("url", "")  # derived from the issuer (v1.4)
    assert route.backend is not None and route.backend.targets[0].url == "http://127.0.0.1:9/mcp"


def test_an_unset_variable_does_not_load() -> None:
    with pytest.raises(ValidationError, match="error looking key 'AUTH0_ISSUER' up: environment variable not found"):
        AgentGateway.from_text(current_page_text(), emulator={"processEnv": False})


def test_simplified_mcp_form_matches_mcp_sse_and_well_known() -> None:
    document = yaml.safe_load("""
mcp:
  port: 3000
  targets:
  - name: a
    mcp: {host: "http://127.0.0.1:9/mcp"}
  - name: b
    sse: {host: 127.0.0.1, port: 9, path: /sse}
  prefixMode: always
""")
    route = strict(document).loaded.routes[0]
    assert [m.value for m in route.matches] == ["/mcp", "/sse", "/.well-known"]
    assert route.backend is not None and route.backend.prefix_mode == "always"
    assert [t.url for t in route.backend.targets] == ["http://127.0.0.1:9/mcp", "http://127.0.0.1:9/sse"]


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"audiences": "one"}, 'invalid type: string "one", expected a sequence'),
        ({"mode": "lax"}, "unknown variant `lax`, expected one of `strict`, `optional`, `permissive`"),
        ({"jwksUrl": "x"}, "unknown field `jwksUrl`, expected one of `issuer`, `audiences`, `provider`"),
    ],
)
def test_strict_errors_are_serde_worded(patch: dict, message: str) -> None:
    document = old_page()
    authn = document["binds"][0]["listeners"][0]["routes"][0]["policies"]["mcpAuthentication"]
    authn.update(resourceMetadata={}, **patch)
    assert message in error_of(document)


def test_era_a_spelling_is_valid_only_in_era_a() -> None:
    document = old_page()
    policies = document["binds"][0]["listeners"][0]["routes"][0]["policies"]
    policies["authorization"]["rules"] = ['"read:tools" in jwt.permissions']
    policies["mcpAuthentication"] = {"issuer": "https://t.test/", "audience": "https://api.test",
                                     "jwksUrl": "https://t.test/jwks", "resourceMetadata": {}}
    era_a = AgentGateway.from_document({**document, "emulator": {"era": "A", "loader": "strict"}})
    authn = era_a.loaded.routes[0].authentication
    assert authn is not None and authn.audiences == ("https://api.test",) and authn.jwks == ("url", "https://t.test/jwks")
    assert "unknown field `audience`" in error_of(copy.deepcopy(document))


def test_target_names_never_carry_the_delimiter() -> None:
    document = old_page()
    document["binds"][0]["listeners"][0]["routes"][0]["backends"][0]["mcp"]["targets"][0]["name"] = "my_server"
    with pytest.raises(ValidationError, match='invalid MCP target name "my_server"'):
        AgentGateway.from_document(document)


def test_a_cel_syntax_error_refuses_the_config() -> None:
    document = old_page()
    policies = document["binds"][0]["listeners"][0]["routes"][0]["policies"]
    policies["mcpAuthentication"]["resourceMetadata"] = {}
    policies["authorization"]["rules"] = ["1 +"]
    assert "Syntax error" in error_of(document)


def test_dialect_detection() -> None:
    assert detect(old_page()) == "agentgateway"
    assert detect({"name": "gw", "authorizerType": "CUSTOM_JWT"}) == "agentcore"


def test_mcp_paths_are_the_routes_matches() -> None:
    from fake_gateway.agentgateway.config import mcp_paths

    target = {"mcp": {"targets": [{"name": "s", "mcp": {"host": "http://127.0.0.1:9/mcp"}}]}}
    crm = {"binds": [{"port": 3100, "listeners": [{"routes": [{
        "matches": [{"path": {"exact": "/crm/mcp"}}, {"path": {"exact": "/.well-known/oauth-protected-resource/crm/mcp"}}],
        "backends": [target]}]}]}]}
    assert mcp_paths(AgentGateway.from_document(crm).loaded) == ["/crm/mcp"]
    anywhere = {"binds": [{"port": 3100, "listeners": [{"routes": [{"backends": [target]}]}]}]}
    assert mcp_paths(AgentGateway.from_document(anywhere).loaded) == ["/mcp"]
    simple = {"mcp": {"port": 3000, "targets": target["mcp"]["targets"]}}
    assert mcp_paths(AgentGateway.from_document(simple).loaded) == ["/mcp", "/sse"]


@pytest.mark.parametrize(("era", "mode"), [("B", "optional"), ("C", "strict"), ("D", "strict")])
def test_mode_defaults_by_era_when_not_given(era: str, mode: str) -> None:
    document = old_page()
    policies = document["binds"][0]["listeners"][0]["routes"][0]["policies"]
    del policies["mcpAuthentication"]["mode"]
    policies["mcpAuthentication"]["resourceMetadata"] = {}
    policies["authorization"]["rules"] = ['"read:tools" in jwt.permissions']
    gateway = AgentGateway.from_document({**document, "emulator": {"era": era, "loader": "strict"}})
    authn = gateway.loaded.routes[0].authentication
    assert authn is not None and authn.mode == mode  # #997 made strict the default in v1.0
