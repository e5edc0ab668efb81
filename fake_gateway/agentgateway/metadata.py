"""The OAuth surface mcpAuthentication adds to a route [AG:src/mcp/auth.rs; sheet §3.1, §3.3-§3.5].

- `GET /.well-known/oauth-protected-resource[/*]`: RFC 9728 metadata, keys in agentgateway's order.
- `GET /.well-known/oauth-authorization-server[/*]`: the IdP's metadata, fetched on every request and adapted per
  provider (auth0 `?audience=`, okta/keycloak `registration_endpoint`, ...); 500 with an empty body when it fails.
- `POST …client-registration` (any path ending so): the mock DCR answer with `clientId`, else the body proxied to
  the IdP's registration endpoint with CORS added.
- The 401 challenge's `resource_metadata` URL.
These well-known paths skip token validation; `/mcp/.well-known/...` and `…-resource-evil` do not.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

import httpx

from fake_gateway.agentgateway.config import Authn

__all__ = [
    "AS_PREFIX",
    "PRM_PREFIX",
    "Answer",
    "authorization_server_metadata",
    "challenge_url",
    "client_registration",
    "is_well_known",
    "protected_resource_metadata",
]

PRM_PREFIX = "/.well-known/oauth-protected-resource"
AS_PREFIX = "/.well-known/oauth-authorization-server"
MCP_PROTOCOL_VERSION = "2025-06-18"  # constant in the PRM [AG:src/types/agent.rs#L2858-L2888]
METADATA_CORS = {
    "access-control-allow-origin": "*",
    "access-control-allow-methods": "GET, OPTIONS",
    "access-control-allow-headers": "content-type",
}
DCR_CORS = {**METADATA_CORS, "access-control-allow-methods": "POST, OPTIONS"}
OIDC_PROVIDERS = ("keycloak", "okta", "descope", "authentik")


@dataclass
class Answer:
    status: int
    headers: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    reason: str | None = None


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode()


def is_well_known(path: str) -> bool:
    """[AG:src/mcp/auth.rs#L22-L27]"""
    return any(path == p or path.startswith(p + "/") for p in (PRM_PREFIX, AS_PREFIX))


def challenge_url(authn: Authn, origin: str, path: str) -> str:
    """`resource_metadata` of the 401: the origin of `resourceMetadata.resource` when set, else the request's
    [AG:src/mcp/auth.rs#L148-L174, #545]."""
    resource = authn.resource_metadata.get("resource")
    if isinstance(resource, str) and (parts := urlsplit(resource)).scheme and parts.netloc:
        origin = f"{parts.scheme}://{parts.netloc}"
    return f"{origin}{PRM_PREFIX}{path}"


def _snake(key: str) -> str:
    """heck's to_snake_case for camelCase keys (`scopesSupported` -> `scopes_supported`)."""
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", key).replace("-", "_").lower()


def _with_path(origin: str, path: str) -> str:
    return f"{origin}{path}" if path else origin


def protected_resource_metadata(authn: Authn, origin: str, path: str) -> Answer:
    """RFC 9728 document: resource, authorization_servers, mcp_protocol_version, resource_type, then every
    `resourceMetadata` key (sorted, as a BTreeMap iterates) in snake_case, overriding computed ones."""
    resource = _with_path(origin, path.removeprefix(PRM_PREFIX))
    document: dict[str, Any] = {
        "resource": resource,
        "authorization_servers": [resource if authn.provider else authn.issuer],
        "mcp_protocol_version": MCP_PROTOCOL_VERSION,
        "resource_type": "mcp-server",
    }
    for key in sorted(authn.resource_metadata):
        document[_snake(key)] = authn.resource_metadata[key]
    return Answer(200, {"content-type": "application/json", **METADATA_CORS}, _dumps(document))


def metadata_source(authn: Authn) -> str:
    """Where the IdP's metadata is fetched [AG:src/http/oauth.rs#L38-L61]."""
    if authn.provider in OIDC_PROVIDERS:
        return f"{authn.issuer.rstrip('/')}/.well-known/openid-configuration"
    parts = urlsplit(authn.issuer)
    origin = f"{parts.scheme}://{parts.netloc}"
    return f"{origin}{AS_PREFIX}" + ("" if parts.path in ("", "/") else parts.path)


def _issuer_from_path(origin: str, path: str) -> str | None:
    """The gateway issuer a metadata request names (#3089): `/.well-known/oauth-authorization-server/<issuer path>`
    or the legacy `<path>/.well-known/oauth-authorization-server`."""
    rest = path.removeprefix(AS_PREFIX) if path.startswith(AS_PREFIX) else None
    if rest is not None and (rest == "" or rest.startswith("/")):
        return _with_path(origin, rest)
    for suffix in (AS_PREFIX, AS_PREFIX + "/"):
        if path.endswith(suffix):
            return _with_path(origin, path[: -len(suffix)])
    return None


def _adapt(document: dict[str, Any], authn: Authn, here: str) -> str | None:
    """The provider's rewrite of the IdP metadata; an error text when a required field is missing."""
    provider = authn.provider
    if provider in ("auth0", "okta"):
        if not isinstance(document.get("authorization_endpoint"), str):
            return "authorization_endpoint missing"
        if authn.audiences:  # raw, not URL-encoded, and `?` even if a query exists: the RFC 8707 workaround
            document["authorization_endpoint"] += f"?audience={authn.audiences[0]}"
    if provider in ("okta", "descope") and isinstance(document.get("registration_endpoint"), str):
        document["registration_endpoint"] = f"{here}/client-registration"
    if provider == "keycloak":
        if not isinstance(document.get("registration_endpoint"), str):
            return "registration_endpoint missing"
        document["registration_endpoint"] = f"{here}/client-registration"
    if provider in ("authentik", "entra"):
        document["registration_endpoint"] = f"{here}/client-registration"
    return None


async def authorization_server_metadata(
    authn: Authn, http: httpx.AsyncClient, origin: str, path: str, *, rewrite_issuer: bool, timeout: float
) -> Answer:
    """The IdP's metadata, fetched now and adapted; any failure is a 500 with an empty body."""
    source = metadata_source(authn)
    try:
        response = await http.get(source, timeout=timeout)
        document = response.json()
    except (httpx.HTTPError, ValueError) as exc:
        return Answer(500, reason=f"fetching {source}: {type(exc).__name__}: {exc}")
    if not isinstance(document, dict):
        return Answer(500, reason=f"{source} is not a JSON object (HTTP {response.status_code})")
    here = _with_path(origin, path)
    if (problem := _adapt(document, authn, here)) is not None:
        return Answer(500, reason=f"{source}: {problem}")
    if authn.provider and rewrite_issuer and (issuer := _issuer_from_path(origin, path)) is not None:
        document["issuer"] = issuer
    return Answer(200, {"content-type": "application/json", **METADATA_CORS}, _dumps(document),
                  reason=None if response.status_code == 200 else f"upstream answered HTTP {response.status_code}")


async def client_registration(authn: Authn, http: httpx.AsyncClient, body: bytes, timeout: float) -> Answer:
    """Mock DCR when `clientId` is set (201), else proxied to the IdP [AG:src/mcp/auth.rs#L486-L571, L714-L755]."""
    if authn.client_id is not None:
        try:
            sent = json.loads(body)
        except ValueError:
            sent = None
        redirects = sent.get("redirect_uris") if isinstance(sent, dict) else None
        document = {
            "client_id": authn.client_id,
            "client_id_issued_at": 0,
            "token_endpoint_auth_method": "none",
            "grant_types": ["authorization_code"],
            "response_types": ["code"],
            "redirect_uris": redirects if isinstance(redirects, list) else [],
        }
        return Answer(201, {"content-type": "application/json"}, _dumps(document))
    issuer = authn.issuer.rstrip("/")
    if authn.provider in ("entra", "authentik", "descope"):
        return Answer(500, reason=f"{authn.provider}: registration needs `clientId` (no DCR endpoint to proxy to)")
    if authn.provider == "okta":
        parts = urlsplit(issuer)
        target = f"{parts.scheme}://{parts.netloc}/oauth2/v1/clients"
    else:
        target = f"{issuer}/clients-registrations/openid-connect"
    try:
        response = await http.post(target, content=body, timeout=timeout)
    except httpx.HTTPError as exc:
        return Answer(500, reason=f"POST {target}: {type(exc).__name__}: {exc}")
    headers = {k: v for k, v in response.headers.items() if k.lower() in ("content-type",)}
    return Answer(response.status_code, {**headers, **DCR_CORS}, response.content,
                  reason=None if response.status_code < 400 else f"POST {target} answered HTTP {response.status_code}")
