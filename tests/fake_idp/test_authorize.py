"""/authorize: headless auto-approve, Universal Login pages, error page vs redirect, the §3.5 matrix, faults."""

from __future__ import annotations

import re

import pytest

from fake_idp.authorize import VALIDATE_STEPS
from tests.fake_idp.conftest import CLI_CALLBACK, CLI_ID, GATEWAY, MCP, Idp, claims_of, pkce_pair, query_of


def _register(idp: Idp, **body: object) -> dict:
    doc = {
        "redirect_uris": ["http://127.0.0.1:5555/cb"],
        "token_endpoint_auth_method": "none",
        "client_name": "ChatGPT",
        "grant_types": ["authorization_code", "refresh_token"],
    }
    doc.update(body)
    r = idp.http.post("/oidc/register", json=doc)
    assert r.status_code == 201, r.text
    return r.json()


def _tp_authorize(idp: Idp, client_id: str, **params: object):  # type: ignore[no-untyped-def]
    _, challenge = pkce_pair()
    base = {
        "client_id": client_id,
        "redirect_uri": "http://127.0.0.1:5555/cb",
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "scope": "mcp:tools",
    }
    base.update(params)
    return idp.authorize(**base)


def _page_text(r) -> str:  # type: ignore[no-untyped-def]
    assert r.status_code == 400 and r.headers["content-type"].startswith("text/html")
    assert "Oops!, something went wrong" in r.text
    m = re.search(r'<span id="error_description">(.*?)</span>', r.text, re.S)
    assert m
    import html

    return html.unescape(m.group(1))


def test_headless_auto_approve_redirects_with_code_and_state(idp: Idp) -> None:
    r = idp.authorize(scope="openid", audience=GATEWAY)
    assert r.status_code == 302
    loc = r.headers["location"]
    assert loc.startswith(CLI_CALLBACK + "?")
    q = query_of(loc)
    assert set(q) == {"code", "state"} and q["state"] == "st-1"
    assert re.fullmatch(r"[A-Za-z0-9_\-]{43,45}", q["code"])
    assert idp.last("/authorize")["response"]["headers"]["location"].count("[redacted]") == 1


def test_login_hint_picks_the_user(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="openid mcp:tools", login_hint="bob@example.test")
    assert claims_of(body["access_token"])["sub"] == "auth0|bob"
    r = idp.authorize(scope="openid", login_hint="nobody@example.test")
    q = query_of(r.headers["location"])
    assert q["error"] == "access_denied"
    assert "matches no user" in idp.last("/authorize")["reason"]


