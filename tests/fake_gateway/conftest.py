"""Fixtures for the fake gateway: a small in-test IdP, real sample_mcp targets, and a gateway factory.

The IdP serves OIDC discovery for several issuer shapes (Auth0 root issuer with a trailing slash, Cognito user
pools, Okta org and custom authorization servers, Entra v1 and v2), one JWKS per key set, and an Auth0-style
`/oauth/token` (client_credentials and RFC 8693 token exchange). Keys are generated once per session (joserfc).
"""

from __future__ import annotations

import asyncio
import base64
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote

import httpx
import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from mcp.server.mcpserver import Context, MCPServer
from mcp.server.transport_security import TransportSecuritySettings
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread
from fake_gateway import Gateway, create_app
from sample_mcp import SampleAuth, SampleSettings
from sample_mcp import create_app as sample_app

_KEYS: dict[str, RSAKey] = {}

TENANT = "7f3c1a52-0d4e-4a7b-9f3e-2c8b6d1e5a90"  # an Entra tenant id
ENTRA_APP = "3e9a7c41-5b2d-4f86-a0c3-9d1e8b7f6a25"  # an Entra application (client) id
COGNITO_POOL = "us-east-1_AbCdEf123"
COGNITO_CLIENT = "4lqp1d3v0r8u2k7s9f5m6n3b1a"
GATEWAY_CLIENT = "gateway-m2m-client"
GATEWAY_SECRET = "demo-secret-not-for-production-gateway"


def serve(build: Callable[[str], Any], name: str) -> ServerThread:
    return ServerThread(build=build, name=name)


def rsa_key(kid: str) -> RSAKey:
    """RSA keys are slow to make: one per kid per test session."""
    if kid not in _KEYS:
        _KEYS[kid] = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return _KEYS[kid]


