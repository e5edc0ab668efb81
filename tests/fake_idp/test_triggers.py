"""Declarative Actions through real token requests: every trigger and every effect (fake_idp/triggers.py).

Tokens are verified with PyJWT against the served JWKS. No Node.js needed: the declarative form always works.
"""

from __future__ import annotations

from typing import Any

from .conftest import CLI_ID, GATEWAY, OUTBOUND_ID, OUTBOUND_SECRET, Idp

NS = "https://authstage.example.test"


def action(trigger: str, api: list[dict[str, Any]], name: str = "a", **extra: Any) -> dict[str, Any]:
    return {"name": name, "trigger": trigger, "api": api, **extra}


def refresh(idp: Idp, token: str, **extra: str) -> Any:
    return idp.http.post(
        "/oauth/token",
        data={"grant_type": "refresh_token", "client_id": CLI_ID, "refresh_token": token, **extra},
    )


# -- credentials-exchange --------------------------------------------------------------------------------


def test_credentials_exchange_sets_claims_from_event_templates(idp: Idp) -> None:
    idp.patch_client("demo-m2m", client_metadata={"tenant_id": "t-42"})
    idp.patch({"actions": [action("credentials-exchange", [
        {"accessToken.setCustomClaim": {"key": f"{NS}/tenant", "value": "${event.client.metadata.tenant_id}"}},
        {"accessToken.setCustomClaim": {"key": f"{NS}/scopes", "value": "${event.accessToken.scope}"}},
        {"accessToken.setCustomClaim": [f"{NS}/label", "${event.client.name} for ${event.resource_server.identifier}"]},
        {"accessToken.setCustomClaim": {"key": "department", "value": "engineering"}},
    ])]})  # fmt: skip
    r = idp.cc()
    assert r.status_code == 200, r.text
    claims = idp.verify(r.json()["access_token"])
    assert claims[f"{NS}/tenant"] == "t-42"
    assert claims[f"{NS}/scopes"] == ["mcp:tools"]  # a whole-string template keeps the JSON type
    assert claims[f"{NS}/label"] == f"demo-m2m for {GATEWAY}"
    assert claims["department"] == "engineering"  # private claims are allowed on a custom API's token


def test_credentials_exchange_deny_codes_and_statuses(idp: Idp) -> None:
    cases = {"invalid_scope": 400, "invalid_request": 400, "server_error": 500}
    for code, status in cases.items():
        idp.patch({"actions": [action("credentials-exchange", [{"access.deny": {"code": code, "reason": "No."}}])]})
        r = idp.cc()
        assert (r.status_code, r.json()) == (status, {"error": code, "error_description": "No."})
    idp.patch({"actions": [action("credentials-exchange", [{"access.deny": ["access_denied", "No."]}])]})
    r = idp.cc()
    assert r.status_code == 500 and r.json()["error"] == "server_error"


def test_when_selects_the_client_and_later_actions_do_not_run_after_a_denial(idp: Idp) -> None:
    deny = action("credentials-exchange", [{"access.deny": ["invalid_request", "demo-m2m is blocked"]}],
                  name="block", when={"event.client.client_id": idp.control.tenant.clients[0].client_id})  # fmt: skip
    tag = action("credentials-exchange", [{"accessToken.setCustomClaim": [f"{NS}/tag", "x"]}], name="tag")
    idp.patch({"actions": [deny, tag]})
    assert idp.cc().json() == {"error": "invalid_request", "error_description": "demo-m2m is blocked"}
    assert "'block'" in idp.last("/oauth/token")["reason"]
    other = idp.http.post("/oauth/token", json={
        "grant_type": "client_credentials", "client_id": OUTBOUND_ID, "client_secret": OUTBOUND_SECRET,
        "audience": "http://127.0.0.1:8001/mcp"})  # fmt: skip
    assert other.status_code == 200
    assert idp.verify(other.json()["access_token"], audience="http://127.0.0.1:8001/mcp")[f"{NS}/tag"] == "x"
    idp.patch({"actions": [{**deny, "enabled": False}, tag]})
    assert idp.cc().status_code == 200


# -- post-login ------------------------------------------------------------------------------------------


