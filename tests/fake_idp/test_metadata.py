"""profile.discovery: metadata served only where an issuer with a path puts it (RFC 8414 §3.1, OIDC Discovery §4),
and what a generic IdP advertises differently. Discovery is walked with the mcp SDK's own URL builder."""

from __future__ import annotations

import pytest
from mcp.client.auth.utils import build_oauth_authorization_server_metadata_discovery_urls

from tests.fake_idp.conftest import Idp

RFC8414 = "/.well-known/oauth-authorization-server"
OIDC = "/.well-known/openid-configuration"


def status(idp: Idp, path: str) -> int:
    return idp.http.get(path).status_code


def test_auth0_default_serves_the_root_documents_only(idp: Idp) -> None:
    assert (status(idp, RFC8414), status(idp, OIDC)) == (200, 200)
    assert status(idp, RFC8414 + "/tenant1") == 404 and status(idp, "/tenant1" + OIDC) == 404


@pytest.mark.parametrize(
    ("kinds", "served"),
    [
        (["rfc8414"], {RFC8414 + "/tenant1"}),
        (["oidc"], {"/tenant1" + OIDC}),
        (["oidc_path_insert", "rfc8414"], {OIDC + "/tenant1", RFC8414 + "/tenant1"}),
    ],
)
def test_an_issuer_with_a_path_is_served_only_where_its_kinds_put_it(idp: Idp, kinds: list[str], served: set[str]) -> None:
    issuer = idp.url + "/tenant1"
    idp.patch({"issuer": issuer, "profile": {"discovery": {"metadata_urls": kinds}}})
    candidates = [RFC8414, OIDC, RFC8414 + "/tenant1", OIDC + "/tenant1", "/tenant1" + OIDC]
    answered = {path for path in candidates if status(idp, path) == 200}
    assert answered == served
    assert idp.http.get(sorted(served)[0]).json()["issuer"] == issuer
    assert "metadata_urls" in idp.last(RFC8414)["reason"]
    # what an MCP client (python SDK) tries, in its order, finds the one served
    urls = build_oauth_authorization_server_metadata_discovery_urls(issuer, idp.url + "/mcp")
    first = next(url for url in urls if idp.http.get(url).status_code == 200)
    assert first.removeprefix(idp.url) in served


def test_overrides_of_what_a_generic_idp_advertises(idp: Idp) -> None:
    doc = idp.http.get(OIDC).json()
    assert "offline_access" in doc["scopes_supported"] and "private_key_jwt" in doc["token_endpoint_auth_methods_supported"]
    idp.patch({"profile": {"discovery": {
        "scopes_supported": "omit", "token_endpoint_auth_methods_supported": ["client_secret_basic"],
        "grant_types_supported": ["client_credentials"], "token_endpoint_auth_signing_alg_values_supported": ["ES256"]}}})
    doc = idp.http.get(OIDC).json()
    assert "scopes_supported" not in doc
    assert doc["token_endpoint_auth_methods_supported"] == ["client_secret_basic"]
    assert doc["grant_types_supported"] == ["client_credentials"]
    assert doc["token_endpoint_auth_signing_alg_values_supported"] == ["ES256"]
    idp.patch({"profile": {"discovery": {"scopes_supported": ["mcp:basic"], "grant_types_supported": "omit"}}})
    doc = idp.http.get(OIDC).json()
    assert doc["scopes_supported"] == ["mcp:basic"] and "grant_types_supported" not in doc


def test_registration_endpoint_is_advertised_while_dcr_is_off_unless_the_profile_says_otherwise(idp: Idp) -> None:
    idp.patch({"settings": {"enable_dynamic_client_registration": False}})
    assert "registration_endpoint" in idp.http.get(OIDC).json()  # Auth0, F-6
    idp.patch({"profile": {"discovery": {"registration_endpoint": "when_enabled"}}})
    assert "registration_endpoint" not in idp.http.get(OIDC).json()
    idp.patch({"settings": {"enable_dynamic_client_registration": True}})
    assert idp.http.get(RFC8414).json()["registration_endpoint"] == idp.url + "/oidc/register"
