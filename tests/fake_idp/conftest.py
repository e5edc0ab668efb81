"""Fixtures: one demo tenant served over real HTTP for the whole session, reset before every test.

Tokens are verified with PyJWT against the served JWKS (an independent library), never with fake_idp code.
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import jwt
import pytest

from authstage_kit.runner import ServerThread, bind_socket
from fake_idp import create_app, demo_tenant
from fake_idp.control import IdpControl as Control
from fake_idp.demo import DEMO_CLIENT_IDS

GATEWAY = "http://127.0.0.1:8000/mcp"
MCP = "http://127.0.0.1:8001/mcp"
M2M_ID = DEMO_CLIENT_IDS["demo-m2m"]
M2M_SECRET = "demo-secret-not-for-production-m2m-0001"
OUTBOUND_ID = DEMO_CLIENT_IDS["gateway-outbound"]
OUTBOUND_SECRET = "demo-secret-not-for-production-gateway-0002"
CLI_ID = DEMO_CLIENT_IDS["demo-cli"]
CLI_CALLBACK = "http://127.0.0.1:8976/callback"


def b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def header_of(token: str) -> dict[str, Any]:
    return b64json(token.split(".")[0])


def claims_of(token: str) -> dict[str, Any]:
    return b64json(token.split(".")[1])


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Idp:
    url: str
    control: Control
    http: httpx.Client

    @property
    def issuer(self) -> str:
        return self.url + "/"

    def patch(self, doc: dict[str, Any]) -> None:
        self.control.patch(doc)

    def patch_item(self, section: str, name: str, **fields: Any) -> None:
        """Change one API/client (by name) - merge patches replace whole lists."""
        items = [i.model_dump(mode="json") for i in getattr(self.control.tenant, section)]
        hit = [i for i in items if i["name"] == name]
        assert hit, f"no {section} item {name!r}"
        hit[0].update(fields)
        self.control.patch({section: items})

    def patch_api(self, name: str = "authstage-gateway", **fields: Any) -> None:
        self.patch_item("apis", name, **fields)

    def patch_client(self, name: str, **fields: Any) -> None:
        self.patch_item("clients", name, **fields)

    def cc(self, **extra: Any) -> httpx.Response:
        """A client_credentials request for demo-m2m (JSON body); ``extra`` overrides fields (None drops)."""
        body: dict[str, Any] = {
            "grant_type": "client_credentials",
            "client_id": M2M_ID,
            "client_secret": M2M_SECRET,
            "audience": GATEWAY,
        }
        body.update(extra)
        return self.http.post("/oauth/token", json={k: v for k, v in body.items() if v is not None})

    def verify(
        self,
        token: str,
        *,
        audience: str | list[str] | None = GATEWAY,
        algorithms: list[str] | None = None,
        **kw: Any,
    ) -> dict[str, Any]:
        """Verify with PyJWT against the served JWKS (independent of fake_idp)."""
        client = jwt.PyJWKClient(self.url + "/.well-known/jwks.json", cache_keys=False, cache_jwk_set=False)
        key = client.get_signing_key_from_jwt(token)
        options = {"verify_aud": audience is not None}
        return jwt.decode(
            token,
            key.key,
            algorithms=algorithms or ["RS256"],
            audience=audience,
            issuer=kw.pop("issuer", self.issuer),
            options=options,
            **kw,
        )

    def authorize(self, **params: Any) -> httpx.Response:
        base = {"client_id": CLI_ID, "redirect_uri": CLI_CALLBACK, "response_type": "code", "state": "st-1"}
        base.update(params)
        return self.http.get("/authorize", params={k: v for k, v in base.items() if v is not None})

    def code_flow(
        self,
        *,
        scope: str = "openid profile email mcp:tools offline_access",
        audience: str | None = GATEWAY,
        **extra: Any,
    ) -> tuple[dict[str, Any], httpx.Response]:
        """Headless /authorize + PKCE + token exchange with demo-cli; returns (token body, token response)."""
        verifier, challenge = pkce_pair()
        r = self.authorize(
            scope=scope, audience=audience, code_challenge=challenge, code_challenge_method="S256", **extra
        )
        assert r.status_code == 302, r.text
        q = query_of(r.headers["location"])
        assert "code" in q, q
        t = self.http.post(
            "/oauth/token",
            data={
                "grant_type": "authorization_code",
                "client_id": CLI_ID,
                "code": q["code"],
                "redirect_uri": CLI_CALLBACK,
                "code_verifier": verifier,
            },
        )
        return (t.json() if t.headers.get("content-type", "").startswith("application/json") else {}), t

    def denied_login(self, **params: Any) -> dict[str, str]:
        """A headless /authorize that a post-login Action denies: Auth0 sends the browser back to the callback with
        `error=access_denied` (DOC actions/triggers/post-login api.access.deny); returns that redirect's query."""
        _, challenge = pkce_pair()
        r = self.authorize(scope="openid profile email mcp:tools offline_access", audience=GATEWAY,
                           code_challenge=challenge, code_challenge_method="S256", **params)  # fmt: skip
        assert r.status_code == 302, r.text
        location = r.headers["location"]
        assert location.startswith(CLI_CALLBACK), location
        q = query_of(location)
        assert "code" not in q, "the login was not denied"
        return q

    def last(self, path: str | None = None) -> dict[str, Any]:
        recs = [r for r in self.control.records() if path is None or r["path"] == path]
        assert recs, f"no log record for {path}"
        return recs[-1]


def query_of(location: str) -> dict[str, str]:
    parts = urlsplit(location)
    return {k: v[0] for k, v in parse_qs(parts.query or parts.fragment).items()}


@pytest.fixture(scope="session")
def idp_server() -> Iterator[ServerThread]:
    tenant = demo_tenant(gateway_resource=GATEWAY, mcp_resource=MCP)
    tenant.settings.headless_auto_approve = True  # these tests drive /authorize headlessly with httpx
    server = ServerThread(
        build=lambda url: create_app(tenant, base_url=url), name="fake_idp", sock=bind_socket()
    ).start()
    yield server
    server.stop()


@pytest.fixture
def idp(idp_server: ServerThread) -> Iterator[Idp]:
    control: Control = idp_server.app.state.control
    control.reset()
    with httpx.Client(base_url=idp_server.url, follow_redirects=False, timeout=10) as http:
        yield Idp(url=idp_server.url, control=control, http=http)
    control.reset()
