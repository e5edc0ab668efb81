"""The /_authstage/ control plane and the in-process control object (docs/control-plane.md)."""

from __future__ import annotations

import pytest

from authstage_kit.errors import ControlError
from fake_idp import create_app, demo_tenant
from tests.fake_idp.conftest import CLI_ID, M2M_SECRET, Idp


def test_get_patch_put_config(idp: Idp) -> None:
    doc = idp.http.get("/_authstage/config").json()
    assert doc["name"] == "authstage-demo" and doc["faults"]["jwks_kid_mode"] == "normal"
    r = idp.http.patch("/_authstage/config", json={"faults": {"jwks_kid_mode": "omit_kid"}})
    assert r.status_code == 200 and r.json()["faults"]["jwks_kid_mode"] == "omit_kid"
    assert idp.control.config.faults.jwks_kid_mode == "omit_kid"
    doc["settings"]["discovery_profile"] = "classic"
    r = idp.http.put("/_authstage/config", json=doc)
    assert r.status_code == 200 and r.json()["faults"]["jwks_kid_mode"] == "normal"
    assert "grant_types_supported" not in idp.http.get("/.well-known/openid-configuration").json()


def test_invalid_patch_names_each_bad_key_and_keeps_the_old_config(idp: Idp) -> None:
    r = idp.http.patch("/_authstage/config", json={"faults": {"jwks_kid_mode": "bogus", "nope": 1}})
    assert r.status_code == 400
    body = r.json()
    assert body["error"] == "invalid_config"
    locs = {d["loc"] for d in body["detail"]}
    assert {"faults.jwks_kid_mode", "faults.nope"} <= locs
    assert idp.control.config.faults.jwks_kid_mode == "normal"
    for bad in (b"{nope", b"[1]", b""):
        r = idp.http.patch("/_authstage/config", content=bad, headers={"content-type": "application/json"})
        assert r.status_code == 400 and r.json()["error"] == "invalid_config"


def test_reset_clears_runtime_state_and_config(idp: Idp) -> None:
    rt = idp.code_flow()[0]["refresh_token"]
    idp.http.post("/oidc/register", json={"redirect_uris": ["http://127.0.0.1:1/cb"]})
    idp.patch({"faults": {"jwks_kid_mode": "omit_kid"}})
    idp.control.clock.freeze(1000)
    r = idp.http.post("/_authstage/reset", json={})
    assert r.status_code == 200
    assert idp.control.config.faults.jwks_kid_mode == "normal"
    assert not idp.control.state.registered_clients and not idp.control.state.refresh_tokens
    assert idp.control.records() == [] and idp.control.clock.frozen is False
    assert (
        idp.http.post(
            "/oauth/token", data={"grant_type": "refresh_token", "client_id": CLI_ID, "refresh_token": rt}
        ).status_code
        == 403
    )


def test_clock_endpoints(idp: Idp) -> None:
    r = idp.http.post("/_authstage/clock", json={"at": 1_900_000_000})
    assert r.json() == {"now": 1_900_000_000, "frozen": True, "offset": 0.0}
    r = idp.http.post("/_authstage/clock", json={"advance": 60})
    assert r.json()["now"] == 1_900_000_060
    r = idp.http.post("/_authstage/clock", json={"freeze": False})
    assert r.json()["frozen"] is False
    r = idp.http.post("/_authstage/clock", json={"offset": -30})
    assert r.json()["offset"] == -30
    assert idp.http.get("/_authstage/clock").json()["offset"] == -30
    for bad in (
        {"advance": "x"},
        {"warp": 1},
        {"freeze": "yes"},
        [1],
        {"at": float("nan")} if False else {"at": True},
    ):
        r = idp.http.post("/_authstage/clock", json=bad)
        assert r.status_code == 400 and r.json()["error"] == "invalid_clock"


def test_clock_freeze_then_unfreeze_keeps_the_shift(idp: Idp) -> None:
    c = idp.control.clock
    c.freeze(2_000_000_000)
    c.advance(10)
    c.unfreeze()
    assert abs(c.now() - 2_000_000_010) < 5


def test_log_records_since_and_delete(idp: Idp) -> None:
    idp.http.get("/.well-known/jwks.json")
    idp.cc()
    idp.http.get("/_authstage/config")  # control-plane requests are not logged
    log = idp.http.get("/_authstage/log").json()
    assert [r["path"] for r in log["records"]] == ["/.well-known/jwks.json", "/oauth/token"]
    assert log["next"] == log["records"][-1]["seq"]
    rec = log["records"][-1]
    assert set(rec) >= {
        "seq",
        "time",
        "service",
        "method",
        "path",
        "query",
        "status",
        "reason",
        "duration_ms",
        "request",
        "response",
        "tokens",
    }
    assert rec["service"] == "idp" and rec["reason"] is None
    later = idp.http.get("/_authstage/log", params={"since": log["records"][0]["seq"]}).json()
    assert [r["path"] for r in later["records"]] == ["/oauth/token"]
    assert idp.http.get("/_authstage/log", params={"since": "x"}).status_code == 400
    assert idp.http.delete("/_authstage/log").status_code == 204
    assert idp.http.get("/_authstage/log").json()["records"] == []


