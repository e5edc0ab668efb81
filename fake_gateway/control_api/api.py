"""The `bedrock-agentcore-control` API on the gateway service's port: routing, validation, idempotency, dispatch.

A request is matched to an operation of botocore's service model (protocol.py); an operation authstage does not
emulate answers `UnknownOperationException` naming it (never a 500). The input is checked by the same model
validator a pasted gateway document goes through (fake_gateway/validation.py), then the operation's handler
(gateways.py, identity.py, policy_engines.py, tagging.py) runs against the region's resources (store.py), and the
answer is written per the output shape. `clientToken` makes creates idempotent. The region is the one the
request was signed for (SigV4's credential scope); the signature itself is not verified.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import Awaitable, Callable, Coroutine, Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from fake_gateway.control_api.errors import (
    BODY_TOO_LARGE,
    AwsError,
    idempotency_mismatch,
    not_emulated,
    not_found,
    validation_error,
)
from fake_gateway.control_api.protocol import bind_input, find_route, render_error, render_output
from fake_gateway.control_api.serving import (
    CreatedGateway,
    GatewayHandle,
    RootControl,
    RootGateway,
    load_gateway,
)
from fake_gateway.control_api.store import Account, Transition
from fake_gateway.errors import Issue
from fake_gateway.rules import is_loopback_http
from fake_gateway.settings import ControlApiKnobs, Gateway
from fake_gateway.validation import Hook, service_model, validate

__all__ = ["ApiAnswer", "ApiRequest", "Call", "ControlApi", "Handler"]

_SCOPE = re.compile(r"Credential=[^/,\s]+/\d{8}/([a-z0-9-]+)/")
IDEMPOTENT = ("CreateGateway", "CreateGatewayTarget", "CreatePolicyEngine", "CreatePolicy")


@dataclass
class ApiRequest:
    """One HTTP request, as the adapter read it (raw path: labels may hold percent-encoded slashes)."""

    method: str
    raw_path: str
    query: list[tuple[str, str]]
    headers: Mapping[str, str]  # lower-case names
    body: bytes
    host: str | None
    scheme: str
    oversize: int | None = None  # the body's size when it exceeded emulator.maxRequestBytes (body is then b"")


@dataclass
class ApiAnswer:
    status: int
    headers: dict[str, str]
    body: bytes
    reason: str | None = None


@dataclass
class Call:
    """One operation call: the API, the region's resources, the bound parameters and where the caller is."""

    api: ControlApi
    account: Account
    operation: str
    params: dict[str, Any]
    host: str | None
    scheme: str
    extra: dict[str, Any] = field(default_factory=dict)

    def now(self) -> float:
        return self.api.root_control.clock.now()

    def gateway(self) -> GatewayHandle:
        identifier = str(self.params["gatewayIdentifier"])
        for handle in self.api.handles(self.account):
            if identifier in (handle.gateway_id, handle.arn):
                return handle
        raise not_found("Gateway", identifier)


Handler = Callable[[Call], Awaitable[dict[str, Any]]]


