"""The gateway settings model: the AWS `get-gateway` / `create-gateway` JSON shape plus one `emulator` section.

Shapes: https://docs.aws.amazon.com/bedrock-agentcore-control/latest/APIReference/API_GetGateway.html (top level),
API_GetGatewayTarget (each of `targets`), API_CreateOauth2CredentialProvider / API_CreateApiKeyCredentialProvider
(each of `credentialProviders`), API_CreatePolicyEngine + API_CreatePolicy (each of `policyEngines`). A user
pastes what AWS gave them; the AWS members are validated against botocore's service model (`validation.py`)
and AgentCore's own rules (`rules.py`). Everything AWS leaves undocumented is a knob of `Emulator`, never mixed
into the AWS members.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PrivateAttr,
    ValidationError,
    ValidationInfo,
    model_validator,
)
from pydantic_core import InitErrorDetails, PydanticCustomError

from fake_gateway.arns import gateway_arn, hash10, target_id
from fake_gateway.errors import (
    INSUFFICIENT_SCOPE_MESSAGE,
    INVALID_BEARER_TOKEN,
    MISSING_TOKEN_MESSAGES,
    SEARCH_TOOL_DESCRIPTION,
    SERVER_INFO,
    Issue,
)
from fake_gateway.notices import Notice, document_notices
from fake_gateway.rules import match_policy_engine, provider_kind, provider_matches, validate_document
from fake_gateway.shapes import Conversion, Options, convert, read_files

__all__ = [
    "ApiKeyProvider",
    "ClaimRule",
    "ControlApiKnobs",
    "Emulator",
    "Gateway",
    "InterceptorSpec",
    "JwtConfig",
    "McpConfig",
    "Metadata",
    "OAuthProvider",
    "Outbound",
    "PolicyEngineSpec",
    "PolicySpec",
    "ServerInfo",
    "TargetSpec",
    "View",
]

Alg = Literal["RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512"]


def _rs256_only() -> list[Alg]:
    return ["RS256"]


class ServerInfo(BaseModel):
    model_config = ConfigDict(extra="forbid")
    name: str = SERVER_INFO["name"]
    version: str = SERVER_INFO["version"]


class ControlApiKnobs(BaseModel):
    """Knobs of the emulated `bedrock-agentcore-control` API (fake_gateway/control_api)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    enabled: bool = True
    """Serve the control-plane API (CreateGateway, ...) on the gateway's port; off: Coral UnknownOperation."""
    transitionSeconds: float = Field(default=0, ge=0, le=3600)
    """CREATING/UPDATING last this long on the service clock before READY (AWS: seconds; UNKNOWN exactly)."""
    credentialProviderArnService: Literal["bedrock-agentcore", "acps"] = "bedrock-agentcore"
    """Service part of credential-provider ARNs: bedrock-agentcore (OBSERVED in users' configs) or acps (the
    botocore model's pattern)."""


