"""/oauth/token: client credentials, client authentication, body parsing, error bodies, token shapes, faults."""

from __future__ import annotations

import base64
import time

import jwt
import pytest

from tests.fake_idp.conftest import (
    CLI_ID,
    GATEWAY,
    M2M_ID,
    M2M_SECRET,
    MCP,
    OUTBOUND_ID,
    Idp,
    claims_of,
    header_of,
)


def test_client_credentials_rfc9068_token_verifies_with_pyjwt(idp: Idp) -> None:
    r = idp.cc()
    assert r.status_code == 200
    body = r.json()
    assert list(body) == ["access_token", "scope", "expires_in", "token_type"]
    assert body["scope"] == "mcp:tools" and body["expires_in"] == 86400 and body["token_type"] == "Bearer"
    assert r.headers["cache-control"] == "no-store"
    claims = idp.verify(body["access_token"])
    assert claims["sub"] == f"{M2M_ID}@clients"
    assert claims["client_id"] == M2M_ID and "azp" not in claims and "gty" not in claims
    assert claims["permissions"] == ["mcp:tools"] and len(claims["jti"]) == 22
    assert claims["exp"] - claims["iat"] == 86400
    assert header_of(body["access_token"]) == {
        "alg": "RS256",
        "typ": "at+jwt",
        "kid": header_of(body["access_token"])["kid"],
    }
    assert list(header_of(body["access_token"])) == ["alg", "typ", "kid"]


def test_access_token_dialect_matches_captured_auth0_m2m_token(idp: Idp) -> None:
    idp.patch_api(token_dialect="access_token", enforce_policies=False)
    token = idp.cc().json()["access_token"]
    claims = idp.verify(token)
    # CAPTURE ref 1267571811: iss, sub, aud, iat, exp, scope, gty, azp (no client_id, no jti).
    assert list(claims) == ["iss", "sub", "aud", "iat", "exp", "scope", "gty", "azp"]
    assert claims["gty"] == "client-credentials" and claims["azp"] == M2M_ID
    assert header_of(token)["typ"] == "JWT"


def test_access_token_authz_dialect_adds_permissions(idp: Idp) -> None:
    idp.patch_api(token_dialect="access_token_authz")
    claims = idp.verify(idp.cc().json()["access_token"])
    assert claims["permissions"] == ["mcp:tools"] and claims["azp"] == M2M_ID and "client_id" not in claims


def test_form_body_and_basic_auth(idp: Idp) -> None:
    idp.patch_client("demo-m2m", token_endpoint_auth_method="client_secret_basic")
    basic = base64.b64encode(f"{M2M_ID}:{M2M_SECRET}".encode()).decode()
    r = idp.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "audience": GATEWAY},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200, r.text
    # Registered for Basic but sends the secret in the body: F-20 (codex#40928).
    r = idp.cc()
    assert r.status_code == 401 and r.json() == {
        "error": "access_denied",
        "error_description": "Unauthorized",
    }
    assert "client_secret_basic" in idp.last("/oauth/token")["reason"]


@pytest.mark.parametrize(
    ("override", "why"),
    [
        ({"client_id": "nope"}, "unknown client_id"),
        ({"client_secret": "wrong"}, "wrong client_secret"),
        ({"client_secret": None}, "sent no client_secret"),
    ],
)
def test_bad_client_credentials_are_401_unauthorized(idp: Idp, override: dict, why: str) -> None:
    r = idp.cc(**override)
    assert r.status_code == 401
    assert r.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    assert why in idp.last("/oauth/token")["reason"]


def test_invalid_client_wording_knob(idp: Idp) -> None:
    idp.patch({"emulator": {"client_auth_error": "invalid_client"}})
    r = idp.cc(client_secret="wrong")
    assert r.status_code == 401 and r.json()["error"] == "invalid_client"


def test_no_audience_is_non_global_clients(idp: Idp) -> None:
    r = idp.cc(audience=None)
    assert r.status_code == 403
    assert r.json() == {
        "error": "access_denied",
        "error_description": "Non-global clients are not allowed access to APIv1",
    }


def test_default_audience_applies_to_client_credentials(idp: Idp) -> None:
    idp.patch({"settings": {"default_audience": GATEWAY}})
    token = idp.cc(audience=None).json()["access_token"]
    assert idp.verify(token)["aud"] == GATEWAY


