"""`policyEngines[].policyFiles` expansion (fake_gateway/shapes/cedar.py) on documents of any shape: a member of the
wrong type is the settings model's refusal, never a crash (found by bench/loader_fuzz.py: a scalar
`policyEngines` was a TypeError, over the control plane a 500)."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from fake_gateway import Gateway
from fake_gateway.shapes import expand_policy_files

BASE = {"name": "fuzzed", "authorizerType": "NONE", "protocolType": "MCP"}


@pytest.mark.parametrize("engines", [1, True, 3.5, "policies", {"policyFiles": ["x.cedar"]}])
def test_a_policy_engines_member_of_the_wrong_type_is_refused_by_the_model(engines: Any, start_gateway: Any) -> None:
    document = {**BASE, "policyEngines": engines}
    assert expand_policy_files(dict(document), None) == ([], [])
    with pytest.raises(ValidationError) as refused:
        Gateway.from_document(document)
    assert "policyEngines" in str(refused.value)
    gateway = start_gateway(BASE)
    with gateway.client() as client:
        answer = client.put("/_authstage/config", json=document)
    assert answer.status_code == 400 and answer.json()["detail"][0]["loc"] == "policyEngines", answer.text
