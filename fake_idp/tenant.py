"""The Auth0 tenant as data: settings, APIs (resource servers), clients, client grants, users, connections,
token-exchange profiles, the signing-key ring, and the fault knobs (auth0-tenant.md checklist (a), faults (b)).

Field names follow Auth0's Management API v2 JSON (``identifier``, ``token_dialect``, ``enforce_policies``,
``grant_types``, ``token_endpoint_auth_method``, ``callbacks``, ``default_for``, ``is_domain_connection`` ...)
so a setup script's JSON reads naturally. ``faults:`` holds the "misbehave on purpose" knobs that Auth0
itself does not offer; ``emulator:`` holds our choices where Auth0's behaviour is unknown. Every model is
``extra="forbid"``: an unknown key or a bad value is rejected at load with the path of the offending key.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Annotated, Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from authstage_kit.suggest import extra_key_message
from fake_idp.actions import Action, ActionsEmulator, rebase_code_files
from fake_idp.actions_node import check_actions
from fake_idp.profile import ClientAuthenticationMethods, Profile

__all__ = [
    "Api",
    "Client",
    "ClientGrant",
    "Connection",
    "Emulator",
    "Faults",
    "KeySpec",
    "Keys",
    "ManagementApi",
    "StateLimits",
    "Tenant",
    "TenantConfigError",
    "TenantSettings",
    "TokenExchangeProfile",
    "TokenProfile",
    "User",
    "format_validation_error",
]

GrantType = Literal[
    "authorization_code",
    "implicit",
    "refresh_token",
    "client_credentials",
    "password",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
]
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
_DEFAULT_GRANT_TYPES: tuple[GrantType, ...] = ("authorization_code", "refresh_token")
# emulator.token_profiles: whose access-token shape an API's tokens take (fake_idp/token_profiles.py).
TokenProfile = Literal["auth0", "cognito", "okta", "entra_v1", "entra_v2"]

# DOC (call-your-api-using-the-custom-token-exchange-flow): namespaces Custom Token Exchange reserves.
RESERVED_TOKEN_TYPE_PREFIXES = (
    "http://auth0.com",
    "https://auth0.com",
    "http://okta.com",
    "https://okta.com",
    "urn:ietf",
    "urn:auth0",
    "urn:okta",
)


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=False)


class TenantConfigError(ValueError):
    """A tenant document could not be loaded; the message names the file and every bad key."""

    def __init__(self, message: str, *, path: str | None = None, errors: list[dict[str, Any]] | None = None):
        super().__init__(message)
        self.path = path
        self.errors = errors or []


def format_validation_error(exc: ValidationError, model: type[BaseModel] | None = None) -> list[dict[str, Any]]:
    """Pydantic errors as ``[{"loc": "faults.jwks_kid_mode", "msg": ..., "input": ...}]`` (JSON-safe); with the
    ``model``, an unknown key's message names the closest real one (did you mean …?)."""
    out = []
    for err in exc.errors(include_url=False):
        loc = ".".join(str(p) for p in err.get("loc", ())) or "(root)"
        msg = extra_key_message(err, model) if model is not None else err.get("msg", "")
        item: dict[str, Any] = {"loc": loc, "msg": msg}
        value = err.get("input")
        if isinstance(value, str | int | float | bool) or value is None:
            item["input"] = value
        out.append(item)
    return out


# ---------------------------------------------------------------------------------------------------------
# APIs (resource servers)
# ---------------------------------------------------------------------------------------------------------


class ApiScope(_Model):
    value: str = Field(min_length=1, max_length=280)
    description: str = ""


class UserPolicy(_Model):
    policy: Literal["allow_all", "require_client_grant", "deny_all"] = "allow_all"


class ClientPolicy(_Model):
    policy: Literal["require_client_grant", "deny_all"] = "require_client_grant"


class SubjectTypeAuthorization(_Model):
    """API access policies (DOC api-access-policies-for-applications.mdx). Third-party apps always need a grant."""

    user: UserPolicy = Field(default_factory=UserPolicy)
    client: ClientPolicy = Field(default_factory=ClientPolicy)


