"""`authstage client-check`: a real client (the mcp SDK's OAuth support, tests/harness/contract_client.py) graded on one
stack under conformance's contract; its deliberately broken variants fail exactly the checks named for their defect;
mcp-remote (a real TypeScript client) runs the scenarios it supports."""

from __future__ import annotations

import contextlib
import dataclasses
import json
import os
import re
import shutil
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from harness._cli import main
from harness._client_check import ClientCheck, ScenarioResult
from harness._client_grading import check
from harness._client_report import Baseline, junit_xml
from harness._client_suites import SCENARIOS, SUITES, suite_scenarios

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CLIENT = [sys.executable, str(HERE / "contract_client.py")]
MCP_REMOTE_CLIENT = Path(os.environ.get("AUTHSTAGE_MCP_REMOTE_CLIENT",
                                        ROOT / ".venv/node/node_modules/.bin/mcp-remote-client"))
ISO = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$")
PKCE = {"pkce-code-challenge-sent", "pkce-s256-method-used", "pkce-code-verifier-sent", "pkce-verifier-matches-challenge"}
FLOW = {"authorization-server-metadata", "client-registration", "authorization-request", "token-request"}


def test_the_suites_are_conformances_22_auth_scenarios_and_the_product_traps(capsys) -> None:
    assert [s.name for s in suite_scenarios("auth")] == [
        "auth/metadata-default", "auth/metadata-var1", "auth/metadata-var2", "auth/metadata-var3", "auth/basic-cimd",
        "auth/scope-from-www-authenticate", "auth/scope-from-scopes-supported", "auth/scope-omitted-when-undefined",
        "auth/scope-step-up", "auth/scope-retry-limit", "auth/token-endpoint-auth-basic",
        "auth/token-endpoint-auth-post", "auth/token-endpoint-auth-none", "auth/pre-registration"]
    assert len(suite_scenarios("conformance")) == 22 and len(suite_scenarios("all")) == len(SCENARIOS) == 30
    assert set(SUITES["all"]) == {s.suite for s in SCENARIOS}
    assert main(["client-check", "--list", "--suite", "agentcore", "-k", "sse or step"]) == 0
    listed = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in listed] == ["auth/agentcore-step-up-denied", "auth/agentcore-sessions-sse"]
    assert main(["client-check", "--suite", "auth"]) == 2  # no client command


def test_the_sdk_client_passes_every_suite(tmp_path: Path, capsys) -> None:
    out, junit = tmp_path / "out", tmp_path / "junit.xml"
    code = main(["client-check", "--suite", "all", "--json", "-o", str(out), "--junit", str(junit), "--", *CLIENT])
    report = json.loads(capsys.readouterr().out)
    failed = {s["scenario"]: (s["failed_checks"], s["checks"]) for s in report["scenarios"] if not s["passed"]}
    assert code == 0 and not failed, failed
    by_name = {s["scenario"]: s for s in report["scenarios"]}
    cimd = {c["id"]: c["status"] for c in by_name["auth/basic-cimd"]["checks"]}  # its document fetched over https
    assert cimd["cimd-client-id-used"] == cimd["cimd-document-valid"] == "SUCCESS" and "client-registration" not in cimd
    graded = {c["id"] for c in by_name["auth/metadata-default"]["checks"] if c["status"] != "INFO"}
    assert graded == FLOW | PKCE | {"prm-pathbased-requested", "valid-bearer-token"}  # conformance 0.1.16's set
    statuses = {c["id"]: c["status"] for s in report["scenarios"] for c in s["checks"]}
    for product in ("token-audience", "refresh-token-rotation", "prm-discovered", "no-as-probe-at-gateway",
                    "mcp-session-id-echoed", "mcp-tool-called", "preregistered-client-used",
                    "complete-flow-token-exchange", "complete-flow-jwt-bearer", "client-credentials-jwt-verified"):
        assert statuses[product] == "SUCCESS", product
    # conformance's layout and shape: <dir>/auth/<scenario>-<timestamp>/checks.json (2-space JSON), stdout, stderr
    written = sorted(out.glob("auth/metadata-default-*/checks.json"))
    assert len(written) == 1 and (written[0].parent / "stderr.txt").exists()
    checks = json.loads(written[0].read_text())
    assert written[0].read_text() == json.dumps(checks, indent=2, ensure_ascii=False)
    for item in checks:
        assert list(item)[:5] == ["id", "name", "description", "status", "timestamp"] and ISO.match(item["timestamp"])
    assert (out / "report.md").read_text().startswith("# Client check")
    suite = ET.parse(junit).getroot()
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("30", "0", "0")


