"""/userinfo: opaque and JWT access tokens, Auth0's 401s."""

from __future__ import annotations

from tests.fake_idp.conftest import Idp


def _bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def test_userinfo_with_opaque_jwe_token(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid profile email", audience=None)
    r = idp.http.get("/userinfo", headers=_bearer(body["access_token"]))
    assert r.status_code == 200
    info = r.json()
    assert list(info) == ["sub", "nickname", "name", "picture", "updated_at", "email", "email_verified"]
    assert info["sub"] == "auth0|alice" and info["email"] == "alice@example.test"


def test_userinfo_with_jwt_whose_aud_includes_userinfo(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid email")
    r = idp.http.post("/userinfo", headers=_bearer(body["access_token"]))
    assert r.json() == {"sub": "auth0|alice", "email": "alice@example.test", "email_verified": True}


def test_userinfo_rejects_api_only_tokens_and_missing_openid(idp: Idp) -> None:
    token = idp.code_flow(scope="mcp:tools")[0]["access_token"]
    r = idp.http.get("/userinfo", headers=_bearer(token))
    assert (
        r.status_code == 401
        and r.text == "Unauthorized"
        and r.headers["content-type"].startswith("text/plain")
    )
    assert "userinfo audience" in idp.last("/userinfo")["reason"]
    m2m = idp.cc().json()["access_token"]
    assert idp.http.get("/userinfo", headers=_bearer(m2m)).status_code == 401


def test_userinfo_missing_and_expired_tokens(idp: Idp) -> None:
    r = idp.http.get("/userinfo")
    assert r.status_code == 401 and r.headers["www-authenticate"] == 'Bearer realm="Users"'
    body, _ = idp.code_flow(scope="openid", audience=None)
    idp.control.clock.advance(86401)
    r = idp.http.get("/userinfo", headers=_bearer(body["access_token"]))
    assert r.status_code == 401
    assert (
        r.headers["www-authenticate"]
        == 'Bearer realm="Users", error="invalid_token", error_description="The token has expired"'
    )
    r = idp.http.get("/userinfo", headers=_bearer("garbage"))
    assert r.status_code == 401 and "invalid_token" in r.headers["www-authenticate"]


def test_userinfo_json_error_style_knob(idp: Idp) -> None:
    idp.patch({"emulator": {"userinfo_error_style": "json"}})
    r = idp.http.get("/userinfo", headers=_bearer("garbage"))
    assert r.json() == {"error": "invalid_token", "error_description": "Token is not valid for userinfo"}
