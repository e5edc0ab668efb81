"""authorization_code (+ PKCE hook) and refresh_token grants: shapes, single use, rotation, reuse detection."""

from __future__ import annotations

import jwt
import pytest

from fake_idp.grants import AuthorizationCodeGrant, ClientCredentialsGrant, RefreshTokenGrant
from fake_idp.id_jag import JwtBearerGrant
from fake_idp.token import GRANTS
from fake_idp.token_exchange import TokenExchangeGrant
from tests.fake_idp.conftest import CLI_CALLBACK, CLI_ID, GATEWAY, Idp, claims_of, pkce_pair, query_of


def _code(idp: Idp, challenge: str | None = None, **params: object) -> str:
    extra = {"code_challenge": challenge, "code_challenge_method": "S256"} if challenge else {}
    r = idp.authorize(
        scope=params.pop("scope", "openid mcp:tools offline_access"), audience=GATEWAY, **extra, **params
    )
    return query_of(r.headers["location"])["code"]


def _exchange(idp: Idp, code: str, **extra: str):  # type: ignore[no-untyped-def]
    body = {
        "grant_type": "authorization_code",
        "client_id": CLI_ID,
        "code": code,
        "redirect_uri": CLI_CALLBACK,
    }
    body.update(extra)
    return idp.http.post("/oauth/token", data={k: v for k, v in body.items() if v is not None})


def _refresh(idp: Idp, rt: str, **extra: str):  # type: ignore[no-untyped-def]
    return idp.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "client_id": CLI_ID, "refresh_token": rt, **extra},
    )


def test_grants_are_classes_in_a_dispatch_dict() -> None:
    assert {
        "client_credentials": ClientCredentialsGrant,
        "authorization_code": AuthorizationCodeGrant,
        "refresh_token": RefreshTokenGrant,
        "urn:ietf:params:oauth:grant-type:token-exchange": TokenExchangeGrant,
        "urn:ietf:params:oauth:grant-type:jwt-bearer": JwtBearerGrant,
    } == GRANTS
    assert [h.__qualname__ for h in AuthorizationCodeGrant._hooks["after_validate_code"]] == [
        "CodeChallenge.validate_code_verifier"
    ]


def test_code_flow_with_openid_gives_array_aud_id_token_and_refresh_token(idp: Idp) -> None:
    body, r = idp.code_flow()
    assert r.status_code == 200
    assert list(body) == ["access_token", "id_token", "refresh_token", "scope", "expires_in", "token_type"]
    assert body["scope"] == "openid profile email mcp:tools offline_access"
    claims = idp.verify(body["access_token"])
    assert claims["aud"] == [GATEWAY, idp.url + "/userinfo"]  # array only with openid + API
    assert claims["sub"] == "auth0|alice" and claims["client_id"] == CLI_ID
    assert claims["permissions"] == ["mcp:tools", "mcp:admin"]
    idt = idp.verify(body["id_token"], audience=CLI_ID)
    assert idt["email"] == "alice@example.test" and idt["name"] == "Alice Example"
    assert idt["exp"] - idt["iat"] == 36000
    assert body["refresh_token"].startswith("v1.M") and len(body["refresh_token"]) == 64


def test_without_openid_aud_is_a_string_and_no_id_token(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="mcp:tools")
    assert "id_token" not in body and "refresh_token" not in body
    assert idp.verify(body["access_token"])["aud"] == GATEWAY


