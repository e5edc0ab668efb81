"""Break the emulator's code the way a careless emulator would be written, and the scenarios catch it.

`test_sensitivity.py` flips documented knobs; these tests change the *code* (monkeypatching the running,
in-process services): an authorizer that skips the audience check, one that falls back from `client_id` to
`azp`, and an IdP that issues M2M tokens without a client grant — the shortcuts the peers' mocks take. Each time
the scenario that depends on the real behaviour reports a mismatch.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

import fake_gateway.claims as gateway_claims
import fake_idp.grants as grants
from fake_gateway.verdict import Check
from fake_idp.tenant import ClientGrant
from harness._replay import Replayer
from harness._scenario import load_scenario

CATALOG = Path(__file__).resolve().parents[2] / "scenarios"


@pytest.fixture(scope="module")
def replayer() -> Iterator[Replayer]:
    with Replayer() as replay:
        yield replay


def replay(replayer: Replayer, name: str) -> Any:
    return replayer.run(load_scenario(CATALOG / f"{name}.yaml"), "broken")


def test_a_gateway_that_skips_the_audience_check_fails_audience_mismatch(replayer, monkeypatch) -> None:
    assert replay(replayer, "audience-mismatch").passed

    def no_audience_check(claims: dict[str, Any], jwt: Any, knobs: Any = None) -> Check:
        return Check("aud", True, "not checked")

    monkeypatch.setattr(gateway_claims, "check_aud", no_audience_check)
    run = replay(replayer, "audience-mismatch")
    assert not run.passed
    assert any("checks.aud: expected false, got true" in problem for problem in run.problems), run.problems


def test_a_gateway_that_reads_azp_as_client_id_fails_allowed_clients_azp(replayer, monkeypatch) -> None:
    assert replay(replayer, "allowed-clients-azp").passed
    original = gateway_claims.check_client_id

    def azp_fallback(claims: dict[str, Any], jwt: Any) -> Check:
        if "client_id" not in claims and "azp" in claims:
            claims = {**claims, "client_id": claims["azp"]}
        return original(claims, jwt)

    monkeypatch.setattr(gateway_claims, "check_client_id", azp_fallback)
    run = replay(replayer, "allowed-clients-azp")
    assert not run.passed
    assert any("expected 401, got 200" in problem for problem in run.problems), run.problems


def test_an_idp_that_mints_without_a_client_grant_fails_m2m_without_client_grant(replayer, monkeypatch) -> None:
    assert replay(replayer, "m2m-without-client-grant").passed
    original = grants.find_grant

    def any_grant(ctx: Any, client: Any, api: Any, *, allow_default: bool) -> Any:
        return original(ctx, client, api, allow_default=allow_default) or ClientGrant(
            client_id=client.client_id, audience=api.identifier, scope=api.scope_values
        )

    monkeypatch.setattr(grants, "find_grant", any_grant)
    run = replay(replayer, "m2m-without-client-grant")
    assert not run.passed
    assert any("expected 403, got 200" in problem for problem in run.problems), run.problems
