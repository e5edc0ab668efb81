"""Property tests of the gateway's surface (issue 4): random and structurally wrong requests never give a 5xx,
a traceback or a hang, and every error keeps its documented shape.

Requests go over real HTTP to the demo stack (fake_idp, fake_gateway, sample_mcp), half of them with a valid
token so the JSON-RPC dispatch and the target hop are exercised too. Shapes (docs/gateway.md, errors.py):
401/403 -> `{"jsonrpc":"2.0","error":{"code":-32001,"message":...}}` + `WWW-Authenticate: Bearer ...`; other
errors on /mcp -> a JSON-RPC error object; 202 -> empty; any other path -> Coral UnknownOperationException.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from harness import Stack

LIMIT_SECONDS = 5.0  # per request: a hang shows up as a failure, not as a stuck suite
PROPERTY = settings(
    max_examples=50,
    deadline=timedelta(seconds=LIMIT_SECONDS * 2),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
METHODS = [
    "initialize",
    "ping",
    "tools/list",
    "tools/call",
    "prompts/list",
    "resources/list",
    "resources/templates/list",
    "server/discover",
    "notifications/initialized",
    "logging/setLevel",
    "",
    "x" * 300,
]
TOOLS = [
    "search-server___search",
    "search-server___echo",
    "search-server___fail",
    "x_amz_bedrock_agentcore_search",
]
KEYS = [
    "jsonrpc",
    "id",
    "method",
    "params",
    "name",
    "arguments",
    "cursor",
    "protocolVersion",
    "_meta",
    "q",
    "limit",
]
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=False)
    | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), inner, max_size=5)
    ),
    max_leaves=15,
)


@st.composite
def rpc_bodies(draw: st.DrawFn) -> bytes:
    """Valid-looking JSON-RPC with wrong pieces, raw junk, NaN, deep nesting, or plain JSON values."""
    kind = draw(st.sampled_from(["rpc", "rpc", "rpc", "json", "bytes", "nan", "deep", "batch"]))
    if kind == "bytes":
        return draw(st.binary(max_size=200))
    if kind == "json":
        return json.dumps(draw(JSON_VALUES)).encode()
    if kind == "nan":
        return b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search-server___search","arguments":{"q":NaN}}}'
    if kind == "deep":
        depth = draw(st.integers(50, 3000))
        return (
            b'{"jsonrpc":"2.0","id":1,"method":"ping","params":'
            + b'{"a":' * depth
            + b"1"
            + b"}" * depth
            + b"}"
        )
    method = draw(st.sampled_from(METHODS) | st.text(max_size=15))
    params: Any = draw(JSON_VALUES)
    if method == "tools/call" and draw(st.booleans()):
        params = {"name": draw(st.sampled_from(TOOLS) | st.text(max_size=30)), "arguments": draw(JSON_VALUES)}
    body: dict[str, Any] = {"jsonrpc": draw(st.sampled_from(["2.0", "2.0", "1.0", None])), "method": method}
    if draw(st.booleans()):
        body["id"] = draw(
            st.integers() | st.text(max_size=10) | st.none() | st.booleans() | st.floats(allow_nan=False)
        )
    if draw(st.booleans()):
        body["params"] = params
    if kind == "batch":
        return json.dumps([body, body]).encode()
    return json.dumps(body).encode()


HEADER_VALUES = st.text(alphabet=st.characters(min_codepoint=0x20, max_codepoint=0x7E), max_size=60).map(
    str.strip
)


@st.composite
def header_sets(draw: st.DrawFn) -> dict[str, str]:
    headers: dict[str, str] = {}
    headers["Content-Type"] = draw(
        st.sampled_from(
            ["application/json", "application/json; charset=utf-8", "text/plain", "", "application/*"]
        )
        | HEADER_VALUES
    )
    headers["Accept"] = draw(
        st.sampled_from(
            ["application/json, text/event-stream", "text/event-stream", "application/json", "*/*", ""]
        )
        | HEADER_VALUES
    )
    if draw(st.booleans()):
        headers["MCP-Protocol-Version"] = draw(
            st.sampled_from(["2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28", "2099-01-01", ""])
            | HEADER_VALUES
        )
    if draw(st.booleans()):
        headers["Mcp-Session-Id"] = draw(HEADER_VALUES)
    return headers


def _not_json(name: str) -> Any:
    raise AssertionError(f"{name} in a log: not JSON")


class Gateway:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.token = stack.token()
        self.http = httpx.Client(timeout=LIMIT_SECONDS, trust_env=False)

    def log_is_strict_json(self) -> None:
        for path in ("log", "logs"):
            response = self.http.get(f"{self.stack.gateway.url}/_authstage/{path}")
            assert response.status_code == 200, response.text[:300]
            json.loads(response.text, parse_constant=_not_json)


@pytest.fixture(scope="module")
def gateway() -> Iterator[Gateway]:
    with Stack() as stack:
        gw = Gateway(stack)
        yield gw
        gw.http.close()


def check_shape(response: httpx.Response, seconds: float, *, on_mcp: bool) -> None:
    assert seconds < LIMIT_SECONDS, seconds
    assert response.status_code < 500, (response.status_code, response.text[:300])
    assert "Traceback" not in response.text and 'File "' not in response.text
    status, ctype = response.status_code, response.headers.get("content-type", "")
    if response.request.method == "HEAD":
        assert response.content == b""
        return
    if not on_mcp:
        assert status == 404
        assert response.text in ("<UnknownOperationException/>", "") or response.json() == {
            "Output": {"__type": "com.amazon.coral.service#UnknownOperationException"}
        }
        return
    if status == 202:
        assert response.content == b""
        return
    if status == 200 and ctype.startswith("text/event-stream"):
        assert response.text.startswith("event: message\ndata: ")
        return
    assert ctype == "application/json", (status, ctype, response.text[:200])
    body = response.json()
    assert body["jsonrpc"] == "2.0"
    if status in (401, 403):
        assert response.headers["www-authenticate"].startswith("Bearer ")
        assert set(body) <= {"jsonrpc", "id", "error"} and body["error"]["code"] == -32001
        assert body["error"]["message"] in ("Invalid Bearer token", "Insufficient scope")
        return
    if status == 200 and "result" in body:
        assert set(body) == {"jsonrpc", "id", "result"} and isinstance(body["result"], dict)
        return
    assert set(body) <= {"jsonrpc", "id", "error"}, body
    assert isinstance(body["error"]["code"], int) and isinstance(body["error"]["message"], str)
    assert set(body["error"]) <= {"code", "message", "data"}


@PROPERTY
@given(body=rpc_bodies(), headers=header_sets(), authorized=st.booleans(), query=st.text(max_size=40))
def test_mcp_endpoint_never_fails_and_keeps_its_shapes(
    gateway: Gateway, body: bytes, headers: dict[str, str], authorized: bool, query: str
) -> None:
    if authorized:
        headers = {**headers, "Authorization": f"Bearer {gateway.token}"}
    started = time.monotonic()
    response = gateway.http.post(
        gateway.stack.gateway.mcp_url, params={"q": query} if query else None, content=body, headers=headers
    )
    check_shape(response, time.monotonic() - started, on_mcp=True)
    if authorized and response.status_code in (401, 403):
        pytest.fail(f"a valid token was refused: {response.text}")


@PROPERTY
@given(
    method=st.sampled_from(["GET", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD", "POST"]),
    path=st.sampled_from(
        ["/mcp", "/mcp/", "/MCP", "/", "/.well-known/oauth-authorization-server", "/register"]
    )
    | st.text(alphabet="abcdefghijklmnopqrstuvwxyz/._-%0123456789", max_size=30).map(lambda p: "/" + p),
    authorization=st.sampled_from(["", "Bearer x", "Basic Zm9vOmJhcg==", "AWS4-HMAC-SHA256 Credential=x"])
    | HEADER_VALUES,
)
def test_any_method_and_path_gets_a_documented_answer(
    gateway: Gateway, method: str, path: str, authorization: str
) -> None:
    if path.startswith("/_authstage") or path.startswith("/.well-known/oauth-protected-resource"):
        return  # the control plane and the PRM have their own contracts
    headers = {"Authorization": authorization} if authorization else {}
    started = time.monotonic()
    response = gateway.http.request(method, gateway.stack.gateway.url + path, headers=headers)
    check_shape(response, time.monotonic() - started, on_mcp=path == "/mcp")


def test_logs_stay_strict_json_after_the_fuzzing(gateway: Gateway) -> None:
    """Runs after the properties above (same module stack): every record they left renders as strict JSON."""
    raw = b'{"jsonrpc":"2.0","id":1,"method":"ping","params":{"x":NaN,"y":-Infinity}}'
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {gateway.token}"}
    response = gateway.http.post(gateway.stack.gateway.mcp_url, content=raw, headers=headers)
    assert response.status_code == 400 and response.json()["error"] == {
        "code": -32700,
        "message": "Parse error",
    }
    gateway.log_is_strict_json()
