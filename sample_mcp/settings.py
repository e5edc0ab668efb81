"""The sample MCP server's settings: transport mode, optional self-protection, emulator switches.

One model holds all of its behaviour; it is loaded from YAML (the stack file's `mcp:` section), built in
Python, and patched at runtime through `PATCH /_authstage/config`.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, field_validator

Algorithm = Literal["RS256", "RS384", "RS512", "PS256", "ES256"]
# RFC 9728 §3.1: the path-inserted location of /mcp, then the root (what the SDKs probe, in that order).
DEFAULT_METADATA_PATHS = ("/.well-known/oauth-protected-resource/mcp", "/.well-known/oauth-protected-resource")


class SampleAuth(BaseModel):
    """Self-protection: the server verifies RS256 bearer tokens itself (an OAuth-protected MCP server)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    issuer: str = Field(description="Expected `iss`, byte for byte (Auth0 issuers end with '/').")
    audience: str = Field(
        description="Expected `aud` (string or one array member): this server's resource URL."
    )
    scopes: list[str] = Field(default_factory=list, description="Scopes every call needs (403 when missing).")
    discovery_url: str | None = Field(
        default=None,
        description="OIDC discovery document; default `<issuer>/.well-known/openid-configuration`.",
    )
    algorithms: list[Algorithm] = Field(default_factory=lambda: list[Algorithm](["RS256"]))
    leeway_seconds: int = Field(default=30, ge=0, le=3600, description="Allowed clock skew for exp/nbf.")
    jwks_cache_seconds: float = Field(default=300, ge=0, description="How long fetched keys are trusted.")
    jwks_refetch_min_interval: float = Field(
        default=10, ge=0, description="At most one JWKS refetch on an unknown `kid` per this many seconds."
    )
    scope_claims: list[str] = Field(
        default_factory=lambda: ["scope", "scp"],
        description="Claims read as scopes; add `permissions` to honour Auth0 RBAC tokens.",
    )
    resource: str | None = Field(
        default=None, description="RFC 9728 `resource` in the metadata; default: the audience."
    )
    # The situations of `authstage client-check` (docs/client-check.md); each docstring is the knob's description.
    metadata_paths: list[str] = Field(default_factory=lambda: list(DEFAULT_METADATA_PATHS))
    """Where the RFC 9728 document is served: the path-inserted location of /mcp, the root, a custom path; [] for
    none (the 2025-03-26 layout). The challenge's resource_metadata names the first."""
    challenge_resource_metadata: bool = True
    """resource_metadata in 401/403 challenges (RFC 9728 §5.1); off: clients must probe the well-known URLs (MCP
    2025-11-25, SEP-985)."""
    challenge_scope: bool = True
    """scope="..." in the 401 challenge (MCP 2025-11-25 scope advertisement); a 403 always names it."""
    prm_scopes_supported: list[str] | Literal["scopes", "omit"] = "scopes"
    """PRM scopes_supported: `scopes` (what every call needs), a list, or `omit` (absent)."""
    method_scopes: dict[str, list[str]] = Field(default_factory=dict)
    """Scopes a JSON-RPC method needs on top of `scopes` (tools/call: [mcp:write]): 403 insufficient_scope naming
    every scope the call needs (MCP 2025-11-25 step-up)."""
    tool_scopes: dict[str, list[str]] = Field(default_factory=dict)
    """Scopes a tools/call of one tool needs on top of the method's."""
    anonymous_methods: list[str] = Field(default_factory=list)
    """JSON-RPC methods served without a token (`initialize`, `notifications/*`; conformance's step-up server)."""

    @field_validator("issuer", "audience")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


class ColocatedAuthorizationServer(BaseModel):
    """The 2025-03-26 layout: the authorization server on the MCP server's origin. The sample server forwards the
    authorization-server paths to `upstream` (the IdP) with the client's Host, so the IdP's issuer and endpoints
    are the MCP origin's (MCP 2025-03-26 "Server Metadata Discovery", "Fallbacks for Servers without Metadata
    Discovery": /authorize, /token, /register)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    upstream: str
    """Base URL of the IdP the paths are forwarded to, e.g. ${idp.url}."""
    metadata: bool = True
    """Serve /.well-known/oauth-authorization-server on the MCP origin; off: clients must fall back to the default
    endpoints."""


class SampleSettings(BaseModel):
    """Everything the sample server does."""

    model_config = ConfigDict(extra="forbid")

    name: str = "sample-search"
    instructions: str = (
        "Sample MCP server of authstage. `search` ranks a bundled offline corpus about OAuth, OIDC, MCP, Auth0 "
        "and AgentCore; `whoami` shows the identity that reached this server."
    )
    sessions: bool = Field(
        default=False, description="Stateful sessions (Mcp-Session-Id) instead of stateless."
    )
    json_response: bool | None = Field(
        default=None,
        description="JSON instead of SSE responses; default: JSON when stateless, SSE with sessions.",
    )
    auth: SampleAuth | None = None
    allowed_hosts: list[str] = Field(
        default_factory=lambda: ["127.0.0.1:*", "localhost:*", "[::1]:*"],
        description="Host headers accepted (DNS-rebinding guard, 421 otherwise). Loopback always passes.",
    )
    allowed_origins: list[str] = Field(
        default_factory=lambda: ["http://127.0.0.1:*", "http://localhost:*", "http://[::1]:*"]
    )
    slow_cap_seconds: float = Field(default=10, ge=0, le=300, description="Upper bound of the `slow` tool.")
    control_plane: bool = Field(default=True, description="Serve /_authstage/ (turn off when exposed).")
    reason_header: bool = Field(
        default=False, description="Opt-in: refusals carry their reason in an X-Authstage-Reason response header."
    )
    authorization_server: ColocatedAuthorizationServer | None = Field(
        default=None, description="Forward the authorization-server paths to an IdP (the 2025-03-26 layout)."
    )

    @property
    def use_json(self) -> bool:
        return (not self.sessions) if self.json_response is None else self.json_response

    @classmethod
    def from_file(cls, path: str | Path) -> SampleSettings:
        data = yaml.safe_load(Path(path).read_text()) or {}
        return cls.model_validate(data)
