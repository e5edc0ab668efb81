"""Outbound credentials for targets (DOC gateway-building-adding-targets-authorization, sheet §7.3).

OAUTH CLIENT_CREDENTIALS (RFC 6749 §4.4) and TOKEN_EXCHANGE (RFC 8693 §2.1, the caller's token as
`subject_token`) against the credential provider's token endpoint, tokens cached until shortly before expiry
(REPORTED: "cached with a 1-hour lifetime and refreshed before expiry"); API_KEY in a header or query parameter
with an optional prefix. The caller's own token is never forwarded to a target (MCP authorization "Token
Passthrough": "explicitly forbidden").
"""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

import httpx

from fake_gateway.errors import Failure
from fake_gateway.settings import OAuthProvider, Outbound, TargetSpec

__all__ = ["CredentialError", "OutboundCredentials"]

TOKEN_EXCHANGE_GRANT = "urn:ietf:params:oauth:grant-type:token-exchange"  # RFC 8693 §2.1
ACCESS_TOKEN_TYPE = "urn:ietf:params:oauth:token-type:access_token"  # RFC 8693 §3


class CredentialError(Failure):
    """The gateway could not obtain the target's credential; `reason` is for logs and DEBUG mode."""


@dataclass
class _Cached:
    token: str
    expires_at: float


class OutboundCredentials:
    """Obtains and caches the credential each target call carries."""

    def __init__(
        self, http: Callable[[], httpx.AsyncClient], *, now: Callable[[], float], margin: Callable[[], float]
    ) -> None:
        self._http = http
        self._now = now
        self._margin = margin
        self._tokens: dict[str, _Cached] = {}
        self._endpoints: dict[str, str] = {}
        self.token_requests = 0

    def clear(self) -> None:
        self._tokens.clear()
        self._endpoints.clear()

    def invalidate(self, target: TargetSpec, subject_token: str | None = None) -> None:
        self._tokens.pop(self._key(target.outbound, subject_token), None)

    @staticmethod
    def connection_key(target: TargetSpec, subject: str | None) -> str:
        """Targets whose credential depends on the caller get one connection per caller."""
        if target.outbound.kind == "OAUTH" and target.outbound.grant == "TOKEN_EXCHANGE":
            return f"sub:{subject}"
        return "shared"

    async def for_target(
        self, target: TargetSpec, subject_token: str | None
    ) -> tuple[dict[str, str], dict[str, str]]:
        """(headers, query parameters) to add to every request to `target`."""
        out = target.outbound
        if out.kind == "none":
            return {}, {}
        if out.kind == "API_KEY":
            key = out.api_key.api_key if out.api_key else None
            if not key:
                raise CredentialError(
                    f"API key credential provider {out.api_key.name if out.api_key else '?'!r} "
                    "has no apiKey (a pasted get-api-key-credential-provider has no secret)"
                )
            value = f"{out.prefix} {key}" if out.prefix else key
            return ({out.parameter: value}, {}) if out.location == "HEADER" else ({}, {out.parameter: value})
        if out.kind == "OAUTH":
            token = await self._oauth_token(out, subject_token)
            return {"Authorization": f"Bearer {token}"}, {}
        raise CredentialError(
            f"outbound credential type {out.kind} is not emulated for MCP server targets "
            "(use OAUTH, API_KEY or no credential)"
        )

    def _key(self, out: Outbound, subject_token: str | None) -> str:
        params = ",".join(f"{k}={v}" for k, v in sorted(out.custom.items()))
        base = f"{out.oauth.name if out.oauth else '?'}|{out.grant}|{' '.join(out.scopes)}|{params}"
        if out.grant == "TOKEN_EXCHANGE":
            base += "|" + hashlib.sha256((subject_token or "").encode()).hexdigest()
        return base

    async def _oauth_token(self, out: Outbound, subject_token: str | None) -> str:
        provider = out.oauth
        if provider is None:
            raise CredentialError("the target's providerArn names no OAuth2 credential provider")
        grant = out.grant or "CLIENT_CREDENTIALS"
        if grant == "AUTHORIZATION_CODE":
            raise CredentialError(
                "AUTHORIZATION_CODE (3LO) outbound auth is not emulated; use CLIENT_CREDENTIALS"
            )
        if grant == "TOKEN_EXCHANGE" and not subject_token:
            raise CredentialError(
                "TOKEN_EXCHANGE needs the caller's bearer token as subject_token, and this request "
                "carried none (authorizerType NONE or AWS_IAM)"
            )
        key = self._key(out, subject_token)
        cached = self._tokens.get(key)
        if cached and self._now() < cached.expires_at - self._margin():
            return cached.token
        endpoint = await self._token_endpoint(provider)
        form, headers = _token_request(out, provider, grant, subject_token)
        self.token_requests += 1
        try:
            response = await self._http().post(endpoint, data=form, headers=headers)
        except httpx.HTTPError as exc:
            raise CredentialError(
                f"cannot reach token endpoint {endpoint} ({type(exc).__name__}: {exc})"
            ) from exc
        token, lifetime = _token_response(response, endpoint, grant, provider)
        self._tokens[key] = _Cached(token, self._now() + lifetime)
        return token

    async def _token_endpoint(self, provider: OAuthProvider) -> str:
        if provider.token_endpoint:
            return provider.token_endpoint
        url = provider.discovery_url
        if not url:
            raise CredentialError(
                f"credential provider {provider.name!r} ({provider.vendor}) has no token endpoint "
                "here; use customOauth2ProviderConfig with oauthDiscovery"
            )
        if url in self._endpoints:
            return self._endpoints[url]
        try:
            response = await self._http().get(url)
        except httpx.HTTPError as exc:
            raise CredentialError(f"cannot reach {url} ({type(exc).__name__}: {exc})") from exc
        body = _json(response)
        if response.status_code != 200 or not isinstance(body, dict) or "token_endpoint" not in body:
            raise CredentialError(f"{url} answered HTTP {response.status_code} without token_endpoint")
        self._endpoints[url] = str(body["token_endpoint"])
        return self._endpoints[url]