def test_post_login_claims_for_the_access_and_id_token_and_userinfo(idp: Idp) -> None:
    idp.patch_item("users", "Alice Example", roles=["admin"], app_metadata={"tenant": "acme"})
    idp.patch({"actions": [action("post-login", [
        {"accessToken.setCustomClaim": [f"{NS}/roles", "${event.authorization.roles}"]},
        {"idToken.setCustomClaim": [f"{NS}/tenant", "${event.user.app_metadata.tenant}"]},
        {"idToken.setCustomClaim": ["nickname", "Ally"]},  # an OIDC profile claim, released by `profile`
    ])]})  # fmt: skip
    body, r = idp.code_flow()
    assert r.status_code == 200, r.text
    access = idp.verify(body["access_token"])
    id_token = idp.verify(body["id_token"], audience=CLI_ID)
    assert access[f"{NS}/roles"] == ["admin"] and f"{NS}/tenant" not in access
    assert id_token[f"{NS}/tenant"] == "acme" and id_token["nickname"] == "Ally"
    assert f"{NS}/roles" not in id_token
    info = idp.http.get("/userinfo", headers={"Authorization": f"Bearer {body['access_token']}"}).json()
    assert info[f"{NS}/tenant"] == "acme"


def test_add_scope_and_remove_scope_change_the_token_and_the_response(idp: Idp) -> None:
    idp.patch({"actions": [action("post-login", [
        {"accessToken.addScope": "read:reports"}, {"accessToken.removeScope": {"scope": "email"}},
    ])]})  # fmt: skip
    body, r = idp.code_flow()
    assert r.status_code == 200
    scopes = idp.verify(body["access_token"])["scope"].split()
    assert "read:reports" in scopes and "email" not in scopes
    assert body["scope"].split() == scopes


def test_post_login_deny_at_login_and_at_refresh(idp: Idp) -> None:
    first, second = idp.code_flow()[0], idp.code_flow()[0]
    assert first["refresh_token"] and second["refresh_token"]
    idp.patch({"actions": [action("post-login", [{"access.deny": "Access to demo-cli is not allowed."}],
                                  when={"event.client.name": "demo-cli"})]})  # fmt: skip
    denied = refresh(idp, first["refresh_token"])
    assert (denied.status_code, denied.json()) == (
        403, {"error": "access_denied", "error_description": "Access to demo-cli is not allowed."})  # fmt: skip
    # At login, Auth0 runs post-login before the code exists: the denial goes back to the callback.
    q = idp.denied_login(state="st-deny")
    assert q == {"error": "access_denied", "error_description": "Access to demo-cli is not allowed.", "state": "st-deny"}
    assert "api.access.deny" in idp.last("/authorize")["reason"]
    idp.patch({"emulator": {"actions": {"deny_status": 401}}})  # the status of a denial at /oauth/token
    assert refresh(idp, second["refresh_token"]).status_code == 401


def test_refresh_runs_post_login_again_with_its_protocol(idp: Idp) -> None:
    idp.patch({"actions": [action("post-login", [
        {"accessToken.setCustomClaim": [f"{NS}/protocol", "${event.transaction.protocol}"]}])]})  # fmt: skip
    body, _ = idp.code_flow()
    assert idp.verify(body["access_token"])[f"{NS}/protocol"] == "oidc-basic-profile"
    again = refresh(idp, body["refresh_token"]).json()
    assert idp.verify(again["access_token"])[f"{NS}/protocol"] == "oauth2-refresh-token"


def test_metadata_set_by_an_action_is_seen_by_the_next_login(idp: Idp) -> None:
    idp.patch({"actions": [
        action("post-login", [{"accessToken.setCustomClaim": [f"{NS}/plan", "${event.user.app_metadata.plan}"]}],
               name="read"),
        action("post-login", [{"user.setAppMetadata": ["plan", "gold"]}], name="write"),
    ]})  # fmt: skip
    first, _ = idp.code_flow()
    second, _ = idp.code_flow()
    assert f"{NS}/plan" not in idp.verify(first["access_token"])  # undefined: not JSON, no claim
    assert idp.verify(second["access_token"])[f"{NS}/plan"] == "gold"
    idp.control.reset()
    idp.patch({"actions": [action("post-login", [
        {"accessToken.setCustomClaim": [f"{NS}/plan", "${event.user.app_metadata.plan}"]}])]})  # fmt: skip
    assert f"{NS}/plan" not in idp.verify(idp.code_flow()[0]["access_token"])


# -- the claims an Action cannot set ----------------------------------------------------------------------


