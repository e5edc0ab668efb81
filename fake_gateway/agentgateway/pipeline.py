"""One request through agentgateway's policies, in its order (sheet §6.8): route match -> `cors` -> mcpAuthentication
(with its OAuth surface) -> route `authorization` -> the MCP backend (mcpAuthorization inside).

In eras B and C mcpAuthentication sits on the MCP backend and runs after the route's `authorization`, which
therefore never sees `jwt` (INFERRED, sheet §0.3); in A and D it runs first. Every refusal carries the reason the
real gateway does not tell (which check, which rule, with the claim values it saw) for the request log.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import httpx

from authstage_kit.clock import Clock
from authstage_kit.jwks import Keys, RemoteJwks
from authstage_kit.tls import client_context
from fake_gateway.agentgateway import metadata
from fake_gateway.agentgateway.cel_rules import decide
from fake_gateway.agentgateway.config import Authn, Match, RouteSpec
from fake_gateway.agentgateway.errors import AUTHORIZATION_FAILED, McpAuthRequired, PlainError
from fake_gateway.agentgateway.front import McpFront, McpRequest, Reply
from fake_gateway.agentgateway.jwt_auth import (
    JwtKnobs,
    TokenResult,
    derived_jwks_url,
    local_jwks,
    validate_token,
)
from fake_gateway.agentgateway.relay import CallContext
from fake_gateway.agentgateway.settings import AgentGateway
from fake_gateway.verdict import Check

__all__ = ["Incoming", "Pipeline"]


@dataclass
class Incoming:
    method: str
    path: str
    query: dict[str, str]
    headers: dict[str, str]  # lower-case names
    body: bytes
    scheme: str
    host: str | None
    notes: list[str] = field(default_factory=list)


def _match_score(match: Match, path: str, method: str) -> int | None:
    if match.method and match.method.upper() != method:
        return None
    if match.kind == "exact":
        return 10_000 if path == match.value else None
    if match.kind == "prefix":
        prefix = match.value.rstrip("/")
        return len(prefix) if path == prefix or path.startswith(prefix + "/") or prefix == "" else None
    return 0 if re.fullmatch(match.value, path) else None


class Pipeline:
    """The gateway's runtime state (moto's backend): config, JWKS caches, MCP sessions; no HTTP framework."""

    def __init__(self, gateway: AgentGateway, *, clock: Clock, base_url: str | None = None) -> None:
        self.gateway = gateway
        self.clock = clock
        self.base_url = base_url
        self.http = httpx.AsyncClient(timeout=10.0, trust_env=False, verify=client_context(),
                                      headers={"User-Agent": "authstage-agentgateway/0.1"})
        self.jwks: dict[str, RemoteJwks] = {}
        self.front = McpFront(timeout=lambda: self.knobs.upstreamTimeoutSeconds,
                              server_version=lambda: self.knobs.serverVersion)

    @property
    def knobs(self) -> Any:
        return self.gateway.emulator

    def apply(self, gateway: AgentGateway) -> None:
        self.gateway = gateway
        self.jwks = {}

    async def close(self) -> None:
        await self.front.close_all()
        await self.http.aclose()

    # --- where

    def origin(self, req: Incoming) -> str:
        if self.knobs.publicUrl:
            return str(self.knobs.publicUrl).rstrip("/")
        # the emulator listens on plain HTTP; uvicorn already applies X-Forwarded-Proto from loopback, which only
        # agentgateway v1.2+ (#1646, era D) honours
        scheme = req.headers.get("x-forwarded-proto", req.scheme) if self.knobs.era == "D" else "http"
        return f"{scheme}://{req.host}" if req.host else (self.base_url or "http://127.0.0.1")

    def route(self, req: Incoming) -> RouteSpec | None:
        best: tuple[int, int, RouteSpec] | None = None
        for index, route in enumerate(self.gateway.loaded.routes):
            scores = [s for m in route.matches if (s := _match_score(m, req.path, req.method)) is not None]
            if scores and (best is None or (max(scores), -index) > (best[0], best[1])):
                best = (max(scores), -index, route)
        return best[2] if best else None

    # --- keys and tokens

    async def keys(self, authn: Authn) -> Keys:
        inline = local_jwks(authn)
        if inline is not None:
            return Keys(None, inline, None)
        url = authn.jwks[1] or derived_jwks_url(authn)
        cache = self.jwks.get(url)
        if cache is None:
            knobs = self.knobs
            cache = self.jwks[url] = RemoteJwks(
                lambda: self.http, now=self.clock.now, default_ttl=lambda: knobs.jwksDefaultRefreshSeconds,
                min_ttl=lambda: knobs.jwksMinRefreshSeconds, retry=lambda: knobs.jwksRetrySeconds,
                timeout=lambda: knobs.jwksFetchTimeoutSeconds)
        return await cache.get(url)

    async def check_token(self, authorization: str | None, authn: Authn) -> TokenResult:
        keys = await self.keys(authn)
        return validate_token(authorization, authn, keys, JwtKnobs(leewaySeconds=self.knobs.leewaySeconds),
                              self.clock.now())

    # --- the pipeline

    async def handle(self, req: Incoming) -> Reply:
        route = self.route(req)
        if route is None:
            raise PlainError(404, "route not found", f"no route matches {req.method} {req.path}")
        if route.cors and (preflight := self._preflight(route, req)) is not None:
            return preflight
        variables: dict[str, Any] = {}
        authn = route.authentication
        early = self.knobs.era in ("A", "D")
        if authn is not None and early and (answer := await self._authenticate(route, authn, req, variables)):
            return answer
        self._authorize(route, req, variables)
        if authn is not None and not early and (answer := await self._authenticate(route, authn, req, variables)):
            return answer
        if route.backend is None:
            raise PlainError(500, "no valid backends", f"route {route.name}: {route.backend_kind} backends are not emulated")
        context = CallContext(self._variables(req, variables), route.mcp_authorization, self.knobs.era)
        upstream_headers = {"authorization": req.headers["authorization"]} if route.passthrough and "authorization" in req.headers else {}
        mcp = McpRequest(req.method, req.path, req.headers, req.query, req.body, context, upstream_headers)
        try:
            reply = await self.front.handle(route, mcp)
        finally:
            req.notes.extend(context.reasons)
        return self._with_cors(route, req, reply)

    async def _authenticate(self, route: RouteSpec, authn: Authn, req: Incoming, variables: dict[str, Any]) -> Reply | None:
        """mcpAuthentication: the mode table (§3.1), then the well-known and registration paths it serves."""
        if not metadata.is_well_known(req.path):
            result = await self.check_token(req.headers.get("authorization"), authn)
            reason = _reason(result)
            if result.ok:
                variables["jwt"] = result.claims
                if not route.passthrough:
                    req.headers.pop("authorization", None)  # stripped before the upstream hop
            elif self._refuses(result, authn.mode):
                if self.knobs.era == "A" and not result.missing:
                    raise PlainError(403, f"authentication failure: {result.error}", reason)
                raise McpAuthRequired(reason, metadata.challenge_url(authn, self.origin(req), req.path))
            else:
                req.notes.append(f"mcpAuthentication mode {authn.mode}: continuing without claims ({reason})")
        return await self._oauth_surface(authn, req)

    def _refuses(self, result: TokenResult, mode: str) -> bool:
        era = self.knobs.era
        if result.missing:
            return mode == "strict" or era == "A"
        return era in ("A", "B") or mode != "permissive"

    async def _oauth_surface(self, authn: Authn, req: Incoming) -> Reply | None:
        origin, path = self.origin(req), req.path
        if path.endswith("client-registration"):
            answer = await metadata.client_registration(authn, self.http, req.body, self.knobs.jwksFetchTimeoutSeconds)
        elif path == metadata.PRM_PREFIX or path.startswith(metadata.PRM_PREFIX + "/"):
            answer = metadata.protected_resource_metadata(authn, origin, path)
        elif path == metadata.AS_PREFIX or path.startswith(metadata.AS_PREFIX + "/"):
            answer = await metadata.authorization_server_metadata(
                authn, self.http, origin, path, rewrite_issuer=self.knobs.rewriteMetadataIssuer,
                timeout=self.knobs.jwksFetchTimeoutSeconds)
        else:
            return None
        if answer.status >= 400:
            raise PlainError(answer.status, answer.body.decode(errors="replace"), answer.reason)
        if answer.reason:
            req.notes.append(answer.reason)
        return Reply(answer.status, answer.headers, answer.body)

    def _variables(self, req: Incoming, variables: dict[str, Any]) -> dict[str, Any]:
        request = {"method": req.method, "path": req.path, "host": req.host or "", "scheme": req.scheme,
                   "uri": f"{self.origin(req)}{req.path}", "headers": dict(req.headers)}
        return {**variables, "request": request}

    def _authorize(self, route: RouteSpec, req: Incoming, variables: dict[str, Any]) -> None:
        """Route `authorization`: 403 text/plain `authorization failed` [AG:src/http/authorization.rs#L25-L46]."""
        if not route.authorization:
            return
        decision = decide(route.authorization, self._variables(req, variables))
        if not decision.allowed:
            raise PlainError(403, AUTHORIZATION_FAILED, decision.reason)

    # --- CORS (policies.cors; sheet §2.7)

    def _preflight(self, route: RouteSpec, req: Incoming) -> Reply | None:
        if req.method != "OPTIONS" or "origin" not in req.headers or "access-control-request-method" not in req.headers:
            return None
        return Reply(200, self._cors_headers(route, req, preflight=True))

    def _cors_headers(self, route: RouteSpec, req: Incoming, *, preflight: bool) -> dict[str, str]:
        cors = route.cors or {}
        origin = req.headers.get("origin")
        allowed = [str(o) for o in cors.get("allowOrigins") or []]
        if origin is None or not ("*" in allowed or origin in allowed):
            return {}
        credentials = bool(cors.get("allowCredentials"))
        headers = {"access-control-allow-origin": "*" if "*" in allowed and not credentials else origin}
        if credentials:
            headers["access-control-allow-credentials"] = "true"
        if preflight:
            for key, name in (("allowMethods", "methods"), ("allowHeaders", "headers")):
                if cors.get(key):
                    headers[f"access-control-allow-{name}"] = ",".join(str(v) for v in cors[key])
            if cors.get("maxAge") is not None:
                headers["access-control-max-age"] = str(cors["maxAge"])
        elif cors.get("exposeHeaders"):
            headers["access-control-expose-headers"] = ",".join(str(v) for v in cors["exposeHeaders"])
        return headers

    def _with_cors(self, route: RouteSpec, req: Incoming, reply: Reply) -> Reply:
        if route.cors:
            reply.headers.update(self._cors_headers(route, req, preflight=False))
        return reply

    # --- explain

    async def explain(self, token: str, *, tool: str | None = None, target: str | None = None) -> list[Check]:
        """Every check a request with `token` meets on the first MCP route: authentication, then each rule."""
        route = next((r for r in self.gateway.loaded.routes if r.authentication or r.authorization), None)
        if route is None:
            return [Check("route", None, "no route with mcpAuthentication or authorization")]
        checks: list[Check] = []
        variables: dict[str, Any] = {}
        if route.authentication is not None:
            header = token if token.lower().startswith("bearer ") else f"Bearer {token}"
            result = await self.check_token(header, route.authentication)
            checks += result.checks
            checks.append(Check("mcpAuthentication", result.ok, _reason(result)))
            if result.ok:
                variables["jwt"] = result.claims
        checks += _rule_checks("authorization", route.authorization, {**variables, "request": {}})
        if tool is not None:
            mcp = {"tool": {"name": tool, "target": target or ""}}
            checks += _rule_checks("mcpAuthorization", route.mcp_authorization, {**variables, "mcp": mcp})
        return checks


def _rule_checks(what: str, rules: Any, variables: dict[str, Any]) -> list[Check]:
    if not rules:
        return []
    decision = decide(rules, variables, what=what)
    found = [Check(f"{what}[{i}]", e.value, e.describe(),
                   None if e.value or e.rule.kind == "deny" else _rule_fix(e.rule.expression, e.seen))
             for i, e in enumerate(decision.evaluations)]
    return [*found, Check(what, decision.allowed, decision.reason)]


def _rule_fix(expression: str, seen: dict[str, Any]) -> str:
    if "auth.claims" in expression:
        return "agentgateway's CEL has no `auth`: write the rule with `jwt.` (e.g. '\"read:tools\" in jwt.permissions')"
    absent = [k for k, v in seen.items() if v == "<absent>"]
    if absent:
        return f"{', '.join(absent)} is absent from the token: the IdP must put it there (Auth0: RBAC + 'Add Permissions in the Access Token')"
    return "the token's claims do not satisfy the rule"


def _reason(result: TokenResult) -> str:
    failed = [c for c in result.checks if c.passed is False]
    if result.ok:
        return "token verified"
    detail = failed[0].reason if failed else "no token"
    return f"{result.error or 'no bearer token found'} ({detail})"