def test_interactive_login_page_and_sso_session(idp: Idp) -> None:
    idp.patch({"settings": {"headless_auto_approve": False}})
    r = idp.authorize(scope="openid", audience=GATEWAY)
    assert r.status_code == 302 and "/u/login?state=" in r.headers["location"]
    page = idp.http.get(r.headers["location"])
    assert page.status_code == 200 and "<form" in page.text and "alice@example.test" in page.text
    txn = re.search(r'name="state" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    bad = idp.http.post("/u/login", data={"state": txn, "username": "alice@example.test", "password": "nope"})
    assert bad.status_code == 400 and "Wrong email or password." in bad.text
    ok = idp.http.post(
        "/u/login", data={"state": txn, "username": "alice@example.test", "password": "demo-password-alice"}
    )
    assert "auth0" in ok.cookies
    # Auth0 always asks for consent when the app runs on localhost, first-party or not.
    assert ok.status_code == 302 and "/u/consent?state=" in ok.headers["location"]
    ok = idp.http.post("/u/consent", data={"state": txn, "action": "accept"})
    assert ok.status_code == 302 and ok.headers["location"].startswith(CLI_CALLBACK + "?code=")
    # SSO: the next /authorize skips the form; prompt=none works with the session.
    again = idp.http.get(
        "/authorize",
        params={
            "client_id": CLI_ID,
            "redirect_uri": CLI_CALLBACK,
            "response_type": "code",
            "prompt": "none",
            "audience": GATEWAY,
        },
    )
    assert again.status_code == 302 and "code=" in again.headers["location"]
    # Consent is per audience: another audience with prompt=none needs consent first.
    other = idp.http.get(
        "/authorize",
        params={"client_id": CLI_ID, "redirect_uri": CLI_CALLBACK, "response_type": "code", "prompt": "none"},
    )
    assert query_of(other.headers["location"])["error"] == "consent_required"


def test_prompt_none_without_session_is_login_required(idp: Idp) -> None:
    idp.patch({"settings": {"headless_auto_approve": False}})
    r = idp.authorize(prompt="none")
    q = query_of(r.headers["location"])
    assert q["error"] == "login_required" and q["state"] == "st-1"


def test_third_party_consent_page_accept_and_decline(idp: Idp) -> None:
    idp.patch({"settings": {"headless_auto_approve": False}})
    client = _register(idp)
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    login = idp.http.get(r.headers["location"])
    txn = re.search(r'name="state" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]
    r = idp.http.post(
        "/u/login", data={"state": txn, "username": "alice@example.test", "password": "demo-password-alice"}
    )
    assert r.status_code == 302 and "/u/consent?state=" in r.headers["location"]
    consent = idp.http.get(r.headers["location"])
    assert "ChatGPT" in consent.text and "mcp:tools" in consent.text
    denied = idp.http.post("/u/consent", data={"state": txn, "action": "deny"})
    # Strict third-party apps use open_redirect_protection: the error is a page, not a redirect.
    assert _page_text(denied) == "User did not authorize the request"
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    assert "/u/consent" in r.headers["location"]  # SSO session from the login above
    txn = query_of(r.headers["location"])["state"]
    ok = idp.http.post("/u/consent", data={"state": txn, "action": "accept"})
    assert ok.status_code == 302 and "code=" in ok.headers["location"]
    # Consent is remembered.
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    assert "code=" in r.headers["location"]


def test_unknown_client_is_an_error_page(idp: Idp) -> None:
    r = idp.authorize(client_id="tpc_doesnotexist")
    assert _page_text(r) == "Unknown client: tpc_doesnotexist"
    r = idp.http.get("/authorize")
    assert _page_text(r) == "Missing required parameter: client_id"


def test_forgotten_client_fault(idp: Idp) -> None:
    client = _register(idp)
    assert _tp_authorize(idp, client["client_id"], resource=GATEWAY).status_code == 302
    idp.patch({"faults": {"forgotten_clients": [client["client_id"]]}})
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    assert _page_text(r) == f"Unknown client: {client['client_id']}"
    assert "F-8" in idp.last("/authorize")["reason"]


def test_callback_mismatch_is_a_page_and_loopback_port_is_strict(idp: Idp) -> None:
    r = idp.authorize(redirect_uri="http://127.0.0.1:62294/callback")
    assert _page_text(r).startswith("Callback URL mismatch. The provided redirect_uri is not in the list")
    assert (
        "http://127.0.0.1:62294/callback is not in the list of allowed callback URLs"
        in idp.last("/authorize")["reason"]
    )
    idp.patch({"faults": {"loopback_port_strict": False}})
    r = idp.authorize(redirect_uri="http://127.0.0.1:62294/callback", audience=GATEWAY)
    assert r.status_code == 302 and r.headers["location"].startswith("http://127.0.0.1:62294/callback?code=")
    r = idp.authorize(redirect_uri="http://127.0.0.1:62294/other")
    assert r.status_code == 400


def test_errors_redirect_for_first_party_and_page_fault(idp: Idp) -> None:
    r = idp.authorize(response_type="token")
    q = query_of(r.headers["location"])
    assert q["error"] == "unsupported_response_type" and q["state"] == "st-1"
    idp.patch({"faults": {"authorize_error_delivery": "page"}})
    r = idp.authorize(response_type="token")
    assert r.status_code == 400 and "Oops!, something went wrong" in r.text


def test_redirect_fault_makes_strict_third_party_errors_redirect(idp: Idp) -> None:
    client = _register(idp)
    r = _tp_authorize(
        idp, client["client_id"], code_challenge=None, code_challenge_method=None, resource=GATEWAY
    )
    assert _page_text(r) == "The PKCE protocol extension is required"
    idp.patch({"faults": {"authorize_error_delivery": "redirect"}})
    r = _tp_authorize(
        idp, client["client_id"], code_challenge=None, code_challenge_method=None, resource=GATEWAY
    )
    q = query_of(r.headers["location"])
    assert q == {
        "error": "invalid_request",
        "error_description": "The PKCE protocol extension is required",
        "state": "st-1",
    }


def test_third_party_parameter_allow_list(idp: Idp) -> None:
    client = _register(idp)
    for param in ("claims", "screen_hint", "request_uri", "foo"):
        r = _tp_authorize(idp, client["client_id"], resource=GATEWAY, **{param: "x"})
        assert _page_text(r) == f"Unsupported parameter: {param}"
    assert (
        _tp_authorize(
            idp, client["client_id"], resource=GATEWAY, **{"ext-foo": "1", "ui_locales": "en"}
        ).status_code
        == 302
    )


def test_plain_pkce_is_rejected_unless_the_knob_accepts(idp: Idp) -> None:
    verifier = "a" * 43
    r = idp.authorize(code_challenge=verifier, code_challenge_method="plain")
    assert query_of(r.headers["location"])["error"] == "invalid_request"
    idp.patch({"emulator": {"pkce_plain": "accept"}})
    r = idp.authorize(code_challenge=verifier, code_challenge_method="plain", audience=GATEWAY)
    code = query_of(r.headers["location"])["code"]
    t = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": CLI_ID,
            "code": code,
            "redirect_uri": CLI_CALLBACK,
            "code_verifier": verifier,
        },
    )
    assert t.status_code == 200


