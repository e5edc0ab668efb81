"""A scenario depends on the emulated behaviour it replays: flip that behaviour and the replay reports a mismatch.

Each case switches one emulator behaviour off (a knob of the service, merged over the scenario's broken stack)
and expects the broken run to fail at the step that asserts the symptom.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path

import pytest

from harness._config import StackFile
from harness._replay import Replayer
from harness._scenario import load_scenario

CATALOG = Path(__file__).resolve().parents[2] / "scenarios"

FLIPS = {
    # the gateway stops rejecting tokens issued "in the future"
    "clock-skew": (
        {"emulator": {"rejectFutureIat": False}},
        "step 2 (call a tool at once (the gateway's clock says 00:00:00)): status: expected 401, got 200",
    ),
    # the gateway answers an unknown tool with the documented 404 instead of the JSON-RPC error
    "unknown-tool-missing-prefix": (
        {"emulator": {"unknownToolResponse": "http404"}},
        "step 3 (call the tool): status: expected 200, got 404",
    ),
    # the Aug-2025 challenge: no error, no scope
    "missing-bearer-token": (
        {"emulator": {"legacyChallenge": True}},
        "step 1 (initialize without a token): headers.www-authenticate",
    ),
    # the PRM names the discovery issuer again (with its slash): no mismatch for a strict client to find
    "prm-authorization-server-without-trailing-slash": (
        {"emulator": {"prmAuthorizationServers": "discovery-issuer"}},
        "step 1 (the protected-resource metadata names the IdP without the slash): json.authorization_servers[0]",
    ),
    # target errors are no longer masked behind the generic text
    "target-rejects-outbound-token": (
        {"exceptionLevel": "DEBUG"},
        "step 2 (call a tool through the gateway): text",
    ),
}


@pytest.fixture(scope="module")
def replayer() -> Iterator[Replayer]:
    with Replayer() as replay:
        yield replay


@pytest.mark.parametrize("name", sorted(FLIPS))
def test_flipping_the_emulated_behaviour_makes_the_scenario_fail(replayer: Replayer, name: str) -> None:
    scenario = load_scenario(CATALOG / f"{name}.yaml")
    assert replayer.run(scenario, "broken").passed
    flip, problem = FLIPS[name]
    flipped = dataclasses.replace(scenario, stack=scenario.stack.merged(StackFile(gateway=flip)))
    run = replayer.run(flipped, "broken")
    assert not run.passed
    assert any(p.startswith(problem) for p in run.problems), run.problems
