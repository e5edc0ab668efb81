"""The ``/_authstage/`` control plane (docs/control-plane.md): one contract, served alike by every service.

State lives in a :class:`ServiceControl` (moto's backend idea): the service's settings model, its clock, its
request log and its seeded ids, with ``patch``/``replace``/``reset``. Each service subclasses it once, naming its
model (``validate``/``dump``), what a new config rebuilds (``installed``), what a reset clears (``cleared``) and
its extra routes (IdP keys, gateway targets and logs). :class:`ControlPlane` is the thin ASGI adapter in front of
the service's app: it answers ``/_authstage/...`` from a route table, after the guards of :mod:`authstage_kit.access`,
with a body and depth limit and the one error shape of :mod:`authstage_kit.errors`; every other path (and every
path while the control plane is off) goes to the service's own app, which answers as the emulated product does.

Built-in routes (every service)::

    GET    /_authstage/             the route index
    GET    /_authstage/config       the settings document
    PATCH  /_authstage/config       RFC 7396 merge patch           400 invalid_config + every problem
    PUT    /_authstage/config       a whole settings document      400 invalid_config + every problem
    POST   /_authstage/reset        back to the creation-time config; runtime state, log and clock cleared
    GET    /_authstage/clock        {"now", "frozen", "offset"}
    POST   /_authstage/clock        {"freeze"|"at"|"advance"|"offset"}
    GET    /_authstage/log?since=N  {"records": [...], "next": seq}
    DELETE /_authstage/log          204
"""

from __future__ import annotations

import inspect
import json
import random
import sys
import threading
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError
from starlette.types import ASGIApp, Receive, Scope, Send

from authstage_kit import ids
from authstage_kit.access import Access
from authstage_kit.clock import Clock
from authstage_kit.errors import ControlError, problems_of
from authstage_kit.merge import merge_patch
from authstage_kit.redact import nesting
from authstage_kit.reqlog import CONTROL_PREFIX, RequestLog, RequestLogMiddleware

__all__ = [
    "MAX_BODY_BYTES",
    "MAX_DEPTH",
    "ControlPlane",
    "ControlRequest",
    "ControlRoute",
    "ServiceControl",
    "install",
    "reset_service",
]

MAX_BODY_BYTES = 1 << 20  # 1 MiB: a whole tenant or gateway document fits many times over
MAX_DEPTH = 64  # no settings document nests anywhere near this deep

M = TypeVar("M", bound=BaseModel)
Handler = Callable[["ControlRequest"], Awaitable[Any] | Any]


@dataclass
class ControlRequest:
    """A parsed control-plane request, free of any web framework."""

    method: str
    path: str
    params: dict[str, str]
    query: dict[str, str]
    body: Any  # the parsed JSON body; {} when there was none
    empty: bool = False  # no body was sent

    def object_body(self, what: str = "body") -> dict[str, Any]:
        if not isinstance(self.body, dict):
            raise ControlError.invalid("invalid_request", "(body)", f"the {what} must be a JSON object")
        return self.body

    def document(self, error: str) -> Any:
        """The body of a config request: required (an empty PUT must not wipe a config)."""
        if self.empty:
            raise ControlError.invalid(error, "(body)", "a JSON body is required")
        return self.body

    def since(self) -> int:
        raw = self.query.get("since", "0")
        try:
            return int(raw)
        except ValueError:
            raise ControlError.invalid("invalid_request", "since", f"not an integer: {raw[:32]!r}") from None


@dataclass(frozen=True)
class ControlRoute:
    """``method path`` → handler; ``{name}`` segments become ``params``. A handler returns a JSON-able value
    (answered 200), ``None`` (204), or raises :class:`ControlError`."""

    method: str
    path: str
    handler: Handler
    summary: str = ""
    error: str = "invalid_request"  # the error code of a body that is not JSON / too deep for this route
    _segments: tuple[str, ...] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(
            self, "_segments", tuple(self.path.strip("/").split("/")) if self.path.strip("/") else ()
        )

    def match(self, path: str) -> dict[str, str] | None:
        parts = tuple(path.strip("/").split("/")) if path.strip("/") else ()
        if len(parts) != len(self._segments):
            return None
        params: dict[str, str] = {}
        for pattern, part in zip(self._segments, parts, strict=True):
            if pattern.startswith("{") and pattern.endswith("}"):
                params[pattern[1:-1]] = part
            elif pattern != part:
                return None
        return params


