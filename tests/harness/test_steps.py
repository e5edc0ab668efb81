"""Step execution: what a step sends, and the ScenarioStepError a step raises when a service answers otherwise."""

from __future__ import annotations

from types import SimpleNamespace

import httpx
import pytest

from harness import AuthstageError, ScenarioStepError
from harness._steps import StepContext, _jsonrpc_body, resolve, step_explain


def test_an_explain_step_the_gateway_refuses_raises_with_the_step_and_the_response() -> None:
    http = httpx.Client(transport=httpx.MockTransport(lambda request: httpx.Response(404, text="no explain here")))
    stack = SimpleNamespace(http=http, gateway=SimpleNamespace(url="http://gateway.test"))
    step = object()
    with pytest.raises(ScenarioStepError, match="POST /_authstage/explain -> 404: no explain here") as caught:
        step_explain(StepContext(stack, http, step=step), {"token": "t"})  # type: ignore[arg-type]  # a stand-in stack
    assert caught.value.step is step and caught.value.response.status_code == 404


def test_mcp_step_bodies() -> None:
    assert _jsonrpc_body({}, "2025-11-25") == {"jsonrpc": "2.0", "id": 1, "method": "tools/list"}
    assert _jsonrpc_body({"tool": "echo", "arguments": {"text": "hi"}}, None)["params"] == {
        "name": "echo", "arguments": {"text": "hi"}}
    initialize = _jsonrpc_body({"method": "initialize", "id": 3}, None)
    assert initialize["id"] == 3 and initialize["params"]["protocolVersion"] == "2025-11-25"
    assert "id" not in _jsonrpc_body({"method": "notifications/initialized"}, "2025-11-25")
    assert _jsonrpc_body({"body": [1, 2]}, None) == [1, 2]  # a scenario may send any JSON


def test_references_take_the_longest_dotted_key_and_list_indexes() -> None:
    manifest = {"clients": {}, "users": {"alice@example.test": {"password": "pw"}}, "apis": {}}
    stack = SimpleNamespace(variables={"idp.url": "http://idp.test"}, manifest=manifest)
    context = StepContext(stack, httpx.Client(), saved={"tok": {"scopes": ["a", "b"]}})  # type: ignore[arg-type]  # a stand-in stack
    assert resolve("${users.alice@example.test.password}", context) == "pw"
    assert resolve({"u": "${idp.url}/x", "s": ["${tok.scopes.1}"]}, context) == {"u": "http://idp.test/x", "s": ["b"]}
    with pytest.raises(AuthstageError, match=r"unknown reference \$\{tk.x\}"):
        resolve("${tk.x}", context)


def _jws(header: dict, claims: dict) -> str:
    import base64
    import json

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    return f"{part(header)}.{part(claims)}.c2ln"


def test_references_read_the_claims_and_header_of_any_jwt_they_meet() -> None:
    access = _jws({"alg": "RS256", "kid": "k1"}, {"sub": "auth0|alice", "aud": ["gw", "ui"]})
    id_token = _jws({"alg": "HS256"}, {"nonce": "n-1", "aud": "cli"})
    stack = SimpleNamespace(variables={}, manifest={"clients": {}, "users": {}, "apis": {}})
    saved = {"tok": {"access_token": access, "id_token": id_token, "refresh_token": "v1.Mopaque"}}
    context = StepContext(stack, httpx.Client(), saved=saved)  # type: ignore[arg-type]  # a stand-in stack
    assert resolve("${tok.access_token.claims.sub}", context) == "auth0|alice"
    assert resolve("${tok.claims.aud.1}", context) == "ui"  # a token response: its access token
    assert resolve("${tok.header.kid}", context) == "k1"
    assert resolve("${tok.id_token.claims.nonce}/${tok.id_token.header.alg}", context) == "n-1/HS256"
    with pytest.raises(AuthstageError, match=r"the value before `claims` is not a JWT \(opaque\)"):
        resolve("${tok.refresh_token.claims.sub}", context)
    with pytest.raises(AuthstageError, match=r"reference \$\{tok.claims.nope\}: `nope` not found"):
        resolve("${tok.claims.nope}", context)
