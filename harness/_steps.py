"""Step execution: each kind of scenario step sends the real HTTP requests a client sends (docs/writing-scenarios.md).

`execute` resolves a step's `${...}` references, runs the function of its kind (`STEPS`; in the fixed run, the
kind of the step its `fix` replaces it with) and adds the request records its expectations read. A step function
takes the step's `StepContext` and its resolved spec and returns an `Observation`: what the step observed (matched
against `expect`), what it sent (shown in the report), and what `as: NAME` keeps for later steps' `${NAME...}`
references; a reference reads into any JWT it meets (`${tok.access_token.claims.sub}`, `${tok.id_token.header.kid}`,
and `${tok.claims.x}` / `${tok.header.x}` for the access token of a token response).
"""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode, urlsplit

import httpx

from harness._client_checks import client_checks
from harness._clients import HeadlessBrowser
from harness._config import StackFile, compose_section, render
from harness._exceptions import AuthstageError, ScenarioStepError
from harness._token import decode_token
from harness._variables import REFERENCE

if TYPE_CHECKING:
    from harness._scenario import Step
    from harness._stack import Service, Stack

__all__ = ["STEPS", "USER_AGENT", "Observation", "StepContext", "execute", "parse_body", "resolve"]

USER_AGENT = "authstage-replay/0.1"
_REF = REFERENCE
TOKEN_PARTS = ("claims", "header")  # what a reference reads from a JWT: ${tok.access_token.claims.sub}

Observation = tuple[dict[str, Any], dict[str, Any], Any]  # observed, request (for the report), saved (for `as:`)


@dataclass
class StepContext:
    """What one step runs with: the stack, the replay's client, this run's stack file, the values saved so far."""

    stack: Stack
    http: httpx.Client
    run_stack: StackFile = field(default_factory=StackFile)
    saved: dict[str, Any] = field(default_factory=dict)
    step: Step | None = None


def execute(step: Step, mode: str, context: StepContext, expected: dict[str, Any]) -> Observation:
    """Run `step` as `mode` sends it; with `log`/`app_log` expectations, observe the records it caused too."""
    stack = context.stack
    marks = {service.name: _last_seq(service) for service in stack.services} if "log" in expected else {}
    app_mark = _app_log_mark(stack) if "app_log" in expected else 0
    spec = resolve(step.spec_for(mode), context)
    observed, request, saved = STEPS[step.kind_for(mode)](context, spec)
    if "log" in expected:
        observed["log"] = [r for s in stack.services for r in s.log(marks[s.name])]
    if "app_log" in expected:
        observed["app_log"] = _app_logs(stack, app_mark)
    return observed, request, saved


# -- references -------------------------------------------------------------------------------------------------------
def resolve(value: Any, context: StepContext) -> Any:
    """`${...}` in step specs: saved step values (`${tok.access_token}`), stack URLs, `${clients.NAME.client_id}`."""
    if isinstance(value, str):
        whole = _REF.fullmatch(value)
        if whole:
            return _lookup(whole.group(1), context)
        return _REF.sub(lambda m: str(_lookup(m.group(1), context)), value)
    if isinstance(value, dict):
        return {k: resolve(v, context) for k, v in value.items()}
    if isinstance(value, list):
        return [resolve(v, context) for v in value]
    return value


def _lookup(name: str, context: StepContext) -> Any:
    stack = context.stack
    if name in stack.variables:
        return stack.variables[name]
    head, *rest = name.split(".")
    manifest = stack.manifest
    roots = {**context.saved, "clients": manifest["clients"], "users": manifest["users"], "apis": manifest["apis"]}
    if head not in roots:
        raise AuthstageError(f"unknown reference ${{{name}}}: no step saved `{head}` (as: {head})")
    value = roots[head]
    while rest:
        value, rest = _step_into(value, rest, name)
    return value


