"""A conformance-contract MCP client built on the `mcp` SDK's OAuth support: the client `authstage client-check`
is proven with (and the one `bench/client_check.py` runs through both graders).

The contract (modelcontextprotocol/conformance 0.1.16, `dist/index.js`): the server URL is the last argument,
`MCP_CONFORMANCE_SCENARIO` names the scenario, `MCP_CONFORMANCE_CONTEXT` is JSON with credentials for the
scenarios that carry some. Every `auth/*` scenario without a handler of its own runs the authorization-code flow
(`OAuthClientProvider`, headless: the redirect handler GETs the authorize URL and reads the code from the
`Location` of the answer). Then: initialize, list the tools, call the first one.

Client ID metadata documents (CIMD): when an authorization server advertises `client_id_metadata_document_supported`
the SDK uses the client's URL as client_id (`client_metadata_url`); the SDK never serves the document. When the
context gives a certificate (`client_metadata_cert_file`/`client_metadata_key_file`: authstage's basic-cimd, the stack
CA's), this client serves its document over https on loopback and uses that URL; otherwise conformance's fixed URL,
which its mock accepts without fetching.

`AUTHSTAGE_CLIENT_DEFECTS` turns this good client into a deliberately broken one, each defect a small change to
what it sends: `no-pkce`, `no-resource`, `root-only-prm`, `ignore-403-scope`, `retry-forever`, `no-rotated-refresh`,
`cimd-wrong-client-id` (its document names another URL), `dcr-instead-of-cimd` (it registers instead),
`ignore-cimd-context` (conformance's fixed URL, as python-sdk's conformance client) (`a,b` for every scenario,
`auth/x=a+b;auth/y=c` per scenario). Written for these tests; its structure follows no other client.
"""

from __future__ import annotations

import asyncio
import json
import os
import ssl
import sys
import threading
import time
from collections.abc import Callable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

import httpx2
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.client.auth import oauth2 as sdk_oauth2
from mcp.client.auth.extensions.client_credentials import (
    ClientCredentialsOAuthProvider,
    PrivateKeyJWTOAuthProvider,
    SignedJWTParameters,
)
from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata

from harness._clients import MemoryTokenStorage as Storage  # tokens and the client record, in memory

REDIRECT_URI = "http://localhost:3000/callback"
CIMD_URL = "https://conformance-test.local/client-metadata.json"  # what conformance's basic-cimd expects


def _defects(spec: str, scenario: str) -> set[str]:
    """`a,b` for every scenario, or `auth/x=a+b;auth/y=c` per scenario."""
    found: set[str] = set()
    for entry in filter(None, (e.strip() for e in spec.split(";"))):
        name, _, defects = entry.rpartition("=")
        if not name or name == scenario:
            found |= {d.strip() for d in defects.replace("+", ",").split(",") if d.strip()}
    return found


DEFECTS = _defects(os.environ.get("AUTHSTAGE_CLIENT_DEFECTS", ""), os.environ.get("MCP_CONFORMANCE_SCENARIO", ""))
ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"


def _without(url: str, names: set[str]) -> str:
    parts = urlsplit(url)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k not in names]
    return urlunsplit(parts._replace(query=urlencode(query)))


class Browser:
    """Follows the authorize URL to the redirect URI and hands the code to the SDK."""

    def __init__(self) -> None:
        self.result: AuthorizationCodeResult | None = None

    async def redirect(self, url: str) -> None:
        if "no-pkce" in DEFECTS:
            url = _without(url, {"code_challenge", "code_challenge_method"})
        if "no-resource" in DEFECTS:
            url = _without(url, {"resource"})
        async with httpx2.AsyncClient(follow_redirects=False, timeout=10) as http:
            for _ in range(10):
                response = await http.get(url)
                location = response.headers.get("location")
                if location is None:
                    raise RuntimeError(f"authorize ended at {response.status_code}: {response.text[:200]}")
                url = urljoin(url, location)
                if url.startswith(REDIRECT_URI):
                    query = dict(parse_qsl(urlsplit(url).query))
                    if "code" not in query:
                        raise RuntimeError(f"authorization refused: {query}")
                    self.result = AuthorizationCodeResult(
                        code=query["code"], state=query.get("state"), iss=query.get("iss")
                    )
                    return
        raise RuntimeError("too many redirects")

    async def callback(self) -> AuthorizationCodeResult:
        assert self.result is not None
        result, self.result = self.result, None
        return result


