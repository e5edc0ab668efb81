"""RFC 8693 token exchange as Auth0 Custom Token Exchange: profiles, act claim, Auth0's rejections."""

from __future__ import annotations

import pytest

from fake_idp.demo import DEMO_SUBJECT_TOKEN_TYPE
from fake_idp.tenant import Tenant, TenantConfigError
from tests.fake_idp.conftest import GATEWAY, MCP, OUTBOUND_ID, OUTBOUND_SECRET, Idp

TE = "urn:ietf:params:oauth:grant-type:token-exchange"


def _exchange(idp: Idp, subject: str, **extra: str):  # type: ignore[no-untyped-def]
    body = {
        "grant_type": TE,
        "client_id": OUTBOUND_ID,
        "client_secret": OUTBOUND_SECRET,
        "subject_token": subject,
        "subject_token_type": DEMO_SUBJECT_TOKEN_TYPE,
        "audience": MCP,
    }
    body.update(extra)
    return idp.http.post("/oauth/token", data={k: v for k, v in body.items() if v is not None})


def _alice_token(idp: Idp) -> str:
    return idp.code_flow(scope="mcp:tools")[0]["access_token"]


def test_exchange_gives_delegated_token_with_act(idp: Idp) -> None:
    r = _exchange(idp, _alice_token(idp))
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["issued_token_type"] == "urn:ietf:params:oauth:token-type:access_token"
    claims = idp.verify(body["access_token"], audience=MCP)
    assert claims["sub"] == "auth0|alice" and claims["act"] == {"sub": OUTBOUND_ID}
    assert claims["client_id"] == OUTBOUND_ID and claims["scope"] == "search:read"


def test_nested_act_for_a_second_hop(idp: Idp) -> None:
    idp.patch({"token_exchange_profiles": [{"name": "any", "subject_token_type": DEMO_SUBJECT_TOKEN_TYPE}]})
    first = _exchange(idp, _alice_token(idp), audience=GATEWAY).json()["access_token"]
    second = _exchange(idp, first).json()["access_token"]
    assert idp.verify(second, audience=MCP)["act"] == {"sub": OUTBOUND_ID, "act": {"sub": OUTBOUND_ID}}


def test_standard_rfc8693_type_has_no_profile(idp: Idp) -> None:
    r = _exchange(idp, _alice_token(idp), subject_token_type="urn:ietf:params:oauth:token-type:access_token")
    assert r.status_code == 400
    assert r.json() == {
        "error": "invalid_request",
        "error_description": "Invalid subject_token_type and requested_token_type combination.",
    }
    assert "reserved" in idp.last("/oauth/token")["reason"]


def test_requested_token_type_is_rejected_with_a_custom_type(idp: Idp) -> None:
    r = _exchange(
        idp, _alice_token(idp), requested_token_type="urn:ietf:params:oauth:token-type:access_token"
    )
    assert (
        r.status_code == 400
        and r.json()["error_description"]
        == "Invalid subject_token_type and requested_token_type combination."
    )
    assert "agentgateway#2891" in idp.last("/oauth/token")["reason"]


def test_subject_token_checks(idp: Idp) -> None:
    r = _exchange(idp, "not-a-jwt")
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    m2m = idp.cc().json()["access_token"]
    r = _exchange(idp, m2m)
    assert r.status_code == 400 and "not a user" in idp.last("/oauth/token")["reason"]
    wrong_aud = idp.code_flow(scope="search:read", audience=MCP)[0]["access_token"]
    r = _exchange(idp, wrong_aud)
    assert r.status_code == 400 and "requires subject aud" in idp.last("/oauth/token")["reason"]
    idp.control.clock.advance(86400 * 2)
    r = _exchange(idp, _alice_token(idp))
    assert r.status_code == 200


def test_expired_subject_token(idp: Idp) -> None:
    token = _alice_token(idp)
    idp.control.clock.advance(86401)
    r = _exchange(idp, token)
    assert r.status_code == 400 and "expired" in idp.last("/oauth/token")["reason"]


def test_missing_parameters_and_client_rules(idp: Idp) -> None:
    r = _exchange(idp, _alice_token(idp), subject_token_type=None)
    assert r.json()["error_description"] == "Missing required parameter: subject_token_type"
    r = _exchange(idp, "x", client_secret="wrong")
    assert r.status_code == 401
    r = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": TE,
            "client_id": "DEMOm2mClient0000000000000000001",
            "client_secret": "demo-secret-not-for-production-m2m-0001",
            "subject_token": "x",
            "subject_token_type": DEMO_SUBJECT_TOKEN_TYPE,
        },
    )
    assert r.status_code == 403 and r.json()["error"] == "unauthorized_client"


def test_unverified_action_trusts_any_jwt(idp: Idp) -> None:
    import jwt as pyjwt

    forged = pyjwt.encode(
        {"sub": "auth0|alice", "aud": GATEWAY}, "not-the-tenant-key-" * 3, algorithm="HS256"
    )
    assert _exchange(idp, forged).status_code == 400
    idp.patch(
        {
            "token_exchange_profiles": [
                {
                    "name": "careless",
                    "subject_token_type": DEMO_SUBJECT_TOKEN_TYPE,
                    "action": {"subject_token": "any_jwt_unverified"},
                }
            ]
        }
    )
    assert _exchange(idp, forged).status_code == 200


def test_reserved_profile_types_are_rejected_at_load() -> None:
    with pytest.raises(TenantConfigError, match="reserved namespace"):
        Tenant.load(
            {
                "token_exchange_profiles": [
                    {"name": "std", "subject_token_type": "urn:ietf:params:oauth:token-type:access_token"}
                ]
            }
        )


def test_profile_without_actor(idp: Idp) -> None:
    idp.patch(
        {
            "token_exchange_profiles": [
                {
                    "name": "impersonate",
                    "subject_token_type": DEMO_SUBJECT_TOKEN_TYPE,
                    "action": {"set_actor": "none"},
                }
            ]
        }
    )
    claims = idp.verify(_exchange(idp, _alice_token(idp)).json()["access_token"], audience=MCP)
    assert "act" not in claims and claims["sub"] == "auth0|alice"