# The broken client: each scenario gets one defect; each fails exactly the checks named for it (and Auth0's strict
# DCR shows what its real refusal of a PKCE-less client breaks downstream).
DEFECTS = {
    "auth/token-endpoint-auth-post": ("no-pkce", PKCE),
    "auth/token-endpoint-auth-basic": ("no-resource", {"resource-parameter-in-authorization",
                                                       "resource-parameter-in-token"}),
    "auth/metadata-default": ("root-only-prm", FLOW | {"prm-priority-order", "prm-pathbased-requested"}),
    "auth/metadata-var2": ("root-only-prm", set()),  # var2 serves its PRM at the root: the defect is invisible
    "auth/scope-step-up": ("ignore-403-scope", {"scope-step-up-escalation"}),
    "auth/scope-retry-limit": ("retry-forever", {"scope-retry-limit"}),
    "auth/auth0-refresh-token-rotation": ("no-rotated-refresh", {"refresh-token-rotation"}),
    "auth/auth0-strict-dcr": ("no-pkce", {"pkce-code-challenge-sent", "pkce-s256-method-used", "token-request",
                                          "resource-parameter-in-token", "token-audience"}),
}


def test_broken_variants_fail_exactly_the_named_checks(monkeypatch) -> None:
    monkeypatch.setenv("AUTHSTAGE_CLIENT_DEFECTS", ";".join(f"{n}={d}" for n, (d, _) in DEFECTS.items()))
    unusable = dataclasses.replace(SCENARIOS[0], name="auth/unusable-stack", stack={"idp": {"apis": [{"name": "x"}]}})
    scenarios = [unusable, *(s for s in SCENARIOS if s.name in DEFECTS)]
    with contextlib.closing(ClientCheck(CLIENT, timeout=30, prestart=0)) as runner:  # clients at their turn, no gates
        results = {r.scenario.name: r for r in runner.run(scenarios)}
    assert [c["id"] for c in results["auth/unusable-stack"].failures] == ["stack-setup"]  # the run goes on
    for name, (defect, named) in DEFECTS.items():
        result = results[name]
        assert {c["id"] for c in result.failures} == named, (name, defect, result.failures, result.stderr[-2000:])
    retry = results["auth/scope-retry-limit"]
    assert retry.stopped and "4 authorization attempts" in retry.stopped and not retry.timed_out


# auth/basic-cimd three ways: a document naming another URL than its own (127.0.0.1 vs localhost) is refused by the
# IdP; a client that registers instead is warned; conformance's fixed URL (python-sdk's conformance client uses it)
# runs on the document the scenario pins for it.
CIMD_VARIANTS = {
    "auth/basic-cimd": ("cimd-wrong-client-id", {"cimd-document-valid"}),
    "auth/basic-cimd (dcr)": ("dcr-instead-of-cimd", {"cimd-client-id-used"}),
    "auth/basic-cimd (conformance url)": ("ignore-cimd-context", set()),
}


def test_broken_cimd_clients_fail_exactly_the_named_check(monkeypatch) -> None:
    monkeypatch.setenv("AUTHSTAGE_CLIENT_DEFECTS", ";".join(f"{n}={d}" for n, (d, _) in CIMD_VARIANTS.items()))
    cimd = next(s for s in SCENARIOS if s.name == "auth/basic-cimd")
    with contextlib.closing(ClientCheck(CLIENT, timeout=30)) as runner:
        results = {r.scenario.name: r for r in runner.run([dataclasses.replace(cimd, name=n) for n in CIMD_VARIANTS])}
    for name, (defect, named) in CIMD_VARIANTS.items():
        result = results[name]
        assert {c["id"] for c in result.failures} == named, (name, defect, result.failures, result.stderr[-2000:])
    refusal = results["auth/basic-cimd"].failures[0]["description"]
    assert "its client_id 'https://localhost:" in refusal and "is not the URL it was fetched from" in refusal
    used = {c["id"] for c in results["auth/basic-cimd (dcr)"].checks}
    assert "client-registration" in used and "cimd-document-valid" not in used
    pinned = [c for c in results["auth/basic-cimd (conformance url)"].checks if c["id"] == "cimd-document-valid"]
    assert pinned and "pinned (profile.cimd.documents)" in pinned[0]["description"]


# mcp-remote-client connects, lists tools and resources, and exits: what it runs under the contract (through
# tests/harness/mcp_remote_client.sh). The scenarios it supports pass; one shows a real deviation of mcp-remote
# 0.15.1 that conformance grades the same way.
MCP_REMOTE = {
    "auth/metadata-default": set(),
    "auth/metadata-var1": set(),
    "auth/token-endpoint-auth-none": set(),
    "auth/2025-03-26-oauth-endpoint-fallback": set(),
    "auth/agentcore-prm-root": set(),
    # it asks for `openid email profile` when no scope is defined anywhere
    "auth/scope-omitted-when-undefined": {"scope-omitted-when-undefined"},
}