class Api(_Model):
    """An Auth0 API (resource server). ``identifier`` is matched by exact string (sheet §3.3)."""

    id: str | None = Field(
        default=None, max_length=64, description="Management API id (24 hex); default derived from identifier."
    )
    name: str = Field(min_length=1, max_length=200)
    identifier: str = Field(
        min_length=1,
        max_length=600,
        description="Exact-match audience string. F-3/stigmer: 'https://x/' and 'https://x' are different APIs.",
    )
    scopes: list[ApiScope] = Field(default_factory=list, description="Permissions defined on the API.")
    signing_alg: Literal["RS256", "HS256", "PS256"] = Field(
        default="RS256",
        description="HS256 tokens carry no kid and are signed with signing_secret: reproduces validators that "
        "hard-code RS256 / JWKS lookups (fault list (b) 9).",
    )
    signing_secret: str | None = Field(
        default=None,
        description="HS256 secret (Auth0 generates one per API). Default: derived, obviously fake.",
    )
    token_lifetime: int = Field(
        default=86400, ge=1, le=2592000, description="exp - iat in seconds (DOC default 86400)."
    )
    token_dialect: Literal[
        "access_token", "access_token_authz", "rfc9068_profile", "rfc9068_profile_authz"
    ] = Field(
        default="access_token",
        description="access_token* carry azp (no client_id): F-10, AgentCore allowedClients / mcp-auth/js#28. "
        "rfc9068_* carry client_id + jti and typ at+jwt; *_authz add permissions.",
    )
    enforce_policies: bool = Field(
        default=False,
        description="RBAC: scope = requested ∩ user's permissions (F-11: gateways that check scope while "
        "rights sit in permissions).",
    )
    allow_offline_access: bool = Field(
        default=False,
        description="Off: refresh_token silently omitted even with offline_access (F-16 'Missing Refresh Token').",
    )
    skip_consent_for_verifiable_first_party_clients: bool = True
    subject_type_authorization: SubjectTypeAuthorization = Field(default_factory=SubjectTypeAuthorization)

    @field_validator("scopes", mode="before")
    @classmethod
    def _scopes_from_strings(cls, value: Any) -> Any:
        if isinstance(value, list):
            return [{"value": v} if isinstance(v, str) else v for v in value]
        return value

    @property
    def scope_values(self) -> list[str]:
        return [s.value for s in self.scopes]


# ---------------------------------------------------------------------------------------------------------
# Clients (applications)
# ---------------------------------------------------------------------------------------------------------


class RefreshTokenSettings(_Model):
    """Per-application refresh-token settings (DOC configure-refresh-token-rotation.mdx)."""

    rotation_type: Literal["rotating", "non-rotating"] = Field(
        default="non-rotating",
        description="rotating: every refresh returns a new RT; reuse kills the family (F-15).",
    )
    expiration_type: Literal["expiring", "non-expiring"] = "non-expiring"
    leeway: int = Field(
        default=0,
        ge=0,
        le=600,
        description="Rotation overlap period: the previous RT may be reused this long (F-15 fix).",
    )
    token_lifetime: int = Field(
        default=2592000, ge=1, le=31557600, description="Absolute lifetime (DOC default 30 days)."
    )
    idle_token_lifetime: int = Field(
        default=2592000, ge=1, le=31557600, description="Idle lifetime (sheet §6: 30 days)."
    )


class JwtConfiguration(_Model):
    alg: Literal["RS256", "HS256"] = Field(
        default="RS256", description="ID-token signing alg; HS256 uses the client secret."
    )
    lifetime_in_seconds: int = Field(
        default=36000, ge=1, le=2592000, description="ID-token lifetime (DOC 36000 s)."
    )


class Client(_Model):
    """An Auth0 application."""

    name: str = Field(min_length=1, max_length=200)
    client_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:/\-]+$")
    client_secret: str | None = Field(default=None, max_length=512)
    app_type: Literal["non_interactive", "native", "spa", "regular_web"] = "regular_web"
    is_first_party: bool = Field(
        default=True, description="Third-party apps follow the strict/permissive rules (§4.3)."
    )
    third_party_security_mode: Literal["strict", "permissive"] | None = Field(
        default=None,
        description="Only for third-party apps; default = settings.dynamic_client_registration_security_mode. "
        "strict: no OIDC, PKCE required, explicit grants only, domain connections only (F-2, F-5, F-7, F-21).",
    )
    grant_types: list[GrantType] = Field(default_factory=lambda: list(_DEFAULT_GRANT_TYPES))
    token_endpoint_auth_method: Literal["none", "client_secret_post", "client_secret_basic", "private_key_jwt"] = (
        Field(
            default="client_secret_post",
            description="Enforced at /oauth/token when emulator.enforce_token_endpoint_auth_method (F-20, "
            "codex#40928). private_key_jwt: RFC 7523 §2.2 assertions signed for client_authentication_methods.",
        )
    )
    client_authentication_methods: ClientAuthenticationMethods | None = Field(
        default=None, description="private_key_jwt credentials (public keys), see fake_idp/profile.py."
    )
    callbacks: list[str] = Field(
        default_factory=list, description="Allowed callback URLs, matched exactly incl. loopback port (F-19)."
    )
    allowed_logout_urls: list[str] = Field(default_factory=list)
    jwt_configuration: JwtConfiguration = Field(default_factory=JwtConfiguration)
    refresh_token: RefreshTokenSettings = Field(default_factory=RefreshTokenSettings)
    redirection_policy: Literal["allow_always", "open_redirect_protection"] | None = Field(
        default=None,
        description="open_redirect_protection (strict third-party default): /authorize errors show the error "
        "page instead of redirecting (DOC security-controls.mdx).",
    )
    external_client_id: str | None = Field(
        default=None,
        description="CIMD: the client metadata URL this client was imported from; usable as client_id.",
    )
    client_metadata: dict[str, str] = Field(
        default_factory=dict, description="Management API client_metadata; Actions read it as event.client.metadata."
    )

    def security_mode(self, default: str) -> str | None:
        if self.is_first_party:
            return None
        return self.third_party_security_mode or default

    @property
    def confidential(self) -> bool:
        return self.token_endpoint_auth_method != "none"


