"""private_key_jwt client authentication (RFC 7523 §2.2, Auth0 DOC authenticate-with-private-key-jwt): assertions
signed with PyJWT, the issued token verified with PyJWT against the served JWKS."""

from __future__ import annotations

import time
import uuid
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa

from tests.fake_idp.conftest import GATEWAY, Idp

CLIENT = "authstage-test-jwt-client"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


def pems(key: Any) -> tuple[str, str]:
    private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption()).decode()
    public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                           serialization.PublicFormat.SubjectPublicKeyInfo).decode()
    return private, public


EC_PRIVATE, EC_PUBLIC = pems(ec.generate_private_key(ec.SECP256R1()))
RSA_PRIVATE, RSA_PUBLIC = pems(rsa.generate_private_key(public_exponent=65537, key_size=2048))


def register(idp: Idp, *, alg: str, public: str, method: str = "private_key_jwt") -> None:
    tenant = idp.control.tenant
    client = {"name": "jwt-client", "client_id": CLIENT, "app_type": "non_interactive",
              "grant_types": ["client_credentials"], "token_endpoint_auth_method": method,
              "client_authentication_methods": {"private_key_jwt": {"credentials": [{"pem": public, "alg": alg}]}}}
    if method != "private_key_jwt":
        client["client_secret"] = "demo-secret-not-for-production-jwt"
    idp.patch({
        "clients": [*(c.model_dump(mode="json", exclude_none=True) for c in tenant.clients), client],
        "client_grants": [*(g.model_dump(mode="json", exclude_none=True) for g in tenant.client_grants),
                          {"client_id": CLIENT, "audience": GATEWAY, "scope": ["mcp:tools"]}],
    })


def assertion(idp: Idp, *, key: str = EC_PRIVATE, alg: str = "ES256", **claims: Any) -> str:
    now = int(time.time())
    body = {"iss": CLIENT, "sub": CLIENT, "aud": idp.issuer, "iat": now, "exp": now + 60, "jti": str(uuid.uuid4())}
    body.update(claims)
    return jwt.encode({k: v for k, v in body.items() if v is not None}, key, algorithm=alg)


def token(idp: Idp, client_assertion: str, **extra: str) -> Any:
    return idp.http.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_assertion_type": ASSERTION_TYPE,
        "client_assertion": client_assertion, "resource": GATEWAY, **extra})


def test_a_signed_assertion_authenticates_and_is_single_use(idp: Idp) -> None:
    register(idp, alg="RS256", public=RSA_PUBLIC)
    signed = assertion(idp, key=RSA_PRIVATE, alg="RS256")
    answer = token(idp, signed)
    assert answer.status_code == 200, answer.text
    claims = idp.verify(answer.json()["access_token"])
    assert claims["client_id"] == CLIENT and claims["sub"] == f"{CLIENT}@clients"
    replay = token(idp, signed)
    assert replay.status_code == 401 and replay.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    assert "already used" in idp.last("/oauth/token")["reason"]


@pytest.mark.parametrize(
    ("claims", "reason"),
    [
        ({"aud": "https://elsewhere.example/"}, "neither the tenant URL"),
        ({"iss": "someone-else"}, "must both be the client id"),
        ({"exp": int(time.time()) + 3600}, "more than 300 s after iat"),
        ({"exp": int(time.time()) - 10}, "expired"),
        ({"jti": None}, "no jti"),
    ],
)
def test_assertions_auth0_refuses(idp: Idp, claims: dict[str, Any], reason: str) -> None:
    register(idp, alg="RS256", public=RSA_PUBLIC)
    answer = token(idp, assertion(idp, key=RSA_PRIVATE, alg="RS256", **claims))
    assert answer.status_code == 401
    assert reason in idp.last("/oauth/token")["reason"]


def test_algorithms_are_auth0s_unless_the_profile_lists_others(idp: Idp) -> None:
    register(idp, alg="ES256", public=EC_PUBLIC)
    assert token(idp, assertion(idp)).status_code == 401
    assert "not one of ['RS256', 'RS384', 'PS256']" in idp.last("/oauth/token")["reason"]
    idp.patch({"profile": {"discovery": {"token_endpoint_auth_signing_alg_values_supported": ["ES256"]}}})
    answer = token(idp, assertion(idp, aud=idp.url + "/oauth/token"))  # RFC 7523 §3: the token endpoint too
    assert answer.status_code == 200, idp.last("/oauth/token")["reason"]
    wrong_key = token(idp, assertion(idp, key=pems(ec.generate_private_key(ec.SECP256R1()))[0]))
    assert wrong_key.status_code == 401 and "does not verify" in idp.last("/oauth/token")["reason"]


def test_the_registered_method_is_enforced(idp: Idp) -> None:
    register(idp, alg="RS256", public=RSA_PUBLIC, method="client_secret_post")
    assert token(idp, assertion(idp, key=RSA_PRIVATE, alg="RS256")).status_code == 401
    assert "registered with client_secret_post" in idp.last("/oauth/token")["reason"]
