"""One function per claim check (fake_gateway/claims.py): what each decides, without HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from authstage_kit.jwks import Keys
from fake_gateway.claims import (
    check_aud,
    check_claims,
    check_client_id,
    check_custom_claim,
    check_exp,
    check_iat,
    check_iss,
    check_nbf,
    check_scope,
    claim_names,
    scopes_of,
)
from fake_gateway.settings import ClaimRule, Emulator, JwtConfig

NOW = 1_700_000_000.0
ISSUER = "https://tenant.example/"


def config(
    *,
    audiences: tuple[str, ...] | None = None,
    clients: tuple[str, ...] | None = None,
    scopes: tuple[str, ...] | None = None,
    claims: tuple[ClaimRule, ...] = (),
    authenticate_only: bool = False,
) -> JwtConfig:
    return JwtConfig(
        f"{ISSUER}.well-known/openid-configuration",
        audiences,
        clients,
        scopes,
        {},
        claims,
        authenticate_only=authenticate_only,
    )


def knobs(**values: Any) -> Emulator:
    return Emulator(**values)


KEYS = Keys({"issuer": ISSUER, "jwks_uri": f"{ISSUER}jwks"}, {"keys": []}, None)


def test_claim_names_are_the_names_check_claims_returns_in_order() -> None:
    rules = (ClaimRule("groups", "STRING_ARRAY", "CONTAINS", "admin", None),)
    jwt = config(audiences=("api",), clients=("c",), scopes=("s",), claims=rules)
    checks = check_claims({}, jwt, KEYS, knobs(), NOW, verified=True)
    assert [c.name for c in checks] == claim_names(jwt)
    assert claim_names(jwt) == [
        "exp", "nbf", "iat", "iss", "aud", "client_id", "customClaims[0]:groups", "scope"
    ]  # fmt: skip


def test_exp_leeway_and_unverified_claims() -> None:
    assert check_exp({"exp": NOW + 60}, knobs(), NOW, verified=True).passed is True
    expired = check_exp({"exp": NOW - 10}, knobs(), NOW, verified=False)
    assert expired.passed is False
    assert expired.reason.startswith("the token expired 10 s ago")
    assert expired.reason.endswith("(unverified claims)")
    assert check_exp({"exp": NOW - 10}, knobs(leewaySeconds=30), NOW, verified=True).passed is True
    assert check_exp({}, knobs(), NOW, verified=True).passed is False
    assert check_exp({}, knobs(requireExp=False), NOW, verified=True).passed is None
    for odd in ("soon", True, float("nan"), 10**400):
        assert check_exp({"exp": odd}, knobs(), NOW, verified=True).reason.endswith("is not a number")


def test_nbf_and_iat_in_the_future() -> None:
    assert check_nbf({}, knobs(), NOW).passed is None
    assert check_nbf({"nbf": NOW + 100}, knobs(), NOW).passed is False
    assert check_nbf({"nbf": NOW + 100}, knobs(leewaySeconds=120), NOW).passed is True
    assert check_iat({"iat": NOW + 100}, knobs(), NOW).passed is False
    assert check_iat({"iat": NOW + 100}, knobs(rejectFutureIat=False), NOW).passed is None
    assert check_iat({"iat": NOW - 1}, knobs(), NOW).passed is True


@pytest.mark.parametrize(
    ("iss", "fix"),
    [
        (ISSUER.rstrip("/"), "differ only by a trailing slash"),
        ("https://other.example/", "use a token from https://tenant.example/"),
        (None, "the token carries no iss claim"),
    ],
)
def test_iss_is_an_exact_compare_and_names_the_trap(iss: str | None, fix: str) -> None:
    assert check_iss({"iss": ISSUER}, KEYS).passed is True
    check = check_iss({"iss": iss} if iss else {}, KEYS)
    assert check.passed is False
    assert fix in (check.fix or "")
    assert check_iss({"iss": ISSUER}, Keys(None, None, "down")).passed is None


def test_aud_against_allowed_audience() -> None:
    jwt = config(audiences=("https://gw.example/mcp",))
    assert check_aud({"aud": ["x", "https://gw.example/mcp"]}, jwt).passed is True
    assert check_aud({"aud": "https://gw.example/mcp"}, config()).passed is None
    assert check_aud({"aud": "x"}, config(audiences=("x",), authenticate_only=True)).passed is None
    slash = check_aud({"aud": "https://gw.example/mcp/"}, jwt)
    assert slash.passed is False and "differ only by a trailing slash" in (slash.fix or "")
    cognito = check_aud({"client_id": "abc"}, jwt)
    assert cognito.reason.startswith("the token has no aud claim") and "(U1)" in (cognito.fix or "")
    entra = check_aud({"aud": "guid"}, config(audiences=("api://guid",)))
    assert "Entra v2" in (entra.fix or "")
    assert "RFC 7519 §4.1.3" in (check_aud({"aud": {}}, jwt).fix or "")


def test_client_id_reads_only_client_id() -> None:
    jwt = config(clients=("app",))
    assert check_client_id({"client_id": "app"}, jwt).passed is True
    assert check_client_id({"client_id": "app"}, config()).passed is None
    for claim, vendor in (("azp", "Auth0"), ("cid", "Okta"), ("appid", "Entra v1")):
        check = check_client_id({claim: "app"}, jwt)
        assert check.passed is False
        assert f"(it has {{'{claim}': 'app'}})" in check.reason
        assert (check.fix or "").startswith(vendor)
    other = check_client_id({"client_id": "other"}, jwt)
    assert other.reason == "client_id 'other' not in allowedClients ['app']"


def test_custom_claim_operators_and_types() -> None:
    equals = ClaimRule("tier", "STRING", "EQUALS", "gold", None)
    contains = ClaimRule("groups", "STRING_ARRAY", "CONTAINS", "admin", None)
    any_of = ClaimRule("groups", "STRING_ARRAY", "CONTAINS_ANY", None, ("a", "b"))
    assert check_custom_claim(0, equals, {"tier": "gold"}, False).passed is True
    assert check_custom_claim(0, equals, {"tier": ["gold"]}, False).reason.endswith("rule expects STRING")
    assert check_custom_claim(1, contains, {"groups": ["admin"]}, False).name == "customClaims[1]:groups"
    assert check_custom_claim(1, contains, {"groups": "admin"}, False).passed is False
    assert check_custom_claim(2, any_of, {"groups": ["b"]}, False).passed is True
    missing = check_custom_claim(2, any_of, {}, False)
    assert missing.reason == "the token has no 'groups' claim (rule: CONTAINS_ANY ['a', 'b'])"
    assert check_custom_claim(0, equals, {}, True).passed is None


def test_scope_from_scope_or_scp() -> None:
    assert scopes_of({"scope": "a b", "scp": ["b", "c"]}) == ["a", "b", "c"]
    jwt = config(scopes=("read",))
    assert check_scope({"scp": ["read"]}, jwt).passed is True
    assert check_scope({}, jwt).fix == "request scope 'read' when getting the token"
    full = check_scope({"scope": "api://app/read"}, jwt)
    assert full.passed is False and "full scope" in (full.fix or "")
    assert check_scope({"scope": "read"}, config()).passed is None


@pytest.mark.parametrize("separator", ["\t", "\n", "\u00a0", "\x1f", "\r", "\u2003"])
def test_scopes_split_on_single_spaces_unless_the_knob_reads_any_whitespace(separator: str) -> None:
    """RFC 6749 §3.3: scope-tokens of NQCHAR separated by %x20; TAB, LF, NBSP or 0x1f do not separate."""
    claims = {"scope": f"read{separator}write"}
    jwt = config(scopes=("read",))
    strict = check_scope(claims, jwt, knobs())
    assert strict.passed is False and "not scope-tokens" in strict.reason
    assert "scopeSeparator: whitespace" in (strict.fix or "")
    assert scopes_of(claims, knobs()) == []
    assert check_scope(claims, jwt, knobs(scopeSeparator="whitespace")).passed is True
    assert check_scope({"scope": "write read"}, jwt, knobs()).passed is True


def test_aud_arrays_hold_strings_only_unless_the_knob_allows_any_member() -> None:
    jwt = config(audiences=("https://gw.example/mcp",))
    for member in (1, None, {"a": 1}, ["x"], True):
        claims = {"aud": ["https://gw.example/mcp", member]}
        strict = check_aud(claims, jwt, knobs())
        assert strict.passed is False and "is not an array of strings" in strict.reason
        assert check_aud(claims, jwt, knobs(audienceMembers="any")).passed is True


@pytest.mark.parametrize("value", [2**64, 1e300, 253_402_300_800, -1, -(10**30)])
def test_numeric_dates_stay_in_the_calendar_unless_the_knob_takes_any_number(value: float) -> None:
    for check, claim in ((check_exp, "exp"), (check_nbf, "nbf"), (check_iat, "iat")):
        args: dict[str, Any] = {"verified": True} if check is check_exp else {}
        strict = check({claim: value}, knobs(), NOW, **args)
        assert strict.passed is False and "out of range" in strict.reason, (claim, strict)
        assert "numericDates: any" in (strict.fix or "")
    lenient = knobs(numericDates="any")
    assert check_exp({"exp": value}, lenient, NOW, verified=True).passed is (value > NOW)
    assert check_exp({"exp": NOW + 60}, knobs(), NOW, verified=True).passed is True


def test_a_users_missing_scope_points_at_the_users_permissions() -> None:
    """The workshop's bob: the client asked for the scope, Auth0 RBAC left it out of his token; the fix says so
    (a client-credentials token keeps the plain advice)."""
    jwt = config(scopes=("mcp:tools",))
    user = check_scope({"sub": "auth0|bob", "scope": "openid"}, jwt)
    assert user.passed is False and (user.fix or "").endswith("the IdP left it out for this user: give the user "
                                                               "that permission")
    m2m = check_scope({"sub": "client-a@clients", "gty": "client-credentials"}, jwt)
    assert m2m.fix == "request scope 'mcp:tools' when getting the token"