class Emulator(BaseModel):
    """Knobs for what AWS leaves undocumented (sheet §11), plus emulator plumbing. Each default cites its basis:
    the docstring under a knob is its description (pydantic's `use_attribute_docstrings`)."""

    model_config = ConfigDict(extra="forbid", use_attribute_docstrings=True)

    # --- identity and the emulator itself
    region: str = "us-east-1"
    """Region for derived ARNs when the document has no gatewayArn."""
    accountId: str = Field(default="123456789012", pattern=r"^\d{12}$")
    """Account for derived ARNs."""
    publicUrl: str | None = None
    """Origin used in PRM/challenges; default: the request's Host."""
    prmResource: str | None = None
    """Override the PRM `resource` (default `<origin>/mcp`)."""
    prmAuthorizationServers: Literal["discovery-issuer", "discovery-url", "discovery-url-slash"] = "discovery-issuer"
    """PRM `authorization_servers`: the discovery `issuer` (INFERRED from the SAMPLE captures), or derived from
    discoveryUrl without (`discovery-url`) or with (`discovery-url-slash`) a trailing slash (UNKNOWN; fake_gateway/prm.py)."""
    controlPlane: bool = True
    """Serve /_authstage/ (off: those paths answer like unknown paths)."""
    reasonHeader: bool = False
    """Opt-in: refusals carry their reason in an X-Authstage-Reason response header (AgentCore sends none)."""
    applicationLogFile: str | None = None
    """Also append APPLICATION_LOGS records here (JSON lines)."""
    logRecordsMax: int = Field(default=5000, ge=10)
    """Records kept in memory per log."""

    # --- inbound authorizer (sheet §3, §4: UNKNOWN/INFERRED facts)
    missingTokenMessage: str = Field(
        default=INVALID_BEARER_TOKEN,
        description=f"401 body message when no token was sent (UNKNOWN; candidates: {list(MISSING_TOKEN_MESSAGES)}).",
    )
    errorId: Literal["omit", "null", "string-null"] = "omit"
    """`id` of 401/403 bodies."""
    issuerMismatchStatus: Literal[401, 403] = 403
    """Status for an iss/key mismatch (REPORTED 403 insufficient_scope, U5/U6/U23)."""
    customClaimsFailureStatus: Literal[401, 403] = 401
    """Status when a customClaims rule fails."""
    insufficientScopeMessage: str = INSUFFICIENT_SCOPE_MESSAGE
    """403 body message (UNKNOWN)."""
    legacyChallenge: bool = False
    """Aug-2025 challenge: only resource_metadata (OBSERVED)."""
    algorithms: list[Alg] = Field(default_factory=_rs256_only, min_length=1)
    """Accepted JWS algs."""
    requireKid: bool = False
    """Reject kid-less tokens even when the JWKS has one key."""
    requireExp: bool = True
    """Reject tokens without `exp`."""
    leewaySeconds: float = Field(default=0, ge=0, le=3600)
    """Clock skew allowed on exp/nbf/iat."""
    rejectFutureIat: bool = True
    """iat after now + leeway -> 401 (UNKNOWN for AgentCore; AWS API Gateway's JWT authorizer: 'iat - Must be before the current time in UTC')."""
    jwksCacheSeconds: float = Field(default=3600, ge=0)
    """Discovery+JWKS cache TTL (API GW analogy: 1 h)."""
    jwksRefetchMinIntervalSeconds: float = Field(default=5, ge=0)
    """At most one refetch on unknown kid per this."""
    jwksFetchTimeoutSeconds: float = Field(default=10, gt=0, le=300)
    """Timeout of each discovery / JWKS fetch (UNKNOWN); then 401, never a hang."""
    discoveryUrlRule: Literal["model", "devguide"] = "model"
    r"""model: botocore's DiscoveryUrl pattern; devguide: ^.+/\.well-known/openid-configuration$"""
    authenticateOnlyMode: Literal["jwt", "sigv4"] = "jwt"
    """AUTHENTICATE_ONLY per gateway-create-api (jwt) or gateway-inbound-auth (sigv4)."""
    iamPrincipalArn: str = "arn:aws:sts::123456789012:assumed-role/authstage-caller/authstage"
    """Principal assumed for a SigV4-shaped request (signatures are not verified)."""

    # --- token syntax: strict by default (AgentCore UNKNOWN); each lenient reading is a knob (authstage_kit.jwtsyntax)
    scopeSeparator: Literal["space", "whitespace"] = "space"
    """space: RFC 6749 §3.3, scope-tokens separated by single spaces (TAB, LF, NBSP, \\x1f join, not split);
    whitespace: any Unicode whitespace separates and array members are stringified (Python's str.split)."""
    audienceMembers: Literal["strings", "any"] = "strings"
    """strings: RFC 7519 §4.1.3, an `aud` array with a non-string member is malformed (401); any: members are
    stringified and one match passes."""
    numericDates: Literal["calendar", "any"] = "calendar"
    """calendar: exp/nbf/iat must fall in 1970..9999 (`exp: 2**64` or `1e300` is malformed, 401); any: any
    finite number (a far-future exp passes)."""
    critHeader: Literal["reject", "understood"] = "reject"
    """reject: any `crit` header, `[]` included, refuses the token (RFC 7515 §4.1.11: no extension is understood);
    understood: only a `crit` the JOSE library does not understand is refused (`crit: []` passes)."""

    # --- MCP front (sheet §6)
    defaultSupportedVersions: list[str] = ["2025-03-26", "2025-06-18", "2025-11-25"]
    """supportedVersions when protocolConfiguration.mcp has none."""
    missingProtocolVersionHeader: Literal["assume-2025-03-26", "reject"] = "assume-2025-03-26"
    """MCP spec: assume 2025-03-26; REPORTED: 400."""
    unsupportedInitializeVersion: Literal["negotiate", "reject"] = "negotiate"
    """initialize with a version outside supportedVersions: negotiate down or -32602."""
    serverInfo: ServerInfo = Field(default_factory=ServerInfo)
    """initialize serverInfo (DOC example)."""
    serverInfoMeta: Literal["every-result", "discover-only", "none"] = "every-result"
    """2026-07-28: where `_meta["io.modelcontextprotocol/serverInfo"]` is sent (spec: SHOULD on every response;
    AgentCore UNKNOWN)."""
    toolsPageSize: int = Field(default=100, ge=1, le=10000)
    """tools/list page size (UNKNOWN)."""
    unknownToolResponse: Literal["jsonrpc", "http404"] = "jsonrpc"
    """jsonrpc: 200 -32602 'Unknown tool: x'; http404: DOC ResourceNotFoundError."""
    policyDenialResponse: Literal["isError", "jsonrpc-error"] = "isError"
    """How an enforced policy deny reaches the caller. Sources conflict: isError (DOC use-gateway-with-policy: a
    200 result with isError: true, "AuthorizeActionException - Tool Execution Denied: …"); jsonrpc-error (third-party
    captures: HTTP 200 with JSON-RPC error -32002 "Tool Execution Denied: …")."""
    targetToolErrors: Literal["mask", "pass-through"] = "mask"
    """A target result with isError: masked like any target failure, or passed through."""
    searchToolDescription: str = SEARCH_TOOL_DESCRIPTION
    """Search tool description (UNKNOWN)."""
    searchMaxResults: int = Field(default=10, ge=1, le=100)
    """DOC: up to 10 results."""
    maxRequestBytes: int = Field(default=1_048_576, ge=1024)
    """Larger bodies get 413 (UNKNOWN limit)."""
    maxJsonDepth: int = Field(default=64, ge=2, le=300)
    """Bodies nested deeper get 400 -32700 (UNKNOWN; Jackson's default is 1000)."""
    strictAccept: bool = False
    """406 unless Accept allows JSON (SDK servers are strict)."""

    # --- targets and outbound credentials (sheet §7)
    allowHttpLoopbackEndpoints: bool = True
    """Accept http://127.0.0.1 target/IdP endpoints."""
    enforceTargetAuthMatrix: bool = False
    """Reject outbound auth AWS does not offer for mcpServer."""
    targetTimeoutSeconds: float = Field(default=30, gt=0)
    """Per target call."""
    syncOnStartup: bool = True
    """Synchronize DEFAULT targets when the app starts."""
    retryFailedSync: bool = True
    """Retry a FAILED target's sync on the next tools/list."""
    outboundTokenRefreshMarginSeconds: float = Field(default=60, ge=0)
    """Refresh cached target tokens early."""
    apiKeyDefaultParameterName: str = "Authorization"
    """credentialParameterName default."""

    # --- local stand-ins for what a real gateway reaches in AWS (sheet §7, §7.5)
    lambdaFunctions: dict[str, str] = Field(default_factory=dict)
    """Lambda ARN or function name -> local handler: 'module:function', 'path/file.py:function', an http(s) URL
    (Lambda Invoke API), 'echo' or 'passthrough'. Unlisted Lambda targets echo; unlisted interceptors pass through."""
    targetBaseUrls: dict[str, str] = Field(default_factory=dict)
    """Target name -> base URL its OpenAPI / API Gateway calls go to (default: the schema's servers[0].url)."""
    schemaFiles: dict[str, str] = Field(default_factory=dict)
    """s3:// URI (or API Gateway 'restApiId/stage') -> local file with the schema AWS would read there."""

    # --- the bedrock-agentcore-control API on this port (fake_gateway/control_api, docs/control-api.md)
    controlApi: ControlApiKnobs = Field(default_factory=lambda: ControlApiKnobs())
    """The control-plane API: on/off, status transitions, ARN forms."""



