"""/oidc/logout (RP-initiated logout) and the legacy /v2/logout."""

from __future__ import annotations

from tests.fake_idp.conftest import CLI_ID, Idp


def test_oidc_logout_with_id_token_hint_redirects(idp: Idp) -> None:
    idt = idp.code_flow(scope="openid")[0]["id_token"]
    r = idp.http.get(
        "/oidc/logout",
        params={"id_token_hint": idt, "post_logout_redirect_uri": "http://127.0.0.1:8976/", "state": "s 1"},
    )
    assert r.status_code == 302 and r.headers["location"] == "http://127.0.0.1:8976/?state=s+1"
    r = idp.http.get(
        "/oidc/logout", params={"id_token_hint": idt, "post_logout_redirect_uri": "https://evil.example/"}
    )
    assert r.status_code == 400 and "Allowed Logout URL" in idp.last("/oidc/logout")["reason"]
    r = idp.http.get("/oidc/logout", params={"id_token_hint": idt, "client_id": "other"})
    assert r.status_code == 400
    r = idp.http.get("/oidc/logout", params={"id_token_hint": "garbage"})
    assert r.status_code == 400


def test_oidc_logout_without_hint_asks_for_confirmation(idp: Idp) -> None:
    idp.patch({"settings": {"headless_auto_approve": False}})
    r = idp.http.get("/oidc/logout", params={"client_id": CLI_ID})
    assert r.status_code == 200 and "Are you sure" in r.text
    r = idp.http.post("/oidc/logout", data={"client_id": CLI_ID, "action": "accept"})
    assert r.status_code == 200 and "logged out" in r.text


def test_logout_not_available_to_strict_third_party(idp: Idp) -> None:
    reg = idp.http.post(
        "/oidc/register",
        json={"redirect_uris": ["http://127.0.0.1:5555/cb"], "token_endpoint_auth_method": "none"},
    ).json()
    r = idp.http.get("/oidc/logout", params={"client_id": reg["client_id"]})
    assert r.status_code == 400 and "third party" in r.text


def test_legacy_v2_logout(idp: Idp) -> None:
    r = idp.http.get("/v2/logout", params={"client_id": CLI_ID, "returnTo": "http://localhost:8976/"})
    assert r.status_code == 302 and r.headers["location"] == "http://localhost:8976/"
    assert idp.http.get("/v2/logout", params={"returnTo": "https://evil.example/"}).status_code == 400


def test_tenant_level_allowed_logout_urls(idp: Idp) -> None:
    assert (
        idp.http.get("/v2/logout", params={"returnTo": "https://portal.example.test/bye"}).status_code == 400
    )
    idp.patch({"settings": {"allowed_logout_urls": ["https://portal.example.test/bye"]}})
    r = idp.http.get("/v2/logout", params={"returnTo": "https://portal.example.test/bye"})
    assert r.status_code == 302 and r.headers["location"] == "https://portal.example.test/bye"
