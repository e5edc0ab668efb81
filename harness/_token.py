"""Reading a compact token without verifying it: RFC 7515 §7.1 (JWS, three parts) and RFC 7516 §7.1 (JWE, five).

`authstage decode` prints what this returns, and the scenario replay matches a token step's `claims`,
`token_header` and `token_kind` against it. Nothing here checks a signature: that is the verifiers' job.
"""

from __future__ import annotations

import base64
import json
from typing import Any

__all__ = ["decode_token"]


def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def decode_token(token: str) -> dict[str, Any]:
    """Header and claims of a JWT, unverified; JWE-shaped (opaque) tokens give their header only."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    parts = token.split(".")
    try:
        if len(parts) == 3:
            return {"kind": "JWS", "header": _b64json(parts[0]), "claims": _b64json(parts[1])}
        if len(parts) == 5:
            return {"kind": "JWE", "header": _b64json(parts[0]), "claims": None}
    except (ValueError, UnicodeDecodeError):
        pass
    return {"kind": "opaque", "header": None, "claims": None}
