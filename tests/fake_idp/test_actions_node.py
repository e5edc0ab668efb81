"""The user's own Action code (fake_idp/actions_node.py + actions_runner.js) through real token requests.

Actions under tests/fake_idp/actions/ are written as Auth0's docs write them, or modeled on public Actions (each
file names its source). Tokens are verified with PyJWT. These tests need Node.js; they skip without it, except in
CI (CI=true), where Node is installed and they must run.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from pathlib import Path
from typing import Any

import jwt
import pytest

from fake_idp.actions_node import _node_setup
from fake_idp.tenant import Tenant, TenantConfigError

from .conftest import CLI_ID, GATEWAY, M2M_ID, OUTBOUND_ID, OUTBOUND_SECRET, Idp

ACTIONS = Path(__file__).with_name("actions")
NS = "https://authstage.example.test"

pytestmark = [
    pytest.mark.node,
    pytest.mark.skipif(
        shutil.which("node") is None and os.environ.get("CI") != "true",
        reason="JavaScript Actions need Node.js 18+ on PATH (install nodejs; CI has it)",
    ),
]


def js(name: str, trigger: str, **extra: Any) -> dict[str, Any]:
    return {"name": name, "trigger": trigger, "code_file": str(ACTIONS / f"{name}.js"), **extra}


def inline(trigger: str, source: str, name: str = "inline") -> dict[str, Any]:
    return {"name": name, "trigger": trigger, "code": source}


def test_the_docs_roles_action_puts_roles_in_both_tokens_and_userinfo(idp: Idp) -> None:
    idp.patch_item("users", "Alice Example", roles=["admin", "editor"])
    idp.patch({"actions": [js("add-roles", "post-login")]})
    body, r = idp.code_flow()
    assert r.status_code == 200, r.text
    access = idp.verify(body["access_token"], audience=GATEWAY)
    assert access[f"{NS}/roles"] == ["admin", "editor"]
    id_token = idp.verify(body["id_token"], audience=CLI_ID)
    assert id_token[f"{NS}/roles"] == ["admin", "editor"]
    info = idp.http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"})
    assert info.status_code == 200 and info.json()[f"{NS}/roles"] == ["admin", "editor"]


def test_a_public_style_action_reads_secrets_metadata_stats_and_node_modules(idp: Idp) -> None:
    idp.patch_item("users", "Alice Example", user_metadata={"team": "blue", "desk": 7})
    secret = {"name": "CLAIM_NAMESPACE", "value": "https://claims.example.test"}
    idp.patch({"actions": [js("enrich-from-metadata", "post-login", secrets=[secret])]})
    first, _ = idp.code_flow(scope="openid mcp:tools")
    second, r = idp.code_flow(scope="openid mcp:tools")
    assert r.status_code == 200, r.text
    one, two = idp.verify(first["access_token"]), idp.verify(second["access_token"])
    ns = "https://claims.example.test"
    assert (two[f"{ns}/team"], two[f"{ns}/desk"]) == ("blue", 7)
    assert (one[f"{ns}/logins"], two[f"{ns}/logins"]) == (1, 2)
    assert two[f"{ns}/connection"] == "Username-Password-Authentication"
    assert two[f"{ns}/requested"] == ["openid", "mcp:tools"]
    assert len(two["external_id"]) == 36 and two["external_id"] != one["external_id"]  # crypto.randomUUID
    assert idp.verify(second["id_token"], audience=CLI_ID)["external_id"] == two["external_id"]
    assert any("console: enriched alice@example.test" in n for n in idp.last("/authorize")["notes"])  # at login


def test_an_action_written_against_the_rules_api_fails_the_login(idp: Idp) -> None:
    idp.patch({"actions": [js("rules-style", "post-login")]})
    q = idp.denied_login()
    assert (q["error"], q["error_description"]) == ("access_denied", "context is not defined")
    assert "ReferenceError: context is not defined" in idp.last("/authorize")["reason"]


def test_a_credentials_exchange_action_denies_one_client_and_enriches_another(idp: Idp) -> None:
    idp.patch({"actions": [js("deny-client", "credentials-exchange")]})
    ok = idp.cc()
    assert ok.status_code == 200, ok.text
    assert idp.verify(ok.json()["access_token"])[f"{NS}/request-ip"] == "127.0.0.1"
    idp.patch_client("demo-m2m", client_metadata={"suspended": "true"})
    denied = idp.cc()
    assert denied.status_code == 400
    assert denied.json() == {"error": "invalid_request", "error_description": "Client demo-m2m is suspended."}
    assert "deny-client" in idp.last("/oauth/token")["reason"]


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("api.accessToken.setCustomClaim('https://x.test/r', event.user.roles);",
         "event.user.roles is not part of Auth0's post-login event object"),
        ("api.accessToken.setCustomClaims('https://x.test/r', 1);",
         "api.accessToken.setCustomClaims is not part of Auth0's post-login API object"),
        ("api.multifactor.enable('any');", "authstage does not emulate it"),
        ("await fetch('https://example.test/');", "without network access (fetch was called)"),
        ("require('https').get('https://example.test/');", "without network access (https.get was called)"),
        ("require('axios');", "authstage runs Actions without npm dependencies"),
    ],
)  # fmt: skip
def test_members_outside_the_documented_surface_and_the_network_fail_loudly(
    idp: Idp, source: str, message: str
) -> None:
    code = f"exports.onExecutePostLogin = async (event, api) => {{ {source} }};"
    idp.patch({"actions": [inline("post-login", code)]})
    q = idp.denied_login()
    assert q["error"] == "access_denied"
    assert message in q["error_description"]
    if "roles" in source and "Custom" not in source:
        assert "event.authorization.roles" in q["error_description"]


def test_child_processes_are_denied_where_node_has_the_permission_model(idp: Idp) -> None:
    flags = set(_node_setup(shutil.which("node") or "node")[1])
    if not flags & {"--permission", "--experimental-permission"}:
        pytest.skip("this Node has no permission model (Node 20+ has)")
    code = "exports.onExecuteCredentialsExchange = async () => { require('child_process').execSync('true'); };"
    idp.patch({"actions": [inline("credentials-exchange", code)]})
    r = idp.cc()
    assert r.status_code == 500 and r.json()["error"] == "server_error"
    assert r.json()["error_description"].startswith("Access to this API has been restricted")


def test_an_action_that_runs_too_long_or_never_settles_fails(idp: Idp) -> None:
    hang = "exports.onExecuteCredentialsExchange = async () => { await new Promise(() => setInterval(() => {}, 1000)); };"
    idp.patch({"actions": [inline("credentials-exchange", hang)], "emulator": {"actions": {"timeout_seconds": 0.5}}})
    r = idp.cc()
    assert r.status_code == 500
    assert r.json() == {"error": "server_error",
                        "error_description": "the Action did not finish within 0.5 s (emulator.actions.timeout_seconds)"}  # fmt: skip
    stuck = "exports.onExecuteCredentialsExchange = async () => { await new Promise(() => {}); };"
    # the default limit again: a promise nothing can settle is found when Node's loop empties, which a busy machine
    # may not reach within the 0.5 s above
    idp.patch({"actions": [inline("credentials-exchange", stuck)], "emulator": {"actions": {"timeout_seconds": 20}}})
    assert "never settled" in idp.cc().json()["error_description"]


def test_the_cache_survives_between_executions(idp: Idp) -> None:
    code = """exports.onExecuteCredentialsExchange = async (event, api) => {
      const hit = api.cache.get('seen');
      api.accessToken.setCustomClaim('https://x.test/seen', hit ? hit.value : 'first');
      api.cache.set('seen', 'again', {ttl: 60000});
    };"""
    idp.patch({"actions": [inline("credentials-exchange", code)]})
    claims = [idp.verify(idp.cc().json()["access_token"])["https://x.test/seen"] for _ in range(2)]
    assert claims == ["first", "again"]


def _subject(claims: dict[str, Any]) -> str:
    part = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"eyJhbGciOiJub25lIn0.{part}."


def test_a_custom_token_exchange_action_sets_the_user_and_the_actor(idp: Idp) -> None:
    code = """exports.onExecuteCustomTokenExchange = async (event, api) => {
      const claims = JSON.parse(Buffer.from(event.transaction.subject_token.split('.')[1], 'base64url'));
      if (claims.iss !== 'https://legacy.example.test/') {
        api.access.rejectInvalidSubjectToken('unknown issuer');
        return;
      }
      api.authentication.setActor({ sub: event.client.client_id });
      api.authentication.setUserById(claims.sub);
    };"""
    profiles = [p.model_dump(mode="json") for p in idp.control.tenant.token_exchange_profiles]
    profiles[0]["action_id"] = "legacy-exchange"
    idp.patch({"actions": [inline("custom-token-exchange", code, "legacy-exchange")],
               "token_exchange_profiles": profiles})  # fmt: skip
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "client_id": OUTBOUND_ID,
            "client_secret": OUTBOUND_SECRET, "subject_token_type": profiles[0]["subject_token_type"],
            "audience": GATEWAY}  # fmt: skip
    ok = idp.http.post("/oauth/token", data={**form, "subject_token": _subject(
        {"iss": "https://legacy.example.test/", "sub": "auth0|alice"})})  # fmt: skip
    assert ok.status_code == 200, ok.text
    claims = idp.verify(ok.json()["access_token"])
    assert (claims["sub"], claims["act"]) == ("auth0|alice", {"sub": OUTBOUND_ID})
    assert "refresh_token" not in ok.json()
    bad = idp.http.post("/oauth/token", data={**form, "subject_token": _subject({"iss": "https://evil.test/"})})
    assert (bad.status_code, bad.json()) == (400, {"error": "invalid_request", "error_description": "unknown issuer"})


def test_javascript_actions_are_refused_at_load_without_node_or_with_bad_code() -> None:
    base = Tenant().model_dump(mode="json")
    action = inline("post-login", "exports.onExecutePostLogin = async () => {};")
    with pytest.raises(TenantConfigError, match=r"JavaScript Actions need Node\.js"):
        Tenant.load({**base, "actions": [action], "emulator": {"actions": {"node_path": "/nonexistent/node"}}})
    declarative = {"name": "d", "trigger": "post-login", "api": [{"access.deny": "no"}]}
    Tenant.load({**base, "actions": [declarative], "emulator": {"actions": {"node_path": "/nonexistent/node"}}})
    with pytest.raises(TenantConfigError, match="SyntaxError"):
        Tenant.load({**base, "actions": [inline("post-login", "exports.onExecutePostLogin = async ( => {};")]})
    with pytest.raises(TenantConfigError, match="does not export onExecuteCredentialsExchange"):
        Tenant.load({**base, "actions": [inline("credentials-exchange", "exports.onExecutePostLogin = 1;")]})


def test_a_code_file_is_read_relative_to_the_tenant_file(tmp_path: Path) -> None:
    (tmp_path / "hooks").mkdir()
    shutil.copy(ACTIONS / "add-roles.js", tmp_path / "hooks" / "add-roles.js")
    (tmp_path / "tenant.yaml").write_text(
        "actions:\n  - {name: roles, trigger: post-login, code_file: hooks/add-roles.js}\n"
    )
    tenant = Tenant.from_file(tmp_path / "tenant.yaml")
    assert tenant.actions[0].code_file == str(tmp_path / "hooks" / "add-roles.js")


def test_the_tokens_verify_with_an_independent_library(idp: Idp) -> None:
    """The signature still covers the custom claims: tampering with one breaks it."""
    idp.patch({"actions": [js("deny-client", "credentials-exchange")]})
    token = idp.cc().json()["access_token"]
    head, payload, sig = token.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims[f"{NS}/request-ip"] = "10.0.0.1"
    forged = ".".join([head, base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode(), sig])
    with pytest.raises(jwt.InvalidSignatureError):
        idp.verify(forged)
    assert idp.verify(token)["client_id"] == M2M_ID
