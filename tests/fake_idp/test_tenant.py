"""The tenant model: YAML/JSON in, JSON out, unknown knobs and bad values rejected with the key's path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from fake_idp import Tenant, demo_tenant
from fake_idp.tenant import Faults, TenantConfigError

TENANT_YAML = """
name: northwind
domain: northwind.us.auth0.com
settings:
  resource_parameter_profile: ignore
  default_audience: https://api.northwind.test/
apis:
  - name: orders
    identifier: https://api.northwind.test/
    scopes: [read:orders, write:orders]
    token_dialect: access_token_authz
    enforce_policies: true
clients:
  - name: worker
    client_id: NWworker000000000000000000000001
    client_secret: demo-secret-not-for-production-northwind
    grant_types: [client_credentials]
client_grants:
  - client_id: NWworker000000000000000000000001
    audience: https://api.northwind.test/
    scope: [read:orders]
users:
  - user_id: auth0|carol
    email: carol@example.test
    password: demo-password-carol
    permissions: {orders: [read:orders]}
faults:
  jwks_kid_mode: unknown_kid
  token_rate_limit: {limit: 30}
"""


def test_yaml_file_round_trips(tmp_path: Path) -> None:
    path = tmp_path / "tenant.yaml"
    path.write_text(TENANT_YAML)
    tenant = Tenant.from_file(path)
    assert tenant.apis[0].scope_values == ["read:orders", "write:orders"]
    assert tenant.faults.jwks_kid_mode == "unknown_kid" and tenant.faults.token_rate_limit.limit == 30  # type: ignore[union-attr]
    dumped = tenant.model_dump(mode="json")
    again = tmp_path / "tenant.json"
    again.write_text(json.dumps(dumped))
    assert Tenant.from_file(again) == tenant


def test_demo_tenant_round_trips_and_matches_the_brief() -> None:
    t = demo_tenant(gateway_resource="http://127.0.0.1:1/mcp", mcp_resource="http://127.0.0.1:2/mcp")
    assert Tenant.model_validate(t.model_dump(mode="json")) == t
    assert {a.name: a.identifier for a in t.apis} == {
        "authstage-gateway": "http://127.0.0.1:1/mcp",
        "sample-search": "http://127.0.0.1:2/mcp",
    }
    assert {c.name for c in t.clients} == {"demo-m2m", "demo-m2m-basic", "gateway-outbound", "demo-cli"}
    for c in t.clients:
        assert len(c.client_id) == 32 and c.client_id.startswith("DEMO") and c.client_id.isalnum()
        assert c.client_secret is None or c.client_secret.startswith("demo-secret-not-for-production-")
    assert (
        t.settings.resource_parameter_profile == "compatibility"
        and t.settings.enable_dynamic_client_registration
    )
    assert (
        not t.settings.headless_auto_approve  # a desktop browser sees the login page (issue 16)
        and t.settings.auto_approve_login_hint
        and t.settings.rfc8414_metadata == "alias"
        and t.settings.discovery_profile == "2026"
    )
    assert any(g.default_for == "third_party_clients" for g in t.client_grants)
    assert t.connections[0].is_domain_connection


@pytest.mark.parametrize(
    ("doc", "loc"),
    [
        ({"faults": {"jwks_kid_modee": "omit_kid"}}, "faults.jwks_kid_modee"),
        ({"faults": {"jwks_kid_mode": "sometimes"}}, "faults.jwks_kid_mode"),
        ({"settings": {"resource_parameter_profile": "on"}}, "settings.resource_parameter_profile"),
        ({"apis": [{"name": "a", "identifier": "x", "token_dialect": "jwt"}]}, "apis.0.token_dialect"),
        (
            {"clients": [{"name": "c", "client_id": "c1", "grant_types": ["magic"]}]},
            "clients.0.grant_types.0",
        ),
        ({"unknown_section": {}}, "unknown_section"),
        ({"faults": {"clock_skew_seconds": "soon"}}, "faults.clock_skew_seconds"),
        ({"keys": {"ring": [{"state": "next"}]}}, "keys"),
    ],
)
def test_unknown_knobs_and_bad_values_name_the_key(doc: dict, loc: str) -> None:
    with pytest.raises(TenantConfigError) as exc:
        Tenant.load(doc)
    assert any(e["loc"] == loc for e in exc.value.errors), exc.value.errors
    assert loc in str(exc.value)


def test_cross_references_are_checked() -> None:
    with pytest.raises(TenantConfigError) as exc:
        Tenant.load(
            {
                "apis": [{"name": "a", "identifier": "https://a/", "scopes": ["r"]}],
                "clients": [
                    {"name": "c", "client_id": "c1", "token_endpoint_auth_method": "client_secret_post"}
                ],
                "client_grants": [
                    {"client_id": "nobody", "audience": "https://b/", "scope": ["r"]},
                    {"client_id": "c1", "audience": "https://a/", "scope": ["w"]},
                ],
                "users": [
                    {"user_id": "u", "email": "u@x.test", "password": "p", "permissions": {"zzz": ["r"]}}
                ],
                "settings": {"default_audience": "https://nope/"},
            }
        )
    text = str(exc.value)
    for needle in (
        "no client 'nobody'",
        "'https://b/' is not the identifier",
        "['w'] are not scopes",
        "client_secret: required",
        "'zzz' is neither",
        "settings.default_audience",
    ):
        assert needle in text


def test_client_grant_needs_exactly_one_target() -> None:
    with pytest.raises(TenantConfigError, match="exactly one of client_id or default_for"):
        Tenant.load({"apis": [{"name": "a", "identifier": "x"}], "client_grants": [{"audience": "x"}]})


def test_from_file_errors(tmp_path: Path) -> None:
    with pytest.raises(TenantConfigError, match="cannot read"):
        Tenant.from_file(tmp_path / "missing.yaml")
    bad = tmp_path / "bad.yaml"
    bad.write_text("apis: [\n")
    with pytest.raises(TenantConfigError, match="not valid YAML"):
        Tenant.from_file(bad)
    lst = tmp_path / "list.yaml"
    lst.write_text("- a\n")
    with pytest.raises(TenantConfigError, match="must be a mapping"):
        Tenant.from_file(lst)
    knob = tmp_path / "knob.yaml"
    knob.write_text("faults: {jwks_kid_mod: omit_kid}\n")
    with pytest.raises(TenantConfigError, match=r"knob\.yaml: invalid tenant configuration"):
        Tenant.from_file(knob)


def test_stack_file_idp_section_is_accepted(tmp_path: Path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text("idp:\n  name: fromstack\ngateway: {}\n")
    assert Tenant.from_file(path).name == "fromstack"


def test_every_fault_knob_documents_its_incident() -> None:
    for name, field in Faults.model_fields.items():
        assert field.description and len(field.description) > 20, name


DOCS = Path(__file__).resolve().parents[2] / "docs"


def test_docs_list_every_knob() -> None:
    from fake_idp.tenant import Api, Client, Emulator, Keys, TenantSettings

    text = (DOCS / "idp.md").read_text()
    for model in (TenantSettings, Faults, Emulator, Api, Client, Keys):
        for name in model.model_fields:
            assert f"`{name}" in text or f".{name}`" in text or f"{name}`" in text, (
                f"{model.__name__}.{name} missing from docs/idp.md"
            )