def _step_into(value: Any, rest: list[str], name: str) -> tuple[Any, list[str]]:
    """One step of a reference: an object key (the longest that exists: e-mail addresses have dots), a list
    index, or the `claims`/`header` of a JWT (of the access token, for a token response)."""
    if rest[0] in TOKEN_PARTS and isinstance(value, dict) and rest[0] not in value and "access_token" in value:
        value = value["access_token"]
    if rest[0] in TOKEN_PARTS and isinstance(value, str):
        decoded = decode_token(value)
        if decoded["kind"] != "JWS" and not (rest[0] == "header" and decoded["header"] is not None):
            raise AuthstageError(f"reference ${{{name}}}: the value before `{rest[0]}` is not a JWT ({decoded['kind']})")
        return decoded[rest[0]], rest[1:]
    if isinstance(value, dict):
        for size in range(len(rest), 0, -1):
            key = ".".join(rest[:size])
            if key in value:
                return value[key], rest[size:]
    elif isinstance(value, list) and rest[0].isdigit() and int(rest[0]) < len(value):
        return value[int(rest[0])], rest[1:]
    raise AuthstageError(f"reference ${{{name}}}: `{rest[0]}` not found")


# -- observing --------------------------------------------------------------------------------------------------------
def parse_body(response: httpx.Response) -> tuple[Any, str]:
    """The JSON body (of an event stream: its last JSON-RPC answer) and the text of a response."""
    text = response.text
    kind = response.headers.get("content-type", "")
    if "text/event-stream" in kind:
        messages = []
        for line in text.splitlines():
            if line.startswith("data:"):
                try:
                    messages.append(json.loads(line[5:].strip()))
                except ValueError:
                    continue
        answers = [m for m in messages if isinstance(m, dict) and ("result" in m or "error" in m)]
        return (answers[-1] if answers else (messages[-1] if messages else None)), text
    try:
        return response.json(), text
    except ValueError:
        return None, text


def _observe(response: httpx.Response) -> dict[str, Any]:
    body, text = parse_body(response)
    return {"status": response.status_code, "headers": dict(response.headers), "json": body, "text": text[:4000]}


def _with_token_claims(observed: dict[str, Any], token: Any) -> dict[str, Any]:
    decoded = decode_token(token) if isinstance(token, str) and token else {"kind": "none", "header": None, "claims": None}
    observed["token_kind"] = decoded["kind"]
    if decoded["claims"] is not None:
        observed["claims"] = decoded["claims"]
    if decoded["header"] is not None:
        observed["token_header"] = decoded["header"]
    return observed


def _with_tokens(observed: dict[str, Any], body: Any) -> dict[str, Any]:
    """The decoded access token (`claims`, `token_header`, `token_kind`) and ID token (`id_token_claims`,
    `id_token_header`) of a token response."""
    body = body if isinstance(body, dict) else {}
    _with_token_claims(observed, body.get("access_token"))
    id_token = body.get("id_token")
    if isinstance(id_token, str) and id_token:
        decoded = decode_token(id_token)
        if decoded["claims"] is not None:
            observed["id_token_claims"] = decoded["claims"]
        if decoded["header"] is not None:
            observed["id_token_header"] = decoded["header"]
    return observed


def _last_seq(service: Service) -> int:
    records = service.log()
    return int(records[-1]["seq"]) if records else 0


def _app_log_mark(stack: Stack) -> int:
    records = _app_logs(stack, 0)
    return int(records[-1].get("seq", len(records))) if records else 0


def _app_logs(stack: Stack, since: int) -> list[dict[str, Any]]:
    body = stack.http.get(f"{stack.gateway.url}/_authstage/logs", params={"since": since}).json()
    records: list[dict[str, Any]] = body.get("records", body) if isinstance(body, dict) else body
    return records


# -- the token endpoint -------------------------------------------------------------------------------------------
def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def _client(context: StepContext, spec: dict[str, Any], default: str = "demo-m2m") -> dict[str, Any]:
    """The client a step acts as: inline `client_id`/`client_secret`, else the tenant's `client` by name."""
    if spec.get("client_id"):
        return {"client_id": spec["client_id"], "client_secret": spec.get("client_secret"),
                "token_endpoint_auth_method": "client_secret_post" if spec.get("client_secret") else "none"}
    info = dict(context.stack.client(spec.get("client", default)))
    if "client_secret" in spec:
        info["client_secret"] = spec["client_secret"]
    return info


