"""Forged tokens at the gateway (issue 4): every class of tests/forgery.py is refused in AgentCore's shape.

The whole chain runs for real: fake_idp (its key ring pinned to keys the test holds, so claim variants are
signed by the IdP's own key), fake_gateway (the demo CUSTOM_JWT authorizer) and sample_mcp behind it. Each
forgery is a `tools/call` that would reach the target if accepted; none does (the gateway's target-call count
and the sample server's request log stay put), and the attacker's jku/x5u server is never contacted.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness import Stack
from tests.forgery import (
    CLASSES,
    AttackerSite,
    Forgery,
    Realm,
    forgeries,
    pinned_ring,
    rsa_key,
    send,
)

TOOL_CALL = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "tools/call",
    "params": {"name": "search-server___search", "arguments": {"q": "pkce verifier"}},
}
VERSION = {"MCP-Protocol-Version": "2025-11-25"}
INVALID = {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Invalid Bearer token"}}
INSUFFICIENT = {"jsonrpc": "2.0", "error": {"code": -32001, "message": "Insufficient scope"}}
# What the gateway's log `reason` starts with, per kind: the check that refused the token.
REASONS = {
    "missing": ("no Authorization header",),
    "scheme": ("Authorization scheme is",),
    "duplicate": ("the Authorization header carries more than one credential",),
    "malformed": (
        "the token is",
        "the bearer token contains whitespace",
        "the Authorization header carries more than one credential",
    ),
    "alg": ("alg ", "the token is not a valid compact JWS (missing_algorithm"),
    "kid": ("no key", "the token is not a valid compact JWS (exceeded_size"),
    "signature": (
        "signature does not verify",
        "no key",
        "the token is not a valid compact JWS (exceeded_size",
        "the bearer token contains whitespace",
    ),
    "crit": ("the JWS header is not acceptable: `crit`",),
    "expired": ("the token expired",),
    "not_yet_valid": ("the token is not valid for another",),
    "claims": (
        "the token has no exp",
        "exp ",
        "nbf ",
        "iat ",
        "the token is not a valid compact JWS (NaN",
        "the token is not a valid compact JWS (Infinity",
    ),
    "issuer": ("iss ",),
    "audience": ("aud ", "the token has no aud"),
    "scope": ("scopes ",),
}


class Chain:
    def __init__(self, stack: Stack, attacker: AttackerSite, realm: Realm) -> None:
        self.stack, self.attacker, self.realm = stack, attacker, realm

    @property
    def gateway(self) -> Any:
        return self.stack.gateway.app.state.control

    def target_calls(self) -> int:
        return self.gateway.stats()["target_calls"]

    def mcp_records(self) -> int:
        return len(self.stack.mcp.app.state.control.records())

    def call(self, forgery: Forgery) -> Any:
        return send(self.stack.gateway.mcp_url, forgery, TOOL_CALL, headers=VERSION)


@pytest.fixture(scope="module")
def chain() -> Iterator[Chain]:
    current, following = rsa_key("forge-idp-current"), rsa_key("forge-idp-next")
    with AttackerSite() as attacker, Stack({"idp": {"keys": pinned_ring(current, following)}}) as stack:
        m2m = stack.client("demo-m2m")["client_id"]
        realm = Realm(
            issuer=stack.idp.issuer,
            audience=stack.gateway.mcp_url,
            scope="mcp:tools",
            key=current,
            sibling=following,
            neighbour_audience=stack.mcp.mcp_url,
            neighbour_scope="search:read",
            claims={"client_id": m2m, "azp": m2m, "gty": "client-credentials"},
        )
        ready(stack)
        yield Chain(stack, attacker, realm)


def ready(stack: Stack, timeout: float = 10.0) -> None:
    """Wait until the gateway's startup synchronization of its target is over (it counts as target calls)."""
    deadline = time.monotonic() + timeout
    control = stack.gateway.app.state.control
    while any(s != "READY" for s in control.stats()["targets"].values()):
        assert time.monotonic() < deadline, control.stats()
        time.sleep(0.02)


def challenge(chain: Chain, error: str) -> str:
    origin = chain.stack.gateway.url
    return f'Bearer error="{error}", scope="mcp:tools", resource_metadata="{origin}/.well-known/oauth-protected-resource"'


def accepted(chain: Chain, token: str) -> dict[str, Any]:
    reply = chain.call(Forgery("control", "valid", "none", (b"Bearer " + token.encode(),)))
    assert reply.status == 200, reply.body
    return reply.json()


def test_positive_controls_pass(chain: Chain) -> None:
    """The same builder's valid token and the IdP's own token both get through: rejections below mean something."""
    before = chain.target_calls()
    assert accepted(chain, chain.realm.valid_token())["result"]["isError"] is False
    assert accepted(chain, chain.stack.token())["result"]["isError"] is False
    assert chain.target_calls() == before + 2


