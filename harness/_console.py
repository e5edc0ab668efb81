"""The browser view: one page that shows the whole stack live, served by the harness on its own port.

Data path (docs/control-plane.md "The browser view"): the page talks only to this console, same origin; the console
reaches the three services' control planes server-side, over HTTP, with the stack's control token. No service
grants CORS, and the control planes keep every guard: a page on one service's origin never reads another's.
The console's own `/api/` passes the same guards as a control plane (`authstage_kit.access`: Host, cross-site,
JSON, and the control token when the stack listens beyond loopback; the page reads it from `#token=` once).

Offline: the page, its script and its stylesheet are package files; the sequence diagram is SVG drawn here
(`_sequence`); no CDN, no font download.

    GET  /                       the page            GET  /api/state          manifest, configs, clocks, knobs
    GET  /api/events?since=...   new request records GET  /api/diagram?since= the sequence diagram (SVG)
    GET  /api/trace.html?since=  the trace as a self-contained HTML report
    POST /api/explain            decode + the running gateway's checks, on its clock
    POST /api/fault              rotate keys, move the clocks, flip a knob, patch, reset
    POST /api/login              start "log in as a user" (`_console_login`); GET /callback ends it
    GET  /api/logins/{id}        how a login ended
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import AsyncIterator, Awaitable, Callable
from importlib import resources
from typing import TYPE_CHECKING, Any

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from authstage_kit.access import TOKEN_HEADER
from authstage_kit.errors import ControlError
from authstage_kit.tls import client_context
from harness._config import render
from harness._console_login import LoginFlows
from harness._fixes import fix_of
from harness._report_html import trace_html
from harness._sequence import sequence_svg
from harness._token import decode_token

if TYPE_CHECKING:
    from harness._stack import Stack

__all__ = ["KNOBS", "Console", "start_console"]

SERVICES = ("idp", "gateway", "mcp")
STATIC = {"console.js": "text/javascript", "console.css": "text/css"}
CSP = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; frame-ancestors 'none'"
DIAGRAM_RECORDS = 60  # the newest requests the diagram draws

# One-click knobs: a label, then the merge patch per service (`${...}` are the stack's variables).
KNOBS: dict[str, tuple[str, dict[str, Any]]] = {
    "resource-ignored": ("IdP ignores RFC 8707 `resource` (Auth0 before the compatibility profile)",
                         {"idp": {"settings": {"resource_parameter_profile": "ignore"}}}),
    "audience-trailing-slash": ("Gateway allowedAudience with a trailing slash", {"gateway": {
        "authorizerConfiguration": {"customJWTAuthorizer": {"allowedAudience": ["${gateway.mcp_url}/"]}}}}),
    "dcr-off": ("IdP: Dynamic Client Registration off (still advertised)",
                {"idp": {"settings": {"enable_dynamic_client_registration": False}}}),
    "debug-errors": ("Gateway exceptionLevel DEBUG (real reasons in tool errors)",
                     {"gateway": {"exceptionLevel": "DEBUG"}}),
    "reason-header": ("Every refusal carries X-Authstage-Reason", {
        "idp": {"emulator": {"reason_header": True}}, "gateway": {"emulator": {"reasonHeader": True}},
        "mcp": {"reason_header": True}}),
}


def _marks(text: str | None) -> dict[str, int]:
    """`idp:3,gateway:7,mcp:0` → each service's last seen seq."""
    marks = dict.fromkeys(SERVICES, 0)
    for part in (text or "").split(","):
        name, _, value = part.partition(":")
        if name in marks and value.isdigit():
            marks[name] = int(value)
    return marks