def _post_token(context: StepContext, body: dict[str, Any], client: dict[str, Any], auth: str | None = None,
                encoding: str = "form", host: str | None = None) -> httpx.Response:
    """POST the IdP's token endpoint as `client` authenticates (`auth`: basic, post or none; else its own method)."""
    stack = context.stack
    method = auth or {"client_secret_basic": "basic", "none": "none"}.get(
        client.get("token_endpoint_auth_method", ""), "post" if client.get("client_secret") else "none"
    )
    headers: dict[str, str] = {}
    if host:  # the IdP derives the issuer from the Host it was called by (Auth0: "whichever domain you used")
        headers["Host"] = host if ":" in host else f"{host}:{urlsplit(stack.idp.url).port}"
    body = {"client_id": client["client_id"], **body}
    if method == "basic":
        body.pop("client_id", None)
        pair = f"{client['client_id']}:{client.get('client_secret') or ''}".encode()
        headers["Authorization"] = "Basic " + base64.b64encode(pair).decode()
    elif method == "post" and client.get("client_secret"):
        body["client_secret"] = client["client_secret"]
    body = {k: v for k, v in body.items() if v is not None}
    if encoding == "json":
        return context.http.post(stack.idp.token_endpoint, json=body, headers=headers)
    return context.http.post(stack.idp.token_endpoint, data=body, headers=headers)


# -- the step kinds ---------------------------------------------------------------------------------------------------
def step_token(context: StepContext, spec: dict[str, Any]) -> Observation:
    client = _client(context, spec)
    body: dict[str, Any] = {"grant_type": spec.get("grant_type", "client_credentials")}
    for key in ("audience", "resource", "scope"):
        if key in spec:
            body[key] = spec[key]
    body.update(spec.get("params", {}))
    response = _post_token(context, body, client, spec.get("auth"), spec.get("encoding", "form"), spec.get("host"))
    observed = _observe(response)
    return _with_tokens(observed, observed["json"]), {"grant_type": body["grant_type"]}, observed["json"]


def step_register(context: StepContext, spec: dict[str, Any]) -> Observation:
    response = context.http.post(context.stack.idp.registration_endpoint, json=spec.get("body", {}))
    observed = _observe(response)
    return observed, {"body": spec.get("body", {})}, observed["json"]


def _authorize_query(spec: dict[str, Any], client: dict[str, Any], redirect_uri: str,
                     verifier: str, challenge: str) -> dict[str, str]:
    """The `/authorize` query of an authorize step: PKCE as `pkce:` says (S256, plain or none), then the spec's own."""
    query = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
             "state": secrets.token_urlsafe(12)}
    pkce = spec.get("pkce", "S256")
    if pkce == "S256":
        query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
    elif pkce == "plain":
        query |= {"code_challenge": verifier, "code_challenge_method": "plain"}
    for key in ("scope", "audience", "resource"):
        if key in spec:
            query[key] = spec[key]
    if spec.get("user"):
        query["login_hint"] = spec["user"]
    query.update(spec.get("params", {}))
    return query


def step_authorize(context: StepContext, spec: dict[str, Any]) -> Observation:
    """Log in headlessly through `/authorize`, then (unless `exchange: false`) exchange the code for tokens."""
    stack = context.stack
    client = _client(context, spec, default="demo-cli")
    redirect_uri = spec.get("redirect_uri") or (client.get("callbacks") or ["http://127.0.0.1:8976/callback"])[0]
    verifier, challenge = _pkce()
    query = _authorize_query(spec, client, redirect_uri, verifier, challenge)
    user = spec.get("user") or stack.manifest["default_user"]
    password = stack.manifest["users"].get(user, {}).get("password")
    browser = HeadlessBrowser(username=user, password=password, stop_at=redirect_uri, user_agent=USER_AGENT)
    outcome = browser.run(f"{stack.idp.authorization_endpoint}?{urlencode(query)}")
    redirect: dict[str, Any] = dict(outcome.params) if outcome.params else {"page": True, "status": outcome.status,
                                                                           "text": outcome.page[:2000]}
    observed: dict[str, Any] = {"redirect": redirect, "status": outcome.status, "text": outcome.page[:2000],
                                "json": None, "headers": {}}
    saved: dict[str, Any] = {"redirect": redirect, "code": outcome.code, "verifier": verifier}
    if outcome.code and spec.get("exchange", True):
        code_verifier = {"right": verifier, "wrong": _pkce()[0], "missing": None}[spec.get("verifier", "right")]
        if spec.get("pkce", "S256") == "none" and spec.get("verifier", "right") == "right":
            code_verifier = None
        body = {"grant_type": "authorization_code", "code": outcome.code, "redirect_uri": redirect_uri,
                "code_verifier": code_verifier, "resource": spec.get("token_resource", spec.get("resource"))}
        observed.update(_observe(_post_token(context, body, client)))
        if isinstance(observed["json"], dict):
            saved.update(observed["json"])
            _with_tokens(observed, observed["json"])
    return observed, {"authorize": query}, saved


