"""`authstage client-check`: grade an MCP client command on one long-lived stack, scenario by scenario.

The contract is conformance's (`@modelcontextprotocol/conformance` 0.1.16 `dist/index.js`, `vn()`/`yn()`): the
client is started once per scenario with the server URL as its last argument, `MCP_CONFORMANCE_SCENARIO` set,
`MCP_CONFORMANCE_CONTEXT` (JSON, `{"name": <scenario>, ...}`) for the scenarios that carry credentials, stdin a pipe
that stays open, and a timeout after which it is killed. `MCP_CONFORMANCE_PROTOCOL_VERSION` is set as 0.2.x sets it.

One stack serves the whole run: before each scenario its services are reset and given the scenario's documents
(`Stack.apply`), so nothing restarts. The client's traffic is collected from the request logs as it is served
(`Stack.subscribe`) and graded by the scenario's graders (`_client_graders.py`).

A scenario that needs TLS (`auth/basic-cimd`: the IdP fetches the client's metadata document over https) gets the
run's stack CA: the stack's own when it was started with `tls=True`, else one made on first need and trusted by the
stack's services (they run in this process) until `close()`. The stack keeps its plain-HTTP listeners, as
conformance's mocks do; the client serves its document with the loopback certificate the context names.
"""

from __future__ import annotations

import contextlib
import json
import os
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, BinaryIO
from urllib.parse import urlencode, urlsplit

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from authstage_kit.tls import StackTls, trust, untrust
from fake_idp.pkce import s256
from harness._client_grading import Check, Traffic, check, grade
from harness._client_suites import (
    AUTH0_PREREGISTERED,
    CC_BASIC,
    CC_JWT,
    PREREGISTERED,
    XAA,
    XAA_IDP,
    XAA_IDP_CALLBACK,
    ClientScenario,
)
from harness._clients import HeadlessBrowser
from harness._config import StackFile, render
from harness._exceptions import AuthstageError
from harness._gate import Gate, Gates
from harness._replay import _settle
from harness._sequence import caller
from harness._stack import Stack

__all__ = ["CONTEXTS", "ClientCheck", "Material", "ScenarioResult", "result_dir", "write_result"]

PROTOCOL_VERSION = "2025-11-25"
ENV = ("MCP_CONFORMANCE_SCENARIO", "MCP_CONFORMANCE_CONTEXT", "MCP_CONFORMANCE_PROTOCOL_VERSION")


@dataclass
class Material:
    """What one run generates: the key pair of the private_key_jwt client (conformance generates one per run), and
    the stack CA once a scenario needs TLS."""

    private_key_pem: str
    public_key_pem: str
    tls: StackTls | None = None

    @classmethod
    def generate(cls) -> Material:
        key = ec.generate_private_key(ec.SECP256R1())
        private = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                    serialization.NoEncryption()).decode()
        public = key.public_key().public_bytes(serialization.Encoding.PEM,
                                               serialization.PublicFormat.SubjectPublicKeyInfo).decode()
        return cls(private, public)


@dataclass
class ScenarioResult:
    scenario: ClientScenario
    checks: list[Check] = field(default_factory=list)
    exit_code: int | None = None
    timed_out: bool = False
    stopped: str | None = None  # why the runner ended a client whose verdict was decided
    skipped: str | None = None
    seconds: float = 0.0
    stdout: str = ""
    stderr: str = ""
    server_url: str = ""

    def count(self, status: str) -> int:
        return sum(c["status"] == status for c in self.checks)

    @property
    def failures(self) -> list[Check]:
        return [c for c in self.checks if c["status"] in ("FAILURE", "WARNING")]

    @property
    def passed(self) -> bool:
        """conformance's verdict: no FAILURE and no WARNING check (a skipped scenario does not fail the run)."""
        return self.skipped is not None or not self.failures


# --- MCP_CONFORMANCE_CONTEXT builders -----------------------------------------------------------------------------


def _id_token(stack: Stack, idp_url: str) -> str:
    """An ID token of the enterprise IdP for the default user: a headless login of its client, as a user would."""
    verifier = secrets.token_urlsafe(48)
    query = {"response_type": "code", "client_id": XAA_IDP, "redirect_uri": XAA_IDP_CALLBACK, "scope": "openid email",
             "state": "client-check", "code_challenge": s256(verifier), "code_challenge_method": "S256"}
    user = stack.manifest["default_user"]
    result = HeadlessBrowser(username=user, stop_at=XAA_IDP_CALLBACK).run(f"{idp_url}/authorize?{urlencode(query)}")
    if result.code is None:
        raise AuthstageError(f"client-check: the enterprise IdP login for cross-app access failed: {result.params}")
    answer = stack.http.post(f"{idp_url}/oauth/token", data={
        "grant_type": "authorization_code", "client_id": XAA_IDP, "code": result.code,
        "redirect_uri": XAA_IDP_CALLBACK, "code_verifier": verifier})
    if answer.status_code != 200 or "id_token" not in answer.json():
        raise AuthstageError(f"client-check: no ID token for cross-app access: {answer.text[:300]}")
    token: str = answer.json()["id_token"]
    return token