class FakeIdP:
    """Discovery + JWKS for several issuer shapes, and an Auth0-style token endpoint."""

    def __init__(self) -> None:
        self.keysets: dict[str, list[RSAKey]] = {"main": [rsa_key("k1")], "foreign": [rsa_key("foreign-1")]}
        self.signing = rsa_key("k1")
        self.clients = {GATEWAY_CLIENT: GATEWAY_SECRET}
        self.token_status: int | None = None
        self.calls: list[dict[str, Any]] = []
        self.jwks_hits = 0
        self.tenants: dict[str, tuple[str, str, str]] = {}
        self.server = serve(self._build, "gateway-test-idp")

    def _tenants(self, base: str) -> dict[str, tuple[str, str, str]]:
        """name -> (discovery path prefix, issuer, key set name)."""
        return {
            "auth0": ("", f"{base}/", "main"),
            "cognito": (
                f"/cognito/{COGNITO_POOL}",
                f"https://cognito-idp.us-east-1.amazonaws.com/{COGNITO_POOL}",
                "main",
            ),
            "cognito-other": (
                "/cognito/us-east-1_Other999",
                "https://cognito-idp.us-east-1.amazonaws.com/us-east-1_Other999",
                "foreign",
            ),
            "okta-org": ("/okta", "https://dev-123456.okta.com", "main"),
            "okta": ("/okta/oauth2/default", "https://dev-123456.okta.com/oauth2/default", "main"),
            "entra-v1": (f"/entra/{TENANT}", f"https://sts.windows.net/{TENANT}/", "main"),
            "entra-v2": (f"/entra/{TENANT}/v2.0", f"https://login.microsoftonline.com/{TENANT}/v2.0", "main"),
        }

    def restore(self) -> None:
        self.keysets = {"main": [rsa_key("k1")], "foreign": [rsa_key("foreign-1")]}
        self.signing = rsa_key("k1")
        self.token_status = None
        self.calls.clear()
        self.jwks_hits = 0

    def discovery_url(self, tenant: str = "auth0") -> str:
        prefix = self.tenants[tenant][0]
        return f"{self.url}{prefix}/.well-known/openid-configuration"

    def issuer(self, tenant: str = "auth0") -> str:
        return self.tenants[tenant][1]

    @property
    def token_endpoint(self) -> str:
        return f"{self.url}/oauth/token"

    def mint(
        self,
        tenant: str = "auth0",
        claims: dict[str, Any] | None = None,
        *,
        key: RSAKey | None = None,
        header: dict[str, Any] | None = None,
        lifetime: int = 600,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        body: dict[str, Any] = {
            "iss": self.issuer(tenant),
            "sub": "user-1",
            "iat": now,
            "exp": now + lifetime,
            "jti": uuid.uuid4().hex,
        }
        body.update(claims or {})
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not None}
        signer = key or (self.signing if self.tenants[tenant][2] == "main" else self.keysets["foreign"][0])
        head = {"alg": "RS256", "typ": "at+jwt", "kid": signer.kid}
        head.update(header or {})
        head = {k: v for k, v in head.items() if v is not None}
        return jwt.encode(head, body, signer)

    def rotate(self, kid: str) -> RSAKey:
        new = rsa_key(kid)
        self.keysets["main"] = [*self.keysets["main"], new]
        self.signing = new
        return new

    def _build(self, url: str) -> Starlette:
        self.url = url
        self.tenants = self._tenants(url)
        routes = []
        for _name, (prefix, issuer, keyset) in self.tenants.items():
            routes.append(
                Route(f"{prefix}/.well-known/openid-configuration", self._discovery(prefix, issuer, keyset))
            )
            routes.append(Route(f"{prefix}/jwks.json", self._jwks(keyset)))
        routes.append(Route("/oauth/token", self._token, methods=["POST"]))
        return Starlette(routes=routes)

    def _discovery(self, prefix: str, issuer: str, keyset: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> JSONResponse:
            return JSONResponse(
                {
                    "issuer": issuer,
                    "jwks_uri": f"{self.url}{prefix}/jwks.json",
                    "authorization_endpoint": f"{self.url}/authorize",
                    "token_endpoint": self.token_endpoint,
                    "response_types_supported": ["code"],
                    "code_challenge_methods_supported": ["S256"],
                }
            )

        return handler

    def _jwks(self, keyset: str) -> Callable[[Request], Any]:
        async def handler(request: Request) -> JSONResponse:
            self.jwks_hits += 1
            return JSONResponse(KeySet(self.keysets[keyset]).as_dict(private=False))

        return handler

    async def _token(self, request: Request) -> JSONResponse:
        form = dict(await request.form())
        client_id, secret = form.get("client_id"), form.get("client_secret")
        auth = request.headers.get("authorization", "")
        if auth.lower().startswith("basic "):
            raw = base64.b64decode(auth[6:]).decode()
            client_id, _, secret = (unquote(p) for p in raw.partition(":"))
        self.calls.append({"form": form, "client_id": client_id, "basic": auth.lower().startswith("basic ")})
        if self.token_status is not None:
            return JSONResponse(
                {"error": "access_denied", "error_description": "injected fault"},
                status_code=self.token_status,
            )
        if self.clients.get(str(client_id)) != secret:
            return JSONResponse(
                {"error": "access_denied", "error_description": "Unauthorized"}, status_code=401
            )
        grant = form.get("grant_type")
        claims: dict[str, Any] = {
            "azp": client_id,
            "scope": form.get("scope", ""),
            "aud": form.get("audience"),
        }
        if grant == "client_credentials":
            claims.update(sub=f"{client_id}@clients", gty="client-credentials")
        elif grant == "urn:ietf:params:oauth:grant-type:token-exchange":
            subject = jwt.decode(str(form["subject_token"]), KeySet(self.keysets["main"]))
            claims.update(sub=subject.claims["sub"], act={"sub": client_id})
        else:
            return JSONResponse({"error": "unsupported_grant_type"}, status_code=400)
        token = self.mint("auth0", claims, lifetime=3600)
        self.calls[-1]["access_token"] = token
        return JSONResponse({"access_token": token, "token_type": "Bearer", "expires_in": 3600})


@pytest.fixture(scope="session")
def _idp_server() -> Iterator[FakeIdP]:
    idp = FakeIdP()
    idp.server.start()
    yield idp
    idp.server.stop()


@pytest.fixture
def idp(_idp_server: FakeIdP) -> Iterator[FakeIdP]:
    _idp_server.restore()
    yield _idp_server
    _idp_server.restore()


# --- targets -----------------------------------------------------------------------------------------------


@dataclass
class Target:
    url: str
    mcp_url: str
    server: ServerThread
    app: Any
    requests: list[dict[str, Any]] | None = None


def _sample(idp: FakeIdP, *, sessions: bool, protected: bool) -> Target:
    def build(url: str) -> Any:
        auth = (
            SampleAuth(issuer=idp.issuer("auth0"), audience=f"{url}/mcp", scopes=["search:read"])
            if protected
            else None
        )
        return sample_app(SampleSettings(sessions=sessions, auth=auth), base_url=url)

    server = serve(build, "sample-target").start()
    return Target(server.url, f"{server.url}/mcp", server, server.app)


@pytest.fixture(scope="session")
def sample_target(_idp_server: FakeIdP) -> Iterator[Target]:
    """sample_mcp protecting itself: the gateway must come with its own client-credentials token."""
    target = _sample(_idp_server, sessions=False, protected=True)
    yield target
    target.server.stop()


@pytest.fixture(scope="session")
def stateful_target(_idp_server: FakeIdP) -> Iterator[Target]:
    """sample_mcp with sessions (SSE, Mcp-Session-Id), protected too."""
    target = _sample(_idp_server, sessions=True, protected=True)
    yield target
    target.server.stop()


@pytest.fixture
def tiny_target() -> Iterator[Target]:
    """A tiny MCPServer whose tool set a test can change (stale catalogue) and which reports progress."""
    server = MCPServer("tiny")

    @server.tool()
    def lookup_order(order_id: str) -> str:
        """Find order information by order id."""
        return f"order {order_id}: shipped"

    @server.tool()
    async def count(n: int, ctx: Context) -> str:
        """Count to n, reporting progress."""
        for i in range(1, n + 1):
            await ctx.report_progress(i, n, f"step {i}")
            await asyncio.sleep(0.01)
        return f"counted to {n}"

    seen: list[dict[str, Any]] = []

    def build(url: str) -> Any:
        security = TransportSecuritySettings(enable_dns_rebinding_protection=False)
        app = server.streamable_http_app(
            stateless_http=True, json_response=False, transport_security=security
        )

        async def recording(scope: Any, receive: Any, send: Any) -> None:
            if scope["type"] == "http":
                seen.append(
                    {
                        "headers": {k.decode(): v.decode() for k, v in scope["headers"]},
                        "query": scope.get("query_string", b"").decode(),
                        "method": scope["method"],
                    }
                )
            await app(scope, receive, send)

        return recording

    thread = serve(build, "tiny-target").start()
    target = Target(thread.url, f"{thread.url}/mcp", thread, server)
    target.requests = seen
    yield target
    thread.stop()


# --- gateways ----------------------------------------------------------------------------------------------


@dataclass
class RunningGateway:
    url: str
    mcp_url: str
    server: ServerThread
    app: Any

    @property
    def control(self) -> Any:
        return self.app.state.control

    def client(self, **kwargs: Any) -> httpx.Client:
        return httpx.Client(base_url=self.url, timeout=30, trust_env=False, **kwargs)


def jwt_document(
    idp: FakeIdP,
    tenant: str = "auth0",
    *,
    targets: list[dict[str, Any]] | None = None,
    mcp: dict[str, Any] | None = None,
    emulator: dict[str, Any] | None = None,
    **authorizer: Any,
) -> dict[str, Any]:
    """A CUSTOM_JWT gateway document; authorizer keys go into customJWTAuthorizer."""
    jwt_config = {"discoveryUrl": idp.discovery_url(tenant), **authorizer}
    if not any(
        k in jwt_config for k in ("allowedAudience", "allowedClients", "allowedScopes", "customClaims")
    ):
        jwt_config["allowedScopes"] = ["mcp:tools"]
    doc: dict[str, Any] = {
        "name": "test-gw",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {"customJWTAuthorizer": jwt_config},
        "protocolType": "MCP",
        "protocolConfiguration": {
            "mcp": {"supportedVersions": ["2025-03-26", "2025-06-18", "2025-11-25"], **(mcp or {})}
        },
        "targets": targets or [],
        "credentialProviders": [oauth_provider(idp)],
    }
    if emulator:
        doc["emulator"] = emulator
    return doc


def oauth_provider(idp: FakeIdP, *, name: str = "test-idp", secret: str = GATEWAY_SECRET) -> dict[str, Any]:
    return {
        "name": name,
        "credentialProviderVendor": "CustomOauth2",
        "oauth2ProviderConfigInput": {
            "customOauth2ProviderConfig": {
                "oauthDiscovery": {
                    "authorizationServerMetadata": {
                        "issuer": idp.issuer(),
                        "authorizationEndpoint": f"{idp.url}/authorize",
                        "tokenEndpoint": idp.token_endpoint,
                    }
                },
                "clientId": GATEWAY_CLIENT,
                "clientSecret": secret,
            }
        },
    }


def mcp_target(
    name: str,
    endpoint: str,
    *,
    audience: str | None = None,
    grant: str = "CLIENT_CREDENTIALS",
    listing: str | None = None,
    provider: str = "test-idp",
    scopes: list[str] | None = None,
) -> dict[str, Any]:
    server: dict[str, Any] = {"endpoint": endpoint}
    if listing:
        server["listingMode"] = listing
    target: dict[str, Any] = {"name": name, "targetConfiguration": {"mcp": {"mcpServer": server}}}
    if audience is not None:
        oauth: dict[str, Any] = {
            "providerArn": provider,
            "scopes": scopes if scopes is not None else ["search:read"],
            "grantType": grant,
            "customParameters": {"audience": audience},
        }
        target["credentialProviderConfigurations"] = [
            {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}
        ]
    return target


@pytest.fixture(scope="session")
def _gateway_servers() -> Iterator[list[RunningGateway]]:
    """Gateway servers reused across tests (reconfigured + reset per test); started on demand."""
    servers: list[RunningGateway] = []
    yield servers
    for running in servers:
        running.server.stop()


@pytest.fixture
def start_gateway(
    _gateway_servers: list[RunningGateway],
) -> Iterator[Callable[[dict[str, Any]], RunningGateway]]:
    """`start_gateway(document)`: a running gateway with exactly this config and fresh state."""
    used = 0

    def start(document: dict[str, Any]) -> RunningGateway:
        nonlocal used
        gateway = Gateway.from_document(document)
        if used == len(_gateway_servers):
            blank = Gateway.from_document({"name": "blank", "authorizerType": "NONE"})
            server = serve(lambda url: create_app(blank, base_url=url), "fake-gateway").start()
            _gateway_servers.append(RunningGateway(server.url, f"{server.url}/mcp", server, server.app))
        running = _gateway_servers[used]
        used += 1
        running.control.reinitialize(gateway)
        return running

    yield start


MCP_HEADERS = {"Content-Type": "application/json", "Accept": "application/json, text/event-stream"}


def rpc(method: str, params: dict[str, Any] | None = None, id: Any = 1) -> dict[str, Any]:
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": id, "method": method}
    if params is not None:
        body["params"] = params
    return body


INIT = rpc(
    "initialize",
    {"protocolVersion": "2025-06-18", "capabilities": {}, "clientInfo": {"name": "pytest", "version": "1"}},
)