def test_nonce_in_id_token(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid", nonce="n-123")
    assert idp.verify(body["id_token"], audience=CLI_ID)["nonce"] == "n-123"


def test_rbac_scope_is_intersection_bob_gets_no_mcp_tools(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="mcp:tools", login_hint="bob@example.test")
    claims = idp.verify(body["access_token"])
    assert "scope" not in claims and claims["permissions"] == []  # the gateway answers 403 step-up
    idp.patch_api(enforce_policies=False)
    body, _ = idp.code_flow(scope="mcp:tools", login_hint="bob@example.test")
    claims = idp.verify(body["access_token"])
    assert claims["scope"] == "mcp:tools" and claims["permissions"] == []


def test_rbac_scope_is_the_intersection_for_a_user_with_some_permissions(idp: Idp) -> None:
    """A user who holds one of the two requested API scopes gets exactly that one (requested ∩ permissions):
    neither everything requested nor nothing. With RBAC off the request alone decides."""
    users = [u.model_dump(mode="json") for u in idp.control.tenant.users]
    for user in users:
        if user["email"] == "alice@example.test":
            user["permissions"]["authstage-gateway"] = ["mcp:tools"]
    idp.patch({"users": users})
    body, _ = idp.code_flow(scope="openid mcp:tools mcp:admin")
    claims = idp.verify(body["access_token"], audience=[GATEWAY, f"{idp.issuer}userinfo"])
    assert claims["scope"].split() == ["openid", "mcp:tools"] and claims["permissions"] == ["mcp:tools"]
    idp.patch_api(enforce_policies=False)
    body, _ = idp.code_flow(scope="openid mcp:tools mcp:admin")
    claims = idp.verify(body["access_token"], audience=[GATEWAY, f"{idp.issuer}userinfo"])
    assert claims["scope"].split() == ["openid", "mcp:tools", "mcp:admin"]


def test_rbac_without_requested_scopes_leaves_rights_only_in_permissions(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid")
    claims = idp.verify(body["access_token"])
    assert claims["scope"] == "openid" and claims["permissions"] == ["mcp:tools", "mcp:admin"]  # F-11


def test_code_is_single_use_and_reuse_revokes_its_refresh_tokens(idp: Idp) -> None:
    verifier, challenge = pkce_pair()
    code = _code(idp, challenge)
    first = _exchange(idp, code, code_verifier=verifier)
    assert first.status_code == 200
    again = _exchange(idp, code, code_verifier=verifier)
    assert again.status_code == 403 and again.json() == {
        "error": "invalid_grant",
        "error_description": "Invalid authorization code",
    }
    assert "already used" in idp.last("/oauth/token")["reason"]
    assert _refresh(idp, first.json()["refresh_token"]).status_code == 403


def test_unknown_code(idp: Idp) -> None:
    r = _exchange(idp, "nope")
    assert r.status_code == 403 and r.json()["error_description"] == "Invalid authorization code"
    r = idp.http.post("/oauth/token", data={"grant_type": "authorization_code", "client_id": CLI_ID})
    assert r.json() == {"error": "invalid_request", "error_description": "Missing required parameter: code"}


def test_code_expires_on_the_tenant_clock(idp: Idp) -> None:
    idp.control.clock.freeze()
    code = _code(idp)
    idp.control.clock.advance(601)
    r = _exchange(idp, code)
    assert r.status_code == 403 and "expired" in idp.last("/oauth/token")["reason"]


def test_redirect_uri_must_match(idp: Idp) -> None:
    code = _code(idp)
    r = _exchange(idp, code, redirect_uri="http://localhost:8976/callback")
    assert r.status_code == 403
    assert r.json() == {
        "error": "unauthorized_client",
        "error_description": f"The redirect URI is wrong. You sent http://localhost:8976/callback, and we expected {CLI_CALLBACK}",
    }


def test_pkce_wrong_and_missing_verifier(idp: Idp) -> None:
    _, challenge = pkce_pair()
    other, _ = pkce_pair()
    r = _exchange(idp, _code(idp, challenge), code_verifier=other)
    assert r.status_code == 403 and r.json() == {
        "error": "invalid_grant",
        "error_description": "Failed to verify code verifier",
    }
    r = _exchange(idp, _code(idp, challenge))
    assert r.status_code == 403 and "no code_verifier" in idp.last("/oauth/token")["reason"]
    r = _exchange(idp, _code(idp, challenge), code_verifier="short")
    assert r.status_code == 403


def test_code_of_another_client(idp: Idp) -> None:
    code = _code(idp)
    reg = idp.http.post(
        "/oidc/register", json={"redirect_uris": [CLI_CALLBACK], "token_endpoint_auth_method": "none"}
    ).json()
    r = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": reg["client_id"],
            "code": code,
            "redirect_uri": CLI_CALLBACK,
        },
    )
    assert r.status_code == 403 and "issued to client" in idp.last("/oauth/token")["reason"]


def test_rotating_refresh_returns_new_rt_and_detects_reuse(idp: Idp) -> None:
    body, _ = idp.code_flow()
    rt1 = body["refresh_token"]
    r = _refresh(idp, rt1)
    assert r.status_code == 200
    new = r.json()
    assert list(new) == ["access_token", "refresh_token", "expires_in", "scope", "id_token", "token_type"]
    claims = idp.verify(new["access_token"])
    assert "gty" not in claims  # rfc9068 dialect has no gty
    rt2 = new["refresh_token"]
    reuse = _refresh(idp, rt1)
    assert reuse.status_code == 403 and reuse.json() == {
        "error": "invalid_grant",
        "error_description": "Unknown or invalid refresh token.",
    }
    assert "ferrt" in idp.last("/oauth/token")["reason"]
    assert _refresh(idp, rt2).status_code == 403  # the whole family is dead (F-15)


def test_refresh_leeway_allows_parallel_reuse(idp: Idp) -> None:
    idp.patch_client(
        "demo-cli", refresh_token={"rotation_type": "rotating", "expiration_type": "expiring", "leeway": 30}
    )
    idp.control.clock.freeze()
    rt1 = idp.code_flow()[0]["refresh_token"]
    assert _refresh(idp, rt1).status_code == 200
    idp.control.clock.advance(10)
    assert _refresh(idp, rt1).status_code == 200
    idp.control.clock.advance(30)
    assert _refresh(idp, rt1).status_code == 403


def test_refresh_reuse_detection_off(idp: Idp) -> None:
    idp.patch({"faults": {"refresh_reuse_detection": "off"}})
    rt1 = idp.code_flow()[0]["refresh_token"]
    assert _refresh(idp, rt1).status_code == 200
    assert _refresh(idp, rt1).status_code == 200