def test_unknown_audience_is_service_not_enabled(idp: Idp) -> None:
    r = idp.cc(audience=GATEWAY + "/")
    assert r.status_code == 403
    assert r.json() == {
        "error": "access_denied",
        "error_description": f"Service not enabled within domain: {GATEWAY}/",
    }
    assert "differs only by slash" in idp.last("/oauth/token")["reason"]


def test_audience_match_normalize_fault_forgives_the_slash(idp: Idp) -> None:
    idp.patch({"faults": {"audience_match": "normalize"}})
    token = idp.cc(audience=GATEWAY + "/").json()["access_token"]
    assert idp.verify(token)["aud"] == GATEWAY


def test_resource_on_client_credentials_follows_the_profile(idp: Idp) -> None:
    token = idp.cc(audience=None, resource=GATEWAY).json()["access_token"]
    assert idp.verify(token)["aud"] == GATEWAY
    idp.patch({"settings": {"resource_parameter_profile": "ignore"}})
    r = idp.cc(audience=None, resource=GATEWAY)
    assert r.status_code == 403 and "Non-global" in r.json()["error_description"]


@pytest.mark.parametrize(
    ("wording", "text"),
    [
        (
            "2026",
            f'Client "{M2M_ID}" is not authorized to access resource server "{MCP}". You need to create a "client-grant" associated to this API.',
        ),
        (
            "2024",
            f'Client is not authorized to access "{MCP}". You need to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants',
        ),
        (
            "2018",
            f'Client is not authorized to access "{MCP}". You might probably want to create a "client-grant" associated to this API. See: https://auth0.com/docs/api/v2#!/Client_Grants/post_client_grants',
        ),
    ],
)
def test_missing_client_grant_wordings(idp: Idp, wording: str, text: str) -> None:
    idp.patch({"faults": {"client_grant_error_wording": wording}})
    r = idp.cc(audience=MCP)
    assert r.status_code == 403 and r.json() == {"error": "access_denied", "error_description": text}
    assert idp.last("/oauth/token")["reason"].startswith("client grant missing")


def test_scope_beyond_grant_and_oidc_scopes_on_m2m(idp: Idp) -> None:
    r = idp.cc(scope="mcp:tools mcp:admin")
    assert (
        r.status_code == 403
        and r.json()["error_description"] == "Client has not been granted scopes: mcp:admin"
    )
    r = idp.cc(scope="openid profile email")
    assert r.json() == {
        "error": "access_denied",
        "error_description": "Client has not been granted scopes: openid profile email",
    }
    assert "F-17" in idp.last("/oauth/token")["reason"]


def test_no_granted_scopes_omits_scope_and_gives_empty_permissions(idp: Idp) -> None:
    idp.patch(
        {
            "client_grants": [
                {"client_id": M2M_ID, "audience": GATEWAY, "scope": []},
                {"client_id": OUTBOUND_ID, "audience": MCP, "scope": ["search:read"]},
            ]
        }
    )
    body = idp.cc().json()
    assert "scope" not in body and list(body) == ["access_token", "expires_in", "token_type"]
    claims = idp.verify(body["access_token"])
    assert "scope" not in claims and claims["permissions"] == []


def test_grant_type_not_allowed(idp: Idp) -> None:
    r = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": M2M_ID,
            "client_secret": M2M_SECRET,
            "code": "x",
        },
    )
    assert r.status_code == 403
    assert r.json() == {
        "error": "unauthorized_client",
        "error_description": "Grant type 'authorization_code' not allowed for the client.",
        "error_uri": "https://auth0.com/docs/clients/client-grant-types",
    }