# --- typed views of the validated AWS document ----------------------------------------------------------


@dataclass(frozen=True)
class ClaimRule:
    claim: str
    value_type: str  # STRING | STRING_ARRAY
    operator: str  # EQUALS | CONTAINS | CONTAINS_ANY
    value: str | None
    values: tuple[str, ...] | None


@dataclass(frozen=True)
class JwtConfig:
    discovery_url: str
    audiences: tuple[str, ...] | None
    clients: tuple[str, ...] | None
    scopes: tuple[str, ...] | None
    scope_mapping: dict[str, str]
    claims: tuple[ClaimRule, ...]
    authenticate_only: bool = False

    @property
    def advertised_scopes(self) -> list[str]:
        return [self.scope_mapping.get(s, s) for s in self.scopes or ()]


@dataclass(frozen=True)
class McpConfig:
    versions: tuple[str, ...]
    instructions: str | None
    search: bool
    session_timeout: int | None
    streaming: bool
    paginate: bool


@dataclass(frozen=True)
class OAuthProvider:
    name: str
    vendor: str
    token_endpoint: str | None
    discovery_url: str | None
    client_id: str | None
    client_secret: str | None
    auth_method: str  # client_secret_basic | client_secret_post


@dataclass(frozen=True)
class ApiKeyProvider:
    name: str
    api_key: str | None


