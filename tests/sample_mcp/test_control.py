"""The sample server's `/_authstage/` control plane (docs/control-plane.md)."""

from __future__ import annotations

import httpx

from sample_mcp import SampleAuth, SampleSettings
from tests.sample_mcp.conftest import ACCEPT, INIT

JSON = {"content-type": "application/json"}


def test_config_round_trips_and_bad_patches_name_the_key(serve) -> None:
    server = serve()
    config = httpx.get(f"{server.url}/_authstage/config").json()
    assert config == SampleSettings().model_dump(mode="json")
    bad = httpx.patch(f"{server.url}/_authstage/config", json={"sesions": True})
    assert bad.status_code == 400
    assert bad.json()["detail"][0]["loc"] == "sesions"
    bad_value = httpx.patch(f"{server.url}/_authstage/config", json={"slow_cap_seconds": -1})
    assert bad_value.status_code == 400 and bad_value.json()["detail"][0]["loc"] == "slow_cap_seconds"
    assert httpx.get(f"{server.url}/_authstage/config").json() == config  # unchanged after a bad patch
    assert httpx.patch(f"{server.url}/_authstage/config", content=b"[1,", headers=JSON).status_code == 400


def test_reset_restores_the_initial_config_and_clears_the_log(serve) -> None:
    server = serve()
    httpx.patch(f"{server.url}/_authstage/config", json={"sessions": True})
    httpx.post(f"{server.url}/mcp", json=INIT, headers=ACCEPT)
    assert httpx.get(f"{server.url}/_authstage/log").json()["records"]
    assert httpx.post(f"{server.url}/_authstage/reset", json={}).status_code == 200
    assert httpx.get(f"{server.url}/_authstage/config").json()["sessions"] is False
    assert httpx.get(f"{server.url}/_authstage/log").json()["records"] == []


def test_clock_freezes_and_advances_and_drives_token_expiry(serve, issuer) -> None:
    audience = "http://127.0.0.1:9/mcp"
    server = serve(SampleSettings(auth=SampleAuth(issuer=issuer.issuer, audience=audience, leeway_seconds=0)))
    token = issuer.mint(aud=audience, exp=None) + ""
    token = issuer.mint(aud=audience)
    assert (
        httpx.post(
            f"{server.url}/mcp", json=INIT, headers=ACCEPT | {"Authorization": f"Bearer {token}"}
        ).status_code
        == 200
    )
    state = httpx.post(f"{server.url}/_authstage/clock", json={"freeze": True, "advance": 3600}).json()
    assert state["frozen"] is True
    assert httpx.get(f"{server.url}/_authstage/clock").json()["now"] == state["now"]
    expired = httpx.post(
        f"{server.url}/mcp", json=INIT, headers=ACCEPT | {"Authorization": f"Bearer {token}"}
    )
    assert expired.status_code == 401
    assert httpx.post(f"{server.url}/_authstage/clock", json={"advance": "soon"}).status_code == 400


def test_log_records_requests_with_tokens_decoded_and_secrets_redacted(serve, issuer) -> None:
    server = serve()
    token = issuer.mint(aud="x", client_secret="hunter2")
    httpx.post(
        f"{server.url}/mcp",
        json=INIT | {"params": {**INIT["params"], "client_secret": "s3cret"}},
        headers=ACCEPT | {"Authorization": f"Bearer {token}"},
    )
    (record,) = httpx.get(f"{server.url}/_authstage/log").json()["records"]
    assert record["service"] == "mcp" and record["method"] == "POST" and record["path"] == "/mcp"
    assert record["status"] == 200
    assert token not in str(record)
    assert "s3cret" not in str(record)
    assert record["request"]["headers"]["authorization"].startswith("Bearer eyJ")
    assert record["request"]["headers"]["authorization"].endswith("[redacted]")
    assert record["tokens"][0]["claims"]["aud"] == "x"
    assert record["response"]["body"]["result"]["serverInfo"]["name"] == "sample-search"
    page = httpx.get(f"{server.url}/_authstage/log", params={"since": record["seq"]}).json()
    assert page == {"records": [], "next": record["seq"]}
    assert httpx.delete(f"{server.url}/_authstage/log").status_code == 204


def test_control_plane_can_be_turned_off(serve) -> None:
    server = serve(control_plane=False)
    assert httpx.get(f"{server.url}/_authstage/config").status_code == 404
