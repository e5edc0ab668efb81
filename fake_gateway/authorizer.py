"""AgentCore's inbound CUSTOM_JWT authorizer (DOC inbound-jwt-authorizer, gateway-inbound-auth; RFC 6750 §3).

One decision path, used by the HTTP endpoint and by `explain_token`: every check runs and is reported
(`Check`: passed / reason / fix); `decide` turns the checks into the observable answer of sheet §3/§4:
no/odd header, bad token, aud, client_id, customClaims -> 401 invalid_token; no allowed scope -> 403
insufficient_scope; issuer (or foreign-key) mismatch -> knob `issuerMismatchStatus` (REPORTED 403).
Configured checks are ANDed: `aud` (string or array) in allowedAudience; `client_id` in allowedClients (no
`azp`/`cid` fallback, the real trap); any scope of `scope` or `scp` (string or array) in allowedScopes; every
customClaims rule.
"""

from __future__ import annotations

import json
import math
import re
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet

from authstage_kit.jwks import Keys, fetch_keys_sync
from fake_gateway.errors import (
    ERROR_INSUFFICIENT_SCOPE,
    ERROR_INVALID_TOKEN,
    INVALID_BEARER_TOKEN,
    PRM_PATH,
    AuthError,
    bearer_challenge,
)
from fake_gateway.settings import Emulator, Gateway, JwtConfig

__all__ = [
    "Check",
    "Principal",
    "Verdict",
    "decide",
    "evaluate_jwt",
    "explain_token",
    "scopes_of",
    "sigv4_principal",
]

SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)
# Checks that make the token untrustworthy as a whole; the rest are the configured claim checks.
TOKEN_CHECKS = ("header", "parse", "alg", "kid", "signature", "exp", "nbf", "iat")


@dataclass
class Check:
    """One authorizer check. `passed` is None when it did not run (not configured, or an earlier step failed)."""

    name: str
    passed: bool | None
    reason: str
    fix: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class Principal:
    kind: str  # jwt | iam | anonymous
    subject: str | None = None
    claims: dict[str, Any] = field(default_factory=dict)
    token: str | None = None

    @property
    def session_owner(self) -> str | None:
        """DOC gateway-sessions: OAuth `sub`, or the IAM principal ARN; no binding without auth."""
        return self.subject if self.kind != "anonymous" else None


@dataclass
class Verdict:
    checks: list[Check]
    claims: dict[str, Any] | None = None
    header: dict[str, Any] | None = None
    token: str | None = None

    def failed(self) -> list[Check]:
        return [c for c in self.checks if c.passed is False]

    def check(self, name: str) -> Check | None:
        return next((c for c in self.checks if c.name == name), None)

    @property
    def unknown_kid(self) -> bool:
        kid = self.check("kid")
        return bool(kid and kid.passed is False and kid.reason.startswith("no key"))


def _iso(ts: float) -> str:
    try:
        return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    except (OverflowError, ValueError, OSError):  # beyond the calendar: say so instead of failing
        return f"{ts:.4g} (out of range)"


