"""What each call needs and how a refusal says so: per-method and per-tool scopes (403 insufficient_scope naming the
scopes, MCP 2025-11-25 step-up), anonymous methods, where the RFC 9728 document is served, the challenge knobs,
and the co-located authorization server of the 2025-03-26 layout. Tokens come from the independent test issuer."""

from __future__ import annotations

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread
from sample_mcp import SampleAuth, SampleSettings
from sample_mcp.protection import Call, read_call, required_scopes
from tests.sample_mcp.conftest import ACCEPT, INIT
from tests.sample_mcp.test_auth import AUDIENCE, challenge_params

PATH_PRM = "/.well-known/oauth-protected-resource/mcp"
ROOT_PRM = "/.well-known/oauth-protected-resource"
STEP_UP = {"scopes": ["mcp:basic"], "method_scopes": {"tools/call": ["mcp:write"]},
           "tool_scopes": {"echo": ["mcp:echo"]}, "anonymous_methods": ["initialize", "notifications/*"]}


def rpc(method: str, **params: object) -> dict[str, object]:
    return {"jsonrpc": "2.0", "id": 2, "method": method, "params": params}


def post(server, body: dict[str, object], token: str | None = None) -> httpx.Response:
    headers = ACCEPT | ({"Authorization": f"Bearer {token}"} if token else {})
    return httpx.post(f"{server.url}/mcp", json=body, headers=headers)


def start(serve, issuer, **auth: object):
    return serve(SampleSettings(auth=SampleAuth(issuer=issuer.issuer, audience=AUDIENCE, **auth)))


def test_scopes_a_call_needs_are_the_servers_then_the_methods_then_the_tools() -> None:
    auth = SampleAuth(issuer="http://i/", audience=AUDIENCE, **STEP_UP)
    assert required_scopes(auth, Call("tools/list")) == ("mcp:basic",)
    assert required_scopes(auth, Call("tools/call", "echo")) == ("mcp:basic", "mcp:write", "mcp:echo")
    assert read_call(b'{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"echo"}}') == Call("tools/call",
                                                                                                          "echo")
    assert read_call(b"[1]") == Call() and read_call(b"not json") == Call()


def test_step_up_names_every_scope_the_call_needs(serve, issuer) -> None:
    server = start(serve, issuer, challenge_scope=True, **STEP_UP)
    assert post(server, INIT).status_code == 200  # anonymous: initialize needs no token
    listed = post(server, rpc("tools/list"))
    assert listed.status_code == 401
    assert challenge_params(listed.headers["www-authenticate"])["scope"] == "mcp:basic"
    basic = issuer.mint(aud=AUDIENCE, scope="mcp:basic")
    assert post(server, rpc("tools/list"), basic).status_code == 200
    call = post(server, rpc("tools/call", name="echo", arguments={"text": "x"}), basic)
    assert call.status_code == 403
    params = challenge_params(call.headers["www-authenticate"])
    assert params["error"] == "insufficient_scope" and params["scope"] == "mcp:basic mcp:write mcp:echo"
    record = httpx.get(f"{server.url}/_authstage/log").json()["records"][-1]
    assert "lack ['mcp:write', 'mcp:echo']" in record["reason"]
    full = issuer.mint(aud=AUDIENCE, scope="mcp:basic mcp:write mcp:echo")
    assert post(server, rpc("tools/call", name="echo", arguments={"text": "x"}), full).status_code == 200


def test_challenge_knobs_drop_resource_metadata_and_scope(serve, issuer) -> None:
    server = start(serve, issuer, scopes=["mcp:basic"], challenge_resource_metadata=False, challenge_scope=False)
    header = post(server, INIT).headers["www-authenticate"]
    assert header == "Bearer"
    denied = post(server, INIT, issuer.mint(aud=AUDIENCE, scope="other"))
    assert challenge_params(denied.headers["www-authenticate"]) == {
        "error": "insufficient_scope", "error_description": "Required scope: mcp:basic", "scope": "mcp:basic"}


