"""The CUSTOM_JWT authorizer over real HTTP: sheet §13 items 1, 3-15 and the token traps of each IdP shape."""

from __future__ import annotations

import json
import time
from typing import Any

import jwt as pyjwt
import pytest

from authstage_kit.jwks import Keys
from fake_gateway import Gateway, explain_token
from fake_gateway.authorizer import evaluate_jwt
from fake_gateway.settings import Emulator, JwtConfig
from tests.fake_gateway.conftest import (
    COGNITO_CLIENT,
    ENTRA_APP,
    INIT,
    MCP_HEADERS,
    FakeIdP,
    jwt_document,
    rpc,
    rsa_key,
)

INVALID = b'{"jsonrpc":"2.0","error":{"code":-32001,"message":"Invalid Bearer token"}}'


def call(gw: Any, token: str | None = None, body: dict[str, Any] | None = None, **headers: str) -> Any:
    hdrs = dict(MCP_HEADERS)
    if token is not None:
        hdrs["Authorization"] = token if " " in token else f"Bearer {token}"
    hdrs.update(headers)
    with gw.client() as client:
        return client.post("/mcp", json=body or INIT, headers=hdrs)


def challenge(gw: Any, error: str | None, scope: str | None) -> str:
    parts = [f'error="{error}"'] if error else []
    if scope:
        parts.append(f'scope="{scope}"')
    parts.append(f'resource_metadata="{gw.url}/.well-known/oauth-protected-resource"')
    return "Bearer " + ", ".join(parts)


def last_reason(gw: Any) -> str:
    return gw.control.records()[-1]["reason"]


# --- §13 item 1: missing token ------------------------------------------------------------------------------


def test_missing_token_gets_observed_challenge_and_body(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedScopes=["access_as_user"]))
    response = call(gw)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge(gw, "invalid_token", "access_as_user")
    assert response.content == INVALID
    assert response.headers["content-type"] == "application/json"
    assert last_reason(gw) == "no Authorization header"


def test_missing_token_knobs_message_id_and_legacy_challenge(idp: FakeIdP, start_gateway: Any) -> None:
    doc = jwt_document(
        idp,
        allowedAudience=["gw"],
        emulator={"missingTokenMessage": "Missing Bearer token", "errorId": "string-null"},
    )
    gw = start_gateway(doc)
    response = call(gw)
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": "null",
        "error": {"code": -32001, "message": "Missing Bearer token"},
    }
    # no allowedScopes -> no scope= parameter (INFERRED)
    assert response.headers["www-authenticate"] == challenge(gw, "invalid_token", None)
    # a bad token still says "Invalid Bearer token"
    assert call(gw, "not-a-jwt").json()["error"]["message"] == "Invalid Bearer token"

    legacy = start_gateway(
        jwt_document(idp, allowedScopes=["s"], emulator={"legacyChallenge": True, "errorId": "null"})
    )
    response = call(legacy)
    assert response.headers["www-authenticate"] == challenge(legacy, None, None)
    assert response.json() == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32001, "message": "Invalid Bearer token"},
    }


# --- §13 items 3-6: audience and client traps ---------------------------------------------------------------


def cognito_token(idp: FakeIdP, **claims: Any) -> str:
    base = {"client_id": COGNITO_CLIENT, "scope": "gw/invoke", "token_use": "access", "sub": COGNITO_CLIENT}
    return idp.mint("cognito", {**base, **claims})


