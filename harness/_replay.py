"""Replay scenarios against a running stack: broken (the scenario's sections), then fixed (plus `fix`).

One stack serves a whole replay: before each run the services are reset and given the run's documents
(`Stack.apply`), so a catalog of dozens of scenarios replays in seconds. Each step sends real HTTP requests —
the same ones a client sends — and compares what it observes with its `expect` block.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
import re
import secrets
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlencode, urlsplit

import httpx

from harness._clients import HeadlessBrowser
from harness._config import StackFile
from harness._exceptions import AuthstageError, ScenarioLoadError
from harness._report import index_markdown, junit_xml, markdown_report, result_json
from harness._scenario import MODES, Scenario, Step, find_scenarios, load_scenario
from harness._stack import Stack

__all__ = ["Replayer", "RunResult", "StepResult", "match", "run_cli"]

USER_AGENT = "authstage-replay/0.1"
OPERATORS = {"regex", "contains", "not_contains", "absent", "present", "one_of", "not", "equals"}
_REF = re.compile(r"\$\{([A-Za-z_][A-Za-z0-9_-]*(?:\.[A-Za-z0-9_:@+-]+)*)\}")
_MISSING = object()


# -- matching --------------------------------------------------------------------------------------------------------
def match(expected: Any, actual: Any, path: str = "") -> list[str]:
    """Mismatches between an expectation and an observed value ([] = match). Objects are subset-matched."""
    where = path or "value"
    if isinstance(expected, dict) and len(expected) == 1 and next(iter(expected)) in OPERATORS:
        op, operand = next(iter(expected.items()))
        present = actual is not _MISSING and actual is not None
        value = None if actual is _MISSING else actual
        if op == "absent":
            return [] if not present else [f"{where}: expected absent, got {_show(value)}"]
        if op == "present":
            return [] if present else [f"{where}: expected present, got nothing"]
        if op == "regex":
            text = value if isinstance(value, str) else json.dumps(value)
            return [] if present and re.search(operand, text) else [f"{where}: {_show(value)} does not match /{operand}/"]
        if op in ("contains", "not_contains"):
            if isinstance(value, list):
                wanted = operand if isinstance(operand, list) else [operand]
                hit = all(any(not match(w, item) for item in value) for w in wanted)
            else:
                hit = present and str(operand) in (value if isinstance(value, str) else json.dumps(value))
            if (op == "contains") == bool(hit):
                return []
            return [f"{where}: {_show(value)} {'does not contain' if op == 'contains' else 'contains'} {_show(operand)}"]
        if op == "one_of":
            return [] if any(not match(o, actual, path) for o in operand) else [f"{where}: {_show(value)} not one of {_show(operand)}"]
        if op == "not":
            return [f"{where}: expected not {_show(operand)}, got {_show(value)}"] if not match(operand, actual, path) else []
        return [] if value == operand else [f"{where}: expected exactly {_show(operand)}, got {_show(value)}"]
    if actual is _MISSING:
        return [f"{where}: missing (expected {_show(expected)})"]
    if isinstance(expected, dict):
        if not isinstance(actual, dict):
            return [f"{where}: expected an object, got {_show(actual)}"]
        problems: list[str] = []
        for key, value in expected.items():
            problems += match(value, actual.get(key, _MISSING) if key in actual else _MISSING, f"{path}.{key}" if path else str(key))
        return problems
    if isinstance(expected, list) and isinstance(actual, list) and len(expected) == len(actual):
        problems = []
        for index, (want, got) in enumerate(zip(expected, actual, strict=True)):
            problems += match(want, got, f"{where}[{index}]")
        return problems
    return [] if expected == actual else [f"{where}: expected {_show(expected)}, got {_show(actual)}"]


def _show(value: Any) -> str:
    text = json.dumps(value) if not isinstance(value, str) else repr(value)
    return text if len(text) <= 300 else text[:297] + "..."


# -- results -----------------------------------------------------------------------------------------------------------
@dataclass
class StepResult:
    step: Step
    mode: str
    outcome: str  # passed | failed | error | skipped
    expected: dict[str, Any]
    observed: dict[str, Any] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)
    request: dict[str, Any] = field(default_factory=dict)
    duration_ms: float = 0.0


@dataclass
class RunResult:
    scenario: Scenario
    mode: str
    steps: list[StepResult]
    traffic: list[dict[str, Any]]
    duration_ms: float
    error: str | None = None

    @property
    def passed(self) -> bool:
        return self.error is None and all(s.outcome in ("passed", "skipped") for s in self.steps)

    @property
    def problems(self) -> list[str]:
        found = [f"step {s.step.index + 1} ({s.step.name}): {p}" for s in self.steps for p in s.problems]
        return ([self.error] if self.error else []) + found


# -- the replayer -------------------------------------------------------------------------------------------------------
def _decode(token: Any) -> dict[str, Any]:
    if not isinstance(token, str) or not token:
        return {"kind": "none", "header": None, "claims": None}
    from harness._cli import decode_token

    return decode_token(token)


def _parse_body(response: httpx.Response) -> tuple[Any, str]:
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


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


class Replayer:
    """Runs scenarios on one in-process stack (started on first use, reused across scenarios)."""

    def __init__(self, stack: Stack | None = None) -> None:
        self.stack = stack
        self._own = stack is None
        self.http = httpx.Client(timeout=30.0, follow_redirects=False, headers={"User-Agent": USER_AGENT})
        self.saved: dict[str, Any] = {}
        self.run_stack = StackFile()
        self._lock = threading.Lock()
        self._served: list[tuple[float, dict[str, Any]]] = []
        self._watching: Stack | None = None
        self._unwatchers: list[Callable[[], None]] = []

    def close(self) -> None:
        self._unwatch()
        self.http.close()
        if self._own and self.stack is not None:
            self.stack.stop()
            self.stack = None

    def __enter__(self) -> Replayer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _ensure_stack(self) -> Stack:
        if self.stack is None:
            self.stack = Stack().start()
            _settle(self.stack)
        return self.stack

    def _watch(self, stack: Stack) -> None:
        """Collect records as they are served: their wall-clock order survives frozen service clocks."""
        if self._watching is stack or not all(s.app is not None for s in stack.services):
            return
        self._unwatch()
        self._unwatchers = [s.app.state.control.subscribe(self._on_record) for s in stack.services]
        self._watching = stack

    def _unwatch(self) -> None:
        for unsubscribe in self._unwatchers:
            with contextlib.suppress(ValueError):
                unsubscribe()
        self._unwatchers, self._watching = [], None

    def _on_record(self, record: dict[str, Any]) -> None:
        with self._lock:
            self._served.append((time.perf_counter(), dict(record)))

    def _traffic(self, stack: Stack) -> list[dict[str, Any]]:
        """This run's requests in the order they started (served time minus duration); else the services' log."""
        if self._watching is not stack:
            return stack.log()
        with self._lock:
            served, self._served = self._served, []
        traffic = []
        for finished, record in served:
            record["started_at"] = finished - (record.get("duration_ms") or 0) / 1000
            record["finished_at"] = finished
            traffic.append(record)
        return sorted(traffic, key=lambda r: r["started_at"])

    # -- references -------------------------------------------------------------------------------------------------
    def resolve(self, value: Any) -> Any:
        """`${...}` in step specs: saved step values (`${tok.access_token}`), stack URLs, `${clients.NAME.client_id}`."""
        if isinstance(value, str):
            whole = _REF.fullmatch(value)
            if whole:
                return self._lookup(whole.group(1))
            return _REF.sub(lambda m: str(self._lookup(m.group(1))), value)
        if isinstance(value, dict):
            return {k: self.resolve(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.resolve(v) for v in value]
        return value

    def _lookup(self, name: str) -> Any:
        stack = self._ensure_stack()
        if name in stack.variables:
            return stack.variables[name]
        head, *rest = name.split(".")
        roots: dict[str, Any] = {**self.saved, "clients": stack.manifest["clients"], "users": stack.manifest["users"],
                                 "apis": stack.manifest["apis"]}
        if head not in roots:
            raise AuthstageError(f"unknown reference ${{{name}}}: no step saved `{head}` (as: {head})")
        value = roots[head]
        while rest:
            if isinstance(value, dict):
                # Keys may contain dots (an e-mail address): take the longest prefix that is a key.
                for size in range(len(rest), 0, -1):
                    key = ".".join(rest[:size])
                    if key in value:
                        value, rest = value[key], rest[size:]
                        break
                else:
                    raise AuthstageError(f"reference ${{{name}}}: `{rest[0]}` not found")
            elif isinstance(value, list) and rest[0].isdigit() and int(rest[0]) < len(value):
                value, rest = value[int(rest[0])], rest[1:]
            else:
                raise AuthstageError(f"reference ${{{name}}}: `{rest[0]}` not found")
        return value

    # -- running ------------------------------------------------------------------------------------------------------
    def run(self, scenario: Scenario, mode: str) -> RunResult:
        assert mode in MODES
        stack = self._ensure_stack()
        self._watch(stack)
        self.saved = {}
        started = time.perf_counter()
        results: list[StepResult] = []
        self.run_stack = scenario.stack_for(mode)
        deferred = scenario.deferred_sections()
        with self._lock:
            self._served = []
        try:
            if deferred:  # a `deploy` step creates these sections; until then they are the demo default
                sections = {n: ({} if n in deferred else v) for n, v in self.run_stack.sections.items()}
                stack.apply(StackFile(**sections, source=self.run_stack.source))
            else:
                stack.apply(self.run_stack)
            if scenario.clock_at is not None:
                stack.clock(at=scenario.clock_at)
        except AuthstageError as exc:
            return RunResult(scenario, mode, [], [], (time.perf_counter() - started) * 1000, f"stack: {exc}")
        for step in scenario.steps:
            if not step.runs_in(mode):
                results.append(StepResult(step, mode, "skipped", {}))
                continue
            results.append(self._run_step(step, mode))
        traffic = self._traffic(stack)
        return RunResult(scenario, mode, results, traffic, (time.perf_counter() - started) * 1000)

    def _run_step(self, step: Step, mode: str) -> StepResult:
        expected = step.expectations(mode)
        result = StepResult(step, mode, "passed", expected)
        started = time.perf_counter()
        stack = self._ensure_stack()
        marks = {service.name: _last_seq(service) for service in stack.services} if "log" in expected else {}
        app_mark = self._app_log_mark() if "app_log" in expected else 0
        try:
            spec = self.resolve(step.spec_for(mode))
            observed, request, saved = getattr(self, f"_step_{step.kind}")(spec)
            if "log" in expected:
                observed["log"] = [r for s in stack.services for r in s.log(marks[s.name])]
            if "app_log" in expected:
                observed["app_log"] = self._app_logs(app_mark)
        except (AuthstageError, httpx.HTTPError, KeyError, ValueError, TypeError) as exc:
            result.outcome = "error"
            result.problems = [f"{type(exc).__name__}: {exc}"]
            result.duration_ms = (time.perf_counter() - started) * 1000
            return result
        if step.save_as:
            self.saved[step.save_as] = saved
        result.observed, result.request = observed, request
        try:
            result.expected = expected = self.resolve(expected)
        except AuthstageError as exc:
            result.outcome, result.problems = "error", [f"expectation: {exc}"]
            return result
        result.problems = self._check(expected, observed)
        result.outcome = "failed" if result.problems else "passed"
        result.duration_ms = (time.perf_counter() - started) * 1000
        return result

    def _check(self, expected: dict[str, Any], observed: dict[str, Any]) -> list[str]:
        problems: list[str] = []
        for key, want in expected.items():
            if key == "status":
                wanted = want if isinstance(want, list) else [want]
                if observed.get("status") not in wanted:
                    problems.append(f"status: expected {want}, got {observed.get('status')} ({_show(observed.get('text', ''))[:200]})")
            elif key == "headers":
                headers = {k.lower(): v for k, v in (observed.get("headers") or {}).items()}
                for name, matcher in want.items():
                    problems += match(matcher, headers.get(name.lower(), _MISSING), f"headers.{name}")
            elif key == "json":
                problems += match(want, observed.get("json", _MISSING), "json")
            elif key == "text":
                problems += match(want, observed.get("text", _MISSING), "text")
            elif key == "jsonrpc_error":
                body = observed.get("json") if isinstance(observed.get("json"), dict) else {}
                error = body.get("error", _MISSING)
                problems += match({k: v for k, v in want.items() if k != "id"}, error, "error")
                if "id" in want:
                    problems += match(want["id"], body.get("id", _MISSING) if "id" in body else _MISSING, "id")
            elif key == "result":
                problems += self._check_result(want, observed)
            elif key in ("claims", "token_header", "redirect", "checks"):
                problems += match(want, observed.get(key, _MISSING), key)
            elif key == "token_kind":
                problems += match(want, observed.get("token_kind", "none"), "token_kind")
            elif key == "log":
                records = observed.get("log", [])
                if not any(not match(want, record) for record in records):
                    seen = [f"{r['service']} {r['method']} {r['path']} {r['status']} {r.get('reason')}" for r in records]
                    problems.append(f"log: no record matches {_show(want)}; logged: {seen}")
            elif key == "app_log":
                texts = [json.dumps(record) for record in observed.get("app_log", [])]
                if not any(not match(want["text"], text) for text in texts):
                    problems.append(f"app_log: no APPLICATION_LOGS record matches {_show(want)}")
        return problems

    def _check_result(self, want: dict[str, Any], observed: dict[str, Any]) -> list[str]:
        body = observed.get("json")
        result = body.get("result") if isinstance(body, dict) else None
        if not isinstance(result, dict):
            return [f"result: no JSON-RPC result in the answer ({_show(body)})"]
        problems: list[str] = []
        if "isError" in want:
            problems += match(want["isError"], bool(result.get("isError", False)), "result.isError")
        if "text" in want:
            text = "\n".join(c.get("text", "") for c in result.get("content", []) if isinstance(c, dict))
            problems += match(want["text"], text, "result.text")
        if "structured" in want:
            problems += match(want["structured"], result.get("structuredContent", _MISSING), "result.structured")
        if "tools" in want:
            names = [t.get("name") for t in result.get("tools", []) if isinstance(t, dict)]
            problems += match(want["tools"], names, "result.tools")
        return problems

    def _app_log_mark(self) -> int:
        records = self._app_logs(0)
        return records[-1].get("seq", len(records)) if records else 0

    def _app_logs(self, since: int) -> list[dict[str, Any]]:
        stack = self._ensure_stack()
        body = stack.http.get(f"{stack.gateway.url}/_authstage/logs", params={"since": since}).json()
        return body.get("records", body) if isinstance(body, dict) else body

    # -- observations -------------------------------------------------------------------------------------------------
    @staticmethod
    def _observe(response: httpx.Response) -> dict[str, Any]:
        body, text = _parse_body(response)
        return {"status": response.status_code, "headers": dict(response.headers), "json": body, "text": text[:4000]}

    def _with_token_claims(self, observed: dict[str, Any], token: Any) -> dict[str, Any]:
        decoded = _decode(token)
        observed["token_kind"] = decoded["kind"]
        if decoded["claims"] is not None:
            observed["claims"] = decoded["claims"]
        if decoded["header"] is not None:
            observed["token_header"] = decoded["header"]
        return observed

    def _client(self, spec: dict[str, Any], default: str = "demo-m2m") -> dict[str, Any]:
        stack = self._ensure_stack()
        if spec.get("client_id"):
            return {"client_id": spec["client_id"], "client_secret": spec.get("client_secret"),
                    "token_endpoint_auth_method": "client_secret_post" if spec.get("client_secret") else "none"}
        info = dict(stack.client(spec.get("client", default)))
        if "client_secret" in spec:
            info["client_secret"] = spec["client_secret"]
        return info

    def _post_token(self, body: dict[str, Any], client: dict[str, Any], auth: str | None = None,
                    encoding: str = "form", host: str | None = None) -> httpx.Response:
        stack = self._ensure_stack()
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
            return self.http.post(stack.idp.token_endpoint, json=body, headers=headers)
        return self.http.post(stack.idp.token_endpoint, data=body, headers=headers)

    def _step_token(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        client = self._client(spec)
        body: dict[str, Any] = {"grant_type": spec.get("grant_type", "client_credentials")}
        for key in ("audience", "resource", "scope"):
            if key in spec:
                body[key] = spec[key]
        body.update(spec.get("params", {}))
        response = self._post_token(body, client, spec.get("auth"), spec.get("encoding", "form"), spec.get("host"))
        observed = self._observe(response)
        token = observed["json"].get("access_token") if isinstance(observed["json"], dict) else None
        return self._with_token_claims(observed, token), {"grant_type": body["grant_type"]}, observed["json"]

    def _step_register(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        response = self.http.post(stack.idp.registration_endpoint, json=spec.get("body", {}))
        observed = self._observe(response)
        return observed, {"body": spec.get("body", {})}, observed["json"]

    def _step_authorize(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        client = self._client(spec, default="demo-cli")
        redirect_uri = spec.get("redirect_uri") or (client.get("callbacks") or ["http://127.0.0.1:8976/callback"])[0]
        verifier, challenge = _pkce()
        query: dict[str, str] = {"response_type": "code", "client_id": client["client_id"], "redirect_uri": redirect_uri,
                                 "state": secrets.token_urlsafe(12)}
        pkce = spec.get("pkce", "S256")
        if pkce == "S256":
            query |= {"code_challenge": challenge, "code_challenge_method": "S256"}
        elif pkce == "plain":
            query |= {"code_challenge": verifier, "code_challenge_method": "plain"}
        for key in ("scope", "audience", "resource"):
            if key in spec:
                query[key] = spec[key]
        user = spec.get("user")
        if user:
            query["login_hint"] = user
        query.update(spec.get("params", {}))
        url = f"{stack.idp.authorization_endpoint}?{urlencode(query)}"
        password = stack.manifest["users"].get(user or stack.manifest["default_user"], {}).get("password")
        browser = HeadlessBrowser(username=user or stack.manifest["default_user"], password=password,
                                  stop_at=redirect_uri, user_agent=USER_AGENT)
        outcome = browser.run(url)
        redirect: dict[str, Any] = dict(outcome.params) if outcome.params else {"page": True, "status": outcome.status,
                                                                               "text": outcome.page[:2000]}
        observed: dict[str, Any] = {"redirect": redirect, "status": outcome.status, "text": outcome.page[:2000],
                                    "json": None, "headers": {}}
        saved: dict[str, Any] = {"redirect": redirect, "code": outcome.code, "verifier": verifier}
        if outcome.code and spec.get("exchange", True):
            code_verifier = {"right": verifier, "wrong": _pkce()[0], "missing": None}[spec.get("verifier", "right")]
            if pkce == "none" and spec.get("verifier", "right") == "right":
                code_verifier = None
            body = {"grant_type": "authorization_code", "code": outcome.code, "redirect_uri": redirect_uri,
                    "code_verifier": code_verifier, "resource": spec.get("token_resource", spec.get("resource"))}
            response = self._post_token(body, client)
            observed.update(self._observe(response))
            if isinstance(observed["json"], dict):
                saved.update(observed["json"])
                self._with_token_claims(observed, observed["json"].get("access_token"))
        return observed, {"authorize": query}, saved

    def _step_refresh(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        client = self._client(spec, default="demo-cli")
        body = {"grant_type": "refresh_token", "refresh_token": spec["refresh_token"]}
        for key in ("scope", "resource"):
            if key in spec:
                body[key] = spec[key]
        observed = self._observe(self._post_token(body, client))
        token = observed["json"].get("access_token") if isinstance(observed["json"], dict) else None
        return self._with_token_claims(observed, token), {"grant_type": "refresh_token"}, observed["json"]

    def _step_revoke(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        client = self._client(spec, default="demo-cli")
        body = {"client_id": client["client_id"], "token": spec["token"]}
        if client.get("client_secret"):
            body["client_secret"] = client["client_secret"]
        observed = self._observe(self.http.post(f"{stack.idp.url}/oauth/revoke", data=body))
        return observed, {}, observed["json"]

    def _step_mcp(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
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
        if "raw" in spec:
            content = spec["raw"].encode()
        else:
            if "body" in spec:
                body = spec["body"]
            else:
                method = spec.get("method", "tools/call" if "tool" in spec else "tools/list")
                params = spec.get("params")
                if "tool" in spec:
                    params = {"name": spec["tool"], "arguments": spec.get("arguments", {})}
                body = {"jsonrpc": "2.0", "id": spec.get("id", 1), "method": method}
                if method == "initialize" and params is None:
                    params = {"protocolVersion": version or "2025-11-25", "capabilities": {},
                              "clientInfo": {"name": "authstage-replay", "version": "0.1"}}
                if params is not None:
                    body["params"] = params
                if method.startswith("notifications/"):
                    body.pop("id")
            content = json.dumps(body).encode()
        response = self.http.post(url, content=content, headers=headers)
        observed = self._observe(response)
        saved = {"json": observed["json"], "session": response.headers.get("mcp-session-id"),
                 "status": response.status_code}
        return observed, {"url": url, "body": content.decode(errors="replace")[:2000]}, saved

    def _step_http(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        base = {"idp": stack.idp, "gateway": stack.gateway, "mcp": stack.mcp}[spec.get("service", "gateway")].url
        kwargs: dict[str, Any] = {"headers": spec.get("headers", {}), "params": spec.get("query")}
        for key in ("json", "data", "content"):
            if key in spec:
                kwargs[key] = spec[key]
        response = self.http.request(spec.get("method", "GET"), base + spec["path"],
                                     follow_redirects=spec.get("follow_redirects", False), **kwargs)
        observed = self._observe(response)
        return observed, {"url": base + spec["path"]}, observed["json"]

    def _step_deploy(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        """Create services from this run's stack file (as `aws … create-gateway` would) and observe the answer."""
        stack = self._ensure_stack()
        documents = stack._compose(self.run_stack)
        names = [spec["service"]] if spec.get("service") else ["idp", "mcp", "gateway"]
        bodies: dict[str, Any] = {}
        status = 200
        for name in names:
            service = getattr(stack, name)
            response = stack.http.put(f"{service.url}/_authstage/config", json=documents[name])
            if response.status_code >= 300:  # a success answers the whole config (secrets): not kept
                bodies[name] = _parse_body(response)[0]
                status = response.status_code if status < 300 else status
        observed = {"status": status, "json": bodies, "headers": {}, "text": json.dumps(bodies)[:4000]}
        return observed, {"deploy": names}, bodies

    def _step_fault(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        self._ensure_stack().patch(**spec)
        return {}, {"patch": spec}, None

    def _step_clock(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        target = spec.get("service", "all")
        body = {k: v for k, v in spec.items() if k != "service"}
        state = stack.clock(**body) if target == "all" else getattr(stack, target).clock(**body)
        return {"json": state}, {"clock": spec}, state

    def _step_rotate_keys(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        state = self._ensure_stack().rotate_keys(revoke_previous=spec.get("revoke_previous", False))
        return {"json": state}, {}, state

    def _step_explain(self, spec: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], Any]:
        stack = self._ensure_stack()
        # The running gateway explains itself: its config, the keys it fetched, its clock (fake_gateway.explain_token).
        response = stack.http.post(f"{stack.gateway.url}/_authstage/explain", json={"token": spec["token"]})
        if response.status_code != 200:
            raise AuthstageError(f"POST /_authstage/explain -> {response.status_code}: {response.text[:300]}")
        checks = response.json()["checks"]
        observed = {"checks": {check["name"]: check["passed"] for check in checks}, "json": checks}
        return observed, {}, observed["json"]


def _settle(stack: Stack, timeout: float = 10.0) -> None:
    """Wait for the gateway's start-up target synchronization, so it does not spill into the first run."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            targets = stack.http.get(f"{stack.gateway.url}/_authstage/targets").json().get("targets", [])
        except (httpx.HTTPError, ValueError, AttributeError):
            return
        if not any(t.get("status") in ("CREATING", "SYNCHRONIZING") for t in targets):
            return
        time.sleep(0.02)


def _last_seq(service: Any) -> int:
    records = service.log()
    return records[-1]["seq"] if records else 0


# -- selection ---------------------------------------------------------------------------------------------------------
def keyword_matches(expression: str | None, scenario: Scenario) -> bool:
    """`-k`: words match name, title and tags (substring, case-insensitive); `and`, `or`, `not`, parentheses."""
    if not expression:
        return True
    haystack = " ".join([scenario.name, scenario.title, *scenario.tags]).lower()
    tokens = re.findall(r"\(|\)|[^\s()]+", expression)
    position = 0

    def peek() -> str | None:
        return tokens[position] if position < len(tokens) else None

    def take() -> str:
        nonlocal position
        position += 1
        return tokens[position - 1]

    def parse_or() -> bool:
        value = parse_and()
        while peek() == "or":
            take()
            value = parse_and() or value
        return value

    def parse_and() -> bool:
        value = parse_not()
        while peek() == "and":
            take()
            value = parse_not() and value
        return value

    def parse_not() -> bool:
        if peek() == "not":
            take()
            return not parse_not()
        if peek() == "(":
            take()
            value = parse_or()
            if peek() != ")":
                raise AuthstageError(f"-k {expression!r}: missing ')'")
            take()
            return value
        if peek() is None:
            raise AuthstageError(f"-k {expression!r}: expression ends early")
        return take().lower() in haystack

    result = parse_or()
    if peek() is not None:
        raise AuthstageError(f"-k {expression!r}: unexpected {peek()!r}")
    return result


# -- CLI ------------------------------------------------------------------------------------------------------------------
def select(paths: list[str], keyword: str | None) -> list[Scenario]:
    scenarios = [load_scenario(path) for path in find_scenarios(paths)]
    names: dict[str, str] = {}
    for scenario in scenarios:
        if scenario.name in names:
            raise ScenarioLoadError(f"duplicate scenario name `{scenario.name}` (also in {names[scenario.name]})",
                                    path=scenario.path, key="name")
        names[scenario.name] = scenario.path
    return [s for s in scenarios if keyword_matches(keyword, s)]


def replay_all(scenarios: list[Scenario], modes: tuple[str, ...],
               progress: Callable[[int, int, RunResult], None] | None = None) -> Iterator[RunResult]:
    with Replayer() as replayer:
        total = len(scenarios) * len(modes)
        done = 0
        for scenario in scenarios:
            for mode in modes:
                run = replayer.run(scenario, mode)
                done += 1
                if progress:
                    progress(done, total, run)
                yield run


def run_cli(args: Any) -> int:
    try:
        scenarios = select(args.paths, args.keyword)
    except ScenarioLoadError as exc:
        print(f"authstage replay: {exc}", file=sys.stderr)
        return 2
    if not scenarios:
        print("authstage replay: no scenario matched", file=sys.stderr)
        return 2
    if args.write_index:
        guide = (Path(__file__).resolve().parent.parent / "docs" / "writing-scenarios.md").read_text(encoding="utf-8")
        Path(args.write_index).write_text(index_markdown(scenarios, guide), encoding="utf-8")
        print(f"wrote {args.write_index} ({len(scenarios)} scenarios)")
        return 0
    modes = ("fixed",) if args.fixed_only else ("broken",) if args.broken_only else MODES
    live = sys.stderr.isatty() and not args.json
    started = time.perf_counter()

    def progress(done: int, total: int, run: RunResult) -> None:
        if live:
            mark = "ok" if run.passed else "MISMATCH"
            print(f"\r\033[K[{done}/{total}] {run.scenario.name} ({run.mode}) {mark}", end="", file=sys.stderr, flush=True)

    runs = list(replay_all(scenarios, modes, progress))
    if live:
        print("\r\033[K", end="", file=sys.stderr)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({"runs": [result_json(r) for r in runs], "seconds": round(elapsed, 3)}, indent=2))
    else:
        width = max(len(s.name) for s in scenarios)
        by_name: dict[str, dict[str, RunResult]] = {}
        for run in runs:
            by_name.setdefault(run.scenario.name, {})[run.mode] = run
        print(f"{'scenario':<{width}}  " + "  ".join(f"{m:<9}" for m in modes) + "  title")
        for scenario in scenarios:
            cells = []
            for mode in modes:
                run = by_name[scenario.name][mode]
                cells.append(f"{('ok' if run.passed else 'MISMATCH'):<9}")
            print(f"{scenario.name:<{width}}  " + "  ".join(cells) + f"  {scenario.title}")
        for run in runs:
            if not run.passed:
                print(f"\n{run.scenario.name} ({run.mode}) — {run.scenario.path}")
                for problem in run.problems:
                    print(f"  - {problem}")
        failed = sum(not r.passed for r in runs)
        print(f"\n{len(runs) - failed}/{len(runs)} runs as expected, {len(scenarios)} scenarios, {elapsed:.2f} s")
    if args.junit:
        Path(args.junit).write_text(junit_xml(runs), encoding="utf-8")
    if args.report:
        directory = Path(args.report)
        directory.mkdir(parents=True, exist_ok=True)
        by_scenario: dict[str, list[RunResult]] = {}
        for run in runs:
            by_scenario.setdefault(run.scenario.name, []).append(run)
        for name, scenario_runs in by_scenario.items():
            (directory / f"{name}.md").write_text(markdown_report(scenario_runs), encoding="utf-8")
    return 0 if all(r.passed for r in runs) else 1
