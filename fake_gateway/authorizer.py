"""AgentCore's inbound authorizers (DOC inbound-jwt-authorizer, gateway-inbound-auth; RFC 6750 §3).

CUSTOM_JWT: one decision path, used by the HTTP endpoint and by `explain_token`. `evaluate_jwt` runs every
check and reports it (`Check`: passed / reason / fix) in this order: the header (`bearer.py`), the JWS
(`signature.py`: parse, alg, kid, signature), the claims (`claims.py`: exp, nbf, iat, iss, aud, client_id,
customClaims, scope). `decide` turns the checks into the error the client sees (sheet §3/§4; `errors.py`
owns its status, challenge and body): no/odd header, bad token, aud, client_id, customClaims -> 401
invalid_token; no allowed scope -> 403 insufficient_scope; issuer (or foreign-key) mismatch -> knob
`issuerMismatchStatus` (REPORTED 403). AWS_IAM: `sigv4_principal` checks the SigV4 shape only.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass, field
from typing import Any

from authstage_kit.jwks import Keys, fetch_keys_sync
from fake_gateway.bearer import NO_HEADER, check_header
from fake_gateway.claims import check_claims, claim_names
from fake_gateway.errors import (
    INVALID_BEARER_TOKEN,
    AuthError,
    BearerChallenge,
    InsufficientScopeError,
    InvalidTokenError,
    MissingAuthenticationToken,
)
from fake_gateway.settings import Emulator, Gateway, JwtConfig
from fake_gateway.signature import SIGNATURE_CHECKS, check_alg, check_kid, check_parse, check_signature
from fake_gateway.verdict import Check, Verdict, skipped

__all__ = ["Principal", "decide", "evaluate_jwt", "explain_token", "sigv4_principal"]

SIGV4 = re.compile(
    r"^AWS4-HMAC-SHA256\s+Credential=(?P<akid>[A-Z0-9]+)/(?P<date>\d{8})/(?P<region>[a-z0-9-]+)/(?P<service>[a-z0-9-]+)"
    r"/aws4_request,\s*SignedHeaders=(?P<headers>[a-z0-9;-]+),\s*Signature=(?P<sig>[0-9a-f]{64})$"
)


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


def evaluate_jwt(
    authorization: str | None, jwt: JwtConfig, knobs: Emulator, keys: Keys, now: float
) -> Verdict:
    """Run every check of a CUSTOM_JWT authorizer on one `Authorization` header value."""
    later = [*SIGNATURE_CHECKS, *claim_names(jwt)]
    bearer = check_header(authorization)
    if bearer.token is None:
        return Verdict([bearer.check, *skipped(later, bearer.why_not)])
    parsed = check_parse(bearer.token)
    if parsed.header is None or parsed.claims is None:
        return Verdict([bearer.check, parsed.check, *skipped(later[1:], "token does not parse")])
    alg = check_alg(parsed.header, knobs)
    kid, key = check_kid(parsed.header, keys, jwt.discovery_url, knobs)
    signature = check_signature(bearer.token, parsed.header, key, alg, knobs)
    claims = check_claims(parsed.claims, jwt, keys, knobs, now, verified=signature.passed is True)
    return Verdict(
        [bearer.check, parsed.check, alg, kid, signature, *claims],
        claims=parsed.claims,
        header=parsed.header,
        token=bearer.token,
    )


def decide(verdict: Verdict, knobs: Emulator, challenge: BearerChallenge | None = None) -> AuthError | None:
    """The error the client sees for a set of checks, or None to let it in (sheet §3 'Proposed decision order', §4).

    `challenge`: the `WWW-Authenticate` parameters of this gateway (None: no header, as in `explain_token`).
    """
    failed = verdict.failed()
    if not failed:
        return None
    by_name = {c.name: c for c in failed}

    def refuse(status: int, check: Check) -> AuthError:
        error: AuthError
        if status == 403:
            error = InsufficientScopeError(
                check.reason, message=knobs.insufficientScopeMessage, challenge=challenge, id_form=knobs.errorId
            )
        else:
            error = InvalidTokenError(check.reason, challenge=challenge, id_form=knobs.errorId)
        error.fix = check.fix
        return error

    if header := by_name.get("header"):
        message = knobs.missingTokenMessage if header.reason == NO_HEADER else INVALID_BEARER_TOKEN
        return InvalidTokenError(header.reason, message=message, challenge=challenge, id_form=knobs.errorId)
    if parse := by_name.get("parse"):
        return refuse(401, parse)
    if iss := by_name.get("iss"):
        return refuse(knobs.issuerMismatchStatus, iss)
    token_fail = [c for c in failed if c.name != "scope"]
    if token_fail:
        claim_only = all(c.name.startswith("customClaims[") for c in token_fail)
        return refuse(knobs.customClaimsFailureStatus if claim_only else 401, token_fail[0])
    return refuse(403, failed[0])


def sigv4_principal(authorization: str | None, knobs: Emulator) -> Principal:
    """AWS_IAM: the request must carry a SigV4 Authorization for service bedrock-agentcore (shape only)."""
    if not authorization:
        reason = "no Authorization header (AWS_IAM gateways need a SigV4-signed request)"
    elif (match := SIGV4.match(authorization.strip())) is None:
        reason = "the Authorization header is not a SigV4 (AWS4-HMAC-SHA256 Credential=...) signature"
    elif match["service"] != "bedrock-agentcore":
        reason = f"SigV4 service is {match['service']!r}; sign for 'bedrock-agentcore'"
    else:
        return Principal("iam", knobs.iamPrincipalArn, {"akid": match["akid"], "region": match["region"]})
    raise MissingAuthenticationToken(reason, id_form=knobs.errorId)


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
    error = decide(verdict, gateway.emulator)
    if error is None:
        return [*verdict.checks, Check("decision", True, "allowed")]
    outcome = f"HTTP {error.status} error={error.error}: {error.reason}"
    return [*verdict.checks, Check("decision", False, outcome)]
