"""Faults the gateway survives (issue 4): a dead or slow IdP, a dead or slow target, key rotation under load.

Each test runs the real chain (fake_idp, fake_gateway, sample_mcp) and asserts three things: valid callers keep
working where they can, refused callers get the documented 401 within a bounded time, and the gateway is
still up afterwards. Knob values are shortened (timeouts, refetch interval) so the suite stays fast.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from authstage_kit.runner import ServerThread
from harness import Stack
from sample_mcp import SampleSettings
from sample_mcp import create_app as sample_app
from tests.forgery import rsa_key, sign_rs256

HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
INVALID = {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Invalid Bearer token"}}
GENERIC = "An internal error occurred. Please retry later."


def tool_call(
    stack: Stack, token: str, tool: str = "search-server___search", **arguments: Any
) -> httpx.Response:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": tool, "arguments": arguments or {"q": "pkce"}},
    }
    with httpx.Client(timeout=30, trust_env=False) as client:
        return client.post(
            stack.gateway.mcp_url, json=body, headers={**HEADERS, "Authorization": f"Bearer {token}"}
        )


def timed(call: Any, *args: Any, **kwargs: Any) -> tuple[httpx.Response, float]:
    started = time.monotonic()
    response = call(*args, **kwargs)
    return response, time.monotonic() - started


def text_of(response: httpx.Response) -> str:
    return " ".join(c.get("text", "") for c in response.json()["result"]["content"])


def last_reason(stack: Stack) -> str:
    return stack.gateway.app.state.control.records()[-1]["reason"]


def gateway_is_up(stack: Stack) -> bool:
    response = httpx.get(stack.gateway.prm_url, timeout=5, trust_env=False)
    return response.status_code == 200 and response.json()["resource"] == stack.gateway.mcp_url


def unknown_kid_token(stack: Stack) -> str:
    """A well-formed token for the gateway, signed by a key the IdP never published (a rotated-away key)."""
    now = int(time.time())
    claims = {"iss": stack.idp.issuer, "aud": stack.gateway.mcp_url, "scope": "mcp:tools", "sub": "x@clients"}
    header = {"alg": "RS256", "typ": "at+jwt", "kid": "rotated-away-kid"}
    return sign_rs256(rsa_key("rotated-away-kid"), header, {**claims, "iat": now, "exp": now + 600})


@pytest.fixture
def stack() -> Iterator[Stack]:
    with Stack(
        {"gateway": {"emulator": {"jwksRefetchMinIntervalSeconds": 0.2, "jwksFetchTimeoutSeconds": 1}}}
    ) as s:
        ready(s)
        yield s


def ready(stack: Stack, timeout: float = 10.0) -> None:
    """Wait for the gateway's startup synchronization (so the target has verified the gateway's token already)."""
    deadline = time.monotonic() + timeout
    control = stack.gateway.app.state.control
    while any(status != "READY" for status in control.stats()["targets"].values()):
        assert time.monotonic() < deadline, control.stats()
        time.sleep(0.02)


def test_idp_down_after_the_gateway_cached_its_keys(stack: Stack) -> None:
    token = stack.token()
    assert (
        tool_call(stack, token).json()["result"]["isError"] is False
    )  # keys (and the outbound token) cached
    stack.idp.server.stop()
    with pytest.raises(httpx.HTTPError):
        httpx.get(stack.idp.discovery_url, timeout=1, trust_env=False)

    response, seconds = timed(tool_call, stack, token)
    assert response.status_code == 200 and response.json()["result"]["isError"] is False
    assert seconds < 2

    response, seconds = timed(tool_call, stack, unknown_kid_token(stack))
    assert (response.status_code, response.json()) == (401, INVALID)
    assert seconds < 3  # one refetch attempt, bounded by jwksFetchTimeoutSeconds
    reason = last_reason(stack)
    assert reason.startswith("no key with kid 'rotated-away-kid'")
    assert "refreshing the JWKS failed: cannot reach the discovery/JWKS endpoint (ConnectError" in reason

    # The failed refresh did not evict the cached keys: valid callers are still served, again and again.
    time.sleep(0.3)  # past jwksRefetchMinIntervalSeconds: the next unknown kid may refetch again
    assert tool_call(stack, unknown_kid_token(stack)).status_code == 401
    for _ in range(3):
        assert tool_call(stack, token).json()["result"]["isError"] is False
    assert gateway_is_up(stack)


@pytest.mark.parametrize(
    ("fault", "reason"),
    [
        ({"jwks_fault": "http_500"}, "jwks_uri) answered HTTP 500"),
        (
            {"jwks_fault": "slow", "jwks_slow_ms": 2000},
            "cannot reach the discovery/JWKS endpoint (ReadTimeout",
        ),
        ({"jwks_fault": "html"}, "(jwks_uri) did not return JSON"),
        ({"jwks_fault": "empty_keys"}, "has no usable signing key"),
    ],
    ids=["http_500", "slow", "html", "empty_keys"],
)
def test_jwks_failing_at_first_use_is_a_bounded_401(stack: Stack, fault: dict[str, Any], reason: str) -> None:
    token = stack.token()
    stack.patch(idp={"faults": fault})
    response, seconds = timed(tool_call, stack, token)
    assert (response.status_code, response.json()) == (401, INVALID)
    assert response.headers["www-authenticate"].startswith('Bearer error="invalid_token"')
    assert seconds < 3, seconds  # jwksFetchTimeoutSeconds is 1 s
    assert reason in last_reason(stack)
    assert gateway_is_up(stack)

    stack.patch(idp={"faults": {"jwks_fault": "none"}})
    time.sleep(0.3)  # a failed fetch is retried after jwksRefetchMinIntervalSeconds, not on every request
    recovered = tool_call(stack, token)
    assert recovered.status_code == 200, (recovered.text, last_reason(stack))
    assert recovered.json()["result"]["isError"] is False


def test_a_failed_jwks_fetch_is_not_retried_on_every_request() -> None:
    """Negative caching: during a JWKS outage, N requests cost one fetch per jwksRefetchMinIntervalSeconds."""
    with Stack({"idp": {"faults": {"jwks_fault": "http_500"}}}) as stack:
        token = stack.token()
        for _ in range(5):
            assert tool_call(stack, token).status_code == 401
        hits = [
            r
            for r in stack.idp.log()
            if r["path"] == "/.well-known/jwks.json"
            and r["request"]["headers"]["user-agent"].startswith("authstage-gateway")
        ]
        assert len(hits) == 1, [r["status"] for r in hits]
        assert gateway_is_up(stack)


@pytest.fixture
def spare() -> Iterator[ServerThread]:
    """A second, unprotected sample server to add as a gateway target (and to kill)."""
    server = ServerThread(build=lambda url: sample_app(SampleSettings(), base_url=url), name="spare-target")
    server.start()
    yield server
    server.stop()


def add_target(stack: Stack, name: str, endpoint: str) -> None:
    targets = stack.gateway.config()["targets"]
    targets.append({"name": name, "targetConfiguration": {"mcp": {"mcpServer": {"endpoint": endpoint}}}})
    stack.gateway.patch({"targets": targets})
    response = httpx.post(f"{stack.gateway.url}/_authstage/targets/{name}/synchronize", json={}, timeout=10)
    assert response.json()["status"] == "READY", response.text


def test_target_down_is_a_fast_generic_error_and_other_targets_still_work(
    stack: Stack, spare: ServerThread
) -> None:
    add_target(stack, "spare", f"{spare.url}/mcp")
    token = stack.token()
    assert tool_call(stack, token, "spare___echo", text="hi").json()["result"]["isError"] is False
    spare.stop()

    response, seconds = timed(tool_call, stack, token, "spare___echo", text="hi")
    assert response.status_code == 200
    assert response.json()["result"] == {"content": [{"type": "text", "text": GENERIC}], "isError": True}
    assert seconds < 5, seconds
    failure = [r for r in stack.gateway.app.state.control.app_logs() if r["body"].get("reason")][-1]
    assert "spare" in failure["body"]["reason"] or spare.url in failure["body"]["reason"]

    ok = tool_call(stack, token)
    assert ok.json()["result"]["isError"] is False
    assert gateway_is_up(stack)


def test_slow_target_times_out_while_other_calls_go_through(stack: Stack) -> None:
    token = stack.token()
    assert tool_call(stack, token).json()["result"]["isError"] is False  # the target session exists now
    stack.patch(gateway={"emulator": {"targetTimeoutSeconds": 1}})  # patched at runtime, like a scenario step
    box: dict[str, Any] = {}

    def slow() -> None:
        box["response"], box["seconds"] = timed(tool_call, stack, token, "search-server___slow", seconds=2)

    worker = threading.Thread(target=slow)
    worker.start()
    time.sleep(0.2)
    fast, seconds = timed(tool_call, stack, token)
    assert fast.json()["result"]["isError"] is False and seconds < 1.5, seconds
    worker.join(10)
    assert not worker.is_alive()
    assert box["response"].json()["result"] == {
        "content": [{"type": "text", "text": GENERIC}],
        "isError": True,
    }
    assert box["seconds"] < 3, box["seconds"]
    assert tool_call(stack, token).json()["result"]["isError"] is False
    assert gateway_is_up(stack)


def test_key_rotation_during_traffic_loses_no_valid_call(stack: Stack) -> None:
    """Four clients call through the gateway with fresh tokens while the IdP rotates its signing key four
    times: every call succeeds (the next key is published before it signs; an unknown kid refetches once)."""
    stop = threading.Event()
    results: list[tuple[int, bool]] = []
    lock = threading.Lock()

    def client() -> None:
        while not stop.is_set():
            token = stack.token()
            response = tool_call(stack, token)
            ok = response.status_code == 200 and response.json()["result"]["isError"] is False
            with lock:
                results.append((response.status_code, ok))

    workers = [threading.Thread(target=client) for _ in range(4)]
    for worker in workers:
        worker.start()
    kids = []

    def calls_made(more: int) -> None:  # traffic between rotations, counted rather than timed (CI load varies)
        target, deadline = len(results) + more, time.monotonic() + 20
        while len(results) < target and time.monotonic() < deadline:
            time.sleep(0.02)

    try:
        for _ in range(4):
            calls_made(5)
            kids.append(stack.rotate_keys())
        calls_made(5)
    finally:
        stop.set()
        for worker in workers:
            worker.join(10)
    failures = [r for r in results if not r[1]]
    assert len(results) >= 20 and failures == [], (len(results), failures[:5])
    stats = stack.gateway.app.state.control.stats()
    assert stats["jwks_fetches"] <= 1 + 4, stats  # at most one refetch per rotation
    assert gateway_is_up(stack)