@pytest.mark.parametrize(
    ("kwargs", "status", "error"),
    [
        ({"data": {}}, 400, "invalid_request"),
        ({"content": b"{not json", "headers": {"content-type": "application/json"}}, 400, "invalid_request"),
        ({"content": b"[1,2]", "headers": {"content-type": "application/json"}}, 400, "invalid_request"),
        ({"json": {"grant_type": "client_credentials", "client_id": ["a"]}}, 400, "invalid_request"),
        (
            {"content": b"grant_type=client_credentials", "headers": {"content-type": "text/plain"}},
            400,
            "invalid_request",
        ),
        ({"data": {"grant_type": "password"}}, 400, "unsupported_grant_type"),
        ({"data": {"grant_type": "x" * 5000}}, 400, "unsupported_grant_type"),
        (
            {
                "content": b"a=" + b"x" * 70000,
                "headers": {"content-type": "application/x-www-form-urlencoded"},
            },
            413,
            "invalid_request",
        ),
        (
            {"content": b"\xff\xfe\xfa", "headers": {"content-type": "application/x-www-form-urlencoded"}},
            400,
            "invalid_request",
        ),
        (
            {"data": {"grant_type": "client_credentials", "client_id": "c" * 10000, "client_secret": "s"}},
            401,
            "access_denied",
        ),
    ],
)
def test_bad_input_gets_auth0_shaped_json_errors(idp: Idp, kwargs: dict, status: int, error: str) -> None:
    r = idp.http.post("/oauth/token", **kwargs)
    assert r.status_code == status
    assert r.headers["content-type"].startswith("application/json")
    assert r.json()["error"] == error and isinstance(r.json().get("error_description"), str)
    assert idp.last("/oauth/token")["reason"]


def test_missing_grant_type_text(idp: Idp) -> None:
    r = idp.http.post("/oauth/token", data={"client_id": M2M_ID})
    assert r.json() == {
        "error": "invalid_request",
        "error_description": "Missing required parameter: grant_type",
    }


def test_wrong_method_and_unknown_path_are_boom_json(idp: Idp) -> None:
    r = idp.http.get("/oauth/token")
    assert r.status_code == 405 and r.json()["statusCode"] == 405
    r = idp.http.get("/nope")
    assert r.status_code == 404 and r.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Not Found",
    }


def test_token_rate_limit_headers_and_429(idp: Idp) -> None:
    idp.control.clock.freeze(1_800_000_000.2)
    idp.patch({"faults": {"token_rate_limit": {"limit": 2, "window_seconds": 1}}})
    first = idp.cc()
    assert first.status_code == 200
    assert first.headers["x-ratelimit-limit"] == "2" and first.headers["x-ratelimit-remaining"] == "1"
    assert first.headers["x-ratelimit-reset"] == "1800000001"
    assert idp.cc().status_code == 200
    r = idp.cc()
    assert r.status_code == 429
    assert r.json() == {
        "error": "too_many_requests",
        "error_description": "Global token endpoint rate limits exceeded.",
    }
    assert r.headers["retry-after"] == "1" and r.headers["x-ratelimit-remaining"] == "0"
    idp.control.clock.advance(1)
    assert idp.cc().status_code == 200


def test_rate_limit_custom_policy_wording(idp: Idp) -> None:
    idp.control.clock.freeze()
    idp.patch({"faults": {"token_rate_limit": {"limit": 1, "wording": "custom_policy"}}})
    idp.cc()
    assert idp.cc().json()["error_description"] == "Rate limit exceeded."


def test_hs256_api_tokens_have_no_kid(idp: Idp) -> None:
    secret = "demo-secret-not-for-production-hs256-gateway-api-000000"
    idp.patch_api(signing_alg="HS256", signing_secret=secret)
    token = idp.cc().json()["access_token"]
    assert header_of(token) == {"alg": "HS256", "typ": "JWT"}
    claims = jwt.decode(token, secret, algorithms=["HS256"], audience=GATEWAY)
    assert claims["sub"] == f"{M2M_ID}@clients"
    # A validator that hard-codes RS256 + JWKS lookup fails exactly here:
    with pytest.raises(jwt.PyJWKClientError):
        idp.verify(token)


def test_ps256_api_tokens_verify_with_the_rsa_jwks(idp: Idp) -> None:
    idp.patch_api(signing_alg="PS256")
    token = idp.cc().json()["access_token"]
    assert header_of(token)["alg"] == "PS256"
    assert idp.verify(token, algorithms=["PS256"])["aud"] == GATEWAY
    with pytest.raises(jwt.InvalidAlgorithmError):
        idp.verify(token, algorithms=["RS256"])


def test_clock_skew_fault_mints_iat_in_the_future(idp: Idp) -> None:
    idp.patch({"faults": {"clock_skew_seconds": 300}})
    token = idp.cc().json()["access_token"]
    assert claims_of(token)["iat"] > time.time() + 250
    with pytest.raises(jwt.ImmatureSignatureError):
        idp.verify(token)


