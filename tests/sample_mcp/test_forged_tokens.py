"""Forged tokens at sample_mcp in self-protected mode (issue 4): every class of tests/forgery.py is refused.

The demo stack runs for real (fake_idp with its key ring pinned to keys the test holds, the gateway, and
sample_mcp verifying tokens itself for its own audience). Each forgery is a `tools/call search` sent straight
to the sample server; every one gets the RFC 6750 §3 answer (exact body and challenge) and none reaches the
tool (the server's request log shows no answered call).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest

from harness import Stack
from tests.forgery import CLASSES, AttackerSite, Forgery, Realm, forgeries, pinned_ring, rsa_key, send

TOOL_CALL = {
    "jsonrpc": "2.0",
    "id": 7,
    "method": "tools/call",
    "params": {"name": "search", "arguments": {"q": "pkce verifier"}},
}
VERSION = {"MCP-Protocol-Version": "2025-11-25"}
MISSING = "Authentication required"
SCHEME = "Authorization header must use the Bearer scheme"
DUPLICATE = "Send exactly one Authorization header"
MALFORMED = "The access token is not a signed JWT"
HEADER = "The token header is not acceptable"
ALG = "The token algorithm is not accepted"
KID = "No key in the issuer JWKS matches the token kid"
SIGNATURE = "The token signature does not verify"
EXPIRED = "The token is expired"
NOT_YET = "The token is not valid yet"
ISSUER = "The token was issued by another issuer"
AUDIENCE = "The token was not issued for this resource"
CLAIMS = "The token lacks a required claim"
# The error_description each kind of forgery may get (the verifier may refuse it at an earlier check: a kid that
# is not a string fails header validation before any key lookup, a missing aud is a missing required claim).
DESCRIPTIONS: dict[str, set[str]] = {
    "missing": {MISSING},
    "scheme": {SCHEME},
    "duplicate": {DUPLICATE},
    "malformed": {MALFORMED, SIGNATURE},
    "alg": {ALG, MALFORMED, HEADER},
    "kid": {KID, HEADER},
    "signature": {SIGNATURE, KID, HEADER},
    "crit": {HEADER},
    "expired": {EXPIRED},
    "not_yet_valid": {NOT_YET},
    "claims": {CLAIMS},
    "issuer": {ISSUER, CLAIMS},
    "audience": {AUDIENCE, CLAIMS},
    "scope": {"Required scope: search:read"},
}


class Server:
    def __init__(self, stack: Stack, attacker: AttackerSite, realm: Realm) -> None:
        self.stack, self.attacker, self.realm = stack, attacker, realm
        self.control = stack.mcp.app.state.control
        self.metadata = f"{stack.mcp.url}/.well-known/oauth-protected-resource/mcp"

    def answered_calls(self) -> int:
        """Requests that got past the bearer check (the MCP handler answered them)."""
        return sum(
            1
            for r in self.control.records()
            if r["path"] == "/mcp"
            and r["status"] == 200
            and isinstance(body := r["request"]["body"], dict)
            and body.get("method") == "tools/call"
        )

    def call(self, forgery: Forgery) -> Any:
        return send(self.stack.mcp.mcp_url, forgery, TOOL_CALL, headers=VERSION)


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    current, following = rsa_key("forge-idp-current"), rsa_key("forge-idp-next")
    with AttackerSite() as attacker, Stack({"idp": {"keys": pinned_ring(current, following)}}) as stack:
        _wait_for_target_sync(stack)  # the gateway's start-up sync calls this server: not during a test's count
        outbound = stack.client("gateway-outbound")["client_id"]
        realm = Realm(
            issuer=stack.idp.issuer,
            audience=stack.mcp.mcp_url,
            scope="search:read",
            key=current,
            sibling=following,
            neighbour_audience=stack.gateway.mcp_url,
            neighbour_scope="mcp:tools",
            claims={"client_id": outbound, "azp": outbound, "gty": "client-credentials"},
        )
        yield Server(stack, attacker, realm)


def _wait_for_target_sync(stack: Stack, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        targets = stack.http.get(f"{stack.gateway.url}/_authstage/targets").json()["targets"]
        if all(t["lastSynchronizedAt"] for t in targets):
            return
        time.sleep(0.01)
    raise AssertionError(f"the gateway's targets did not sync in {timeout}s")


@pytest.fixture(scope="module")
def forged(server: Server) -> list[Forgery]:
    return forgeries(server.realm, server.attacker)


def test_positive_controls_pass(server: Server) -> None:
    """The builder's valid token and the IdP's real token for this server both get through."""
    before = server.answered_calls()
    for token in (
        server.realm.valid_token(),
        server.stack.token("gateway-outbound", audience=server.stack.mcp.mcp_url, scope="search:read"),
    ):
        reply = server.call(Forgery("control", "valid", "none", (b"Bearer " + token.encode(),)))
        assert reply.status == 200, reply.body
        assert reply.json()["result"]["isError"] is False
    assert server.answered_calls() == before + 2


def problems_of(server: Server, forgery: Forgery) -> list[str]:
    logged = len(server.control.records())
    reply = server.call(forgery)
    if forgery.kind == "transport":
        ok = (reply.status, reply.body) == (400, b"Invalid HTTP request received.")
        return [] if ok else [f"HTTP layer answer expected, got {reply.status} {reply.body[:120]!r}"]
    status, error = {"duplicate": (400, "invalid_request"), "scope": (403, "insufficient_scope")}.get(
        forgery.kind, (401, "invalid_token")
    )
    if reply.status != status:
        return [f"status {reply.status} != {status}: {reply.body[:200]!r}"]
    body = reply.json()
    description = body.get("error_description")
    if description not in DESCRIPTIONS[forgery.kind]:
        return [f"refused as {description!r}, expected one of {sorted(DESCRIPTIONS[forgery.kind])}"]
    out = []
    if body != {"error": error, "error_description": description}:
        out.append(f"body {body}")
    params = "" if forgery.kind == "missing" else f'error="{error}", error_description="{description}", '
    want = f'Bearer {params}scope="search:read", resource_metadata="{server.metadata}"'
    if reply.headers.get("www-authenticate") != want:
        out.append(f"challenge {reply.headers.get('www-authenticate')!r}")
    new = server.control.records()[logged:]
    if len(new) != 1 or new[0]["status"] != status or not new[0]["reason"]:
        out.append(f"log records {[(r['status'], r['reason']) for r in new]}")
    return out


@pytest.mark.parametrize("cls", CLASSES)
def test_forgery_class_is_refused_and_never_reaches_the_tool(
    server: Server, forged: list[Forgery], cls: str
) -> None:
    items = [f for f in forged if f.cls == cls]
    assert len(items) >= 3, f"{cls}: only {len(items)} variants"
    answered = server.answered_calls()
    failures = {f.variant: p for f in items if (p := problems_of(server, f))}
    assert failures == {}
    assert server.answered_calls() == answered
    assert sum(server.attacker.hits.values()) == 0, server.attacker.hits
