"""Every exact string the fake AgentCore gateway sends, each with its source, and the exceptions that carry them.

Sources are the sections of `shared/reference/agentcore-gateway.md` (the "sheet") and the public documents they
cite. Tags: DOC (AWS developer guide / API reference), SAMPLE (awslabs sample repos), OBSERVED (a third-party
capture of a real gateway), REPORTED, INFERRED (our default, behind a knob where it matters).

Exception tree (each error owns its status, headers, body and log reason; `app.py`'s one handler renders them):

* GatewayError
  x AuthError                     - 401/403 from the inbound authorizer: the -32001 body
    + InvalidTokenError           - 401 `WWW-Authenticate: Bearer error="invalid_token", ...`
    + InsufficientScopeError      - 403 `WWW-Authenticate: Bearer error="insufficient_scope", ...`
    + MissingAuthenticationToken  - 401 of an AWS_IAM gateway, no challenge
  x JsonRpcHttpError              - a JSON-RPC error at a non-200 (or 200) HTTP status, before or during dispatch
  x UnknownOperation              - any path the gateway does not serve: the Coral UnknownOperationException body
* Failure                         - a target / credential / Lambda / interceptor failed; its reason is for logs and DEBUG

Config validation problems are `Issue`s (AWS ValidationException wording), raised by pydantic in settings.py.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

__all__ = [
    "AT_LEAST_ONE_CHECK",
    "AUTH_ERROR_CODE",
    "BATCH_NOT_SUPPORTED",
    "BODY_TOO_LARGE",
    "CLAIM_OPERATOR_ARRAY",
    "CLAIM_OPERATOR_STRING",
    "CLAIM_VALUE_LIST",
    "CREDENTIAL_PROVIDER_MISSING",
    "C_ENUM",
    "C_MAX_LEN",
    "C_MAX_VAL",
    "C_MIN_LEN",
    "C_MIN_VAL",
    "C_NOT_NULL",
    "C_PATTERN",
    "C_TYPE",
    "DISCOVERY_JWKS",
    "DISCOVERY_SUGGESTION",
    "DISCOVERY_URL_DEVGUIDE",
    "ERROR_INSUFFICIENT_SCOPE",
    "ERROR_INVALID_TOKEN",
    "FOREIGN_KEYS",
    "IAM_AUTH_MESSAGE",
    "INSUFFICIENT_SCOPE_MESSAGE",
    "INTERNAL_ERROR",
    "INTERNAL_ERROR_TEXT",
    "INVALID_BEARER_TOKEN",
    "INVALID_PARAMS",
    "INVALID_REQUEST",
    "KNOWN_MCP_VERSIONS",
    "LOG_AUTH_FAILED",
    "LOG_FAILED",
    "LOG_STARTED",
    "LOG_SUCCEEDED",
    "METHOD_NOT_ALLOWED",
    "METHOD_NOT_FOUND",
    "MISSING_SESSION",
    "MISSING_TOKEN_MESSAGES",
    "MODERN_VERSIONS",
    "NOT_ACCEPTABLE",
    "PARSE_ERROR",
    "POLICY_DEFAULT_DENY",
    "POLICY_DENIED_CODE",
    "POLICY_DENIED_PREFIX",
    "POLICY_FORBID",
    "PRM_PATH",
    "RESOURCE_NOT_FOUND_TEXT",
    "SEARCH_TOOL_DESCRIPTION",
    "SEARCH_TOOL_INPUT_SCHEMA",
    "SEARCH_TOOL_NAME",
    "SERVER_INFO",
    "UNION_COUNT",
    "UNKNOWN_MEMBER",
    "UNKNOWN_OPERATION_JSON",
    "UNKNOWN_OPERATION_STATUS",
    "UNKNOWN_OPERATION_XML",
    "UNKNOWN_SESSION",
    "UNKNOWN_TOOL",
    "UNREADABLE",
    "UNSUPPORTED_INITIALIZE_VERSION",
    "UNSUPPORTED_MEDIA_TYPE",
    "UNSUPPORTED_PROTOCOL_VERSION",
    "UNSUPPORTED_VERSION_HEADER",
    "USER_AGENT",
    "VALUE_CONSTRAINT",
    "VALUE_CONSTRAINT_SENSITIVE",
    "AuthError",
    "BearerChallenge",
    "Failure",
    "GatewayError",
    "InsufficientScopeError",
    "InvalidTokenError",
    "Issue",
    "JsonRpcHttpError",
    "MissingAuthenticationToken",
    "UnknownOperation",
]

# --- Inbound authorizer (sheet §4.1, §4.2, §4.3) -----------------------------------------------------------

# OBSERVED: zytbeyond/agentcore-tacnode-demo Archive_20250816/FINAL_AUTHENTICATION_EXPLANATION.md and
# BharatDeepanTR/enhanced-it-helpdesk-mcp-server AUTHENTICATION-TROUBLESHOOTING.md; SAMPLE: awslabs/
# amazon-bedrock-agentcore-samples 02-use-cases/04-SRE-agent/docs/auth.md ("HTTP 401 with Invalid Bearer token").
# UNKNOWN: the User-Agent AgentCore sends to IdPs and targets is not documented (sheet §11). Ours names the
# emulator, so a replay's traffic diagram can tell the gateway's calls from the client's.
USER_AGENT = "authstage-gateway/0.1"

INVALID_BEARER_TOKEN = "Invalid Bearer token"
# OBSERVED (same captures): the JSON-RPC code of the 401 body.
AUTH_ERROR_CODE = -32001
# Sheet §4.2: the body when *no* token was sent is UNKNOWN for the gateway. The knob
# `emulator.missingTokenMessage` picks one of these; default INVALID_BEARER_TOKEN.
#  - "Missing Authentication Token": AgentCore *Runtime* capture (sheet §4.2, ref 70884643623) [OBSERVED, Runtime]
#  - "Missing Bearer token": named in the issue brief, never found in a capture [UNKNOWN]
MISSING_TOKEN_MESSAGES = ("Invalid Bearer token", "Missing Authentication Token", "Missing Bearer token")
# Sheet §4.3: the 403 insufficient_scope body is UNKNOWN; INFERRED default (knob `insufficientScopeMessage`).
INSUFFICIENT_SCOPE_MESSAGE = "Insufficient scope"
# DOC gateway-inbound-auth "Scope advertisement in authentication challenges"; SAMPLE okta/entra gateway.md:
#   www-authenticate: Bearer error="invalid_token", scope="access_as_user", resource_metadata="https://…"
# Parameter order as observed: error, scope, resource_metadata. scope omitted when none configured [INFERRED].
ERROR_INVALID_TOKEN = "invalid_token"
ERROR_INSUFFICIENT_SCOPE = "insufficient_scope"
# OBSERVED (tacnode, Aug 2025): `www-authenticate: Bearer resource_metadata="https://…"` — no error, no scope
# (knob `legacyChallenge`).
PRM_PATH = "/.well-known/oauth-protected-resource"
# AWS_IAM gateways: the body for an unsigned / non-SigV4 request is UNKNOWN (sheet U15 reports only "401");
# INFERRED: the -32001 shape with the Runtime's missing-credential text (sheet §4.2, ref 70884643623).
IAM_AUTH_MESSAGE = "Missing Authentication Token"


# --- Coral: every path the gateway does not serve (sheet §1, U12, U13) ------------------------------------

# OBSERVED awslabs/agentcore-samples#1056: GET /.well-known/oauth-authorization-server -> this body.
UNKNOWN_OPERATION_XML = "<UnknownOperationException/>"
# OBSERVED awslabs/agentcore-samples#1056: POST /register -> this body.
UNKNOWN_OPERATION_JSON: dict[str, Any] = {
    "Output": {"__type": "com.amazon.coral.service#UnknownOperationException"}
}
# REPORTED (BharatDeepanTR "MCP Client Implementation Summary"): GET /mcp/tools -> 404 with the XML body.
# The status of the other two captures was not given; INFERRED 404 for all.
UNKNOWN_OPERATION_STATUS = 404

# --- JSON-RPC errors of the MCP endpoint (sheet §4.4 "Emulator defaults [INFERRED]", MCP spec §1.8) ---------

PARSE_ERROR = (-32700, "Parse error")  # INFERRED, HTTP 400
INVALID_REQUEST = (-32600, "Invalid Request")  # INFERRED, HTTP 400
METHOD_NOT_FOUND = (-32601, "Method not found")  # INFERRED, HTTP 200
INVALID_PARAMS = (-32602, "Invalid params")  # JSON-RPC 2.0 §5.1; INFERRED, HTTP 200
# JSON-RPC 2.0 §5.1 "Internal error"; how AgentCore answers a failing interceptor is UNKNOWN (INFERRED: HTTP 200,
# this code, the generic target-failure text unless exceptionLevel DEBUG).
INTERNAL_ERROR = (-32603, "Internal error")
# INFERRED, HTTP 200. The text is the one a user reported (U14, kawanishi0117/agentcore-hands-on
# docs/TROUBLESHOOTING.md: "Error: Unknown tool: kb_search"); -32602 is the MCP spec's code (server/tools).
UNKNOWN_TOOL = (-32602, "Unknown tool: {name}")
# DOC gateway-using-mcp-call "Errors": ResourceNotFoundError 404 "The specified tool does not exist."
# (knob `unknownToolResponse: http404`; the JSON-RPC body around it is INFERRED).
RESOURCE_NOT_FOUND_TEXT = "ResourceNotFoundError: The specified tool does not exist."
# INFERRED, wording of the MCP Python SDK's streamable-HTTP server (mcp/server/streamable_http.py).
UNSUPPORTED_MEDIA_TYPE = (-32600, "Unsupported Media Type: Content-Type must be application/json")
NOT_ACCEPTABLE = (-32600, "Not Acceptable: Client must accept application/json")
MISSING_SESSION = (-32600, "Bad Request: Missing session ID")  # DOC gateway-sessions: status 400
UNKNOWN_SESSION = (-32600, "Not Found: Invalid or expired session ID")  # DOC gateway-sessions: status 404
BATCH_NOT_SUPPORTED = (
    -32600,
    "Invalid Request: JSON-RPC batches are not supported",
)  # MCP 2025-06-18 removed batching
BODY_TOO_LARGE = (
    -32600,
    "Request body too large: {size} bytes exceeds the limit of {limit} bytes",
)  # INFERRED, 413
# REPORTED (sheet §6.1, id 61384950805): missing/unsupported MCP-Protocol-Version -> 400. Wording INFERRED (SDK's).
UNSUPPORTED_VERSION_HEADER = (
    -32600,
    "Bad Request: Unsupported protocol version: {version}. Supported versions: {supported}",
)
# MCP 2026-07-28 (mcp_types.jsonrpc UNSUPPORTED_PROTOCOL_VERSION / HEADER_MISMATCH; mcp.shared.inbound wording).
UNSUPPORTED_PROTOCOL_VERSION = (-32022, "Unsupported protocol version")
# DOC gateway-using-mcp-list: initialize with a version outside supportedVersions (knob `unsupportedInitializeVersion: reject`).
UNSUPPORTED_INITIALIZE_VERSION = (
    -32602,
    "Unsupported protocol version: {version}. Supported versions: {supported}",
)
METHOD_NOT_ALLOWED = (
    -32600,
    "Method Not Allowed",
)  # INFERRED (sheet §6.3: 405 for GET /mcp), header Allow: POST

# --- tools/call results (sheet §6.6, §8) ------------------------------------------------------------------

# DOC gateway-debug-messages (exceptionLevel unset): the text of every target failure.
INTERNAL_ERROR_TEXT = "An internal error occurred. Please retry later."
# DOC use-gateway-with-policy: a default deny.
POLICY_DEFAULT_DENY = (
    "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
    "[No policy applies to the request (denied by default).]"
)
# OBSERVED (sheet §8, ref 70884643623, policy id truncated in the source): an explicit forbid.
POLICY_FORBID = (
    "AuthorizeActionException - Tool Execution Denied: Tool call not allowed due to policy enforcement "
    "[Policy evaluation denied due to {policy_id}]"
)
# Knob policyDenialResponse: jsonrpc-error. Sources conflict: the DOC (above) shows the isError result;
# third-party captures (issue 18's sample of fidelity rows) show HTTP 200 with a JSON-RPC error -32002 whose
# message is the same text without the exception name. The code and that message shape are what they showed.
POLICY_DENIED_CODE = -32002
POLICY_DENIED_PREFIX = "AuthorizeActionException - "

# --- The built-in search tool (sheet §6.5) -----------------------------------------------------------------

SEARCH_TOOL_NAME = "x_amz_bedrock_agentcore_search"  # DOC gateway-using-mcp-semantic-search
# SAMPLE (client-side replica in 01-gateway-search.ipynb); the server-side text is UNKNOWN (knob).
SEARCH_TOOL_DESCRIPTION = (
    "A special tool that returns a trimmed down list of tools given a context. Use this tool only when there are "
    "many tools available and you want to get a subset that matches the provided context."
)
SEARCH_TOOL_INPUT_SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {"query": {"type": "string", "description": "search query to use for finding tools"}},
    "required": ["query"],
}

# --- initialize (sheet §6.1) -------------------------------------------------------------------------------

# DOC gateway-sessions example; a real capture is UNKNOWN (knob `serverInfo`).
SERVER_INFO = {"name": "agentcore-gateway", "version": "1.0.0"}
KNOWN_MCP_VERSIONS = ("2025-03-26", "2025-06-18", "2025-11-25", "2026-07-28")  # DOC gateway-using
MODERN_VERSIONS = ("2026-07-28",)  # DOC: stateless, no initialize, server/discover

# --- APPLICATION_LOGS (sheet §9, DOC observability-gateway-metrics) ----------------------------------------

LOG_STARTED = "Started processing request with requestId: {request_id}"
LOG_SUCCEEDED = "Successfully processed request with requestId: {request_id}"
# The text for auth failures in the real logs is UNKNOWN; ours names the real reason.
LOG_AUTH_FAILED = "Authorization failed for request with requestId: {request_id}: {reason}"
LOG_FAILED = "Failed to process request with requestId: {request_id}: {reason}"

# --- AWS ValidationException wording (config validation) ---------------------------------------------------

# The Coral validation-message format, as AWS services print it (e.g. moto's Lambda `InvalidRoleFormat`
# copies it; many user logs quote it): "1 validation error detected: Value 'x' at 'path' failed to satisfy
# constraint: Member must satisfy regular expression pattern: <p>".
VALUE_CONSTRAINT = "Value {value} at '{path}' failed to satisfy constraint: {constraint}"
# A sensitive member's value is left out, not masked: "When a sensitive member fails validation, the resultant
# ValidationException will omit the value of the input" (smithy-lang/smithy smithy-aws-protocol-tests/model/
# restJson1/validation/sensitive-validation.smithy, RestJsonMalformedPatternSensitiveString: "Value at '/string'
# failed to satisfy constraint: …"); Cognito answers the same for a password ("Value at 'password' failed …").
VALUE_CONSTRAINT_SENSITIVE = "Value at '{path}' failed to satisfy constraint: {constraint}"
C_PATTERN = "Member must satisfy regular expression pattern: {pattern}"
C_ENUM = "Member must satisfy enum value set: [{values}]"
C_MIN_LEN = "Member must have length greater than or equal to {n}"
C_MAX_LEN = "Member must have length less than or equal to {n}"
C_MIN_VAL = "Member must have value greater than or equal to {n}"
C_MAX_VAL = "Member must have value less than or equal to {n}"
C_NOT_NULL = "Member must not be null"
C_TYPE = "Member must be of type {type}"
# botocore's client-side wording (botocore/validate.py), which AWS CLI users see, plus a difflib suggestion.
UNKNOWN_MEMBER = 'Unknown parameter in {where}: "{name}", must be one of: {members}'
UNION_COUNT = (
    "Invalid number of parameters set for tagged union structure {where}. Can only set one of the following "
    "keys: {members}"
)
# AgentCore's own rules (sheet §2). Messages for which the wording was not captured are INFERRED.
DISCOVERY_URL_DEVGUIDE = "^.+/\\.well-known/openid-configuration$"  # DOC inbound-jwt-authorizer
AT_LEAST_ONE_CHECK = (
    "At least one of the fields is required for the configuration: allowed audiences, allowed clients, "
    "allowed scopes, or required custom claims."
)  # DOC inbound-jwt-authorizer (verbatim sentence)
CLAIM_OPERATOR_STRING = (
    "If InboundTokenClaimValueType equals STRING, claimMatchOperator must be EQUALS"  # DOC (reworded)
)
CLAIM_OPERATOR_ARRAY = "If InboundTokenClaimValueType equals STRING_ARRAY, claimMatchOperator can be CONTAINS or CONTAINS_ANY"  # DOC inbound-jwt-authorizer (reworded)
# ours: a bare list where the ClaimMatchValueType union belongs (the issue's AttributeError case)
CLAIM_VALUE_LIST = (
    'claimMatchValue is an object, not a list: {"matchValueStringList": [...]} for CONTAINS_ANY, '
    '{"matchValueString": "..."} for EQUALS and CONTAINS'
)
CREDENTIAL_PROVIDER_MISSING = (
    "Credential provider configurations is not defined"  # REPORTED U24 (Databricks #13)
)
# Ours (INFERRED): keys users paste from other shapes than the API's, with what they are and what to write.
FOREIGN_KEYS: dict[str, str] = {
    "targettype": "'targetType' is a list-gateway-targets (or agentcore-cli) field: a target's type is the member "
    "it sets under targetConfiguration.mcp (lambda, mcpServer, openApiSchema, smithyModel, apiGateway)",
    "type": "'Type' and 'Properties' are CloudFormation resource keys: paste the whole template (with "
    "Resources:) or the resource itself, and authstage converts it",
    "properties": "'Type' and 'Properties' are CloudFormation resource keys: paste the whole template (with "
    "Resources:) or the resource itself, and authstage converts it",
    "items": "'items' is list output: paste one get-gateway / get-gateway-target document",
    "matchvaluearray": "the developer guide's prose says matchValueArray; the API member is matchValueStringList",
    "jwtauthenticationconfiguration": "gateway-create-api's AUTHENTICATE_ONLY example names "
    "jwtAuthenticationConfiguration; the service model has authorizerConfiguration.customJWTAuthorizer",
    "policyfiles": "policyFiles belongs in a policyEngines[] entry: {\"policyEngines\": [{\"name\": ..., "
    "\"policyFiles\": [\"policies.cedar\"]}]}",
}
DISCOVERY_SUGGESTION = "Did you mean '{url}'?"  # ours: a corrected discoveryUrl
# ours: a document of a recognised shape that a converter could not read (a bug of ours, caught by the fuzz)
UNREADABLE = "this looks like a {shape} document but authstage cannot read it ({detail}); check its structure"
DISCOVERY_JWKS = (
    "That is a JWKS URL; discoveryUrl names the OpenID configuration (which points at the JWKS): '{url}'"
)  # ours: the tacnode mistake (sheet §2.1: '…/.well-known/jwks_json')


# --- Exceptions ------------------------------------------------------------------------------------------


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":")).encode()


class GatewayError(Exception):
    """Base of every error the gateway renders as an HTTP response: each one owns its whole answer.

    `status`, `headers`, `media_type` and `content()` are what the client sees; `reason` is ours (the request log
    and APPLICATION_LOGS), never sent.
    """

    status: int
    reason: str
    fix: str | None = None  # what to change (an authorizer check's fix), shown beside the reason in the log
    media_type: str = "application/json"

    @property
    def headers(self) -> dict[str, str]:
        return {}

    def content(self) -> bytes:
        raise NotImplementedError


@dataclass(frozen=True)
class BearerChallenge:
    """The `WWW-Authenticate: Bearer` parameters that do not depend on the failure (sheet §4.1, RFC 6750 §3).

    `legacy` (knob `legacyChallenge`): the Aug-2025 header with only `resource_metadata` (OBSERVED tacnode).
    """

    resource_metadata: str
    scopes: tuple[str, ...] = ()
    legacy: bool = False

    def header(self, error: str | None) -> str:
        """The header value in the observed parameter order: error, scope, resource_metadata."""
        params = []
        if error and not self.legacy:
            params.append(f'error="{error}"')
        if self.scopes and not self.legacy:
            params.append(f'scope="{" ".join(self.scopes)}"')
        params.append(f'resource_metadata="{self.resource_metadata}"')
        return "Bearer " + ", ".join(params)


class AuthError(GatewayError):
    """401/403 from the inbound authorizer: the -32001 body and, for a JWT authorizer, the Bearer challenge.

    Subclasses set `status` and `error` (RFC 6750 §3.1), as Authlib's `rfc6750/errors.py` does. `message` is
    what the body says (knobs `missingTokenMessage`, `insufficientScopeMessage`); `id_form` is knob `errorId`.
    """

    status = 401
    error: str | None = None

    def __init__(
        self,
        reason: str,
        *,
        message: str = INVALID_BEARER_TOKEN,
        challenge: BearerChallenge | None = None,
        id_form: str = "omit",
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = message or INVALID_BEARER_TOKEN  # an empty knob message: the observed default
        self.challenge = challenge
        self.id_form = id_form

    @property
    def headers(self) -> dict[str, str]:
        return {"WWW-Authenticate": self.challenge.header(self.error)} if self.challenge else {}

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {"jsonrpc": "2.0"}
        if self.id_form == "null":
            body["id"] = None
        elif self.id_form == "string-null":
            body["id"] = "null"  # CopilotKit PR #6920: Runtime sends "id":"null" (a string)
        body["error"] = {"code": AUTH_ERROR_CODE, "message": self.message}
        return body

    def content(self) -> bytes:
        return _dumps(self.body())


class InvalidTokenError(AuthError):
    """RFC 6750 §3.1 invalid_token: no, odd, malformed, expired or unacceptable token (sheet §4.1, §4.2)."""

    status = 401
    error = ERROR_INVALID_TOKEN


class InsufficientScopeError(AuthError):
    """RFC 6750 §3.1 insufficient_scope: no allowed scope; iss mismatch by default (sheet §4.3, U5/U6/U23)."""

    status = 403
    error = ERROR_INSUFFICIENT_SCOPE


class MissingAuthenticationToken(AuthError):
    """AWS_IAM gateways: no SigV4 signature. 401, the -32001 body, no Bearer challenge (sheet U15, INFERRED)."""

    status = 401
    error = None

    def __init__(self, reason: str, *, id_form: str = "omit") -> None:
        super().__init__(reason, message=IAM_AUTH_MESSAGE, id_form=id_form)


@dataclass
class JsonRpcHttpError(GatewayError):
    """A JSON-RPC error object answered at `status` (200 for dispatch errors, 4xx before dispatch)."""

    status: int
    code: int
    message: str
    reason: str
    id: Any = None
    data: Any = None
    allow: str | None = None  # the `Allow` header of a 405

    @classmethod
    def of(
        cls, status: int, pair: tuple[int, str], *, reason: str, id: Any = None, **fmt: Any
    ) -> JsonRpcHttpError:
        code, message = pair
        return cls(status, code, message.format(**fmt) if fmt else message, reason, id=id)

    @property
    def headers(self) -> dict[str, str]:
        return {"Allow": self.allow} if self.allow else {}

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.data is not None:
            error["data"] = self.data
        return {"jsonrpc": "2.0", "id": self.id, "error": error}

    def content(self) -> bytes:
        return _dumps(self.body())


class UnknownOperation(GatewayError):
    """Coral's answer for anything outside the emulated surface: JSON to a POST, XML otherwise (sheet U12, U13)."""

    status = UNKNOWN_OPERATION_STATUS

    def __init__(self, method: str, path: str) -> None:
        super().__init__(method, path)
        self.method = method
        self.path = path
        self.reason = f"{method} {path}: not an AgentCore gateway operation (UnknownOperationException)"
        self.media_type = "application/json" if method == "POST" else "application/xml"

    def content(self) -> bytes:
        if self.method == "POST":
            return _dumps(UNKNOWN_OPERATION_JSON)
        return b"" if self.method == "HEAD" else UNKNOWN_OPERATION_XML.encode()


class Failure(Exception):
    """Something the gateway tried on a caller's behalf failed (a target, a credential, a Lambda, an interceptor);
    `reason` is the real message - logs and exceptionLevel DEBUG only."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass
class Issue:
    """One validation problem: where (a JSON path) and what (AWS wording)."""

    path: str
    message: str

    def __str__(self) -> str:
        return f"{self.path or '<root>'}: {self.message}"
