"""auth0-deploy-cli's tenant.yaml imported onto a tenant (fake_idp/deploy_cli.py); the file is modeled on
auth0/auth0-deploy-cli examples/yaml/tenant.yaml with our own names and values."""

from __future__ import annotations

from fake_idp.demo import demo_tenant
from fake_idp.deploy_cli import import_tenant_yaml, is_deploy_cli, load_tenant_file
from fake_idp.tenant import Tenant

TENANT_YAML = """
tenant:
  friendly_name: '##ENV## tenant'
  default_audience: 'https://##ENV##.reports.example.test/api'
  flags: {enable_dynamic_client_registration: true, remove_alg_from_jwks: true}
clients:
  - {name: reports-spa, app_type: spa, callbacks: ['https://##ENV##.reports.example.test/cb']}
  - {name: reports-job, app_type: non_interactive, grant_types: [client_credentials]}
resourceServers:
  - name: Reports API
    identifier: 'https://##ENV##.reports.example.test/api'
    scopes: [{value: 'read:reports', description: read}]
    token_dialect: rfc9068_profile
clientGrants:
  - {client_id: reports-job, audience: 'https://##ENV##.reports.example.test/api', scope: ['read:reports']}
databases:
  - {name: Username-Password-Authentication, enabled_clients: [reports-spa]}
emailTemplates:
  - {template: verify_email, enabled: true}
"""


def test_keywords_sections_and_references(tmp_path) -> None:
    import yaml

    source = yaml.safe_load(TENANT_YAML)
    assert is_deploy_cli(source) and not is_deploy_cli(demo_tenant().model_dump())
    base = demo_tenant().model_dump(mode="json", exclude_none=True)
    doc, ignored = import_tenant_yaml(source, base, keywords={"ENV": "qa"})
    tenant = Tenant.model_validate(doc)
    assert tenant.settings.friendly_name == "qa tenant" and tenant.settings.enable_dynamic_client_registration
    assert tenant.keys.include_alg is False and ignored == ["emailTemplates"]
    job = tenant.client_by_name("reports-job")
    assert job is not None and job.client_secret
    spa = tenant.client_by_name("reports-spa")
    assert spa is not None and spa.token_endpoint_auth_method == "none"
    grant = next(g for g in tenant.client_grants if g.client_id == job.client_id)
    assert grant.audience == "https://qa.reports.example.test/api" and grant.scope == ["read:reports"]
    assert spa.client_id in tenant.connections[0].enabled_clients
    again, _ = import_tenant_yaml(source, doc, keywords={"ENV": "qa"})  # a second import updates, adds nothing
    assert len(again["clients"]) == len(doc["clients"]) and len(again["client_grants"]) == len(doc["client_grants"])
    (tmp_path / "tenant.yaml").write_text(TENANT_YAML.replace("##ENV##", "dev"))
    assert load_tenant_file(tmp_path / "tenant.yaml").api_by_identifier("https://dev.reports.example.test/api")
