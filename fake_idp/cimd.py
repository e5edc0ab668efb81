"""OAuth Client ID Metadata Documents (https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00,
which MCP 2025-11-25 "Client ID Metadata Documents" makes normative): an https URL as ``client_id``, pointing at a
JSON document with the client's metadata that the authorization server fetches and validates.

/authorize and /oauth/token (and /oauth/revoke) call :func:`resolve_at_authorize` / :func:`resolve_at_token` before
they look the client up. A URL-shaped ``client_id`` that no configured client claims (``external_client_id``:
Auth0's imported CIMD clients) is resolved when ``profile.cimd.fetch`` is on:

1. the URL follows draft §3 (https, a path, no fragment, no userinfo, no dot segments);
2. the document is pinned (``profile.cimd.documents``), or fetched: no redirects, 200 only, at most ``max_bytes``,
   JSON, over TLS trusting the system store, certifi's roots and the stack CA (``authstage_kit.tls``), from an
   address the SSRF rule allows (``special_use_addresses``);
3. it is validated: ``client_id`` equals the URL, ``client_name`` and ``redirect_uris`` present, no shared secret,
   ``none`` or ``private_key_jwt`` with ``jwks`` / ``jwks_uri`` (fetched by the same rules);
4. it becomes a third-party client (the tenant's DCR security mode; its ``redirect_uris`` are the callbacks
   /authorize checks) kept until its HTTP cache lifetime ends (RFC 9111 freshness, bounded by the knobs).

A document that fails is not kept (draft §4.4 "MUST NOT cache documents which are invalid") and the request is
refused as an unknown client; the rule that failed is in the request log (``errors.CIMD_*``).
"""

from __future__ import annotations

import asyncio
import ipaddress
import json
import socket
import time
from dataclasses import dataclass
from email.message import Message
from email.utils import parsedate_to_datetime
from typing import Any, get_args
from urllib.parse import unquote, urlsplit
from urllib.request import parse_http_list

import httpx
from joserfc import jwk
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from authstage_kit.tls import LOOPBACK_NAMES, client_context
from fake_idp import errors
from fake_idp.client_assertion import allowed_algs
from fake_idp.client_auth import read_credentials
from fake_idp.context import Ctx
from fake_idp.profile import (
    AssertionAlg,
    AuthMethod,
    CimdProfile,
    ClientAuthenticationMethods,
    PrivateKeyJwt,
    PublicKeyCredential,
)
from fake_idp.register import allowed_grant_types, check_redirect_uris, third_party_client
from fake_idp.state import CimdEntry
from fake_idp.tenant import Client

__all__ = ["CimdError", "Document", "freshness", "resolve", "resolve_at_authorize", "resolve_at_token",
           "url_problem", "validate_document"]

SECRET_METHODS = frozenset({"client_secret_post", "client_secret_basic", "client_secret_jwt"})
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})  # RFC 7518 §6: private or symmetric
DEFAULT_ALGS: dict[tuple[Any, Any], str] = {("RSA", None): "RS256", ("EC", "P-256"): "ES256", ("EC", "P-384"): "ES384"}
ASSERTION_ALGS: dict[str, AssertionAlg] = {alg: alg for alg in get_args(AssertionAlg)}
JWKS_MAX_BYTES = 65536  # a jwks_uri document: several keys, more than a metadata document's 5 KB
USER_AGENT = "authstage-fake-idp (client ID metadata document fetch)"


class CimdError(Exception):
    """A client ID metadata document the IdP cannot use; its message names the rule (``errors.CIMD_*``)."""

    @property
    def detail(self) -> str:
        return str(self.args[0])


@dataclass
class Document:
    """The validated metadata of one document."""

    url: str
    name: str
    redirect_uris: list[str]
    method: str  # none | private_key_jwt
    grant_types: list[str] | None
    jwks: dict[str, Any] | None
    jwks_uri: str | None
    signing_alg: str | None


# ---------------------------------------------------------------------------------------------------------
# The Client Identifier URL (draft §3) and where it may be fetched from (§6.5)
# ---------------------------------------------------------------------------------------------------------


