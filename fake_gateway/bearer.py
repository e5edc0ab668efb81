"""How the token arrives: `Authorization: Bearer <token>` (RFC 6750 §2.1; DOC gateway-inbound-auth).

The first step of the CUSTOM_JWT authorizer. A missing header, a SigV4 signature (sheet U3), another scheme,
or more than one credential fail here, and no later check runs.
"""

from __future__ import annotations

import re
from typing import NamedTuple

from fake_gateway.verdict import Check

__all__ = ["NO_HEADER", "BearerToken", "check_header"]

_WHITESPACE = re.compile(r"\s")  # for str patterns, exactly what str.isspace() calls whitespace

NO_HEADER = "no Authorization header"


class BearerToken(NamedTuple):
    """The `header` check and the token it found; `token` is None when the later checks cannot run (`why_not`)."""

    check: Check
    token: str | None
    why_not: str = ""


def _refused(reason: str, fix: str, why_not: str) -> BearerToken:
    return BearerToken(Check("header", False, reason, fix), None, why_not)


def check_header(authorization: str | None) -> BearerToken:
    """The bearer token of one `Authorization` header value, or why there is none."""
    if not authorization:
        return _refused(
            NO_HEADER,
            "send `Authorization: Bearer <access token>` from the IdP behind discoveryUrl",
            "no token",
        )
    scheme, _, token = authorization.strip().partition(" ")
    token = token.strip()
    if scheme.upper().startswith("AWS4-HMAC-SHA256"):
        return _refused(
            "the Authorization header is a SigV4 signature (AWS4-HMAC-SHA256); this gateway's authorizerType "
            "is CUSTOM_JWT",
            "send a Bearer JWT, or call the gateway whose authorizerType is AWS_IAM (sheet U3)",
            "no bearer token",
        )
    if scheme.lower() != "bearer" or not token:
        return _refused(
            f"Authorization scheme is {scheme[:20]!r}, not 'Bearer <token>'",
            "send `Authorization: Bearer <access token>`",
            "no bearer token",
        )
    if "," in token or _WHITESPACE.search(token):
        # RFC 6750 §2.1: credentials = "Bearer" 1*SP b64token; a comma is what joining repeated headers gives
        # (RFC 9110 §5.3), and Authorization is not a list: one request, one credential.
        reason = (
            "the Authorization header carries more than one credential (repeated Authorization headers, or a "
            "comma-separated list)"
            if "," in token
            else "the bearer token contains whitespace: the header must be exactly `Bearer <token>`"
        )
        return _refused(
            reason, "send exactly one `Authorization: Bearer <token>` header", "no single bearer token"
        )
    return BearerToken(Check("header", True, "Authorization: Bearer <token> present"), token)
