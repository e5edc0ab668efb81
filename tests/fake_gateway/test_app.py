"""The HTTP surface: PRM (§13 item 2), Coral for everything else (item 25), the control plane and the logs."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from tests.fake_gateway.conftest import COGNITO_CLIENT, INIT, MCP_HEADERS, FakeIdP, jwt_document, rpc

CORAL_JSON = {"Output": {"__type": "com.amazon.coral.service#UnknownOperationException"}}


def test_protected_resource_metadata(idp: FakeIdP, start_gateway: Any) -> None:
    """Item 2: unauthenticated, the three observed members, resource = <origin the client called>/mcp."""
    gw = start_gateway(jwt_document(idp, "entra-v2", allowedScopes=["access_as_user"]))
    with gw.client() as client:
        response = client.get("/.well-known/oauth-protected-resource")
        assert response.status_code == 200
        assert response.headers["content-type"] == "application/json"
        assert response.json() == {
            "authorization_servers": [idp.issuer("entra-v2")],
            "resource": f"{gw.url}/mcp",
            "scopes_supported": ["access_as_user"],
        }
        assert list(response.json()) == ["authorization_servers", "resource", "scopes_supported"]
        other = client.get("/.well-known/oauth-protected-resource", headers={"Host": "gw.example.test:8443"})
        assert other.json()["resource"] == "http://gw.example.test:8443/mcp"
    # no allowedScopes -> empty scopes_supported (SAMPLE: "scopes_supported is empty in PRM")
    bare = start_gateway(
        jwt_document(
            idp,
            allowedAudience=["api"],
            emulator={
                "publicUrl": "https://mygw-abcdefghij.gateway.bedrock-agentcore.us-east-1.amazonaws.com"
            },
        )
    )
    with bare.client() as client:
        prm = client.get("/.well-known/oauth-protected-resource").json()
        challenge = client.post("/mcp", json=INIT, headers=MCP_HEADERS).headers["www-authenticate"]
    assert prm["scopes_supported"] == []
    assert prm["resource"] == "https://mygw-abcdefghij.gateway.bedrock-agentcore.us-east-1.amazonaws.com/mcp"
    assert challenge.endswith(
        'resource_metadata="https://mygw-abcdefghij.gateway.bedrock-agentcore.us-east-1.'
        'amazonaws.com/.well-known/oauth-protected-resource"'
    )
    override = start_gateway(
        jwt_document(idp, allowedAudience=["api"], emulator={"prmResource": "https://x/mcp"})
    )
    with override.client() as client:
        assert client.get("/.well-known/oauth-protected-resource").json()["resource"] == "https://x/mcp"


@pytest.mark.parametrize(
    ("method", "path", "body"),
    [
        ("GET", "/.well-known/oauth-authorization-server", b"<UnknownOperationException/>"),
        ("GET", "/mcp/tools", b"<UnknownOperationException/>"),
        ("GET", "/.well-known/openid-configuration", b"<UnknownOperationException/>"),
        ("GET", "/.well-known/oauth-protected-resource/mcp", b"<UnknownOperationException/>"),
        ("GET", "/docs", b"<UnknownOperationException/>"),
        ("GET", "/openapi.json", b"<UnknownOperationException/>"),
        ("POST", "/register", json.dumps(CORAL_JSON, separators=(",", ":")).encode()),
        (
            "POST",
            "/.well-known/oauth-protected-resource",
            json.dumps(CORAL_JSON, separators=(",", ":")).encode(),
        ),
        ("PUT", "/", b"<UnknownOperationException/>"),
    ],
)
def test_unknown_operations_get_coral_bodies(
    idp: FakeIdP, start_gateway: Any, method: str, path: str, body: bytes
) -> None:
    """Item 25 / U12 / U13."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    with gw.client() as client:
        response = client.request(method, path)
    assert response.status_code == 404
    assert response.content == body


def test_prm_of_a_gateway_without_jwt_authorizer_is_unknown(start_gateway: Any) -> None:
    gw = start_gateway({"name": "open", "authorizerType": "NONE"})
    with gw.client() as client:
        assert client.get("/.well-known/oauth-protected-resource").content == b"<UnknownOperationException/>"


def test_aws_iam_gateway_accepts_sigv4_shape_only(start_gateway: Any) -> None:
    gw = start_gateway({"name": "iam", "authorizerType": "AWS_IAM"})
    signed = (
        "AWS4-HMAC-SHA256 Credential=AKIAIOSFODNN7EXAMPLE/20250816/us-east-1/bedrock-agentcore/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64
    )
    with gw.client() as client:
        ok = client.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": signed})
        missing = client.post("/mcp", json=INIT, headers=MCP_HEADERS)
        bearer = client.post("/mcp", json=INIT, headers={**MCP_HEADERS, "Authorization": "Bearer abc"})
    assert ok.status_code == 200
    assert missing.status_code == 401 and "www-authenticate" not in missing.headers
    assert missing.json() == {
        "jsonrpc": "2.0",
        "error": {"code": -32001, "message": "Missing Authentication Token"},
    }
    assert bearer.status_code == 401


