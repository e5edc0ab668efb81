"""The headless browser logs in through the IdP's real login page when auto-approve is off."""

from __future__ import annotations

import base64
import hashlib
import secrets
from urllib.parse import urlencode

from harness import HeadlessBrowser, Stack


def authorize_url(stack: Stack, **extra: str) -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    client = stack.manifest["clients"]["demo-cli"]
    query = {
        "response_type": "code",
        "client_id": client["client_id"],
        "redirect_uri": client["callbacks"][0],
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "audience": stack.gateway.mcp_url,
        "scope": "openid mcp:tools",
        "state": "xyz",
        **extra,
    }
    return f"{stack.idp.url}/authorize?{urlencode(query)}", verifier


def test_login_form_is_filled_and_the_code_reaches_the_redirect() -> None:
    no_auto_approve = {"headless_auto_approve": False, "auto_approve_login_hint": False, "auto_approve_user_agents": []}
    with Stack({"idp": {"settings": no_auto_approve}}) as stack:
        url, _ = authorize_url(stack)
        page = stack.http.get(url, follow_redirects=True)  # Universal Login: /authorize -> /u/login
        assert page.status_code == 200 and "<form" in page.text and 'name="password"' in page.text
        result = HeadlessBrowser(username="bob@example.test", password="demo-password-bob",
                                 stop_at=stack.manifest["clients"]["demo-cli"]["callbacks"][0]).run(url)
        assert result.code and result.params["state"] == "xyz"
        wrong = HeadlessBrowser(username="bob@example.test", password="nope",
                                stop_at=stack.manifest["clients"]["demo-cli"]["callbacks"][0]).run(url)
        assert wrong.code is None


def test_error_redirects_are_reported(stack: Stack) -> None:
    url, _ = authorize_url(stack, audience="https://nope.example/api")
    result = HeadlessBrowser(stop_at=stack.manifest["clients"]["demo-cli"]["callbacks"][0]).run(url)
    assert result.error == "access_denied"