def _token_request(
    out: Outbound, provider: OAuthProvider, grant: str, subject_token: str | None
) -> tuple[dict[str, str], dict[str, str]]:
    """The token request's form and headers: the grant, scopes, customParameters, client authentication."""
    form: dict[str, str] = {}
    if grant == "TOKEN_EXCHANGE":
        form["grant_type"] = TOKEN_EXCHANGE_GRANT
        form["subject_token"] = subject_token or ""
        form["subject_token_type"] = out.custom.get("subject_token_type", ACCESS_TOKEN_TYPE)
    else:
        form["grant_type"] = "client_credentials"
    if out.scopes:
        form["scope"] = " ".join(out.scopes)
    for name, value in out.custom.items():
        form.setdefault(name, value)
    headers = {"Accept": "application/json"}
    if provider.client_id:
        if provider.auth_method == "client_secret_post":
            form["client_id"] = provider.client_id
            if provider.client_secret:
                form["client_secret"] = provider.client_secret
        else:  # RFC 6749 §2.3.1: form-urlencode id and secret, then Basic
            pair = f"{quote(provider.client_id, safe='')}:{quote(provider.client_secret or '', safe='')}"
            headers["Authorization"] = "Basic " + base64.b64encode(pair.encode()).decode()
    return form, headers


def _token_response(
    response: httpx.Response, endpoint: str, grant: str, provider: OAuthProvider
) -> tuple[str, float]:
    """RFC 6749 §5.1: the access token and its lifetime (`expires_in`, else 1 h), or why there is none."""
    body = _json(response)
    if (
        response.status_code != 200
        or not isinstance(body, dict)
        or not isinstance(body.get("access_token"), str)
    ):
        detail = body if isinstance(body, dict) else response.text[:300]
        if isinstance(detail, dict):
            detail = {k: v for k, v in detail.items() if k != "access_token"}
        raise CredentialError(
            f"token endpoint {endpoint} answered HTTP {response.status_code} to {grant} "
            f"for client {provider.client_id!r}: {detail}"
        )
    lifetime = body.get("expires_in")
    seconds = (
        float(lifetime) if isinstance(lifetime, int | float) and not isinstance(lifetime, bool) else 3600.0
    )
    return str(body["access_token"]), seconds


def _json(response: httpx.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None
