"""emulator.token_profiles: Cognito, Okta and Entra v1/v2 access-token shapes, verified with PyJWT (independent)."""

from __future__ import annotations

import jwt
import pytest

from fake_idp import Tenant
from fake_idp.tenant import TenantConfigError
from tests.fake_idp.conftest import CLI_ID, GATEWAY, M2M_ID, MCP, Idp, claims_of, header_of

ENTRA_APP = "3e9a7c41-5b2d-4f86-a0c3-9d1e8b7f6a25"


def test_default_profile_keeps_auth0_shape_and_other_apis_are_untouched(idp: Idp) -> None:
    idp.patch({"emulator": {"token_profiles": {"sample-search": "cognito"}}})
    gateway_token = idp.cc().json()["access_token"]
    assert (
        list(header_of(gateway_token)) == ["alg", "typ", "kid"]
        and claims_of(gateway_token)["client_id"] == M2M_ID
    )
    idp.patch({"emulator": {"token_profiles": {"sample-search": "auth0"}}})
    assert list(header_of(idp.cc().json()["access_token"])) == ["alg", "typ", "kid"]


def test_cognito_client_credentials_token_has_no_aud(idp: Idp) -> None:
    """DOC Cognito access token; sheet §3 (U1): client_id, scope, token_use, no aud."""
    idp.patch({"emulator": {"token_profiles": {"authstage-gateway": "cognito"}}})
    r = idp.cc()
    # the /oauth/token answer keeps Auth0's shape
    assert r.status_code == 200 and r.json()["scope"] == "mcp:tools"
    token = r.json()["access_token"]
    claims = idp.verify(token, audience=None)
    assert list(claims) == [
        "sub",
        "token_use",
        "scope",
        "auth_time",
        "iss",
        "exp",
        "iat",
        "version",
        "jti",
        "client_id",
    ]
    assert claims["sub"] == M2M_ID and claims["client_id"] == M2M_ID and claims["token_use"] == "access"
    assert claims["scope"] == "mcp:tools" and claims["version"] == 2 and claims["auth_time"] == claims["iat"]
    assert claims["exp"] - claims["iat"] == 86400 and "aud" not in claims and "azp" not in claims
    assert list(header_of(token)) == ["kid", "alg"]
    with pytest.raises(jwt.MissingRequiredClaimError):  # a validator that requires aud rejects it (U1)
        idp.verify(token, audience=GATEWAY)


def test_cognito_user_token_has_username_and_a_uuid_sub(idp: Idp) -> None:
    idp.patch({"emulator": {"token_profiles": {"authstage-gateway": "cognito"}}})
    body, _ = idp.code_flow(scope="openid mcp:tools")
    claims = idp.verify(body["access_token"], audience=None)
    assert claims["username"] == "alice@example.test" and claims["client_id"] == CLI_ID
    assert len(claims["sub"]) == 36 and claims["sub"].count("-") == 4
    assert claims["scope"] == "openid mcp:tools" and "aud" not in claims
    assert {"origin_jti", "event_id", "auth_time"} <= set(claims)


def test_okta_tokens_carry_cid_and_an_scp_array(idp: Idp) -> None:
    """CAPTURE (rabbitmq-users thread): ver, jti AT., iss, aud, sub, iat, exp, cid, uid, scp [], auth_time."""
    idp.patch({"emulator": {"token_profiles": {GATEWAY: "okta"}}})  # by identifier
    token = idp.cc().json()["access_token"]
    claims = idp.verify(token)
    assert list(claims) == ["ver", "jti", "iss", "aud", "sub", "iat", "exp", "cid", "scp"]
    assert claims["cid"] == M2M_ID and claims["sub"] == M2M_ID and claims["scp"] == ["mcp:tools"]
    assert claims["jti"].startswith("AT.") and claims["ver"] == 1 and "client_id" not in claims
    assert list(header_of(token)) == ["kid", "alg"]
    body, _ = idp.code_flow(scope="openid mcp:tools")
    user = idp.verify(body["access_token"], audience=[GATEWAY, idp.issuer + "userinfo"])
    assert user["sub"] == "alice@example.test" and user["uid"].startswith("00u") and len(user["uid"]) == 20
    assert user["scp"] == ["openid", "mcp:tools"] and user["cid"] == CLI_ID and "auth_time" in user