def test_iss_in_authorization_response_toggle(idp: Idp) -> None:
    assert "iss" not in query_of(idp.authorize(audience=GATEWAY).headers["location"])
    idp.patch({"settings": {"authorization_response_iss_parameter_supported": True}})
    assert query_of(idp.authorize(audience=GATEWAY).headers["location"])["iss"] == idp.issuer
    err = query_of(idp.authorize(response_type="token").headers["location"])
    assert err["iss"] == idp.issuer


def test_response_modes(idp: Idp) -> None:
    frag = idp.authorize(response_mode="fragment", audience=GATEWAY).headers["location"]
    assert "#code=" in frag
    post = idp.authorize(response_mode="form_post", audience=GATEWAY)
    assert post.status_code == 200 and f'action="{CLI_CALLBACK}"' in post.text and 'name="code"' in post.text
    bad = idp.authorize(response_mode="web_message")
    assert query_of(bad.headers["location"])["error"] == "invalid_request"


# The §3.5 matrix ---------------------------------------------------------------------------------------


def test_matrix_profile_off_first_party_resource_only_gets_opaque_jwe(idp: Idp) -> None:
    idp.patch({"settings": {"resource_parameter_profile": "ignore"}})
    body, _ = idp.code_flow(scope="openid profile", audience=None, resource=GATEWAY)
    token = body["access_token"]
    assert token.count(".") == 4 and token.split(".")[1] == ""
    import base64
    import json

    header = json.loads(base64.urlsafe_b64decode(token.split(".")[0] + "=="))
    assert header == {"alg": "dir", "enc": "A256GCM", "iss": idp.issuer}
    assert "resource" in " ".join(idp.last("/authorize")["notes"])


def test_matrix_short_random_opaque_token_style(idp: Idp) -> None:
    idp.patch({"faults": {"opaque_token_style": "short_random"}})
    body, _ = idp.code_flow(scope="openid", audience=None)
    assert re.fullmatch(r"[A-Za-z0-9]{32}", body["access_token"])


def test_matrix_profile_off_third_party_resource_only_is_userinfo_error(idp: Idp) -> None:
    idp.patch({"settings": {"resource_parameter_profile": "ignore"}})
    client = _register(idp)
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    assert (
        _page_text(r)
        == "The userinfo audience is not allowed for third party clients. Please specify a valid API audience."
    )