@dataclass(frozen=True)
class Outbound:
    kind: str  # none | OAUTH | API_KEY | GATEWAY_IAM_ROLE | CALLER_IAM_CREDENTIALS | JWT_PASSTHROUGH
    grant: str | None = None
    scopes: tuple[str, ...] = ()
    custom: dict[str, str] = field(default_factory=dict)
    oauth: OAuthProvider | None = None
    api_key: ApiKeyProvider | None = None
    location: str = "HEADER"
    parameter: str = "Authorization"
    prefix: str | None = None


@dataclass(frozen=True)
class Metadata:
    """metadataConfiguration: what is propagated between client and target (DOC gateway-headers)."""

    request_headers: tuple[str, ...] = ()
    response_headers: tuple[str, ...] = ()
    query_parameters: tuple[str, ...] = ()


@dataclass(frozen=True)
class TargetSpec:
    name: str
    target_id: str
    kind: str  # mcpServer | lambda | openApiSchema | smithyModel | apiGateway | (others are not served)
    endpoint: str | None
    listing_mode: str
    outbound: Outbound
    description: str | None
    config: str = "{}"  # the JSON of targetConfiguration.mcp.<kind> (frozen: compared to keep catalogues)
    metadata: Metadata = field(default_factory=Metadata)

    @property
    def block(self) -> dict[str, Any]:
        value: dict[str, Any] = json.loads(self.config)
        return value


@dataclass(frozen=True)
class PolicySpec:
    policy_id: str
    name: str
    statement: str
    active: bool


@dataclass(frozen=True)
class PolicyEngineSpec:
    arn: str
    mode: str  # ENFORCE | LOG_ONLY
    policies: tuple[PolicySpec, ...]


@dataclass(frozen=True)
class InterceptorSpec:
    """One interceptorConfigurations entry (DOC gateway-interceptors-types)."""

    arn: str
    points: tuple[str, ...]
    pass_headers: bool


@dataclass(frozen=True)
class View:
    name: str
    gateway_id: str
    arn: str
    region: str
    account: str
    authorizer_type: str
    jwt: JwtConfig | None
    mcp: McpConfig
    debug: bool
    targets: tuple[TargetSpec, ...]
    policy: PolicyEngineSpec | None
    interceptors: tuple[InterceptorSpec, ...] = ()

    def target(self, name: str) -> TargetSpec | None:
        return next((t for t in self.targets if t.name == name), None)


class _Sections(BaseModel):
    """Our sections beside the AWS members (checked by pydantic; the AWS members by validate_document)."""

    model_config = ConfigDict(extra="allow")

    targets: list[dict[str, Any]] = Field(default_factory=list)
    credentialProviders: list[dict[str, Any]] = Field(default_factory=list)
    policyEngines: list[dict[str, Any]] = Field(default_factory=list)
    emulator: Emulator = Field(default_factory=Emulator)


