"""The `authstage` command, run as users run it (subprocesses), plus the pure helpers."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from harness import Stack
from harness._cli import main
from harness._token import decode_token


def run_cli(*args: str, env: dict[str, str] | None = None, input: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "harness", *args],
        capture_output=True,
        text=True,
        timeout=60,
        input=input,
        env={**os.environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def running(tmp_path_factory) -> Iterator[tuple[subprocess.Popen[str], str, dict]]:
    """`authstage up` in text mode, as a person starts it; its manifest file lives in a private AUTHSTAGE_HOME."""
    home = str(tmp_path_factory.mktemp("authstage-home"))
    process = subprocess.Popen(
        [sys.executable, "-m", "harness", "up"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "AUTHSTAGE_HOME": home, "PYTHONUNBUFFERED": "1"},
    )
    lines = []
    try:
        while True:
            line = process.stdout.readline()
            assert line, process.stderr.read()
            lines.append(line)
            if line.startswith("  Requests"):
                break
        manifest = json.loads((Path(home) / "manifest.json").read_text())
    except BaseException:
        process.kill()
        raise
    yield process, "".join(lines), manifest | {"home": home}
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=15) == 0
    assert not (Path(home) / "manifest.json").exists()


def test_up_prints_a_summary_whose_curl_lines_work_as_printed(running) -> None:
    _, summary, manifest = running
    assert manifest["gateway"]["mcp_url"] in summary
    assert "  Gateway (AgentCore)    http" in summary
    assert "(behind the gateway as target `search-server`)" in summary
    assert "client_secret=demo-secret-not-for-production" in summary
    for snippet in ('"type": "http"', "mcp-remote@0.15", "authstage-browser"):
        assert snippet in summary
    commands = [line.strip() for line in summary.splitlines() if line.strip().startswith(("TOKEN=$(curl", "curl -s"))]
    assert len(commands) == 2
    result = subprocess.run(["bash", "-c", "\n".join(commands)], capture_output=True, text=True, timeout=30)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert "search-server___search" in [tool["name"] for tool in body["result"]["tools"]]


def test_up_prints_one_line_per_request_with_the_reason_for_refusals(running) -> None:
    process, _, manifest = running
    httpx.post(manifest["gateway"]["mcp_url"], json={"jsonrpc": "2.0", "id": 1, "method": "ping"},
               headers={"Authorization": "Bearer not-a-jwt"})
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        line = process.stdout.readline()
        if "/mcp 401" in line:
            assert line.startswith("[gateway] POST")
            assert "—" in line  # the reason the real gateway does not give
            return
    pytest.fail("no request line for the 401")


def test_token_decode_and_explain_against_the_running_stack(running) -> None:
    _, _, manifest = running
    env = {"AUTHSTAGE_HOME": manifest["home"]}
    token = run_cli("token", env=env)
    assert token.returncode == 0, token.stderr
    decoded = run_cli("decode", token.stdout.strip())
    assert "aud: " + json.dumps(manifest["gateway"]["mcp_url"]) in decoded.stdout
    assert re.search(r"exp: \d+  \(\d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC\)", decoded.stdout)
    explained = run_cli("explain", token.stdout.strip(), env=env)
    assert explained.returncode == 0 and "Result: accepted" in explained.stdout


def test_explain_names_the_audience_check(running) -> None:
    _, _, manifest = running
    env = {"AUTHSTAGE_HOME": manifest["home"]}
    token = run_cli("token", "--client", "gateway-outbound", "--audience", manifest["apis"]["sample-search"], env=env)
    explained = run_cli("explain", token.stdout.strip(), env=env)
    assert explained.returncode == 1
    assert re.search(r"FAIL\s+aud\s+aud '.*' not in allowedAudience", explained.stdout)
    assert "fix:" in explained.stdout


def test_explain_offline_with_a_pasted_aws_config_names_allowed_clients_and_unknown_kid(tmp_path) -> None:
    """A real-shaped AWS get-gateway document + the IdP's documents as files; Auth0 tokens carry azp, not client_id."""
    with Stack() as stack:
        tenant = stack.idp.config()
        for api in tenant["apis"]:
            api["token_dialect"] = "access_token"  # Auth0's default dialect: azp, no client_id
        stack.idp.put(tenant)
        token = stack.token()
        (tmp_path / "discovery.json").write_text(stack.http.get(stack.idp.discovery_url).text)
        (tmp_path / "jwks.json").write_text(stack.http.get(stack.idp.jwks_uri).text)
        client_id = stack.manifest["clients"]["demo-m2m"]["client_id"]
        discovery_url = stack.idp.discovery_url
    aws = {
        "gatewayId": "mygateway-abcdefghij",
        "gatewayArn": "arn:aws:bedrock-agentcore:us-west-2:123456789012:gateway/mygateway-abcdefghij",
        "gatewayUrl": "https://mygateway-abcdefghij.gateway.bedrock-agentcore.us-west-2.amazonaws.com/mcp",
        "status": "READY",
        "name": "mygateway",
        "roleArn": "arn:aws:iam::123456789012:role/gateway-role",
        "protocolType": "MCP",
        "authorizerType": "CUSTOM_JWT",
        "authorizerConfiguration": {"customJWTAuthorizer": {"discoveryUrl": discovery_url, "allowedClients": [client_id]}},
    }
    (tmp_path / "gateway.json").write_text(json.dumps(aws))
    args = ["--gateway-config", str(tmp_path / "gateway.json"), "--discovery", str(tmp_path / "discovery.json"),
            "--jwks", str(tmp_path / "jwks.json")]
    explained = run_cli("explain", token, *args)
    assert explained.returncode == 1, explained.stderr
    assert re.search(r"FAIL\s+client_id", explained.stdout)
    assert "azp" in explained.stdout
    (tmp_path / "jwks.json").write_text(json.dumps({"keys": []}))
    unknown_kid = run_cli("explain", token, *args)
    assert re.search(r"FAIL\s+kid", unknown_kid.stdout)


