"""Discovery documents (both profiles, Auth0 key order), the RFC 8414 alias, and the issuer rule."""

from __future__ import annotations

from typing import ClassVar

import httpx

from fake_idp import create_app, demo_tenant
from fake_idp.discovery import discovery_document
from tests.fake_idp.conftest import Idp

KEYS_2026 = [
    "issuer",
    "authorization_endpoint",
    "token_endpoint",
    "device_authorization_endpoint",
    "userinfo_endpoint",
    "mfa_challenge_endpoint",
    "jwks_uri",
    "registration_endpoint",
    "revocation_endpoint",
    "scopes_supported",
    "response_types_supported",
    "code_challenge_methods_supported",
    "response_modes_supported",
    "subject_types_supported",
    "token_endpoint_auth_methods_supported",
    "token_endpoint_auth_signing_alg_values_supported",
    "claims_supported",
    "grant_types_supported",
    "request_uri_parameter_supported",
    "request_parameter_supported",
    "backchannel_authentication_endpoint",
    "backchannel_token_delivery_modes_supported",
    "id_token_signing_alg_values_supported",
    "end_session_endpoint",
    "global_token_revocation_endpoint",
    "global_token_revocation_endpoint_auth_methods_supported",
    "dpop_signing_alg_values_supported",
    "authorization_grant_profiles_supported",
]


def test_2026_profile_key_order_and_values(idp: Idp) -> None:
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert list(doc) == KEYS_2026
    assert doc["issuer"] == idp.url + "/"
    assert doc["token_endpoint"] == idp.url + "/oauth/token"
    assert doc["end_session_endpoint"] == idp.url + "/oidc/logout"
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]
    assert "none" in doc["token_endpoint_auth_methods_supported"]
    assert "urn:ietf:params:oauth:grant-type:token-exchange" in doc["grant_types_supported"]
    assert "introspection_endpoint" not in doc


def test_classic_profile_lacks_grant_types_and_none(idp: Idp) -> None:
    idp.patch({"settings": {"discovery_profile": "classic"}})
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert "grant_types_supported" not in doc and "end_session_endpoint" not in doc
    assert doc["token_endpoint_auth_methods_supported"] == [
        "client_secret_basic",
        "client_secret_post",
        "private_key_jwt",
    ]
    assert list(doc)[14:17] == [
        "id_token_signing_alg_values_supported",
        "token_endpoint_auth_methods_supported",
        "claims_supported",
    ]


def test_rfc8414_alias_and_absent(idp: Idp) -> None:
    oidc = idp.http.get("/.well-known/openid-configuration").json()
    assert idp.http.get("/.well-known/oauth-authorization-server").json() == oidc
    idp.patch({"settings": {"rfc8414_metadata": "absent"}})
    r = idp.http.get("/.well-known/oauth-authorization-server")
    assert r.status_code == 404 and r.json()["statusCode"] == 404
    assert "F-14" in idp.last("/.well-known/oauth-authorization-server")["reason"]


def test_iss_parameter_and_cimd_advertisement(idp: Idp) -> None:
    idp.patch(
        {
            "settings": {
                "authorization_response_iss_parameter_supported": True,
                "client_id_metadata_document_supported": True,
            }
        }
    )
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["client_id_metadata_document_supported"] is True
    idp.patch({"emulator": {"advertise_iss_parameter": False}})
    assert (
        "authorization_response_iss_parameter_supported"
        not in idp.http.get("/.well-known/openid-configuration").json()
    )


def test_cimd_client_must_be_pre_registered(idp: Idp) -> None:
    url = "https://claude.ai/oauth/mcp-oauth-client-metadata"
    idp.patch({"settings": {"client_id_metadata_document_supported": True}})
    r = idp.authorize(client_id=url, redirect_uri="https://claude.ai/api/mcp/auth_callback")
    assert r.status_code == 400 and f"Unknown client: {url}" in r.text
    clients = [c.model_dump(mode="json") for c in idp.control.tenant.clients]
    clients.append(
        {
            "name": "Claude",
            "client_id": "tpc_cimdClaude000000000000000000000",
            "external_client_id": url,
            "is_first_party": False,
            "token_endpoint_auth_method": "none",
            "callbacks": ["https://claude.ai/api/mcp/auth_callback"],
        }
    )
    idp.patch({"clients": clients})
    from tests.fake_idp.conftest import GATEWAY, pkce_pair

    _, challenge = pkce_pair()
    r = idp.authorize(
        client_id=url,
        redirect_uri="https://claude.ai/api/mcp/auth_callback",
        resource=GATEWAY,
        scope="mcp:tools",
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    assert r.status_code == 302 and "code=" in r.headers["location"]


def test_issuer_follows_the_host_called(idp: Idp) -> None:
    port = idp.url.rsplit(":", 1)[1]
    doc = httpx.get(f"http://localhost:{port}/.well-known/openid-configuration").json()
    assert doc["issuer"] == f"http://localhost:{port}/" and doc["jwks_uri"].startswith(
        f"http://localhost:{port}/"
    )
    r = httpx.post(
        f"http://localhost:{port}/oauth/token",
        json={
            "grant_type": "client_credentials",
            "client_id": "DEMOm2mClient0000000000000000001",
            "client_secret": "demo-secret-not-for-production-m2m-0001",
            "audience": "http://127.0.0.1:8000/mcp",
        },
    )
    from tests.fake_idp.conftest import claims_of

    assert claims_of(r.json()["access_token"])["iss"] == f"http://localhost:{port}/"


def test_host_alias_and_fixed_issuer(idp: Idp) -> None:
    idp.patch({"host_aliases": ["https://login.northwind.test"]})
    doc = idp.http.get("/.well-known/openid-configuration", headers={"Host": "login.northwind.test"}).json()
    assert (
        doc["issuer"] == "https://login.northwind.test/"
        and doc["token_endpoint"] == "https://login.northwind.test/oauth/token"
    )
    assert idp.http.get("/.well-known/openid-configuration").json()["issuer"] == idp.url + "/"
    idp.patch({"issuer": "https://authstage.us.auth0.com/"})
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert doc["issuer"] == "https://authstage.us.auth0.com/"
    assert doc["jwks_uri"] == idp.url + "/.well-known/jwks.json"  # endpoints stay reachable
    token = idp.cc().json()["access_token"]
    assert (
        idp.verify(token, issuer="https://authstage.us.auth0.com/")["iss"]
        == "https://authstage.us.auth0.com/"
    )
    bogus = idp.http.get("/.well-known/openid-configuration", headers={"Host": "bad host<>"})
    assert bogus.status_code in (200, 400)


def test_discovery_document_builds_without_http() -> None:
    app = create_app(demo_tenant(), base_url="http://127.0.0.1:9")

    class _Req:
        headers: ClassVar[dict[str, str]] = {"host": "127.0.0.1:9"}

    from fake_idp.context import Ctx

    ctx = Ctx(control=app.state.control, request=_Req(), issuer="http://127.0.0.1:9/")  # type: ignore[arg-type]
    assert discovery_document(ctx)["jwks_uri"] == "http://127.0.0.1:9/.well-known/jwks.json"
