"""mcpAuthentication's token checks, as agentgateway's `Jwt::validate_claims` runs them (sheet §3.1, §3.2).

One verification core for both gateway dialects: the JWS is parsed and verified by `fake_gateway.signature`
(`check_parse`, `check_signature`), the claims by `fake_gateway.claims` (`check_exp`, `check_iss`, `check_aud`);
what differs here is agentgateway's wire behaviour [AG:src/http/jwt.rs#L351-L460, L548-L647; JWT10]:
- the credential is `Authorization: Bearer <token>`, prefix matched ASCII-case-insensitively;
- a `kid` is required, looked up across the configured keys; an unknown kid never triggers a refetch;
- only RSA, EC and OKP/Ed25519 keys, each with its JWK `alg` or its family's algorithms (RSA: RS*/PS*, EC:
  ES256/ES384, OKP: EdDSA); a key without `kid` or of another type makes the JWKS unusable (a config error there);
- `exp` required, 60 s leeway; `nbf`/`iat` unchecked; `iss` exact; `aud` any match, unchecked when `audiences` is
  empty. Each failure is reported with agentgateway's TokenError text (`the token is invalid or malformed:
  Error(InvalidIssuer)`, ...), which only era A ever sends (its 403 body); later eras send the one 401.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from joserfc.errors import JoseError
from joserfc.jwk import Key, KeySet, KeySetSerialization

from authstage_kit.jwks import Keys
from fake_gateway.agentgateway.config import Authn
from fake_gateway.agentgateway.errors import TOKEN_ERRORS
from fake_gateway.claims import check_aud, check_exp, check_iss
from fake_gateway.settings import JwtConfig
from fake_gateway.signature import check_parse, check_signature
from fake_gateway.verdict import Check, skipped

__all__ = ["JwtKnobs", "TokenResult", "derived_jwks_url", "load_keys", "local_jwks", "validate_token"]

FAMILY_ALGS = {
    "RSA": ["RS256", "RS384", "RS512", "PS256", "PS384", "PS512"],
    "EC": ["ES256", "ES384"],
    "OKP": ["EdDSA"],
}
LATER = ("kid", "alg", "signature", "exp", "iss", "aud")


@dataclass
class JwtKnobs:
    """The time knobs `claims.check_exp` reads, agentgateway's values."""

    leewaySeconds: float = 60
    requireExp: bool = True
    rejectFutureIat: bool = False
    numericDates: Literal["calendar", "any"] = "calendar"  # jsonwebtoken reads exp/nbf as u64: absurd values fail to parse (INFERRED)


@dataclass
class TokenResult:
    checks: list[Check]
    claims: dict[str, Any] | None = None  # the verified claims
    error: str | None = None  # agentgateway's TokenError text
    missing: bool = False  # no credential at all

    @property
    def ok(self) -> bool:
        return self.error is None and not self.missing


@dataclass
class KeyEntry:
    key: Key
    algorithms: list[str]


@dataclass
class KeyTable:
    keys: dict[str, KeyEntry] = field(default_factory=dict)
    error: str | None = None


def derived_jwks_url(authn: Authn) -> str:
    """`jwks` absent (v1.4+) or `url: ""`: derived from issuer and provider [AG:src/types/agent.rs#L3014-L3073]."""
    if authn.provider == "keycloak":
        return f"{authn.issuer}/protocol/openid-connect/certs"
    if authn.provider == "authentik":
        return f"{authn.issuer.rstrip('/')}/jwks/"
    return f"{authn.issuer}/.well-known/jwks.json"  # Auth0's issuer ends with '/': the URL has '//' (as upstream)


def local_jwks(authn: Authn) -> dict[str, Any] | None:
    """An inline or file JWKS (read at load time); None for a remote one."""
    kind, value = authn.jwks
    if kind == "inline":
        document: dict[str, Any] = json.loads(value)
        return document
    if kind == "file":
        loaded: dict[str, Any] = json.loads(Path(value).read_text(encoding="utf-8"))
        return loaded
    return None


def load_keys(jwks: dict[str, Any]) -> KeyTable:
    """Provider::from_jwks: every key needs a kid and a supported type [AG:src/http/jwt.rs#L351-L450]."""
    table = KeyTable()
    for raw in jwks.get("keys") or []:
        kid = raw.get("kid") if isinstance(raw, dict) else None
        if not isinstance(kid, str):
            return KeyTable(error="the key is missing the `kid` attribute")
        kty = raw.get("kty")
        if kty not in FAMILY_ALGS or (kty == "OKP" and raw.get("crv") != "Ed25519"):
            return KeyTable(error=f'the key "{kid}" uses an unsupported algorithm {kty!r} (supported: RSA, EC, OKP[Ed25519])')
        try:
            key = KeySet.import_key_set(cast(KeySetSerialization, {"keys": [raw]})).keys[0]
        except (JoseError, ValueError, TypeError) as exc:
            return KeyTable(error=f'could not construct a decoding key for "{kid}": {exc}')
        table.keys[kid] = KeyEntry(key, [raw["alg"]] if raw.get("alg") else list(FAMILY_ALGS[kty]))
    return table