def _is_loopback_host(host: str | None) -> bool:
    if host is None:
        return False
    try:
        return host in LOOPBACK_NAMES or ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def looks_like_url(client_id: str, cimd: CimdProfile) -> bool:
    """A ``client_id`` this IdP treats as a Client Identifier URL (RFC 3986 schemes are case-insensitive)."""
    low = client_id[:8].lower()
    return low.startswith("https://") or (cimd.allow_http_loopback and low.startswith("http://"))


def url_problem(url: str, cimd: CimdProfile) -> str | None:
    """What makes ``url`` no Client Identifier URL (draft §3), or None."""
    try:
        parts = urlsplit(url)
        host = parts.hostname
    except ValueError:
        return errors.CIMD_URL_INVALID.format(problem=errors.CIMD_URL_PROBLEMS["host"])
    problem = None
    if parts.scheme == "http" and not (cimd.allow_http_loopback and _is_loopback_host(host)):
        return errors.CIMD_HTTP_NOT_ALLOWED
    if parts.scheme not in ("https", "http"):
        problem = "scheme"
    elif not host:
        problem = "host"
    elif "@" in parts.netloc:
        problem = "userinfo"
    elif "#" in url:
        problem = "fragment"
    elif not parts.path:
        problem = "path"
    elif any(unquote(segment) in (".", "..") for segment in parts.path.split("/")):
        problem = "dots"
    return errors.CIMD_URL_INVALID.format(problem=errors.CIMD_URL_PROBLEMS[problem]) if problem else None


async def check_address(ctx: Ctx, url: str) -> None:
    """Draft §6.5: no special-use address (RFC 6890), but loopback while the IdP itself listens on loopback."""
    mode = ctx.tenant.profile.cimd.special_use_addresses
    if mode == "allow":
        return
    parts = urlsplit(url)
    host = parts.hostname or ""
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise CimdError(errors.CIMD_UNRESOLVED.format(host=host, detail=getattr(exc, "strerror", None) or exc)) from exc
    base = ctx.control.base_url
    for info in infos:
        address = ipaddress.ip_address(str(info[4][0]).split("%")[0])
        if address.is_global:
            continue
        if not (address.is_loopback and mode == "loopback"):
            raise CimdError(errors.CIMD_SPECIAL_USE.format(host=host, address=address, mode=mode))
        if base is not None and not _is_loopback_host(urlsplit(base).hostname):
            raise CimdError(errors.CIMD_LOOPBACK_NOT_LOCAL.format(host=host, address=address, base=base))


# ---------------------------------------------------------------------------------------------------------
# Fetching (draft §4, §4.3, §6.6) and caching (§4.4, RFC 9111 §4.2.1)
# ---------------------------------------------------------------------------------------------------------


async def _read(response: httpx.Response, url: str, limit: int) -> bytes:
    status = response.status_code
    if response.is_redirect:
        location = response.headers.get("location", "")[:200]
        raise CimdError(errors.CIMD_REDIRECT.format(url=url, status=status, location=location))
    if status != 200:
        raise CimdError(errors.CIMD_STATUS.format(url=url, status=status))
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise CimdError(errors.CIMD_TOO_LARGE.format(url=url, limit=limit))
    body = bytearray()
    async for chunk in response.aiter_bytes():
        body += chunk
        if len(body) > limit:  # stop reading: draft §6.6 "treating the response as an error"
            raise CimdError(errors.CIMD_TOO_LARGE.format(url=url, limit=limit))
    return bytes(body)


async def fetch(ctx: Ctx, url: str, limit: int) -> tuple[bytes, httpx.Headers]:
    """GET ``url`` (a document or its ``jwks_uri``) under the rules above; its body and headers."""
    cimd = ctx.tenant.profile.cimd
    problem = url_problem(url, cimd)
    if problem is not None:
        raise CimdError(problem)
    await check_address(ctx, url)
    headers = {"Accept": "application/json", "User-Agent": USER_AGENT}
    try:
        async with httpx.AsyncClient(verify=client_context(), trust_env=False, follow_redirects=False,
                                     timeout=cimd.timeout_seconds) as http:
            async with http.stream("GET", url, headers=headers) as response:
                return await _read(response, url, limit), response.headers
    except httpx.HTTPError as exc:
        raise CimdError(errors.CIMD_FETCH_FAILED.format(url=url, detail=str(exc) or type(exc).__name__)) from exc