class ServiceControl(Generic[M]):
    """Config, clock, request log and seeded ids of one running service; the state behind its control plane."""

    service: str = "service"

    def __init__(self, model: M, *, access: Access | None = None, max_records: int = 10000) -> None:
        self._lock = threading.RLock()
        self._initial = model.model_copy(deep=True)
        self._model = model
        self.access = access or Access()
        self.clock = Clock()
        self.log = RequestLog(service=self.service, clock=self.clock, max_records=max_records)
        self.ids: random.Random | None = None
        self._seed: int | None = None
        self._installed(None, model, reseed=True)

    # -- what a service says about its model ----------------------------------------------------------------------
    def validate(self, document: dict[str, Any]) -> M:
        """The model of a document; raises pydantic's ValidationError or a ControlError naming every problem."""
        raise NotImplementedError

    def dump(self, model: M) -> dict[str, Any]:
        return model.model_dump(mode="json")

    def enabled(self) -> bool:
        """Whether ``/_authstage/`` is served (off: every path answers as the product answers an unknown path)."""
        return True

    def reason_header(self) -> bool:
        """Whether refusals carry the opt-in ``X-Authstage-Reason`` response header (the service's knob)."""
        return False

    def seed(self) -> int | None:
        """The seed of the service's ids (None: random)."""
        return None

    def max_records(self) -> int | None:
        return None

    def installed(self, old: M | None, new: M) -> None:
        """Rebuild what derives from the config after ``new`` replaced ``old`` (None at creation)."""

    def cleared(self) -> None:
        """Clear the runtime state on reset (codes, sessions, caches, ...)."""

    async def after_reset(self) -> None:
        """Async cleanup after a reset over HTTP (connection pools)."""

    def routes(self) -> list[ControlRoute]:
        """The service's extra control-plane routes."""
        return []

    # -- the contract -----------------------------------------------------------------------------------------------
    @property
    def config(self) -> M:
        return self._model

    def document(self) -> dict[str, Any]:
        return self.dump(self._model)

    def patch(self, patch: Any) -> M:
        """RFC 7396 merge patch of the whole document; the old config stays when the result does not validate."""
        if not isinstance(patch, dict):
            raise ControlError.invalid("invalid_config", "(body)", "a merge patch must be a JSON object")
        with self._lock:
            return self._apply(merge_patch(self.document(), patch))

    def replace(self, document: M | dict[str, Any]) -> M:
        with self._lock:
            if isinstance(document, BaseModel):
                document = self.dump(document)
            if not isinstance(document, dict):
                raise ControlError.invalid(
                    "invalid_config", "(body)", "a settings document must be a JSON object"
                )
            return self._apply(document)

    def reset(self) -> None:
        """Back to the creation-time config; runtime state, log and clock cleared."""
        with self._lock:
            old, self._model = self._model, self._initial.model_copy(deep=True)
            self._installed(old, self._model, reseed=True)
            self.cleared()
            self.log.clear()
            self.clock.reset()

    def reinitialize(self, model: M) -> None:
        """Make ``model`` the creation-time config, then reset (a fixture reusing one running service per test)."""
        with self._lock:
            self._initial = model.model_copy(deep=True)
            self.reset()

    def records(self, since: int = 0) -> list[dict[str, Any]]:
        return self.log.records(since)

    def subscribe(self, callback: Callable[[Any], None], *, pending: bool = False) -> Callable[[], None]:
        return self.log.subscribe(callback, pending=pending)

    def _apply(self, document: dict[str, Any]) -> M:
        try:
            new = self.validate(document)
        except ValidationError as exc:
            errors = exc.errors(include_url=False)
            raise ControlError(400, "invalid_config", problems_of(errors, type(self._model))) from exc
        old, self._model = self._model, new
        self._installed(old, new, reseed=False)
        return new

    def _installed(self, old: M | None, new: M, *, reseed: bool) -> None:
        seed = self.seed()
        if reseed or seed != self._seed:  # re-seeded at creation, on reset and when the seed changes
            self.ids = None if seed is None else random.Random(seed)
            self._seed = seed
        limit = self.max_records()
        if limit is not None:
            self.log.resize(limit)
        self.installed(old, new)


