"""Cross-app access (SEP-990): an ID token -> an ID-JAG (RFC 8693 at the IdP) -> an access token (RFC 7523 jwt-bearer
at the MCP server's AS). One tenant plays both roles; every token is verified with PyJWT against the served JWKS."""

from __future__ import annotations

import base64
from typing import Any

import jwt

from tests.fake_idp.conftest import GATEWAY, Idp, header_of, pkce_pair, query_of

IDP_CLIENT = "authstage-test-idp-client"
AS_CLIENT, AS_SECRET = "authstage-test-xaa-client", "demo-secret-not-for-production-xaa-test"
CALLBACK = "http://127.0.0.1:9/cb"
EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"


def setup(idp: Idp, **cross: Any) -> None:
    tenant = idp.control.tenant
    clients = [c.model_dump(mode="json", exclude_none=True) for c in tenant.clients] + [
        {"name": "enterprise-idp-client", "client_id": IDP_CLIENT, "app_type": "native",
         "token_endpoint_auth_method": "none", "grant_types": ["authorization_code", EXCHANGE], "callbacks": [CALLBACK]},
        {"name": "mcp-as-client", "client_id": AS_CLIENT, "client_secret": AS_SECRET,
         "token_endpoint_auth_method": "client_secret_basic", "grant_types": [JWT_BEARER]},
    ]
    connections = [c.model_dump(mode="json") for c in tenant.connections]
    connections[0]["enabled_clients"].append(IDP_CLIENT)
    grants = [g.model_dump(mode="json", exclude_none=True) for g in tenant.client_grants]
    grants.append({"client_id": AS_CLIENT, "audience": GATEWAY, "scope": ["mcp:tools"]})
    idp.patch({"clients": clients, "connections": connections, "client_grants": grants,
               "profile": {"cross_app_access": {"issue_id_jag": True, "trusted_issuers": ["self"],
                                                "client_ids": {IDP_CLIENT: AS_CLIENT}, **cross}}})


def id_token(idp: Idp) -> str:
    verifier, challenge = pkce_pair()
    r = idp.authorize(client_id=IDP_CLIENT, redirect_uri=CALLBACK, scope="openid email", audience=None,
                      code_challenge=challenge, code_challenge_method="S256")
    code = query_of(r.headers["location"])["code"]
    answer = idp.http.post("/oauth/token", data={"grant_type": "authorization_code", "client_id": IDP_CLIENT,
                                                 "code": code, "redirect_uri": CALLBACK, "code_verifier": verifier})
    token: str = answer.json()["id_token"]
    return token


def exchange(idp: Idp, subject: str, **extra: str) -> Any:
    return idp.http.post("/oauth/token", data={
        "grant_type": EXCHANGE, "client_id": IDP_CLIENT, "subject_token": subject, "subject_token_type": ID_TOKEN,
        "requested_token_type": ID_JAG, "audience": idp.issuer, "resource": GATEWAY, **extra})


def bearer(idp: Idp, assertion: str, secret: str = AS_SECRET) -> Any:
    basic = base64.b64encode(f"{AS_CLIENT}:{secret}".encode()).decode()
    return idp.http.post("/oauth/token", headers={"Authorization": f"Basic {basic}"},
                         data={"grant_type": JWT_BEARER, "assertion": assertion, "resource": GATEWAY})


def test_id_token_to_id_jag_to_access_token(idp: Idp) -> None:
    setup(idp)
    issued = exchange(idp, id_token(idp))
    assert issued.status_code == 200, issued.text
    body = issued.json()
    assert (body["issued_token_type"], body["token_type"]) == (ID_JAG, "N_A")
    jag = body["access_token"]
    assert header_of(jag)["typ"] == "oauth-id-jag+jwt"
    claims = idp.verify(jag, audience=idp.issuer)
    assert (claims["sub"], claims["client_id"], claims["resource"]) == ("auth0|alice", AS_CLIENT, GATEWAY)
    assert claims["exp"] - claims["iat"] == 300 and claims["jti"]
    token = bearer(idp, jag)
    assert token.status_code == 200, token.text
    access = idp.verify(token.json()["access_token"])
    assert access["sub"] == "auth0|alice" and access["client_id"] == AS_CLIENT
    assert access["scope"] == "mcp:tools mcp:admin"  # no scope asked: the API's, within alice's permissions


def test_refusals(idp: Idp) -> None:
    setup(idp)
    subject = id_token(idp)
    jag = exchange(idp, subject).json()["access_token"]
    assert bearer(idp, subject).json()["error"] == "invalid_grant"  # an ID token is no ID-JAG (typ)
    assert "not 'oauth-id-jag+jwt'" in idp.last("/oauth/token")["reason"]
    assert bearer(idp, jag, secret="wrong").status_code == 401
    forged = jwt.encode({"iss": idp.issuer, "aud": idp.issuer, "sub": "auth0|alice", "client_id": AS_CLIENT,
                         "resource": GATEWAY, "exp": 2**31}, "x" * 32, algorithm="HS256",
                        headers={"typ": "oauth-id-jag+jwt"})
    assert bearer(idp, forged).status_code == 400 and "does not verify" in idp.last("/oauth/token")["reason"]
    assert exchange(idp, subject, subject_token_type="urn:x").status_code == 400
    idp.patch({"profile": {"cross_app_access": {"trusted_issuers": []}}})
    assert bearer(idp, jag).status_code == 400 and "no trusted ID-JAG issuer" in idp.last("/oauth/token")["reason"]


def test_without_the_knob_it_is_auth0s_custom_token_exchange(idp: Idp) -> None:
    setup(idp, issue_id_jag=False)
    answer = exchange(idp, id_token(idp))
    assert answer.status_code == 401  # Auth0's CTE needs a confidential client, and refuses requested_token_type
    assert "Custom Token Exchange needs an authenticated" in idp.last("/oauth/token")["reason"]