class DefectiveTransport(httpx2.AsyncBaseTransport):
    """Drops what a defect says the client forgets from token requests."""

    def __init__(self) -> None:
        self.inner = httpx2.AsyncHTTPTransport()

    async def handle_async_request(self, request: httpx2.Request) -> httpx2.Response:
        ctype = request.headers.get("content-type", "")
        if request.method == "POST" and ctype.startswith("application/x-www-form-urlencoded"):
            drop = ({"code_verifier"} if "no-pkce" in DEFECTS else set()) | (
                {"resource"} if "no-resource" in DEFECTS else set()
            )
            if drop:
                body = (await request.aread()).decode()
                kept = urlencode([(k, v) for k, v in parse_qsl(body, keep_blank_values=True) if k not in drop])
                headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
                request = httpx2.Request(request.method, request.url, headers=headers, content=kept.encode())
        return await self.inner.handle_async_request(request)

    async def aclose(self) -> None:
        await self.inner.aclose()


class ForgetfulProvider(OAuthClientProvider):
    """`no-rotated-refresh`: keeps presenting the refresh token it first received."""

    async def _handle_refresh_response(self, response: httpx2.Response) -> bool:
        current = self.context.current_tokens
        first = current.refresh_token if current else None
        ok = await super()._handle_refresh_response(response)
        if ok and first and self.context.current_tokens is not None:
            self.context.current_tokens.refresh_token = first
        return ok


def _apply_discovery_defects() -> None:
    if "root-only-prm" in DEFECTS:

        def root_only(www_auth_url: str | None, server_url: str) -> list[str]:
            parts = urlsplit(server_url)
            return [f"{parts.scheme}://{parts.netloc}/.well-known/oauth-protected-resource"]

        sdk_oauth2.build_protected_resource_metadata_discovery_urls = root_only  # type: ignore[attr-defined]
    if "ignore-403-scope" in DEFECTS:
        sdk_oauth2.union_scopes = lambda previous, new: previous  # type: ignore[attr-defined]


def context() -> dict[str, Any]:
    return json.loads(os.environ.get("MCP_CONFORMANCE_CONTEXT") or "{}")


def serve_document(ctx: dict[str, Any], metadata: OAuthClientMetadata) -> str:
    """The client's metadata document over https on loopback (the context's certificate); returns its URL."""
    document: dict[str, Any] = {}

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            body = json.dumps(document).encode() if self.path == "/client-metadata.json" else b"{}"
            self.send_response(200 if self.path == "/client-metadata.json" else 404)
            for name, value in (("Content-Type", "application/json"), ("Cache-Control", "max-age=300"),
                                ("Content-Length", str(len(body)))):
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    tls = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    tls.load_cert_chain(ctx["client_metadata_cert_file"], ctx["client_metadata_key_file"])
    server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    port = server.server_address[1]
    url = f"https://127.0.0.1:{port}/client-metadata.json"
    named = f"https://localhost:{port}/client-metadata.json" if "cimd-wrong-client-id" in DEFECTS else url
    document.update(metadata.model_dump(mode="json", exclude_none=True), client_id=named,
                    token_endpoint_auth_method="none")
    return url


def client_metadata_url(metadata: OAuthClientMetadata) -> str | None:
    """Its own document's URL when the context gives it a certificate, else conformance's fixed URL."""
    ctx = context()
    if "dcr-instead-of-cimd" in DEFECTS:
        return None
    if not ctx.get("client_metadata_cert_file") or "ignore-cimd-context" in DEFECTS:
        return CIMD_URL
    return serve_document(ctx, metadata)


def authorization_code(server_url: str) -> httpx2.Auth:
    storage = Storage()
    ctx = context()
    if ctx.get("client_id"):
        secret = ctx.get("client_secret")
        storage.client_info = OAuthClientInformationFull(
            client_id=ctx["client_id"],
            client_secret=secret,
            redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
            token_endpoint_auth_method="client_secret_basic" if secret else "none",
        )
    browser = Browser()
    provider = ForgetfulProvider if "no-rotated-refresh" in DEFECTS else OAuthClientProvider
    metadata = OAuthClientMetadata(
        client_name="authstage-contract-client",
        redirect_uris=[REDIRECT_URI],  # type: ignore[list-item]
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
    )
    return provider(
        server_url=server_url,
        client_metadata=metadata,
        storage=storage,
        redirect_handler=browser.redirect,
        callback_handler=browser.callback,
        client_metadata_url=client_metadata_url(metadata),
    )