def _cross_app_access(stack: Stack | None, material: Material, idp_url: str) -> dict[str, Any]:
    assert stack is not None, "a live context is built once the scenario's stack is in place"
    issuer = idp_url + "/"
    return {"client_id": XAA[0], "client_secret": XAA[1], "idp_client_id": XAA_IDP,
            "idp_id_token": _id_token(stack, idp_url), "idp_issuer": issuer, "idp_token_endpoint": f"{idp_url}/oauth/token",
            "auth_issuer": issuer}


def _cimd(stack: Stack | None, material: Material, idp_url: str) -> dict[str, Any]:
    """authstage's context for auth/basic-cimd (conformance's has none): a certificate of the stack CA for the client's
    own https listener on loopback (`localhost`, `127.0.0.1`, `::1`), where it serves its metadata document."""
    assert material.tls is not None, "the runner makes the stack CA before a TLS scenario's context"
    return {"client_metadata_cert_file": str(material.tls.client_cert_file),
            "client_metadata_key_file": str(material.tls.client_key_file), "ca_file": str(material.tls.ca_file)}


# Contexts that need the scenario's stack in place (a token it mints): such a client starts at its turn.
LIVE_CONTEXTS = frozenset({"cross_app_access"})
# name -> (stack, material, the IdP URL this scenario's client is given) -> MCP_CONFORMANCE_CONTEXT
CONTEXTS: dict[str, Callable[[Stack | None, Material, str], dict[str, Any]]] = {
    "preregistered": lambda stack, m, idp: {"client_id": PREREGISTERED[0], "client_secret": PREREGISTERED[1]},
    "auth0_preregistered": lambda stack, m, idp: {"client_id": AUTH0_PREREGISTERED},
    "client_credentials_basic": lambda stack, m, idp: {"client_id": CC_BASIC[0], "client_secret": CC_BASIC[1]},
    "client_credentials_jwt": lambda stack, m, idp: {"client_id": CC_JWT, "private_key_pem": m.private_key_pem,
                                                     "signing_algorithm": "ES256"},
    "cross_app_access": _cross_app_access,
    "cimd": _cimd,
}


# --- the run ------------------------------------------------------------------------------------------------------


class _Collector:
    """The client's records of the scenario being run, in serve order; ends the client once its verdict is decided."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.records: list[dict[str, Any]] = []
        self.active = False
        self.limit: int | None = None
        self.done = threading.Event()
        self.stopped: str | None = None

    def start(self, limit: int | None, exited: threading.Event) -> None:
        """Collect from now on; `done` is the client's `exited` event (or set earlier by the limit)."""
        with self.lock:
            self.records, self.active, self.limit, self.stopped = [], True, limit, None
            self.done = exited

    def finish(self) -> list[dict[str, Any]]:
        with self.lock:
            self.active = False
            return list(self.records)

    def __call__(self, record: dict[str, Any]) -> None:
        with self.lock:
            if not self.active:
                return
            self.records.append(record)
            if self.limit is None or caller(record) != "client":
                return
            attempts = sum(r["service"] == "idp" and r["path"] == "/authorize" and caller(r) == "client"
                           for r in self.records)
            if attempts >= self.limit and self.stopped is None:
                self.stopped = f"{attempts} authorization attempts: the verdict is decided, the client was ended"
                self.done.set()


def _kill(process: subprocess.Popen[bytes]) -> None:
    """End the client and what it started (its own process group; it was started in a new session)."""
    for sig, wait in ((signal.SIGTERM, 2.0), (signal.SIGKILL, 5.0)):
        if process.poll() is not None:
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(wait)


@dataclass
class Launch:
    """A started client: its process, its held gate (None: it talks to the service directly) and its output."""

    scenario: ClientScenario
    process: subprocess.Popen[bytes]
    server_url: str
    gate: Gate | None
    out: BinaryIO
    err: BinaryIO
    exited: threading.Event = field(default_factory=threading.Event)

    def watch(self) -> None:
        def wait() -> None:
            self.process.wait()
            self.exited.set()

        threading.Thread(target=wait, daemon=True).start()