class ClientGrant(_Model):
    """Authorises a client (or all third-party clients via ``default_for``) to an API with scopes."""

    id: str | None = Field(default=None, max_length=64, description="Management API id (cgr_...); default derived.")
    client_id: str | None = None
    audience: str = Field(min_length=1)
    scope: list[str] = Field(default_factory=list)
    default_for: Literal["third_party_clients"] | None = Field(
        default=None, description="DOC troubleshooting.mdx: the grant DCR/third-party clients get (F-5 fix)."
    )
    subject_type: Literal["client", "user"] | None = None

    @model_validator(mode="after")
    def _one_target(self) -> ClientGrant:
        if (self.client_id is None) == (self.default_for is None):
            raise ValueError("a client grant needs exactly one of client_id or default_for")
        return self


class User(_Model):
    user_id: str = Field(min_length=1, max_length=200, description="e.g. auth0|alice; the token sub.")
    email: str = Field(min_length=3, max_length=320)
    password: str = Field(min_length=1, max_length=200, description="Obviously fake demo password.")
    name: str | None = None
    nickname: str | None = None
    picture: str | None = None
    email_verified: bool = True
    updated_at: str = "2026-01-01T00:00:00.000Z"
    connection: str = "Username-Password-Authentication"
    blocked: bool = False
    permissions: dict[str, list[str]] = Field(
        default_factory=dict, description="API name or identifier -> permissions (RBAC role assignments)."
    )
    roles: list[str] = Field(
        default_factory=list, description="Names of the user's roles (Actions: event.authorization.roles)."
    )
    app_metadata: dict[str, Any] = Field(
        default_factory=dict, description="Management API app_metadata (Actions: event.user.app_metadata)."
    )
    user_metadata: dict[str, Any] = Field(
        default_factory=dict, description="Management API user_metadata (Actions: event.user.user_metadata)."
    )


class Connection(_Model):
    id: str | None = Field(default=None, max_length=64, description="Management API id (con_...); default derived.")
    name: str = Field(min_length=1, max_length=128)
    strategy: Literal["auth0"] = "auth0"
    is_domain_connection: bool = Field(
        default=False,
        description="Domain-level connections are the only ones third-party/DCR clients can use (F-7).",
    )
    enabled_clients: list[str] = Field(default_factory=list, description="client_ids of first-party apps.")


class TokenExchangeAction(_Model):
    """What the profile's Custom Token Exchange Action does (authstage cannot run Auth0 Actions)."""

    subject_token: Literal["tenant_access_token", "any_jwt_unverified"] = Field(
        default="tenant_access_token",
        description="tenant_access_token: verify signature against this tenant's keys and exp; the user is "
        "the token's sub. any_jwt_unverified: trust the JWT's sub as-is (a careless Action).",
    )
    required_subject_audience: str | None = Field(
        default=None,
        description="Deny unless the subject token's aud contains this value (an Action policy).",
    )
    set_actor: Literal["client", "none"] = Field(
        default="client",
        description="client: api.authentication.setActor -> act: {sub: <client_id>} (RFC 8693 §4.1).",
    )


class TokenExchangeProfile(_Model):
    """A Custom Token Exchange profile: maps a subject_token_type to an Action (DOC custom-token-exchange)."""

    name: str = Field(min_length=3, max_length=50)
    subject_token_type: str = Field(min_length=1, max_length=200)
    type: Literal["custom_authentication"] = "custom_authentication"
    action: TokenExchangeAction = Field(default_factory=TokenExchangeAction)
    action_id: str | None = Field(
        default=None,
        description="The custom-token-exchange Action (tenant actions, by name) that runs instead of `action`.",
    )

    @field_validator("subject_token_type")
    @classmethod
    def _not_reserved(cls, value: str) -> str:
        if not re.match(r"^(https?://|urn:)", value):
            raise ValueError("subject_token_type must be a URI starting with https://, http:// or urn:")
        for prefix in RESERVED_TOKEN_TYPE_PREFIXES:
            if value.lower().startswith(prefix):
                raise ValueError(
                    f"subject_token_type {value!r} uses the reserved namespace {prefix!r} "
                    "(Auth0 Custom Token Exchange reserves auth0.com, okta.com, urn:ietf, urn:auth0, urn:okta)"
                )
        return value


# ---------------------------------------------------------------------------------------------------------
# Tenant settings, keys, faults, emulator
# ---------------------------------------------------------------------------------------------------------


