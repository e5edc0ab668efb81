"""Client-side helpers: a headless browser for the IdP's `/authorize`, in-memory token storage for the `mcp`
SDK's `OAuthClientProvider`, and `connect()` — a connected `mcp.ClientSession` through any MCP URL.

The headless browser follows what a person would do in a real browser: it GETs the authorize URL, submits the
IdP's login/consent form when one is shown, and follows redirects until it reaches the client's redirect URI,
which it does not fetch (the code is read from the URL) unless told to deliver it.
"""

from __future__ import annotations

import contextlib
import html.parser
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import httpx
import httpx2
from mcp import ClientSession
from mcp.client.auth import AuthorizationCodeResult, OAuthClientProvider, TokenStorage
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata, OAuthToken

from authstage_kit.tls import client_context
from harness._exceptions import AuthstageError

__all__ = ["BrowserResult", "HeadlessBrowser", "MemoryTokenStorage", "connect", "oauth_provider"]

DEFAULT_REDIRECT = "http://127.0.0.1:8976/callback"


class MemoryTokenStorage(TokenStorage):
    """Tokens and client registration kept in memory (one test, one client)."""

    def __init__(self) -> None:
        self.tokens: OAuthToken | None = None
        self.client_info: OAuthClientInformationFull | None = None

    async def get_tokens(self) -> OAuthToken | None:
        return self.tokens

    async def set_tokens(self, tokens: OAuthToken) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> OAuthClientInformationFull | None:
        return self.client_info

    async def set_client_info(self, client_info: OAuthClientInformationFull) -> None:
        self.client_info = client_info


class _FormParser(html.parser.HTMLParser):
    """The first <form> of a page: its action, method and input fields."""

    def __init__(self) -> None:
        super().__init__()
        self.action: str | None = None
        self.method = "get"
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._done = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = {k: v or "" for k, v in attrs}
        if tag == "form" and not self._done and self.action is None:
            self._in_form = True
            self.action = attributes.get("action", "")
            self.method = attributes.get("method", "get").lower()
        elif self._in_form and tag in ("input", "button") and attributes.get("name"):
            kind = attributes.get("type", "text").lower()
            if kind in ("submit", "button") and attributes["name"] in self.fields:
                return
            if kind not in ("checkbox", "radio") or "checked" in attributes:
                self.fields.setdefault(attributes["name"], attributes.get("value", ""))

    def handle_endtag(self, tag: str) -> None:
        if tag == "form" and self._in_form:
            self._in_form, self._done = False, True


@dataclass
class BrowserResult:
    """Where the browser ended: the redirect to the client (with `code`/`error`) or a page it could not pass."""

    url: str
    status: int
    params: dict[str, str] = field(default_factory=dict)
    hops: list[str] = field(default_factory=list)
    page: str = ""

    @property
    def code(self) -> str | None:
        return self.params.get("code")

    @property
    def error(self) -> str | None:
        return self.params.get("error")