async def reset_service(control: ServiceControl[Any]) -> dict[str, Any]:
    """`POST /_authstage/reset`: back to the start config (state, log, clock cleared), then the async cleanup; on
    the service's event loop (an in-process stack runs it there directly, `Stack.reset`)."""
    control.reset()
    await control.after_reset()
    return {"reset": True}


def _builtin_routes(control: ServiceControl[Any]) -> list[ControlRoute]:
    async def reset(request: ControlRequest) -> Any:
        return await reset_service(control)

    def log(request: ControlRequest) -> Any:
        since = request.since()
        records = control.records(since)
        return {"records": records, "next": records[-1]["seq"] if records else max(since, 0)}

    def clear_log(request: ControlRequest) -> None:
        control.log.clear()

    return [
        ControlRoute("GET", "/config", lambda r: control.document(), "the settings document"),
        ControlRoute(
            "PATCH",
            "/config",
            lambda r: control.dump(control.patch(r.document("invalid_config"))),
            "RFC 7396 merge patch",
            "invalid_config",
        ),
        ControlRoute(
            "PUT",
            "/config",
            lambda r: control.dump(control.replace(r.document("invalid_config"))),
            "a whole settings document",
            "invalid_config",
        ),
        ControlRoute("POST", "/reset", reset, "back to the start config; state, log, clock cleared"),
        ControlRoute("GET", "/clock", lambda r: control.clock.state(), "the service's clock"),
        ControlRoute(
            "POST",
            "/clock",
            lambda r: control.clock.apply(r.body),
            "freeze, at, advance, offset",
            "invalid_clock",
        ),
        ControlRoute("GET", "/log", log, "request records after ?since=N"),
        ControlRoute("DELETE", "/log", clear_log, "clear the request log"),
    ]


class ControlPlane:
    """ASGI middleware: ``/_authstage/...`` answered from ``control``; everything else passed to ``app``.

    Every request (control plane or not) is served with the service's seeded ids in force."""

    def __init__(self, app: ASGIApp, *, control: ServiceControl[Any]) -> None:
        self.app = app
        self.control = control
        self.table = [*_builtin_routes(control), *control.routes()]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token = ids.seeded(self.control.ids)
        try:
            path = scope.get("path", "") if scope["type"] == "http" else ""
            if (path == CONTROL_PREFIX or path.startswith(CONTROL_PREFIX + "/")) and self.control.enabled():
                await self._serve(scope, receive, send)
            else:
                await self.app(scope, receive, send)
        finally:
            ids.reset(token)

    async def _serve(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            status, body = await self._answer(scope, receive)
            headers: dict[str, str] = {}
        except ControlError as exc:
            status, body, headers = exc.status, exc.body(), exc.headers
        except Exception as exc:  # a bug of ours: answered in the one shape, never a traceback on the wire
            print(
                f"authstage {self.control.service} control plane: {type(exc).__name__}: {exc}",
                file=sys.stderr,
            )
            status, headers = 500, {}
            body = {
                "error": "internal_error",
                "detail": [{"loc": "(server)", "msg": f"{type(exc).__name__}"}],
            }
        await _respond(send, status, body, headers)

    async def _answer(self, scope: Scope, receive: Receive) -> tuple[int, Any]:
        method = scope["method"]
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        self.control.access.check(method, headers)
        sub = scope["path"][len(CONTROL_PREFIX) :] or "/"
        candidates = [(route, params) for route in self.table if (params := route.match(sub)) is not None]
        if sub.strip("/") == "" and method == "GET":
            return 200, self._index()
        if not candidates:
            raise ControlError.invalid(
                "not_found", "path", f"no control-plane route {scope['path']!r:.120}; GET {CONTROL_PREFIX}/ lists them",
                status=404,
            )  # fmt: skip
        chosen = [(route, params) for route, params in candidates if route.method == method]
        if not chosen:
            allowed = sorted({route.method for route, _ in candidates})
            error = ControlError.invalid(
                "method_not_allowed", "method", f"{method} not allowed; use {allowed}", status=405
            )
            error.headers["Allow"] = ", ".join(allowed)
            raise error
        route, params = chosen[0]
        body = await _read_json(scope, receive, headers, route.error)
        query = _query(scope)
        result = route.handler(
            ControlRequest(method, sub, params, query, {} if body is None else body, body is None)
        )
        if inspect.isawaitable(result):
            result = await result
        return (204, None) if result is None else (200, result)

    def _index(self) -> dict[str, Any]:
        return {
            "service": self.control.service,
            "routes": [
                {"method": r.method, "path": CONTROL_PREFIX + r.path, "summary": r.summary}
                for r in self.table
            ],
        }


def _query(scope: Scope) -> dict[str, str]:
    from urllib.parse import parse_qsl

    return dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True))


