"""The replayer: references, modes, reports, JUnit, the `authstage replay` command and the pytest items."""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
import xml.etree.ElementTree as ET

import pytest

from harness import ScenarioLoadError, ScenarioMismatch, ScenarioStepError
from harness._replay import Replayer
from harness._scenario import load_scenario

pytest_plugins = ["pytester"]

SCENARIO = """\
name: aud-demo
title: Token for another API
symptom: 401 Invalid Bearer token
root_cause: aud is the sample server
fix:
  gateway:
    authorizerConfiguration:
      customJWTAuthorizer:
        allowedAudience: ["${gateway.mcp_url}", "${mcp.mcp_url}"]
        allowedScopes: ["mcp:tools", "search:read"]
sources: [https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html]
tags: [agentcore, audience]
clock: {at: 1800000000}
steps:
  - token: {client: gateway-outbound, audience: "${mcp.mcp_url}"}
    as: tok
    expect: {status: 200, claims: {aud: "${mcp.mcp_url}", iat: 1800000000, client_id: "${clients.gateway-outbound.client_id}"}}
  - mcp: {method: tools/list, token: "${tok.access_token}"}
    expect:
      status: 401
      headers: {www-authenticate: {regex: 'error="invalid_token"'}}
      jsonrpc_error: {code: -32001, message: Invalid Bearer token}
      log: {service: gateway, status: 401, reason: {regex: "not in allowedAudience"}}
    expect_fixed:
      status: 200
      result: {tools: {contains: search-server___search}}
  - explain: {token: "${tok.access_token}"}
    expect: {checks: {aud: false, signature: true}}
    expect_fixed: {checks: {aud: true}}
"""


@pytest.fixture(scope="module")
def replayer(stack):
    with Replayer(stack) as replayer:
        yield replayer


def load_scenario_text(text: str, tmp_path=None):
    import tempfile
    from pathlib import Path

    directory = Path(tmp_path or tempfile.mkdtemp())
    path = directory / "scenario.yaml"
    path.write_text(text)
    return load_scenario(path)


def test_broken_and_fixed_runs_observe_what_the_scenario_says(replayer, tmp_path) -> None:
    scenario = load_scenario_text(SCENARIO, tmp_path)
    broken = replayer.run(scenario, "broken")
    assert broken.passed, broken.problems
    fixed = replayer.run(scenario, "fixed")
    assert fixed.passed, fixed.problems
    assert any(r["service"] == "gateway" and r["status"] == 401 for r in broken.traffic)


def test_a_wrong_expectation_is_reported_as_a_mismatch(replayer, tmp_path) -> None:
    scenario = load_scenario_text(SCENARIO.replace("status: 401\n", "status: 403\n"), tmp_path)
    run = replayer.run(scenario, "broken")
    assert not run.passed
    assert any("status: expected 403, got 401" in p for p in run.problems)


def test_raise_for_mismatch_names_the_first_step_that_did_not_pass(replayer, tmp_path) -> None:
    scenario = load_scenario_text(SCENARIO.replace("status: 401\n", "status: 403\n"), tmp_path)
    run = replayer.run(scenario, "broken")
    with pytest.raises(ScenarioMismatch) as caught:
        run.raise_for_mismatch()
    assert isinstance(caught.value, ScenarioStepError) and caught.value.run is run
    assert caught.value.step is scenario.steps[1] and caught.value.response["status"] == 401
    assert "status: expected 403, got 401" in str(caught.value)
    replayer.run(load_scenario_text(SCENARIO, tmp_path), "broken").raise_for_mismatch()  # passed: no error


def test_unknown_reference_is_a_load_error_and_an_unknown_key_a_step_error(replayer, tmp_path) -> None:
    """A name no earlier step saved is found when the file loads; a key the saved value lacks, when it runs."""
    with pytest.raises(ScenarioLoadError, match=r"unknown reference \$\{tk.access_token\}: no earlier step saved "
                       r"`tk` \(as: tk\); did you mean `tok`\?"):
        load_scenario_text(SCENARIO.replace("${tok.access_token}\"}\n    expect:\n      status: 401",
                                            "${tk.access_token}\"}\n    expect:\n      status: 401"), tmp_path)
    scenario = load_scenario_text(SCENARIO.replace("${tok.access_token}\"}\n    expect:\n      status: 401",
                                                   "${tok.acess_token}\"}\n    expect:\n      status: 401"), tmp_path)
    run = replayer.run(scenario, "broken")
    assert any("reference ${tok.acess_token}: `acess_token` not found" in p for p in run.problems)


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "harness", "replay", *args], capture_output=True, text=True, timeout=120)


