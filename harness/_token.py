"""Reading a compact token without verifying it: RFC 7515 §7.1 (JWS, three parts) and RFC 7516 §7.1 (JWE, five).

`authstage decode` prints what this returns, and the scenario replay matches a token step's `claims`,
`token_header` and `token_kind` against it. Nothing here checks a signature: that is the verifiers' job.
"""

from __future__ import annotations

from typing import Any

from authstage_kit.redact import decode_unverified

__all__ = ["decode_token"]


def decode_token(token: str) -> dict[str, Any]:
    """Header and claims of a JWT, unverified (the kernel's reading); JWE tokens give their header only, anything
    else is `opaque`. A leading `Bearer ` is dropped, as users paste whole headers."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    decoded = decode_unverified(token)
    if decoded is None:
        return {"kind": "opaque", "header": None, "claims": None}
    kind = "JWE" if decoded.get("encrypted") else "JWS"
    return {"kind": kind, "header": decoded["header"], "claims": decoded["claims"]}
