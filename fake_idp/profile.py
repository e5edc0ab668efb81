"""The tenant's generic (non-Auth0) authorization-server profile: knobs for the situations MCP clients meet at
other authorization servers, which conformance grades them against (modelcontextprotocol/conformance 0.1.16 mock
AS; MCP authorization 2025-11-25 "Authorization Server Metadata Discovery", "Client Registration Approaches").

Every default is Auth0's behaviour, so a tenant without a ``profile:`` section is exactly the Auth0 tenant of
``tenant.py``. A "generic IdP" is a set of values here: the metadata only at the URLs its issuer implies, its own
``scopes_supported`` / ``token_endpoint_auth_methods_supported`` / ``grant_types_supported``, no
``registration_endpoint`` while DCR is off, DCR accepting ``client_secret_basic``. Also here: the inline
``private_key_jwt`` credentials of a client (RFC 7523 §2.2), the cross-app-access (ID-JAG) switches and Client ID
Metadata Documents (``cimd``: an https URL as client_id, the document fetched and validated by ``cimd.py``).

Pure models, no tenant import (``tenant.py`` imports this module).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

__all__ = [
    "AuthMethod",
    "CimdProfile",
    "ClientAuthenticationMethods",
    "CrossAppAccess",
    "DiscoveryProfile",
    "MetadataUrl",
    "PrivateKeyJwt",
    "Profile",
    "PublicKeyCredential",
    "RegistrationProfile",
]

AuthMethod = Literal["none", "client_secret_post", "client_secret_basic", "private_key_jwt"]
SecretMethod = Literal["none", "client_secret_post", "client_secret_basic"]
# rfc8414: /.well-known/oauth-authorization-server + issuer path (RFC 8414 §3.1 path insertion);
# oidc: issuer + /.well-known/openid-configuration (OIDC Discovery 1.0 §4, appended);
# oidc_path_insert: /.well-known/openid-configuration + issuer path (RFC 8414 §5 compatibility; MCP 2025-11-25
# lists it second for issuers with a path).
MetadataUrl = Literal["rfc8414", "oidc", "oidc_path_insert"]
AssertionAlg = Literal["RS256", "RS384", "PS256", "ES256", "ES384"]


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)


class DiscoveryProfile(_Model):
    """What the metadata documents say and where they are served."""

    metadata_urls: list[MetadataUrl] | None = None
    """Which well-known URLs answer, derived from the issuer (set `issuer: ${idp.url}/tenant1` for an issuer with a
    path); every other metadata URL is a 404 (conformance metadata-var2/var3 trap the root). None (Auth0): the
    root documents, `/.well-known/oauth-authorization-server` per `settings.rfc8414_metadata`."""
    scopes_supported: list[str] | Literal["auth0", "omit"] = "auth0"
    """`scopes_supported`: Auth0's OIDC list, a list of your own, or omitted (conformance's AS lists none, so a
    client must not fall back to it: scope-omitted-when-undefined)."""
    token_endpoint_auth_methods_supported: list[AuthMethod] | Literal["auth0"] = "auth0"
    """A single method (`[client_secret_basic]`) is how conformance's token-endpoint-auth-* scenarios tell a client
    which one to use."""
    token_endpoint_auth_signing_alg_values_supported: list[AssertionAlg] | Literal["auth0"] = "auth0"
    """Algorithms accepted for `private_key_jwt` assertions; Auth0: RS256, RS384, PS256 (DOC discovery capture)."""
    grant_types_supported: list[str] | Literal["auth0", "omit"] = "auth0"
    """Auth0's list (or none, for the classic discovery profile) unless set."""
    registration_endpoint: Literal["always", "when_enabled"] = "always"
    """always (Auth0, F-6): advertised even while DCR is off; when_enabled (generic IdPs, conformance
    pre-registration): omitted while `settings.enable_dynamic_client_registration` is false."""


class RegistrationProfile(_Model):
    """Dynamic Client Registration (RFC 7591) beyond Auth0's rules."""

    token_endpoint_auth_methods: list[SecretMethod] = Field(
        default_factory=lambda: list[SecretMethod](["none", "client_secret_post"])
    )
    """Methods DCR accepts; Auth0 (DOC): none, client_secret_post. Add client_secret_basic for a generic IdP."""
    assign_token_endpoint_auth_method: SecretMethod | None = None
    """RFC 7591 §3.2.1: the server may replace requested metadata. Set, every registration gets this method
    whatever the client asked (conformance's AS: "the server only supports X"). None: the requested method."""
    refresh_token_rotation: Literal["public_only", "always"] = "public_only"
    """Refresh-token rotation of registered clients: Auth0 turns it on for public third-party apps (DOC
    configure-refresh-token-rotation); `always` rotates for confidential ones too (the reuse trap, F-15, for
    clients that register with a secret)."""