class Console:
    """The console of one running in-process stack."""

    def __init__(self, stack: Stack, url: str) -> None:
        self.stack = stack
        self.url = url
        self.logins = LoginFlows(stack.gateway.mcp_url, url + "/callback")
        self._http: httpx.AsyncClient | None = None

    # -- reaching the control planes (server-side) --------------------------------------------------------------
    async def control(self, service: str, method: str, path: str, body: Any = None) -> Any:
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=30, trust_env=False, verify=client_context())
        headers = {TOKEN_HEADER: self.stack.access.token} if self.stack.access.token else {}
        url = f"{getattr(self.stack, service).url}/_authstage/{path}"
        response = await self._http.request(method, url, json=body if method != "GET" else None, headers=headers)
        if response.status_code >= 400:
            raise ControlError.invalid("invalid_request", service, f"{method} {path}: {response.text[:300]}",
                                       status=response.status_code)
        return response.json() if response.content else None

    async def records(self, since: dict[str, int]) -> tuple[list[dict[str, Any]], dict[str, int]]:
        found: list[dict[str, Any]] = []
        marks = dict(since)
        for service in SERVICES:
            answer = await self.control(service, "GET", f"log?since={since[service]}")
            found += answer["records"]
            marks[service] = answer["next"]
        found.sort(key=lambda r: (r["time"], r["service"], r["seq"]))
        for record in found:
            record["fix"] = fix_of(record)
        return found, marks

    # -- the API --------------------------------------------------------------------------------------------------
    async def state(self, request: Request) -> Any:
        configs = {s: await self.control(s, "GET", "config") for s in SERVICES}
        clocks = {s: await self.control(s, "GET", "clock") for s in SERVICES}
        knobs = [{"id": key, "label": label} for key, (label, _) in KNOBS.items()]
        return {"manifest": self.stack.manifest, "configs": configs, "clocks": clocks, "knobs": knobs}

    async def events(self, request: Request) -> Any:
        records, marks = await self.records(_marks(request.query_params.get("since")))
        return {"records": records, "next": ",".join(f"{k}:{v}" for k, v in marks.items())}

    async def diagram(self, request: Request) -> Response:
        records, _ = await self.records(_marks(request.query_params.get("since")))
        return Response(sequence_svg(records[-DIAGRAM_RECORDS:], title="live trace"), media_type="image/svg+xml")

    async def trace(self, request: Request) -> Response:
        records, _ = await self.records(_marks(request.query_params.get("since")))
        return HTMLResponse(trace_html(records, title="authstage trace"),
                            headers={"Content-Disposition": 'attachment; filename="authstage-trace.html"'})

    async def explain(self, request: Request) -> Any:
        token = (await _json(request)).get("token")
        if not isinstance(token, str) or not token.strip():
            raise ControlError.invalid("invalid_request", "token", 'send {"token": "<jwt>"}')
        token = token.strip().removeprefix("Bearer ").strip()
        checks = (await self.control("gateway", "POST", "explain", {"token": token}))["checks"]
        clock = await self.control("gateway", "GET", "clock")
        return {"decoded": decode_token(token), "checks": checks, "gateway_clock": clock}

    async def fault(self, request: Request) -> Any:
        body = await _json(request)
        action = body.get("action")
        if action == "reset":
            return {s: await self.control(s, "POST", "reset", {}) for s in SERVICES}
        if action == "rotate_keys":
            rotated = await self.control("idp", "POST", "keys/rotate", {})
            if body.get("revoke_previous"):
                await self.control("idp", "POST", "keys/revoke", {})
            return rotated
        if action == "clock":
            move = {k: body[k] for k in ("advance", "offset", "freeze", "at") if k in body}
            return {s: await self.control(s, "POST", "clock", move) for s in SERVICES}
        if action in ("knob", "patch"):
            patches = self._patches(body)
            return {s: await self.control(s, "PATCH", "config", p) for s, p in patches.items()}
        raise ControlError.invalid("invalid_request", "action",
                                   "action is one of reset, rotate_keys, clock, knob, patch")

    def _patches(self, body: dict[str, Any]) -> dict[str, Any]:
        if body.get("action") == "knob":
            if body.get("knob") not in KNOBS:
                raise ControlError.invalid("invalid_request", "knob", f"one of {sorted(KNOBS)}")
            patches = KNOBS[body["knob"]][1]
        else:
            if body.get("service") not in SERVICES or not isinstance(body.get("patch"), dict):
                raise ControlError.invalid("invalid_request", "patch", '{"service": "idp|gateway|mcp", "patch": {...}}')
            patches = {body["service"]: body["patch"]}
        rendered: dict[str, Any] = render(patches, self.stack.variables, where="console")
        return rendered

    async def login(self, request: Request) -> Any:
        mark = (await self.control("gateway", "GET", "log?since=0"))["next"]
        flow = await self.logins.start()
        flow.gateway_mark = mark
        return {"id": flow.id, "authorize_url": flow.authorize_url, **flow.public()}

    async def login_result(self, request: Request) -> Any:
        flow = self.logins.flows.get(request.path_params["id"])
        if flow is None:
            raise ControlError.invalid("not_found", "id", "no such login", status=404)
        if flow.done.is_set() and not flow.outcome.get("ok") and "refusal" not in flow.outcome:
            # The SDK says only "Server returned an error response": add the gateway's own reason and fix.
            records = (await self.control("gateway", "GET", f"log?since={flow.gateway_mark}"))["records"]
            refused = [r for r in records if r["status"] >= 400 and r["path"].endswith("/mcp")]
            if refused:
                last = refused[-1]
                flow.outcome["refusal"] = {"status": last["status"], "reason": last["reason"], "fix": fix_of(last)}
        return flow.public()

    async def callback(self, request: Request) -> Response:
        flow = await self.logins.callback(dict(request.query_params))
        if flow is None:
            return HTMLResponse("<p>No login of this console is waiting for this redirect.</p>", status_code=400)
        return RedirectResponse(f"/#login={flow.id}", status_code=303)

    # -- the app ----------------------------------------------------------------------------------------------------
    def guarded(self, handler: Callable[[Request], Awaitable[Any]]) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            try:
                headers = {k.lower(): v for k, v in request.headers.items()}
                self.stack.access.check(request.method, headers)
                result = await handler(request)
            except ControlError as exc:
                return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers)
            except httpx.HTTPError as exc:
                return JSONResponse({"error": "unreachable", "detail": [{"loc": "(stack)", "msg": str(exc)}]}, 502)
            if isinstance(result, Response):
                return result
            return JSONResponse(result, headers={"Cache-Control": "no-store"})

        return endpoint

    async def page(self, request: Request) -> Response:
        name = request.path_params.get("name", "index.html")
        if name != "index.html" and name not in STATIC:
            return Response("not found", 404)
        text = resources.files("harness").joinpath("console", name).read_text(encoding="utf-8")
        media = STATIC.get(name, "text/html")
        return Response(text, media_type=media, headers={"Content-Security-Policy": CSP, "Cache-Control": "no-store"})

    def app(self) -> Starlette:
        g = self.guarded
        routes = [
            Route("/", self.page), Route("/static/{name}", self.page),
            Route("/api/state", g(self.state)), Route("/api/events", g(self.events)),
            Route("/api/diagram", g(self.diagram)), Route("/api/trace.html", g(self.trace)),
            Route("/api/explain", g(self.explain), methods=["POST"]),
            Route("/api/fault", g(self.fault), methods=["POST"]),
            Route("/api/login", g(self.login), methods=["POST"]),
            Route("/api/logins/{id}", g(self.login_result)),
            Route("/callback", self.callback),
        ]
        return Starlette(routes=routes, lifespan=self._lifespan)

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        yield
        await self.close()

    async def close(self) -> None:
        await self.logins.close()
        if self._http is not None:
            await self._http.aclose()


async def _json(request: Request) -> dict[str, Any]:
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        raise ControlError.invalid("invalid_request", "(body)", "not JSON") from None
    if not isinstance(body, dict):
        raise ControlError.invalid("invalid_request", "(body)", "the body must be a JSON object")
    return body


def start_console(stack: Stack, port: int | None = None) -> str:
    """Serve the browser view of `stack` and return its URL: port N+3 with a port base, else a free one; the same
    host and public name as the IdP and the gateway, the same guards as their control planes."""
    from authstage_kit.runner import ServerThread, bind_socket
    from harness._public import reachable_url

    if stack.console_server is None:
        if port is None:
            port = 0 if stack.port_base is None else stack.port_base + 3
        sock = bind_socket(stack.host, port)
        url = reachable_url(sock, stack.public_url)
        server = ServerThread(Console(stack, url).app(), sock=sock, name="authstage-console")
        server.url = url
        stack.console_server = server.start()
    return stack.console_server.url
