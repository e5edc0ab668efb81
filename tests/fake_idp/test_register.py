"""/oidc/register: Auth0's DCR response, strict vs permissive, disabled-but-advertised, quirks, limits."""

from __future__ import annotations

import re

import pytest

from tests.fake_idp.conftest import GATEWAY, Idp, query_of

BODY = {
    "client_name": "My Dynamic Application",
    "redirect_uris": ["https://application.example.com/callback"],
    "token_endpoint_auth_method": "none",
    "grant_types": ["authorization_code", "refresh_token", "client_credentials"],
    "response_types": ["code"],
}


def test_strict_registration_shape(idp: Idp) -> None:
    r = idp.http.post("/oidc/register", json=BODY)
    assert r.status_code == 201
    body = r.json()
    # DOC response: client_name, client_id, [client_secret], redirect_uris, client_secret_expires_at, grant_types, method
    assert list(body) == [
        "client_name",
        "client_id",
        "redirect_uris",
        "client_secret_expires_at",
        "grant_types",
        "token_endpoint_auth_method",
    ]
    assert re.fullmatch(r"tpc_[A-Za-z0-9]{32}", body["client_id"])
    assert body["client_secret_expires_at"] == 0
    assert body["grant_types"] == ["authorization_code", "refresh_token"]  # client_credentials filtered out
    assert body["token_endpoint_auth_method"] == "none"
    assert "client_credentials" in " ".join(idp.last("/oidc/register")["notes"])


def test_default_method_is_client_secret_post_and_secret_is_returned(idp: Idp) -> None:
    body = idp.http.post("/oidc/register", json={"redirect_uris": ["http://127.0.0.1:1234/cb"]}).json()
    assert body["token_endpoint_auth_method"] == "client_secret_post" and len(body["client_secret"]) >= 32
    assert body["grant_types"] == ["authorization_code"]
    assert idp.last("/oidc/register")["response"]["body"]["client_secret"] == "[redacted]"


def test_permissive_mode_ids_have_no_prefix(idp: Idp) -> None:
    idp.patch({"settings": {"dynamic_client_registration_security_mode": "permissive"}})
    body = idp.http.post("/oidc/register", json=BODY).json()
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["client_id"])


def test_disabled_is_400_while_still_advertised(idp: Idp) -> None:
    idp.patch({"settings": {"enable_dynamic_client_registration": False}})
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert doc["registration_endpoint"] == idp.url + "/oidc/register"
    r = idp.http.post("/oidc/register", json=BODY)
    assert r.status_code == 400
    assert r.json() == {
        "statusCode": 400,
        "error": "Bad Request",
        "message": "dynamic client registration is disabled",
    }
    assert "F-6" in idp.last("/oidc/register")["reason"]
    idp.patch({"emulator": {"dcr_disabled_body": "oauth"}})
    assert idp.http.post("/oidc/register", json=BODY).json() == {
        "error": "invalid_request",
        "error_description": "dynamic client registration is disabled",
    }


@pytest.mark.parametrize(
    ("quirk", "check"),
    [
        ("secret_for_none", lambda r: "client_secret" in r.json()),
        ("omit_token_endpoint_auth_method", lambda r: "token_endpoint_auth_method" not in r.json()),
        ("omit_grant_types", lambda r: "grant_types" not in r.json()),
        ("status_200", lambda r: r.status_code == 200),
        (
            "add_rfc7591_fields",
            lambda r: (
                r.json()["response_types"] == ["code"] and isinstance(r.json()["client_id_issued_at"], int)
            ),
        ),
    ],
)
def test_response_quirks(idp: Idp, quirk: str, check) -> None:  # type: ignore[no-untyped-def]
    idp.patch({"faults": {"dcr_response_quirks": [quirk]}})
    r = idp.http.post("/oidc/register", json=BODY)
    assert check(r)


def test_rate_limit_and_entity_cap(idp: Idp) -> None:
    idp.control.clock.freeze(1_800_000_000)
    codes = [idp.http.post("/oidc/register", json=BODY).status_code for _ in range(6)]
    assert codes == [201] * 5 + [429]
    r = idp.http.post("/oidc/register", json=BODY)
    assert r.json()["error"] == "too_many_requests" and r.headers["x-ratelimit-remaining"] == "0"
    idp.control.clock.advance(1)
    idp.patch({"faults": {"dcr_max_clients": 5}})
    r = idp.http.post("/oidc/register", json=BODY)
    assert r.status_code == 400 and r.json()["error"] == "too_many_entities"


def test_forced_dcr_faults(idp: Idp) -> None:
    idp.patch({"faults": {"dcr_fault": "rate_limited"}})
    assert idp.http.post("/oidc/register", json=BODY).status_code == 429
    idp.patch({"faults": {"dcr_fault": "too_many_entities"}})
    assert idp.http.post("/oidc/register", json=BODY).json()["error"] == "too_many_entities"