class TenantSettings(_Model):
    friendly_name: str = "authstage demo tenant"
    default_audience: str | None = Field(
        default=None,
        description="Appended to every authorization request; pre-2025 MCP workaround. F-22: every MCP "
        "server on the tenant gets the same aud.",
    )
    resource_parameter_profile: Literal["ignore", "compatibility"] = Field(
        default="ignore",
        description="Resource Parameter Compatibility Profile. ignore: RFC 8707 resource is forwarded upstream "
        "and ignored -> opaque userinfo tokens / third-party error (F-1, F-2). compatibility: audience, else "
        "resource (default for tenants created after 2026-07-17).",
    )
    enable_dynamic_client_registration: bool = Field(
        default=False,
        description="flags.enable_dynamic_client_registration. Off: 400 while still advertised (F-6).",
    )
    dynamic_client_registration_security_mode: Literal["strict", "permissive"] = Field(
        default="strict", description="strict (since April 2026): tpc_ ids, no OIDC, PKCE required (F-21)."
    )
    discovery_profile: Literal["classic", "2026"] = Field(
        default="2026",
        description="classic: no grant_types_supported and no 'none' auth method, so strict clients assume "
        "refresh_token/client_credentials are unsupported (fault list (b) 13).",
    )
    rfc8414_metadata: Literal["absent", "alias"] = Field(
        default="alias",
        description="absent: 404 on /.well-known/oauth-authorization-server (F-14, typescript-sdk#585).",
    )
    authorization_response_iss_parameter_supported: bool = Field(
        default=False,
        description="'Include Issuer in Authorization Responses' (RFC 9207 iss); off by default 'for compatibility'.",
    )
    client_id_metadata_document_supported: bool = Field(
        default=False,
        description="CIMD toggle: advertised in discovery; clients must still be pre-registered (F-8 trap).",
    )
    refresh_token_revocation_deletes_grant: bool = Field(
        default=False, description="Revoking one RT revokes all RTs of the same user+app+audience."
    )
    allowed_logout_urls: list[str] = Field(
        default_factory=list, description="Tenant-level Allowed Logout URLs."
    )
    headless_auto_approve: bool = Field(
        default=False,
        description="Emulator: /authorize logs in (login_hint picks the user) and consents without a page, "
        "for CI and mcp-remote BROWSER scripts.",
    )
    headless_default_user: str | None = Field(
        default=None, description="Email used when login_hint is absent."
    )
    auto_approve_login_hint: bool = Field(
        default=False,
        description="Emulator: an /authorize that carries login_hint logs that user in and consents without a "
        "page (the request asks for it). Auth0 only prefills the login page with it (DOC authorize).",
    )
    auto_approve_user_agents: list[str] = Field(
        default_factory=list,
        description="Emulator: User-Agent prefixes whose /authorize is approved without a page (the "
        "authstage-browser and the scenario replayer); every other browser sees the login and consent pages.",
    )
    session_lifetime: float = Field(
        default=168, gt=0, le=8760,
        description="Hours a login session lasts however active it is (DOC tenant settings `session_lifetime`, "
        "'Require log in after'; default 7 days INFERRED from the dashboard); then /authorize asks to log in again.",
    )
    idle_session_lifetime: float = Field(
        default=72, gt=0, le=8760,
        description="Hours a login session survives unused (DOC tenant settings `idle_session_lifetime`, "
        "'Inactivity timeout'; default 3 days); every /authorize that uses it starts the count again.",
    )


class KeySpec(_Model):
    kid: str | None = Field(
        default=None, max_length=128, description="Fixed kid; default random 21 chars (or thumbprint style)."
    )
    state: Literal["current", "next", "previous"]
    private_key_pem: str | None = Field(
        default=None, description="PKCS#8/PKCS#1 RSA private key; default generated."
    )


class Keys(_Model):
    """The signing-key ring (sheet §1.4): current + next (+ previous until revoked)."""

    kid_style: Literal["random", "thumbprint_hex"] = Field(
        default="random",
        description="random: 21-char kid, x5t differs (newer tenants). thumbprint_hex: kid == x5t == base64 of "
        "the uppercase hex SHA-1 (older tenants).",
    )
    include_alg: bool = Field(
        default=True, description="Tenant toggle 'Include Signing Algorithms in JSON Web Key Set'."
    )
    ring: list[KeySpec] = Field(default_factory=list, description="Empty: generate a current and a next key.")

    @model_validator(mode="after")
    def _one_current(self) -> Keys:
        if self.ring:
            states = [k.state for k in self.ring]
            if states.count("current") != 1:
                raise ValueError("keys.ring needs exactly one key with state 'current'")
            if states.count("next") > 1 or states.count("previous") > 1:
                raise ValueError("keys.ring holds at most one 'next' and one 'previous' key")
        return self


class RateLimit(_Model):
    limit: int = Field(
        ge=1, le=1_000_000, description="Requests per window (Auth0 free tier: 30 per second)."
    )
    window_seconds: float = Field(default=1.0, gt=0, le=3600)
    wording: Literal["global", "custom_policy"] = "global"


