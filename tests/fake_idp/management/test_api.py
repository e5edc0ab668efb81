"""The Auth0 Management API v2 subset, driven by auth0-python (Auth0's own SDK, which builds `https://{domain}`)
against one TLS stack; exact error bodies checked raw; tokens verified with PyJWT against the JWKS."""

from __future__ import annotations

import jwt as pyjwt
import pytest
from auth0.authentication import GetToken
from auth0.management import ManagementClient

from fake_idp.management import MANAGEMENT_SCOPES
from harness import Stack


@pytest.fixture(scope="module")
def stack():
    with Stack(tls=True) as running:
        yield running


@pytest.fixture
def env(stack, monkeypatch):
    """What `authstage up --tls` prints: the SDKs (httpx, requests) trust the stack CA through it."""
    stack.reset()
    for name, value in stack.manifest["env"].items():
        monkeypatch.setenv(name, value)
    return stack.manifest["env"]


def _mgmt(env) -> ManagementClient:
    return ManagementClient(domain=env["AUTH0_DOMAIN"], client_id=env["AUTH0_CLIENT_ID"],
                            client_secret=env["AUTH0_CLIENT_SECRET"])


def _verified(stack, token: str, audience: str) -> dict:
    keys = stack.http.get(stack.idp.jwks_uri).json()
    header = pyjwt.get_unverified_header(token)
    key = next(k for k in keys["keys"] if k["kid"] == header["kid"])
    return pyjwt.decode(token, pyjwt.PyJWK(key).key, algorithms=["RS256"], audience=audience,
                        issuer=stack.idp.issuer)


def test_management_token_is_for_the_api_v2_audience_with_every_scope(stack, env) -> None:
    audience = f"https://{env['AUTH0_DOMAIN']}/api/v2/"
    body = GetToken(env["AUTH0_DOMAIN"], env["AUTH0_CLIENT_ID"],
                    client_secret=env["AUTH0_CLIENT_SECRET"]).client_credentials(audience)
    claims = _verified(stack, body["access_token"], audience)
    assert set(claims["scope"].split()) == set(MANAGEMENT_SCOPES) and claims["gty"] == "client-credentials"


def test_setup_resources_act_on_the_running_tenant_at_once(stack, env) -> None:
    auth0 = _mgmt(env)
    api = auth0.resource_servers.create(identifier="https://orders.example.test/", name="Orders",
                                        scopes=[{"value": "read:orders", "description": "Read orders"}],
                                        token_dialect="rfc9068_profile")
    assert len(api.id) == 24 and api.token_dialect == "rfc9068_profile" and api.allow_offline_access is False
    listed = [rs.identifier for rs in auth0.resource_servers.list(identifiers=["https://orders.example.test/"])]
    assert listed == ["https://orders.example.test/"]
    app = auth0.clients.create(name="orders-worker", app_type="non_interactive", grant_types=["client_credentials"])
    assert len(app.client_id) == 32 and app.client_secret
    grant = auth0.client_grants.create(client_id=app.client_id, audience=api.identifier, scope=["read:orders"])
    assert grant.id.startswith("cgr_")
    token = GetToken(env["AUTH0_DOMAIN"], app.client_id, client_secret=app.client_secret).client_credentials(
        api.identifier)["access_token"]
    claims = _verified(stack, token, api.identifier)
    assert claims["client_id"] == app.client_id and claims["scope"] == "read:orders"  # rfc9068: client_id
    auth0.resource_servers.update(api.id, token_lifetime=600)
    assert auth0.resource_servers.get(api.id).token_lifetime == 600
    assert stack.idp.config()["apis"][-1]["token_lifetime"] == 600  # the control plane sees the same tenant
    auth0.client_grants.delete(grant.id)
    auth0.clients.delete(app.client_id)
    auth0.resource_servers.delete(api.id)
    assert all(a["identifier"] != api.identifier for a in stack.idp.config()["apis"])