def test_cli_table_reports_junit_and_json(tmp_path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO)
    result = run_cli(str(tmp_path), "--report", str(tmp_path / "reports"), "--junit", str(tmp_path / "j.xml"))
    assert result.returncode == 0, result.stdout + result.stderr
    assert "aud-demo" in result.stdout and "2/2 runs as expected" in result.stdout
    report = (tmp_path / "reports" / "aud-demo.md").read_text()
    assert "**Symptom.** 401 Invalid Bearer token" in report and "```mermaid" in report
    assert "Gateway-->>Client: 401" in report
    assert "demo-secret-not-for-production" not in report
    suite = ET.parse(tmp_path / "j.xml").getroot()
    assert suite.get("tests") == "2" and suite.get("failures") == "0"
    as_json = json.loads(run_cli(str(tmp_path), "--json", "--broken-only").stdout)
    assert [r["mode"] for r in as_json["runs"]] == ["broken"]


def test_cli_exits_non_zero_on_mismatch_and_on_load_errors(tmp_path) -> None:
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("status: 401\n", "status: 500\n"))
    result = run_cli(str(tmp_path), "--broken-only")
    assert result.returncode == 1 and "MISMATCH" in result.stdout
    (tmp_path / "s.yaml").write_text(SCENARIO.replace("  - token:", "  - tokn:", 1))
    result = run_cli(str(tmp_path))
    assert result.returncode == 2 and "unknown step kind `tokn`" in result.stderr