class Gateway(_Sections):
    """One gateway: AWS members at the top level (validated against the service model), plus our sections.

    `from_document` / `from_file` / `from_files` accept every shape of shapes/ (get-gateway output, templates,
    Terraform, ...): the document is converted to the API shape, then validated with every problem in one
    ValidationError; `notices` says what was converted, ignored or deserves a warning."""

    _view: View = PrivateAttr()
    _notices: list[Notice] = PrivateAttr(default_factory=list)

    @model_validator(mode="wrap")
    @classmethod
    def _validate_aws(cls, data: Any, handler: Any, info: ValidationInfo) -> Any:
        """The AWS members first: a document with AWS problems is never built (its view could not be)."""
        issues: list[Issue] = []
        if isinstance(data, dict):
            raw = data.get("emulator")
            issues = validate_document(data, raw if isinstance(raw, dict) else {})
        errors = [_issue_error(issue) for issue in issues]
        model = None
        try:
            if issues:
                _Sections.model_validate(data)
            else:
                model = handler(data)
        except ValidationError as exc:
            errors.extend(_pydantic_error(e) for e in exc.errors(include_url=False))
        if errors:
            raise ValidationError.from_exception_data(cls.__name__, errors)
        return model

    def model_post_init(self, context: Any) -> None:
        self._view = _build_view(self)
        converted = context.get("notices", []) if isinstance(context, dict) else []
        self._notices = [*converted, *document_notices(self.to_document())]

    # --- loading and saving

    @classmethod
    def from_document(cls, document: Any, options: Options | None = None) -> Gateway:
        """A gateway from any pasted shape (a dict); ValidationError naming every problem."""
        return cls.from_conversion(convert(document, options))

    @classmethod
    def from_file(cls, path: str | Path, options: Options | None = None) -> Gateway:
        """A JSON or YAML file of any shape (relative references are read beside it)."""
        return cls.from_files([path], options)

    @classmethod
    def from_files(cls, paths: list[str | Path], options: Options | None = None) -> Gateway:
        """A gateway document plus its separately saved targets, providers and Cedar files."""
        return cls.from_conversion(read_files(paths, options))

    @classmethod
    def from_conversion(cls, conversion: Conversion) -> Gateway:
        if conversion.issues:
            raise ValidationError.from_exception_data(cls.__name__, [_issue_error(i) for i in conversion.issues])
        return cls.model_validate(conversion.document, context={"notices": conversion.notices})

    def to_document(self) -> dict[str, Any]:
        """The whole document as JSON-able data (AWS members first); round-trips through from_document."""
        aws = dict(self.model_extra or {})
        doc: dict[str, Any] = json.loads(json.dumps(aws, default=str))
        if self.targets:
            doc["targets"] = self.targets
        if self.credentialProviders:
            doc["credentialProviders"] = self.credentialProviders
        if self.policyEngines:
            doc["policyEngines"] = self.policyEngines
        doc["emulator"] = self.emulator.model_dump(mode="json")
        return doc

    def to_json(self, **kwargs: Any) -> str:
        return json.dumps(self.to_document(), **kwargs)

    @property
    def view(self) -> View:
        """Typed, resolved view of the AWS members (read-only)."""
        return self._view

    @property
    def notices(self) -> list[Notice]:
        """What loading converted, and every accepted member the emulator does not act on (notices.py)."""
        return list(self._notices)

    def aws(self, key: str, default: Any = None) -> Any:
        return (self.model_extra or {}).get(key, default)


def _issue_error(issue: Issue) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("ValidationException", "{msg}", {"msg": issue.message}),
        loc=(issue.path,) if issue.path else (),
        input=None,
    )


def _pydantic_error(error: Any) -> InitErrorDetails:
    return InitErrorDetails(
        type=PydanticCustomError("config", "{msg}", {"msg": error["msg"]}),
        loc=error["loc"],
        input=error.get("input"),
    )