def test_cognito_token_rejected_by_allowed_audience(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 3 / U1: Cognito access tokens have no aud; allowedAudience=[clientId] rejects them."""
    gw = start_gateway(jwt_document(idp, "cognito", allowedAudience=[COGNITO_CLIENT]))
    response = call(gw, cognito_token(idp))
    assert response.status_code == 401
    assert response.content == INVALID
    assert response.headers["www-authenticate"] == challenge(gw, "invalid_token", None)
    assert last_reason(gw) == f"the token has no aud claim; allowedAudience is ['{COGNITO_CLIENT}']"


def test_cognito_token_accepted_by_allowed_clients(
    idp: FakeIdP, start_gateway: Any, tiny_target: Any
) -> None:
    """Item 4: the correct Cognito config lists tools."""
    target = {
        "name": "tiny",
        "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": tiny_target.mcp_url}}},
    }
    gw = start_gateway(jwt_document(idp, "cognito", allowedClients=[COGNITO_CLIENT], targets=[target]))
    token = cognito_token(idp)
    assert call(gw, token).status_code == 200
    listed = call(gw, token, rpc("tools/list"), **{"MCP-Protocol-Version": "2025-06-18"})
    assert listed.status_code == 200
    assert [t["name"] for t in listed.json()["result"]["tools"]] == ["tiny___count", "tiny___lookup_order"]


@pytest.mark.parametrize(
    ("tenant", "claims", "present"),
    [
        ("auth0", {"azp": "auth0-client", "aud": "https://api.example.com"}, "azp"),
        ("okta", {"cid": "0oa1okta", "aud": "api://agentcore-gateway", "scp": ["access_as_user"]}, "cid"),
    ],
)
def test_auth0_and_okta_tokens_fail_allowed_clients(
    idp: FakeIdP, start_gateway: Any, tenant: str, claims: dict[str, Any], present: str
) -> None:
    """Item 5 / U2: no azp/cid fallback for allowedClients."""
    client = claims.get("azp") or claims.get("cid")
    gw = start_gateway(jwt_document(idp, tenant, allowedClients=[client]))
    response = call(gw, idp.mint(tenant, claims))
    assert response.status_code == 401
    assert response.content == INVALID
    reason = last_reason(gw)
    assert reason.startswith(f"the token has no client_id claim (it has {{'{present}': '{client}'}})")
    # the same token passes when the audience is what is checked
    gw2 = start_gateway(jwt_document(idp, tenant, allowedAudience=[claims["aud"]]))
    assert call(gw2, idp.mint(tenant, claims)).status_code == 200


def test_audience_and_clients_are_anded(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 6: aud matches, client_id does not -> 401."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"], allowedClients=["good"]))
    assert call(gw, idp.mint(aud="api", client_id="good")).status_code == 200
    response = call(gw, idp.mint(aud="api", client_id="other"))
    assert response.status_code == 401
    assert last_reason(gw) == "client_id 'other' not in allowedClients ['good']"
    assert call(gw, idp.mint(aud="nope", client_id="good")).status_code == 401


# --- §13 items 7-8: scopes -------------------------------------------------------------------------------


def test_missing_scope_is_403_insufficient_scope(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 7."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"], allowedScopes=["mcp:tools", "mcp:admin"]))
    response = call(gw, idp.mint(aud="api", scope="openid profile"))
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == challenge(gw, "insufficient_scope", "mcp:tools mcp:admin")
    assert response.json() == {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Insufficient scope"}}
    assert (
        last_reason(gw)
        == "scopes ['openid', 'profile'] share none with allowedScopes ['mcp:tools', 'mcp:admin']"
    )
    # a wrong audience wins over the scope failure: 401
    assert call(gw, idp.mint(aud="other", scope="openid")).status_code == 401


@pytest.mark.parametrize(
    ("tenant", "claims"),
    [
        ("cognito", {"client_id": COGNITO_CLIENT, "scope": "openid gw/invoke"}),  # `scope`, string
        ("okta", {"cid": "0oa1", "scp": ["openid", "gw/invoke"]}),  # `scp`, array (Okta)
        ("entra-v2", {"azp": ENTRA_APP, "scp": "gw/invoke User.Read"}),  # `scp`, string (Entra)
        ("auth0", {"azp": "c", "scope": ["gw/invoke"]}),  # `scope` as an array
    ],
)
def test_scope_and_scp_claims_both_count(
    idp: FakeIdP, start_gateway: Any, tenant: str, claims: dict[str, Any]
) -> None:
    """Item 8."""
    gw = start_gateway(jwt_document(idp, tenant, allowedScopes=["gw/invoke"]))
    assert call(gw, idp.mint(tenant, claims)).status_code == 200


# --- §13 items 9-11: Entra audience, issuer mismatches ------------------------------------------------------


def test_entra_v2_guid_audience_vs_api_uri(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 9 / U4: v2 tokens carry the bare GUID; api://GUID in allowedAudience rejects them."""
    token = idp.mint("entra-v2", {"aud": ENTRA_APP, "azp": "client", "scp": "access_as_user"})
    wrong = start_gateway(jwt_document(idp, "entra-v2", allowedAudience=[f"api://{ENTRA_APP}"]))
    response = call(wrong, token)
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == challenge(wrong, "invalid_token", None)
    right = start_gateway(jwt_document(idp, "entra-v2", allowedAudience=[ENTRA_APP]))
    assert call(right, token).status_code == 200


def test_entra_v1_discovery_with_v2_token_is_reported_403(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 10 / U5: iss mismatch surfaces as 403 insufficient_scope although scp is right (knob for 401)."""
    token = idp.mint("entra-v2", {"aud": ENTRA_APP, "scp": "access_as_user"})
    gw = start_gateway(
        jwt_document(idp, "entra-v1", allowedAudience=[ENTRA_APP], allowedScopes=["access_as_user"])
    )
    response = call(gw, token)
    assert response.status_code == 403
    assert response.headers["www-authenticate"] == challenge(gw, "insufficient_scope", "access_as_user")
    assert "is not the discovery issuer" in last_reason(gw)
    strict = start_gateway(
        jwt_document(
            idp,
            "entra-v1",
            allowedAudience=[ENTRA_APP],
            allowedScopes=["access_as_user"],
            emulator={"issuerMismatchStatus": 401},
        )
    )
    response = call(strict, token)
    assert response.status_code == 401
    assert response.content == INVALID


def test_foreign_cognito_pool_token(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 11 / U23: another pool (other iss, other keys) -> 403 observed; 401 in strict mode."""
    token = idp.mint("cognito-other", {"client_id": COGNITO_CLIENT, "scope": "gw/invoke"})
    gw = start_gateway(jwt_document(idp, "cognito", allowedClients=[COGNITO_CLIENT]))
    assert call(gw, token).status_code == 403
    strict = start_gateway(
        jwt_document(idp, "cognito", allowedClients=[COGNITO_CLIENT], emulator={"issuerMismatchStatus": 401})
    )
    assert call(strict, token).status_code == 401


def test_okta_org_authorization_server_discovery(idp: FakeIdP, start_gateway: Any) -> None:
    """U6: discoveryUrl at the org AS; custom-AS tokens fail the issuer check."""
    token = idp.mint("okta", {"cid": "0oa1", "aud": "api://agentcore-gateway", "scp": ["access_as_user"]})
    gw = start_gateway(
        jwt_document(
            idp, "okta-org", allowedAudience=["api://agentcore-gateway"], allowedScopes=["access_as_user"]
        )
    )
    assert call(gw, token).status_code == 403


# --- §13 items 12-13: expiry, SigV4 -------------------------------------------------------------------------


def test_expired_token_and_leeway(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 12."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    expired = idp.mint(aud="api", exp=int(time.time()) - 10)
    response = call(gw, expired)
    assert response.status_code == 401
    assert response.content == INVALID
    assert last_reason(gw).startswith("the token expired 1")
    lenient = start_gateway(jwt_document(idp, allowedAudience=["api"], emulator={"leewaySeconds": 60}))
    assert call(lenient, expired).status_code == 200
    future = idp.mint(aud="api", nbf=int(time.time()) + 120)
    assert call(gw, future).status_code == 401
    assert "not valid for another" in last_reason(gw)


def test_iat_in_the_future_is_401_unless_leeway_or_knob(idp: FakeIdP, start_gateway: Any) -> None:
    """Knob rejectFutureIat (API Gateway JWT authorizer analogy): an IdP clock ahead of the gateway's."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    ahead = idp.mint(aud="api", iat=int(time.time()) + 120)
    response = call(gw, ahead)
    assert response.status_code == 401 and response.content == INVALID
    assert "s in the future (leeway 0 s): the issuer's clock is ahead" in last_reason(gw)
    assert call(gw, idp.mint(aud="api", iat=int(time.time()) - 5)).status_code == 200
    lenient = start_gateway(jwt_document(idp, allowedAudience=["api"], emulator={"leewaySeconds": 300}))
    assert call(lenient, ahead).status_code == 200
    off = start_gateway(jwt_document(idp, allowedAudience=["api"], emulator={"rejectFutureIat": False}))
    assert call(off, ahead).status_code == 200


def test_trailing_slash_audience_is_exact_and_explained(idp: FakeIdP) -> None:
    discovery, jwks = _documents(idp, "auth0")
    gateway = Gateway.from_document(jwt_document(idp, allowedAudience=["https://gw.example/mcp/"]))
    token = idp.mint(aud="https://gw.example/mcp")
    checks = {c.name: c for c in explain_token(token, gateway, discovery=discovery, jwks=jwks)}
    assert checks["aud"].passed is False
    assert checks["aud"].reason == "aud 'https://gw.example/mcp' not in allowedAudience ['https://gw.example/mcp/']"
    assert "differ only by a trailing slash" in (checks["aud"].fix or "")


def test_expiry_follows_the_gateway_clock(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    token = idp.mint(aud="api", lifetime=300)
    assert call(gw, token).status_code == 200
    with gw.client() as client:
        assert client.post("/_authstage/clock", json={"advance": 301}).json()["offset"] == 301
    assert call(gw, token).status_code == 401


def test_sigv4_header_at_jwt_gateway(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 13 / U3 (OBSERVED body)."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    sigv4 = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250816/us-east-1/bedrock-agentcore/aws4_request, "
        "SignedHeaders=content-type;host;x-amz-date, Signature=" + "a" * 64
    )
    response = call(gw, sigv4, **{"X-Amz-Date": "20250816T000000Z"})
    assert response.status_code == 401
    assert response.content == INVALID
    assert "SigV4" in last_reason(gw)


# --- §13 item 14: customClaims ------------------------------------------------------------------------------


def rule(name: str, vtype: str, op: str, value: Any) -> dict[str, Any]:
    key = "matchValueStringList" if isinstance(value, list) else "matchValueString"
    return {
        "inboundTokenClaimName": name,
        "inboundTokenClaimValueType": vtype,
        "authorizingClaimMatchValue": {"claimMatchValue": {key: value}, "claimMatchOperator": op},
    }


@pytest.mark.parametrize(
    ("claims", "status", "reason"),
    [
        ({"department": "engineering", "roles": ["admin", "dev"], "permissions": ["write"]}, 200, None),
        (
            {"department": "sales", "roles": ["admin"], "permissions": ["read"]},
            401,
            "claim 'department' is 'sales'; rule EQUALS 'engineering'",
        ),
        (
            {"department": "engineering", "roles": ["dev"], "permissions": ["read"]},
            401,
            "claim 'roles' is ['dev']; rule CONTAINS 'admin'",
        ),
        (
            {"department": "engineering", "roles": ["admin"], "permissions": ["delete"]},
            401,
            "claim 'permissions' is ['delete']; rule CONTAINS_ANY ['read', 'write']",
        ),
        (
            {"roles": ["admin"], "permissions": ["read"]},
            401,
            "the token has no 'department' claim (rule: EQUALS 'engineering')",
        ),
        (
            {"department": ["engineering"], "roles": ["admin"], "permissions": ["read"]},
            401,
            "claim 'department' is list ['engineering'], rule expects STRING",
        ),
        (
            {"department": "engineering", "roles": "admin", "permissions": ["read"]},
            401,
            "claim 'roles' is str 'admin', rule expects STRING_ARRAY",
        ),
    ],
)
def test_custom_claims_operators(
    idp: FakeIdP, start_gateway: Any, claims: dict[str, Any], status: int, reason: str | None
) -> None:
    rules = [
        rule("department", "STRING", "EQUALS", "engineering"),
        rule("roles", "STRING_ARRAY", "CONTAINS", "admin"),
        rule("permissions", "STRING_ARRAY", "CONTAINS_ANY", ["read", "write"]),
    ]
    gw = start_gateway(jwt_document(idp, customClaims=rules))
    response = call(gw, idp.mint(claims=claims))
    assert response.status_code == status
    if reason:
        assert last_reason(gw) == reason
        assert response.content == INVALID


def test_custom_claims_failure_status_knob(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(
        jwt_document(
            idp,
            customClaims=[rule("tier", "STRING", "EQUALS", "gold")],
            emulator={"customClaimsFailureStatus": 403},
        )
    )
    response = call(gw, idp.mint(tier="silver"))
    assert response.status_code == 403
    assert response.headers["www-authenticate"].startswith('Bearer error="insufficient_scope"')


# --- §13 item 15: advertisedScopeMapping ---------------------------------------------------------------------


def test_advertised_scope_mapping(idp: FakeIdP, start_gateway: Any) -> None:
    mapped = f"api://{ENTRA_APP}/access_as_user"
    gw = start_gateway(
        jwt_document(
            idp,
            "entra-v2",
            allowedScopes=["access_as_user"],
            advertisedScopeMapping={"access_as_user": mapped},
        )
    )
    response = call(gw)
    assert response.headers["www-authenticate"] == challenge(gw, "invalid_token", mapped)
    with gw.client() as client:
        prm = client.get("/.well-known/oauth-protected-resource").json()
    assert prm["scopes_supported"] == [mapped]
    # validation still uses the short scope, as Entra puts it in scp
    assert call(gw, idp.mint("entra-v2", {"scp": "access_as_user"})).status_code == 200
    assert call(gw, idp.mint("entra-v2", {"scp": mapped})).status_code == 403


# --- token-level checks: keys, algorithms, signature ---------------------------------------------------------


def test_unknown_kid_triggers_one_rate_limited_refetch(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(
        jwt_document(idp, allowedAudience=["api"], emulator={"jwksRefetchMinIntervalSeconds": 60})
    )
    assert call(gw, idp.mint(aud="api")).status_code == 200
    assert idp.jwks_hits == 1
    idp.rotate("k2")  # the IdP publishes k2 and signs with it
    assert call(gw, idp.mint(aud="api")).status_code == 200
    assert idp.jwks_hits == 2
    # a kid nobody publishes: at most one refetch per interval
    stranger = rsa_key("stranger")
    for _ in range(3):
        assert call(gw, idp.mint(aud="api", key=stranger)).status_code == 401
    assert idp.jwks_hits == 2  # the last refetch was < 60 s ago
    assert gw.control.stats()["jwks_fetches"] == 2
    assert "no key with kid 'stranger'" in last_reason(gw)


def test_algorithms_signature_and_kid(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    good = idp.mint(aud="api")
    header, payload, signature = good.split(".")
    tampered = f"{header}.{payload}.{signature[:-4]}AAAA"
    assert call(gw, tampered).status_code == 401
    assert last_reason(gw).startswith("signature does not verify")
    unsigned = pyjwt.encode(
        {"aud": "api", "iss": idp.issuer(), "exp": time.time() + 60}, None, algorithm="none"
    )
    assert call(gw, unsigned).status_code == 401
    assert last_reason(gw) == "alg 'none' is not in the accepted algorithms ['RS256']"
    hs = pyjwt.encode(
        {"aud": "api", "iss": idp.issuer(), "exp": time.time() + 60},
        "k" * 32,
        algorithm="HS256",
        headers={"kid": "k1"},
    )
    assert call(gw, hs).status_code == 401
    assert call(gw, "opaque-token-abc").status_code == 401
    assert last_reason(gw) == "the token is an opaque string, not a JWT"
    # kid-less token with a one-key JWKS is accepted; requireKid rejects it
    no_kid = idp.mint(aud="api", header={"kid": None})
    assert call(gw, no_kid).status_code == 200
    strict = start_gateway(jwt_document(idp, allowedAudience=["api"], emulator={"requireKid": True}))
    assert call(strict, no_kid).status_code == 401


def test_discovery_unreachable_is_401_with_reason(idp: FakeIdP, start_gateway: Any) -> None:
    doc = jwt_document(idp, allowedAudience=["api"])
    doc["authorizerConfiguration"]["customJWTAuthorizer"]["discoveryUrl"] = (
        f"{idp.url}/missing/.well-known/openid-configuration"
    )
    gw = start_gateway(doc)
    assert call(gw, idp.mint(aud="api")).status_code == 401
    assert "answered HTTP 404" in last_reason(gw)


def test_decisions_agree_with_pyjwt(idp: FakeIdP, start_gateway: Any) -> None:
    """Differential check against an independent JWT library (PyJWT) on the same key and expectations."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    jwk = pyjwt.PyJWK(rsa_key("k1").as_dict(private=False))
    now = int(time.time())
    tokens = {
        "valid": idp.mint(aud="api"),
        "array-aud": idp.mint(aud=["other", "api"]),
        "wrong-aud": idp.mint(aud="other"),
        "expired": idp.mint(aud="api", exp=now - 5),
        "wrong-iss": idp.mint(aud="api", iss="https://evil.example/"),
        "tampered": idp.mint(aud="api")[:-6] + "AAAAAA",
    }
    for name, token in tokens.items():
        try:
            pyjwt.decode(
                token,
                jwk,
                algorithms=["RS256"],
                audience="api",
                issuer=idp.issuer(),
                options={"require": ["exp"]},
            )
            independent = True
        except pyjwt.PyJWTError:
            independent = False
        assert (call(gw, token).status_code == 200) is independent, name


# --- explain_token (offline, the same decision code) --------------------------------------------------------


def _documents(idp: FakeIdP, tenant: str) -> tuple[dict[str, Any], dict[str, Any]]:
    import httpx

    with httpx.Client(trust_env=False) as client:
        discovery = client.get(idp.discovery_url(tenant)).json()
        return discovery, client.get(discovery["jwks_uri"]).json()


def test_explain_token_offline_names_every_check_and_the_fix(idp: FakeIdP) -> None:
    discovery, jwks = _documents(idp, "auth0")
    gateway = Gateway.from_document(
        jwt_document(
            idp, allowedAudience=["https://api"], allowedClients=["auth0-client"], allowedScopes=["mcp:tools"]
        )
    )
    token = idp.mint(aud="https://api", azp="auth0-client", scope="mcp:tools")
    # offline: documents passed as dicts, discoveryUrl never fetched
    gateway = Gateway.from_document(
        {
            **gateway.to_document(),
            "authorizerConfiguration": {
                "customJWTAuthorizer": {
                    **gateway.to_document()["authorizerConfiguration"]["customJWTAuthorizer"],
                    "discoveryUrl": "https://unreachable.invalid/.well-known/openid-configuration",
                }
            },
        }
    )
    checks = {c.name: c for c in explain_token(token, gateway, discovery=discovery, jwks=jwks)}
    assert list(checks) == [
        "header",
        "parse",
        "alg",
        "kid",
        "signature",
        "exp",
        "nbf",
        "iat",
        "iss",
        "aud",
        "client_id",
        "scope",
        "decision",
    ]
    assert [n for n, c in checks.items() if c.passed is False] == ["client_id", "decision"]
    assert checks["nbf"].passed is None
    assert checks["client_id"].fix == (
        "Auth0 tokens carry `azp`, not `client_id`: drop allowedClients (use "
        "allowedAudience) or switch the API to an rfc9068_profile dialect, which adds "
        "client_id"
    )
    assert checks["decision"].reason.startswith("HTTP 401 error=invalid_token")
    assert checks["aud"].reason == "aud 'https://api' matches allowedAudience ['https://api']"


def test_explain_token_hints_for_each_idp_shape(idp: FakeIdP) -> None:
    v1_discovery, jwks = _documents(idp, "entra-v1")
    gateway = Gateway.from_document(
        jwt_document(
            idp,
            "entra-v1",
            allowedAudience=[f"api://{ENTRA_APP}"],
            allowedScopes=[f"api://{ENTRA_APP}/access_as_user"],
        )
    )
    token = idp.mint("entra-v2", {"aud": ENTRA_APP, "scp": "access_as_user"})
    checks = {c.name: c for c in explain_token(f"Bearer {token}", gateway, discovery=v1_discovery, jwks=jwks)}
    assert "put /v2.0/ in discoveryUrl" in (checks["iss"].fix or "")
    assert (
        checks["aud"].fix
        == f"Entra v2 tokens carry the bare application GUID in aud: put '{ENTRA_APP}' in allowedAudience (U4)"
    )
    assert "advertisedScopeMapping" in (checks["scope"].fix or "")
    assert checks["decision"].reason.startswith("HTTP 403 error=insufficient_scope")

    cognito = Gateway.from_document(jwt_document(idp, "cognito", allowedAudience=[COGNITO_CLIENT]))
    discovery, jwks = _documents(idp, "cognito")
    checks = {c.name: c for c in explain_token(cognito_token(idp), cognito, discovery=discovery, jwks=jwks)}
    assert (
        checks["aud"].fix
        == "Cognito access tokens carry no aud (they carry client_id): use allowedClients instead (U1)"
    )
    expired = idp.mint("cognito", {"client_id": COGNITO_CLIENT}, exp=int(time.time()) - 100)
    checks = {c.name: c for c in explain_token(expired, cognito, discovery=discovery, jwks=jwks)}
    assert checks["exp"].passed is False and "Cognito's default lifetime is 1 h" in (checks["exp"].fix or "")


def test_explain_token_fetches_documents_when_not_given(idp: FakeIdP) -> None:
    gateway = Gateway.from_document(jwt_document(idp, allowedAudience=["api"]))
    checks = explain_token(idp.mint(aud="api"), gateway)
    assert checks[-1].name == "decision" and checks[-1].passed is True
    assert json.loads(json.dumps([c.to_dict() for c in checks]))[0]["name"] == "header"
    none = Gateway.from_document({"name": "open", "authorizerType": "NONE"})
    assert [c.name for c in explain_token("x", none)] == ["authorizer"]


def test_authenticate_only_checks_the_token_but_not_audience_or_scope(
    idp: FakeIdP, start_gateway: Any
) -> None:
    """gateway-create-api: AUTHENTICATE_ONLY "validates the token but does not enforce scope or audience"."""
    doc = jwt_document(idp, allowedAudience=["api"], allowedScopes=["mcp:tools"])
    doc["authorizerType"] = "AUTHENTICATE_ONLY"
    gw = start_gateway(doc)
    assert call(gw, idp.mint(aud="elsewhere", scope="openid")).status_code == 200
    assert call(gw, idp.mint(aud="api", exp=int(time.time()) - 60)).status_code == 401
    assert call(gw, idp.mint("okta", {"aud": "api"})).status_code == 403  # issuer still checked
    sigv4 = start_gateway({**doc, "emulator": {"authenticateOnlyMode": "sigv4"}})
    assert call(sigv4, idp.mint(aud="api")).status_code == 401


# --- evaluate_jwt as a sequence of steps (bearer.py, signature.py, claims.py) -----------------------------


def test_evaluate_jwt_reports_the_steps_that_did_not_run() -> None:
    jwt = JwtConfig("https://idp.example/.well-known/openid-configuration", ("api",), None, ("s",), {}, ())
    keys = Keys({"issuer": "https://idp.example/"}, {"keys": []}, None)
    names = ["header", "parse", "alg", "kid", "signature", "exp", "nbf", "iat", "iss", "aud", "client_id", "scope"]
    missing = evaluate_jwt(None, jwt, Emulator(), keys, time.time())
    assert [c.name for c in missing.checks] == names
    assert [c.reason for c in missing.checks[1:]] == ["not evaluated: no token"] * 11
    sigv4 = evaluate_jwt("AWS4-HMAC-SHA256 Credential=x", jwt, Emulator(), keys, time.time())
    assert sigv4.checks[1].reason == "not evaluated: no bearer token"
    opaque = evaluate_jwt("Bearer abc", jwt, Emulator(), keys, time.time())
    assert [c.name for c in opaque.checks] == names
    assert opaque.checks[1].reason == "the token is an opaque string, not a JWT"
    assert {c.reason for c in opaque.checks[2:]} == {"not evaluated: token does not parse"}
