"""A token verifier's view of its IdP: OIDC discovery (OpenID Connect Discovery 1.0 §4) and its JWKS (RFC 7517 §5),
cached — the one cache both verifiers use (the gateway's authorizer and the sample server's self-protection).

Keys are kept for a TTL; a token naming an unknown ``kid`` may trigger one refetch, rate limited (Auth0's advice for
resource servers, auth0-tenant.md §1.4); a failed refresh keeps the keys still within their TTL. Each verifier
supplies its own TTL and refetch interval (gateway: `jwksCacheSeconds`, `jwksRefetchMinIntervalSeconds`; sample
server: `jwks_cache_seconds`, `jwks_refetch_min_interval`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, cast

import httpx
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, KeySetSerialization

from authstage_kit.aio import LoopLocal
from authstage_kit.tls import client_context

__all__ = ["KeyCache", "Keys", "RemoteJwks", "fetch_keys_sync", "max_age_of"]


@dataclass
class Keys:
    discovery: dict[str, Any] | None
    jwks: dict[str, Any] | None
    error: str | None  # why discovery/JWKS are unavailable, in words
    refresh_error: str | None = None  # a refresh failed; these are the keys cached before it


def _check_discovery(url: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise ValueError(f"GET {url} answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise ValueError(f"GET {url} did not return JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("issuer"), str):
        raise ValueError(f"the document at {url} has no 'issuer'")
    if not isinstance(document.get("jwks_uri"), str):
        raise ValueError(f"the document at {url} has no 'jwks_uri'")
    return document


def _check_jwks(url: str, response: httpx.Response) -> dict[str, Any]:
    if response.status_code != 200:
        raise ValueError(f"GET {url} (jwks_uri) answered HTTP {response.status_code}")
    try:
        document = response.json()
    except ValueError as exc:
        raise ValueError(f"GET {url} (jwks_uri) did not return JSON") from exc
    if not isinstance(document, dict) or not isinstance(document.get("keys"), list):
        raise ValueError(f"the JWKS at {url} has no 'keys' array")
    try:
        KeySet.import_key_set(cast(KeySetSerialization, document))
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        # an empty or unusable key set is an outage, not keys: retried after the refetch interval, not kept for
        # the whole cache lifetime (node-jwks-rsa#373 "The JWKS endpoint did not contain any signing keys")
        raise ValueError(f"the JWKS at {url} has no usable signing key ({exc})") from exc
    return document


def fetch_keys_sync(
    discovery_url: str,
    *,
    discovery: dict[str, Any] | None = None,
    jwks: dict[str, Any] | None = None,
    timeout: float = 10.0,
) -> Keys:
    """Blocking fetch for `explain_token`: whichever of the two documents the caller did not give."""
    if discovery is not None and jwks is not None:
        return Keys(discovery, jwks, None)
    try:
        with httpx.Client(timeout=timeout, follow_redirects=True, verify=client_context()) as client:
            if discovery is None:
                discovery = _check_discovery(discovery_url, client.get(discovery_url))
            if jwks is None:
                jwks = _check_jwks(discovery["jwks_uri"], client.get(discovery["jwks_uri"]))
    except httpx.HTTPError as exc:
        return Keys(
            discovery, None, f"cannot reach the discovery/JWKS endpoint ({type(exc).__name__}: {exc})"
        )
    except (ValueError, KeyError) as exc:
        return Keys(discovery, None, str(exc))
    return Keys(discovery, jwks, None)


class KeyCache:
    """Discovery + JWKS for one discovery URL, cached for a TTL, with one rate-limited refetch on unknown kid."""

    def __init__(
        self,
        http: Callable[[], httpx.AsyncClient],
        *,
        now: Callable[[], float],
        ttl: Callable[[], float],
        refetch_interval: Callable[[], float],
        timeout: Callable[[], float] = lambda: 10.0,
    ) -> None:
        self.http = http
        self.now = now
        self.ttl = ttl
        self.refetch_interval = refetch_interval
        self.timeout = timeout
        self.url: str | None = None
        self.keys = Keys(None, None, None)
        self.fetched_at = -1e18
        self.last_refetch = -1e18
        self.fetches = {"discovery": 0, "jwks": 0}
        self._lock = LoopLocal(asyncio.Lock)

    def clear(self) -> None:
        self.url, self.keys, self.fetched_at, self.last_refetch = None, Keys(None, None, None), -1e18, -1e18

    async def _fetch(self, url: str) -> Keys:
        timeout = self.timeout()
        try:
            self.fetches["discovery"] += 1
            discovery = _check_discovery(url, await self.http().get(url, timeout=timeout))
            self.fetches["jwks"] += 1
            jwks_uri = discovery["jwks_uri"]
            jwks = _check_jwks(jwks_uri, await self.http().get(jwks_uri, timeout=timeout))
            keys = Keys(discovery, jwks, None)
        except httpx.HTTPError as exc:
            keys = Keys(None, None, f"cannot reach the discovery/JWKS endpoint ({type(exc).__name__}: {exc})")
        except ValueError as exc:
            keys = Keys(None, None, str(exc))
        held = self.keys
        if (
            keys.error
            and self.url == url
            and held.jwks is not None
            and self.now() - self.fetched_at < self.ttl()
        ):
            # A failed refresh (IdP down, JWKS 500, an unknown kid's refetch) keeps the keys still within their
            # TTL: evicting them would turn one bad token or one IdP blip into 401s for every valid caller.
            return Keys(held.discovery, held.jwks, None, refresh_error=keys.error)
        self.url, self.keys, self.fetched_at = url, keys, self.now()
        return keys

    async def get(self, url: str) -> Keys:
        async with self._lock.get():
            fresh = self.url == url and self.now() - self.fetched_at < (
                self.ttl() if self.keys.error is None else self.refetch_interval()
            )
            return self.keys if fresh else await self._fetch(url)

    async def refetch(self, url: str) -> Keys | None:
        """Refetch after an unknown kid; None when the rate limit says not now."""
        async with self._lock.get():
            if self.now() - self.last_refetch < self.refetch_interval():
                return None
            self.last_refetch = self.now()
            return await self._fetch(url)


def max_age_of(response: httpx.Response, now: float) -> float | None:
    """Seconds a response may be cached: `Cache-Control: max-age`, else `Expires` (RFC 9111 §5.2.2.1, §5.3)."""
    for directive in response.headers.get("cache-control", "").split(","):
        name, _, value = directive.strip().partition("=")
        if name.lower() == "max-age" and value.strip().isdigit():
            return float(value.strip())
    expires = response.headers.get("expires")
    if expires:
        from email.utils import parsedate_to_datetime

        try:
            return max(0.0, parsedate_to_datetime(expires).timestamp() - now)
        except (TypeError, ValueError):
            return None
    return None


class RemoteJwks:
    """A JWKS fetched from its own URL (no discovery) and refreshed on a schedule: the response's max-age (else
    `default_ttl`, never below `min_ttl`); a failed refresh keeps the keys it has and retries after `retry`.
    No refetch on an unknown kid. (agentgateway's resource manager: sheet §3.2.)"""

    def __init__(
        self,
        http: Callable[[], httpx.AsyncClient],
        *,
        now: Callable[[], float],
        default_ttl: Callable[[], float],
        min_ttl: Callable[[], float],
        retry: Callable[[], float],
        timeout: Callable[[], float] = lambda: 10.0,
    ) -> None:
        self.http, self.now, self.timeout = http, now, timeout
        self.default_ttl, self.min_ttl, self.retry = default_ttl, min_ttl, retry
        self.url: str | None = None
        self.keys = Keys(None, None, None)
        self.next_fetch = -1e18
        self.fetches = 0
        self._lock = LoopLocal(asyncio.Lock)

    def clear(self) -> None:
        self.url, self.keys, self.next_fetch = None, Keys(None, None, None), -1e18

    async def get(self, url: str) -> Keys:
        async with self._lock.get():
            if self.url != url:
                self.clear()
                self.url = url
            if self.now() >= self.next_fetch:
                await self._refresh(url)
            return self.keys

    async def _refresh(self, url: str) -> None:
        self.fetches += 1
        try:
            response = await self.http().get(url, timeout=self.timeout())
            jwks = _check_jwks(url, response)
        except httpx.HTTPError as exc:
            error = f"cannot fetch the JWKS at {url} ({type(exc).__name__}: {exc})"
        except ValueError as exc:
            error = str(exc)
        else:
            age = max_age_of(response, self.now())
            self.keys = Keys(None, jwks, None)
            self.next_fetch = self.now() + max(self.min_ttl(), self.default_ttl() if age is None else age)
            return
        held = self.keys.jwks
        self.keys = Keys(None, held, None if held else error, refresh_error=error if held else None)
        self.next_fetch = self.now() + self.retry()
