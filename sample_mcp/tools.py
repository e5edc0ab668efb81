"""The sample server's tools, on the `mcp` 2.3 SDK (`MCPServer`).

A tool that raises becomes a `tools/call` result with `isError: true` (MCP 2025-11-25, server/tools
"Error Handling": tool execution errors are reported in the result, not as protocol errors).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

import anyio
from mcp.server.auth.middleware.auth_context import get_access_token
from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from pydantic import BaseModel, Field

from sample_mcp.corpus import Corpus
from sample_mcp.errors import EMPTY_QUERY, FAIL_DEFAULT, UNAUTHENTICATED
from sample_mcp.settings import SampleSettings

__all__ = ["build_server"]


class SearchResult(BaseModel):
    id: str
    title: str
    snippet: str
    url: str
    score: float


class SearchResults(BaseModel):
    query: str
    total: int = Field(description="How many documents matched (before `limit`).")
    results: list[SearchResult]


class Identity(BaseModel):
    authenticated: bool
    message: str | None = None
    subject: str | None = None
    client_id: str | None = None
    scopes: list[str] = Field(default_factory=list)
    claims: dict[str, Any] | None = None


def build_server(settings: Callable[[], SampleSettings], corpus: Corpus) -> MCPServer:
    """An `MCPServer` whose tools read the *current* settings (they may be patched at runtime)."""
    server = MCPServer(
        settings().name, instructions=settings().instructions, version="0.1.0", log_level="WARNING"
    )

    @server.tool(title="Search the OAuth/MCP knowledge base")
    def search(
        q: Annotated[
            str, Field(description="Words to look for, e.g. 'pkce verifier' or 'allowedClients azp'.")
        ],
        limit: Annotated[int, Field(ge=1, le=20, description="How many results (1-20).")] = 5,
    ) -> SearchResults:
        """Rank the bundled offline corpus (OAuth, OIDC, MCP, Auth0, AgentCore) for a query."""
        if not q.strip():
            raise ToolError(EMPTY_QUERY)
        hits = corpus.search(q, limit=len(corpus.documents))
        return SearchResults(
            query=q,
            total=len(hits),
            results=[SearchResult(**hit.__dict__) for hit in hits[:limit]],
        )

    @server.tool(title="Who is calling?")
    def whoami() -> Identity:
        """The identity that reached this server: the verified token's claims, or that the call was unauthenticated."""
        token = get_access_token()
        if token is None:
            return Identity(authenticated=False, message=UNAUTHENTICATED)
        return Identity(
            authenticated=True,
            subject=token.subject,
            client_id=token.client_id,
            scopes=list(token.scopes),
            claims=dict(token.claims or {}),
        )

    @server.tool()
    def echo(text: Annotated[str, Field(description="Anything; it comes back unchanged.")]) -> str:
        """Return the input unchanged."""
        return text

    @server.tool()
    def fail(message: Annotated[str, Field(description="The error text to raise.")] = FAIL_DEFAULT) -> str:
        """Always fail: the result comes back with isError: true and the message."""
        raise ToolError(message)

    @server.tool()
    async def slow(
        seconds: Annotated[
            float, Field(ge=0, description="How long to sleep; capped (default cap 10 s).")
        ] = 1.0,
    ) -> str:
        """Sleep, then answer: for timeouts and concurrency tests."""
        waited = min(seconds, settings().slow_cap_seconds)
        await anyio.sleep(waited)
        return f"slept {waited:g} s"

    return server