def _bearer(authorization: str | None) -> tuple[Check, str | None]:
    if authorization is None or authorization[:7].lower() != "bearer ":
        why = "no Authorization header" if authorization is None else "the Authorization header is not `Bearer <token>`"
        return Check("header", False, f"{TOKEN_ERRORS['missing']}: {why}", "send `Authorization: Bearer <jwt>`"), None
    return Check("header", True, "Authorization: Bearer <token>"), authorization[7:]


def _invalid(kind: str) -> str:
    return TOKEN_ERRORS["invalid"].format(kind=kind)


def validate_token(authorization: str | None, authn: Authn, keys: Keys, knobs: JwtKnobs, now: float) -> TokenResult:
    """Every check on one request's credential, in agentgateway's order, and the TokenError it ends with."""
    header_check, token = _bearer(authorization)
    if token is None:
        return TokenResult([header_check, *skipped(("parse", *LATER), "no token")], missing=True)
    parsed = check_parse(token)
    if parsed.header is None or parsed.claims is None:
        error = TOKEN_ERRORS["header"].format(detail="Error(InvalidToken)")
        return TokenResult([header_check, parsed.check, *skipped(LATER, "token does not parse")], error=error)
    checks = [header_check, parsed.check]
    kid = parsed.header.get("kid")
    table = load_keys(keys.jwks) if keys.jwks is not None else KeyTable(error=keys.error or "no JWKS")
    entry = table.keys.get(kid) if isinstance(kid, str) else None
    if table.error or entry is None:
        error = (TOKEN_ERRORS["kid"] if kid is None and not table.error
                 else TOKEN_ERRORS["unknown_kid"].format(kid=kid) if not table.error else f"JWKS unusable: {table.error}")
        fix = ("every JWKS key needs a `kid`, and RSA/EC/Ed25519 only" if table.error
               else "sign with a `kid` that names a key of the configured JWKS (agentgateway never refetches on an unknown kid)")
        checks.append(Check("kid", False, error, fix))
        return TokenResult([*checks, *skipped(LATER[1:], "no key")], error=error)
    checks.append(Check("kid", True, f"kid {kid!r} is a configured key"))
    alg = parsed.header.get("alg")
    alg_check = Check("alg", alg in entry.algorithms, f"alg {alg!r}; the key allows {entry.algorithms}")
    checks.append(alg_check)
    if not alg_check.passed:
        return TokenResult([*checks, *skipped(LATER[2:], "algorithm")], error=_invalid("InvalidAlgorithm"))
    signature = check_signature(token, parsed.header, entry.key, alg_check)
    checks.append(signature)
    if not signature.passed:
        return TokenResult([*checks, *skipped(LATER[3:], "signature")], error=_invalid("InvalidSignature"))
    return _claims(parsed.claims, authn, knobs, now, checks)


def _claims(claims: dict[str, Any], authn: Authn, knobs: JwtKnobs, now: float, checks: list[Check]) -> TokenResult:
    """jsonwebtoken's `validate`: required claims, then exp (leeway), iss, aud [JWT10 validation.rs#L258-L357]."""
    audiences = JwtConfig("", authn.audiences or None, None, None, {}, ())
    exp = check_exp(claims, knobs, now, verified=True)
    iss = check_iss(claims, Keys({"issuer": authn.issuer}, None, None), label="the configured issuer")
    aud = check_aud(claims, audiences, setting="audiences")
    if iss.passed is False and iss.reason.startswith("iss ") and claims.get("iss", "").rstrip("/") == authn.issuer.rstrip("/"):
        iss.fix = f"agentgateway compares iss exactly: set `issuer: {claims['iss']}` (Auth0 issuers end with '/')"
    checks += [exp, iss, aud]
    required = [("exp", exp), ("iss", iss)] + ([("aud", aud)] if authn.audiences else [])
    for name, _ in required:
        if name not in claims:
            return TokenResult(checks, error=_invalid(f'MissingRequiredClaim("{name}")'))
    for kind, check in (("ExpiredSignature", exp), ("InvalidIssuer", iss), ("InvalidAudience", aud)):
        if check.passed is False:
            return TokenResult(checks, error=_invalid(kind))
    return TokenResult(checks, claims=claims)
