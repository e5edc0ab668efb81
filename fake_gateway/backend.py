"""The gateway's state (moto's `models.py`): config, authorizer caches, sessions, targets, policy, logs.

No HTTP here. `mcp_endpoint.py` turns requests into calls on this object; `app.py` is the HTTP adapter.
Inbound auth: DOC inbound-jwt-authorizer / gateway-inbound-auth; targets: DOC gateway-target-MCPservers
("CreateGatewayTarget and UpdateGatewayTarget … automatically trigger capability discovery"; explicit sync:
SynchronizeGatewayTargets returns 202 and the status is read with GetGatewayTarget).
"""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx

from authstage_kit.aio import LoopLocal
from authstage_kit.clock import Clock
from authstage_kit.jwks import KeyCache
from authstage_kit.tls import client_context
from fake_gateway.authorizer import Principal, decide, evaluate_jwt, sigv4_principal
from fake_gateway.credentials import OutboundCredentials
from fake_gateway.errors import PRM_PATH, USER_AGENT, BearerChallenge
from fake_gateway.interceptors import Interceptors
from fake_gateway.lambdas import LambdaInvoker
from fake_gateway.logs import AppLog
from fake_gateway.policy import PolicyEngine
from fake_gateway.prm import authorization_servers
from fake_gateway.propagation import CallContext
from fake_gateway.sessions import SessionStore
from fake_gateway.settings import Emulator, Gateway, TargetSpec, View
from fake_gateway.targets import TargetFailure, TargetPool, TargetState
from fake_gateway.tool_targets import SCHEMA_KINDS, ToolTargets

__all__ = ["Backend"]


