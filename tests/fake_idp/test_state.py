"""Bounded runtime state (fake_idp/state.py, knobs `emulator.state` and the session lifetimes): nothing the tenant
remembers grows without bound, and what Auth0 documents (200 refresh tokens per user and app, session lifetimes)
behaves as documented. Tokens are verified with PyJWT (the fixture's `verify`)."""

from __future__ import annotations

import re

import pytest

from fake_idp.state import Expiring
from tests.fake_idp.conftest import CLI_CALLBACK, CLI_ID, GATEWAY, Idp, pkce_pair, query_of


def test_an_expiring_map_keeps_its_count_and_forgets_what_expired() -> None:
    store: Expiring[float] = Expiring(lambda deadline: deadline)
    for n in range(5):
        evicted = store.add(f"k{n}", 100.0 + n, now=0, limit=3, retention=10)
    assert list(store) == ["k2", "k3", "k4"] and evicted == [101.0]  # the oldest went first
    store.add("k2", 102.0, now=0, limit=3, retention=10)  # re-added: the newest again
    assert list(store) == ["k3", "k4", "k2"]
    store.forget_expired(now=112.5, retention=10)  # k2 (102 + 10 < 112.5) goes; k3, k4 are still kept
    assert list(store) == ["k3", "k4"]
    never: Expiring[str] = Expiring(lambda value: None)
    never.add("x", "v", now=0, limit=1, retention=0)
    never.forget_expired(now=1e12, retention=0)
    assert never == {"x": "v"}


def _code(idp: Idp) -> tuple[str, str]:
    verifier, challenge = pkce_pair()
    r = idp.authorize(scope="openid mcp:tools offline_access", audience=GATEWAY, code_challenge=challenge,
                      code_challenge_method="S256")
    return query_of(r.headers["location"])["code"], verifier


def _exchange(idp: Idp, code: str, verifier: str):  # type: ignore[no-untyped-def]
    return idp.http.post("/oauth/token", data={"grant_type": "authorization_code", "client_id": CLI_ID, "code": code,
                                                "redirect_uri": CLI_CALLBACK, "code_verifier": verifier})


def test_codes_beyond_the_bound_are_forgotten_oldest_first(idp: Idp) -> None:
    idp.patch({"emulator": {"state": {"authorization_codes": 2}}})
    codes = [_code(idp) for _ in range(3)]
    first = _exchange(idp, *codes[0])
    assert first.status_code == 403 and first.json()["error"] == "invalid_grant"
    assert idp.last("/oauth/token")["reason"] == "unknown authorization code"
    newest = _exchange(idp, *codes[2])
    assert newest.status_code == 200 and idp.verify(newest.json()["access_token"])["sub"] == "auth0|alice"
    assert len(idp.control.state.codes) == 2


def test_expired_codes_are_forgotten_after_the_retention(idp: Idp) -> None:
    idp.patch({"emulator": {"authorization_code_lifetime": 5, "state": {"forget_expired_after": 10}}})
    idp.control.clock.freeze()
    code, verifier = _code(idp)
    idp.control.clock.advance(6)
    assert _exchange(idp, code, verifier).status_code == 403
    assert "authorization code expired" in idp.last("/oauth/token")["reason"]  # still known: the reason says why
    idp.control.clock.advance(10)
    idp.control.state.codes.forget_expired(idp.control.clock.now(), 10)  # the sweep every few additions runs
    assert code not in idp.control.state.codes


def test_a_user_holds_at_most_the_documented_refresh_tokens_per_app(idp: Idp) -> None:
    """DOC refresh-tokens.mdx: 200 active refresh tokens per user per application; one more revokes the oldest."""
    idp.patch({"emulator": {"state": {"refresh_tokens_per_user_per_app": 2}}})
    tokens = [idp.code_flow()[0]["refresh_token"] for _ in range(3)]
    assert "the oldest was revoked" in " ".join(idp.last("/oauth/token")["notes"])
    refresh = {"grant_type": "refresh_token", "client_id": CLI_ID}
    oldest = idp.http.post("/oauth/token", data={**refresh, "refresh_token": tokens[0]})
    assert oldest.status_code == 403 and oldest.json()["error"] == "invalid_grant"
    for token in tokens[1:]:
        fresh = idp.http.post("/oauth/token", data={**refresh, "refresh_token": token})
        assert fresh.status_code == 200, fresh.text
        assert idp.verify(fresh.json()["access_token"])["sub"] == "auth0|alice"


def _login(idp: Idp) -> None:
    """Log alice in on the real pages; the session cookie stays in the fixture's client."""
    page = idp.http.get(idp.authorize(scope="openid", audience=GATEWAY).headers["location"])
    txn = re.search(r'name="state" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    idp.http.post("/u/login", data={"state": txn, "username": "alice@example.test", "password": "demo-password-alice"})
    assert idp.http.post("/u/consent", data={"state": txn, "action": "accept"}).status_code == 302


@pytest.mark.parametrize(("knob", "hours", "waits"), [
    ("idle_session_lifetime", 1, [3500, 3500, 3700]),  # each use restarts the idle count; unused for > 1 h: over
    ("session_lifetime", 2, [3500, 3500, 300]),  # however active, 2 h after the login: over
])
def test_a_login_session_ends_with_its_lifetimes(idp: Idp, knob: str, hours: int, waits: list[int]) -> None:
    """DOC configure-session-lifetime-settings: inactivity timeout and 'require log in after'."""
    idp.patch({"settings": {"headless_auto_approve": False, knob: hours}})
    idp.control.clock.freeze()
    _login(idp)
    silent = {"client_id": CLI_ID, "redirect_uri": CLI_CALLBACK, "response_type": "code", "prompt": "none",
              "audience": GATEWAY}
    answers = []
    for wait in waits:
        idp.control.clock.advance(wait)
        answers.append(query_of(idp.http.get("/authorize", params=silent).headers["location"]))
    assert ["code" in q for q in answers] == [True, True, False]
    assert answers[-1]["error"] == "login_required"
    assert "the login session expired" in " ".join(idp.last("/authorize")["notes"])


def test_dynamic_clients_stop_at_the_entity_bound(idp: Idp) -> None:
    idp.patch({"settings": {"enable_dynamic_client_registration": True}, "emulator": {"state": {"dcr_clients": 2}}})
    body = {"client_name": "bounded", "redirect_uris": ["http://127.0.0.1:9/cb"], "token_endpoint_auth_method": "none"}
    statuses = [idp.http.post("/oidc/register", json=body).status_code for _ in range(3)]
    assert statuses == [201, 201, 400]
    assert idp.http.post("/oidc/register", json=body).json()["error"] == "too_many_entities"
    assert "emulator.state.dcr_clients=2" in idp.last("/oidc/register")["reason"]


def test_short_random_userinfo_tokens_are_bounded(idp: Idp) -> None:
    idp.patch({"faults": {"opaque_token_style": "short_random"}, "emulator": {"state": {"opaque_tokens": 2}}})
    tokens = [idp.code_flow(scope="openid profile", audience=None)[0]["access_token"] for _ in range(3)]
    answers = [idp.http.get("/userinfo", headers={"Authorization": f"Bearer {t}"}).status_code for t in tokens]
    assert answers == [401, 200, 200]
    assert len(idp.control.state.opaque_tokens) == 2