class PublicKeyCredential(_Model):
    """An Auth0 application credential (Management API `POST /api/v2/clients/{id}/credentials`), inlined."""

    credential_type: Literal["public_key"] = "public_key"
    name: str = ""
    pem: str = Field(min_length=1, max_length=16384)
    """The public key (PEM, SubjectPublicKeyInfo) the client's assertions are signed for."""
    alg: AssertionAlg = "RS256"
    """DOC: "The algorithm must match the algorithm specified when you created your application credential"."""
    kid: str | None = None
    """DOC: the assertion's `kid` header is optional; when both are set they must match."""


class PrivateKeyJwt(_Model):
    credentials: list[PublicKeyCredential] = Field(min_length=1, max_length=2)


class ClientAuthenticationMethods(_Model):
    """Auth0's `client_authentication_methods` of an application (credentials inlined instead of referenced by id)."""

    private_key_jwt: PrivateKeyJwt | None = None


class CrossAppAccess(_Model):
    """SEP-990 / Identity Assertion Authorization Grant (draft-ietf-oauth-identity-assertion-authz-grant): this tenant
    as the enterprise IdP that issues ID-JAGs, and as the MCP server's AS that accepts them (RFC 7523 jwt-bearer)."""

    issue_id_jag: bool = False
    """Token exchange (RFC 8693) of an ID token this tenant issued for an ID-JAG
    (`requested_token_type=urn:ietf:params:oauth:token-type:id-jag`). Off: Auth0's Custom Token Exchange rules."""
    id_jag_lifetime: int = Field(default=300, ge=1, le=3600)
    """Seconds an ID-JAG lives (the draft suggests a short lifetime)."""
    client_ids: dict[str, str] = Field(default_factory=dict)
    """The IdP client id -> the client id the ID-JAG names at the MCP server's AS; unlisted: the same id."""
    trusted_issuers: list[str] = Field(default_factory=list)
    """Issuers whose ID-JAGs the jwt-bearer grant accepts; `self` (or this tenant's issuer) means ID-JAGs this tenant
    signed. Empty: every ID-JAG is refused (nothing is trusted until configured)."""


class CimdProfile(_Model):
    """OAuth Client ID Metadata Documents (draft-ietf-oauth-client-id-metadata-document-00, which MCP 2025-11-25
    "Client ID Metadata Documents" makes normative): an https URL as `client_id`, whose JSON document the IdP
    fetches, validates and caches (`fake_idp/cimd.py`). Off by default: Auth0's GA CIMD resolves only URLs an admin
    imported (`clients[].external_client_id`); its dynamic CIMD is early access (auth0-tenant.md §4.7)."""

    fetch: bool = False
    """Fetch the document of an https URL `client_id` no configured client claims, at /authorize and /oauth/token,
    and advertise `client_id_metadata_document_supported` (a generic IdP; conformance auth/basic-cimd)."""
    documents: dict[str, dict[str, Any]] = Field(default_factory=dict)
    """Pinned documents, URL -> document, used instead of fetching and validated the same way: a client whose
    document lives on the internet, in offline CI, or conformance's `https://conformance-test.local/client-metadata.json`
    (its mock "will accept it as-is and use hardcoded metadata")."""
    special_use_addresses: Literal["loopback", "refuse", "allow"] = "loopback"
    """Draft §6.5 (SSRF): never fetch from special-use addresses (RFC 6890) - `refuse`, the production rule. `loopback`
    (default): the draft's development exception, loopback addresses while the IdP itself listens on loopback.
    `allow`: any address (a private CI network)."""
    allow_http_loopback: bool = False
    """Client Identifier URLs MUST use https (draft §3); on: `http://` URLs on a loopback host are fetched too."""
    max_bytes: int = Field(default=5120, ge=256, le=1_048_576)
    """Draft §6.6: "The recommended maximum response size for client metadata documents is 5 kilobytes"."""
    require_json_content_type: bool = True
    """Draft §4.1: served as `application/json` or a more specific `application/<type>+json`; off: any type."""
    timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    """How long a fetch (the document, its `jwks_uri`) may take."""
    default_cache_seconds: int = Field(default=0, ge=0, le=31_536_000)
    """Freshness of a document whose answer has no Cache-Control/Expires (cloudflare/workers-oauth-provider: not
    cached; 0 = fetched again at the next /authorize or /oauth/token)."""
    max_cache_seconds: int = Field(default=604_800, ge=0, le=31_536_000)
    """Upper bound on a document's freshness (draft §4.4 "MAY define its own upper and/or lower bounds"; 7 days as
    cloudflare/workers-oauth-provider)."""


class Profile(_Model):
    """The generic-IdP knobs; the defaults are Auth0."""

    discovery: DiscoveryProfile = Field(default_factory=DiscoveryProfile)
    registration: RegistrationProfile = Field(default_factory=RegistrationProfile)
    cross_app_access: CrossAppAccess = Field(default_factory=CrossAppAccess)
    cimd: CimdProfile = Field(default_factory=CimdProfile)