def parse_json(url: str, body: bytes, headers: httpx.Headers, cimd: CimdProfile) -> dict[str, Any]:
    """The JSON object a fetched document holds (draft §4.1 content types)."""
    if cimd.require_json_content_type:
        message = Message()
        message["content-type"] = headers.get("content-type", "")
        media = message.get_content_type()
        if media != "application/json" and not (media.startswith("application/") and media.endswith("+json")):
            raise CimdError(errors.CIMD_CONTENT_TYPE.format(url=url, content_type=headers.get("content-type", "")))
    try:
        document = json.loads(body.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise CimdError(errors.CIMD_NOT_JSON.format(detail=str(exc)[:120])) from exc
    if not isinstance(document, dict):
        raise CimdError(errors.CIMD_NOT_JSON.format(detail=f"a JSON {type(document).__name__}"))
    return document


def _http_seconds(value: str | None) -> float | None:
    """An HTTP-date (RFC 9110 §5.6.7) as a timestamp; None when absent or invalid."""
    try:
        return parsedate_to_datetime(value).timestamp() if value else None
    except (TypeError, ValueError):
        return None


def freshness(headers: httpx.Headers, cimd: CimdProfile) -> float:
    """Seconds the document stays fresh (RFC 9111 §4.2.1, a shared cache: s-maxage, max-age, Expires - Date, less
    Age); 0 for no-store, no-cache and private; ``default_cache_seconds`` without any; at most ``max_cache_seconds``."""
    directives: dict[str, str] = {}
    for item in parse_http_list(headers.get("cache-control", "")):
        name, _, value = item.partition("=")
        directives[name.strip().lower()] = value.strip().strip('"')
    if {"no-store", "no-cache", "private"} & directives.keys():
        return 0.0
    lifetime: float | None = next((float(directives[n]) for n in ("s-maxage", "max-age")
                                   if directives.get(n, "").isdigit()), None)
    if lifetime is None and "expires" in headers:
        expires = _http_seconds(headers.get("expires"))
        date = _http_seconds(headers.get("date")) or time.time()  # no Date: the time it was received
        lifetime = expires - date if expires is not None else 0.0  # an invalid Expires is in the past (§5.3)
    if lifetime is None:
        lifetime = float(cimd.default_cache_seconds)
    age = headers.get("age", "")
    lifetime -= float(age) if age.isdigit() else 0.0
    return max(0.0, min(lifetime, float(cimd.max_cache_seconds)))


# ---------------------------------------------------------------------------------------------------------
# Validation (draft §4.1, §6.2; MCP 2025-11-25 "Client ID Metadata Documents")
# ---------------------------------------------------------------------------------------------------------


def _identity(url: str, doc: dict[str, Any]) -> tuple[str, list[str]]:
    """client_id (equal to the URL), client_name, no secret, redirect_uris."""
    if "client_id" not in doc:
        raise CimdError(errors.CIMD_FIELD_MISSING.format(name="client_id"))
    if doc["client_id"] != url:
        raise CimdError(errors.CIMD_CLIENT_ID_MISMATCH.format(got=doc["client_id"], url=url))
    name = doc.get("client_name")
    if name is None:
        raise CimdError(errors.CIMD_FIELD_MISSING.format(name="client_name"))
    if not isinstance(name, str) or not name.strip():
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name="client_name", detail="not a non-empty string"))
    for secret in ("client_secret", "client_secret_expires_at"):
        if secret in doc:
            raise CimdError(errors.CIMD_SECRET_PRESENT.format(name=secret))
    if "redirect_uris" not in doc:
        raise CimdError(errors.CIMD_FIELD_MISSING.format(name="redirect_uris"))
    try:
        uris = check_redirect_uris(doc["redirect_uris"])
    except errors.OAuthError as exc:
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name="redirect_uris",
                                                          detail=f"{exc.description} ({exc.reason})")) from exc
    return name.strip()[:200], uris


def _strings(doc: dict[str, Any], name: str) -> list[str] | None:
    value = doc.get(name)
    if value is not None and (not isinstance(value, list) or not all(isinstance(v, str) for v in value)):
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name=name, detail="not a list of strings"))
    return value