def test_expire_after_fault_mints_pre_expired_tokens(idp: Idp) -> None:
    idp.patch({"faults": {"expire_after": -60}})
    body = idp.cc().json()
    assert body["expires_in"] == 86400  # the client believes it has a day
    with pytest.raises(jwt.ExpiredSignatureError):
        idp.verify(body["access_token"])


def test_frozen_clock_drives_iat_and_exp(idp: Idp) -> None:
    idp.control.clock.freeze(1_900_000_000)
    claims = claims_of(idp.cc().json()["access_token"])
    assert claims["iat"] == 1_900_000_000 and claims["exp"] == 1_900_086_400


def test_issuer_without_trailing_slash_fault(idp: Idp) -> None:
    idp.patch({"faults": {"issuer_trailing_slash": False}})
    token = idp.cc().json()["access_token"]
    assert claims_of(token)["iss"] == idp.url
    assert idp.http.get("/.well-known/openid-configuration").json()["issuer"] == idp.issuer
    with pytest.raises(jwt.InvalidIssuerError):
        idp.verify(token)


def test_issuer_override_fault(idp: Idp) -> None:
    idp.patch({"faults": {"issuer_override": "https://authstage.us.auth0.com/"}})
    token = idp.cc().json()["access_token"]
    assert claims_of(token)["iss"] == "https://authstage.us.auth0.com/"
    with pytest.raises(jwt.InvalidIssuerError):
        idp.verify(token)


def test_token_lifetime_per_api(idp: Idp) -> None:
    idp.patch_api(token_lifetime=120)
    body = idp.cc().json()
    claims = idp.verify(body["access_token"])
    assert body["expires_in"] == 120 and claims["exp"] - claims["iat"] == 120


def test_client_credentials_log_record_redacts_and_decodes(idp: Idp) -> None:
    idp.cc()
    rec = idp.last("/oauth/token")
    assert rec["request"]["body"]["client_secret"] == "[redacted]"
    assert rec["response"]["body"]["access_token"].startswith("eyJhbGciOi") and rec["response"]["body"][
        "access_token"
    ].endswith("[redacted]")
    tok = next(t for t in rec["tokens"] if t["where"] == "response.body.access_token")
    assert tok["claims"]["sub"] == f"{M2M_ID}@clients" and tok["header"]["alg"] == "RS256"
    assert M2M_SECRET not in str(rec)


def test_rfc9068_profile_without_authz_has_no_permissions(idp: Idp) -> None:
    idp.patch_api(token_dialect="rfc9068_profile")
    claims = idp.verify(idp.cc().json()["access_token"])
    assert "permissions" not in claims and claims["client_id"] == M2M_ID and "jti" in claims


def test_auth_method_enforcement_can_be_relaxed(idp: Idp) -> None:
    basic = base64.b64encode(f"{M2M_ID}:{M2M_SECRET}".encode()).decode()
    r = idp.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "audience": GATEWAY},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 401  # registered client_secret_post, sent Basic (codex#40928)
    idp.patch({"emulator": {"enforce_token_endpoint_auth_method": False}})
    r = idp.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "audience": GATEWAY},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 200


def test_malformed_basic_credentials(idp: Idp) -> None:
    for header in ("Basic !!!", "Basic " + base64.b64encode(b"no-colon").decode()):
        r = idp.http.post(
            "/oauth/token", data={"grant_type": "client_credentials"}, headers={"Authorization": header}
        )
        assert r.status_code == 401 and r.json()["error"] == "access_denied"
    basic = base64.b64encode(f"{M2M_ID}:{M2M_SECRET}".encode()).decode()
    r = idp.http.post(
        "/oauth/token",
        data={"grant_type": "client_credentials", "client_id": "other"},
        headers={"Authorization": f"Basic {basic}"},
    )
    assert r.status_code == 401 and "differs" in idp.last("/oauth/token")["reason"]


def test_api_client_policy_deny_all(idp: Idp) -> None:
    idp.patch_api(subject_type_authorization={"client": {"policy": "deny_all"}})
    r = idp.cc()
    assert r.status_code == 403 and "client-grant" in r.json()["error_description"]


# /oauth/revoke ----------------------------------------------------------------------------------------


