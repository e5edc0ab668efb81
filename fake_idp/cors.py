"""CORS (Fetch standard) for browser-based clients such as the MCP Inspector, which read discovery, register
and exchange codes from a page on another origin.

Auth0 answers discovery/JWKS with ``Access-Control-Allow-Origin`` and allows ``/oauth/token`` from an
application's "Allowed Web Origins"; authstage simplifies this to one tenant-wide list
(``emulator.cors_allowed_origins``, default ``["*"]``; INFERRED, not in the reference sheet). The list is read
per request, so ``PATCH /_authstage/config`` takes effect at once.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

__all__ = ["CorsMiddleware"]

ALLOW_METHODS = b"GET, POST, OPTIONS"
EXPOSE = b"x-ratelimit-limit, x-ratelimit-remaining, x-ratelimit-reset, retry-after, www-authenticate"


class CorsMiddleware:
    def __init__(self, app: Any, *, allowed: Callable[[], list[str]]) -> None:
        self.app = app
        self.allowed = allowed

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("path", "").startswith("/_authstage/"):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        origin = headers.get(b"origin")
        allowed = self.allowed()
        if not origin or not ("*" in allowed or origin.decode("latin-1") in allowed):
            await self.app(scope, receive, send)
            return
        if scope.get("method") == "OPTIONS" and b"access-control-request-method" in headers:
            requested = headers.get(b"access-control-request-headers", b"authorization, content-type")
            await send(
                {
                    "type": "http.response.start",
                    "status": 204,
                    "headers": [
                        (b"access-control-allow-origin", origin),
                        (b"access-control-allow-methods", ALLOW_METHODS),
                        (b"access-control-allow-headers", requested),
                        (b"access-control-max-age", b"600"),
                        (b"vary", b"Origin"),
                    ],
                }
            )
            await send({"type": "http.response.body", "body": b""})
            return

        async def add_headers(message: Any) -> None:
            if message["type"] == "http.response.start":
                message = {
                    **message,
                    "headers": [
                        *message.get("headers", []),
                        (b"access-control-allow-origin", origin),
                        (b"access-control-expose-headers", EXPOSE),
                        (b"vary", b"Origin"),
                    ],
                }
            await send(message)

        await self.app(scope, receive, add_headers)