async def _read_json(scope: Scope, receive: Receive, headers: dict[str, str], error: str) -> Any:
    """The JSON body (None when empty), refused beyond MAX_BODY_BYTES (413) or MAX_DEPTH (400, ``error``); a bad
    body is never echoed back."""
    declared = headers.get("content-length", "")
    if declared.isdigit() and int(declared) > MAX_BODY_BYTES:
        raise _too_large(int(declared))
    raw = bytearray()
    more = True
    while more:
        message = await receive()
        if message["type"] == "http.disconnect":
            break
        raw.extend(message.get("body", b""))
        more = message.get("more_body", False)
        if len(raw) > MAX_BODY_BYTES:
            raise _too_large(len(raw))
    if not raw.strip():
        return None
    try:
        body = json.loads(raw, parse_constant=_no_constant)
    except RecursionError:
        raise ControlError.invalid(error, "(body)", f"nested deeper than {MAX_DEPTH} levels") from None
    except (ValueError, UnicodeDecodeError) as exc:
        raise ControlError.invalid(error, "(body)", f"not JSON: {str(exc)[:120]}") from None
    if nesting(body) > MAX_DEPTH:
        raise ControlError.invalid(error, "(body)", f"nested deeper than {MAX_DEPTH} levels")
    return body


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not JSON (RFC 8259 §6)")


def _too_large(size: int) -> ControlError:
    return ControlError.invalid(
        "payload_too_large",
        "(body)",
        f"{size} bytes; the control plane takes at most {MAX_BODY_BYTES}",
        status=413,
    )


async def _respond(send: Send, status: int, body: Any, headers: dict[str, str]) -> None:
    payload = b"" if status == 204 else json.dumps(body, separators=(",", ":")).encode()
    raw = [(b"cache-control", b"no-store")]
    if status != 204:
        raw += [(b"content-type", b"application/json"), (b"content-length", str(len(payload)).encode())]
    raw += [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers.items()]
    await send({"type": "http.response.start", "status": status, "headers": raw})
    await send({"type": "http.response.body", "body": payload})


def install(app: Any, control: ServiceControl[Any]) -> None:
    """Put the request log and the control plane in front of a Starlette/FastAPI ``app`` (call it last, after the
    app's own middleware): ``ControlPlane`` outermost, then ``RequestLogMiddleware``. ``app.state.control`` is set."""
    app.add_middleware(RequestLogMiddleware, log=control.log, reason_header=control.reason_header)
    app.add_middleware(ControlPlane, control=control)
    app.state.control = control
