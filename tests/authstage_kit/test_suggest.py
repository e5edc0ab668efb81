"""Did you mean …? for unknown keys in the services' settings models (authstage_kit/suggest.py)."""

from __future__ import annotations

from pydantic import ValidationError

from authstage_kit.suggest import closest, extra_key_message, model_keys
from fake_idp import Tenant
from sample_mcp import SampleSettings


def _messages(model: type, document: dict) -> dict[str, str]:
    try:
        model.model_validate(document)
    except ValidationError as exc:
        return {".".join(map(str, e["loc"])): extra_key_message(e, model) for e in exc.errors()}
    raise AssertionError("valid")


def test_unknown_keys_name_the_closest_real_one_at_their_place() -> None:
    found = _messages(Tenant, {"fauls": {}, "faults": {"jwks_falt": "x"}, "settings": {"default_audiense": "a"},
                               "clients": [{"name": "a", "client_id": "b", "grant_type": []}],
                               "emulator": {"token_profiles": {"api": "cognito"}, "sed": 1}})
    assert found["fauls"].endswith("(did you mean `faults`?)")
    assert found["faults.jwks_falt"].endswith("(did you mean `jwks_fault`?)")
    assert found["settings.default_audiense"].endswith("(did you mean `default_audience`?)")
    assert found["clients.0.grant_type"].endswith("(did you mean `grant_types`?)")
    assert found["emulator.sed"].endswith("(did you mean `seed`?)")
    assert _messages(SampleSettings, {"sesions": True})["sesions"].endswith("(did you mean `sessions`?)")
    assert _messages(SampleSettings, {"zzzzzz": True})["zzzzzz"] == "Extra inputs are not permitted"


def test_closest_and_model_keys() -> None:
    assert closest("FAULTS", ["faults", "settings"]) == "faults"
    assert closest("qqq", ["faults"]) is None
    assert "jwks_fault" in (model_keys(Tenant, ("faults",)) or [])
    assert model_keys(Tenant, ("name",)) is None


def test_the_control_plane_answers_with_the_suggestion() -> None:
    from fastapi.testclient import TestClient

    from fake_idp import create_app, demo_tenant

    app = create_app(demo_tenant(gateway_resource="http://127.0.0.1:1/mcp"))
    with TestClient(app, base_url="http://127.0.0.1:8000") as client:
        response = client.patch("/_authstage/config", json={"faults": {"jwks_falt": "slow"}})
    assert response.status_code == 400
    assert response.json()["detail"] == [
        {"loc": "faults.jwks_falt", "msg": "Extra inputs are not permitted (did you mean `jwks_fault`?)"}
    ]