def step_refresh(context: StepContext, spec: dict[str, Any]) -> Observation:
    client = _client(context, spec, default="demo-cli")
    body = {"grant_type": "refresh_token", "refresh_token": spec["refresh_token"]}
    for key in ("scope", "resource"):
        if key in spec:
            body[key] = spec[key]
    observed = _observe(_post_token(context, body, client))
    return _with_tokens(observed, observed["json"]), {"grant_type": "refresh_token"}, observed["json"]


def step_revoke(context: StepContext, spec: dict[str, Any]) -> Observation:
    client = _client(context, spec, default="demo-cli")
    body = {"client_id": client["client_id"], "token": spec["token"]}
    if client.get("client_secret"):
        body["client_secret"] = client["client_secret"]
    observed = _observe(context.http.post(f"{context.stack.idp.url}/oauth/revoke", data=body))
    return observed, {}, observed["json"]


def _jsonrpc_body(spec: dict[str, Any], version: str | None) -> Any:
    """The JSON-RPC message of an `mcp` step: its `body` (any JSON), else one built from `method`/`params` or
    `tool`/`arguments`."""
    if "body" in spec:
        return spec["body"]
    method = spec.get("method", "tools/call" if "tool" in spec else "tools/list")
    params = spec.get("params")
    if "tool" in spec:
        params = {"name": spec["tool"], "arguments": spec.get("arguments", {})}
    body: dict[str, Any] = {"jsonrpc": "2.0", "id": spec.get("id", 1), "method": method}
    if method == "initialize" and params is None:
        params = {"protocolVersion": version or "2025-11-25", "capabilities": {},
                  "clientInfo": {"name": "authstage-replay", "version": "0.1"}}
    if params is not None:
        body["params"] = params
    if method.startswith("notifications/"):
        body.pop("id")
    return body


def step_mcp(context: StepContext, spec: dict[str, Any]) -> Observation:
    """POST one MCP message to the gateway (or, with `target: mcp`, straight to the MCP server)."""
    stack = context.stack
    url = stack.mcp.mcp_url if spec.get("target") == "mcp" else stack.gateway.mcp_url
    headers = {"Accept": spec.get("accept", "application/json, text/event-stream"), "Content-Type": "application/json"}
    version = spec.get("protocol_version", "2025-11-25")
    if version is not None:
        headers["MCP-Protocol-Version"] = version
    if spec.get("token"):
        headers["Authorization"] = f"Bearer {spec['token']}"
    if spec.get("authorization"):
        headers["Authorization"] = spec["authorization"]
    if spec.get("session"):
        headers["Mcp-Session-Id"] = spec["session"]
    headers.update(spec.get("headers", {}))
    content = spec["raw"].encode() if "raw" in spec else json.dumps(_jsonrpc_body(spec, version)).encode()
    response = context.http.post(url, content=content, headers=headers)
    observed = _observe(response)
    saved = {"json": observed["json"], "session": response.headers.get("mcp-session-id"),
             "status": response.status_code}
    return observed, {"url": url, "body": content.decode(errors="replace")[:2000]}, saved


def step_http(context: StepContext, spec: dict[str, Any]) -> Observation:
    stack = context.stack
    base = {"idp": stack.idp, "gateway": stack.gateway, "mcp": stack.mcp}[spec.get("service", "gateway")].url
    kwargs: dict[str, Any] = {"headers": spec.get("headers", {}), "params": spec.get("query")}
    for key in ("json", "data", "content"):
        if key in spec:
            kwargs[key] = spec[key]
    response = context.http.request(spec.get("method", "GET"), base + spec["path"],
                                    follow_redirects=spec.get("follow_redirects", False), **kwargs)
    observed = _observe(response)
    return observed, {"url": base + spec["path"]}, observed["json"]


