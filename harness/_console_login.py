"""The browser view's "Log in as a user": the `mcp` SDK's own OAuth client, with the viewer's browser as its browser.

The console runs the SDK's `OAuthClientProvider` (PRM → AS metadata → DCR → PKCE authorize → token with
`resource`) against the gateway. Its redirect handler hands the authorize URL to the page, which navigates there:
the person in front of the projector sees the IdP's real login and consent pages and types the password. The IdP
redirects back to the console's `/callback`, which gives the code to the SDK; the SDK lists the tools and calls
`search`. A user without the gateway's scope (bob) gets the gateway's 403 `insufficient_scope`: the SDK asks for a
step-up (a second authorization), which the console ends there, reporting the refusal (the live view shows its
reason). Every authorization asks for `prompt=login`, so the next login can be another user.
"""

from __future__ import annotations

import asyncio
import contextlib
import secrets
import time
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider
from mcp.shared.auth import OAuthClientMetadata

from harness._clients import MemoryTokenStorage, connect

__all__ = ["LoginFlow", "LoginFlows"]

TOOL = "search-server___search"
FLOW_SECONDS = 300.0  # how long a login may wait for the person to type


class StepUpRefused(Exception):
    """The SDK asked for a second authorization (the gateway's 403 step-up): the console stops there."""


@dataclass
class LoginFlow:
    """One login of the console's client, from the first 401 to the tool call (or the refusal)."""

    id: str
    started: float
    authorize_url: str | None = None
    state: str | None = None
    outcome: dict[str, Any] = field(default_factory=dict)
    token: str | None = None
    done: asyncio.Event = field(default_factory=asyncio.Event)
    redirected: asyncio.Event = field(default_factory=asyncio.Event)
    code: asyncio.Future[AuthorizationCodeResult] | None = None
    gateway_mark: int = 0  # the gateway's log position when the login started (for its refusal's reason)

    def public(self) -> dict[str, Any]:
        return {"id": self.id, "done": self.done.is_set(), "outcome": self.outcome, "access_token": self.token}


def _describe(exc: BaseException) -> str:
    """The innermost message of an exception (group) the SDK raised."""
    while isinstance(exc, BaseExceptionGroup) and exc.exceptions:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {exc}"[:500]


class LoginFlows:
    """The console's logins, keyed by id and by the OAuth `state` of their authorize URL."""

    def __init__(self, mcp_url: str, callback_url: str) -> None:
        self.mcp_url = mcp_url
        self.callback_url = callback_url
        self.flows: dict[str, LoginFlow] = {}
        self._tasks: set[asyncio.Task[None]] = set()

    def provider(self, flow: LoginFlow, storage: MemoryTokenStorage) -> OAuthClientProvider:
        async def redirect_handler(url: str) -> None:
            if flow.authorize_url is not None:
                raise StepUpRefused("the gateway answered 403 insufficient_scope and asked for a step-up: this user "
                                    "lacks the scope (see the gateway's refusal in the live view)")
            flow.authorize_url = url + "&prompt=login"
            states = parse_qs(urlsplit(url).query).get("state") or []
            flow.state = states[0] if states else None
            flow.code = asyncio.get_running_loop().create_future()
            flow.redirected.set()

        async def callback_handler() -> AuthorizationCodeResult:
            assert flow.code is not None
            return await asyncio.wait_for(flow.code, FLOW_SECONDS)

        metadata = OAuthClientMetadata(
            redirect_uris=[self.callback_url],  # type: ignore[list-item]  # pydantic coerces str to AnyUrl
            client_name="authstage console", grant_types=["authorization_code", "refresh_token"],
            response_types=["code"], token_endpoint_auth_method="none",
        )
        return OAuthClientProvider(server_url=self.mcp_url, client_metadata=metadata, storage=storage,
                                   redirect_handler=redirect_handler, callback_handler=callback_handler)

    async def _run(self, flow: LoginFlow) -> None:
        storage = MemoryTokenStorage()
        try:
            async with connect(self.mcp_url, auth=self.provider(flow, storage)) as session:
                tools = await session.list_tools()
                call = await session.call_tool(TOOL, {"q": "step-up", "limit": 1})
            flow.outcome = {"ok": True, "tools": [t.name for t in tools.tools], "call": call.structured_content}
        except BaseException as exc:  # the SDK's errors arrive as exception groups; all end the flow
            flow.outcome = {"ok": False, "error": _describe(exc)}
            if not isinstance(exc, Exception):
                raise
        finally:
            flow.token = storage.tokens.access_token if storage.tokens else None
            flow.done.set()

    async def start(self, wait: float = 20.0) -> LoginFlow:
        """Start a login; return once it needs the browser (or has ended without one)."""
        flow = LoginFlow(id=secrets.token_urlsafe(9), started=time.time())
        self.flows[flow.id] = flow
        task = asyncio.create_task(self._run(flow))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        waits = [asyncio.create_task(flow.redirected.wait()), asyncio.create_task(flow.done.wait())]
        await asyncio.wait(waits, timeout=wait, return_when=asyncio.FIRST_COMPLETED)
        for pending in waits:
            pending.cancel()
        return flow

    async def callback(self, query: dict[str, str], wait: float = 30.0) -> LoginFlow | None:
        """The IdP's redirect back: hand the code (or error) to the waiting SDK, then wait for the tool call."""
        flow = next((f for f in self.flows.values() if f.state and f.state == query.get("state")), None)
        if flow is None or flow.code is None or flow.code.done():
            return None
        if "code" in query:
            flow.code.set_result(AuthorizationCodeResult(code=query["code"], state=query.get("state"),
                                                         iss=query.get("iss")))
        else:
            flow.code.set_exception(RuntimeError(f"the IdP answered error={query.get('error')}: "
                                                 f"{query.get('error_description', '')}"))
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(flow.done.wait(), wait)
        return flow

    async def close(self) -> None:
        for task in list(self._tasks):
            task.cancel()