class Backend:
    def __init__(self, gateway: Gateway, *, clock: Clock, base_url: str | None = None) -> None:
        self.clock = clock
        self.gateway = gateway
        self.base_url = base_url.rstrip("/") if base_url else None
        self._http = LoopLocal(
            lambda: httpx.AsyncClient(
                timeout=10.0, trust_env=False, headers={"User-Agent": USER_AGENT}, verify=client_context()
            )
        )

        def knobs() -> Emulator:
            return self.gateway.emulator

        self.keys = KeyCache(
            self._http.get,
            now=self.clock.now,
            ttl=lambda: knobs().jwksCacheSeconds,
            refetch_interval=lambda: knobs().jwksRefetchMinIntervalSeconds,
            timeout=lambda: knobs().jwksFetchTimeoutSeconds,
        )
        self.credentials = OutboundCredentials(
            self._http.get, now=self.clock.now, margin=lambda: knobs().outboundTokenRefreshMarginSeconds
        )
        self.pool = TargetPool(self.credentials, timeout=lambda: knobs().targetTimeoutSeconds)
        self.lambdas = LambdaInvoker(
            lambda: knobs().lambdaFunctions, self._http.get, lambda: knobs().targetTimeoutSeconds
        )
        self.tool_targets = ToolTargets(
            lambdas=self.lambdas, credentials=self.credentials, http=self._http.get, knobs=knobs,
            view=lambda: self.view,
        )
        self.interceptors = Interceptors(self.lambdas)
        self.sessions = SessionStore(self.clock.now)
        self.app_log = AppLog(
            arn=lambda: self.view.arn,
            account=lambda: self.view.account,
            now=self.clock.now,
            max_records=lambda: knobs().logRecordsMax,
            path=lambda: knobs().applicationLogFile,
        )
        self.targets: dict[str, TargetState] = {}
        self.policy: PolicyEngine | None = None
        self._sync_locks: dict[str, LoopLocal[asyncio.Lock]] = {}
        self._startup: asyncio.Future[Any] | None = None
        self.settled = threading.Event()  # the start-up sync has ended (a stack is ready only then)
        self._install(gateway)
        self._announce()

    @property
    def view(self) -> View:
        return self.gateway.view

    # --- configuration

    def _install(self, gateway: Gateway) -> None:
        old = self.targets
        self.gateway = gateway
        view = gateway.view
        self.targets = {}
        for spec in view.targets:
            previous = old.get(spec.name)
            self.targets[spec.name] = (
                previous if previous is not None and previous.spec == spec else TargetState(spec)
            )
            self._sync_locks.setdefault(spec.name, LoopLocal(asyncio.Lock))
        self.policy = PolicyEngine(view.policy, view.arn) if view.policy else None

    def _announce(self) -> None:
        """Nothing ignored silently: the config's notices as APPLICATION_LOGS records (notices.py)."""
        for notice in self.gateway.notices:
            self.app_log.emit(
                request_id="configuration",
                trace_id="configuration",
                is_error=notice.kind == "warning",
                log=f"Configuration {notice}",
            )

    def apply(self, gateway: Gateway) -> None:
        """A new config (PATCH/PUT): keeps what is still valid (catalogues of unchanged targets, sessions)."""
        old_jwt = self.view.jwt
        old_timeout = self.gateway.emulator.targetTimeoutSeconds
        self._install(gateway)
        self._announce()
        self.credentials.clear()
        new_jwt = self.view.jwt
        if old_jwt is None or new_jwt is None or old_jwt.discovery_url != new_jwt.discovery_url:
            self.keys.clear()
        if gateway.emulator.targetTimeoutSeconds != old_timeout:
            # a target session keeps the timeout it was opened with: reopen them so the new one applies now
            self.pool.retire_all()

    def clear(self) -> None:
        """POST /_authstage/reset (after the initial config is back): every cache and state cleared."""
        self.targets = {}
        self.pool.retire_all()
        self._install(self.gateway)
        self.keys.clear()
        self.keys.fetches = {"discovery": 0, "jwks": 0}
        self.credentials.clear()
        self.credentials.token_requests = 0
        self.pool.calls = 0
        self.tool_targets.calls = 0
        self.lambdas.invocations = 0
        self.sessions.clear()
        self.app_log.clear()
        self._announce()

    async def startup(self) -> None:
        """Start synchronizing DEFAULT targets in the background (AWS: status CREATING until discovery ends);
        `settled` is set when that first sync has ended, however it ended."""
        if not self.gateway.emulator.syncOnStartup:
            self.settled.set()
            return
        self._startup = asyncio.ensure_future(
            asyncio.gather(*(self.ensure_synced(s) for s in self.targets.values()), return_exceptions=True)
        )
        self._startup.add_done_callback(lambda _: self.settled.set())

    async def shutdown(self) -> None:
        if self._startup is not None and not self._startup.done():
            self._startup.cancel()  # a stack stopped while its targets still synchronize: no traceback for that
            await asyncio.wait([self._startup])
        if self._startup is not None and not self._startup.cancelled():
            self._startup.exception()  # retrieved (gather returns exceptions): never "exception was never retrieved"
        await self.pool.close_all()
        client = self._http.current()
        if client is not None:
            await client.aclose()
        self._http.reset()

    # --- where the gateway is reached

    def origin(self, host: str | None, scheme: str = "http") -> str:
        """Origin for PRM and challenges: knob publicUrl, else the Host the client called, else base_url."""
        if self.gateway.emulator.publicUrl:
            return self.gateway.emulator.publicUrl.rstrip("/")
        if host:
            return f"{scheme}://{host}"
        return self.base_url or "http://127.0.0.1"

    def resource(self, origin: str) -> str:
        return self.gateway.emulator.prmResource or f"{origin}/mcp"

    def protected_resource_metadata(self, origin: str) -> dict[str, Any] | None:
        """RFC 9728 document as the SAMPLE captures show it (3 members); None when there is no JWT authorizer."""
        jwt = self.view.jwt
        if jwt is None:
            return None
        rule = self.gateway.emulator.prmAuthorizationServers
        return {
            "authorization_servers": authorization_servers(rule, jwt.discovery_url, self.keys.keys.discovery),
            "resource": self.resource(origin),
            "scopes_supported": jwt.advertised_scopes,
        }

    async def prm(self, origin: str) -> dict[str, Any] | None:
        jwt = self.view.jwt
        if jwt is not None:
            await self.keys.get(jwt.discovery_url)
        return self.protected_resource_metadata(origin)

    # --- inbound auth

    async def authenticate(self, authorization: str | None, origin: str) -> Principal:
        """The caller, or AuthError in the observed shape (sheet §4); the error's `reason` names the failed check."""
        view = self.view
        knobs = self.gateway.emulator
        kind = view.authorizer_type
        if kind == "NONE":
            return Principal("anonymous")
        if kind == "AWS_IAM" or (
            kind == "AUTHENTICATE_ONLY" and (knobs.authenticateOnlyMode == "sigv4" or view.jwt is None)
        ):
            return sigv4_principal(authorization, knobs)
        jwt = view.jwt
        assert jwt is not None
        keys = await self.keys.get(jwt.discovery_url)
        verdict = evaluate_jwt(authorization, jwt, knobs, keys, self.clock.now())
        if verdict.unknown_kid:
            refreshed = await self.keys.refetch(jwt.discovery_url)
            if refreshed is not None:
                verdict = evaluate_jwt(authorization, jwt, knobs, refreshed, self.clock.now())
        challenge = BearerChallenge(origin + PRM_PATH, tuple(jwt.advertised_scopes), knobs.legacyChallenge)
        if (error := decide(verdict, knobs, challenge)) is not None:
            raise error
        claims = verdict.claims or {}
        return Principal(
            "jwt", str(claims["sub"]) if claims.get("sub") is not None else None, claims, verdict.token
        )

    # --- targets

    async def ensure_synced(self, state: TargetState, principal: Principal | None = None) -> None:
        spec = state.spec
        if spec.kind in SCHEMA_KINDS or _static_schema(spec):
            if not state.sync_attempted or (state.status == "FAILED" and self.gateway.emulator.retryFailedSync):
                self._sync_schema(state)
            return
        if spec.listing_mode == "DYNAMIC" or spec.endpoint is None:
            if spec.endpoint is None and not state.sync_attempted:
                state.sync_attempted, state.status = True, "FAILED"
                state.status_reasons = [
                    f"{spec.kind} targets are not emulated (served: mcpServer, lambda, openApiSchema, "
                    "apiGateway, smithyModel)"
                ]
            return
        retry = state.status == "FAILED" and self.gateway.emulator.retryFailedSync
        running = state.status in ("CREATING", "SYNCHRONIZING")  # wait for a sync in progress
        if state.sync_attempted and not retry and not running:
            return
        async with self._sync_locks[spec.name].get():
            if state.sync_attempted and not (state.status == "FAILED" and retry):
                return
            await self._sync(state, principal)

    def _sync_schema(self, state: TargetState) -> None:
        """The catalogue a schema declares (Lambda, OpenAPI, API Gateway, Smithy, mcpToolSchema)."""
        state.sync_attempted = True
        try:
            spec = state.spec
            tools = self.tool_targets.static_tools(spec) if _static_schema(spec) else self.tool_targets.list_tools(spec)
        except TargetFailure as exc:
            state.status, state.status_reasons = "FAILED", [exc.reason]
            return
        state.tools = tools
        state.status, state.status_reasons = "READY", []
        state.last_synchronized_at = self.clock.now()

    async def call_tool(
        self, state: TargetState, tool: str, arguments: Any, ctx: CallContext, progress: Any = None
    ) -> dict[str, Any]:
        """One tool call to the target `state` (MCP server, or a schema target's handler or API)."""
        spec = state.spec
        if spec.kind == "mcpServer":
            return await self.pool.call_tool(
                spec, tool, arguments, subject=ctx.subject, subject_token=ctx.subject_token,
                progress=progress, ctx=ctx,
            )
        if spec.kind not in SCHEMA_KINDS:
            raise TargetFailure(f"target {spec.name!r} is a {spec.kind} target, which is not emulated")
        return await self.tool_targets.call(spec, tool, arguments, ctx)

    async def _sync(self, state: TargetState, principal: Principal | None) -> None:
        state.sync_attempted = True
        state.status = "SYNCHRONIZING" if state.tools is not None else "CREATING"
        try:
            tools = await self.pool.list_tools(
                state.spec,
                subject=principal.subject if principal else None,
                subject_token=principal.token if principal else None,
            )
        except TargetFailure as exc:
            state.status = "FAILED" if state.tools is None else "SYNCHRONIZE_UNSUCCESSFUL"
            state.status_reasons = [exc.reason]
            return
        state.tools = tools
        state.status, state.status_reasons = "READY", []
        state.last_synchronized_at = self.clock.now()

    async def synchronize(self, name: str) -> dict[str, Any]:
        """SynchronizeGatewayTargets for one target; returns its get-gateway-target status view."""
        state = self.targets.get(name)
        if state is None:
            raise KeyError(name)
        if state.spec.kind in SCHEMA_KINDS or _static_schema(state.spec):
            self._sync_schema(state)
            return self.target_status(name)
        async with self._sync_locks[name].get():
            await self._sync(state, None)
        return self.target_status(name)

    def target_status(self, name: str) -> dict[str, Any]:
        state = self.targets[name]
        return {
            "name": name,
            "targetId": state.spec.target_id,
            "gatewayArn": self.view.arn,
            "status": state.status,
            "statusReasons": state.status_reasons,
            "lastSynchronizedAt": state.last_synchronized_at,
            "listingMode": state.spec.listing_mode,
            "tools": [t.get("name") for t in state.tools or []],
        }

    async def target_tools(self, state: TargetState, principal: Principal) -> list[dict[str, Any]]:
        """The tools of one target as the gateway lists them right now (catalogue or live)."""
        spec = state.spec
        if spec.listing_mode == "DYNAMIC" and spec.endpoint is not None:
            return await self.pool.list_tools(spec, subject=principal.subject, subject_token=principal.token)
        await self.ensure_synced(state, principal)
        return list(state.tools or [])

    def spec(self, name: str) -> TargetSpec | None:
        state = self.targets.get(name)
        return state.spec if state else None

    def stats(self) -> dict[str, Any]:
        return {
            "discovery_fetches": self.keys.fetches["discovery"],
            "jwks_fetches": self.keys.fetches["jwks"],
            "token_requests": self.credentials.token_requests,
            "target_calls": self.pool.calls + self.tool_targets.calls,
            "lambda_invocations": self.lambdas.invocations,
            "sessions": len(self.sessions),
            "targets": {name: state.status for name, state in self.targets.items()},
        }


def _static_schema(spec: TargetSpec) -> bool:
    """An mcpServer target with a static `mcpToolSchema` lists it instead of synchronizing (DOC)."""
    return spec.kind == "mcpServer" and isinstance(spec.block.get("mcpToolSchema"), dict)