class Faults(_Model):
    """Misbehave on purpose (auth0-tenant.md fault list (b)). Defaults = a healthy tenant."""

    opaque_token_style: Literal["jwe", "short_random"] = Field(
        default="jwe",
        description="Userinfo-audience tokens: 5-part alg:dir JWE (2021+) or a 32-char random string "
        "(auth0-spa-js#1008, cfworker#157, nextjs-auth0#12).",
    )
    iss_advertised_not_sent: bool = Field(
        default=False,
        description="Discovery advertises authorization_response_iss_parameter_supported: true, but authorization "
        "responses carry no RFC 9207 iss: clients that enforce RFC 9207 refuse the callback ('Authorization "
        "server response missing required issuer', cloudflare/mcp-server-cloudflare#449, openai/codex#37300).",
    )
    audience_match: Literal["exact", "normalize"] = Field(
        default="exact",
        description="exact (real Auth0): 'https://x/' != 'https://x' -> Service not found (stigmer, "
        "claude-code#52871). normalize: forgive trailing slash and case, to show the fix.",
    )
    issuer_trailing_slash: bool = Field(
        default=True,
        description="false: tokens' iss drops the slash while discovery keeps it (ask-around-me#3, Kong #7122).",
    )
    issuer_override: str | None = Field(
        default=None, description="Mint iss with this value (custom-domain vs canonical-domain mismatch)."
    )
    jwks_kid_mode: Literal["normal", "omit_kid", "unknown_kid", "duplicate_kid"] = Field(
        default="normal",
        description="omit_kid: token header without kid; unknown_kid: a kid not in the JWKS ('Failed to get key "
        "with kid', ring-jwt#9); duplicate_kid: two JWKS keys share the signing kid (jwks-rsa-java#23/#24).",
    )
    key_rotation: Literal["overlap", "rotate_and_revoke_no_overlap", "serve_next_only"] = Field(
        default="overlap",
        description="rotate_and_revoke_no_overlap: rotation drops the old key at once (F-13); serve_next_only: "
        "sign with a key the JWKS does not publish yet.",
    )
    jwks_fault: Literal["none", "http_500", "http_429", "slow", "empty_keys", "html"] = Field(
        default="none",
        description="JWKS endpoint failure: 500, 429 (20 rps limit), slow (jwks_slow_ms), {'keys': []} "
        "('did not contain any signing keys', node-jwks-rsa#373), an HTML page.",
    )
    jwks_slow_ms: int = Field(
        default=3000,
        ge=0,
        le=120000,
        description="Delay of jwks_fault: slow, in ms (validator timeouts on a cold JWKS cache).",
    )
    jwks_fault_times: int | None = Field(
        default=None, ge=1, description="Fail only the first N JWKS requests, then recover (None = always)."
    )
    clock_skew_seconds: int = Field(
        default=0,
        ge=-86400 * 365,
        le=86400 * 365,
        description="Shift iat/exp of minted tokens (iat in the future -> 'not yet valid').",
    )
    expire_after: int | None = Field(
        default=None,
        ge=-86400 * 365,
        le=86400 * 365,
        description="exp = iat + N regardless of API lifetime; <= 0 mints already-expired tokens while "
        "expires_in still reports the lifetime.",
    )
    client_grant_error_wording: Literal["2018", "2024", "2026"] = Field(
        default="2026",
        description="Historic 'client-grant' texts (F-4); breaks string-matching clients (ref 70929098276).",
    )
    authorize_error_delivery: Literal["auto", "page", "redirect"] = Field(
        default="auto",
        description="auto = Auth0 rules; page: every error is the 'Oops!, something went wrong' dead end "
        "(stigmer, fhir-mcp); redirect: always redirect.",
    )
    forgotten_clients: list[str] = Field(
        default_factory=list,
        description="client_ids the tenant no longer knows: 'Unknown client: tpc_…' (F-8).",
    )
    refresh_reuse_detection: Literal["on", "off"] = Field(
        default="on",
        description="on (real): reusing a rotated RT revokes the whole family (F-15, log 'ferrt').",
    )
    loopback_port_strict: bool = Field(
        default=True,
        description="true (real, ref 62013586104): http://127.0.0.1:62294/callback must be listed exactly (F-19); "
        "false: RFC 8252 any-port loopback matching.",
    )
    token_rate_limit: RateLimit | None = Field(
        default=None,
        description="Fixed-window limit on /oauth/token: 429 + x-ratelimit-* + Retry-After (CI storms).",
    )
    dcr_fault: Literal["none", "rate_limited", "too_many_entities"] = Field(
        default="none",
        description="rate_limited: 429 (5/s limit); too_many_entities: the tenant entity cap (ref 60290734868).",
    )
    dcr_max_clients: int | None = Field(
        default=None, ge=0, description="Entity cap for DCR clients; beyond it: too_many_entities."
    )
    dcr_response_quirks: list[
        Literal[
            "secret_for_none",
            "omit_token_endpoint_auth_method",
            "omit_grant_types",
            "status_200",
            "add_rfc7591_fields",
        ]
    ] = Field(
        default_factory=list,
        description="Deviations in the DCR response that break strict RFC 7591 parsers (Claude Desktop, "
        "keeperhub #963, codex #40928); add_rfc7591_fields shows the fix.",
    )
    refresh_user_deleted: list[str] = Field(
        default_factory=list,
        description="user_ids deleted since their RTs were issued ('...doesn't exist anymore').",
    )


_Count = Annotated[int, Field(ge=1, le=10_000_000)]  # a bound of StateLimits