def test_restricted_and_reserved_claims_are_ignored_and_the_log_says_why(idp: Idp) -> None:
    idp.patch({"actions": [action("post-login", [
        {"accessToken.setCustomClaim": ["roles", ["admin"]]},
        {"accessToken.setCustomClaim": ["sub", "someone-else"]},
        {"accessToken.setCustomClaim": ["https://tenant.auth0.com/flag", True]},
        {"accessToken.setCustomClaim": ["urn:auth0:flag", True]},
        {"accessToken.setCustomClaim": ["scope", "everything"]},
        {"accessToken.setCustomClaim": ["email", "alice@example.test"]},
        {"accessToken.setCustomClaim": [f"{NS}/roles", ["admin"]]},
    ])]})  # fmt: skip
    body, r = idp.code_flow(scope="openid mcp:tools")
    assert r.status_code == 200  # "The transaction won't fail"
    claims = idp.verify(body["access_token"])
    assert claims["sub"] == "auth0|alice" and claims["scope"] == "openid mcp:tools"
    for key in ("roles", "https://tenant.auth0.com/flag", "urn:auth0:flag", "email"):
        assert key not in claims
    assert claims[f"{NS}/roles"] == ["admin"]
    notes = " | ".join(idp.last("/oauth/token")["notes"])
    assert "'roles' not added to the access token: a restricted claim" in notes
    assert "an Auth0 namespace" in notes and "released only with the 'email' scope" in notes
    assert "'scope' not added to the access token: a claim Auth0 sets itself" in notes
    body, _ = idp.code_flow(scope="openid email mcp:tools")
    assert idp.verify(body["access_token"])["email"] == "alice@example.test"


def test_more_than_100kb_of_custom_claims_fails_the_transaction(idp: Idp) -> None:
    big = "x" * (100 * 1024)
    idp.patch({"actions": [action("credentials-exchange", [{"accessToken.setCustomClaim": [f"{NS}/big", big]}])]})
    r = idp.cc()
    assert r.status_code == 500
    assert r.json()["error_description"] == "The custom claims payload of the access token exceeds 100KB"


# -- custom-token-exchange -------------------------------------------------------------------------------


def test_a_declarative_custom_token_exchange_action_and_post_login_after_it(idp: Idp) -> None:
    profiles = [p.model_dump(mode="json") for p in idp.control.tenant.token_exchange_profiles]
    profiles[0]["action_id"] = "map-user"
    idp.patch({"token_exchange_profiles": profiles, "actions": [
        action("custom-token-exchange", [{"authentication.setUserById": "auth0|alice"}], name="map-user",
               when={"event.transaction.subject_token": {"regex": "^legacy-"}}),
        action("post-login", [{"accessToken.setCustomClaim": [f"{NS}/via", "${event.transaction.protocol}"]}]),
    ]})  # fmt: skip
    form = {"grant_type": "urn:ietf:params:oauth:grant-type:token-exchange", "client_id": OUTBOUND_ID,
            "client_secret": OUTBOUND_SECRET, "subject_token_type": profiles[0]["subject_token_type"],
            "audience": GATEWAY}  # fmt: skip
    ok = idp.http.post("/oauth/token", data={**form, "subject_token": "legacy-0001"})
    assert ok.status_code == 200, ok.text
    claims = idp.verify(ok.json()["access_token"])
    assert (claims["sub"], claims[f"{NS}/via"]) == ("auth0|alice", "oauth2-token-exchange")
    no_user = idp.http.post("/oauth/token", data={**form, "subject_token": "other"})
    assert no_user.status_code == 400
    assert no_user.json()["error_description"] == "The Custom Token Exchange Action did not set a user"


def test_no_action_runs_after_a_denial_but_metadata_set_before_it_is_kept(idp: Idp) -> None:
    before = action("post-login", [{"user.setAppMetadata": ["before", "yes"]}], name="before")
    deny = action("post-login", [{"access.deny": "No."}], name="deny")
    after = action("post-login", [{"user.setAppMetadata": ["after", "yes"]}], name="after")
    idp.patch({"actions": [before, deny, after]})
    assert idp.denied_login()["error"] == "access_denied"
    read = action("post-login", [
        {"accessToken.setCustomClaim": [f"{NS}/meta", "${event.user.app_metadata}"]}], name="read")  # fmt: skip
    idp.patch({"actions": [read]})
    # DOC api.access.deny: "This will NOT cancel other user-related side-effects (such as metadata changes)".
    assert idp.verify(idp.code_flow()[0]["access_token"])[f"{NS}/meta"] == {"before": "yes"}


def test_actions_over_the_control_plane_and_a_refused_one_keeps_the_old_config(idp: Idp) -> None:
    act = action("credentials-exchange", [{"accessToken.setCustomClaim": [f"{NS}/via", "control-plane"]}])
    assert idp.http.patch("/_authstage/config", json={"actions": [act]}).status_code == 200
    assert idp.verify(idp.cc().json()["access_token"])[f"{NS}/via"] == "control-plane"
    typo = action("credentials-exchange", [{"idToken.setCustomClaim": ["k", 1]}])
    r = idp.http.patch("/_authstage/config", json={"actions": [typo]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_config"
    assert "is not a method of the credentials-exchange api object" in str(r.json()["detail"])
    assert idp.http.get("/_authstage/config").json()["actions"][0]["name"] == "a"