def client_credentials_basic(server_url: str) -> httpx2.Auth:
    ctx = context()
    return ClientCredentialsOAuthProvider(
        server_url=server_url, storage=Storage(), client_id=ctx["client_id"], client_secret=ctx["client_secret"],
        issuer=ctx.get("issuer"),
    )


def client_credentials_jwt(server_url: str) -> httpx2.Auth:
    ctx = context()
    params = SignedJWTParameters(
        issuer=ctx["client_id"], subject=ctx["client_id"],
        signing_algorithm=ctx.get("signing_algorithm", "ES256"), signing_key=ctx["private_key_pem"],
    )
    return PrivateKeyJWTOAuthProvider(
        server_url=server_url, storage=Storage(), client_id=ctx["client_id"],
        assertion_provider=params.create_assertion_provider(), issuer=ctx.get("issuer"),
    )


def cross_app_access(server_url: str) -> httpx2.Auth:
    """SEP-990: the IdP's ID token -> an ID-JAG (RFC 8693 at the IdP) -> jwt-bearer at the MCP server's AS."""
    ctx = context()

    async def id_jag(audience: str, resource: str) -> str:
        async with httpx2.AsyncClient(timeout=10) as http:
            response = await http.post(ctx["idp_token_endpoint"], data={
                "grant_type": TOKEN_EXCHANGE, "client_id": ctx["idp_client_id"],
                "subject_token": ctx["idp_id_token"], "subject_token_type": ID_TOKEN,
                "requested_token_type": ID_JAG, "audience": audience, "resource": resource,
            })
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token

    return IdentityAssertionOAuthProvider(
        server_url=server_url, storage=Storage(), client_id=ctx["client_id"], client_secret=ctx["client_secret"],
        issuer=ctx.get("auth_issuer") or _issuer_from_metadata(server_url), assertion_provider=id_jag,
        token_endpoint_auth_method="client_secret_basic",
    )


def _issuer_from_metadata(server_url: str) -> str:
    """No `auth_issuer` in the context (conformance's has none): the first authorization server the PRM names."""
    parts = urlsplit(server_url)
    for path in (f"/.well-known/oauth-protected-resource{parts.path}", "/.well-known/oauth-protected-resource"):
        response = httpx2.get(f"{parts.scheme}://{parts.netloc}{path}", timeout=10)
        if response.status_code == 200:
            issuer: str = response.json()["authorization_servers"][0]
            return issuer
    raise RuntimeError("no protected-resource metadata names the authorization server")


HANDLERS: dict[str, Callable[[str], httpx2.Auth]] = {
    "auth/client-credentials-basic": client_credentials_basic,
    "auth/client-credentials-jwt": client_credentials_jwt,
    "auth/cross-app-access-complete-flow": cross_app_access,
}


async def _call_first_tool(session: ClientSession) -> None:
    tools = await session.list_tools()
    if tools.tools:
        try:
            await session.call_tool(tools.tools[0].name, {})
        except Exception as exc:  # a tool error is not the client's failure
            print(f"tool call: {exc}", file=sys.stderr)


async def session_flow(server_url: str, auth: httpx2.Auth, scenario: str) -> None:
    transport = DefectiveTransport()
    async with httpx2.AsyncClient(auth=auth, timeout=30, transport=transport) as http:
        async with streamable_http_client(server_url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                while "retry-forever" in DEFECTS:  # a client that never gives up on a refused call
                    try:
                        await session.list_tools()
                        await session.call_tool("whoami", {})
                        break
                    except Exception:
                        continue
                await _call_first_tool(session)
                if scenario.endswith("refresh-token-rotation"):
                    for _ in range(2):  # the tenant's access tokens live 1 s: each call below refreshes
                        await asyncio.sleep(1.1)
                        await session.list_tools()


def main() -> int:
    server_url = sys.argv[-1]
    scenario = os.environ.get("MCP_CONFORMANCE_SCENARIO", "")
    _apply_discovery_defects()
    build = HANDLERS.get(scenario, authorization_code)
    started = time.perf_counter()
    asyncio.run(session_flow(server_url, build(server_url), scenario))
    print(f"done in {time.perf_counter() - started:.3f}s", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