def step_deploy(context: StepContext, spec: dict[str, Any]) -> Observation:
    """Create services from this run's stack file (as `aws … create-gateway` would) and observe the answer."""
    stack = context.stack
    documents = stack._compose(context.run_stack)
    names = [spec["service"]] if spec.get("service") else ["idp", "mcp", "gateway"]
    bodies: dict[str, Any] = {}
    status = 200
    for name in names:
        service = getattr(stack, name)
        response = stack.http.put(f"{service.url}/_authstage/config", json=documents[name])
        if response.status_code >= 300:  # a success answers the whole config (secrets): not kept
            bodies[name] = parse_body(response)[0]
            status = response.status_code if status < 300 else status
    observed = {"status": status, "json": bodies, "headers": {}, "text": json.dumps(bodies)[:4000]}
    return observed, {"deploy": names}, bodies


def step_fault(context: StepContext, spec: dict[str, Any]) -> Observation:
    """Change running services as a stack file changes the demo: each section merged over the service's current
    config (named lists by name or id, `NAMED_LISTS`), then PUT."""
    stack = context.stack
    for name, patch in spec.items():
        if patch:
            service = getattr(stack, name)
            service.put(compose_section(name, service.config(), [render(patch, stack.variables, where=name)]))
    return {}, {"patch": spec}, None


def step_check(context: StepContext, spec: dict[str, Any]) -> Observation:
    """A strict client's checks (harness._client_checks) on the PRM, the AS metadata and an authorize step's
    redirect; observed as `checks: {name: true|false|null}` and their reasons in `json`."""
    stack = context.stack
    trusted = spec.get("issuer") or _gateway_issuer(context)
    checks = client_checks(
        context.http,
        prm_url=spec.get("prm") or stack.gateway.prm_url,
        resource=spec.get("resource") or stack.gateway.mcp_url,
        trusted=trusted,
        redirect=spec.get("redirect"),
        issuer_rule=spec.get("issuer_rule", "exact"),
        resource_rule=spec.get("resource_rule", "exact"),
    )
    chosen = [c for c in checks if c.name in spec.get("only", [c.name])]
    observed = {"checks": {c.name: c.passed for c in chosen}, "json": [c.as_dict() for c in chosen]}
    return observed, {"check": {k: v for k, v in spec.items() if k != "redirect"}}, observed["json"]


def _gateway_issuer(context: StepContext) -> str | None:
    """The issuer the running gateway validates tokens against (its discoveryUrl's `issuer`), if it has one."""
    jwt = (context.stack.gateway.config().get("authorizerConfiguration") or {}).get("customJWTAuthorizer") or {}
    if not jwt.get("discoveryUrl"):
        return None
    try:
        issuer = context.http.get(jwt["discoveryUrl"]).json().get("issuer")
    except (httpx.HTTPError, ValueError, AttributeError):
        return None
    return issuer if isinstance(issuer, str) else None


def step_clock(context: StepContext, spec: dict[str, Any]) -> Observation:
    stack = context.stack
    target = spec.get("service", "all")
    body = {k: v for k, v in spec.items() if k != "service"}
    state = stack.clock(**body) if target == "all" else getattr(stack, target).clock(**body)
    return {"json": state}, {"clock": spec}, state


def step_rotate_keys(context: StepContext, spec: dict[str, Any]) -> Observation:
    state = context.stack.rotate_keys(revoke_previous=spec.get("revoke_previous", False))
    return {"json": state}, {}, state


def step_explain(context: StepContext, spec: dict[str, Any]) -> Observation:
    stack = context.stack
    # The running gateway explains itself: its config, the keys it fetched, its clock (fake_gateway.explain_token).
    response = stack.http.post(f"{stack.gateway.url}/_authstage/explain", json={"token": spec["token"]})
    if response.status_code != 200:
        raise ScenarioStepError(f"POST /_authstage/explain -> {response.status_code}: {response.text[:300]}",
                                step=context.step, response=response)
    checks = response.json()["checks"]
    observed = {"checks": {check["name"]: check["passed"] for check in checks}, "json": checks}
    return observed, {}, observed["json"]


STEPS: dict[str, Callable[[StepContext, dict[str, Any]], Observation]] = {
    "token": step_token,
    "register": step_register,
    "authorize": step_authorize,
    "refresh": step_refresh,
    "revoke": step_revoke,
    "mcp": step_mcp,
    "http": step_http,
    "fault": step_fault,
    "clock": step_clock,
    "rotate_keys": step_rotate_keys,
    "explain": step_explain,
    "deploy": step_deploy,
    "check": step_check,
}