def _check_jwks(jwks: Any) -> dict[str, Any]:
    if not isinstance(jwks, dict) or not isinstance(jwks.get("keys"), list):
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name="jwks", detail='not a JWK Set {"keys": [...]}'))
    if any(isinstance(key, dict) and PRIVATE_MEMBERS & key.keys() for key in jwks["keys"]):
        raise CimdError(errors.CIMD_PRIVATE_KEY)
    return jwks


def _authentication(doc: dict[str, Any]) -> tuple[str, dict[str, Any] | None, str | None]:
    """token_endpoint_auth_method (none when absent, as FastMCP's CIMDDocument) and its keys."""
    method = doc.get("token_endpoint_auth_method", "none")
    if method in SECRET_METHODS:
        raise CimdError(errors.CIMD_SECRET_METHOD.format(method=method))
    if method not in ("none", "private_key_jwt"):
        raise CimdError(errors.CIMD_UNSUPPORTED_METHOD.format(method=str(method)[:64]))
    jwks, jwks_uri = doc.get("jwks"), doc.get("jwks_uri")
    if jwks is not None and jwks_uri is not None:
        raise CimdError(errors.CIMD_BOTH_KEYS)
    if jwks_uri is not None and not isinstance(jwks_uri, str):
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name="jwks_uri", detail="not a string"))
    if method == "private_key_jwt" and jwks is None and jwks_uri is None:
        raise CimdError(errors.CIMD_NO_KEYS)
    return method, (_check_jwks(jwks) if jwks is not None else None), jwks_uri


def validate_document(url: str, doc: dict[str, Any]) -> Document:
    """The rules a document must meet (each refusal names its source: ``errors.CIMD_*``)."""
    name, uris = _identity(url, doc)
    method, jwks, jwks_uri = _authentication(doc)
    grant_types = _strings(doc, "grant_types")
    response_types = _strings(doc, "response_types")
    if response_types is not None and "code" not in response_types:
        raise CimdError(errors.CIMD_FIELD_INVALID.format(name="response_types", detail="code is not among them "
                                                         "(authstage emulates the authorization code flow)"))
    alg = doc.get("token_endpoint_auth_signing_alg")
    return Document(url, name, uris, method, grant_types, jwks, jwks_uri, alg if isinstance(alg, str) else None)


def credentials(jwks: dict[str, Any], signing_alg: str | None, algs: list[str]) -> list[PublicKeyCredential]:
    """The JWK Set's signing keys as the client's private_key_jwt credentials (``client_assertion.py``)."""
    out = []
    for index, key in enumerate(jwks.get("keys") or []):
        if not isinstance(key, dict) or key.get("use", "sig") != "sig":
            continue
        named = key.get("alg") or signing_alg or DEFAULT_ALGS.get((key.get("kty"), key.get("crv")))
        alg = ASSERTION_ALGS.get(str(named))
        if alg is None or alg not in algs:
            continue
        try:
            imported = jwk.import_key(key)
        except (JoseError, ValueError, KeyError, TypeError):
            continue
        if not isinstance(imported, RSAKey | ECKey):
            continue
        pem = imported.as_pem(private=False).decode()
        kid = key.get("kid") if isinstance(key.get("kid"), str) else None
        out.append(PublicKeyCredential(name=f"CIMD key {kid or index}", pem=pem, alg=alg, kid=kid))
    if not out:
        raise CimdError(errors.CIMD_NO_USABLE_KEY.format(algs="/".join(algs)))
    return out


async def _keys(ctx: Ctx, document: Document) -> ClientAuthenticationMethods | None:
    if document.method != "private_key_jwt":
        return None
    jwks = document.jwks
    if jwks is None:
        assert document.jwks_uri is not None, "validate_document requires jwks or jwks_uri"
        body, headers = await fetch(ctx, document.jwks_uri, JWKS_MAX_BYTES)
        jwks = _check_jwks(parse_json(document.jwks_uri, body, headers, ctx.tenant.profile.cimd))
    found = credentials(jwks, document.signing_alg, allowed_algs(ctx))
    # A document may list more keys than Auth0's two credentials (rotation): not re-validated against that cap.
    return ClientAuthenticationMethods(private_key_jwt=PrivateKeyJwt.model_construct(credentials=found))


