"""The 2025-03-26 layout: the authorization server on the MCP server's origin (`SampleSettings.authorization_server`).

MCP 2025-03-26 "Server Metadata Discovery": a client without protected-resource metadata looks for
`/.well-known/oauth-authorization-server` on the MCP server's origin, and ("Fallbacks for Servers without Metadata
Discovery") uses `/authorize`, `/token` and `/register` there when that is missing. The sample server forwards
those paths (and the paths the IdP's own metadata then names) to the IdP with the client's `Host`, so the IdP's
issuer and endpoints are the MCP origin's, as an MCP server that is its own authorization server would publish
them. Hop-by-hop headers (RFC 9110 §7.6.1) are not forwarded.
"""

from __future__ import annotations

import httpx
from starlette.requests import Request
from starlette.responses import Response

from sample_mcp.errors import AS_UNREACHABLE
from sample_mcp.settings import ColocatedAuthorizationServer

__all__ = ["forward", "upstream_path"]

# MCP 2025-03-26 default endpoints -> the IdP's paths.
FALLBACK = {"/authorize": "/authorize", "/token": "/oauth/token", "/register": "/oidc/register"}
# The IdP's own paths, named by its metadata or reached through its login pages.
IDP_PATHS = ("/oauth/token", "/oidc/register", "/oauth/revoke", "/.well-known/jwks.json", "/userinfo", "/u/login",
             "/u/consent")
METADATA = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration")
HOP_BY_HOP = frozenset({"connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "te", "trailer",
                        "transfer-encoding", "upgrade", "content-length"})


def upstream_path(settings: ColocatedAuthorizationServer, path: str) -> str | None:
    """The IdP path `path` is forwarded to, or None (not an authorization-server path here)."""
    if path in FALLBACK:
        return FALLBACK[path]
    if path in IDP_PATHS or (settings.metadata and path in METADATA):
        return path
    return None


async def forward(http: httpx.AsyncClient, settings: ColocatedAuthorizationServer, path: str,
                  request: Request) -> Response:
    """One request passed to the IdP and its answer passed back, byte for byte."""
    headers = {k: v for k, v in request.headers.items() if k.lower() not in HOP_BY_HOP}
    url = settings.upstream.rstrip("/") + path + (f"?{request.url.query}" if request.url.query else "")
    try:
        answer = await http.request(request.method, url, headers=headers, content=await request.body())
    except httpx.HTTPError as exc:
        return Response(AS_UNREACHABLE.format(error=exc), 502, media_type="text/plain")
    kept = {k: v for k, v in answer.headers.items() if k.lower() not in HOP_BY_HOP | {"content-encoding"}}
    return Response(answer.content, answer.status_code, headers=kept)
