"""PKCE (RFC 7636) as one extension: the challenge checks of /authorize and the verifier check of /oauth/token."""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from fake_idp import errors
from fake_idp.pkce import (
    CODE_CHALLENGE_METHODS,
    CODE_CHALLENGE_PATTERN,
    CODE_VERIFIER_PATTERN,
    CodeChallenge,
    s256,
    validate_code_challenge,
)
from fake_idp.state import AuthCode
from tests.fake_idp.conftest import Idp

# RFC 7636 Appendix B.
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"
CHALLENGE = "E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"


def test_s256_is_the_rfc_example_and_methods_are_a_table() -> None:
    assert s256(VERIFIER) == CHALLENGE
    assert list(CODE_CHALLENGE_METHODS) == ["S256", "plain"]
    assert CODE_CHALLENGE_METHODS["S256"](VERIFIER) == CHALLENGE
    assert CODE_CHALLENGE_METHODS["plain"](VERIFIER) == VERIFIER
    assert CODE_VERIFIER_PATTERN.pattern == CODE_CHALLENGE_PATTERN.pattern  # §4.1 and §4.2: the same ABNF


def test_discovery_advertises_the_method_table(idp: Idp) -> None:
    doc = idp.http.get("/.well-known/openid-configuration").json()
    assert doc["code_challenge_methods_supported"] == ["S256", "plain"]


@pytest.mark.parametrize(
    ("challenge", "method", "required", "plain", "expected"),
    [
        (CHALLENGE, "S256", False, "reject", "S256"),
        (CHALLENGE, None, False, "accept", "plain"),  # §4.3: the method defaults to plain
        ("a" * 43, "plain", True, "accept", "plain"),
        (None, None, False, "reject", None),
    ],
)
def test_challenge_accepted(
    challenge: str | None, method: str | None, required: bool, plain: str, expected: str | None
) -> None:
    assert validate_code_challenge(challenge, method, required=required, plain=plain) == expected


@pytest.mark.parametrize(
    ("challenge", "method", "required", "plain", "description"),
    [
        (None, None, True, "reject", errors.PKCE_REQUIRED),
        (None, "S256", False, "reject", "Missing required parameter: code_challenge"),
        (CHALLENGE, None, False, "reject", errors.UNSUPPORTED_CHALLENGE_METHOD.format(method="plain")),
        (CHALLENGE, "plain", False, "reject", errors.UNSUPPORTED_CHALLENGE_METHOD.format(method="plain")),
        (CHALLENGE, "S512", False, "accept", errors.UNSUPPORTED_CHALLENGE_METHOD.format(method="S512")),
        ("short", "S256", False, "reject", "Invalid value for parameter: code_challenge"),
        ("a" * 129, "S256", False, "reject", "Invalid value for parameter: code_challenge"),
    ],
)
def test_challenge_refused(
    challenge: str | None, method: str | None, required: bool, plain: str, description: str
) -> None:
    with pytest.raises(errors.AuthorizeError) as caught:
        validate_code_challenge(challenge, method, required=required, plain=plain)
    assert caught.value.error == "invalid_request" and caught.value.description == description
    assert caught.value.redirect_uri is None  # /authorize decides whether its errors go back to the client


@dataclass
class _Ctx:
    notes: list[str] = field(default_factory=list)

    def note(self, text: str) -> None:
        self.notes.append(text)


@dataclass
class _Grant:
    ctx: _Ctx = field(default_factory=_Ctx)


def _code(challenge: str | None, method: str | None) -> AuthCode:
    return AuthCode(
        code="c",
        client_id="x",
        redirect_uri="http://127.0.0.1/cb",
        user_id="auth0|alice",
        scopes=[],
        api_identifier=None,
        resource=None,
        code_challenge=challenge,
        code_challenge_method=method,
        nonce=None,
        issuer="http://127.0.0.1/",
        auth_time=0.0,
        created_at=0.0,
    )


@pytest.mark.parametrize(
    ("challenge", "method", "verifier"),
    [(CHALLENGE, "S256", VERIFIER), ("a" * 43, "plain", "a" * 43), (None, None, None)],
)
def test_verifier_matches(challenge: str | None, method: str | None, verifier: str | None) -> None:
    params = {"code_verifier": verifier} if verifier else {}
    CodeChallenge.validate_code_verifier(_Grant(), code=_code(challenge, method), params=params)


@pytest.mark.parametrize(
    ("verifier", "why"),
    [(None, "no code_verifier"), ("short", "43-128 characters"), ("b" * 43, "does not equal")],
)
def test_verifier_refused(verifier: str | None, why: str) -> None:
    params = {"code_verifier": verifier} if verifier else {}
    with pytest.raises(errors.OAuthError) as caught:
        CodeChallenge.validate_code_verifier(_Grant(), code=_code(CHALLENGE, "S256"), params=params)
    assert (caught.value.status_code, caught.value.body()) == (
        403,
        {"error": "invalid_grant", "error_description": errors.CODE_VERIFIER_FAILED},
    )
    assert why in (caught.value.reason or "")


def test_verifier_without_challenge_is_noted_and_ignored() -> None:
    grant = _Grant()
    CodeChallenge.validate_code_verifier(grant, code=_code(None, None), params={"code_verifier": VERIFIER})
    assert grant.ctx.notes == ["code_verifier sent for a code issued without code_challenge; ignored"]