def test_decode_handles_jwe_and_opaque_tokens() -> None:
    jwe = "eyJhbGciOiJkaXIiLCJlbmMiOiJBMjU2R0NNIiwiaXNzIjoiaHR0cHM6Ly94LmF1dGgwLmNvbS8ifQ..aaaa.bbbb.cccc"
    assert decode_token(jwe) == {"kind": "JWE", "header": {"alg": "dir", "enc": "A256GCM", "iss": "https://x.auth0.com/"},
                                 "claims": None}
    assert decode_token("opaque")["kind"] == "opaque"
    assert main(["decode", "opaque"]) == 1


def test_up_json_first_line_is_the_manifest() -> None:
    process = subprocess.Popen([sys.executable, "-m", "harness", "up", "--json", "--quiet"], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, text=True)
    try:
        manifest = json.loads(process.stdout.readline())
        assert manifest["authstage"] and manifest["gateway"]["mcp_url"].endswith("/mcp")
        assert httpx.get(manifest["gateway"]["prm_url"]).json()["resource"] == manifest["gateway"]["mcp_url"]
    finally:
        process.terminate()
        assert process.wait(timeout=15) == 0


def test_up_with_a_bad_stack_file_exits_with_a_clear_message(tmp_path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_text("gateway:\n  authorizerConfiguration:\n    customJwtAuthorizer: {}\n")
    result = run_cli("up", "--config", str(path))
    assert result.returncode == 2
    assert "customJwtAuthorizer" in result.stderr and "Traceback" not in result.stderr


def test_up_lists_every_problem_of_a_stack_file_with_its_line_and_no_traceback(tmp_path) -> None:
    path = tmp_path / "stack.yaml"
    path.write_bytes(b"idp:\n  faults: {jwks_falt: slow}\nmcp:\n  sesions: true\ngateway:\n  emulator: {leeway: 1}\n")
    result = run_cli("up", "--config", str(path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{path}:2: idp.faults.jwks_falt: Extra inputs are not permitted (did you mean `jwks_fault`?)" in result.stderr
    assert f"{path}:4: mcp.sesions" in result.stderr and f"{path}:6: gateway.emulator.leeway" in result.stderr
    path.write_bytes(b"idp:\n  name: caf\xe9\n")
    result = run_cli("up", "--config", str(path))
    assert result.returncode == 2 and f"{path}:2: not UTF-8" in result.stderr and "Traceback" not in result.stderr


@pytest.mark.parametrize("value", ["65533", "65534", "65533x", "-5", "0", "99999"])
def test_port_base_is_range_checked(value: str, capsys: pytest.CaptureFixture[str]) -> None:
    """N to N+3 (the browser view) must all be ports: an argparse error (exit 2), never an OverflowError traceback."""
    with pytest.raises(SystemExit) as caught:
        main(["up", "--port-base", value])
    assert caught.value.code == 2
    assert "argument --port-base" in capsys.readouterr().err


def test_a_folder_with_one_misspelled_scenario_fails_the_replay(tmp_path) -> None:
    """`symptoms:` instead of `symptom:` is no longer skipped as "not a scenario": the replay fails, naming it."""
    from tests.harness.test_scenario import GOOD

    (tmp_path / "good.yaml").write_text(GOOD)
    (tmp_path / "typo.yaml").write_text(GOOD.replace("name: sample", "name: other").replace("symptom:", "symptoms:"))
    result = run_cli("replay", str(tmp_path))
    assert result.returncode == 2 and "Traceback" not in result.stderr
    assert f"{tmp_path / 'typo.yaml'}:3: unknown key `symptoms`" in result.stderr
    result = run_cli("replay", str(tmp_path), "--exclude", "typo.yaml", "--broken-only")
    assert result.returncode != 2 and "1 scenarios" in result.stdout, result.stdout + result.stderr  # it ran


def test_sigterm_under_load_with_half_sent_bodies_stops_cleanly(tmp_path) -> None:
    """`authstage up` stopped while 40 requests are still sending their bodies (to every service) and a client
    keeps calling: exit 0 within seconds, no traceback, nothing left running. Anonymous half-sent POSTs to the
    gateway and the sample server are answered 401 from their headers (neither reads the body first)."""
    import socket
    import threading
    from urllib.parse import urlsplit

    err = (tmp_path / "stderr").open("w+")
    process = subprocess.Popen([sys.executable, "-m", "harness", "up", "--json"], stdout=subprocess.PIPE,
                               stderr=err, text=True)
    manifest = json.loads(process.stdout.readline())
    socks, early = [], []
    urls = [manifest["gateway"]["mcp_url"], manifest["services"]["mcp"]["mcp_url"],
            manifest["services"]["idp"]["token_endpoint"]]
    for n in range(40):
        parts = urlsplit(urls[n % 3])
        sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
        sock.sendall(f"POST {parts.path} HTTP/1.1\r\nHost: {parts.netloc}\r\nContent-Type: application/json\r\n"
                     f"Content-Length: 1000000\r\n\r\n".encode() + b"{" * 100)
        socks.append((parts.path, sock))
    for _path, sock in socks[:2]:
        sock.settimeout(3)
        early.append(sock.recv(200))
    assert all(reply.startswith(b"HTTP/1.1 401 ") for reply in early), early
    stop = threading.Event()

    def load() -> None:
        with httpx.Client(trust_env=False, timeout=5) as client:
            while not stop.is_set():
                try:
                    client.get(manifest["services"]["idp"]["url"] + "/.well-known/openid-configuration")
                except httpx.HTTPError:
                    pass

    worker = threading.Thread(target=load)
    worker.start()
    time.sleep(0.3)
    started = time.monotonic()
    process.send_signal(signal.SIGTERM)
    try:
        assert process.wait(timeout=15) == 0
    finally:
        stop.set()
        worker.join()
        for _, sock in socks:
            sock.close()
    assert time.monotonic() - started < 6
    err.seek(0)
    stderr = err.read()
    assert "Traceback" not in stderr and "CancelledError" not in stderr and "Cancel " not in stderr, stderr[-3000:]
    assert "shutting down while the request body was still arriving" in stderr
    with pytest.raises(ProcessLookupError):
        os.kill(process.pid, 0)  # reaped: no process left


PROBE = """\
import json, sys
from harness._cli import main
try:
    main(sys.argv[1:])
except SystemExit:
    pass
loaded = {name.split(".")[0] for name in sys.modules}
print(json.dumps(sorted(loaded & {"httpx", "mcp", "uvicorn", "starlette", "fastapi", "pydantic", "joserfc",
                                  "cryptography", "yaml", "fake_idp", "fake_gateway", "sample_mcp"})), file=sys.stderr)
"""


@pytest.mark.parametrize(("command", "allowed"), [
    (["--help"], set()),
    (["--version"], set()),
    (["decode", "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln"], {"joserfc", "cryptography"}),
    (["token"], {"httpx"}),
])
def test_each_command_imports_only_what_it_needs(running, command: list[str], allowed: set[str]) -> None:
    """Issue 14: `authstage --help` loads no web framework, HTTP client or MCP SDK; `decode` only JOSE; `token`
    against a running stack only its HTTP client (docs/performance.md "The command line")."""
    _, _, manifest = running
    done = subprocess.run([sys.executable, "-c", PROBE, *command], capture_output=True, text=True, timeout=60,
                          env={**os.environ, "AUTHSTAGE_HOME": manifest["home"]})
    loaded = set(json.loads(done.stderr.strip().splitlines()[-1]))
    assert loaded <= allowed, (command, loaded - allowed, done.stderr[-500:])
    if command == ["token"]:
        assert done.stdout.count(".") == 2  # a token, from the running stack


def test_replay_on_workers_and_in_shards_runs_the_same_catalog(tmp_path) -> None:
    """`--jobs 2` gives what `--jobs 1` gives, in the same order; `--shard i/n` slices it, all shards together
    covering it once."""
    def runs(*args: str) -> list[tuple[str, str, bool, list[str]]]:
        done = run_cli("replay", "scenarios", "-k", "audience", "--json", *args)
        assert done.returncode == 0, done.stderr[-2000:]
        return [(r["scenario"], r["mode"], r["passed"], r["problems"]) for r in json.loads(done.stdout)["runs"]]

    one, two = runs("--jobs", "1"), runs("--jobs", "2")
    assert one == two and len(one) >= 4
    shards = [runs("--shard", f"{i}/3") for i in (1, 2, 3)]
    assert [run for shard in shards for run in shard] == one
    assert all(shards)
    empty = run_cli("replay", "scenarios", "-k", "audience", "--shard", "1/40")  # 11 scenarios, 40 slices
    assert empty.returncode == 0 and "is empty" in empty.stderr
    for bad, why in ((["--shard", "3/2"], "shard 3/2: i must be between 1 and n"),
                     (["--shard", "two"], "'two' is not i/n"), (["--jobs", "0"], "'0': use a number of workers")):
        refused = run_cli("replay", "scenarios", *bad)
        assert refused.returncode == 2 and why in refused.stderr, refused.stderr