@pytest.mark.parametrize(
    ("kwargs", "error"),
    [
        (
            {"content": b"not json", "headers": {"content-type": "application/json"}},
            "invalid_client_metadata",
        ),
        ({"json": []}, "invalid_client_metadata"),
        ({"json": {}}, "invalid_redirect_uri"),
        ({"json": {"redirect_uris": "https://x/cb"}}, "invalid_redirect_uri"),
        ({"json": {"redirect_uris": ["not a uri"]}}, "invalid_redirect_uri"),
        ({"json": {"redirect_uris": ["https://x/cb#frag"]}}, "invalid_redirect_uri"),
        ({"json": {"redirect_uris": ["https://x/" + "a" * 3000]}}, "invalid_redirect_uri"),
        (
            {
                "json": {
                    "redirect_uris": ["https://x/cb"],
                    "token_endpoint_auth_method": "client_secret_basic",
                }
            },
            "invalid_client_metadata",
        ),
        ({"json": {"redirect_uris": ["https://x/cb"], "client_name": 42}}, "invalid_client_metadata"),
        (
            {"json": {"redirect_uris": ["https://x/cb"], "grant_types": "authorization_code"}},
            "invalid_client_metadata",
        ),
    ],
)
def test_bad_registrations(idp: Idp, kwargs: dict, error: str) -> None:
    r = idp.http.post("/oidc/register", **kwargs)
    assert r.status_code == 400 and r.json()["error"] == error


def test_registered_client_is_strict_third_party(idp: Idp) -> None:
    reg = idp.http.post(
        "/oidc/register",
        json={"redirect_uris": ["http://127.0.0.1:5555/cb"], "token_endpoint_auth_method": "none"},
    ).json()
    from tests.fake_idp.conftest import pkce_pair

    verifier, challenge = pkce_pair()
    r = idp.authorize(
        client_id=reg["client_id"],
        redirect_uri="http://127.0.0.1:5555/cb",
        scope="openid profile mcp:tools",
        resource=GATEWAY,
        code_challenge=challenge,
        code_challenge_method="S256",
    )
    code = query_of(r.headers["location"])["code"]
    t = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": reg["client_id"],
            "code": code,
            "redirect_uri": "http://127.0.0.1:5555/cb",
            "code_verifier": verifier,
        },
    )
    body = t.json()
    assert "id_token" not in body and body["scope"] == "mcp:tools"  # no OIDC for strict third-party (F-21)
    assert idp.verify(body["access_token"])["aud"] == GATEWAY


@pytest.mark.parametrize("uri", ["javascript:alert(document.cookie)", "JavaScript://%0aalert(1)",
                                 "data:text/html,<script>alert(1)</script>", "vbscript:msgbox(1)", "file:///etc/passwd"])
def test_dcr_refuses_redirect_uris_that_run_in_the_browser(idp: Idp, uri: str) -> None:
    response = idp.http.post("/oidc/register", json={"client_name": "x", "redirect_uris": [uri],
                                                     "token_endpoint_auth_method": "none"})
    assert response.status_code == 400 and response.json()["error"] == "invalid_redirect_uri"
    assert "runs in the browser" in idp.last("/oidc/register")["reason"]


def test_profile_accepts_client_secret_basic_and_can_assign_a_method(idp: Idp) -> None:
    basic = {**BODY, "token_endpoint_auth_method": "client_secret_basic"}
    refused = idp.http.post("/oidc/register", json=basic)
    assert refused.status_code == 400
    assert refused.json()["error_description"] == "token_endpoint_auth_method must be one of: none, client_secret_post"
    idp.patch({"profile": {"registration": {"token_endpoint_auth_methods": ["none", "client_secret_basic"]}}})
    body = idp.http.post("/oidc/register", json=basic).json()
    assert body["token_endpoint_auth_method"] == "client_secret_basic" and body["client_secret"]
    idp.patch({"profile": {"registration": {"assign_token_endpoint_auth_method": "client_secret_basic"}}})
    assigned = idp.http.post("/oidc/register", json=BODY).json()  # asked for none (RFC 7591 §3.2.1: replaced)
    assert assigned["token_endpoint_auth_method"] == "client_secret_basic" and assigned["client_secret"]
    assert "replaced by 'client_secret_basic'" in " ".join(idp.last("/oidc/register")["notes"])


def test_profile_rotates_refresh_tokens_of_confidential_clients_too(idp: Idp) -> None:
    idp.patch({"profile": {"registration": {"refresh_token_rotation": "always"}}})
    body = idp.http.post("/oidc/register", json={**BODY, "token_endpoint_auth_method": "client_secret_post"}).json()
    client = idp.control.state.registered_clients[body["client_id"]]
    assert client.confidential and client.refresh_token.rotation_type == "rotating"