def test_non_rotating_refresh_returns_no_new_rt_and_gty(idp: Idp) -> None:
    idp.patch_client("demo-cli", refresh_token={"rotation_type": "non-rotating"})
    idp.patch_api(token_dialect="access_token")
    rt = idp.code_flow()[0]["refresh_token"]
    for _ in range(2):
        r = _refresh(idp, rt)
        assert r.status_code == 200 and "refresh_token" not in r.json()
    assert list(r.json()) == ["access_token", "expires_in", "scope", "id_token", "token_type"]
    assert idp.verify(r.json()["access_token"])["gty"] == "refresh_token"


def test_offline_access_off_silently_omits_refresh_token(idp: Idp) -> None:
    idp.patch_api(allow_offline_access=False)
    body, _ = idp.code_flow()
    assert "refresh_token" not in body and "offline_access" not in body["scope"]  # F-16


def test_refresh_scope_can_narrow_not_widen(idp: Idp) -> None:
    rt = idp.code_flow(scope="openid mcp:tools offline_access")[0]["refresh_token"]
    r = _refresh(idp, rt, scope="mcp:tools mcp:admin")
    assert r.status_code == 200 and r.json()["scope"] == "mcp:tools"


def test_refresh_token_expiry_on_the_clock(idp: Idp) -> None:
    idp.control.clock.freeze()
    rt = idp.code_flow()[0]["refresh_token"]
    idp.control.clock.advance(2592000 + 1)
    r = _refresh(idp, rt)
    assert r.status_code == 403 and "lifetime" in idp.last("/oauth/token")["reason"]


def test_refresh_for_deleted_user_fault(idp: Idp) -> None:
    rt = idp.code_flow()[0]["refresh_token"]
    idp.patch({"faults": {"refresh_user_deleted": ["auth0|alice"]}})
    r = _refresh(idp, rt)
    assert r.json() == {
        "error": "invalid_grant",
        "error_description": "The refresh_token was generated for a user who doesn't exist anymore.",
    }


def test_refresh_errors(idp: Idp) -> None:
    assert _refresh(idp, "v1.Mnope").status_code == 403
    r = idp.http.post("/oauth/token", data={"grant_type": "refresh_token", "client_id": CLI_ID})
    assert r.json()["error_description"] == "Missing required parameter: refresh_token"


def test_opaque_userinfo_token_refresh_stays_opaque(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid offline_access", audience=None)
    assert body["access_token"].count(".") == 4
    r = _refresh(idp, body["refresh_token"])
    assert r.json()["access_token"].count(".") == 4
    with pytest.raises(jwt.DecodeError):
        jwt.decode(r.json()["access_token"], options={"verify_signature": False})


def test_id_token_hs256_signed_with_client_secret(idp: Idp) -> None:
    secret = "demo-secret-not-for-production-cli-hs256-000000000000"
    idp.patch_client(
        "demo-cli",
        token_endpoint_auth_method="client_secret_post",
        client_secret=secret,
        jwt_configuration={"alg": "HS256"},
    )
    verifier, challenge = pkce_pair()
    code = _code(idp, challenge, scope="openid")
    r = _exchange(idp, code, code_verifier=verifier, client_secret=secret)
    idt = r.json()["id_token"]
    assert jwt.decode(idt, secret, algorithms=["HS256"], audience=CLI_ID)["sub"] == "auth0|alice"
    assert claims_of(idt)["aud"] == CLI_ID


def test_token_resource_mismatch_knob(idp: Idp) -> None:
    verifier, challenge = pkce_pair()
    code = _code(idp, challenge, resource=GATEWAY)
    r = _exchange(idp, code, code_verifier=verifier, resource="http://127.0.0.1:8001/mcp")
    assert r.status_code == 200 and idp.verify(r.json()["access_token"])["aud"][0] == GATEWAY
    idp.patch({"emulator": {"token_resource_mismatch": "reject"}})
    code = _code(idp, challenge, resource=GATEWAY)
    r = _exchange(idp, code, code_verifier=verifier, resource="http://127.0.0.1:8001/mcp")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"


def test_refresh_idle_lifetime(idp: Idp) -> None:
    idp.patch_client(
        "demo-cli",
        refresh_token={
            "rotation_type": "non-rotating",
            "expiration_type": "expiring",
            "token_lifetime": 100000,
            "idle_token_lifetime": 100,
        },
    )
    idp.control.clock.freeze()
    rt = idp.code_flow()[0]["refresh_token"]
    idp.control.clock.advance(50)
    assert _refresh(idp, rt).status_code == 200
    idp.control.clock.advance(101)
    assert _refresh(idp, rt).status_code == 403 and "idle" in idp.last("/oauth/token")["reason"]


def test_authorization_code_lifetime_knob(idp: Idp) -> None:
    idp.patch({"emulator": {"authorization_code_lifetime": 5}})
    idp.control.clock.freeze()
    code = _code(idp)
    idp.control.clock.advance(6)
    assert _exchange(idp, code).status_code == 403
