"""The claim checks of the CUSTOM_JWT authorizer (RFC 9068 §4, RFC 7519 §4.1; DOC inbound-jwt-authorizer).

One function per claim, as Authlib's `oauth2/rfc9068/claims.py`, each returning the `Check` it decided:
`check_exp`, `check_nbf`, `check_iat` (time, knobs `leewaySeconds`, `requireExp`, `rejectFutureIat`),
`check_iss` (exact compare with the discovery `issuer`), then the configured checks, ANDed: `check_aud`
(`aud`, string or array of strings, in allowedAudience), `check_client_id` (`client_id` in allowedClients, no `azp`/`cid`
fallback: the real trap), `check_custom_claim` (one customClaims rule), `check_scope` (any scope of `scope` or
`scp` in allowedScopes). `check_claims` runs them in that order. A failed check's `fix` names the IdP trap that
usually causes it (sheet §3, U1-U7). The syntax is strict by default (`authstage_kit.jwtsyntax`: scopes split on
single spaces, `aud` arrays of strings, NumericDates in the calendar); knobs `scopeSeparator`, `audienceMembers`,
`numericDates` read them leniently.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal, Protocol

from authstage_kit.jwks import Keys
from authstage_kit.jwtsyntax import audience_values, numeric_date, scope_tokens
from fake_gateway.settings import ClaimRule, Emulator, JwtConfig
from fake_gateway.verdict import Check

__all__ = [
    "check_aud",
    "check_claims",
    "check_client_id",
    "check_custom_claim",
    "check_exp",
    "check_iat",
    "check_iss",
    "check_nbf",
    "check_scope",
    "claim_names",
    "scopes_of",
]


class TimeKnobs(Protocol):
    """What the time checks read (the AgentCore `Emulator`, or another dialect's knobs)."""

    leewaySeconds: float
    requireExp: bool
    rejectFutureIat: bool
    numericDates: Literal["calendar", "any"]  # calendar: 1970-9999 (strict); any: every finite number


def claim_names(jwt: JwtConfig) -> list[str]:
    """The names of the checks `check_claims` returns, in its order (reported as not run when a step fails)."""
    custom = [_custom_name(i, rule) for i, rule in enumerate(jwt.claims)]
    return ["exp", "nbf", "iat", "iss", "aud", "client_id", *custom, "scope"]


def check_claims(
    claims: dict[str, Any], jwt: JwtConfig, keys: Keys, knobs: Emulator, now: float, *, verified: bool
) -> list[Check]:
    """Every claim check, in order. `verified`: the signature verified (else expiry says the claims are unverified)."""
    return [
        check_exp(claims, knobs, now, verified=verified),
        check_nbf(claims, knobs, now),
        check_iat(claims, knobs, now),
        check_iss(claims, keys),
        check_aud(claims, jwt, knobs),
        check_client_id(claims, jwt),
        *(check_custom_claim(i, rule, claims, jwt.authenticate_only) for i, rule in enumerate(jwt.claims)),
        check_scope(claims, jwt, knobs),
    ]


# --- time: exp, nbf, iat (RFC 7519 §4.1.4-6)


def _iso(ts: float) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # beyond the calendar: say so instead of failing
        return f"{ts:.4g} (out of range)"


def _numeric_date(value: Any, knobs: TimeKnobs) -> float | None:
    """RFC 7519 §2 NumericDate as a float; None unless a finite JSON number in range (knob `numericDates`)."""
    return numeric_date(value, strict=knobs.numericDates == "calendar")


def _not_a_number(name: str, value: Any) -> Check:
    if isinstance(value, int | float) and not isinstance(value, bool) and numeric_date(value, strict=False) is not None:
        return Check(
            name,
            False,
            f"{name} {value!r:.60} is out of range (a NumericDate between 1970 and 9999)",
            f"{name} is seconds since the epoch; allow any number with emulator.numericDates: any",
        )
    return Check(name, False, f"{name} {value!r:.60} is not a number", f"{name} is seconds since the epoch")


def check_exp(claims: dict[str, Any], knobs: TimeKnobs, now: float, *, verified: bool) -> Check:
    """RFC 7519 §4.1.4 with knob `leewaySeconds`; a token without exp fails unless knob `requireExp` is off."""
    exp = claims.get("exp")
    if exp is None:
        return Check(
            "exp",
            False if knobs.requireExp else None,
            "the token has no exp claim",
            "access tokens must carry exp (RFC 9068 §2.2)" if knobs.requireExp else None,
        )
    if (exp_at := _numeric_date(exp, knobs)) is None:
        return _not_a_number("exp", exp)
    leeway = knobs.leewaySeconds
    if now > exp_at + leeway:
        unverified = "" if verified else " (unverified claims)"
        return Check(
            "exp",
            False,
            f"the token expired {now - exp_at:.0f} s ago (exp {_iso(exp_at)}, leeway {leeway:g} s){unverified}",
            "get a fresh token (Cognito's default lifetime is 1 h); check the clocks",
        )
    return Check("exp", True, f"valid until {_iso(exp_at)} ({exp_at - now:.0f} s left)")


def check_nbf(claims: dict[str, Any], knobs: TimeKnobs, now: float) -> Check:
    """RFC 7519 §4.1.5 with knob `leewaySeconds`; optional."""
    nbf = claims.get("nbf")
    if nbf is None:
        return Check("nbf", None, "no nbf claim")
    if (nbf_at := _numeric_date(nbf, knobs)) is None:
        return _not_a_number("nbf", nbf)
    if now + knobs.leewaySeconds < nbf_at:
        return Check(
            "nbf",
            False,
            f"the token is not valid for another {nbf_at - now:.0f} s (nbf {_iso(nbf_at)})",
            "the IdP clock is ahead of the gateway's; allow skew with emulator.leewaySeconds",
        )
    return Check("nbf", True, f"valid since {_iso(nbf_at)}")


def check_iat(claims: dict[str, Any], knobs: TimeKnobs, now: float) -> Check:
    """Knob `rejectFutureIat` (AWS API Gateway JWT authorizer analogy; AgentCore UNKNOWN): iat <= now + leeway."""
    iat = claims.get("iat")
    if not knobs.rejectFutureIat:
        return Check("iat", None, "not checked (emulator.rejectFutureIat is off)")
    if iat is None:
        return Check("iat", None, "no iat claim")
    if (issued := _numeric_date(iat, knobs)) is None:
        return _not_a_number("iat", iat)
    leeway = knobs.leewaySeconds
    if issued > now + leeway:
        return Check(
            "iat",
            False,
            f"iat {_iso(issued)} is {issued - now:.0f} s in the future (leeway {leeway:g} s): the issuer's clock "
            "is ahead of the gateway's",
            "synchronise the IdP's clock (NTP); Auth0 tokens carry no nbf, so a skewed iat is what fails",
        )
    return Check("iat", True, f"issued at {_iso(issued)}")


# --- iss (RFC 9068 §4: "MUST exactly match"; sheet §3)


def check_iss(claims: dict[str, Any], keys: Keys, *, label: str = "the discovery issuer") -> Check:
    """`iss` equals the discovery document's `issuer` (`label` names where it comes from), byte for byte."""
    iss = claims.get("iss")
    if keys.discovery is None:
        return Check("iss", None, "not evaluated: no discovery document")
    expected = keys.discovery["issuer"]
    if iss == expected:
        return Check("iss", True, f"iss equals {label} {expected!r}")
    reason = f"iss {iss!r} is not {label} {expected!r} (exact string compare)"
    return Check("iss", False, reason, _iss_fix(str(iss or ""), str(expected)))


def _iss_fix(iss: str, expected: str) -> str:
    """The IdP trap behind an issuer mismatch (U5, U6, U23)."""
    if iss.rstrip("/") == expected.rstrip("/"):
        return "they differ only by a trailing slash (Auth0 issuers end with '/'): fix discoveryUrl or the IdP issuer"
    if "sts.windows.net" in expected and "login.microsoftonline.com" in iss:
        return "Entra: the v2.0 token does not match the v1.0 discovery document; put /v2.0/ in discoveryUrl (U5)"
    if "sts.windows.net" in iss and "login.microsoftonline.com" in expected:
        return "Entra: a v1.0 token; set requestedAccessTokenVersion: 2 in the app manifest (U5)"
    if "/oauth2/" in iss and "/oauth2/" not in expected:
        return "Okta: discoveryUrl points at the org authorization server; use https://<domain>/oauth2/<AS_ID>/.well-known/openid-configuration (U6)"
    if "cognito-idp" in iss and "cognito-idp" in expected:
        return "a token from another Cognito user pool: the gateway trusts only the pool behind discoveryUrl (U23)"
    if not iss:
        return "the token carries no iss claim"
    return f"use a token from {expected}, or point discoveryUrl at {iss.rstrip('/')}/.well-known/openid-configuration"


# --- aud / allowedAudience (RFC 7519 §4.1.3; DOC inbound-jwt-authorizer)


def check_aud(
    claims: dict[str, Any], jwt: JwtConfig, knobs: Emulator | None = None, *, setting: str = "allowedAudience"
) -> Check:
    """One value of `aud` (a string or an array of strings; knob `audienceMembers`) is in allowedAudience
    (`setting` names the config key); exact compare. Not run when unset."""
    if jwt.audiences is None or jwt.authenticate_only:
        return Check("aud", None, f"{setting} not configured")
    aud = claims.get("aud")
    strict = knobs is None or knobs.audienceMembers == "strings"
    values = audience_values(aud, strict=strict)
    allowed = list(jwt.audiences)
    if values is not None and any(v in allowed for v in values):
        return Check("aud", True, f"aud {aud!r} matches {setting} {allowed}")
    if aud is None:
        fix = (
            "Cognito access tokens carry no aud (they carry client_id): use allowedClients instead (U1)"
            if "client_id" in claims
            else f"request the token for an audience in {setting}"
        )
        return Check("aud", False, f"the token has no aud claim; {setting} is {allowed}", fix)
    if values is None and isinstance(aud, list):
        return Check(
            "aud",
            False,
            f"aud {aud!r:.200} is not an array of strings (RFC 7519 §4.1.3)",
            "every aud member must be a string; allow others with emulator.audienceMembers: any",
        )
    return Check("aud", False, f"aud {aud!r} not in {setting} {allowed}", _aud_fix(values or [], allowed, setting))


def _aud_fix(values: list[str], allowed: list[str], setting: str = "allowedAudience") -> str:
    """The IdP trap behind an audience mismatch: trailing slash, Entra v1/v2 GUID vs api:// (U4)."""
    fix = (
        f"request a token for one of {allowed} (Auth0: `audience`; Okta: the AS audiences), or allow {values[0]!r}"
        if values
        else "aud must be a string or an array of strings (RFC 7519 §4.1.3)"
    )
    for v in values:
        for a in allowed:
            if v != a and v.rstrip("/") == a.rstrip("/"):
                fix = (
                    f"aud {v!r} and {setting} {a!r} differ only by a trailing slash: the comparison "
                    f"is exact; use the string the IdP puts in aud (the API identifier) in {setting}"
                )
            elif a == f"api://{v}":
                fix = f"Entra v2 tokens carry the bare application GUID in aud: put {v!r} in allowedAudience (U4)"
            elif v == f"api://{a}":
                fix = f"this is an Entra v1 token (aud {v!r}); allow it or switch the app to v2 tokens"
    return fix


# --- client_id / allowedClients (RFC 9068 §2.2; DOC inbound-jwt-authorizer: "validate against the client_id claim")


def check_client_id(claims: dict[str, Any], jwt: JwtConfig) -> Check:
    """`client_id` is in allowedClients. Only `client_id` counts: Auth0 `azp`, Okta `cid`, Entra `appid` do not (U2)."""
    if jwt.clients is None:
        return Check("client_id", None, "allowedClients not configured")
    allowed = list(jwt.clients)
    client = claims.get("client_id")
    if client in allowed:
        return Check("client_id", True, f"client_id {client!r} in allowedClients")
    if client is None:
        other = {k: claims[k] for k in ("azp", "cid", "appid") if k in claims}
        return Check(
            "client_id",
            False,
            f"the token has no client_id claim{f' (it has {other})' if other else ''}; allowedClients is {allowed}",
            _client_id_fix(claims),
        )
    return Check(
        "client_id",
        False,
        f"client_id {client!r} not in allowedClients {allowed}",
        f"add {client!r} to allowedClients or get the token with an allowed client",
    )


def _client_id_fix(claims: dict[str, Any]) -> str:
    """Which vendor claim the token carries instead of client_id."""
    if "azp" in claims:
        return (
            "Auth0 tokens carry `azp`, not `client_id`: drop allowedClients (use allowedAudience) or switch "
            "the API to an rfc9068_profile dialect, which adds client_id"
        )
    if "cid" in claims:
        return "Okta tokens carry `cid`, not `client_id`: drop allowedClients and use allowedAudience (U2)"
    if "appid" in claims:
        return "Entra v1 tokens carry `appid`, not `client_id`: use allowedAudience instead"
    return "the gateway reads only the client_id claim; use allowedAudience or customClaims instead"


# --- customClaims (DOC inbound-jwt-authorizer, gateway-create-api; sheet §2.2)


def _custom_name(index: int, rule: ClaimRule) -> str:
    return f"customClaims[{index}]:{rule.claim}"


def check_custom_claim(index: int, rule: ClaimRule, claims: dict[str, Any], authenticate_only: bool) -> Check:
    """One customClaims rule: STRING EQUALS, or STRING_ARRAY CONTAINS / CONTAINS_ANY; absent or mistyped fails."""
    name = _custom_name(index, rule)
    if authenticate_only:
        return Check(name, None, "AUTHENTICATE_ONLY does not enforce claims")
    value = claims.get(rule.claim)
    if value is None:
        want = rule.value if rule.value is not None else list(rule.values or ())
        return Check(
            name,
            False,
            f"the token has no {rule.claim!r} claim (rule: {rule.operator} {want!r})",
            f"the IdP must add a {rule.claim!r} claim to access tokens",
        )
    if rule.value_type == "STRING":
        return _string_rule(name, rule, value)
    return _string_array_rule(name, rule, value)


def _string_rule(name: str, rule: ClaimRule, value: Any) -> Check:
    if not isinstance(value, str):
        return Check(
            name,
            False,
            f"claim {rule.claim!r} is {type(value).__name__} {value!r}, rule expects STRING",
            "use inboundTokenClaimValueType STRING_ARRAY with CONTAINS for array claims",
        )
    ok = value == rule.value
    return Check(
        name,
        ok,
        f"claim {rule.claim!r} is {value!r}; rule EQUALS {rule.value!r}",
        None if ok else f"the token needs {rule.claim}={rule.value!r}",
    )


def _string_array_rule(name: str, rule: ClaimRule, value: Any) -> Check:
    if not isinstance(value, list):
        return Check(
            name,
            False,
            f"claim {rule.claim!r} is {type(value).__name__} {value!r}, rule expects STRING_ARRAY",
            "use inboundTokenClaimValueType STRING with EQUALS for string claims",
        )
    items = [str(v) for v in value]
    if rule.operator == "CONTAINS":
        ok = rule.value in items
        text = f"claim {rule.claim!r} is {items}; rule CONTAINS {rule.value!r}"
    else:
        ok = any(v in items for v in rule.values or ())
        text = f"claim {rule.claim!r} is {items}; rule CONTAINS_ANY {list(rule.values or ())}"
    want = rule.value if rule.value is not None else list(rule.values or ())
    return Check(name, ok, text, None if ok else f"the token's {rule.claim!r} must include {want!r}")


# --- scope / allowedScopes (RFC 9068 §2.2.3; sheet §3: `scope` or `scp`, string or array)


def scopes_of(claims: dict[str, Any], knobs: Emulator | None = None) -> list[str]:
    """Scopes from `scope` and `scp`, each a space-delimited string or an array (sheet §3: accept both); knob
    `scopeSeparator` says what separates them (strict: single spaces, RFC 6749 §3.3)."""
    return _scopes(claims, knobs)[0]


def _scopes(claims: dict[str, Any], knobs: Emulator | None) -> tuple[list[str], list[str]]:
    strict = knobs is None or knobs.scopeSeparator == "space"
    found: list[str] = []
    refused: list[str] = []
    for name in ("scope", "scp"):
        items, bad = scope_tokens(claims.get(name), strict=strict)
        found.extend(i for i in items if i not in found)
        refused.extend(bad)
    return found, refused


def check_scope(claims: dict[str, Any], jwt: JwtConfig, knobs: Emulator | None = None) -> Check:
    """Any scope of the token is in allowedScopes (a failure alone is the 403 insufficient_scope)."""
    if jwt.scopes is None or jwt.authenticate_only:
        return Check("scope", None, "allowedScopes not configured")
    allowed = list(jwt.scopes)
    have, refused = _scopes(claims, knobs)
    if any(s in allowed for s in have):
        return Check("scope", True, f"scopes {have} include one of allowedScopes {allowed}")
    if refused:
        return Check(
            "scope",
            False,
            f"scopes {have} share none with allowedScopes {allowed}; not scope-tokens: {refused!r:.200} "
            "(RFC 6749 §3.3: NQCHARs separated by single spaces)",
            "separate scopes with single spaces; read any whitespace with emulator.scopeSeparator: whitespace",
        )
    if not have:
        return Check(
            "scope",
            False,
            f"the token has no scope/scp claim; allowedScopes is {allowed}",
            f"request scope {allowed[0]!r} when getting the token" + _granted_to_user(claims),
        )
    return Check(
        "scope", False, f"scopes {have} share none with allowedScopes {allowed}",
        _scope_fix(have, allowed) + _granted_to_user(claims),
    )


def _granted_to_user(claims: dict[str, Any]) -> str:
    """A user's token may lack a scope its client asked for: the IdP left it out (Auth0 RBAC grants a user only the
    scopes it has permissions for), so asking again changes nothing."""
    sub = claims.get("sub")
    if not isinstance(sub, str) or sub.endswith("@clients") or claims.get("gty") == "client-credentials":
        return ""
    return "; if the client did ask for it, the IdP left it out for this user: give the user that permission"


def _scope_fix(have: list[str], allowed: list[str]) -> str:
    """Full scope URI vs short name (Entra `scp`, advertisedScopeMapping)."""
    fix = f"request scope {allowed[0]!r}"
    for s in have:
        for a in allowed:
            if s.endswith("/" + a):
                fix = f"the token carries the full scope {s!r}; allowedScopes needs the short name as in scp"
            elif a.endswith("/" + s):
                fix = (
                    f"Entra `scp` holds the short name {s!r}: put it in allowedScopes and advertise "
                    f"{a!r} with advertisedScopeMapping"
                )
    return fix