def test_matrix_profile_off_default_audience_wins_over_resource(idp: Idp) -> None:
    idp.patch({"settings": {"resource_parameter_profile": "ignore", "default_audience": GATEWAY}})
    body, _ = idp.code_flow(scope="mcp:tools", audience=None, resource=MCP)
    assert idp.verify(body["access_token"])["aud"] == GATEWAY  # F-22: the wrong API, silently


def test_matrix_profile_on_resource_mismatch_is_service_not_found(idp: Idp) -> None:
    r = idp.authorize(audience=None, resource=GATEWAY + "/")
    q = query_of(r.headers["location"])
    assert q["error"] == "access_denied" and q["error_description"] == f"Service not found: {GATEWAY}/"


def test_matrix_profile_on_third_party_without_grant(idp: Idp) -> None:
    client = _register(idp)
    r = _tp_authorize(idp, client["client_id"], resource=MCP, scope="search:read")
    assert (
        _page_text(r) == f'Client "{client["client_id"]}" is not authorized to access resource server "{MCP}"'
    )
    assert "F-5" in idp.last("/authorize")["reason"]


def test_matrix_profile_on_audience_wins_over_resource(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="mcp:tools search:read", audience=GATEWAY, resource=MCP)
    assert idp.verify(body["access_token"])["aud"] == GATEWAY
    assert any("wins over resource" in n for n in idp.last("/authorize")["notes"])


def test_matrix_profile_on_resource_selects_the_api(idp: Idp) -> None:
    body, _ = idp.code_flow(scope="search:read", audience=None, resource=MCP)
    claims = idp.verify(body["access_token"], audience=MCP)
    assert claims["scope"] == "search:read"


def test_no_connections_for_third_party_without_domain_connection(idp: Idp) -> None:
    client = _register(idp)
    idp.patch(
        {
            "connections": [
                {
                    "name": "Username-Password-Authentication",
                    "is_domain_connection": False,
                    "enabled_clients": [CLI_ID],
                }
            ]
        }
    )
    r = _tp_authorize(idp, client["client_id"], resource=GATEWAY)
    assert _page_text(r) == "no connections enabled for the client"
    assert "F-7" in idp.last("/authorize")["reason"]
    assert idp.authorize(audience=GATEWAY).status_code == 302  # first-party still fine


def test_blocked_user_and_missing_grant_type(idp: Idp) -> None:
    users = [u.model_dump(mode="json") for u in idp.control.tenant.users]
    users[0]["blocked"] = True
    idp.patch({"users": users})
    assert query_of(idp.authorize().headers["location"])["error_description"] == "user is blocked"
    idp.patch_client("demo-cli", grant_types=["refresh_token"])
    q = query_of(idp.authorize().headers["location"])
    assert q["error"] == "unauthorized_client"


@pytest.mark.parametrize("param", ["response_type", "code_challenge"])
def test_malformed_parameters_redirect_with_invalid_request(idp: Idp, param: str) -> None:
    params = (
        {"response_type": None}
        if param == "response_type"
        else {"code_challenge_method": "S256", "code_challenge": None}
    )
    r = idp.authorize(**params)
    assert query_of(r.headers["location"])["error"] == "invalid_request"


def test_huge_parameter_is_a_page_not_a_500(idp: Idp) -> None:
    r = idp.authorize(scope="x" * 20000)
    assert r.status_code == 400 and "Oops!" in r.text


def test_first_party_consent_rules(idp: Idp) -> None:
    """Consent: skipped for first-party apps on a non-localhost callback when the API allows it."""
    idp.patch({"settings": {"headless_auto_approve": False}})
    idp.patch_client("demo-cli", callbacks=[CLI_CALLBACK, "https://app.example.test/cb"])

    def login(**params: object) -> str:
        r = idp.authorize(redirect_uri="https://app.example.test/cb", audience=GATEWAY, **params)
        txn = query_of(r.headers["location"])["state"]
        ok = idp.http.post(
            "/u/login",
            data={"state": txn, "username": "alice@example.test", "password": "demo-password-alice"},
        )
        idp.http.cookies.clear()
        return ok.headers["location"]

    assert login().startswith("https://app.example.test/cb?code=")
    assert "/u/consent" in login(prompt="consent")
    idp.patch_api(skip_consent_for_verifiable_first_party_clients=False)
    assert "/u/consent" in login()