class ClientCheck:
    """Runs scenarios against `command` on one stack (started on first use unless given); `close()` when done.

    `prestart`: how many of the next scenarios' clients are started while one runs, each behind a held gate
    (`_gate.py`); 0 starts each client at its turn, talking to the service directly."""

    def __init__(self, command: list[str], *, timeout: float = 30.0, stack: Stack | None = None,
                 prestart: int = 2) -> None:
        if not command:
            raise AuthstageError("client-check: no client command")
        self.command = command
        self.timeout = timeout
        self.stack = stack
        self.prestart = max(0, prestart)
        self._own = stack is None
        self.material = Material.generate()
        self.collector = _Collector()
        self.gates: Gates | None = None
        self._subscribed = False
        self._own_tls: StackTls | None = None

    def close(self) -> None:
        if self.gates is not None:
            self.gates.close()
            self.gates = None
        if self._own and self.stack is not None:
            self.stack.stop()
            self.stack = None
        if self._own_tls is not None:
            untrust(self._own_tls.ca_file)
            self._own_tls.remove()
            self._own_tls = self.material.tls = None

    def _ensure_tls(self) -> StackTls:
        """The run's stack CA (module docstring): the stack's, else one made now and trusted until `close()`."""
        if self.material.tls is None:
            stack = self._ensure_stack()
            if stack.tls is None:
                self._own_tls = StackTls.create()
                trust(self._own_tls.ca_file)
            self.material.tls = stack.tls or self._own_tls
        assert self.material.tls is not None
        return self.material.tls

    def _ensure_stack(self) -> Stack:
        if self.stack is None:
            self.stack = Stack().start()
            _settle(self.stack)
        if not self._subscribed:
            self.stack.subscribe(self.collector)
            self._subscribed = True
        return self.stack

    # -- one client --------------------------------------------------------------------------------------------------
    def _endpoint(self, scenario: ClientScenario) -> tuple[str, Gate | None]:
        """The URL the client is given: the service's own, or a held gate's (its target named at `_apply`)."""
        if self.prestart == 0:
            stack = self._ensure_stack()
            return (stack.gateway if scenario.target == "gateway" else stack.mcp).mcp_url, None
        if self.gates is None:
            self.gates = Gates()
        gate = self.gates.open()
        return gate.url + "/mcp", gate

    def _launch(self, scenario: ClientScenario, context: dict[str, Any] | None,
                endpoint: tuple[str, Gate | None] | None = None) -> Launch:
        server_url, gate = endpoint or self._endpoint(scenario)
        env = {k: v for k, v in os.environ.items() if k not in ENV}
        env["MCP_CONFORMANCE_SCENARIO"] = scenario.name
        env["MCP_CONFORMANCE_PROTOCOL_VERSION"] = PROTOCOL_VERSION
        if context is not None:
            env["MCP_CONFORMANCE_CONTEXT"] = json.dumps({"name": scenario.name, **context})
        out, err = tempfile.TemporaryFile(), tempfile.TemporaryFile()  # noqa: SIM115  # closed by _wait, after exit
        try:
            process = subprocess.Popen([*self.command, server_url], stdin=subprocess.PIPE, stdout=out, stderr=err,
                                       env=env, start_new_session=True)
        except OSError as exc:  # found but not runnable: a data file, a wrong interpreter line
            out.close()
            err.close()
            raise AuthstageError(f"cannot run the client {self.command[0]!r}: {exc.strerror or exc}") from None
        launch = Launch(scenario, process, server_url, gate, out, err)
        launch.watch()
        return launch

    def _apply(self, stack: Stack, scenario: ClientScenario, server_url: str,
               gate: Gate | None = None) -> tuple[str, Gate | None]:
        """The stack reset to the scenario's documents. `${client.url}`, `${client.mcp_url}`: what the client was
        given; `${client.idp_url}`, `${client.idp_issuer}`: the IdP behind this scenario's own gate, so a process a
        client left behind (a browser it opened) cannot reach the next scenario's IdP. Returns that IdP URL and gate."""
        if gate is not None:
            gate.target = _address(stack.gateway.url if scenario.target == "gateway" else stack.mcp.url)
        idp_url, idp_gate = stack.idp.url, None
        if self.prestart and self.gates is not None:
            idp_gate = self.gates.open(_address(stack.idp.url))
            idp_gate.release()
            idp_url = idp_gate.url
        variables = {**stack.variables, "run.public_key_pem": self.material.public_key_pem,
                     "client.url": server_url.rsplit("/mcp", 1)[0], "client.mcp_url": server_url,
                     "client.idp_url": idp_url, "client.idp_issuer": idp_url + "/"}
        sections = render(scenario.stack, variables, where=scenario.name)
        stack.apply(StackFile.from_dict(sections, source=scenario.name))
        return idp_url, idp_gate

    def _static_context(self, scenario: ClientScenario) -> bool:
        return scenario.context is None or scenario.context not in LIVE_CONTEXTS

    def _context(self, stack: Stack | None, scenario: ClientScenario, idp_url: str) -> dict[str, Any] | None:
        if scenario.needs_tls:
            self._ensure_tls()
        builder = CONTEXTS.get(scenario.context) if scenario.context else None
        return builder(stack, self.material, idp_url) if builder else None

    def run_one(self, scenario: ClientScenario, launch: Launch | None = None) -> ScenarioResult:
        """Apply the scenario, start (or let through) its client, wait, grade."""
        result = ScenarioResult(scenario)
        stack = self._ensure_stack()
        started = time.perf_counter()
        try:
            if launch is None:
                endpoint = self._endpoint(scenario)
                idp_url, idp_gate = self._apply(stack, scenario, *endpoint)
                launch = self._launch(scenario, self._context(stack, scenario, idp_url), endpoint)
            else:
                idp_url, idp_gate = self._apply(stack, scenario, launch.server_url, launch.gate)
        except AuthstageError as exc:  # the scenario's stack or context could not be set up: its failure, not the run's
            if launch is not None:
                self._wait(launch, result, cancel=True)
            result.checks = [check("stack-setup", f"The scenario could not be set up: {exc}", "FAILURE",
                                   name="StackSetup")]
            return result
        try:
            self._wait(launch, result)
        except BaseException:  # interrupted (Ctrl-C, SIGTERM): the running client goes too, its group with it
            _kill(launch.process)
            raise
        if idp_gate is not None:
            idp_gate.close()
        records = self.collector.finish()
        result.stopped = self.collector.stopped
        result.server_url = launch.server_url
        result.checks = grade(Traffic.of(records, scenario.target, launch.server_url), scenario.graders,
                              scenario.required)
        if result.timed_out:
            result.checks.append(check("client-timeout", f"CLIENT TIMED OUT after {self.timeout:g} s - test "
                                       "incomplete", "FAILURE", name="ClientTimeout"))
        result.seconds = time.perf_counter() - started
        return result

    def _wait(self, launch: Launch, result: ScenarioResult, *, cancel: bool = False) -> None:
        """Let the client through, wait for its exit (or the timeout, or its decided verdict), collect its output.
        `cancel`: end it unreleased."""
        self.collector.start(launch.scenario.stop_after_authorizations, launch.exited)
        if launch.gate is not None and not cancel:
            launch.gate.release()
        finished = cancel or self.collector.done.wait(self.timeout)
        process = launch.process
        if process.poll() is None:
            result.timed_out = not finished
            _kill(process)
        if process.stdin is not None:
            with contextlib.suppress(OSError):
                process.stdin.close()
        if launch.gate is not None:
            launch.gate.close()
        result.exit_code = process.returncode
        result.stdout, result.stderr = _read(launch.out), _read(launch.err)
        launch.out.close()
        launch.err.close()

    def run(self, scenarios: list[ClientScenario],
            progress: Callable[[ScenarioResult], None] | None = None) -> list[ScenarioResult]:
        """Each scenario in turn; the next `prestart` clients (static contexts only) start early behind gates."""
        started: dict[int, Launch] = {}
        results = []
        try:
            for index, scenario in enumerate(scenarios):
                for ahead in range(index, min(len(scenarios), index + 1 + self.prestart)):
                    upcoming = scenarios[ahead]
                    if ahead not in started and self._static_context(upcoming) and (
                            ahead > index or self.prestart):
                        started[ahead] = self._launch(upcoming, self._context(None, upcoming, ""))
                result = self.run_one(scenario, started.pop(index, None))
                if progress is not None:
                    progress(result)
                results.append(result)
        finally:
            for launch in started.values():
                _kill(launch.process)
                launch.out.close()
                launch.err.close()
        return results


def _address(url: str) -> tuple[str, int]:
    parts = urlsplit(url)
    return parts.hostname or "127.0.0.1", parts.port or 80


def _read(stream: BinaryIO) -> str:
    stream.seek(0)
    return stream.read().decode("utf-8", "replace")


def result_dir(base: Path, scenario: str) -> Path:
    """conformance's layout: `<dir>/<scenario>-<ISO timestamp with ':' and '.' as '-'>` (`auth/` a subdirectory)."""
    stamp = time.strftime("%Y-%m-%dT%H-%M-%S", time.gmtime()) + f"-{int(time.time() * 1000) % 1000:03d}Z"
    return base / f"{scenario}-{stamp}"


def write_result(base: Path, result: ScenarioResult) -> Path:
    """`checks.json` (byte for byte `JSON.stringify(checks, null, 2)`), `stdout.txt`, `stderr.txt`."""
    directory = result_dir(base, result.scenario.name)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "checks.json").write_text(json.dumps(result.checks, indent=2, ensure_ascii=False), encoding="utf-8")
    (directory / "stdout.txt").write_text(result.stdout, encoding="utf-8")
    (directory / "stderr.txt").write_text(result.stderr, encoding="utf-8")
    return directory
