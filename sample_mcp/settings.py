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


class SampleAuth(BaseModel):
    """Self-protection: the server verifies RS256 bearer tokens itself (an OAuth-protected MCP server)."""

    model_config = ConfigDict(extra="forbid")

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

    @field_validator("issuer", "audience")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("must not be empty")
        return value


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

    @property
    def use_json(self) -> bool:
        return (not self.sessions) if self.json_response is None else self.json_response

    @classmethod
    def from_file(cls, path: str | Path) -> SampleSettings:
        data = yaml.safe_load(Path(path).read_text()) or {}
        return cls.model_validate(data)