def test_pytest_collects_scenarios_as_items(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("scenarios")
    (directory / "aud.yaml").write_text(textwrap.dedent(SCENARIO))
    (directory / "broken.yaml").write_text(SCENARIO.replace("name: aud-demo", "name: wrong").replace("status: 401\n", "status: 402\n"))
    result = pytester.runpytest("--authstage-scenarios", str(directory), "-p", "no:cacheprovider", "-q")
    result.assert_outcomes(passed=3, failed=1)
    result.stdout.fnmatch_lines(["*wrong*broken*", "*status: expected 402, got 401*"])


def test_pytest_fails_on_a_yaml_file_that_is_not_a_scenario_unless_excluded(pytester: pytest.Pytester) -> None:
    directory = pytester.mkdir("scenarios")
    (directory / "aud.yaml").write_text(textwrap.dedent(SCENARIO))
    (directory / "typo.yaml").write_text(SCENARIO.replace("name: aud-demo", "name: typo").replace("symptom:", "symptoms:"))
    result = pytester.runpytest("--authstage-scenarios", str(directory), "-p", "no:cacheprovider", "-q",
                                "--collect-only")
    assert result.ret != 0
    result.stdout.fnmatch_lines(["*typo.yaml:3: unknown key `symptoms`*"])
    excluded = pytester.runpytest("--authstage-scenarios", str(directory), "--authstage-exclude", "typo.yaml",
                                  "-p", "no:cacheprovider", "-q", "--collect-only")
    assert excluded.ret == 0
    excluded.stdout.fnmatch_lines(["*2 tests collected*"])


CLIENT_FIX = """\
name: client-fix
title: A step's own fix changes what the client sends in the fixed run
symptom: -32602 Unknown tool
root_cause: no target prefix
fix: {}
sources: [https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-tool-naming.html]
clock: {at: 1800000000}
steps:
  - token: {client: demo-m2m, audience: "${gateway.mcp_url}"}
    as: tok
  - mcp: {tool: search, arguments: {q: pkce}, token: "${tok.access_token}"}
    fix: {tool: search-server___search}
    expect: {status: 200, jsonrpc_error: {code: -32602, message: "Unknown tool: search"}}
    expect_fixed: {status: 200, result: {isError: false}}
"""


def test_a_steps_fix_is_merged_over_it_in_the_fixed_run_only(replayer, tmp_path) -> None:
    scenario = load_scenario_text(CLIENT_FIX, tmp_path)
    step = scenario.steps[1]
    assert step.spec_for("broken")["tool"] == "search"
    assert step.spec_for("fixed") == {"tool": "search-server___search", "arguments": {"q": "pkce"},
                                      "token": "${tok.access_token}"}
    for mode in ("broken", "fixed"):
        run = replayer.run(scenario, mode)
        assert run.passed, run.problems
    # the fix is what the client changes: expecting the broken answer in the fixed run is a mismatch
    wrong = load_scenario_text(CLIENT_FIX.replace("expect_fixed: {status: 200, result: {isError: false}}",
                                                  "expect_fixed: {status: 200, jsonrpc_error: {code: -32602}}"), tmp_path)
    assert not replayer.run(wrong, "fixed").passed
    from harness._report import markdown_report

    report = markdown_report([replayer.run(scenario, "fixed")])
    assert 'step 2 (mcp 2): `{"tool": "search-server___search"}`' in report


DEPLOY = """\
name: deploy-typo
title: A gateway document AWS refuses at create time
symptom: ValidationException
root_cause: discoveryUrl typo
fix:
  gateway:
    authorizerConfiguration: {customJWTAuthorizer: {discoveryUrl: "${idp.discovery_url}"}}
sources: [https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html]
idp:
  settings: {friendly_name: deployed at start}
gateway:
  authorizerConfiguration: {customJWTAuthorizer: {discoveryUrl: "${idp.url}/.well_known/openid-configuration"}}
steps:
  - http: {service: idp, path: /_authstage/config}
    expect: {json: {settings: {friendly_name: deployed at start}}}
  - deploy: {service: gateway}
    expect:
      status: 400
      json: {gateway: {error: invalid_config, detail: [{loc: authorizerConfiguration.customJWTAuthorizer.discoveryUrl,
                                                         msg: {regex: "^Value '.*/.well_known/openid-configuration' at"}}]}}
    expect_fixed: {status: 200, json: {}}
"""


def test_deploy_applies_the_runs_section_and_observes_a_config_time_error(replayer, stack, tmp_path) -> None:
    scenario = load_scenario_text(DEPLOY, tmp_path)
    assert scenario.deferred_sections() == ("gateway",)
    broken = replayer.run(scenario, "broken")
    assert broken.passed, broken.problems  # the run started (idp section applied) although its gateway is invalid
    assert stack.gateway.config()["authorizerConfiguration"]["customJWTAuthorizer"]["discoveryUrl"] == (
        stack.idp.discovery_url)  # the refused document did not replace the running gateway
    fixed = replayer.run(scenario, "fixed")
    assert fixed.passed, fixed.problems
    wrong = load_scenario_text(DEPLOY.replace("status: 400", "status: 200"), tmp_path)
    assert any("status: expected 200, got 400" in p for p in replayer.run(wrong, "broken").problems)


def test_traffic_is_ordered_by_when_requests_started_even_with_frozen_clocks(replayer, tmp_path) -> None:
    run = replayer.run(load_scenario_text(CLIENT_FIX, tmp_path), "fixed")
    calls = [(r["service"], r["path"], r["request"]["headers"].get("user-agent", "")) for r in run.traffic]
    outer = next(i for i, c in enumerate(calls) if c[0] == "gateway" and c[1] == "/mcp")
    inner = [i for i, c in enumerate(calls) if "authstage-gateway" in c[2]]
    assert inner and min(inner) > outer  # the gateway's own calls come after the client's request started
    assert all(r["started_at"] <= r["finished_at"] for r in run.traffic)
    from harness._report import mermaid

    lines = mermaid(run.traffic).splitlines()
    request = lines.index("    Client->>Gateway: POST /mcp tools/call")
    answer = lines.index("    Gateway-->>Client: 200")
    assert any("Gateway->>IdP" in line for line in lines[request:answer])  # nested between request and answer


def test_explain_uses_the_gateways_clock(replayer, tmp_path) -> None:
    text = CLIENT_FIX.replace("clock: {at: 1800000000}", "clock: {at: 1000000000}").replace(
        '  - mcp: {tool: search, arguments: {q: pkce}, token: "${tok.access_token}"}\n'
        "    fix: {tool: search-server___search}\n"
        '    expect: {status: 200, jsonrpc_error: {code: -32602, message: "Unknown tool: search"}}\n'
        "    expect_fixed: {status: 200, result: {isError: false}}\n",
        '  - explain: {token: "${tok.access_token}"}\n    expect: {checks: {exp: true, iat: true, decision: true}}\n')
    run = replayer.run(load_scenario_text(text, tmp_path), "broken")  # 2001: wall-clock time would call it expired
    assert run.passed, run.problems


HOST_AND_NOTES = """\
name: host-and-notes
title: A token step that calls the IdP by another name; the IdP's notes on what it did silently
symptom: iss follows the host name; resource ignored
root_cause: Auth0 takes iss from the domain called and ignores resource without the compatibility profile
fix:
  idp:
    settings: {default_audience: "${gateway.mcp_url}"}
sources: [https://auth0.com/docs/secure/tokens/access-tokens/get-access-tokens]
idp:
  settings: {resource_parameter_profile: ignore}
steps:
  - token: {client: demo-m2m, audience: "${gateway.mcp_url}", host: localhost}
    expect: {status: 200, claims: {iss: "http://localhost:${idp.port}/"}}
  - token: {client: demo-m2m, audience: "${gateway.mcp_url}"}
    expect: {status: 200, claims: {iss: "${idp.issuer}"}}
  - token: {client: demo-m2m, resource: "${gateway.mcp_url}"}
    expect:
      status: 403
      log: {service: idp, status: 403, notes: {contains: {regex: "^resource .* ignored: the Resource Parameter"}}}
    expect_fixed:
      status: 200
      log: {service: idp, status: 200, notes: {contains: "no audience: the tenant Default Audience '${gateway.mcp_url}' was used"}}
"""


def test_token_step_host_and_log_notes(replayer, tmp_path) -> None:
    scenario = load_scenario_text(HOST_AND_NOTES, tmp_path)
    for mode in ("broken", "fixed"):
        run = replayer.run(scenario, mode)
        assert run.passed, run.problems
    host = next(r for r in run.traffic if r["service"] == "idp" and r["path"] == "/oauth/token")
    assert host["request"]["headers"]["host"] == f"localhost:{replayer.stack.variables['idp.port']}"
    wrong = load_scenario_text(HOST_AND_NOTES.replace("regex: \"^resource .* ignored", "regex: \"^audience .* ignored"),
                               tmp_path)
    assert any("log: no record matches" in p for p in replayer.run(wrong, "broken").problems)


ENGINE = """\
name: engine-features
title: named merges, JWT references, ID token claims, a step replaced by its fix
symptom: the refresh token the client kept is refused
root_cause: the client kept a token that was never a refresh token
sources: [https://www.rfc-editor.org/rfc/rfc6749#section-6]
idp:
  clients: [{name: demo-cli, grant_types: [authorization_code, refresh_token]}]
steps:
  - authorize: {client: demo-cli, user: alice@example.test, scope: "openid mcp:tools", audience: "${gateway.mcp_url}"}
    as: login
    expect:
      status: 200
      claims: {sub: auth0|alice, scope: "openid mcp:tools"}
      id_token_claims: {sub: auth0|alice, aud: "${clients.demo-cli.client_id}", iss: "${idp.issuer}"}
      id_token_header: {alg: RS256, kid: "${login.access_token.header.kid}"}
  - http: {service: idp, path: /userinfo, headers: {Authorization: "Bearer ${login.access_token}"}}
    expect: {status: 200, json: {sub: "${login.id_token.claims.sub}"}}
  - fault: {idp: {clients: [{name: demo-cli, callbacks: ["http://127.0.0.1:8976/callback"]}]}}
  - token: {client: demo-m2m, audience: "${gateway.mcp_url}"}
    expect: {status: 200, claims: {sub: "${clients.demo-m2m.client_id}@clients"}}
  - refresh: {client: demo-cli, refresh_token: "${login.claims.sub}"}
    fix: {step: {authorize: {client: demo-cli, user: alice@example.test, scope: openid}}}
    expect: {status: 403, json: {error: invalid_grant}}
    expect_fixed: {status: 200, id_token_claims: {sub: auth0|alice}, token_kind: JWE}
"""


def test_named_merges_references_and_a_replaced_step_at_runtime(replayer, tmp_path) -> None:
    """A stack section and a fault step change one client by name (the other clients keep working); references
    read the access and ID tokens; `id_token_claims` matches; the fixed run runs authorize instead of refresh."""
    scenario = load_scenario_text(ENGINE, tmp_path)
    for mode in ("broken", "fixed"):
        run = replayer.run(scenario, mode)
        assert run.passed, (mode, run.problems)
    assert [s.step.kind_for("fixed") for s in run.steps][-1] == "authorize"
    clients = {c["name"]: c for c in replayer.stack.idp.config()["clients"]}
    assert set(clients) >= {"demo-m2m", "demo-cli", "gateway-outbound"}
    assert clients["demo-cli"]["callbacks"] == ["http://127.0.0.1:8976/callback"]