def _numeric_date(value: Any) -> float | None:
    """RFC 7519 §2 NumericDate as a float; None unless a finite JSON number (bools and strings are not)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:  # an integer beyond any float
        return None
    return number if math.isfinite(number) else None


def _strict_constant(name: str) -> Any:
    """json.loads hook: NaN / Infinity are not JSON (RFC 8259 §6); a strict parser refuses them."""
    raise ValueError(f"{name} is not valid JSON")


def scopes_of(claims: dict[str, Any]) -> list[str]:
    """Scopes from `scope` and `scp`, each a space-delimited string or an array (sheet §3: accept both)."""
    found: list[str] = []
    for name in ("scope", "scp"):
        value = claims.get(name)
        items = value.split() if isinstance(value, str) else value if isinstance(value, list) else []
        found.extend(str(i) for i in items if str(i) not in found)
    return found


def _skip(names: list[str], why: str) -> list[Check]:
    return [Check(n, None, f"not evaluated: {why}") for n in names]


def _later(jwt: JwtConfig) -> list[str]:
    names = ["iss", "aud", "client_id"]
    names += [f"customClaims[{i}]:{r.claim}" for i, r in enumerate(jwt.claims)]
    return [*names, "scope"]


def evaluate_jwt(
    authorization: str | None, jwt: JwtConfig, knobs: Emulator, keys: Keys, now: float
) -> Verdict:
    """Run every check of a CUSTOM_JWT authorizer on one `Authorization` header value."""
    checks: list[Check] = []
    rest = ["parse", "alg", "kid", "signature", "exp", "nbf", "iat", *_later(jwt)]
    if not authorization:
        checks.append(
            Check(
                "header",
                False,
                "no Authorization header",
                "send `Authorization: Bearer <access token>` from the IdP behind discoveryUrl",
            )
        )
        return Verdict(checks + _skip(rest, "no token"))
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.upper().startswith("AWS4-HMAC-SHA256"):
        checks.append(
            Check(
                "header",
                False,
                "the Authorization header is a SigV4 signature (AWS4-HMAC-SHA256); this "
                "gateway's authorizerType is CUSTOM_JWT",
                "send a Bearer JWT, or call the gateway whose authorizerType is AWS_IAM (sheet U3)",
            )
        )
        return Verdict(checks + _skip(rest, "no bearer token"))
    if scheme.lower() != "bearer" or not token:
        checks.append(
            Check(
                "header",
                False,
                f"Authorization scheme is {scheme[:20]!r}, not 'Bearer <token>'",
                "send `Authorization: Bearer <access token>`",
            )
        )
        return Verdict(checks + _skip(rest, "no bearer token"))
    if "," in token or any(c.isspace() for c in token):
        # RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; a comma is what joining repeated headers gives
        # (RFC 9110 §5.3), and Authorization is not a list: one request, one credential.
        reason = (
            "the Authorization header carries more than one credential (repeated Authorization headers, or a "
            "comma-separated list)"
            if "," in token
            else "the bearer token contains whitespace: the header must be exactly `Bearer <token>`"
        )
        checks.append(
            Check("header", False, reason, "send exactly one `Authorization: Bearer <token>` header")
        )
        return Verdict(checks + _skip(rest, "no single bearer token"))
    checks.append(Check("header", True, "Authorization: Bearer <token> present"))

    # parse
    parts = token.split(".")
    try:
        compact = jws.extract_compact(token.encode())
        header = dict(compact.headers())
        claims = json.loads(compact.payload, parse_constant=_strict_constant)
        if not isinstance(claims, dict):
            raise ValueError("payload is not a JSON object")
    except (JoseError, ValueError, UnicodeError, RecursionError) as exc:
        if len(parts) == 5:
            why, fix = "a JWE (5 parts, encrypted)", "the IdP must issue signed (JWS) access tokens"
        elif len(parts) != 3:
            why = "an opaque string, not a JWT"
            fix = (
                "Auth0 issues opaque access tokens when /authorize or /token gets no `audience`: request a token "
                "for your API's identifier"
            )
        else:
            why, fix = f"not a valid compact JWS ({exc})", "send the access token itself, unmodified"
        checks.append(Check("parse", False, f"the token is {why}", fix))
        return Verdict(checks + _skip(rest[1:], "token does not parse"))
    checks.append(Check("parse", True, f"compact JWS, header {header}"))
    verdict = Verdict(checks, claims=claims, header=header, token=token)

    # alg
    alg = header.get("alg")
    if alg not in knobs.algorithms:
        fix = (
            "symmetric (HS*) tokens cannot be verified with a JWKS; configure the IdP to sign with RS256"
            if str(alg).startswith("HS")
            else f"allow it with emulator.algorithms: {[*knobs.algorithms, alg]}"
            if alg and alg != "none"
            else "unsigned tokens are never accepted"
        )
        checks.append(
            Check("alg", False, f"alg {alg!r} is not in the accepted algorithms {knobs.algorithms}", fix)
        )
    else:
        checks.append(Check("alg", True, f"alg {alg} accepted"))

    # kid + signature
    key = None
    if keys.error or keys.jwks is None:
        checks.append(
            Check(
                "kid",
                False,
                f"signing keys unavailable: {keys.error}",
                f"make {jwt.discovery_url} reachable and return issuer + jwks_uri",
            )
        )
    else:
        try:
            keyset = KeySet.import_key_set(keys.jwks)
            available = [k.kid for k in keyset.keys]
        except (JoseError, ValueError, TypeError) as exc:
            keyset, available = None, []
            checks.append(
                Check("kid", False, f"the JWKS does not parse: {exc}", "serve a valid RFC 7517 JWK Set")
            )
        if keyset is not None:
            kid = header.get("kid")
            if kid is None and (knobs.requireKid or len(keyset.keys) != 1):
                checks.append(
                    Check(
                        "kid",
                        False,
                        f"no key: the token has no kid and the JWKS holds {len(available)} keys",
                        "sign tokens with a `kid` header that names a key of the JWKS",
                    )
                )
            elif kid is None:
                key = keyset.keys[0]
                checks.append(Check("kid", True, "no kid; the JWKS holds exactly one key (used)"))
            else:
                key = next((k for k in keyset.keys if k.kid == kid), None)
                if key is None:
                    checks.append(
                        Check(
                            "kid",
                            False,
                            f"no key with kid {kid!r} in the JWKS at "
                            f"{keys.discovery.get('jwks_uri') if keys.discovery else '?'} "
                            f"(kids: {available})"
                            + (
                                f"; refreshing the JWKS failed: {keys.refresh_error}"
                                if keys.refresh_error
                                else ""
                            ),
                            "the token comes from another issuer/pool or a rotated key; use a token "
                            "from the IdP behind discoveryUrl",
                        )
                    )
                else:
                    checks.append(Check("kid", True, f"kid {kid!r} found in the JWKS"))
    if key is None or alg not in knobs.algorithms:
        checks.append(Check("signature", None, "not evaluated: no usable key/algorithm"))
    else:
        try:
            jws.deserialize_compact(token, key, algorithms=[str(alg)])
            checks.append(Check("signature", True, "signature verifies"))
        except JoseError as exc:
            if exc.error in ("unsupported_header", "missing_crit_header"):
                # RFC 7515 §4.1.11: a `crit` extension the recipient does not understand makes the JWS invalid.
                checks.append(
                    Check(
                        "signature",
                        False,
                        f"the JWS header is not acceptable: `crit` {header.get('crit')!r:.80} ({exc.error})",
                        "the IdP must not mark extensions critical that verifiers do not implement",
                    )
                )
            else:
                checks.append(
                    Check(
                        "signature",
                        False,
                        f"signature does not verify ({exc.error})",
                        "the token was altered or signed by a different key with the same kid",
                    )
                )

    unverified = "" if (verdict.check("signature") or Check("", None, "")).passed else " (unverified claims)"
    leeway = knobs.leewaySeconds
    exp = claims.get("exp")
    if exp is None:
        checks.append(
            Check(
                "exp",
                False if knobs.requireExp else None,
                "the token has no exp claim",
                "access tokens must carry exp (RFC 9068 §2.2)" if knobs.requireExp else None,
            )
        )
    elif (exp_at := _numeric_date(exp)) is None:
        checks.append(
            Check("exp", False, f"exp {exp!r:.60} is not a number", "exp is seconds since the epoch")
        )
    elif now > exp_at + leeway:
        checks.append(
            Check(
                "exp",
                False,
                f"the token expired {now - exp_at:.0f} s ago (exp {_iso(exp_at)}, leeway {leeway:g} s){unverified}",
                "get a fresh token (Cognito's default lifetime is 1 h); check the clocks",
            )
        )
    else:
        checks.append(Check("exp", True, f"valid until {_iso(exp_at)} ({exp_at - now:.0f} s left)"))
    nbf = claims.get("nbf")
    if nbf is None:
        checks.append(Check("nbf", None, "no nbf claim"))
    elif (nbf_at := _numeric_date(nbf)) is None:
        checks.append(
            Check("nbf", False, f"nbf {nbf!r:.60} is not a number", "nbf is seconds since the epoch")
        )
    elif now + leeway < nbf_at:
        checks.append(
            Check(
                "nbf",
                False,
                f"the token is not valid for another {nbf_at - now:.0f} s (nbf {_iso(nbf_at)})",
                "the IdP clock is ahead of the gateway's; allow skew with emulator.leewaySeconds",
            )
        )
    else:
        checks.append(Check("nbf", True, f"valid since {_iso(nbf_at)}"))
    checks.append(_check_iat(claims.get("iat"), knobs, now))

    checks.append(_check_iss(claims, keys))
    checks.extend(_claim_checks(claims, jwt))
    return verdict


def _check_iat(iat: Any, knobs: Emulator, now: float) -> Check:
    """Knob `rejectFutureIat` (AWS API Gateway JWT authorizer analogy; AgentCore UNKNOWN): iat <= now + leeway."""
    if not knobs.rejectFutureIat:
        return Check("iat", None, "not checked (emulator.rejectFutureIat is off)")
    if iat is None:
        return Check("iat", None, "no iat claim")
    if (issued := _numeric_date(iat)) is None:
        return Check("iat", False, f"iat {iat!r:.60} is not a number", "iat is seconds since the epoch")
    iat = issued
    leeway = knobs.leewaySeconds
    if iat > now + leeway:
        return Check(
            "iat",
            False,
            f"iat {_iso(iat)} is {iat - now:.0f} s in the future (leeway {leeway:g} s): the issuer's clock is "
            "ahead of the gateway's",
            "synchronise the IdP's clock (NTP); Auth0 tokens carry no nbf, so a skewed iat is what fails",
        )
    return Check("iat", True, f"issued at {_iso(iat)}")


def _check_iss(claims: dict[str, Any], keys: Keys) -> Check:
    iss = claims.get("iss")
    if keys.discovery is None:
        return Check("iss", None, "not evaluated: no discovery document")
    expected = keys.discovery["issuer"]
    if iss == expected:
        return Check("iss", True, f"iss equals the discovery issuer {expected!r}")
    reason = f"iss {iss!r} is not the discovery issuer {expected!r} (exact string compare)"
    text, want = str(iss or ""), str(expected)
    if text.rstrip("/") == want.rstrip("/"):
        fix = "they differ only by a trailing slash (Auth0 issuers end with '/'): fix discoveryUrl or the IdP issuer"
    elif "sts.windows.net" in want and "login.microsoftonline.com" in text:
        fix = "Entra: the v2.0 token does not match the v1.0 discovery document; put /v2.0/ in discoveryUrl (U5)"
    elif "sts.windows.net" in text and "login.microsoftonline.com" in want:
        fix = "Entra: a v1.0 token; set requestedAccessTokenVersion: 2 in the app manifest (U5)"
    elif "/oauth2/" in text and "/oauth2/" not in want:
        fix = "Okta: discoveryUrl points at the org authorization server; use https://<domain>/oauth2/<AS_ID>/.well-known/openid-configuration (U6)"
    elif "cognito-idp" in text and "cognito-idp" in want:
        fix = "a token from another Cognito user pool: the gateway trusts only the pool behind discoveryUrl (U23)"
    elif not iss:
        fix = "the token carries no iss claim"
    else:
        fix = f"use a token from {want}, or point discoveryUrl at {text.rstrip('/')}/.well-known/openid-configuration"
    return Check("iss", False, reason, fix)


def _claim_checks(claims: dict[str, Any], jwt: JwtConfig) -> list[Check]:
    checks: list[Check] = []
    # aud
    if jwt.audiences is None or jwt.authenticate_only:
        checks.append(Check("aud", None, "allowedAudience not configured"))
    else:
        aud = claims.get("aud")
        values = [aud] if isinstance(aud, str) else [str(a) for a in aud] if isinstance(aud, list) else []
        allowed = list(jwt.audiences)
        if any(v in allowed for v in values):
            checks.append(Check("aud", True, f"aud {aud!r} matches allowedAudience {allowed}"))
        elif aud is None:
            fix = (
                "Cognito access tokens carry no aud (they carry client_id): use allowedClients instead (U1)"
                if "client_id" in claims
                else "request the token for an audience in allowedAudience"
            )
            checks.append(
                Check("aud", False, f"the token has no aud claim; allowedAudience is {allowed}", fix)
            )
        else:
            fix = (
                f"request a token for one of {allowed} (Auth0: `audience`; Okta: the AS audiences), or allow {values[0]!r}"
                if values
                else "aud must be a string or an array of strings (RFC 7519 §4.1.3)"
            )
            for v in values:
                for a in allowed:
                    if v != a and v.rstrip("/") == a.rstrip("/"):
                        fix = (
                            f"aud {v!r} and allowedAudience {a!r} differ only by a trailing slash: the comparison "
                            "is exact; use the string the IdP puts in aud (the API identifier) in allowedAudience"
                        )
                    elif a == f"api://{v}":
                        fix = f"Entra v2 tokens carry the bare application GUID in aud: put {v!r} in allowedAudience (U4)"
                    elif v == f"api://{a}":
                        fix = (
                            f"this is an Entra v1 token (aud {v!r}); allow it or switch the app to v2 tokens"
                        )
            checks.append(Check("aud", False, f"aud {aud!r} not in allowedAudience {allowed}", fix))
    # client_id
    if jwt.clients is None:
        checks.append(Check("client_id", None, "allowedClients not configured"))
    else:
        allowed = list(jwt.clients)
        client = claims.get("client_id")
        if client in allowed:
            checks.append(Check("client_id", True, f"client_id {client!r} in allowedClients"))
        elif client is None:
            if "azp" in claims:
                fix = (
                    "Auth0 tokens carry `azp`, not `client_id`: drop allowedClients (use allowedAudience) or switch "
                    "the API to an rfc9068_profile dialect, which adds client_id"
                )
            elif "cid" in claims:
                fix = "Okta tokens carry `cid`, not `client_id`: drop allowedClients and use allowedAudience (U2)"
            elif "appid" in claims:
                fix = "Entra v1 tokens carry `appid`, not `client_id`: use allowedAudience instead"
            else:
                fix = (
                    "the gateway reads only the client_id claim; use allowedAudience or customClaims instead"
                )
            other = {k: claims[k] for k in ("azp", "cid", "appid") if k in claims}
            checks.append(
                Check(
                    "client_id",
                    False,
                    f"the token has no client_id claim{f' (it has {other})' if other else ''};"
                    f" allowedClients is {allowed}",
                    fix,
                )
            )
        else:
            checks.append(
                Check(
                    "client_id",
                    False,
                    f"client_id {client!r} not in allowedClients {allowed}",
                    f"add {client!r} to allowedClients or get the token with an allowed client",
                )
            )
    # customClaims
    for index, rule in enumerate(jwt.claims):
        checks.append(_claim_rule(index, rule, claims, jwt.authenticate_only))
    # scope
    if jwt.scopes is None or jwt.authenticate_only:
        checks.append(Check("scope", None, "allowedScopes not configured"))
    else:
        allowed = list(jwt.scopes)
        have = scopes_of(claims)
        if any(s in allowed for s in have):
            checks.append(Check("scope", True, f"scopes {have} include one of allowedScopes {allowed}"))
        elif not have:
            checks.append(
                Check(
                    "scope",
                    False,
                    f"the token has no scope/scp claim; allowedScopes is {allowed}",
                    f"request scope {allowed[0]!r} when getting the token",
                )
            )
        else:
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
            checks.append(
                Check("scope", False, f"scopes {have} share none with allowedScopes {allowed}", fix)
            )
    return checks


def _claim_rule(index: int, rule: Any, claims: dict[str, Any], authenticate_only: bool) -> Check:
    name = f"customClaims[{index}]:{rule.claim}"
    if authenticate_only:
        return Check(name, None, "AUTHENTICATE_ONLY does not enforce claims")
    value = claims.get(rule.claim)
    want = rule.value if rule.value is not None else list(rule.values or ())
    if value is None:
        return Check(
            name,
            False,
            f"the token has no {rule.claim!r} claim (rule: {rule.operator} {want!r})",
            f"the IdP must add a {rule.claim!r} claim to access tokens",
        )
    if rule.value_type == "STRING":
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
    return Check(name, ok, text, None if ok else f"the token's {rule.claim!r} must include {want!r}")


@dataclass
class Decision:
    status: int  # 200 | 401 | 403
    error: str | None
    message: str | None
    reason: str | None


def decide(verdict: Verdict, knobs: Emulator) -> Decision:
    """The observable answer for a set of checks (sheet §3 'Proposed decision order', §4)."""
    failed = {c.name: c for c in verdict.failed()}
    if not failed:
        return Decision(200, None, None, None)
    first = next(c for c in verdict.checks if c.passed is False)
    if "header" in failed:
        message = (
            knobs.missingTokenMessage
            if failed["header"].reason == "no Authorization header"
            else INVALID_BEARER_TOKEN
        )
        return Decision(401, ERROR_INVALID_TOKEN, message, failed["header"].reason)
    if "parse" in failed:
        return Decision(401, ERROR_INVALID_TOKEN, INVALID_BEARER_TOKEN, failed["parse"].reason)
    if "iss" in failed:
        status = knobs.issuerMismatchStatus
        error = ERROR_INSUFFICIENT_SCOPE if status == 403 else ERROR_INVALID_TOKEN
        message = knobs.insufficientScopeMessage if status == 403 else INVALID_BEARER_TOKEN
        return Decision(status, error, message, failed["iss"].reason)
    token_fail = [c for c in verdict.checks if c.passed is False and c.name != "scope"]
    if token_fail:
        claim_only = all(c.name.startswith("customClaims[") for c in token_fail)
        status = knobs.customClaimsFailureStatus if claim_only else 401
        if status == 403:
            return Decision(
                403, ERROR_INSUFFICIENT_SCOPE, knobs.insufficientScopeMessage, token_fail[0].reason
            )
        return Decision(401, ERROR_INVALID_TOKEN, INVALID_BEARER_TOKEN, token_fail[0].reason)
    return Decision(403, ERROR_INSUFFICIENT_SCOPE, knobs.insufficientScopeMessage, first.reason)


def auth_error(decision: Decision, jwt: JwtConfig | None, knobs: Emulator, origin: str) -> AuthError:
    """The 401/403 the client sees (sheet §4.1/§4.2): challenge + -32001 body."""
    metadata = origin + PRM_PATH
    scopes = jwt.advertised_scopes if jwt else []
    if knobs.legacyChallenge:
        challenge = bearer_challenge(None, [], metadata)
    else:
        challenge = bearer_challenge(decision.error, scopes, metadata)
    return AuthError(
        decision.status,
        challenge,
        decision.message or INVALID_BEARER_TOKEN,
        decision.reason or "",
        knobs.errorId,
    )


def sigv4_principal(authorization: str | None, knobs: Emulator) -> tuple[Principal | None, str]:
    """AWS_IAM: the request must carry a SigV4 Authorization for service bedrock-agentcore (shape only)."""
    if not authorization:
        return None, "no Authorization header (AWS_IAM gateways need a SigV4-signed request)"
    match = SIGV4.match(authorization.strip())
    if match is None:
        return None, "the Authorization header is not a SigV4 (AWS4-HMAC-SHA256 Credential=...) signature"
    if match["service"] != "bedrock-agentcore":
        return None, f"SigV4 service is {match['service']!r}; sign for 'bedrock-agentcore'"
    return Principal("iam", knobs.iamPrincipalArn, {"akid": match["akid"], "region": match["region"]}), ""


def explain_token(
    token: str,
    gateway: Gateway,
    *,
    discovery: dict[str, Any] | None = None,
    jwks: dict[str, Any] | None = None,
    now: float | None = None,
) -> list[Check]:
    """Every authorizer check for `token` against `gateway`, with what was compared and what to change.

    Works offline when `discovery` and `jwks` are given (e.g. a pasted AWS config and the IdP's documents);
    otherwise fetches them from the gateway's discoveryUrl. `token` may be the bare JWT or `Bearer <jwt>`.
    """
    view = gateway.view
    if view.jwt is None:
        return [Check("authorizer", None, f"authorizerType {view.authorizer_type}: no JWT checks run")]
    keys = fetch_keys_sync(view.jwt.discovery_url, discovery=discovery, jwks=jwks)
    header = token if token.lower().startswith(("bearer ", "aws4-hmac-sha256")) else f"Bearer {token}"
    verdict = evaluate_jwt(header, view.jwt, gateway.emulator, keys, time.time() if now is None else now)
    decision = decide(verdict, gateway.emulator)
    outcome = (
        "allowed"
        if decision.status == 200
        else f"HTTP {decision.status} error={decision.error}: {decision.reason}"
    )
    return [*verdict.checks, Check("decision", decision.status == 200, outcome)]