def test_log_time_is_the_tenant_clock_and_reason_explains_4xx(idp: Idp) -> None:
    idp.control.clock.freeze(1_234_567_890)
    idp.cc(client_secret="wrong")
    rec = idp.last("/oauth/token")
    assert rec["time"] == 1_234_567_890 and rec["status"] == 401 and "wrong client_secret" in rec["reason"]
    assert M2M_SECRET not in str(rec) and "wrong" not in str(rec["request"]["body"])


def test_log_truncates_big_bodies_and_redacts_bearer(idp: Idp) -> None:
    token = idp.cc().json()["access_token"]
    idp.http.get("/userinfo", headers={"Authorization": f"Bearer {token}"})
    rec = idp.last("/userinfo")
    assert rec["request"]["headers"]["authorization"] == "Bearer eyJhbGciOi…[redacted]"
    assert rec["tokens"][0]["where"] == "request.headers.authorization" and "claims" in rec["tokens"][0]
    idp.http.post(
        "/oauth/token",
        content=b"a=" + b"x" * 20000,
        headers={"content-type": "application/x-www-form-urlencoded"},
    )
    body = idp.last("/oauth/token")["request"]["body"]
    assert isinstance(body, str) and "…[truncated" in body


def test_subscribe(idp: Idp) -> None:
    seen: list[str] = []
    unsubscribe = idp.control.subscribe(lambda rec: seen.append(rec["path"]))
    idp.http.get("/.well-known/openid-configuration")
    unsubscribe()
    idp.http.get("/.well-known/openid-configuration")
    assert seen == ["/.well-known/openid-configuration"]


def test_replace_in_process_and_errors(idp: Idp) -> None:
    t = demo_tenant()
    t.faults.jwks_kid_mode = "omit_kid"
    idp.control.replace(t)
    assert idp.control.config.faults.jwks_kid_mode == "omit_kid"
    with pytest.raises(ControlError) as exc:
        idp.control.patch({"faults": {"jwks_fault": "sometimes"}})
    assert exc.value.detail[0]["loc"] == "faults.jwks_fault"


def test_control_plane_can_be_turned_off(idp: Idp) -> None:
    idp.patch({"emulator": {"control_plane": False}})
    r = idp.http.get("/_authstage/config")
    assert r.status_code == 404 and r.json() == {
        "statusCode": 404,
        "error": "Not Found",
        "message": "Not Found",
    }
    assert idp.http.get("/_authstage/anything").status_code == 404


def test_keys_listing(idp: Idp) -> None:
    doc = idp.http.get("/_authstage/keys").json()
    assert [k["state"] for k in doc["keys"]] == ["current", "next"] and doc["revoked"] == []


def test_app_has_the_control_object() -> None:
    app = create_app(demo_tenant())
    control = app.state.control
    for attr in ("config", "patch", "replace", "reset", "records", "subscribe", "clock"):
        assert hasattr(control, attr)
    assert control.domain == "authstage.local"


def test_log_is_bounded() -> None:
    from starlette.testclient import TestClient

    t = demo_tenant()
    t.emulator.log_max_records = 10
    app = create_app(t)
    with TestClient(app) as c:
        for _ in range(15):
            c.get("/.well-known/jwks.json")
    recs = app.state.control.records()
    assert len(recs) == 10 and recs[0]["seq"] == 6


def test_reset_restores_the_creation_time_keys(idp: Idp) -> None:
    token = idp.cc().json()["access_token"]
    kids = [k["kid"] for k in idp.http.get("/.well-known/jwks.json").json()["keys"]]
    idp.control.rotate_keys(revoke_previous=True)
    assert [k["kid"] for k in idp.http.get("/.well-known/jwks.json").json()["keys"]] != kids
    idp.http.post("/_authstage/reset", json={})
    assert [k["kid"] for k in idp.http.get("/.well-known/jwks.json").json()["keys"]] == kids
    assert idp.verify(token)["sub"].endswith("@clients")  # tokens minted before a reset stay valid


def test_seeded_ids_repeat_exactly_after_a_reset() -> None:
    """`emulator.seed`: DCR client ids, codes-derived tokens' jti and refresh tokens repeat run after run."""
    import httpx

    from authstage_kit.runner import ServerThread
    from fake_idp import create_app, demo_tenant

    tenant = demo_tenant().model_copy(deep=True)
    tenant.emulator.seed = 7

    def run(server: ServerThread) -> tuple[str, str]:
        registered = httpx.post(f"{server.url}/oidc/register", json={"redirect_uris": ["http://127.0.0.1:1/cb"]})
        token = httpx.post(f"{server.url}/oauth/token", data={
            "grant_type": "client_credentials", "client_id": "DEMOm2mClient0000000000000000001",
            "client_secret": "demo-secret-not-for-production-m2m-0001", "audience": "http://127.0.0.1:8000/mcp"})
        import jwt as pyjwt

        return registered.json()["client_id"], pyjwt.decode(token.json()["access_token"],
                                                           options={"verify_signature": False})["jti"]

    with ServerThread(build=lambda url: create_app(tenant, base_url=url), name="idp") as server:
        first = run(server)
        httpx.post(f"{server.url}/_authstage/reset", json={})
        assert run(server) == first
        assert first[0].startswith("tpc_")
        httpx.patch(f"{server.url}/_authstage/config", json={"emulator": {"seed": None}})
        assert run(server)[0] != first[0]