def _build_view(gateway: Gateway) -> View:
    extra = gateway.model_extra or {}
    knobs = gateway.emulator
    name = str(extra.get("name", "gateway"))
    identifier = str(extra.get("gatewayIdentifier") or "")
    gateway_id = str(
        extra.get("gatewayId")
        or (identifier.rsplit("/", 1)[-1] if identifier else "")
        or f"{name.lower()}-{hash10(name)}"
    )
    arn = str(
        extra.get("gatewayArn")
        or (identifier if identifier.startswith("arn:") else "")
        or gateway_arn(knobs.region, knobs.accountId, gateway_id)
    )
    parts = arn.split(":")
    region = parts[3] if len(parts) > 5 and parts[3] else knobs.region
    account = parts[4] if len(parts) > 5 and parts[4] else knobs.accountId
    authorizer_type = str(extra.get("authorizerType", "NONE"))
    return View(
        name,
        gateway_id,
        arn,
        region,
        account,
        authorizer_type,
        _jwt_view(extra, authorizer_type),
        _mcp_view(extra, knobs),
        extra.get("exceptionLevel") == "DEBUG",
        tuple(_target_view(t, gateway) for t in gateway.targets),
        _policy_view(extra, gateway),
        tuple(_interceptor_view(i) for i in extra.get("interceptorConfigurations") or []),
    )


def _interceptor_view(doc: dict[str, Any]) -> InterceptorSpec:
    return InterceptorSpec(
        str(((doc.get("interceptor") or {}).get("lambda") or {}).get("arn", "")),
        tuple(doc.get("interceptionPoints") or ()),
        bool((doc.get("inputConfiguration") or {}).get("passRequestHeaders")),
    )


def _jwt_view(extra: dict[str, Any], authorizer_type: str) -> JwtConfig | None:
    """authorizerConfiguration.customJWTAuthorizer of a CUSTOM_JWT / AUTHENTICATE_ONLY gateway."""
    config = extra.get("authorizerConfiguration") or {}
    raw = config.get("customJWTAuthorizer") if isinstance(config, dict) else None
    if not isinstance(raw, dict) or authorizer_type not in ("CUSTOM_JWT", "AUTHENTICATE_ONLY"):
        return None
    rules = []
    for rule in raw.get("customClaims") or []:
        match = rule["authorizingClaimMatchValue"]
        value = match["claimMatchValue"]
        lst = value.get("matchValueStringList")
        rules.append(
            ClaimRule(
                rule["inboundTokenClaimName"],
                rule["inboundTokenClaimValueType"],
                match["claimMatchOperator"],
                value.get("matchValueString"),
                tuple(lst) if lst is not None else None,
            )
        )

    def opt(key: str) -> tuple[str, ...] | None:
        return tuple(raw[key]) if raw.get(key) else None

    return JwtConfig(
        raw["discoveryUrl"],
        opt("allowedAudience"),
        opt("allowedClients"),
        opt("allowedScopes"),
        dict(raw.get("advertisedScopeMapping") or {}),
        tuple(rules),
        authenticate_only=authorizer_type == "AUTHENTICATE_ONLY",
    )


def _mcp_view(extra: dict[str, Any], knobs: Emulator) -> McpConfig:
    """protocolConfiguration.mcp (DOC gateway-using, gateway-sessions, gateway-mcp-streaming)."""
    protocol = extra.get("protocolConfiguration") or {}
    mcp = protocol.get("mcp") or {} if isinstance(protocol, dict) else {}
    session = mcp.get("sessionConfiguration")
    return McpConfig(
        versions=tuple(mcp.get("supportedVersions") or knobs.defaultSupportedVersions),
        instructions=mcp.get("instructions"),
        search=mcp.get("searchType") == "SEMANTIC",
        session_timeout=int(session.get("sessionTimeoutInSeconds") or 3600)
        if isinstance(session, dict)
        else None,
        streaming=bool((mcp.get("streamingConfiguration") or {}).get("enableResponseStreaming")),
        paginate=not mcp.get("disableMcpListToolsPagination", False),
    )


def _policy_view(extra: dict[str, Any], gateway: Gateway) -> PolicyEngineSpec | None:
    """The policy engine policyEngineConfiguration.arn names, with its Cedar policies (DOC use-gateway-with-policy)."""
    engine_ref = extra.get("policyEngineConfiguration")
    if not isinstance(engine_ref, dict) or not engine_ref.get("arn"):
        return None
    engine = match_policy_engine(gateway.policyEngines, engine_ref["arn"])
    policies = []
    for doc in (engine or {}).get("policies") or []:
        definition = doc.get("definition") or {}
        statement = (definition.get("cedar") or definition.get("policy") or {}).get("statement")
        if not statement:
            continue
        pname = str(doc["name"])
        policies.append(
            PolicySpec(
                str(doc.get("policyId") or f"{pname}-{hash10(pname)}"),
                pname,
                statement,
                doc.get("enforcementMode", "ACTIVE") != "LOG_ONLY",
            )
        )
    return PolicyEngineSpec(engine_ref["arn"], engine_ref.get("mode", "ENFORCE"), tuple(policies))