def problems_of(chain: Chain, forgery: Forgery) -> list[str]:
    """Why this forgery's answer is not the documented refusal (empty list: it is)."""
    calls, reached = chain.target_calls(), chain.mcp_records()
    logged = len(chain.gateway.records())
    reply = chain.call(forgery)
    out: list[str] = []
    if forgery.kind == "transport":
        if (reply.status, reply.body) != (400, b"Invalid HTTP request received."):
            out.append(f"HTTP layer answer expected, got {reply.status} {reply.body[:120]!r}")
    else:
        status, error, body = (
            (403, "insufficient_scope", INSUFFICIENT)
            if forgery.kind in ("issuer", "scope")
            else (401, "invalid_token", INVALID)
        )
        if reply.status != status:
            out.append(f"status {reply.status} != {status}: {reply.body[:200]!r}")
        elif json.loads(reply.body) != body or reply.headers.get("content-type") != "application/json":
            out.append(f"body {reply.body[:200]!r}")
        elif reply.headers.get("www-authenticate") != challenge(chain, error):
            out.append(f"challenge {reply.headers.get('www-authenticate')!r}")
        records = chain.gateway.records()
        new = records[logged:]
        if len(new) != 1:
            out.append(f"{len(new)} log records for one request")
        elif not str(new[0]["reason"]).startswith(REASONS[forgery.kind]):
            out.append(f"refused for another reason: {new[0]['reason'][:160]!r}")
    if chain.target_calls() != calls or chain.mcp_records() != reached:
        out.append("the request reached the target")
    return out


@pytest.fixture(scope="module")
def forged(chain: Chain) -> list[Forgery]:
    return forgeries(chain.realm, chain.attacker)


@pytest.mark.parametrize("cls", CLASSES)
def test_forgery_class_is_refused_and_never_reaches_the_target(
    chain: Chain, forged: list[Forgery], cls: str
) -> None:
    items = [f for f in forged if f.cls == cls]
    assert len(items) >= 3, f"{cls}: only {len(items)} variants"
    calls, records = chain.target_calls(), chain.mcp_records()
    failures = {f.variant: p for f in items if (p := problems_of(chain, f))}
    assert failures == {}
    assert chain.target_calls() == calls and chain.mcp_records() == records
    assert sum(chain.attacker.hits.values()) == 0, chain.attacker.hits


def test_real_tokens_for_the_upstream_server_are_refused(chain: Chain) -> None:
    """MCP authorization §Token Handling: a token the IdP really issued for the server behind the gateway (what
    the gateway itself uses outbound) is not a token for the gateway, and the reverse holds at the server."""
    stack = chain.stack
    upstream = stack.token("gateway-outbound", audience=stack.mcp.mcp_url, scope="search:read")
    reply = chain.call(
        Forgery("cross-service", "real upstream token", "audience", (b"Bearer " + upstream.encode(),))
    )
    assert (reply.status, reply.json()) == (401, INVALID)
    assert reply.headers["www-authenticate"] == challenge(chain, "invalid_token")
    assert chain.gateway.records()[-1]["reason"] == (
        f"aud '{stack.mcp.mcp_url}' not in allowedAudience ['{stack.gateway.mcp_url}']"
    )
    gateway_token = stack.token()
    direct = send(
        stack.mcp.mcp_url,
        Forgery(
            "cross-service", "gateway token at the server", "audience", (b"Bearer " + gateway_token.encode(),)
        ),
        TOOL_CALL | {"params": {"name": "search", "arguments": {"q": "pkce"}}},
    )
    assert direct.status == 401
    assert direct.json() == {
        "error": "invalid_token",
        "error_description": "The token was not issued for this resource",
    }


def test_headers_beyond_the_http_servers_buffer_do_not_take_the_gateway_down(chain: Chain) -> None:
    """A 1 MB Authorization header is refused by the HTTP layer (400 or a reset), never answered 200 or 500,
    and the gateway keeps serving."""
    before = chain.target_calls()
    huge = Forgery("oversized", "1 MB token", "transport", (b"Bearer " + b"A" * 1_000_000,))
    reply = chain.call(huge)
    assert reply.reset or reply.status == 400, (reply.status, reply.body[:200])
    assert chain.target_calls() == before
    assert accepted(chain, chain.realm.valid_token())["result"]["isError"] is False


LENIENT = {"scopeSeparator": "whitespace", "audienceMembers": "any", "numericDates": "any", "critHeader": "understood"}


def test_loose_syntax_passes_only_with_the_lenient_knobs(chain: Chain, forged: list[Forgery]) -> None:
    """Each strict reading is a knob: with all four lenient, every loose-syntax token but the one whose nbf lies
    past year 9999 (still in the future) reaches the target; with the defaults, none does (the class test)."""
    items = [f for f in forged if f.cls == "loose-syntax"]
    control = chain.gateway
    control.patch({"emulator": LENIENT})
    try:
        statuses = {f.variant: chain.call(f).status for f in items}
    finally:
        control.patch({"emulator": dict.fromkeys(LENIENT)})
    assert statuses.pop("nbf in the year 10000") == 401
    assert set(statuses.values()) == {200}, statuses