class StateLimits(_Model):
    """How much runtime state the tenant keeps (docs/performance.md "Memory"). Auth0 keeps its own limits and
    documents one (refresh tokens per user and app); the others are INFERRED bounds that a test never reaches but a
    long-running `authstage up` under load does. Beyond a count the oldest entries go first; an expired entry is
    kept `forget_expired_after` seconds longer (its refusal still says why), then forgotten."""

    authorization_codes: _Count = Field(default=10_000,
                                        description="Codes kept (issued, used or expired); the oldest go first.")
    refresh_tokens: _Count = Field(default=100_000,
                                   description="Refresh-token records kept, rotated and revoked ones included.")
    refresh_tokens_per_user_per_app: int = Field(
        default=200, ge=1, le=100_000,
        description="DOC refresh-tokens.mdx: 200 active refresh tokens per user per application; issuing one more "
        "revokes the oldest.",
    )
    sessions: _Count = Field(default=10_000, description="Login sessions kept.")
    login_transactions: _Count = Field(default=10_000,
                                       description="Pending /authorize transactions (login and consent pages) kept.")
    opaque_tokens: _Count = Field(
        default=10_000,
        description="Short random userinfo tokens, and the ID-token custom claims /userinfo returns per access token.",
    )
    dcr_clients: _Count = Field(
        default=10_000,
        description="Dynamically registered clients; at the cap /oidc/register answers too_many_entities, as a "
        "tenant at its entity limit does (they never expire: Auth0 keeps them).",
    )
    cimd_clients: _Count = Field(
        default=10_000,
        description="Clients resolved from client ID metadata documents kept in the cache (the oldest go first; a "
        "forgotten one is fetched again on its next use).",
    )
    forget_expired_after: int = Field(default=3600, ge=0, le=31_557_600,
                                      description="Seconds an expired code, refresh token, session or opaque "
                                      "token is kept past its expiry before it is forgotten.")


class Emulator(_Model):
    """Our choices where Auth0's behaviour is unknown or unrecorded (tagged INFERRED/NOT FOUND in the sheet)."""

    control_plane: bool = Field(
        default=True, description="Serve /_authstage/ (off: it answers like an unknown path)."
    )
    reason_header: bool = Field(
        default=False,
        description="Opt-in: every refusal carries the emulator's reason in an X-Authstage-Reason response header "
        "(for clients that cannot read the request log). Auth0 sends no such header.",
    )
    seed: int | None = Field(
        default=None,
        description="Seeded ids: jti, codes, refresh tokens, DCR client ids and secrets, session and transaction "
        "ids come from a PRNG seeded with this (re-seeded on reset and when the seed changes), so a scenario can "
        "assert exact values. Signing keys are unaffected. None (default): cryptographically random.",
    )
    authorization_code_lifetime: int = Field(
        default=600, ge=1, le=86400, description="NOT FOUND in Auth0 docs; 10 min."
    )
    pkce_plain: Literal["reject", "accept"] = Field(
        default="reject",
        description="Discovery advertises plain but the docs say S256 only; real behaviour NOT FOUND.",
    )
    advertise_iss_parameter: bool = Field(
        default=True,
        description="When iss is on, also publish authorization_response_iss_parameter_supported in discovery "
        "(NOT FOUND whether Auth0 does).",
    )
    dcr_disabled_body: Literal["boom", "oauth"] = Field(
        default="boom", description="Shape of the DCR-disabled 400 (text known, JSON shape NOT FOUND)."
    )
    client_auth_error: Literal["access_denied", "invalid_client"] = Field(
        default="access_denied",
        description="401 body for bad client credentials: access_denied/Unauthorized or invalid_client.",
    )
    enforce_token_endpoint_auth_method: bool = Field(
        default=True,
        description="Reject Basic when the client registered client_secret_post and vice versa (F-20).",
    )
    userinfo_error_style: Literal["text", "json"] = Field(
        default="text", description="text: 'Unauthorized' (Auth0.Android#629); json: the MOCK body."
    )
    token_resource_mismatch: Literal["ignore", "reject"] = Field(
        default="ignore",
        description="resource at /oauth/token differing from /authorize: NOT FOUND; ignore keeps the code's audience.",
    )
    cors_allowed_origins: list[str] = Field(
        default_factory=lambda: ["*"],
        description="Origins browser clients (MCP Inspector) may call from; Auth0 uses per-app Allowed Web Origins.",
    )
    log_max_records: int = Field(default=10000, ge=10, le=1_000_000)
    max_body_bytes: int = Field(default=65536, ge=1024, le=10_485_760)
    state: StateLimits = Field(default_factory=StateLimits)
    actions: ActionsEmulator = Field(default_factory=ActionsEmulator)
    token_profiles: dict[str, TokenProfile] = Field(
        default_factory=dict,
        description="API name or identifier -> the vendor whose access-token shape its tokens take: cognito (no "
        "aud; client_id, scope, token_use: U1), okta (cid, scp array: U2), entra_v2 (aud = the API's GUID, scp "
        "string / roles: U4, U5), entra_v1 (aud = App ID URI, appid), auth0 (default). Not an Auth0 setting: it "
        "lets one stack stand in for the IdPs AgentCore users front (agentcore-gateway.md §3).",
    )