# --- control plane ---------------------------------------------------------------------------------------


def test_config_get_patch_put_and_reset(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    token = idp.mint(aud="other")
    headers = {**MCP_HEADERS, "Authorization": f"Bearer {token}"}
    with gw.client() as client:
        document = client.get("/_authstage/config").json()
        assert document["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == ["api"]
        assert document["emulator"]["issuerMismatchStatus"] == 403
        assert client.post("/mcp", json=INIT, headers=headers).status_code == 401
        patched = client.patch(
            "/_authstage/config",
            json={"authorizerConfiguration": {"customJWTAuthorizer": {"allowedAudience": ["other"]}}},
        )
        assert patched.status_code == 200
        assert patched.json()["authorizerConfiguration"]["customJWTAuthorizer"]["allowedAudience"] == [
            "other"
        ]
        assert client.post("/mcp", json=INIT, headers=headers).status_code == 200
        bad = client.patch(
            "/_authstage/config",
            json={
                "authorizerType": "JWT",
                "emulator": {"nope": 1},
                "authorizerConfiguration": {"customJwtAuthorizer": {}},
            },
        )
        assert bad.status_code == 400
        detail = {d["loc"]: d["msg"] for d in bad.json()["detail"]}
        assert bad.json()["error"] == "invalid_config"
        assert set(detail) >= {
            "authorizerType",
            "emulator.nope",
            "authorizerConfiguration.customJwtAuthorizer",
        }
        # the old config stays
        assert client.post("/mcp", json=INIT, headers=headers).status_code == 200
        assert (
            client.put("/_authstage/config", json={"name": "open", "authorizerType": "NONE"}).status_code
            == 200
        )
        assert client.post("/mcp", json=INIT, headers=MCP_HEADERS).status_code == 200
        assert client.post("/_authstage/reset", json={}).json() == {"reset": True}
        assert client.post("/mcp", json=INIT, headers=MCP_HEADERS).status_code == 401
        assert client.get("/_authstage/log").json()["records"][-1]["status"] == 401
        assert client.patch("/_authstage/config", content=b"[1]", headers={"content-type": "application/json"}).status_code == 400


def test_clock_and_request_log(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, "cognito", allowedClients=[COGNITO_CLIENT]))
    token = idp.mint("cognito", {"client_id": COGNITO_CLIENT, "client_secret": "x"})
    with gw.client() as client:
        frozen = client.post("/_authstage/clock", json={"at": 1_800_000_000}).json()
        assert frozen == {"now": 1_800_000_000, "frozen": True, "offset": 0.0}
        assert client.post("/_authstage/clock", json={"advance": 5}).json()["now"] == 1_800_000_005
        assert client.post("/_authstage/clock", json={"bogus": 1}).status_code == 400
        assert client.post("/_authstage/clock", json={"freeze": False}).json()["frozen"] is False
        client.post("/_authstage/clock", json={"offset": 0})
        client.post(
            "/mcp",
            json={**INIT, "params": {**INIT["params"], "client_secret": "s3cr3t"}},
            headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        )
        page = client.get("/_authstage/log").json()
        record = page["records"][-1]
        assert page["next"] == record["seq"]
        assert client.get(f"/_authstage/log?since={record['seq']}").json() == {
            "records": [],
            "next": record["seq"],
        }
        assert client.get("/_authstage/log?since=x").status_code == 400
        assert client.delete("/_authstage/log").status_code == 204
        assert client.get("/_authstage/log").json()["records"] == []
    assert record["service"] == "gateway" and record["path"] == "/mcp" and record["status"] == 200
    assert record["reason"] is None
    assert record["request"]["headers"]["authorization"].startswith("Bearer eyJ")
    assert record["request"]["headers"]["authorization"].endswith("…[redacted]")
    assert record["request"]["body"]["params"]["client_secret"] == "[redacted]"
    assert record["tokens"][0]["where"] == "request.headers.authorization"
    assert record["tokens"][0]["claims"]["client_id"] == COGNITO_CLIENT
    assert "signature" not in json.dumps(record["tokens"])


def test_application_logs_shape_and_file(idp: FakeIdP, start_gateway: Any, tmp_path: Path) -> None:
    log_file = tmp_path / "app.jsonl"
    gw = start_gateway(
        jwt_document(idp, allowedAudience=["y"], emulator={"applicationLogFile": str(log_file)})
    )
    with gw.client() as client:
        client.post(
            "/mcp",
            json=rpc("tools/list", id=4),
            headers={**MCP_HEADERS, "Authorization": f"Bearer {idp.mint(aud='x')}"},
        )
        ok = {
            **MCP_HEADERS,
            "Authorization": f"Bearer {idp.mint(aud='y')}",
            "MCP-Protocol-Version": "2025-06-18",
        }
        client.post("/mcp", json=rpc("tools/list", id=5), headers=ok)
        records = client.get("/_authstage/logs").json()["records"]
    failure, started, finished = records
    assert failure["body"]["reason"] == "aud 'x' not in allowedAudience ['y']"
    assert failure["body"]["isError"] is True and failure["body"]["id"] == "4"
    assert started["body"] == {
        "isError": False,
        "log": "Started processing request with requestId: 5",
        "requestBody": "{jsonrpc=2.0, id=5, method=tools/list}",
        "id": "5",
    }
    assert finished["body"]["log"] == "Successfully processed request with requestId: 5"
    assert finished["body"]["responseBody"] == "{jsonrpc=2.0, id=5, result={tools=[]}}"
    for record in records:
        assert record["resource_arn"] == gw.control.config.view.arn
        assert isinstance(record["event_timestamp"], int) and record["account_id"] == "123456789012"
        assert len(record["trace_id"]) == 32 and len(record["span_id"]) == 16
    assert started["request_id"] == finished["request_id"] != failure["request_id"]
    lines = [json.loads(line) for line in log_file.read_text().splitlines()]
    assert [line["body"]["log"] for line in lines] == [r["body"]["log"] for r in records]
    assert "seq" not in lines[0]


def test_explain_targets_stats_and_control_plane_off(idp: FakeIdP, start_gateway: Any) -> None:
    gw = start_gateway(jwt_document(idp, allowedClients=["c"]))
    with gw.client() as client:
        checks = client.post("/_authstage/explain", json={"token": idp.mint(azp="c")}).json()["checks"]
        assert {c["name"]: c["passed"] for c in checks}["client_id"] is False
        assert client.post("/_authstage/explain", json={"jwt": 1}).status_code == 400
        assert client.get("/_authstage/targets").json() == {"targets": []}
        assert client.get("/_authstage/stats").json()["jwks_fetches"] == 1
    off = start_gateway(jwt_document(idp, allowedClients=["c"], emulator={"controlPlane": False}))
    with off.client() as client:
        for path in ("/_authstage/config", "/_authstage/log", "/_authstage/logs", "/_authstage/stats"):
            response = client.get(path)
            assert (response.status_code, response.content) == (404, b"<UnknownOperationException/>")
        assert client.post("/_authstage/reset").json() == CORAL_JSON


def _answer_before_the_body(url: str, token: str | None, length: int = 1_000_000) -> bytes:
    """POST headers promising `length` bytes, send 100 of them, and read whatever comes back within 3 s."""
    import socket
    from urllib.parse import urlsplit

    parts = urlsplit(url)
    head = (f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json\r\nContent-Length: {length}\r\n")
    if token:
        head += f"Authorization: Bearer {token}\r\n"
    with socket.create_connection((parts.hostname, parts.port), timeout=3) as sock:
        sock.sendall(head.encode() + b"\r\n" + b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"' + b"x" * 40)
        try:
            return sock.recv(65536)
        except TimeoutError:
            return b""


def test_the_token_is_checked_before_a_large_body_is_read(idp: FakeIdP, start_gateway: Any) -> None:
    """An anonymous 1 MB POST gets its 401 from the headers alone (nothing of the body is held); an
    authenticated one is read (the gateway waits for the rest of it)."""
    gw = start_gateway(jwt_document(idp, allowedAudience=["api"]))
    refused = _answer_before_the_body(f"{gw.url}/mcp", None)
    assert refused.startswith(b"HTTP/1.1 401 ") and b"www-authenticate: Bearer" in refused
    forged = _answer_before_the_body(f"{gw.url}/mcp", "eyJhbGciOiJub25lIn0.e30.")
    assert forged.startswith((b"HTTP/1.1 401 ", b"HTTP/1.1 403 "))  # refused from the headers too
    assert _answer_before_the_body(f"{gw.url}/mcp", idp.mint(aud="api")) == b""  # waiting for the body


def test_methods_beyond_the_route_table_are_answered_as_before(idp: FakeIdP, start_gateway: Any) -> None:
    """The app is Starlette's (issue 14): HEAD on the RFC 9728 document still goes to Coral's catch-all (no
    implicit HEAD), and a method no route names gets the 405 JSON body the FastAPI app gave."""
    gw = start_gateway(jwt_document(idp, "entra-v2", allowedScopes=["access_as_user"]))
    with gw.client() as client:
        assert client.get("/.well-known/oauth-protected-resource").status_code == 200
        head = client.head("/.well-known/oauth-protected-resource")
        assert head.status_code == client.head("/no/such/path").status_code == 404
        trace = client.request("TRACE", "/mcp")
        assert (trace.status_code, trace.json()) == (405, {"detail": "Method Not Allowed"})
        assert trace.headers["allow"]
