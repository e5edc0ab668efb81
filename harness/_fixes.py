"""What to change for a refusal the IdP explains only by its reason (the gateway's authorizer names its own fix).

The browser view and the pytest report show a record's `fix` when the service gave one, else the first hint here
whose pattern matches the reason. Patterns match the emulator's own reason texts (fake_idp/*, fake_gateway/*).
"""

from __future__ import annotations

import re
from typing import Any

__all__ = ["HINTS", "fix_of"]

HINTS: tuple[tuple[str, str], ...] = (
    (r"has no grant for audience|client grant", "give the client a grant for that audience (tenant "
     "`client_grants`; Auth0: APIs → Machine to Machine Applications)"),
    (r"registered with (client_secret_\w+|none) but authenticated with", "send the credentials the way the client "
     "is registered (`token_endpoint_auth_method`); the demo has `demo-m2m` (client_secret_post) and "
     "`demo-m2m-basic` (client_secret_basic)"),
    (r"callback|redirect_uri", "register the exact redirect_uri, port included, in the client's callbacks"),
    (r"wrong email or password", "log in as a user of the tenant (the manifest's `users`)"),
    (r"CSRF", "start the login again from the client, in this browser"),
    (r"redirect URI scheme", "register an https:// or loopback http:// redirect URI"),
    (r"dynamic client registration is disabled|enable_dynamic_client_registration",
     "turn DCR on (`settings.enable_dynamic_client_registration`) or pre-register the client"),
    (r"resource.*ignored|no audience", "send Auth0's `audience`, or turn on the resource-parameter compatibility "
     "profile (`settings.resource_parameter_profile: compatibility`)"),
    (r"Mcp-Session-Id|session", "send the Mcp-Session-Id the initialize response gave, or initialize again"),
    (r"MCP-Protocol-Version|protocol version", "send MCP-Protocol-Version with a version of supportedVersions"),
)


def fix_of(record: dict[str, Any]) -> str | None:
    """The record's own `fix`, else a hint for its reason; None for a success or an unknown reason."""
    if record.get("fix"):
        return str(record["fix"])
    reason = record.get("reason") or ""
    if record.get("status", 0) < 400 or not reason:
        return None
    for pattern, hint in HINTS:
        if re.search(pattern, reason, re.IGNORECASE):
            return hint
    return None
