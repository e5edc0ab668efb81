"""Graders of `authstage client-check` (harness/_client_graders.py) on hand-made request-log records."""

from __future__ import annotations

from fake_idp.pkce import s256
from harness._client_graders import _verifier_verdict

VERIFIER = "a-verifier-long-enough-for-rfc-7636-0123456789abcdef"


def _exchange(status: int, reason: str | None = None) -> dict[str, object]:
    return {"status": status, "reason": reason,
            "request": {"body": {"grant_type": "authorization_code", "code_verifier": VERIFIER}}}


def test_a_code_exchange_refused_for_client_authentication_is_not_a_pkce_failure() -> None:
    """A TypeScript SDK client that sent Basic to a client registered for client_secret_post: the IdP refuses the
    exchange, but the verifier matched its challenge; PKCE is graded SUCCESS and the refusal is named."""
    refused = _exchange(401, "registered with client_secret_post but authenticated with client_secret_basic")
    ok, text = _verifier_verdict(refused, s256(VERIFIER))
    assert ok and "refused for another reason: registered with client_secret_post" in text
    ok, text = _verifier_verdict(refused, s256("another verifier"))
    assert not ok and text.startswith("the authorization server refused the code")
