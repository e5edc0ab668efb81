"""Client ID Metadata Documents (fake_idp/cimd.py): the IdP fetches an https client_id's document from a real TLS
server (a certificate of a stack CA, authstage_kit/tls.py), validates it, caches it per its HTTP headers, and refuses
each broken rule with the tenant's unknown-client answer and the rule in the request log.

The documents are modelled on the MCP 2025-11-25 authorization spec's example ("Example Metadata Document") and on
Claude's (`https://claude.ai/oauth/mcp-oauth-client-metadata`, auth0-tenant.md §7), with names and values of our own.
Tokens are verified with PyJWT.
"""

from __future__ import annotations

import json
import ssl
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import jwt
import pytest
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from authstage_kit.tls import StackTls, trust, untrust
from fake_idp.cimd import freshness
from fake_idp.profile import CimdProfile
from tests.fake_idp.conftest import GATEWAY, Idp, pkce_pair, query_of

CALLBACK = "http://127.0.0.1:3000/callback"


class Documents:
    """An https server on loopback (stack-CA certificate) serving what each test puts at a path; counts fetches."""

    def __init__(self, tls: StackTls) -> None:
        self.routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
        self.hits: dict[str, int] = {}
        routes, hits = self.routes, self.hits

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                hits[self.path] = hits.get(self.path, 0) + 1
                status, headers, body = routes.get(self.path, (404, {}, b"not here"))
                self.send_response(status)
                for name, value in {"Content-Length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(tls.client_cert_file, tls.client_key_file)
        self.server.socket = context.wrap_socket(self.server.socket, server_side=True)
        threading.Thread(target=self.server.serve_forever, args=(0.05,), daemon=True).start()
        self.base = f"https://127.0.0.1:{self.server.server_address[1]}"

    def url(self, path: str) -> str:
        return self.base + path

    def serve(self, path: str, doc: Any, *, status: int = 200, content_type: str = "application/json",
              **headers: str) -> str:
        body = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
        self.routes[path] = (status, {"Content-Type": content_type, **headers}, body)
        self.hits[path] = 0
        return self.base + path


@pytest.fixture(scope="module")
def documents(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Documents]:
    tls = StackTls.create(directory=Path(tmp_path_factory.mktemp("cimd-ca")))
    trust(tls.ca_file)  # the IdP's outbound client trusts the stack CA (as a stack started with it does)
    served = Documents(tls)
    yield served
    served.server.shutdown()
    untrust(tls.ca_file)
    tls.remove()


def document(url: str, **fields: Any) -> dict[str, Any]:
    """A public client's document (MCP 2025-11-25 example shape); `fields` override, None drops."""
    doc = {"client_id": url, "client_name": "Northwind MCP Client", "client_uri": "https://northwind.example",
           "redirect_uris": [CALLBACK, "http://localhost:3000/callback"], "grant_types": ["authorization_code"],
           "response_types": ["code"], "token_endpoint_auth_method": "none", **fields}
    return {k: v for k, v in doc.items() if v is not None}


def fetching(idp: Idp, **cimd: Any) -> None:
    idp.patch({"profile": {"cimd": {"fetch": True, **cimd}}})


def authorize(idp: Idp, client_id: str, **extra: Any) -> tuple[Any, str]:
    verifier, challenge = pkce_pair()
    params = {"redirect_uri": CALLBACK, "audience": GATEWAY, "scope": "mcp:tools", "code_challenge": challenge,
              "code_challenge_method": "S256", **extra}
    r = idp.authorize(client_id=client_id, **params)
    return r, verifier


def exchange(idp: Idp, client_id: str, code: str, verifier: str, **extra: Any) -> Any:
    return idp.http.post("/oauth/token", data={"grant_type": "authorization_code", "client_id": client_id, "code": code,
                                               "redirect_uri": CALLBACK, "code_verifier": verifier, **extra})


def refused(idp: Idp, client_id: str) -> str:
    """The /authorize answer for a document the IdP cannot use: Auth0's unknown-client page; returns the log reason."""
    r, _ = authorize(idp, client_id)
    assert r.status_code == 400 and f"Unknown client: {client_id}" in r.text, r.text[:300]
    reason: str = idp.last("/authorize")["reason"]
    assert reason.startswith(f"client ID metadata document {client_id} refused: "), reason
    return reason


def test_advertised_only_where_the_idp_fetches(idp: Idp) -> None:
    assert "client_id_metadata_document_supported" not in idp.http.get("/.well-known/openid-configuration").json()
    fetching(idp)
    for path in ("/.well-known/openid-configuration", "/.well-known/oauth-authorization-server"):
        assert idp.http.get(path).json()["client_id_metadata_document_supported"] is True


def test_fetched_document_is_the_client_through_authorize_and_token(idp: Idp, documents: Documents) -> None:
    url = documents.url("/northwind/client.json")
    documents.serve("/northwind/client.json", document(url), **{"Cache-Control": "max-age=300"})
    fetching(idp)
    r, verifier = authorize(idp, url)
    assert r.status_code == 302, r.text[:300]
    notes = idp.last("/authorize")["notes"]
    assert any(n.startswith(f"client ID metadata document {url} fetched (") and "valid: client 'Northwind MCP Client'"
               in n for n in notes), notes
    t = exchange(idp, url, query_of(r.headers["location"])["code"], verifier)
    assert t.status_code == 200, t.text
    claims = idp.verify(t.json()["access_token"])
    assert claims["client_id"] == url and claims["aud"] == GATEWAY  # Auth0 DOC: client_id=https://../client.json
    assert documents.hits["/northwind/client.json"] == 1  # fresh for 300 s: the token request used the cache
    assert any("from the cache" in n for n in idp.last("/oauth/token")["notes"])


def test_cache_follows_http_freshness_and_the_clock(idp: Idp, documents: Documents) -> None:
    url = documents.base + "/cached/client.json"
    documents.serve("/cached/client.json", document(url), **{"Cache-Control": "public, max-age=60"})
    fetching(idp)
    for _ in range(2):
        assert authorize(idp, url)[0].status_code == 302
    assert documents.hits["/cached/client.json"] == 1
    idp.control.clock.advance(61)  # stale: fetched again, and refused now that it changed (nothing invalid is kept)
    documents.serve("/cached/client.json", document(url, client_name=None), **{"Cache-Control": "max-age=60"})
    assert "it has no client_name" in refused(idp, url)
    assert documents.hits["/cached/client.json"] == 1
    documents.serve("/cached/client.json", document(url), **{"Cache-Control": "no-store"})
    for _ in range(2):
        assert authorize(idp, url)[0].status_code == 302
    assert documents.hits["/cached/client.json"] == 2  # no-store: every request fetches


@pytest.mark.parametrize(("headers", "seconds"), [
    ({"cache-control": "max-age=120, s-maxage=30"}, 30),  # a shared cache reads s-maxage first (RFC 9111 §5.2.2.10)
    ({"cache-control": "max-age=120", "age": "100"}, 20),
    ({"cache-control": "no-cache, max-age=120"}, 0),
    ({"cache-control": "private, max-age=120"}, 0),
    ({"expires": "Thu, 01 Jan 2026 00:10:00 GMT", "date": "Thu, 01 Jan 2026 00:00:00 GMT"}, 600),
    ({"expires": "0"}, 0),  # an invalid date is in the past (RFC 9111 §5.3)
    ({}, 0),  # no freshness information: profile.cimd.default_cache_seconds
    ({"cache-control": "max-age=99999999"}, 604800),  # profile.cimd.max_cache_seconds
])
def test_freshness(headers: dict[str, str], seconds: float) -> None:
    import httpx

    assert freshness(httpx.Headers(headers), CimdProfile()) == seconds


URL = "https://pinned.example/oauth/client.json"
EC_PUBLIC = {"kty": "EC", "crv": "P-256", "x": "f83OJ3D2xF1Bg8vub9tLe1gHMzV76e8Tus9uPHvRVEU",
             "y": "x_FEzRu9m36HLN_tx-ASOYn6IWq-lwmNMEcyOKRlLss"}  # RFC 7517 Appendix A.1


@pytest.mark.parametrize(("fields", "reason"), [
    ({"client_id": URL + "?v=2"}, f"its client_id '{URL}?v=2' is not the URL it was fetched from, '{URL}'"),
    ({"client_id": None}, "it has no client_id"),
    ({"client_name": None}, "it has no client_name"),
    ({"client_name": "  "}, "its client_name is invalid"),
    ({"redirect_uris": None}, "it has no redirect_uris"),
    ({"redirect_uris": ["javascript:alert(1)"]}, "its redirect_uris is invalid"),
    ({"token_endpoint_auth_method": "client_secret_basic"}, "'client_secret_basic' is based on a shared secret"),
    ({"client_secret": "demo-secret-not-for-production"}, "it contains client_secret"),
    ({"token_endpoint_auth_method": "tls_client_auth"}, "'tls_client_auth' is neither none nor private_key_jwt"),
    ({"token_endpoint_auth_method": "private_key_jwt"}, "private_key_jwt without jwks or jwks_uri"),
    ({"jwks": {"keys": [EC_PUBLIC]}, "jwks_uri": "https://pinned.example/jwks.json"}, "both jwks and jwks_uri"),
    ({"jwks": {"keys": [{**EC_PUBLIC, "d": "private"}]}}, "its jwks contains private key material"),
    ({"response_types": ["token"]}, "its response_types is invalid: code is not among them"),
    ({"grant_types": "authorization_code"}, "its grant_types is invalid: not a list of strings"),
])
def test_each_document_rule_refuses_with_its_reason(idp: Idp, fields: dict[str, Any], reason: str) -> None:
    fetching(idp, documents={URL: document(URL, **fields)})  # pinned: the rules run without a network
    assert reason in refused(idp, URL)


@pytest.mark.parametrize(("client_id", "reason"), [
    ("https://pinned.example/client.json#frag", "must not contain a fragment"),
    ("https://user:pw@pinned.example/client.json", "must not contain a username or password"),
    ("https://pinned.example/a/../client.json", "must not contain single-dot or double-dot path segments"),
    ("https://pinned.example", "must contain a path component"),
])
def test_client_identifier_url_rules(idp: Idp, client_id: str, reason: str) -> None:
    fetching(idp, documents={client_id: document(client_id)})
    assert reason in refused(idp, client_id)


def test_pinned_document_needs_no_network_and_its_redirect_uris_are_exact(idp: Idp) -> None:
    url = "https://conformance-test.local/client-metadata.json"  # conformance: "doesn't need to resolve"
    fetching(idp, documents={url: document(url)})
    assert authorize(idp, url)[0].status_code == 302
    assert "pinned (profile.cimd.documents) and valid" in " ".join(idp.last("/authorize")["notes"])
    r, _ = authorize(idp, url, redirect_uri="http://127.0.0.1:3001/callback")  # another port: not in the document
    assert r.status_code == 400 and "Callback URL mismatch" in r.text


def test_fetch_rules(idp: Idp, documents: Documents) -> None:
    base = documents.base
    fetching(idp)
    cases = {
        "/moved.json": (dict(doc=b"", status=302, Location=base + "/elsewhere.json"), "answered a redirect (302 to"),
        "/gone.json": (dict(doc=b"gone", status=404, content_type="text/plain"), "answered HTTP 404, not 200 OK"),
        "/html.json": (dict(doc=b"<html></html>", content_type="text/html"), "is served as 'text/html'"),
        "/big.json": (dict(doc={"client_id": "x", "pad": "p" * 6000}), "is larger than 5120 bytes"),
        "/list.json": (dict(doc=[1, 2]), "the document is not a JSON object (a JSON list)"),
    }
    for path, (served, reason) in cases.items():
        served = dict(served)
        documents.serve(path, served.pop("doc"), **served)
        assert reason in refused(idp, base + path), path
    assert authorize(idp, base + "/moved.json")[0].status_code == 400 and documents.hits.get("/elsewhere.json") is None
    documents.serve("/suffix.json", document(base + "/suffix.json"), content_type="application/oauth-client+json")
    assert authorize(idp, base + "/suffix.json")[0].status_code == 302  # application/<type>+json (draft §4.1)
    closed = "https://127.0.0.1:9/client.json"  # nothing listens on the discard port
    assert f"fetching {closed} failed" in refused(idp, closed)


def test_address_and_scheme_knobs(idp: Idp, documents: Documents) -> None:
    url = documents.url("/loopback.json")
    documents.serve("/loopback.json", document(url))
    fetching(idp, special_use_addresses="refuse")  # the production rule: no loopback either
    assert "resolves to 127.0.0.1, a special-use address" in refused(idp, url)
    fetching(idp, special_use_addresses="loopback")
    assert authorize(idp, url)[0].status_code == 302
    plain = "http://127.0.0.1:9/client.json"
    fetching(idp, allow_http_loopback=False)
    assert authorize(idp, plain)[0].status_code == 400  # an http id is no CIMD URL: unknown client
    assert "refused" not in (idp.last("/authorize")["reason"] or "")
    fetching(idp, allow_http_loopback=True, documents={plain: document(plain)})
    assert authorize(idp, plain)[0].status_code == 302


def test_private_key_jwt_with_jwks_uri(idp: Idp, documents: Documents) -> None:
    key = ECKey.generate_key("P-256")
    public = {**key.as_dict(private=False), "kid": "k1", "use": "sig"}
    url = documents.base + "/pkjwt/client.json"
    documents.serve("/pkjwt/jwks.json", {"keys": [public]})
    documents.serve("/pkjwt/client.json", document(url, token_endpoint_auth_method="private_key_jwt",
                                                   jwks_uri=documents.base + "/pkjwt/jwks.json",
                                                   token_endpoint_auth_signing_alg="ES256"))
    fetching(idp)
    idp.patch({"profile": {"discovery": {"token_endpoint_auth_signing_alg_values_supported": ["ES256"]}}})
    r, verifier = authorize(idp, url)
    assert r.status_code == 302, r.text[:300]
    code = query_of(r.headers["location"])["code"]

    def assertion(signer: ECKey) -> str:
        now = int(time.time())
        claims = {"iss": url, "sub": url, "aud": idp.issuer, "iat": now, "exp": now + 60, "jti": f"j{now}{id(signer)}"}
        return jose_jwt.encode({"alg": "ES256", "kid": "k1"}, claims, signer)

    bearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"
    wrong = exchange(idp, url, code, verifier, client_assertion_type=bearer,
                     client_assertion=assertion(ECKey.generate_key("P-256")))
    assert wrong.status_code == 401 and "signature does not verify" in idp.last("/oauth/token")["reason"]
    r, verifier = authorize(idp, url)
    t = exchange(idp, url, query_of(r.headers["location"])["code"], verifier, client_assertion_type=bearer,
                 client_assertion=assertion(key))
    assert t.status_code == 200, t.text
    assert jwt.decode(t.json()["access_token"], options={"verify_signature": False})["client_id"] == url


def test_token_endpoint_refuses_a_document_that_went_bad(idp: Idp, documents: Documents) -> None:
    url = documents.base + "/expiring/client.json"
    documents.serve("/expiring/client.json", document(url), **{"Cache-Control": "max-age=5"})
    fetching(idp)
    r, verifier = authorize(idp, url)
    assert r.status_code == 302
    idp.control.clock.advance(6)
    documents.serve("/expiring/client.json", document(url, client_id=url + "x"), **{"Cache-Control": "max-age=5"})
    t = exchange(idp, url, query_of(r.headers["location"])["code"], verifier)
    assert t.status_code == 401 and t.json() == {"error": "access_denied", "error_description": "Unauthorized"}
    assert "is not the URL it was fetched from" in idp.last("/oauth/token")["reason"]


def test_auth0_profile_does_not_fetch(idp: Idp, documents: Documents) -> None:
    url = documents.url("/auth0.json")
    documents.serve("/auth0.json", document(url))
    idp.patch({"settings": {"client_id_metadata_document_supported": True}})  # Auth0's toggle: advertise only
    r, _ = authorize(idp, url)
    assert r.status_code == 400 and f"Unknown client: {url}" in r.text and documents.hits["/auth0.json"] == 0


def test_login_page_names_the_client_and_the_host_of_its_url(idp: Idp) -> None:
    fetching(idp, documents={URL: document(URL)})
    idp.patch({"settings": {"headless_auto_approve": False}})
    r, _ = authorize(idp, URL)
    assert r.status_code == 302 and "/u/login" in r.headers["location"]
    page = idp.http.get(r.headers["location"])
    assert "continue to Northwind MCP Client (pinned.example)." in page.text  # draft §6.4: the client_id's host
