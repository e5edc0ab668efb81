"""Bearer-token verification for the self-protected mode (RFC 6750, RFC 9068 §4, MCP authorization §"Token Handling").

https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#access-token-usage
Keys come from the issuer's OIDC discovery document (`jwks_uri`), are cached, and are refetched at most once per
`jwks_refetch_min_interval` when a token names an unknown `kid` (Auth0's advice for resource servers:
auth0-tenant.md §1.4). Signatures and claims are checked with joserfc; only the configured algorithms pass. The
syntax is strict (`authstage_kit.jwtsyntax`): no `crit` at all (RFC 7515 §4.1.11), `aud` a string or an array of
strings (RFC 7519 §4.1.3), exp/nbf/iat within the calendar (RFC 7519 §2), scopes separated by single spaces
(RFC 6749 §3.3).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, cast

import httpx
from joserfc import jwt
from joserfc.errors import (
    BadSignatureError,
    ExceededSizeError,
    ExpiredTokenError,
    InvalidClaimError,
    InvalidHeaderValueError,
    InvalidKeyIdError,
    JoseError,
    MissingClaimError,
    MissingCritHeaderError,
    UnsupportedAlgorithmError,
    UnsupportedHeaderError,
)
from joserfc.jwk import KeySet, KeySetSerialization
from joserfc.jwt import JWTClaimsRegistry
from mcp.server.auth.provider import AccessToken

from authstage_kit.jwks import KeyCache as JwksCache
from authstage_kit.jwks import Keys
from authstage_kit.jwtsyntax import audience_values, crit_refusal, numeric_date, scope_tokens
from sample_mcp.errors import INSUFFICIENT_SCOPE, INVALID_TOKEN, AuthFailure
from sample_mcp.settings import SampleAuth

__all__ = ["KeyCache", "TokenVerifier", "scopes_of", "syntax_problem"]


class KeyCache:
    """The issuer's keys through the kernel's discovery + JWKS cache (authstage_kit.jwks), as a joserfc KeySet."""

    def __init__(self, settings: SampleAuth, *, http: httpx.AsyncClient, now: Callable[[], float]) -> None:
        self.settings = settings
        self.cache = JwksCache(
            lambda: http,
            now=now,
            ttl=lambda: settings.jwks_cache_seconds,
            refetch_interval=lambda: settings.jwks_refetch_min_interval,
        )

    @property
    def discovery_url(self) -> str:
        return (
            self.settings.discovery_url
            or self.settings.issuer.rstrip("/") + "/.well-known/openid-configuration"
        )

    @property
    def fetches(self) -> dict[str, int]:
        return self.cache.fetches

    @staticmethod
    def _keyset(keys: Keys) -> KeySet:
        if keys.jwks is None:
            raise ValueError(keys.error or "no keys")
        return KeySet.import_key_set(cast(KeySetSerialization, keys.jwks))

    async def get(self) -> KeySet:
        return self._keyset(await self.cache.get(self.discovery_url))

    async def refetch(self) -> KeySet | None:
        """Refetch on an unknown `kid`, rate limited; None when the limit says not now."""
        keys = await self.cache.refetch(self.discovery_url)
        return None if keys is None else self._keyset(keys)


def scopes_of(claims: dict[str, Any], names: list[str]) -> list[str]:
    """Scopes from `scope`/`scp` (space-delimited string or array) and any other configured claim; only single
    spaces separate them (RFC 6749 §3.3)."""
    found: list[str] = []
    for name in names:
        items, _ = scope_tokens(claims.get(name))
        found.extend(item for item in items if item not in found)
    return found


def syntax_problem(header: dict[str, Any], claims: dict[str, Any]) -> tuple[str, str] | None:
    """(kind, reason) when a signed token is malformed beyond what joserfc checks: `crit`, `aud`, NumericDates."""
    if refusal := crit_refusal(header):
        return "header", refusal
    if "aud" in claims and audience_values(claims["aud"]) is None:
        return "audience", f"aud {claims['aud']!r:.120} is not a string or an array of strings"
    for name in ("exp", "nbf", "iat"):
        if name in claims and numeric_date(claims[name]) is None:
            return "claims", f"{name} {claims[name]!r:.60} is not a NumericDate between 1970 and 9999"
    return None


class TokenVerifier:
    """Decides whether a bearer token may call this server; never raises for bad input."""

    def __init__(
        self, settings: SampleAuth, *, http: httpx.AsyncClient, now: Callable[[], float] = time.time
    ) -> None:
        self.settings = settings
        self.now = now
        self.keys = KeyCache(settings, http=http, now=now)

    def _fail(self, kind: str, reason: str) -> AuthFailure:
        return AuthFailure(
            status=401, error=INVALID_TOKEN, kind=kind, reason=reason, scopes=tuple(self.settings.scopes)
        )

    async def _decode(self, token: str) -> jwt.Token | AuthFailure:
        try:
            keys = await self.keys.get()
        except (httpx.HTTPError, ValueError, KeyError, JoseError) as exc:
            return self._fail(
                "jwks_unavailable", f"cannot fetch keys from {self.keys.discovery_url}: {exc!s:.200}"
            )
        algorithms = list(self.settings.algorithms)
        for attempt in (1, 2):
            try:
                return jwt.decode(token, keys, algorithms=algorithms)
            except InvalidKeyIdError as exc:
                if attempt == 2:
                    return self._fail("kid", f"no JWKS key matches the token kid ({exc.description})")
                try:
                    refreshed = await self.keys.refetch()
                except (httpx.HTTPError, ValueError, KeyError, JoseError) as fetch_error:
                    return self._fail("jwks_unavailable", f"JWKS refetch failed: {fetch_error!s:.200}")
                if refreshed is None:
                    return self._fail(
                        "kid", "unknown kid and the JWKS was refetched too recently to try again"
                    )
                keys = refreshed
            except UnsupportedAlgorithmError as exc:
                return self._fail("alg", f"{exc.description}; accepted: {algorithms}")
            except BadSignatureError:
                return self._fail("signature", "signature does not verify with the issuer's key")
            except (
                UnsupportedHeaderError,
                MissingCritHeaderError,
                InvalidHeaderValueError,
                ExceededSizeError,
            ) as exc:
                # RFC 7515 §4.1.11 (`crit` not understood), a kid/alg that is not a string, an oversized header
                return self._fail("header", f"{type(exc).__name__}: {exc.description}")
            except (JoseError, ValueError, TypeError, UnicodeError, RecursionError) as exc:
                return self._fail("malformed", f"not a compact JWS: {type(exc).__name__}")
        raise AssertionError("unreachable")

    async def verify(self, token: str) -> AccessToken | AuthFailure:
        decoded = await self._decode(token)
        if isinstance(decoded, AuthFailure):
            return decoded
        claims = decoded.claims
        if problem := syntax_problem(dict(decoded.header), claims):
            return self._fail(*problem)
        registry = JWTClaimsRegistry(
            now=lambda: int(self.now()),
            leeway=self.settings.leeway_seconds,
            iss={"essential": True, "value": self.settings.issuer},
            aud={"essential": True, "value": self.settings.audience},
            exp={"essential": True},
        )
        try:
            registry.validate(claims)
        except ExpiredTokenError:
            return self._fail("expired", f"exp {claims.get('exp')} is before now {int(self.now())}")
        except MissingClaimError as exc:
            return self._fail("claims", exc.description)
        except InvalidClaimError as exc:
            if exc.claim == "iss":
                return self._fail("issuer", f"iss {claims.get('iss')!r} != {self.settings.issuer!r}")
            if exc.claim == "aud":
                return self._fail(
                    "audience", f"aud {claims.get('aud')!r} does not include {self.settings.audience!r}"
                )
            if exc.claim in ("nbf", "iat") and "NumericDate" not in exc.description:
                return self._fail(
                    "not_yet_valid", f"{exc.claim} {claims.get(exc.claim)} is after now {int(self.now())}"
                )
            return self._fail("claims", exc.description)
        except (JoseError, ValueError, TypeError) as exc:
            return self._fail("claims", f"claims rejected: {exc}")
        scopes = scopes_of(claims, self.settings.scope_claims)
        missing = [scope for scope in self.settings.scopes if scope not in scopes]
        if missing:
            return AuthFailure(
                status=403,
                error=INSUFFICIENT_SCOPE,
                kind="scope",
                reason=f"token scopes {scopes} lack {missing}",
                scopes=tuple(self.settings.scopes),
            )
        client_id = claims.get("client_id") or claims.get("azp") or claims.get("cid") or ""
        return AccessToken(
            token=token,
            client_id=str(client_id),
            scopes=scopes,
            expires_at=int(claims["exp"]),
            resource=self.settings.audience,
            subject=claims.get("sub"),
            claims=dict(claims),
        )