def test_api_user_access_policies(idp: Idp) -> None:
    idp.patch_api(subject_type_authorization={"user": {"policy": "require_client_grant"}})
    q = query_of(idp.authorize(audience=GATEWAY).headers["location"])
    assert (
        q["error"] == "invalid_request"
        and q["error_description"]
        == f'Client "{CLI_ID}" is not authorized to access resource server "{GATEWAY}"'
    )
    grants = [g.model_dump(mode="json") for g in idp.control.tenant.client_grants]
    grants.append({"client_id": CLI_ID, "audience": GATEWAY, "scope": ["mcp:tools"], "subject_type": "user"})
    idp.patch({"client_grants": grants})
    body, _ = idp.code_flow(scope="mcp:tools mcp:admin")
    assert idp.verify(body["access_token"])["scope"] == "mcp:tools"  # the grant caps the scopes
    idp.patch_api(subject_type_authorization={"user": {"policy": "deny_all"}})
    assert query_of(idp.authorize(audience=GATEWAY).headers["location"])["error"] == "invalid_request"


def test_strict_third_party_with_allow_always_redirects_errors(idp: Idp) -> None:
    client = _register(idp)
    clients = [c.model_dump(mode="json") for c in idp.control.tenant.clients]
    reg = idp.control.state.registered_clients[client["client_id"]].model_dump(mode="json")
    reg["redirection_policy"] = "allow_always"
    idp.patch({"clients": [*clients, reg]})
    r = _tp_authorize(
        idp, client["client_id"], code_challenge=None, code_challenge_method=None, resource=GATEWAY
    )
    assert query_of(r.headers["location"])["error_description"] == "The PKCE protocol extension is required"


def test_permissive_dcr_clients_get_oidc_and_optional_pkce(idp: Idp) -> None:
    idp.patch({"settings": {"dynamic_client_registration_security_mode": "permissive"}})
    client = _register(idp)
    r = idp.authorize(
        client_id=client["client_id"],
        redirect_uri="http://127.0.0.1:5555/cb",
        scope="openid mcp:tools",
        resource=GATEWAY,
    )
    code = query_of(r.headers["location"])["code"]
    t = idp.http.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "client_id": client["client_id"],
            "code": code,
            "redirect_uri": "http://127.0.0.1:5555/cb",
        },
    )
    assert "id_token" in t.json() and t.json()["scope"] == "openid mcp:tools"


def test_headless_default_user_setting(idp: Idp) -> None:
    idp.patch({"settings": {"headless_default_user": "bob@example.test"}})
    body, _ = idp.code_flow(scope="mcp:tools")
    assert claims_of(body["access_token"])["sub"] == "auth0|bob"


def test_validate_steps_run_in_auth0_order() -> None:
    """After client and callback: the order decides which error a request with several problems gets."""
    assert [step.__name__ for step in VALIDATE_STEPS] == [
        "validate_response_mode",
        "validate_third_party_parameters",
        "validate_response_type",
        "validate_grant_type",
        "validate_code_challenge",
        "validate_target",
        "validate_api_access",
        "validate_connections",
    ]


def test_first_failing_step_wins(idp: Idp) -> None:
    r = idp.authorize(response_type="token", code_challenge_method="S256", audience="https://nope.test/")
    assert query_of(r.headers["location"])["error"] == "unsupported_response_type"
    r = idp.authorize(code_challenge_method="S256", audience="https://nope.test/")
    q = query_of(r.headers["location"])
    assert q["error_description"] == "Missing required parameter: code_challenge" and q["state"] == "st-1"