@pytest.mark.node
def test_mcp_remote_runs_the_scenarios_it_supports(tmp_path: Path, monkeypatch) -> None:
    if shutil.which("node") is None:
        if os.environ.get("CI") == "true":
            pytest.fail("node is required in CI")
        pytest.skip("node is not installed (install Node.js; `make test` installs mcp-remote)")
    assert MCP_REMOTE_CLIENT.exists(), f"{MCP_REMOTE_CLIENT} missing: run `make node-tools`"
    browser = Path(sys.executable).with_name("authstage-browser")
    for name in ("DISPLAY", "WAYLAND_DISPLAY", "XDG_CURRENT_DESKTOP"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("BROWSER", str(browser))
    monkeypatch.setenv("MCP_REMOTE_CLIENT", str(MCP_REMOTE_CLIENT))
    monkeypatch.setenv("AUTHSTAGE_HOME", str(tmp_path / "home"))
    scenarios = [s for s in SCENARIOS if s.name in MCP_REMOTE]
    with contextlib.closing(ClientCheck([str(HERE / "mcp_remote_client.sh")], timeout=45)) as runner:
        results = runner.run(scenarios)
    for result in results:
        failing = {c["id"] for c in result.failures}
        assert failing == MCP_REMOTE[result.scenario.name], (result.scenario.name, result.failures, result.stderr)
    register = next(c for r in results for c in r.checks if c["id"] == "client-registration")
    assert register["details"]["clientName"] == "MCP CLI Client"


def _result(name: str, *statuses: str) -> ScenarioResult:
    scenario = next(s for s in SCENARIOS if s.name == name)
    return ScenarioResult(scenario, [check(f"c{i}", "x", status) for i, status in enumerate(statuses)], seconds=0.5)


def test_baseline_and_junit_follow_conformance() -> None:
    passing, failing = _result("auth/metadata-default", "SUCCESS"), _result("auth/metadata-var1", "SUCCESS", "WARNING")
    assert Baseline([]).verdict([passing, failing])[0] == 1
    assert Baseline(["auth/metadata-var1"]).verdict([passing, failing]) == (
        0, ["", "Expected failures (in baseline):", "  ~ auth/metadata-var1"])
    assert Baseline(["auth/metadata-var1:c1"]).verdict([passing, failing])[0] == 0  # check-level entries (0.2.x)
    code, lines = Baseline(["auth/metadata-default"]).verdict([passing])
    assert code == 1 and "  ✓ auth/metadata-default" in lines  # stale entry
    suite = ET.fromstring(junit_xml([passing, failing]))
    assert [c.get("name") for c in suite] == ["auth/metadata-default", "auth/metadata-var1"]
    assert suite.get("failures") == "1" and suite[1].find("failure").get("message") == "c1: x"


def test_the_docs_name_every_scenario() -> None:
    text = (ROOT / "docs" / "client-check.md").read_text()
    for scenario in SCENARIOS:
        assert f"| `{scenario.name}` | {scenario.suite} |" in text, scenario.name


def test_a_client_command_that_cannot_run_is_a_usage_error(tmp_path: Path, capsys) -> None:
    """A typo in the command, or a file that is not a program: exit 2 with what is wrong, never a traceback."""
    assert main(["client-check", "-k", "metadata-default", "--", "mcp-clinet-no-such"]) == 2
    assert "cannot run the client 'mcp-clinet-no-such': no such file or command on PATH" in capsys.readouterr().err
    data = tmp_path / "client.json"
    data.write_text("{}")
    data.chmod(0o755)
    assert main(["client-check", "-k", "metadata-default", "--", str(data)]) == 2
    assert "cannot run the client" in capsys.readouterr().err


def test_sigterm_ends_the_run_and_its_clients(tmp_path: Path) -> None:
    """`timeout`, a cancelled CI job: the client (in its own session) is ended with the run, not left holding its
    callback port."""
    import signal
    import subprocess
    import time

    marker = tmp_path / "alive"
    client = tmp_path / "client.sh"
    client.write_text(f"#!/bin/sh\ntouch {marker}\nexec sleep 120\n")
    client.chmod(0o755)
    run = subprocess.Popen([sys.executable, "-m", "harness", "client-check", "-k", "metadata-default",
                            "--timeout", "60", "--", str(client)], stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    deadline = time.monotonic() + 30
    while not marker.exists() and time.monotonic() < deadline:
        time.sleep(0.1)
    assert marker.exists(), run.stderr.read() if run.poll() is not None else "client never started"
    run.send_signal(signal.SIGTERM)
    run.wait(30)
    time.sleep(0.5)
    left = subprocess.run(["pgrep", "-f", str(client)], capture_output=True, text=True)
    assert left.stdout.strip() == "", left.stdout


def test_the_text_report_says_a_missing_check_once_and_why_the_client_exited() -> None:
    from harness._client_grading import missing
    from harness._client_report import text_report

    scenario = next(s for s in SCENARIOS if s.name == "auth/metadata-default")
    result = ScenarioResult(scenario, exit_code=1,
                            stderr="Traceback ...\nOSError: [Errno 98] Address already in use\n")
    result.checks = [missing("token-request")]
    text = text_report([result], 1.0)
    assert "    - Expected Check Missing: token-request\n" in text
    assert "(the client exited 1: OSError: [Errno 98] Address already in use)" in text