def test_dcr_flag_resource_profile_and_domain_connection(stack, env) -> None:
    auth0 = _mgmt(env)
    auth0.tenants.settings.update(flags={"enable_dynamic_client_registration": False},
                                  resource_parameter_profile="audience")
    settings = auth0.tenants.settings.get()
    assert settings.flags.enable_dynamic_client_registration is False
    assert settings.resource_parameter_profile == "audience"
    dcr = {"client_name": "probe", "redirect_uris": ["http://127.0.0.1:9/cb"]}
    assert stack.http.post(stack.idp.registration_endpoint, json=dcr).status_code == 400  # off, still advertised
    auth0.tenants.settings.update(flags={"enable_dynamic_client_registration": True})
    assert stack.http.post(stack.idp.registration_endpoint, json=dcr).status_code == 201
    connection = next(iter(auth0.connections.list(strategy="auth0")))
    updated = auth0.connections.update(connection.id, is_domain_connection=False)
    assert updated.is_domain_connection is False and connection.id.startswith("con_")
    user = auth0.users.create(connection=connection.name, email="carol@example.test", password="demo-password-carol")
    assert user.user_id.startswith("auth0|") and auth0.users.get(user.user_id).email == "carol@example.test"


def _raw(stack, method: str, path: str, token: str | None, **kwargs):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return stack.http.request(method, stack.idp.url + "/api/v2/" + path, headers=headers, **kwargs)


def _token(stack, scope: str | None = None) -> str:
    return stack.token("api-explorer", audience=stack.idp.url + "/api/v2/", **({"scope": scope} if scope else {}))


def test_errors_are_auth0s_exact_bodies(stack, env) -> None:
    assert _raw(stack, "GET", "clients", None).json() == {
        "statusCode": 401, "error": "Unauthorized", "message": "Missing authentication"}
    narrow = _token(stack, "read:clients")
    assert _raw(stack, "POST", "resource-servers", narrow, json={"identifier": "x"}).json() == {
        "statusCode": 403, "error": "Forbidden", "message": "Insufficient scope, expected any of: create:resource_servers",
        "errorCode": "insufficient_scope"}
    token = _token(stack)
    assert _raw(stack, "GET", "resource-servers/nope", token).json() == {
        "statusCode": 404, "error": "Not Found", "message": "The resource server does not exist",
        "errorCode": "inexistent_resource_server"}
    assert _raw(stack, "GET", "clients/nope", token).json()["errorCode"] == "inexistent_client"
    assert _raw(stack, "POST", "resource-servers", token, json={"identifier": stack.gateway.mcp_url}).status_code == 409
    bad = _raw(stack, "POST", "clients", token, json={"name": "x", "colour": "blue"}).json()
    assert bad["errorCode"] == "invalid_body" and "colour" in bad["message"]
    grant = _raw(stack, "POST", "client-grants", token, json={"client_id": "nope", "audience": stack.mcp.mcp_url})
    assert grant.status_code == 404 and grant.json()["errorCode"] == "inexistent_client"
    stack.idp.clock(advance=86400 * 2)
    expired = _raw(stack, "GET", "clients", token).json()
    assert expired["message"] == "Expired token received for JSON Web Token validation" and expired["attributes"]


def test_deploy_cli_tenant_yaml_is_imported_onto_the_demo_tenant(tmp_path) -> None:
    # Modeled on auth0/auth0-deploy-cli examples/yaml/tenant.yaml (our names and values; ##KEY## as there).
    (tmp_path / "tenant.yaml").write_text(
        "tenant:\n  friendly_name: Billing Tenant\n  flags:\n    enable_dynamic_client_registration: false\n"
        "clients:\n  - name: billing-worker\n    app_type: non_interactive\n    grant_types: [client_credentials]\n"
        "  - name: billing-rs-client\n    app_type: resource_server\n"
        "resourceServers:\n  - name: Billing API\n    identifier: https://billing.example.test/api\n"
        "    scopes:\n      - value: read:invoices\n        description: read invoices\n"
        "clientGrants:\n  - client_id: billing-worker\n    audience: https://billing.example.test/api\n"
        "    scope: [read:invoices]\n"
        "databases:\n  - name: Username-Password-Authentication\n    enabled_clients: [billing-worker]\n"
        "roles:\n  - name: Admin\n"
    )
    with Stack(tmp_path / "tenant.yaml") as stack:
        tenant = stack.idp.config()
        assert tenant["settings"]["friendly_name"] == "Billing Tenant"
        assert tenant["settings"]["enable_dynamic_client_registration"] is False
        assert "authstage-gateway" in [a["name"] for a in tenant["apis"]]  # imported onto the demo tenant
        token = stack.token("billing-worker", audience="https://billing.example.test/api")
        assert pyjwt.decode(token, options={"verify_signature": False})["scope"] == "read:invoices"
