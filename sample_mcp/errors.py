"""Every exact string the sample MCP server sends, with its source.

The server is a plain OAuth-protected MCP resource server (not an emulation of a vendor), so its challenges
follow the specs: RFC 6750 §3 (Bearer challenges), RFC 9728 §5.1 (`resource_metadata`) and the MCP
authorization spec 2025-11-25 ("Scope advertisement", "Step-up authorization").
"""

from __future__ import annotations

from dataclasses import dataclass

# RFC 6750 §3.1: "If the request lacks any authentication information ... the resource server SHOULD NOT
# include an error code". https://www.rfc-editor.org/rfc/rfc6750#section-3.1
NO_TOKEN = None

# RFC 6750 §3.1 error codes. https://www.rfc-editor.org/rfc/rfc6750#section-3.1
INVALID_TOKEN = "invalid_token"
INSUFFICIENT_SCOPE = "insufficient_scope"
INVALID_REQUEST = "invalid_request"

# Human text of each case (ours; the spec leaves error_description free). Kept free of '"' and ',' because
# MCP clients parse challenge parameters with `name=(?:"([^"]+)"|([^\s,]+))` (mcp-spec-and-sdk.md §1.3).
DESCRIPTIONS = {
    "missing": "Authentication required",
    "scheme": "Authorization header must use the Bearer scheme",
    "malformed": "The access token is not a signed JWT",
    "header": "The token header is not acceptable",
    "duplicate": "Send exactly one Authorization header",
    "alg": "The token algorithm is not accepted",
    "kid": "No key in the issuer JWKS matches the token kid",
    "signature": "The token signature does not verify",
    "expired": "The token is expired",
    "not_yet_valid": "The token is not valid yet",
    "issuer": "The token was issued by another issuer",
    "audience": "The token was not issued for this resource",
    "claims": "The token lacks a required claim",
    "jwks_unavailable": "The issuer keys could not be fetched",
    "scope": "Required scope: {scopes}",
}

# Not-found answers of the RFC 9728 locations (ours, JSON like the 401/403 bodies): unprotected, or not served there
# (`auth.metadata_paths`).
NOT_PROTECTED = "this server is not protected"
NO_METADATA_HERE = "no metadata is served at this path"
# The co-located authorization server (as_proxy.py) could not reach the IdP: 502 (RFC 9110 §15.6.3), text ours.
AS_UNREACHABLE = "authorization server unreachable: {error}"

# Tool errors (MCP tools/call result with isError: true).
EMPTY_QUERY = 'The search query `q` is empty. Pass a few words, e.g. {"q": "pkce verifier"}.'
FAIL_DEFAULT = "The `fail` tool failed on purpose."
UNAUTHENTICATED = (
    "This call was unauthenticated: sample_mcp is not protecting itself (start it with --auth-issuer and "
    "--auth-audience), so no token was verified and no identity is known."
)


@dataclass(frozen=True)
class AuthFailure:
    """Why a request was refused: drives the status, the challenge and the log's `reason`."""

    status: int
    error: str | None
    kind: str
    reason: str
    scopes: tuple[str, ...] = ()

    @property
    def description(self) -> str:
        return DESCRIPTIONS[self.kind].format(scopes=" ".join(self.scopes))
