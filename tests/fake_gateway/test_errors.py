"""Each gateway error owns its answer (fake_gateway/errors.py): status, headers, body, media type and log reason."""

from __future__ import annotations

import json

from fake_gateway.authorizer import decide
from fake_gateway.errors import (
    BearerChallenge,
    InsufficientScopeError,
    InvalidTokenError,
    JsonRpcHttpError,
    MissingAuthenticationToken,
    UnknownOperation,
)
from fake_gateway.settings import Emulator
from fake_gateway.verdict import Check, Verdict

PRM = "https://gw.example/.well-known/oauth-protected-resource"


def test_bearer_challenge_in_the_observed_parameter_order() -> None:
    challenge = BearerChallenge(PRM, ("read", "write"))
    assert challenge.header("invalid_token") == (
        f'Bearer error="invalid_token", scope="read write", resource_metadata="{PRM}"'
    )
    assert BearerChallenge(PRM).header("insufficient_scope") == (
        f'Bearer error="insufficient_scope", resource_metadata="{PRM}"'
    )
    assert BearerChallenge(PRM, ("read",), legacy=True).header("invalid_token") == (
        f'Bearer resource_metadata="{PRM}"'
    )


def test_auth_errors_own_status_challenge_and_body() -> None:
    challenge = BearerChallenge(PRM, ("read",))
    invalid = InvalidTokenError("no Authorization header", challenge=challenge)
    assert (invalid.status, invalid.reason) == (401, "no Authorization header")
    assert invalid.headers == {"WWW-Authenticate": challenge.header("invalid_token")}
    assert invalid.content() == b'{"jsonrpc":"2.0","error":{"code":-32001,"message":"Invalid Bearer token"}}'
    scope = InsufficientScopeError(
        "no scope", message="Insufficient scope", challenge=challenge, id_form="null"
    )
    assert scope.status == 403
    assert 'error="insufficient_scope"' in scope.headers["WWW-Authenticate"]
    assert json.loads(scope.content()) == {
        "jsonrpc": "2.0",
        "id": None,
        "error": {"code": -32001, "message": "Insufficient scope"},
    }
    iam = MissingAuthenticationToken("no SigV4", id_form="string-null")
    assert (iam.status, iam.headers) == (401, {})
    assert json.loads(iam.content())["id"] == "null"
    assert json.loads(iam.content())["error"]["message"] == "Missing Authentication Token"


def test_json_rpc_and_unknown_operation_errors() -> None:
    error = JsonRpcHttpError.of(405, (-32600, "Method Not Allowed"), reason="GET /mcp")
    error.allow = "POST"
    assert (error.status, error.headers, error.reason) == (405, {"Allow": "POST"}, "GET /mcp")
    assert json.loads(error.content())["error"] == {"code": -32600, "message": "Method Not Allowed"}
    post = UnknownOperation("POST", "/register")
    assert (post.status, post.media_type) == (404, "application/json")
    assert post.content() == b'{"Output":{"__type":"com.amazon.coral.service#UnknownOperationException"}}'
    assert UnknownOperation("GET", "/x").content() == b"<UnknownOperationException/>"
    assert UnknownOperation("HEAD", "/x").content() == b""
    assert UnknownOperation("GET", "/x").reason.startswith("GET /x: not an AgentCore gateway operation")


def verdict(*failed: str) -> Verdict:
    names = ["header", "parse", "alg", "kid", "signature", "exp", "iss", "aud", "customClaims[0]:g", "scope"]
    return Verdict([Check(n, n not in failed, f"{n} failed") for n in names])


def test_decide_picks_the_error_the_sheet_reports() -> None:
    knobs = Emulator()
    assert decide(verdict(), knobs) is None
    missing = decide(
        Verdict([Check("header", False, "no Authorization header")]),
        Emulator(missingTokenMessage="Missing Bearer token"),
    )
    assert isinstance(missing, InvalidTokenError) and missing.message == "Missing Bearer token"
    assert isinstance(decide(verdict("aud", "scope"), knobs), InvalidTokenError)
    scope = decide(verdict("scope"), knobs)
    assert isinstance(scope, InsufficientScopeError) and scope.reason == "scope failed"
    issuer = decide(verdict("iss", "aud"), knobs)  # issuerMismatchStatus: REPORTED 403
    assert isinstance(issuer, InsufficientScopeError) and issuer.reason == "iss failed"
    assert isinstance(decide(verdict("iss"), Emulator(issuerMismatchStatus=401)), InvalidTokenError)
    assert isinstance(decide(verdict("customClaims[0]:g"), knobs), InvalidTokenError)
    custom = decide(verdict("customClaims[0]:g"), Emulator(customClaimsFailureStatus=403))
    assert isinstance(custom, InsufficientScopeError)
    challenge = BearerChallenge(PRM)
    with_header = decide(verdict("exp"), knobs, challenge)
    assert with_header is not None and with_header.headers["WWW-Authenticate"].startswith(
        'Bearer error="invalid_token"'
    )
    without = decide(verdict("exp"), knobs)  # explain_token: no challenge
    assert without is not None and without.headers == {}
