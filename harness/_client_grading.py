"""Grading an MCP client from the stack's request logs: conformance's checks, and authstage's own for the traps of
Auth0 and AgentCore.

A check is a dict in the shape of `@modelcontextprotocol/conformance` 0.1.16's `checks.json` (`id`, `name`,
`description`, `status` SUCCESS|FAILURE|WARNING|INFO|SKIPPED, ISO `timestamp`, optional `specReferences`,
`details`, `errorMessage`). Where conformance grades the same thing, the id, name, status and wording are its own
(source: the package's `dist/index.js`, the mock servers `k()`/`j()` and each scenario's `getChecks()`); the
authstage checks are marked `source: authstage` in `CHECKS`. Conformance's mock servers log every request and
answer as INFO checks, and so does `info_checks` here.

The graders only read records: what the client sent (attributed by User-Agent, as the replay report does) and what
the services answered, secrets redacted. Where a secret decides the check (the PKCE verifier), the IdP's own
verdict on the request decides it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from fake_idp.errors import CODE_VERIFIER_FAILED, INVALID_REFRESH_TOKEN
from harness._sequence import caller

__all__ = [
    "CHECKS",
    "SPEC",
    "Grader",
    "Traffic",
    "check",
    "grade",
    "info_checks",
    "missing",
]

Check = dict[str, Any]
Grader = Callable[["Traffic"], list[Check]]

# Conformance 0.1.16 `O`: the spec references its checks carry (id, url).
SPEC: dict[str, tuple[str, str]] = {
    "prm": ("RFC-9728", "https://www.rfc-editor.org/rfc/rfc9728.html#section-3.1"),
    "asm-request": ("RFC-8414-metadata-request", "https://www.rfc-editor.org/rfc/rfc8414.html#section-3.1"),
    "legacy-discovery": ("MCP-2025-03-26-Authorization-metadata-discovery",
                         "https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization#server-metadata-discovery"),
    "legacy-fallback": ("MCP-2025-03-26-Authorization-metadata-url-fallback",
                        "https://modelcontextprotocol.io/specification/2025-03-26/basic/authorization#fallbacks-for-servers-without-metadata-discovery"),
    "mcp-prm": ("MCP-2025-06-18-PRM-discovery",
                "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#protected-resource-metadata-discovery-requirements"),
    "mcp-asm": ("MCP-Authorization-metadata-discovery",
                "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-server-metadata-discovery"),
    "dcr": ("MCP-Dynamic-client-registration",
            "https://modelcontextprotocol.io/specification/2025-11-25/basic/client#dynamic-client-registration"),
    "authorize": ("OAUTH-2.1-authorization-endpoint",
                  "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#name-authorization-endpoint"),
    "token": ("OAUTH-2.1-token-request", "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#name-token-request"),
    "token-usage": ("MCP-Access-token-usage",
                    "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#access-token-usage"),
    "scope-selection": ("MCP-Scope-selection-strategy",
                        "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-selection-strategy"),
    "scope-challenge": ("MCP-Scope-challenge-handling",
                        "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#scope-challenge-handling"),
    "jwt-client-auth": ("RFC-7523-JWT-Client-Auth", "https://datatracker.ietf.org/doc/html/rfc7523#section-2.2"),
    "client-credentials": ("OAUTH-2.1-client-credentials-grant",
                           "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-4.2"),
    "sep-1046": ("SEP-1046-Client-Credentials",
                 "https://github.com/modelcontextprotocol/ext-auth/blob/main/specification/draft/oauth-client-credentials.mdx"),
    "rfc8707": ("RFC-8707-Resource-Indicators", "https://www.rfc-editor.org/rfc/rfc8707.html"),
    "resource": ("MCP-Resource-Parameter-Implementation",
                 "https://modelcontextprotocol.io/specification/draft/basic/authorization#resource-parameter-implementation"),
    "preregistration": ("MCP-Preregistration",
                        "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#preregistration"),
    "pkce": ("MCP-PKCE-requirement",
             "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-code-protection"),
    "token-exchange": ("RFC-8693-Token-Exchange", "https://datatracker.ietf.org/doc/html/rfc8693"),
    "jwt-bearer": ("RFC-7523-JWT-Bearer-Grant", "https://datatracker.ietf.org/doc/html/rfc7523"),
    "sep-990": ("SEP-990-Enterprise-Managed-OAuth",
                "https://github.com/modelcontextprotocol/ext-auth/blob/main/specification/draft/enterprise-oauth.mdx"),
    "sep-2207": ("SEP-2207-Refresh-Token-Guidance", "https://github.com/modelcontextprotocol/modelcontextprotocol/pull/2207"),
    "cimd": ("MCP-Client-ID-Metadata-Documents",
             "https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#client-id-metadata-documents"),
    "ietf-cimd": ("IETF-OAuth-Client-ID-Metadata-Document",
                  "https://datatracker.ietf.org/doc/html/draft-ietf-oauth-client-id-metadata-document-00"),
    "refresh-rotation": ("OAUTH-2.1-refresh-token-rotation",
                         "https://www.ietf.org/archive/id/draft-ietf-oauth-v2-1-13.html#section-4.3.1"),
    "auth0-rotation": ("Auth0-refresh-token-rotation",
                       "https://auth0.com/docs/secure/tokens/refresh-tokens/refresh-token-rotation"),
    "agentcore-inbound": ("AgentCore-gateway-inbound-auth",
                          "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-inbound-auth.html"),
    "agentcore-sessions": ("AgentCore-gateway-sessions",
                           "https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/gateway-sessions.html"),
    "mcp-sessions": ("MCP-Session-Management",
                     "https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management"),
    "mcp-tools": ("MCP-Tools-Call", "https://modelcontextprotocol.io/specification/2025-11-25/server/tools#calling-tools"),
}

# id -> (name, spec reference keys, source). Names are conformance's where the id is conformance's.
CHECKS: dict[str, tuple[str, tuple[str, ...], str]] = {
    "prm-pathbased-requested": ("PRMPathBasedRequested", ("prm", "mcp-prm"), "conformance"),
    "prm-priority-order": ("PRM Priority Order", ("prm", "mcp-prm"), "conformance"),
    "authorization-server-metadata": ("AuthorizationServerMetadata", ("asm-request", "mcp-asm"), "conformance"),
    "authorization-server-metadata-wrong-path": ("AuthorizationServerMetadataWrongPath", ("asm-request", "mcp-asm"),
                                                 "conformance"),
    "client-registration": ("ClientRegistration", ("dcr",), "conformance"),
    "cimd-client-id-used": ("Client ID Metadata Document Usage", ("cimd", "ietf-cimd"), "conformance"),
    "authorization-request": ("AuthorizationRequest", ("authorize",), "conformance"),
    "token-request": ("TokenRequest", ("token",), "conformance"),
    "pkce-code-challenge-sent": ("PKCE Code Challenge", ("pkce",), "conformance"),
    "pkce-s256-method-used": ("PKCE S256 Method", ("pkce",), "conformance"),
    "pkce-code-verifier-sent": ("PKCE Code Verifier", ("pkce",), "conformance"),
    "pkce-verifier-matches-challenge": ("PKCE Verifier Validation", ("pkce",), "conformance"),
    "valid-bearer-token": ("ValidBearerToken", ("token-usage",), "conformance"),
    "invalid-bearer-token": ("InvalidBearerToken", ("token-usage",), "conformance"),
    "scope-from-www-authenticate": ("Client scope selection from WWW-Authenticate header", ("scope-selection",),
                                    "conformance"),
    "scope-from-scopes-supported": ("Client scope selection from scopes_supported", ("scope-selection",),
                                    "conformance"),
    "scope-omitted-when-undefined": ("Client scope omission when scopes_supported undefined", ("scope-selection",),
                                     "conformance"),
    "scope-step-up-initial": ("Client initial scope selection for step-up auth", ("scope-selection",), "conformance"),
    "scope-step-up-escalation": ("Client scope escalation for step-up auth", ("scope-selection",), "conformance"),
    "scope-retry-auth-attempt": ("Authorization attempt", ("scope-challenge",), "conformance"),
    "scope-retry-limit": ("Client retry limit for scope escalation", ("scope-challenge",), "conformance"),
    "token-endpoint-auth-method": ("Token endpoint authentication method", ("token",), "conformance"),
    "resource-parameter-in-authorization": ("Resource parameter in authorization request", ("rfc8707", "resource"),
                                            "conformance"),
    "resource-parameter-in-token": ("Resource parameter in token request", ("rfc8707", "resource"), "conformance"),
    "resource-parameter-valid-uri": ("Resource parameter is valid canonical URI", ("rfc8707", "resource"),
                                     "conformance"),
    "resource-parameter-consistency": ("Resource parameter consistency", ("rfc8707", "resource"), "conformance"),
    "pre-registration-auth": ("Pre-registration authentication", ("preregistration",), "conformance"),
    "resource-mismatch-rejected": ("Client rejects mismatched resource", ("rfc8707", "resource"), "conformance"),
    "sep-2207-client-metadata-grant-types": ("Client metadata includes refresh_token grant type (DCR)",
                                             ("sep-2207",), "conformance"),
    "sep-2207-offline-access-requested": ("Client requests offline_access scope", ("sep-2207",), "conformance"),
    "sep-2207-offline-access-not-requested": ("Client does not request unsupported offline_access", ("sep-2207",),
                                              "conformance"),
    "client-credentials-grant-type": ("ClientCredentialsGrantType", ("client-credentials", "sep-1046"), "conformance"),
    "client-credentials-assertion-type": ("ClientCredentialsAssertionType", ("jwt-client-auth",), "conformance"),
    "client-credentials-jwt-iss": ("ClientCredentialsJwtIss", ("jwt-client-auth",), "conformance"),
    "client-credentials-jwt-sub": ("ClientCredentialsJwtSub", ("jwt-client-auth",), "conformance"),
    "client-credentials-jwt-verified": ("ClientCredentialsJwtVerified",
                                        ("client-credentials", "sep-1046", "jwt-client-auth"), "conformance"),
    "client-credentials-basic-auth": ("ClientCredentialsBasicAuth", ("client-credentials", "sep-1046"), "conformance"),
    "complete-flow-token-exchange": ("CompleteFlowTokenExchange", ("token-exchange", "sep-990"), "conformance"),
    "complete-flow-jwt-bearer": ("CompleteFlowJwtBearer", ("jwt-bearer", "sep-990"), "conformance"),
    "token-audience": ("Token audience is the MCP server", ("rfc8707", "resource"), "authstage"),
    "cimd-document-valid": ("Client ID metadata document accepted", ("cimd", "ietf-cimd"), "authstage"),
    "preregistered-client-used": ("Pre-registered client used instead of DCR", ("preregistration",), "authstage"),
    "refresh-token-rotation": ("Rotated refresh token stored and used", ("refresh-rotation", "auth0-rotation"),
                               "authstage"),
    "prm-discovered": ("Protected resource metadata found at the gateway", ("prm", "agentcore-inbound"), "authstage"),
    "no-as-probe-at-gateway": ("No authorization-server probes at the gateway", ("mcp-asm", "agentcore-inbound"),
                               "authstage"),
    "mcp-session-id-echoed": ("Mcp-Session-Id sent on every request of the session",
                              ("mcp-sessions", "agentcore-sessions"), "authstage"),
    "mcp-tool-called": ("A tool call reached the server and was answered", ("mcp-tools",), "authstage"),
}


def iso(seconds: float) -> str:
    """ISO 8601 with milliseconds and Z, as JavaScript's `Date.toISOString()`."""
    moment = dt.datetime.fromtimestamp(seconds, tz=dt.UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def check(check_id: str, description: str, status: str, *, at: float | None = None, details: dict[str, Any] | None = None,
          name: str | None = None) -> Check:
    """One check in conformance's shape (key order as its mocks write them)."""
    known_name, refs, _ = CHECKS.get(check_id, (check_id, (), "authstage"))
    out: Check = {"id": check_id, "name": name or known_name, "description": description, "status": status,
                  "timestamp": iso(at if at is not None else dt.datetime.now(dt.UTC).timestamp())}
    if refs:
        out["specReferences"] = [{"id": SPEC[r][0], "url": SPEC[r][1]} for r in refs]
    if details is not None:
        out["details"] = details
    return out


def missing(check_id: str) -> Check:
    """A required check that never fired (conformance: "Expected Check Missing: <id>")."""
    return check(check_id, f"Expected Check Missing: {check_id}", "FAILURE", name=f"Expected Check Missing: {check_id}")


# ---------------------------------------------------------------------------------------------------------------------
# The traffic of one run
# ---------------------------------------------------------------------------------------------------------------------


@dataclass
class Traffic:
    """The client's requests of one run (in the order they were served) and the MCP service it was pointed at."""

    records: list[dict[str, Any]]
    target: str = "mcp"
    server_url: str = ""

    @classmethod
    def of(cls, records: Iterable[dict[str, Any]], target: str, server_url: str) -> Traffic:
        return cls([r for r in records if caller(r) == "client"], target, server_url)

    def at(self, service: str, method: str | None = None, path: str | None = None) -> list[dict[str, Any]]:
        return [r for r in self.records if r["service"] == service and (method is None or r["method"] == method)
                and (path is None or r["path"] == path)]

    @property
    def authorizations(self) -> list[dict[str, Any]]:
        return self.at("idp", "GET", "/authorize")

    @property
    def registrations(self) -> list[dict[str, Any]]:
        return self.at("idp", "POST", "/oidc/register")

    def tokens(self, grant: str | None = None) -> list[dict[str, Any]]:
        found = self.at("idp", "POST", "/oauth/token")
        return [r for r in found if grant is None or body(r).get("grant_type") == grant]

    @property
    def mcp(self) -> list[dict[str, Any]]:
        return self.at(self.target, "POST", "/mcp")

    def before(self, record: dict[str, Any], among: list[dict[str, Any]]) -> list[dict[str, Any]]:
        index = self.records.index(record)
        return [r for r in among if self.records.index(r) < index]


def body(record: dict[str, Any], side: str = "request") -> dict[str, Any]:
    value = (record.get(side) or {}).get("body")
    return value if isinstance(value, dict) else {}


def header(record: dict[str, Any], name: str, side: str = "request") -> str:
    return str(((record.get(side) or {}).get("headers") or {}).get(name, ""))


def scopes(value: Any) -> list[str]:
    return value.split() if isinstance(value, str) else []


def auth_method(record: dict[str, Any]) -> str:
    """How a token request authenticated (conformance's `Tt`, plus private_key_jwt)."""
    if header(record, "authorization").startswith("Basic "):
        return "client_secret_basic"
    fields = body(record)
    if fields.get("client_assertion"):
        return "private_key_jwt"
    return "client_secret_post" if fields.get("client_secret") else "none"


def jwt_claims(record: dict[str, Any], where: str) -> dict[str, Any]:
    """Claims of a token the record carried at `where` (the log decodes them; signatures never appear)."""
    for token in record.get("tokens") or []:
        if token.get("where") == where and isinstance(token.get("claims"), dict):
            claims: dict[str, Any] = token["claims"]
            return claims
    return {}


def grade(traffic: Traffic, graders: Iterable[Grader], required: Iterable[str] = ()) -> list[Check]:
    """Every grader's checks and the request/answer INFO checks, in time order; then the missing required ones."""
    checks = info_checks(traffic)
    for grader in graders:
        checks.extend(grader(traffic))
    checks.sort(key=lambda c: c["timestamp"])
    seen = {c["id"] for c in checks}
    checks.extend(missing(i) for i in required if i not in seen)
    return checks


def info_checks(traffic: Traffic) -> list[Check]:
    """Conformance's mocks log each request and answer as INFO checks; these are the stack's."""
    out: list[Check] = []
    for record in traffic.records:
        auth = record["service"] == "idp"
        method, path, status = record["method"], record["path"], record["status"]
        rpc = body(record).get("method") if path == "/mcp" else None
        suffix = f" (method: {rpc})" if isinstance(rpc, str) else ""
        incoming: dict[str, Any] = {"method": method, "path": path}
        if record.get("query"):
            incoming["query"] = record["query"]
        if body(record):
            incoming["body"] = body(record)
        outgoing = {"method": method, "path": path, "statusCode": status,
                    "headers": (record.get("response") or {}).get("headers", {})}
        if (record.get("response") or {}).get("body") is not None:
            outgoing["body"] = record["response"]["body"]
        first, second = ("incoming-auth-request", "outgoing-auth-response") if auth else ("incoming-request",
                                                                                        "outgoing-response")
        out.append(check(first, f"Received {method} request for {path}{suffix}", "INFO", at=record["time"],
                         details=incoming, name=first[0].upper() + first[1:]))
        out.append(check(second, f"Sent {status} response for {method} {path}{suffix}", "INFO", at=record["time"],
                         details=outgoing, name=second[0].upper() + second[1:]))
    return out


def origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def is_refused_refresh_reuse(record: dict[str, Any]) -> bool:
    """The IdP's verdict that a refresh request presented an already-rotated refresh token (family revoked)."""
    answer = body(record, "response")
    return record["status"] >= 400 and answer.get("error_description") == INVALID_REFRESH_TOKEN and "reuse" in str(
        record.get("reason") or "")


def is_verifier_mismatch(record: dict[str, Any]) -> bool:
    return body(record, "response").get("error_description") == CODE_VERIFIER_FAILED