@dataclass(kw_only=True)
class HeadlessBrowser:
    """Drives an authorize URL like a user would, logging in as `username` if the IdP shows its login page.

    `stop_at`: the client's redirect URI (the run ends there, its query parsed); `deliver`: follow that last
    redirect too (a real loopback callback); `max_hops`: redirects before giving up."""

    username: str | None = None
    password: str | None = None
    stop_at: str | None = None
    deliver: bool = False
    max_hops: int = 10
    user_agent: str = "authstage-browser/0.1"

    def _is_client_redirect(self, url: str) -> bool:
        if self.stop_at:
            return url.startswith(self.stop_at)
        return False

    def _fill(self, form: _FormParser) -> dict[str, str]:
        data = dict(form.fields)
        for name in list(data):
            lowered = name.lower()
            if self.username and lowered in ("username", "email", "login", "user"):
                data[name] = self.username
            elif self.password is not None and lowered == "password":
                data[name] = self.password
        return data

    def _as_user(self, url: str) -> str:
        """Log in as `username`: on an IdP that approves headlessly, `login_hint` is how the user is chosen."""
        parts = urlsplit(url)
        if not self.username or not parts.path.endswith("/authorize") or "login_hint" in parse_qs(parts.query):
            return url
        separator = "&" if parts.query else "?"
        return f"{url}{separator}{urlencode({'login_hint': self.username})}"

    def run(self, url: str) -> BrowserResult:
        url = self._as_user(url)
        hops: list[str] = []
        with httpx.Client(follow_redirects=False, timeout=10, headers={"User-Agent": self.user_agent},
                          verify=client_context()) as http:
            method, data = "GET", None
            for _ in range(self.max_hops):
                hops.append(url)
                if self._is_client_redirect(url) and not self.deliver:
                    return _result(url, 302, hops)
                response = http.request(method, url, data=data)
                if response.is_redirect:
                    url, method, data = urljoin(url, response.headers["location"]), "GET", None
                    stop_here = self.stop_at is None and _has_oauth_result(url)
                    if stop_here and not self.deliver:
                        hops.append(url)
                        return _result(url, response.status_code, hops)
                    continue
                form = _FormParser()
                form.feed(response.text if "html" in response.headers.get("content-type", "") else "")
                if response.status_code == 200 and form.action is not None and method == "GET":
                    url = urljoin(str(response.url), form.action or str(response.url))
                    method, data = form.method.upper(), self._fill(form)
                    if method == "GET":
                        url = str(httpx.URL(url, params=data))
                        data = None
                    continue
                return BrowserResult(str(response.url), response.status_code, {}, hops, response.text[:2000])
        raise AuthstageError(f"headless browser: more than {self.max_hops} hops from {hops[0]}")


def _has_oauth_result(url: str) -> bool:
    query = parse_qs(urlsplit(url).query)
    return "code" in query or "error" in query


def _result(url: str, status: int, hops: list[str]) -> BrowserResult:
    params = {k: v[0] for k, v in parse_qs(urlsplit(url).query).items()}
    return BrowserResult(url, status, params, hops)


def oauth_provider(
    server_url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    redirect_uri: str = DEFAULT_REDIRECT,
    scope: str | None = None,
    client_name: str = "authstage-headless",
    storage: MemoryTokenStorage | None = None,
    client_info: OAuthClientInformationFull | None = None,
) -> OAuthClientProvider:
    """The `mcp` SDK's own OAuth client, with a headless browser as its redirect/callback handlers.

    With no `client_info` it registers itself (DCR) as the SDK does; PKCE, PRM and AS-metadata discovery,
    `resource` and `scope` selection are all the SDK's.
    """
    store = storage or MemoryTokenStorage()
    if client_info is not None:
        store.client_info = client_info
    browser = HeadlessBrowser(username=username, password=password, stop_at=redirect_uri)
    outcome: dict[str, AuthorizationCodeResult] = {}

    async def redirect_handler(authorization_url: str) -> None:
        import anyio.to_thread

        result = await anyio.to_thread.run_sync(browser.run, authorization_url)
        if result.code is None:
            detail = result.params or result.page[:300]
            raise AuthstageError(f"authorization did not return a code: {detail}")
        outcome["result"] = AuthorizationCodeResult(
            code=result.code, state=result.params.get("state"), iss=result.params.get("iss")
        )

    async def callback_handler() -> AuthorizationCodeResult:
        return outcome.pop("result")

    metadata = OAuthClientMetadata(
        redirect_uris=[redirect_uri],  # type: ignore[list-item]
        client_name=client_name,
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method="none",
        scope=scope,
    )
    return OAuthClientProvider(
        server_url=server_url,
        client_metadata=metadata,
        storage=store,
        redirect_handler=redirect_handler,
        callback_handler=callback_handler,
    )


@contextlib.asynccontextmanager
async def connect(
    mcp_url: str,
    *,
    token: str | None = None,
    auth: Any = None,
    headers: dict[str, str] | None = None,
    timeout: float = 30.0,
) -> AsyncIterator[ClientSession]:
    """An initialized `mcp.ClientSession` (2025-11-25 handshake) over streamable HTTP."""
    all_headers = dict(headers or {})
    if token is not None:
        all_headers["Authorization"] = f"Bearer {token}"
    async with httpx2.AsyncClient(headers=all_headers, auth=auth, timeout=timeout, verify=client_context()) as http:
        async with streamable_http_client(mcp_url, http_client=http) as (read, write):
            async with ClientSession(read, write) as session:
                await session.initialize()
                yield session