def test_metadata_is_served_where_configured_and_nowhere_else(serve, issuer) -> None:
    server = start(serve, issuer, metadata_paths=["/custom/metadata/location.json"], prm_scopes_supported="omit")
    document = httpx.get(f"{server.url}/custom/metadata/location.json").json()
    assert document["resource"] == AUDIENCE and "scopes_supported" not in document
    for path in (PATH_PRM, ROOT_PRM):
        missing = httpx.get(server.url + path)
        assert missing.status_code == 404 and missing.json()["error"] == "not_found"
    assert challenge_params(post(server, INIT).headers["www-authenticate"])["resource_metadata"].endswith(
        "/custom/metadata/location.json")
    listed = start(serve, issuer, metadata_paths=[ROOT_PRM], prm_scopes_supported=["a", "b"])
    assert httpx.get(listed.url + ROOT_PRM).json()["scopes_supported"] == ["a", "b"]
    assert httpx.get(listed.url + PATH_PRM).status_code == 404
    assert httpx.get(listed.url + "/nothing").status_code == 404


def _echo_server() -> ServerThread:
    """An upstream that answers with what reached it (path, query, Host, User-Agent)."""

    async def echo(request: Request) -> JSONResponse:
        return JSONResponse({"path": request.url.path, "query": request.url.query, "method": request.method,
                             "host": request.headers.get("host"), "ua": request.headers.get("user-agent"),
                             "body": (await request.body()).decode()}, headers={"x-upstream": "yes"})

    return ServerThread(Starlette(routes=[Route("/{p:path}", echo, methods=["GET", "POST"])]), name="echo").start()


def test_colocated_authorization_server_forwards_with_the_clients_host(serve, issuer) -> None:
    upstream = _echo_server()
    try:
        auth = SampleAuth(issuer=issuer.issuer, audience=AUDIENCE, metadata_paths=[])
        colocated = {"upstream": upstream.url, "metadata": False}
        server = serve(SampleSettings(auth=auth, authorization_server=colocated))
        host = server.url.removeprefix("http://")
        with httpx.Client(headers={"User-Agent": "a-client/1"}) as http:
            authorize = http.get(f"{server.url}/authorize?client_id=c&state=s")
            assert authorize.json() == {"path": "/authorize", "query": "client_id=c&state=s", "method": "GET",
                                        "host": host, "ua": "a-client/1", "body": ""}
            assert authorize.headers["x-upstream"] == "yes"
            token = http.post(f"{server.url}/token", data={"grant_type": "authorization_code"}).json()
            assert (token["path"], token["body"]) == ("/oauth/token", "grant_type=authorization_code")
            assert http.post(f"{server.url}/register", json={}).json()["path"] == "/oidc/register"
            assert http.get(f"{server.url}/.well-known/oauth-authorization-server").status_code == 404
        with_metadata = serve(SampleSettings(auth=auth, authorization_server={**colocated, "metadata": True}))
        bare = httpx.Client(headers={})
        del bare.headers["user-agent"]
        with bare:
            document = bare.get(f"{with_metadata.url}/.well-known/oauth-authorization-server").json()
        assert document["path"] == "/.well-known/oauth-authorization-server" and document["ua"] is None
    finally:
        upstream.stop()


def test_per_call_scopes_read_at_most_the_peek_before_the_token_is_checked(serve, issuer) -> None:
    """With per-call scopes the method is read from the body first, but only up to `MAX_PEEK`: an anonymous POST
    that announces a larger body gets its 401 once that much has arrived, the rest never read (issue 18)."""
    import socket
    from urllib.parse import urlsplit

    from sample_mcp.protection import MAX_PEEK

    server = start(serve, issuer, **STEP_UP)
    parts = urlsplit(server.url)
    head = (f"POST /mcp HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
            f"Accept: application/json, text/event-stream\r\nContent-Length: {8 * MAX_PEEK}\r\n\r\n").encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=5) as sock:
        sock.sendall(head + b'{"jsonrpc":"2.0","id":1,"method":"tools/list","params":{"x":"' + b"x" * (MAX_PEEK + 1024))
        answer = sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401 "), answer[:200]
