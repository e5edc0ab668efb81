"""Shared test fixtures: a tiny independent token issuer (discovery + JWKS) signing with a test key."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from typing import Any

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet, RSAKey
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from authstage_kit.runner import ServerThread

_KEYS: dict[str, RSAKey] = {}


def rsa_key(kid: str) -> RSAKey:
    """RSA keys are slow to make: one per kid per test session."""
    if kid not in _KEYS:
        _KEYS[kid] = RSAKey.generate_key(2048, parameters={"kid": kid, "use": "sig", "alg": "RS256"})
    return _KEYS[kid]


class TestIssuer:
    """An OIDC issuer reduced to what resource servers read: discovery and JWKS. Tests mint tokens with it."""

    __test__ = False

    def __init__(self) -> None:
        self.server = ServerThread(build=self._build, name="test-issuer")
        self.issuer = self.server.url + "/"
        self.published = [rsa_key("test-key-1")]
        self.signing = self.published[0]
        self.jwks_hits = 0
        self.jwks_status = 200

    def _build(self, url: str) -> Starlette:
        async def discovery(request: Request) -> JSONResponse:
            return JSONResponse({"issuer": self.issuer, "jwks_uri": f"{url}/.well-known/jwks.json"})

        async def jwks(request: Request) -> JSONResponse:
            self.jwks_hits += 1
            if self.jwks_status != 200:
                return JSONResponse({"error": "unavailable"}, status_code=self.jwks_status)
            return JSONResponse(KeySet(self.published).as_dict(private=False))

        return Starlette(
            routes=[
                Route("/.well-known/openid-configuration", discovery),
                Route("/.well-known/jwks.json", jwks),
            ]
        )

    def mint(
        self,
        claims: dict[str, Any] | None = None,
        *,
        key: RSAKey | None = None,
        header: dict[str, Any] | None = None,
        **overrides: Any,
    ) -> str:
        now = int(time.time())
        body = {"iss": self.issuer, "sub": "user-1", "iat": now, "exp": now + 600, "jti": uuid.uuid4().hex}
        body.update(claims or {})
        body.update(overrides)
        body = {k: v for k, v in body.items() if v is not None}
        signer = key or self.signing
        head = {"alg": "RS256", "typ": "at+jwt", "kid": signer.kid}
        head.update(header or {})
        head = {k: v for k, v in head.items() if v is not None}
        return jwt.encode(head, body, signer)

    def rotate(self, kid: str) -> RSAKey:
        """Publish a new key and sign with it from now on (the old one stays published)."""
        new = rsa_key(kid)
        self.published.append(new)
        self.signing = new
        return new

    def restore(self) -> None:
        self.published = [rsa_key("test-key-1")]
        self.signing = self.published[0]
        self.jwks_hits = 0
        self.jwks_status = 200


@pytest.fixture(scope="session")
def _issuer_server() -> Iterator[TestIssuer]:
    test_issuer = TestIssuer()
    test_issuer.server.start()
    yield test_issuer
    test_issuer.server.stop()


@pytest.fixture
def issuer(_issuer_server: TestIssuer) -> Iterator[TestIssuer]:
    """The session's test issuer, with its keys and faults restored after each test."""
    _issuer_server.restore()
    yield _issuer_server
    _issuer_server.restore()