class ControlApi:
    """All the control plane's state for one gateway service (cleared by `/_authstage/reset`)."""

    def __init__(self, root: RootControl, operations: Mapping[str, Handler]) -> None:
        self.root_control = root
        self.operations = operations
        self.root = RootGateway(root, root.clock.now())
        self.root_life = Transition(self.root.created_at, self.root.created_at)
        self.accounts: dict[str, Account] = {}
        self.tokens: dict[tuple[str, str, str], tuple[str, dict[str, Any]]] = {}
        self.lives: dict[str, Transition] = {}  # gatewayId / gatewayId+targetId -> lifecycle
        self._retired: list[CreatedGateway] = []
        self._tasks: set[asyncio.Task[Any]] = set()

    # -- state -------------------------------------------------------------------------------------------------
    def knobs(self) -> ControlApiKnobs:
        return self.root_control.config.emulator.controlApi

    def account(self, region: str) -> Account:
        if region not in self.accounts:
            self.accounts[region] = Account(region, self.root_control.config.emulator.accountId)
        return self.accounts[region]

    def handles(self, account: Account) -> list[GatewayHandle]:
        root: list[GatewayHandle] = [self.root] if self.root.region == account.region else []
        return [*root, *account.gateways.values()]

    def served(self, gateway_id: str) -> CreatedGateway | None:
        for account in self.accounts.values():
            handle = account.gateways.get(gateway_id)
            if isinstance(handle, CreatedGateway):
                return handle
        return None

    def life(self, key: str, now: float) -> Transition:
        return self.lives.setdefault(key, Transition(now, now))

    def background(self, work: Coroutine[Any, Any, Any]) -> None:
        """Run `work` on the serving loop without waiting (target synchronization)."""
        task = asyncio.ensure_future(work)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def retire(self, handle: CreatedGateway) -> None:
        self._retired.append(handle)
        self.background(handle.close())

    def clear(self) -> None:
        """Reset: every created resource forgotten (their backends are closed by `close()`)."""
        for account in self.accounts.values():
            self._retired.extend(g for g in account.gateways.values() if isinstance(g, CreatedGateway))
        self.accounts.clear()
        self.tokens.clear()
        self.lives.clear()
        self.root = RootGateway(self.root_control, self.root_control.clock.now())
        self.root_life = Transition(self.root.created_at, self.root.created_at)

    async def close(self) -> None:
        handles = [*self._retired, *(g for a in self.accounts.values() for g in a.gateways.values())]
        self._retired = []
        for handle in handles:
            with contextlib.suppress(Exception):
                await handle.close()

    def documents(self) -> list[dict[str, Any]]:
        """Every served gateway's document (`GET /_authstage/gateways`): a stack file's `gateway:` section each."""
        handles: list[GatewayHandle] = [self.root, *(g for a in self.accounts.values() for g in a.gateways.values())]
        return [{"gatewayId": h.gateway_id, "root": h.root, "document": h.gateway.to_document()} for h in handles]

    # -- loading documents -------------------------------------------------------------------------------------
    def load(self, document: dict[str, Any], operation: str, prefix: str = "") -> Gateway:
        """The seam, with its problems answered as the ValidationException AWS answers."""
        try:
            return load_gateway(document)
        except ValidationError as exc:
            issues = [_issue(error, prefix) for error in exc.errors(include_url=False)]
            raise validation_error(issues, operation) from None

    def emulator(self) -> dict[str, Any]:
        """A created gateway's `emulator:` section: the root gateway's knobs, minus its own PRM override."""
        knobs = self.root_control.config.emulator.model_dump(mode="json")
        knobs.pop("prmResource", None)
        return knobs

    # -- one request -------------------------------------------------------------------------------------------
    async def handle(self, request: ApiRequest) -> ApiAnswer | None:
        """The answer to a request naming an operation of the model; None for any other path."""
        if not self.knobs().enabled:
            return None
        found = find_route(request.method, request.raw_path)
        if found is None:
            return None
        route, labels = found
        operation = service_model().operation_model(route.operation)
        try:
            handler = self.operations.get(route.operation)
            if handler is None:
                raise not_emulated(route.operation, route.method, str(operation.http["requestUri"]))
            if request.oversize is not None:
                raise AwsError("SerializationException", BODY_TOO_LARGE.format(size=request.oversize), status=413)
            params = bind_input(operation, labels, request.query, request.headers, request.body)
            if operation.input_shape is not None:
                issues = validate(params, operation.input_shape, hooks=self._hooks())
                if issues:
                    raise validation_error(issues, route.operation)
            account = self.account(_region(request.headers, self.root.region))
            call = Call(self, account, route.operation, params, request.host, request.scheme)
            result = await self._idempotent(call, handler)
            status, headers, body = render_output(operation, result)
            return ApiAnswer(status, headers, body)
        except AwsError as exc:
            status, headers, body = render_error(exc)
            return ApiAnswer(status, headers, body, exc.reason)

    async def _idempotent(self, call: Call, handler: Handler) -> dict[str, Any]:
        token = call.params.get("clientToken")
        if call.operation not in IDEMPOTENT or not isinstance(token, str):
            return await handler(call)
        key = (call.account.region, call.operation, token)
        fingerprint = json.dumps({k: v for k, v in call.params.items() if k != "clientToken"}, sort_keys=True)
        if key in self.tokens:
            seen, result = self.tokens[key]
            if seen != fingerprint:
                raise idempotency_mismatch(token)
            return result
        result = await handler(call)
        self.tokens[key] = (fingerprint, result)
        return result

    def _hooks(self) -> dict[str, Hook]:
        allow_http = self.root_control.config.emulator.allowHttpLoopbackEndpoints

        def endpoint(value: Any, path: str) -> list[Issue] | None:
            return [] if allow_http and isinstance(value, str) and is_loopback_http(value) else None

        return {"McpServerTargetConfigurationEndpointString": endpoint, "PassthroughEndpoint": endpoint}


def _region(headers: Mapping[str, str], default: str) -> str:
    """The region of SigV4's credential scope (`Credential=AKID/20260101/us-west-2/bedrock-agentcore/...`)."""
    match = _SCOPE.search(headers.get("authorization", ""))
    return match.group(1) if match else default


def _issue(error: Mapping[str, Any], prefix: str) -> Issue:
    path = ".".join(str(part) for part in error.get("loc", ()))
    if prefix and path.startswith(prefix):
        path = path[len(prefix):].lstrip(".")
    return Issue(path, str(error.get("msg", "")))