def test_entra_v2_aud_is_the_api_guid_and_app_tokens_have_roles(idp: Idp) -> None:
    """DOC access-token-claims-reference: v2 aud = the API's client id; scp (users) vs roles (apps); azp."""
    apis = [a.model_dump(mode="json") for a in idp.control.tenant.apis]
    apis.append({"name": "entra-api", "identifier": f"api://{ENTRA_APP}", "scopes": ["mcp:tools"]})
    grant = {"client_id": M2M_ID, "audience": f"api://{ENTRA_APP}", "scope": ["mcp:tools"]}
    grants = [g.model_dump(mode="json", exclude_none=True) for g in idp.control.tenant.client_grants] + [
        grant
    ]
    idp.patch(
        {"apis": apis, "client_grants": grants, "emulator": {"token_profiles": {"entra-api": "entra_v2"}}}
    )
    app = idp.verify(idp.cc(audience=f"api://{ENTRA_APP}").json()["access_token"], audience=ENTRA_APP)
    assert app["ver"] == "2.0" and app["roles"] == ["mcp:tools"] and "scp" not in app
    assert app["azp"] == M2M_ID and app["azpacr"] == "1" and app["nbf"] == app["iat"] and "appid" not in app
    body, _ = idp.code_flow(scope="openid mcp:tools", audience=f"api://{ENTRA_APP}")
    token = body["access_token"]
    user = idp.verify(token, audience=ENTRA_APP)
    assert (
        user["scp"] == "mcp:tools"
        and user["azpacr"] == "0"
        and user["preferred_username"] == "alice@example.test"
    )
    assert (
        user["tid"] == app["tid"]
        and len(user["sub"]) == 43
        and list(header_of(token)) == ["typ", "alg", "kid"]
    )


def test_entra_v1_aud_is_the_identifier_uri_with_appid(idp: Idp) -> None:
    idp.patch({"emulator": {"token_profiles": {"authstage-gateway": "entra_v1"}}})
    token = idp.cc().json()["access_token"]
    claims = idp.verify(token)
    assert claims["aud"] == GATEWAY and claims["appid"] == M2M_ID and claims["appidacr"] == "1"
    assert claims["ver"] == "1.0" and claims["roles"] == ["mcp:tools"] and "azp" not in claims
    header = header_of(token)
    assert list(header) == ["typ", "alg", "x5t", "kid"] and header["x5t"] == header["kid"]
    body, _ = idp.code_flow(scope="openid mcp:tools")
    user = idp.verify(body["access_token"], audience=[GATEWAY, idp.issuer + "userinfo"])
    assert (
        user["scp"] == "mcp:tools" and user["unique_name"] == "alice@example.test" and user["amr"] == ["pwd"]
    )
    assert user["roles"] == ["mcp:tools", "mcp:admin"]  # RBAC permissions of the user -> app roles


def test_profiles_follow_the_tenant_faults_and_issuer(idp: Idp) -> None:
    idp.patch(
        {
            "emulator": {"token_profiles": {"authstage-gateway": "okta"}},
            "faults": {
                "jwks_kid_mode": "omit_kid",
                "issuer_override": "https://dev-123456.okta.com/oauth2/default",
            },
        }
    )
    token = idp.cc().json()["access_token"]
    assert header_of(token) == {"alg": "RS256"}
    assert claims_of(token)["iss"] == "https://dev-123456.okta.com/oauth2/default"


def test_unknown_api_or_profile_is_rejected_at_load(idp: Idp) -> None:
    doc = idp.control.tenant.model_dump(mode="json", exclude_none=True)
    with pytest.raises(
        TenantConfigError, match=r"token_profiles: 'nope' is neither an API name nor an identifier"
    ):
        Tenant.load({**doc, "emulator": {"token_profiles": {"nope": "okta"}}})
    with pytest.raises(
        TenantConfigError, match=r"emulator\.token_profiles\.sample-search: Input should be 'auth0'"
    ):
        Tenant.load({**doc, "emulator": {"token_profiles": {"sample-search": "keycloak"}}})
    assert Tenant.load({**doc, "emulator": {"token_profiles": {MCP: "entra_v2"}}})
