"""Defaults that protect users (issue 4 item 5): loopback binding with a warning otherwise, redaction of every
secret and token in logs, traces, request lines and replay reports, and a control plane that can be turned off.

The `python -m <service>` and `authstage up` checks run the real commands as child processes (in parallel, to
stay fast); an address of TEST-NET-1 (192.0.2.1, RFC 5737) stands for "beyond loopback": the warning must be
printed before the bind, which then fails, so nothing here ever listens beyond 127.0.0.1.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
import secrets
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
import psutil
import pytest

from harness import Stack
from harness._clients import HeadlessBrowser
from harness._replay import Replayer
from harness._report import junit_xml, markdown_report, result_json
from harness._selection import select

ROOT = Path(__file__).resolve().parents[2]
# A full compact JWS or JWE (a redacted token keeps only `eyJhbGciOi…[redacted]`).
JOSE = re.compile(r"eyJ[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}\.[A-Za-z0-9_-]{2,}")
MCP_HEADERS = {
    "Content-Type": "application/json",
    "Accept": "application/json, text/event-stream",
    "MCP-Protocol-Version": "2025-11-25",
}
CONTROL_CALLS = [("GET", "config"), ("PATCH", "config"), ("POST", "reset"), ("POST", "clock"), ("GET", "log")]


class Child:
    """A child process whose first stdout line may be a JSON ready line; stderr is collected in the background."""

    def __init__(self, *args: str) -> None:
        self.process = subprocess.Popen(
            [sys.executable, *args],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        self.stderr: list[str] = []
        self._reader = threading.Thread(target=self._drain, daemon=True)
        self._reader.start()

    def _drain(self) -> None:
        assert self.process.stderr is not None
        for line in self.process.stderr:
            self.stderr.append(line)

    def ready(self, timeout: float = 30.0) -> dict[str, Any]:
        box: list[str] = []
        reader = threading.Thread(target=lambda: box.append(self.process.stdout.readline()))  # type: ignore[union-attr]
        reader.start()
        reader.join(timeout)
        assert box and box[0].strip(), f"no ready line; stderr: {''.join(self.stderr)[-2000:]}"
        return json.loads(box[0])

    def finish(self, timeout: float = 30.0) -> int:
        """Wait for the process to exit by itself (a failed bind), then for its stderr."""
        code = self.process.wait(timeout)
        self._reader.join(5)
        return code

    def stop(self) -> str:
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
        self._reader.join(5)
        rest = self.process.stdout.read() if self.process.stdout else ""
        for stream in (self.process.stdout, self.process.stderr):
            if stream:
                stream.close()
        return "".join(self.stderr) + rest

    def listening(self) -> set[str]:
        """The IP addresses this process (and its children) listen on."""
        process = psutil.Process(self.process.pid)
        found = set()
        for proc in (process, *process.children(recursive=True)):
            for conn in proc.net_connections(kind="tcp"):
                if conn.status == psutil.CONN_LISTEN:
                    found.add(conn.laddr.ip)
        return found


def unknown_path_answer(base: str, method: str, name: str) -> tuple[int, str, bytes]:
    """What the emulated product answers for an unknown path: the control plane must answer exactly this."""
    response = httpx.request(method, f"{base}/{name}", timeout=10, trust_env=False)
    return response.status_code, response.headers.get("content-type", ""), response.content


def control_plane_is_off(base: str) -> None:
    for method, path in CONTROL_CALLS:
        response = httpx.request(method, f"{base}/_authstage/{path}", timeout=10, trust_env=False, json={})
        got = (response.status_code, response.headers.get("content-type", ""), response.content)
        assert got[0] == 404 and got == unknown_path_answer(base, method, f"no-such-{path}"), (
            base,
            method,
            path,
        )


@pytest.fixture
def gateway_config(tmp_path: Path) -> str:
    path = tmp_path / "gateway.json"
    path.write_text(json.dumps({"name": "security-check", "authorizerType": "NONE", "protocolType": "MCP"}))
    return str(path)


def test_services_bind_loopback_by_default_and_can_drop_the_control_plane(gateway_config: str) -> None:
    children = {
        "idp": Child("-m", "fake_idp", "--json", "--no-control-plane"),
        "gateway": Child("-m", "fake_gateway", "--config", gateway_config, "--json", "--no-control-plane"),
        "mcp": Child("-m", "sample_mcp", "--json", "--no-control-plane"),
    }
    try:
        lines = {name: child.ready() for name, child in children.items()}
        for name, child in children.items():
            url = lines[name]["url"]
            assert urlsplit(url).hostname == "127.0.0.1", (name, url)
            assert child.listening() == {"127.0.0.1"}, name
            control_plane_is_off(url)
        # the emulated surfaces still answer
        idp = lines["idp"]
        assert httpx.get(idp["discovery_url"], timeout=10).json()["issuer"] == idp["issuer"]
        ping = httpx.post(
            lines["gateway"]["mcp_url"],
            json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
            headers=MCP_HEADERS,
        )
        assert ping.json() == {"jsonrpc": "2.0", "id": 1, "result": {}}
        assert httpx.get(f"{lines['mcp']['url']}/healthz", timeout=10).json()["status"] == "ok"
    finally:
        outputs = {name: child.stop() for name, child in children.items()}
    for name, output in outputs.items():
        assert "WARNING" not in output, (name, output)


def test_binding_beyond_loopback_prints_a_warning_first(gateway_config: str) -> None:
    host = "192.0.2.1"  # RFC 5737 TEST-NET-1: not an address of this machine, so the bind itself fails
    children = {
        "fake_idp": Child("-m", "fake_idp", "--host", host),
        "fake_gateway": Child("-m", "fake_gateway", "--config", gateway_config, "--host", host),
        "sample_mcp": Child("-m", "sample_mcp", "--host", host),
        "authstage": Child("-m", "harness", "up", "--host", host),
    }
    for name, child in children.items():
        code = child.finish()
        stderr = "".join(child.stderr)
        assert f"authstage: WARNING: {name} listens on {host}, reachable beyond this machine" in stderr, (
            stderr
        )
        assert "--no-control-plane" in stderr
        assert code != 0 and "cannot bind" in stderr, (name, code, stderr)


def test_the_stack_without_control_plane(tmp_path: Path) -> None:
    child = Child("-m", "harness", "up", "--json", "--quiet", "--no-control-plane")
    try:
        manifest = child.ready()
        assert child.listening() == {"127.0.0.1"}
        for service in manifest["services"].values():
            assert urlsplit(service["url"]).hostname == "127.0.0.1"
            control_plane_is_off(service["url"])
        from harness import ProcessStack

        client_side = ProcessStack().attach_manifest(manifest)
        token = client_side.token()
        client_side.stop()  # its client only
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        call["params"] = {"name": "search-server___search", "arguments": {"q": "pkce"}}
        response = httpx.post(
            manifest["gateway"]["mcp_url"],
            json=call,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"},
        )
        assert response.json()["result"]["isError"] is False
    finally:
        output = child.stop()
    assert "WARNING" not in output


# --- redaction ------------------------------------------------------------------------------------------------


def leaks(text: str, secrets_: set[str], tokens: set[str]) -> list[str]:
    """Every secret, token, token signature or JOSE-shaped string found in `text` (with some context)."""
    found = []

    def around(index: int) -> str:
        return text[max(0, index - 80) : index + 40]

    for secret in sorted(s for s in secrets_ if s):
        if secret in text:
            found.append(f"secret: {around(text.index(secret))!r}")
    for token in tokens:
        signature = token.rsplit(".", 1)[-1]
        if len(signature) > 16 and signature in text:
            found.append(f"token: {around(text.index(signature))!r}")
    found += [f"JOSE: {around(m.start())!r}" for m in JOSE.finditer(text)]
    return found


class Traffic:
    """Requests that carry every kind of secret, against a running stack (its manifest)."""

    def __init__(self, manifest: dict[str, Any]) -> None:
        self.m = manifest
        services = manifest["services"]
        self.idp, self.gateway, self.mcp = services["idp"], services["gateway"], services["mcp"]
        clients = manifest["clients"]
        self.secrets = {c["client_secret"] for c in clients.values() if c.get("client_secret")}
        self.secrets |= {u["password"] for u in manifest["users"].values() if u.get("password")}
        self.tokens: set[str] = set()
        self.http = httpx.Client(timeout=15, trust_env=False)

    def token(self, client: str, audience: str, *, as_json: bool = False) -> str:
        info = self.m["clients"][client]
        body = {
            "grant_type": "client_credentials",
            "client_id": info["client_id"],
            "client_secret": info["client_secret"],
            "audience": audience,
        }
        response = self.http.post(
            self.idp["token_endpoint"], **({"json": body} if as_json else {"data": body})
        )
        token = response.json()["access_token"]
        self.tokens.add(token)
        return token

    def run(self) -> None:
        http, idp, gateway, mcp = self.http, self.idp, self.gateway, self.mcp
        m2m, outbound, cli = (self.m["clients"][n] for n in ("demo-m2m", "gateway-outbound", "demo-cli"))
        user = self.m["default_user"]
        gateway_token = self.token("demo-m2m", gateway["mcp_url"])
        server_token = self.token("gateway-outbound", mcp["mcp_url"], as_json=True)
        # a secret in a Basic header (refused: the client is registered for client_secret_post)
        basic = http.post(
            idp["token_endpoint"],
            data={"grant_type": "client_credentials", "audience": gateway["mcp_url"]},
            auth=(m2m["client_id"], m2m["client_secret"]),
        )
        assert basic.status_code == 401
        # a secret in a body sent with the wrong content type (the IdP ignores it; the log must not keep it)
        plain = (
            f"grant_type=client_credentials&client_id={m2m['client_id']}&client_secret={m2m['client_secret']}"
        )
        http.post(idp["token_endpoint"], content=plain, headers={"Content-Type": "text/plain"})
        # authorization code + PKCE through the login form (password), then refresh, userinfo, revoke
        verifier = secrets.token_urlsafe(48)
        challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        callback = cli["callbacks"][0]
        query = {
            "response_type": "code",
            "client_id": cli["client_id"],
            "redirect_uri": callback,
            "scope": "openid offline_access mcp:tools",
            "audience": gateway["mcp_url"],
            "code_challenge": challenge,
            "code_challenge_method": "S256",
            "state": "st",
            "prompt": "login",
        }
        browser = HeadlessBrowser(username=user, password=self.m["users"][user]["password"], stop_at=callback)
        outcome = browser.run(f"{idp['url']}/authorize?{httpx.QueryParams(query)}")
        assert outcome.code, outcome
        code_body = {
            "grant_type": "authorization_code",
            "client_id": cli["client_id"],
            "code": outcome.code,
            "redirect_uri": callback,
            "code_verifier": verifier,
        }
        first = http.post(idp["token_endpoint"], data=code_body).json()
        refreshed = http.post(
            idp["token_endpoint"],
            data={
                "grant_type": "refresh_token",
                "client_id": cli["client_id"],
                "refresh_token": first["refresh_token"],
            },
        ).json()
        self.secrets |= {verifier, outcome.code, first["refresh_token"], refreshed["refresh_token"]}
        self.tokens |= {first["access_token"], first.get("id_token", ""), refreshed["access_token"]}
        assert http.get(
            f"{idp['url']}/userinfo", headers={"Authorization": f"Bearer {first['access_token']}"}
        ).is_success
        http.post(
            f"{idp['url']}/oauth/revoke",
            data={"client_id": cli["client_id"], "token": refreshed["refresh_token"]},
        )
        # token exchange: the user's token as subject_token
        exchanged = http.post(
            idp["token_endpoint"],
            data={
                "grant_type": "urn:ietf:params:oauth:grant-type:token-exchange",
                "client_id": outbound["client_id"],
                "client_secret": outbound["client_secret"],
                "subject_token": first["access_token"],
                "subject_token_type": "urn:authstage:token-type:gateway-access-token",
                "audience": mcp["mcp_url"],
            },
        )
        if exchanged.status_code == 200:
            self.tokens.add(exchanged.json()["access_token"])
        # DCR hands out a secret
        registered = http.post(
            f"{idp['url']}/oidc/register",
            json={"redirect_uris": ["http://127.0.0.1:9999/cb"], "client_name": "leak-check"},
        ).json()
        self.secrets.add(registered["client_secret"])
        # the gateway: a tool call (its outbound token goes to the IdP with Basic and on to the server), secrets
        # in tool arguments, a token in the query string, in Proxy-Authorization, in a Cookie, without a scheme
        call = {"jsonrpc": "2.0", "id": 1, "method": "tools/call"}
        call["params"] = {"name": "search-server___echo", "arguments": {"text": "hello"}}
        bearer = {**MCP_HEADERS, "Authorization": f"Bearer {gateway_token}"}
        assert http.post(gateway["mcp_url"], json=call, headers=bearer).json()["result"]["isError"] is False
        sneaky = {"jsonrpc": "2.0", "id": 2, "method": "tools/call"}
        sneaky["params"] = {
            "name": "search-server___echo",
            "arguments": {"text": f"client_secret={m2m['client_secret']}", "access_token": gateway_token},
        }
        http.post(gateway["mcp_url"], json=sneaky, headers=bearer)
        http.post(f"{gateway['mcp_url']}?access_token={gateway_token}", json=call, headers=MCP_HEADERS)
        http.post(gateway["mcp_url"], json=call, headers={**MCP_HEADERS, "Authorization": gateway_token})
        http.post(
            gateway["mcp_url"],
            json=call,
            headers={
                **MCP_HEADERS,
                "Proxy-Authorization": f"Bearer {gateway_token}",
                "Cookie": f"t={gateway_token}",
            },
        )
        # the sample server straight: header and query
        search = {
            "jsonrpc": "2.0",
            "id": 3,
            "method": "tools/call",
            "params": {"name": "search", "arguments": {"q": "x"}},
        }
        http.post(
            f"{mcp['mcp_url']}?access_token={server_token}",
            json=search,
            headers={**MCP_HEADERS, "Authorization": f"Bearer {server_token}"},
        )
        self.tokens.discard("")


def test_logs_and_request_lines_of_authstage_up_leak_no_secret() -> None:
    """`authstage up` (request lines on stderr), each service's /_authstage/log and the gateway's /_authstage/logs."""
    child = Child("-m", "harness", "up", "--json")
    try:
        traffic = Traffic(child.ready())
        traffic.run()
        time.sleep(0.3)  # the request lines are printed by the serving threads
        texts = {}
        for name in ("idp", "gateway", "mcp"):
            texts[f"{name} /_authstage/log"] = traffic.http.get(
                f"{traffic.m['services'][name]['url']}/_authstage/log"
            ).text
        texts["gateway /_authstage/logs"] = traffic.http.get(f"{traffic.gateway['url']}/_authstage/logs").text
    finally:
        texts["authstage up request lines"] = child.stop()
    assert len(json.loads(texts["idp /_authstage/log"])["records"]) > 10
    assert "[redacted]" in texts["idp /_authstage/log"] and "[redacted]" in texts["gateway /_authstage/log"]
    assert "/oauth/token" in texts["authstage up request lines"]
    found = {where: leaks(text, traffic.secrets, traffic.tokens) for where, text in texts.items()}
    assert {where: items for where, items in found.items() if items} == {}


SCENARIO = """
name: secrets-in-traffic
title: Every kind of secret crosses the wire; none may reach a trace or a report
symptom: none (a redaction check)
root_cause: none
fix: {}
sources: [https://example.test/authstage/control-plane]
tags: [security]
steps:
  - name: secret in the form body
    token: {client: demo-m2m, audience: "${gateway.mcp_url}"}
    as: tok
    expect: {status: 200}
  - name: secret in a JSON body
    token: {client: gateway-outbound, audience: "${mcp.mcp_url}", encoding: json}
    as: up
    expect: {status: 200}
  - name: secret in a Basic header
    token: {client: demo-m2m, audience: "${gateway.mcp_url}", auth: basic}
    expect: {status: 401}
  - name: authorization code + PKCE, with a refresh token
    authorize: {user: alice@example.test, scope: "openid offline_access mcp:tools", audience: "${gateway.mcp_url}"}
    as: code
    expect: {status: 200}
  - name: refresh
    refresh: {refresh_token: "${code.refresh_token}"}
    expect: {status: 200}
  - name: registration returns a secret
    register: {body: {redirect_uris: ["http://127.0.0.1:9999/cb"], client_name: leak-check}}
    expect: {status: 201}
  - name: tool call through the gateway
    mcp: {tool: search-server___search, arguments: {q: pkce}, token: "${tok.access_token}"}
    expect: {status: 200}
  - name: token in the query string
    http: {service: gateway, method: POST, path: /mcp, query: {access_token: "${tok.access_token}"},
           json: {jsonrpc: "2.0", id: 1, method: ping}}
    expect: {status: 401}
  - name: the server's token at the gateway
    mcp: {method: tools/list, token: "${up.access_token}"}
    expect: {status: 401}
"""


@pytest.fixture
def replay_stack() -> Iterator[Stack]:
    with Stack() as stack:
        yield stack


def test_replay_traces_and_reports_leak_no_secret(tmp_path: Path, replay_stack: Stack) -> None:
    path = tmp_path / "secrets-in-traffic.yaml"
    path.write_text(SCENARIO)
    (scenario,) = select([str(path)], None)
    with Replayer(replay_stack) as replayer:
        run = replayer.run(scenario, "broken")
    assert run.passed, run.problems
    state = replay_stack.idp.app.state.control.state
    manifest = replay_stack.manifest
    secrets_ = {c["client_secret"] for c in manifest["clients"].values() if c.get("client_secret")}
    secrets_ |= {u["password"] for u in manifest["users"].values()}
    secrets_ |= set(state.refresh_tokens) | {c.client_secret or "" for c in state.registered_clients.values()}
    assert state.refresh_tokens and state.registered_clients  # the run really produced them
    texts = {
        "trace": json.dumps(run.traffic),
        "markdown report": markdown_report([run]),
        "junit": junit_xml([run]),
        "json result": json.dumps(result_json(run)),
    }
    assert any(r["path"] == "/oauth/token" for r in run.traffic)
    found = {where: leaks(text, secrets_, set()) for where, text in texts.items()}
    assert {where: items for where, items in found.items() if items} == {}