class ManagementApi(_Model):
    """The tenant's Management API v2 (fake_idp/management) and its API Explorer application. Auth0 gives every
    tenant the system API "Auth0 Management API" (identifier `https://<domain>/api/v2/`); the validator below adds
    it, the application and its client grant to the tenant's lists whenever they are missing, so replacing `apis:`
    or `clients:` in a stack file or a patch keeps them."""

    identifier: str = Field(min_length=1, description="The Management API audience, e.g. https://<domain>/api/v2/.")
    client_name: str = Field(default="api-explorer", min_length=1, max_length=200)
    client_id: str = Field(min_length=1, max_length=200, pattern=r"^[A-Za-z0-9_.:/\-]+$")
    client_secret: str = Field(min_length=1, max_length=512)


class Tenant(_Model):
    """One Auth0 tenant. Load with :meth:`from_file` or :meth:`model_validate`; dump with ``model_dump(mode="json")``."""

    name: str = Field(
        default="authstage", min_length=1, max_length=64, description="Tenant name (the 'dev-xyz' part)."
    )
    domain: str | None = Field(
        default=None,
        description="Canonical domain, e.g. 'authstage.us.auth0.com'; CN of the x5c certs. Default: the bind host.",
    )
    issuer: str | None = Field(
        default=None,
        description="Fixed issuer, used verbatim. Unset: 'http://<request host>/' (Auth0: iss follows the domain "
        "you called, with a trailing slash).",
    )
    host_aliases: list[str] = Field(
        default_factory=list,
        description="Custom domains as base URLs, e.g. 'https://login.northwind.test': a request whose Host "
        "matches gets that issuer.",
    )
    settings: TenantSettings = Field(default_factory=TenantSettings)
    apis: list[Api] = Field(default_factory=list)
    clients: list[Client] = Field(default_factory=list)
    client_grants: list[ClientGrant] = Field(default_factory=list)
    users: list[User] = Field(default_factory=list)
    connections: list[Connection] = Field(default_factory=list)
    token_exchange_profiles: list[TokenExchangeProfile] = Field(default_factory=list)
    management_api: ManagementApi | None = Field(
        default=None, description="Serve the Management API v2 subset for this audience (see ManagementApi)."
    )
    actions: list[Action] = Field(
        default_factory=list, description="Auth0 Actions, run per trigger in list order (fake_idp/actions.py)."
    )
    keys: Keys = Field(default_factory=Keys)
    faults: Faults = Field(default_factory=Faults)
    emulator: Emulator = Field(default_factory=Emulator)
    profile: Profile = Field(
        default_factory=Profile,
        description="Generic (non-Auth0) authorization-server knobs; the defaults are Auth0 (fake_idp/profile.py).",
    )

    @field_validator("host_aliases")
    @classmethod
    def _aliases_are_urls(cls, value: list[str]) -> list[str]:
        for alias in value:
            if not re.match(r"^https?://[^/\s]+/?$", alias):
                raise ValueError(f"host alias {alias!r} must be a base URL like 'https://login.example.test'")
        return value

    @model_validator(mode="after")
    def _system_entries(self) -> Tenant:
        """The Management API, its API Explorer application and their grant, when missing (ManagementApi)."""
        from fake_idp.management import MANAGEMENT_API_NAME, MANAGEMENT_SCOPES

        m = self.management_api
        if m is None:
            return self
        if self.api_by_identifier(m.identifier) is None:
            scopes = [ApiScope(value=s) for s in MANAGEMENT_SCOPES]
            self.apis.append(Api(name=MANAGEMENT_API_NAME, identifier=m.identifier, scopes=scopes,
                                 skip_consent_for_verifiable_first_party_clients=False))
        if all(c.client_id != m.client_id for c in self.clients):
            self.clients.append(Client(name=m.client_name, client_id=m.client_id, client_secret=m.client_secret,
                                       app_type="non_interactive", grant_types=["client_credentials"]))
        if not any((g.client_id, g.audience) == (m.client_id, m.identifier) for g in self.client_grants):
            self.client_grants.append(ClientGrant(client_id=m.client_id, audience=m.identifier,
                                                  scope=list(MANAGEMENT_SCOPES)))
        return self

    @model_validator(mode="after")
    def _references(self) -> Tenant:
        problems: list[str] = []
        _dupes(problems, "apis", [a.identifier for a in self.apis], "identifier")
        _dupes(problems, "apis", [a.name for a in self.apis], "name")
        _dupes(problems, "clients", [c.client_id for c in self.clients], "client_id")
        _dupes(problems, "users", [u.email.lower() for u in self.users], "email")
        _dupes(problems, "users", [u.user_id for u in self.users], "user_id")
        _dupes(problems, "connections", [c.name for c in self.connections], "name")
        _dupes(
            problems,
            "token_exchange_profiles",
            [p.subject_token_type for p in self.token_exchange_profiles],
            "subject_token_type",
        )
        identifiers = {a.identifier for a in self.apis}
        names = {a.name for a in self.apis}
        client_ids = {c.client_id for c in self.clients}
        for i, grant in enumerate(self.client_grants):
            if grant.audience not in identifiers:
                problems.append(
                    f"client_grants.{i}.audience: {grant.audience!r} is not the identifier of any API"
                )
            if grant.client_id is not None and grant.client_id not in client_ids:
                problems.append(f"client_grants.{i}.client_id: no client {grant.client_id!r}")
            api = self.api_by_identifier(grant.audience)
            if api is not None:
                unknown = [s for s in grant.scope if s not in api.scope_values]
                if unknown:
                    problems.append(f"client_grants.{i}.scope: {unknown} are not scopes of API {api.name!r}")
        for i, user in enumerate(self.users):
            for key in user.permissions:
                if key not in identifiers and key not in names:
                    problems.append(
                        f"users.{i}.permissions: {key!r} is neither an API name nor an identifier"
                    )
        for i, client in enumerate(self.clients):
            jwt_auth = client.client_authentication_methods
            if client.token_endpoint_auth_method == "private_key_jwt":
                if jwt_auth is None or jwt_auth.private_key_jwt is None:
                    problems.append(f"clients.{i}.client_authentication_methods: private_key_jwt needs credentials")
            elif client.confidential and not client.client_secret:
                problems.append(
                    f"clients.{i}.client_secret: required for token_endpoint_auth_method {client.token_endpoint_auth_method!r}"
                )
        for i, conn in enumerate(self.connections):
            for cid in conn.enabled_clients:
                if cid not in client_ids:
                    problems.append(f"connections.{i}.enabled_clients: no client {cid!r}")
        for key in self.emulator.token_profiles:
            if key not in identifiers and key not in names:
                problems.append(f"emulator.token_profiles: {key!r} is neither an API name nor an identifier")
        da = self.settings.default_audience
        if da is not None and da not in identifiers:
            problems.append(f"settings.default_audience: {da!r} is not the identifier of any API")
        profile_actions = [p.action_id for p in self.token_exchange_profiles]
        problems += check_actions(self.actions, profile_actions, self.emulator.actions.node_path)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    # -----------------------------------------------------------------------------------------------------

    @classmethod
    def from_file(cls, path: str | Path) -> Tenant:
        """Load a tenant from YAML or JSON. Raises :class:`TenantConfigError` naming the file and bad keys."""
        p = Path(path)
        try:
            text = p.read_text(encoding="utf-8")
        except OSError as exc:
            raise TenantConfigError(
                f"{p}: cannot read tenant file: {exc.strerror or exc}", path=str(p)
            ) from exc
        try:
            doc = json.loads(text) if p.suffix.lower() == ".json" else yaml.safe_load(text)
        except (json.JSONDecodeError, yaml.YAMLError) as exc:
            raise TenantConfigError(
                f"{p}: not valid {'JSON' if p.suffix == '.json' else 'YAML'}: {exc}", path=str(p)
            ) from exc
        if doc is None:
            doc = {}
        if not isinstance(doc, dict):
            raise TenantConfigError(
                f"{p}: a tenant document must be a mapping, got {type(doc).__name__}", path=str(p)
            )
        if isinstance(doc.get("idp"), dict) and len(doc) > 1 and "apis" not in doc:
            doc = doc["idp"]  # a stack file's idp: section
        rebase_code_files(doc, p.parent)
        return cls.load(doc, source=str(p))

    @classmethod
    def load(cls, doc: dict[str, Any], *, source: str = "tenant") -> Tenant:
        """Validate a document; errors become one :class:`TenantConfigError` listing every bad key."""
        try:
            return cls.model_validate(doc)
        except ValidationError as exc:
            errors = format_validation_error(exc, cls)
            lines = "\n".join(f"  {e['loc']}: {e['msg']}" for e in errors)
            raise TenantConfigError(
                f"{source}: invalid tenant configuration:\n{lines}", path=source, errors=errors
            ) from exc

    # Lookups ---------------------------------------------------------------------------------------------

    def api_by_identifier(self, identifier: str | None) -> Api | None:
        """The API whose identifier is exactly ``identifier`` (see ``audience.find_api`` for the request rules)."""
        return next((a for a in self.apis if a.identifier == identifier), None) if identifier else None

    def client_by_name(self, name: str) -> Client | None:
        return next((c for c in self.clients if c.name == name), None)

    def user_by_email(self, email: str) -> User | None:
        low = email.strip().lower()
        return next((u for u in self.users if u.email.lower() == low), None)

    def user_by_id(self, user_id: str) -> User | None:
        return next((u for u in self.users if u.user_id == user_id), None)

    def user_permissions(self, user: User, api: Api) -> list[str]:
        perms = user.permissions.get(api.identifier)
        if perms is None:
            perms = user.permissions.get(api.name, [])
        return list(perms)


def _dupes(problems: list[str], section: str, values: list[str], key: str) -> None:
    seen: set[str] = set()
    for v in values:
        if v in seen:
            problems.append(f"{section}: duplicate {key} {v!r}")
        seen.add(v)