def build_client(ctx: Ctx, document: Document, methods: ClientAuthenticationMethods | None) -> Client:
    """A third-party client whose id is the URL (Auth0 DOC: tokens "include client_id=https://../client.json")."""
    method: AuthMethod = "private_key_jwt" if document.method == "private_key_jwt" else "none"
    client = third_party_client(ctx, "cimd", method, name=document.name, callbacks=list(document.redirect_uris),
                                grant_types=allowed_grant_types(ctx, document.grant_types),
                                client_authentication_methods=methods)
    return client.model_copy(update={"client_id": document.url})  # a URL may hold what client ids may not ('%', '~')


# ---------------------------------------------------------------------------------------------------------
# Resolution at the endpoints
# ---------------------------------------------------------------------------------------------------------


def _claimed(ctx: Ctx, client_id: str) -> bool:
    """A configured client owns this id (Auth0's imported CIMD clients), or the tenant forgot it (F-8)."""
    if client_id in ctx.tenant.faults.forgotten_clients:
        return True
    return any(client_id in (c.client_id, c.external_client_id) for c in ctx.tenant.clients)


async def _load(ctx: Ctx, url: str) -> tuple[Client, float, str]:
    cimd = ctx.tenant.profile.cimd
    problem = url_problem(url, cimd)
    if problem is not None:
        raise CimdError(problem)
    pinned = cimd.documents.get(url)
    if pinned is not None:
        doc, lifetime, source = pinned, 0.0, errors.CIMD_PINNED
    else:
        body, headers = await fetch(ctx, url, cimd.max_bytes)
        doc, lifetime = parse_json(url, body, headers, cimd), freshness(headers, cimd)
        source = errors.CIMD_FETCHED.format(size=len(body), seconds=lifetime)
    document = validate_document(url, doc)
    return build_client(ctx, document, await _keys(ctx, document)), lifetime, source


async def resolve(ctx: Ctx, client_id: str | None) -> None:
    """Make the client of a Client Identifier URL known to ``ctx.find_client`` (from its fresh cache entry, or
    loaded again), or raise :class:`CimdError`. Anything else (fetch off, another id, a configured client): no-op."""
    cimd = ctx.tenant.profile.cimd
    if not cimd.fetch or not client_id or not looks_like_url(client_id, cimd) or _claimed(ctx, client_id):
        return
    now = ctx.now()
    with ctx.state.lock:
        entry = ctx.state.cimd_clients.get(client_id)
        if entry is None or entry.fresh_until <= now:
            ctx.state.cimd_clients.pop(client_id, None)  # stale: fetched again; invalid: never kept (draft §4.4)
            entry = None
    if entry is not None:
        ctx.note(errors.CIMD_CACHED.format(url=client_id, seconds=entry.fresh_until - now))
        return
    client, lifetime, source = await _load(ctx, client_id)
    with ctx.state.lock:
        ctx.remember(ctx.state.cimd_clients, client_id, CimdEntry(client, now + lifetime, source),
                     ctx.tenant.emulator.state.cimd_clients)
    ctx.note(errors.CIMD_ACCEPTED.format(url=client_id, source=source, name=client.name,
                                         method=client.token_endpoint_auth_method, uris=client.callbacks))


async def resolve_at_authorize(ctx: Ctx, client_id: str | None) -> None:
    """Before /authorize looks the client up: a document it cannot use is an unknown client (Auth0's error page)."""
    try:
        await resolve(ctx, client_id)
    except CimdError as exc:
        raise errors.AuthorizeError("invalid_request", errors.UNKNOWN_CLIENT.format(client_id=client_id),
                                    reason=errors.CIMD_REFUSED.format(url=client_id, detail=exc.detail)) from exc


async def resolve_at_token(ctx: Ctx, params: dict[str, str]) -> None:
    """Before /oauth/token (or /oauth/revoke) authenticates the client: a document it cannot use is the tenant's
    401 for an unknown client."""
    try:
        client_id = read_credentials(ctx, params).client_id
    except errors.IdpError:
        return  # malformed credentials: authenticate_client answers them
    try:
        await resolve(ctx, client_id)
    except CimdError as exc:
        raise errors.unauthorized_client_auth(
            ctx.tenant.emulator.client_auth_error,
            reason=errors.CIMD_REFUSED.format(url=client_id, detail=exc.detail)) from exc