def _target_view(doc: dict[str, Any], gateway: Gateway) -> TargetSpec:
    name = str(doc["name"])
    config = doc.get("targetConfiguration") or {}
    mcp = config.get("mcp") or {}
    kind = next(iter(mcp), None) or next(iter(config), "unknown")
    block = mcp.get(kind) if isinstance(mcp.get(kind), dict) else {}
    server = mcp.get("mcpServer") or {}
    outbound = Outbound("none")
    for cred in doc.get("credentialProviderConfigurations") or []:
        outbound = _outbound_view(cred, gateway)
    meta = doc.get("metadataConfiguration") or {}
    return TargetSpec(
        name,
        str(doc.get("targetId") or target_id(name)),
        kind,
        server.get("endpoint"),
        server.get("listingMode", "DEFAULT"),
        outbound,
        doc.get("description"),
        config=json.dumps(block, sort_keys=True),
        metadata=Metadata(
            tuple(meta.get("allowedRequestHeaders") or ()),
            tuple(meta.get("allowedResponseHeaders") or ()),
            tuple(meta.get("allowedQueryParameters") or ()),
        ),
    )


def _outbound_view(cred: dict[str, Any], gateway: Gateway) -> Outbound:
    kind = cred["credentialProviderType"]
    inner = cred.get("credentialProvider") or {}
    if kind == "OAUTH":
        block = inner["oauthCredentialProvider"]
        provider = _find_provider(gateway, block["providerArn"])
        return Outbound(
            kind,
            grant=block.get("grantType", "CLIENT_CREDENTIALS"),
            scopes=tuple(block.get("scopes") or ()),
            custom=dict(block.get("customParameters") or {}),
            oauth=_oauth_view(provider),
        )
    if kind == "API_KEY":
        block = inner["apiKeyCredentialProvider"]
        provider = _find_provider(gateway, block["providerArn"]) or {}
        return Outbound(
            kind,
            api_key=ApiKeyProvider(str(provider.get("name", "")), provider.get("apiKey")),
            location=block.get("credentialLocation", "HEADER"),
            parameter=block.get("credentialParameterName") or gateway.emulator.apiKeyDefaultParameterName,
            prefix=block.get("credentialPrefix"),
        )
    return Outbound(kind)


def _find_provider(gateway: Gateway, reference: str) -> dict[str, Any] | None:
    return next((p for p in gateway.credentialProviders if provider_matches(p, reference)), None)


def _oauth_view(doc: dict[str, Any] | None) -> OAuthProvider | None:
    if doc is None or provider_kind(doc) != "oauth2":
        return None
    config_union = doc.get("oauth2ProviderConfigInput") or doc.get("oauth2ProviderConfigOutput") or {}
    config: dict[str, Any] = next(iter(config_union.values()), {}) if config_union else {}
    discovery = config.get("oauthDiscovery") or {}
    metadata = discovery.get("authorizationServerMetadata") or {}
    methods = metadata.get("tokenEndpointAuthMethods") or []
    explicit = config.get("clientAuthenticationMethod")
    if explicit in ("CLIENT_SECRET_POST", "CLIENT_SECRET_BASIC"):
        method = explicit.lower()
    else:
        # RFC 6749 §2.3.1: servers MUST support basic; the first listed method otherwise.
        method = methods[0] if methods else "client_secret_basic"
    return OAuthProvider(
        name=str(doc["name"]),
        vendor=str(doc.get("credentialProviderVendor", "CustomOauth2")),
        token_endpoint=metadata.get("tokenEndpoint") or config.get("tokenEndpoint"),
        discovery_url=discovery.get("discoveryUrl"),
        client_id=config.get("clientId"),
        client_secret=config.get("clientSecret"),
        auth_method=method,
    )
