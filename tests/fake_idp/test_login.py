"""Universal Login for a real browser (fake_idp/login.py): auto-approval only when the request asks for it, and the
login and consent forms bound to the browser that started the login (CSRF)."""

from __future__ import annotations

import re

import httpx
import pytest

from tests.fake_idp.conftest import CLI_CALLBACK, CLI_ID, GATEWAY, Idp, query_of

DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/150.0 Safari/537.36"


@pytest.fixture
def demo(idp: Idp) -> Idp:
    """The demo tenant's login settings (the session fixture turns on the always-approve knob)."""
    idp.patch({"settings": {"headless_auto_approve": False, "auto_approve_login_hint": True,
                            "auto_approve_user_agents": ["authstage-browser/", "authstage-replay/"]}})
    return idp


def _authorize(idp: Idp, http: httpx.Client, **params: str) -> httpx.Response:
    query = {"client_id": CLI_ID, "redirect_uri": CLI_CALLBACK, "response_type": "code", "state": "s",
             "audience": GATEWAY, **params}
    return http.get(idp.url + "/authorize", params=query)


def test_a_desktop_browser_sees_the_login_page(demo: Idp) -> None:
    with httpx.Client(headers={"User-Agent": DESKTOP}) as browser:
        response = _authorize(demo, browser)
        assert response.status_code == 302 and "/u/login?state=" in response.headers["location"]
        assert "did" in browser.cookies  # the device cookie the login is bound to


@pytest.mark.parametrize(("agent", "params", "subject"), [
    ("authstage-browser/0.1", {}, "auth0|alice"),
    (DESKTOP, {"login_hint": "bob@example.test"}, "auth0|bob"),
])
def test_a_request_that_asks_is_approved_without_a_page(demo: Idp, agent: str, params: dict[str, str],
                                                         subject: str) -> None:
    with httpx.Client(headers={"User-Agent": agent}) as browser:
        response = _authorize(demo, browser, **params)
    assert response.status_code == 302 and "code" in query_of(response.headers["location"])
    assert "auto-approved without a login page" in " ".join(demo.last("/authorize")["notes"])


def test_login_hint_asks_only_when_the_tenant_says_so(demo: Idp) -> None:
    demo.patch({"settings": {"auto_approve_login_hint": False}})
    with httpx.Client(headers={"User-Agent": DESKTOP}) as browser:
        response = _authorize(demo, browser, login_hint="bob@example.test")
    assert "/u/login?state=" in response.headers["location"]  # Auth0: the hint only prefills the form


def _login_page(demo: Idp, browser: httpx.Client) -> str:
    login = browser.get(_authorize(demo, browser).headers["location"])
    return re.search(r'name="state" value="([^"]+)"', login.text).group(1)  # type: ignore[union-attr]


def test_the_login_form_is_refused_from_another_browser_or_site(demo: Idp) -> None:
    form = {"username": "alice@example.test", "password": "demo-password-alice"}
    with httpx.Client(headers={"User-Agent": DESKTOP}) as victim, httpx.Client(headers={"User-Agent": DESKTOP}) as attacker:
        txn = _login_page(demo, attacker)  # the attacker's own login transaction ...
        forged = victim.post(demo.url + "/u/login", data={**form, "state": txn})  # ... posted by the victim's browser
        assert forged.status_code == 400 and "started in another browser" in forged.text
        assert "CSRF" in demo.last("/u/login")["reason"]
        cross_site = attacker.post(demo.url + "/u/login", data={**form, "state": txn},
                                   headers={"Origin": "https://evil.example"})
        assert cross_site.status_code == 400 and "another site" in demo.last("/u/login")["reason"]
        same = attacker.post(demo.url + "/u/login", data={**form, "state": txn}, headers={"Origin": demo.url})
        assert same.status_code == 302 and "/u/consent?state=" in same.headers["location"]
        consent_elsewhere = victim.post(demo.url + "/u/consent", data={"state": txn, "action": "accept"})
        assert consent_elsewhere.status_code == 400
        consent = attacker.post(demo.url + "/u/consent", data={"state": txn, "action": "accept"})
        assert consent.status_code == 302 and "code" in query_of(consent.headers["location"])