def test_revoke_refresh_token_family(idp: Idp) -> None:
    rt = idp.code_flow()[0]["refresh_token"]
    r = idp.http.post("/oauth/revoke", json={"client_id": CLI_ID, "token": rt})
    assert r.status_code == 200 and r.content == b""
    r = idp.http.post(
        "/oauth/token", data={"grant_type": "refresh_token", "client_id": CLI_ID, "refresh_token": rt}
    )
    assert r.status_code == 403
    assert idp.last("/oauth/revoke")["request"]["body"]["token"] == "v1.M…[redacted]"


def test_revoke_deletes_grant_toggle(idp: Idp) -> None:
    """Off (the default): revoking one refresh token revokes its family only; another login's token of the same
    user, app and audience keeps working. On: it revokes every token of the grant."""

    def refresh(rt: str) -> int:
        body = {"grant_type": "refresh_token", "client_id": CLI_ID, "refresh_token": rt}
        return idp.http.post("/oauth/token", data=body).status_code

    assert idp.http.get("/_authstage/config").json()["settings"]["refresh_token_revocation_deletes_grant"] is False
    rt1 = idp.code_flow()[0]["refresh_token"]
    rt2 = idp.code_flow()[0]["refresh_token"]
    idp.http.post("/oauth/revoke", data={"client_id": CLI_ID, "token": rt1})
    assert (refresh(rt1), refresh(rt2)) == (403, 200)
    assert idp.last("/oauth/revoke")["notes"] == ["revoked the refresh-token family (1 live token(s))"]
    idp.patch({"settings": {"refresh_token_revocation_deletes_grant": True}})
    rt1 = idp.code_flow()[0]["refresh_token"]
    rt2 = idp.code_flow()[0]["refresh_token"]
    idp.http.post("/oauth/revoke", data={"client_id": CLI_ID, "token": rt1})
    assert (refresh(rt1), refresh(rt2)) == (403, 403)


def test_revoke_unknown_token_and_errors(idp: Idp) -> None:
    assert idp.http.post("/oauth/revoke", data={"client_id": CLI_ID, "token": "nope"}).status_code == 200
    r = idp.http.post("/oauth/revoke", data={"client_id": CLI_ID})
    assert r.status_code == 400 and r.json()["error_description"] == "Missing required parameter: token"
    assert idp.http.post("/oauth/revoke", data={"client_id": "nope", "token": "x"}).status_code == 401


def test_token_requests_with_others_in_flight_run_on_worker_threads_in_the_requests_context(
    idp: Idp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With other requests in flight (`Incoming.in_flight`, from the server) a token request runs on a worker
    thread (fake_idp/token.py); alone, on the event loop. The answer is the same, and the tenant's seeded ids (a
    context variable the control plane sets per request) go with the work."""
    import asyncio
    import json as _json
    import threading

    from authstage_kit import ids
    from fake_idp import token as token_module
    from fake_idp.context import Ctx
    from fake_idp.wire import Incoming

    threads: list[str] = []
    serve = token_module._issue
    monkeypatch.setattr(token_module, "_issue", lambda ctx, params, grant_cls: threads.append(
        threading.current_thread().name) or serve(ctx, params, grant_cls))
    idp.patch({"emulator": {"seed": 7}})
    body = _json.dumps({"grant_type": "client_credentials", "client_id": M2M_ID, "client_secret": M2M_SECRET,
                        "audience": GATEWAY}).encode()

    async def mint(in_flight: int) -> str:
        incoming = Incoming(method="POST", host=idp.url.removeprefix("http://"), body=body, in_flight=in_flight,
                            headers={"content-type": "application/json"})
        token = ids.seeded(idp.control.ids)  # as the control plane's middleware does for every request
        try:
            out = await token_module.token_endpoint(Ctx.of(idp.control, incoming))
        finally:
            ids.reset(token)
        return str(_json.loads(out.body)["access_token"])

    busy = [asyncio.run(mint(in_flight=3)) for _ in range(3)]
    idp.control.reset()
    idp.patch({"emulator": {"seed": 7}})
    alone = [asyncio.run(mint(in_flight=1)) for _ in range(3)]
    assert [name.startswith("authstage-worker") for name in threads] == [True] * 3 + [False] * 3
    assert [idp.verify(t)["jti"] for t in busy] == [idp.verify(t)["jti"] for t in alone]  # the same seeded ids
