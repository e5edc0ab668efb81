"""The client-check suites: each scenario is a stack file over the demo default, what the client is given, and the
graders that read the result.

`auth`, `backcompat`, `draft`, `extensions` are the 22 `auth/*` scenarios of `@modelcontextprotocol/conformance`
0.1.16 (`npx conformance list --client`; the `--suite` names are its own), each rebuilt from the stack's knobs
instead of a purpose-built mock: a generic authorization server (`idp.profile`, fake_idp/profile.py) and the sample
MCP server protecting itself (`mcp.auth`, sample_mcp/protection.py). `auth0` and `agentcore` are the situations a
client meets behind those products (the catalog's F-/U- incidents, docs/scenarios.md). `auth/basic-cimd` has the IdP
fetch the client's metadata document over https: the run's stack CA issues the client's certificate (the context).

Scenario names keep conformance's `auth/` prefix, so a conformance client that runs the authorization-code flow
for every unknown `auth/*` name (python-sdk's `client.py` does) runs the product scenarios unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from authstage_kit.merge import merge_patch
from harness import _client_graders as g
from harness._client_grading import Grader

__all__ = ["SCENARIOS", "SUITES", "ClientScenario", "suite_scenarios"]

RFC8414 = "${idp.url}/.well-known/oauth-authorization-server"
OIDC = "${idp.url}/.well-known/openid-configuration"
PATH_PRM = "/.well-known/oauth-protected-resource/mcp"
ROOT_PRM = "/.well-known/oauth-protected-resource"
CUSTOM_PRM = "/custom/metadata/location.json"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
EVIL_RESOURCE = "https://evil.example.com/mcp"  # conformance resource-mismatch's PRM resource

# Clients of the conformance tenant (ids and secrets obviously fake; the roles are conformance's contexts').
PREREGISTERED = ("authstage-preregistered-client", "demo-secret-not-for-production-prereg")
CC_BASIC = ("authstage-cc-basic-client", "demo-secret-not-for-production-cc-basic")
CC_JWT = "authstage-cc-jwt-client"
XAA_IDP = "authstage-xaa-idp-client"
XAA = ("authstage-xaa-client", "demo-secret-not-for-production-xaa")
LOOPBACK_CALLBACKS = [f"http://{host}:3000{path}" for host in ("localhost", "127.0.0.1")
                      for path in ("/callback", "/oauth/callback")]
XAA_IDP_CALLBACK = "http://127.0.0.1:9/xaa-callback"  # never served: the runner reads the code from the redirect
CONFORMANCE_SCOPES = ["mcp:basic", "mcp:read", "mcp:write", "mcp:admin"]
REPLACE = {"$patch": "replace"}  # a named list that starts with it replaces the demo's (docs/writing-scenarios.md)


def replaced(*items: dict[str, Any]) -> list[dict[str, Any]]:
    """A named list of the stack file that replaces the demo's whole list instead of merging into it."""
    return [REPLACE, *items]


@dataclass(frozen=True, kw_only=True)
class ClientScenario:
    """One scenario: the stack file it runs on, what the client is given, and how its traffic is graded."""

    name: str
    suite: str
    summary: str
    stack: dict[str, Any]
    graders: tuple[Grader, ...]
    required: tuple[str, ...] = ()
    target: str = "mcp"  # the service whose /mcp URL the client gets: the sample server or the gateway
    context: str | None = None  # MCP_CONFORMANCE_CONTEXT builder (harness._client_check.CONTEXTS)
    allow_client_error: bool = False  # the client is expected to give up (conformance `allowClientError`)
    stop_after_authorizations: int | None = None  # the verdict is decided: end a client that keeps trying
    needs_tls: bool = False  # the run's stack CA: made once, when a selected scenario needs it (CIMD)
    source: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)

    @property
    def title(self) -> str:
        """What `-k` matches besides the name and tags: the suite and the summary."""
        return f"{self.suite}: {self.summary}"


# ---------------------------------------------------------------------------------------------------------------------
# The conformance stack: a generic authorization server and the sample server protecting itself
# ---------------------------------------------------------------------------------------------------------------------

def _client(name: str, client_id: str, **fields: Any) -> dict[str, Any]:
    return {"name": name, "client_id": client_id, **fields}


CONFORMANCE_CLIENTS = [
    _client("preregistered", PREREGISTERED[0], client_secret=PREREGISTERED[1], app_type="native",
            token_endpoint_auth_method="client_secret_basic", grant_types=["authorization_code", "refresh_token"],
            callbacks=LOOPBACK_CALLBACKS),
    _client("cc-basic", CC_BASIC[0], client_secret=CC_BASIC[1], app_type="non_interactive",
            token_endpoint_auth_method="client_secret_basic", grant_types=["client_credentials"]),
    _client("cc-jwt", CC_JWT, app_type="non_interactive", token_endpoint_auth_method="private_key_jwt",
            grant_types=["client_credentials"], client_authentication_methods={"private_key_jwt": {"credentials": [
                {"name": "client-check run key", "pem": "${run.public_key_pem}", "alg": "ES256"}]}}),
    _client("xaa-idp", XAA_IDP, app_type="native", token_endpoint_auth_method="none",
            grant_types=["authorization_code", TOKEN_EXCHANGE], callbacks=[XAA_IDP_CALLBACK]),
    _client("xaa", XAA[0], client_secret=XAA[1], app_type="regular_web", token_endpoint_auth_method="client_secret_basic",
            grant_types=[JWT_BEARER]),
]

CONFORMANCE_IDP: dict[str, Any] = {
    "settings": {
        "enable_dynamic_client_registration": True,
        "dynamic_client_registration_security_mode": "permissive",  # PKCE optional: a client without it is graded
        "resource_parameter_profile": "compatibility",
        "default_audience": "${client.mcp_url}",  # a client without `resource` still gets a token for the server
        "headless_auto_approve": True,
        "headless_default_user": "alice@example.test",
    },
    "faults": {"loopback_port_strict": False},  # RFC 8252 §7.3: any loopback port
    "apis": replaced({"name": "conformance-mcp", "identifier": "${client.mcp_url}", "scopes": CONFORMANCE_SCOPES,
                      "token_dialect": "rfc9068_profile", "enforce_policies": True, "allow_offline_access": True}),
    "clients": replaced(*CONFORMANCE_CLIENTS),
    "client_grants": [REPLACE,
        {"default_for": "third_party_clients", "audience": "${client.mcp_url}", "scope": CONFORMANCE_SCOPES,
         "subject_type": "user"},
        {"client_id": CC_BASIC[0], "audience": "${client.mcp_url}", "scope": []},
        {"client_id": CC_JWT, "audience": "${client.mcp_url}", "scope": []},
    ],
    "users": replaced({"user_id": "auth0|alice", "email": "alice@example.test", "password": "demo-password-alice",
                       "name": "Alice Example", "permissions": {"conformance-mcp": ["mcp:basic", "mcp:read", "mcp:write"]}}),
    "connections": replaced({"name": "Username-Password-Authentication", "is_domain_connection": True,
                             "enabled_clients": [PREREGISTERED[0], XAA_IDP]}),
    "profile": {
        "discovery": {
            "metadata_urls": ["rfc8414"],  # conformance's AS serves only RFC 8414 (its `k()` default)
            "scopes_supported": "omit",
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post", "none"],
            "grant_types_supported": ["authorization_code", "refresh_token"],
            "registration_endpoint": "when_enabled",
        },
        "registration": {"token_endpoint_auth_methods": ["none", "client_secret_post", "client_secret_basic"]},
        "cross_app_access": {"issue_id_jag": True, "trusted_issuers": ["self"], "client_ids": {XAA_IDP: XAA[0]}},
    },
}

CONFORMANCE_AUTH: dict[str, Any] = {
    "issuer": "${client.idp_issuer}",  # the IdP as this scenario's client reaches it (its own gate)
    "audience": "${client.mcp_url}",  # the URL the client was given (a held gate's, see _gate.py)
    "scopes": [],
    "discovery_url": RFC8414,  # the sample server's keys come from the one metadata document served
    "metadata_paths": [PATH_PRM],  # conformance `j()` default; the root is a 404
    "challenge_scope": False,  # conformance's requireBearerAuth names no scope unless asked
    "prm_scopes_supported": "omit",
}


def conformance(idp: dict[str, Any] | None = None, auth: dict[str, Any] | None = None,
                mcp: dict[str, Any] | None = None) -> dict[str, Any]:
    """A stack file: the conformance tenant and sample server, with this scenario's changes merged in."""
    return {"idp": merge_patch(CONFORMANCE_IDP, idp or {}),
            "mcp": {"auth": merge_patch(CONFORMANCE_AUTH, auth or {}), **(mcp or {})}}


def discovery(**knobs: Any) -> dict[str, Any]:
    return {"profile": {"discovery": knobs}}


FLOW: tuple[Grader, ...] = (g.as_metadata, g.registrations, g.authorizations, g.tokens, g.bearer)
PRM_FLOW: tuple[Grader, ...] = (g.prm_requested((PATH_PRM,)), *FLOW)  # conformance's PRM route at its default path
FLOW_REQUIRED = ("authorization-server-metadata", "client-registration", "authorization-request", "token-request")
CONFORMANCE_SOURCE = "@modelcontextprotocol/conformance 0.1.16"


def _metadata(name: str, summary: str, idp: dict[str, Any], auth: dict[str, Any], prm: tuple[str, ...],
              traps: tuple[Grader, ...], pathbased: bool) -> ClientScenario:
    return ClientScenario(
        name=f"auth/{name}", suite="auth", summary=summary, stack=conformance(idp, auth),
        graders=(g.prm_requested(prm), *traps, *FLOW),
        required=(("prm-pathbased-requested",) if pathbased else ()) + FLOW_REQUIRED,
        source=f"{CONFORMANCE_SOURCE} auth/{name}")


TENANT1 = {"issuer": "${client.idp_url}/tenant1"}
METADATA = [
    _metadata("metadata-default", "PRM at the path-based location (named in the challenge), RFC 8414 metadata; "
              "the root PRM is a trap", {}, {}, (PATH_PRM,), (g.root_prm_trap,), True),
    _metadata("metadata-var1", "PRM at the path-based location, not in the challenge; OIDC discovery only",
              discovery(metadata_urls=["oidc"]), {"discovery_url": OIDC, "challenge_resource_metadata": False},
              (PATH_PRM,), (), True),
    _metadata("metadata-var2", "PRM at the root only, not in the challenge; an issuer with a path, RFC 8414 "
              "path insertion; the root RFC 8414 URL is a trap", TENANT1,
              {"issuer": "${client.idp_url}/tenant1", "discovery_url": RFC8414 + "/tenant1", "metadata_paths": [ROOT_PRM],
               "challenge_resource_metadata": False}, (ROOT_PRM,), (g.wrong_path_trap,), False),
    _metadata("metadata-var3", "PRM at a custom path named in the challenge; an issuer with a path, OIDC discovery "
              "appended to it", {**TENANT1, **discovery(metadata_urls=["oidc"])},
              {"issuer": "${client.idp_url}/tenant1", "discovery_url": "${idp.url}/tenant1/.well-known/openid-configuration",
               "metadata_paths": [CUSTOM_PRM]}, (CUSTOM_PRM,), (g.wrong_path_trap,), False),
]


def _auth(name: str, summary: str, stack: dict[str, Any], graders: tuple[Grader, ...], required: tuple[str, ...] = (),
          suite: str = "auth", **extra: Any) -> ClientScenario:
    return ClientScenario(name=f"auth/{name}", suite=suite, summary=summary, stack=stack, graders=graders,
                          required=required, source=f"{CONFORMANCE_SOURCE} auth/{name}", **extra)


STEP_UP_AUTH = {"scopes": ["mcp:basic"], "method_scopes": {"tools/call": ["mcp:write"]}, "challenge_scope": True,
                "anonymous_methods": ["initialize", "notifications/*"], "prm_scopes_supported": ["mcp:basic"]}
RETRY_AUTH = {"scopes": ["mcp:admin"], "challenge_scope": True, "anonymous_methods": ["initialize", "notifications/*"],
              "prm_scopes_supported": ["mcp:admin"]}


def _auth_method(method: str, short: str) -> ClientScenario:
    idp = {"profile": {"discovery": {"token_endpoint_auth_methods_supported": [method]},
                       "registration": {"assign_token_endpoint_auth_method": method}}}
    return _auth(f"token-endpoint-auth-{short}", f"The AS supports only {method} (and registers the client with it)",
                 conformance(idp), (g.token_endpoint_auth_method(method), g.resource_parameter, *PRM_FLOW))


SCOPES = [
    _auth("scope-from-www-authenticate", "The 401 challenge names scope=mcp:basic; PRM lists no scopes",
          conformance(auth={"scopes": ["mcp:basic"], "challenge_scope": True}),
          (g.scope_selection("scope-from-www-authenticate", ("mcp:basic",)), *PRM_FLOW)),
    _auth("scope-from-scopes-supported", "No scope in the challenge; PRM scopes_supported lists three",
          conformance(auth={"prm_scopes_supported": ["mcp:basic", "mcp:read", "mcp:write"]}),
          (g.scope_selection("scope-from-scopes-supported", ("mcp:basic", "mcp:read", "mcp:write")), *PRM_FLOW)),
    _auth("scope-omitted-when-undefined", "No scope anywhere (challenge, PRM, AS metadata): the client sends none",
          conformance(), (g.scope_selection("scope-omitted-when-undefined", ()), *PRM_FLOW)),
    _auth("scope-step-up", "initialize is anonymous; tools/list needs mcp:basic; tools/call needs mcp:write too "
          "(403 insufficient_scope)", conformance(auth=STEP_UP_AUTH),
          (g.step_up(("mcp:basic",), ("mcp:basic", "mcp:write")), *PRM_FLOW)),
    _auth("scope-retry-limit", "Every authenticated call is refused 403 insufficient_scope mcp:admin, which the user "
          "does not have: the client must stop asking", conformance(auth=RETRY_AUTH),
          (g.retry_limit(3), *PRM_FLOW[:-1]),  # conformance's retry server never verifies the token: no bearer checks
          allow_client_error=True, stop_after_authorizations=4),
    _auth_method("client_secret_basic", "basic"),
    _auth_method("client_secret_post", "post"),
    _auth_method("none", "none"),
    _auth("pre-registration", "DCR off and registration_endpoint not advertised; the client is given credentials "
          "(client_secret_basic)", conformance({"settings": {"enable_dynamic_client_registration": False},
                                                 **discovery(token_endpoint_auth_methods_supported=["client_secret_basic"])}),
          (g.pre_registration, *PRM_FLOW), ("pre-registration-auth",), context="preregistered"),
]

BACKCOMPAT = [
    _auth("2025-03-26-oauth-metadata-backcompat", "No PRM; the AS on the MCP origin with RFC 8414 metadata "
          "(2025-03-26)", conformance({"profile": {"discovery": {"metadata_urls": None}}},
                                      {"issuer": "${client.url}/", "discovery_url": OIDC, "metadata_paths": [],
                                       "challenge_resource_metadata": False},
                                      {"authorization_server": {"upstream": "${idp.url}", "metadata": True}}),
          FLOW, FLOW_REQUIRED, suite="backcompat"),
    _auth("2025-03-26-oauth-endpoint-fallback", "No PRM, no metadata: /authorize, /token, /register on the MCP origin "
          "(2025-03-26)", conformance({"profile": {"discovery": {"metadata_urls": None}}},
                                      {"issuer": "${client.url}/", "discovery_url": OIDC, "metadata_paths": [],
                                       "challenge_resource_metadata": False},
                                      {"authorization_server": {"upstream": "${idp.url}", "metadata": False}}),
          FLOW, FLOW_REQUIRED[1:], suite="backcompat"),
]

DRAFT = [
    _auth("resource-mismatch", f"The PRM names another resource ({EVIL_RESOURCE}): the client must not authorize",
          conformance(auth={"resource": EVIL_RESOURCE}), (g.resource_mismatch(EVIL_RESOURCE), *PRM_FLOW),
          suite="draft", allow_client_error=True),
    _auth("offline-access-scope", "The AS lists offline_access: a client that wants a refresh token asks for it and "
          "registers refresh_token", conformance(discovery(scopes_supported=["mcp:basic", "offline_access"]),
                                                 {"scopes": ["mcp:basic"], "prm_scopes_supported": ["mcp:basic"]}),
          (g.offline_access(True), *PRM_FLOW), ("sep-2207-offline-access-requested",), suite="draft"),
    _auth("offline-access-not-supported", "The AS does not list offline_access: the client must not ask for it",
          conformance(discovery(scopes_supported=["mcp:basic", "mcp:read"]),
                      {"scopes": ["mcp:basic", "mcp:read"], "prm_scopes_supported": ["mcp:basic", "mcp:read"]}),
          (g.offline_access(False), *PRM_FLOW), ("sep-2207-offline-access-not-requested",), suite="draft"),
]

EXTENSIONS = [
    _auth("client-credentials-jwt", "client_credentials with private_key_jwt (ES256), the key given in the context",
          conformance(discovery(grant_types_supported=["client_credentials"],
                                token_endpoint_auth_methods_supported=["private_key_jwt"],
                                token_endpoint_auth_signing_alg_values_supported=["ES256"])),
          (g.client_credentials_jwt(CC_JWT), g.prm_requested((PATH_PRM,)), g.as_metadata, g.tokens, g.bearer), suite="extensions", context="client_credentials_jwt"),
    _auth("client-credentials-basic", "client_credentials with client_secret_basic, the secret given in the context",
          conformance(discovery(grant_types_supported=["client_credentials"],
                                token_endpoint_auth_methods_supported=["client_secret_basic"])),
          (g.client_credentials_basic, g.prm_requested((PATH_PRM,)), g.as_metadata, g.tokens, g.bearer), suite="extensions", context="client_credentials_basic"),
    _auth("cross-app-access-complete-flow", "SEP-990: the IdP's ID token -> ID-JAG (token exchange) -> access token "
          "(jwt-bearer)", conformance(discovery(grant_types_supported=[JWT_BEARER, TOKEN_EXCHANGE],
                                                token_endpoint_auth_methods_supported=["client_secret_basic", "none"])),
          (g.cross_app_access, g.prm_requested((PATH_PRM,)), g.as_metadata, g.tokens, g.bearer), suite="extensions", context="cross_app_access"),
]

# conformance's fixed URL: its mock "will accept it as-is and use hardcoded metadata" (basic-cimd.ts); the IdP here
# pins a document for it, so a client that uses it (python-sdk's conformance client) runs unchanged.
CONFORMANCE_CIMD_URL = "https://conformance-test.local/client-metadata.json"
CONFORMANCE_CIMD_DOCUMENT = {
    "client_id": CONFORMANCE_CIMD_URL, "client_name": "conformance test client (pinned by authstage)",
    "redirect_uris": LOOPBACK_CALLBACKS, "grant_types": ["authorization_code", "refresh_token"],
    "response_types": ["code"], "token_endpoint_auth_method": "none"}
CIMD = _auth("basic-cimd", "client_id_metadata_document_supported: the client uses an https URL as client_id; the "
             "AS fetches its document (served by the client over https) and validates it",
             conformance({"profile": {"cimd": {"fetch": True,
                                               "documents": {CONFORMANCE_CIMD_URL: CONFORMANCE_CIMD_DOCUMENT}}}}),
             (g.cimd_client_id_used, g.cimd_document, *PRM_FLOW), suite="auth", context="cimd", needs_tls=True)

# ---------------------------------------------------------------------------------------------------------------------
# Auth0 and AgentCore: the demo stack's products, the traps a client must survive
# ---------------------------------------------------------------------------------------------------------------------

def product_apis(target: str, **sample: Any) -> list[dict[str, Any]]:
    """The demo tenant's two APIs, the one the client talks to identified by the URL it was given."""
    gateway = "${client.mcp_url}" if target == "gateway" else "${gateway.mcp_url}"
    mcp = "${client.mcp_url}" if target == "mcp" else "${mcp.mcp_url}"
    return [
        REPLACE,
        {"name": "authstage-gateway", "identifier": gateway, "scopes": ["mcp:tools", "mcp:admin"],
         "token_dialect": "rfc9068_profile_authz", "enforce_policies": True, "allow_offline_access": True},
        {"name": "sample-search", "identifier": mcp, "scopes": ["search:read"],
         "token_dialect": "rfc9068_profile_authz", "enforce_policies": True, **sample},
    ]


def product_grants(target: str) -> list[dict[str, Any]]:
    """The demo tenant's grants, and third-party apps granted the sample server too."""
    gateway = "${client.mcp_url}" if target == "gateway" else "${gateway.mcp_url}"
    mcp = "${client.mcp_url}" if target == "mcp" else "${mcp.mcp_url}"
    return [
        REPLACE,
        {"client_id": "${clients.demo-m2m.client_id}", "audience": gateway, "scope": ["mcp:tools"]},
        {"client_id": "${clients.gateway-outbound.client_id}", "audience": mcp, "scope": ["search:read"]},
        {"default_for": "third_party_clients", "audience": gateway, "scope": ["mcp:tools"], "subject_type": "user"},
        {"default_for": "third_party_clients", "audience": mcp, "scope": ["search:read"], "subject_type": "user"},
    ]


AUTH0_PREREGISTERED = "authstage-auth0-preregistered"


# Every authorization is approved without a page, as the default user (conformance's mock AS approves them all).
HEADLESS = {"headless_auto_approve": True}


def auth0(idp: dict[str, Any] | None = None) -> dict[str, Any]:
    """The demo tenant (Auth0, strict DCR, compatibility profile) protecting the sample server directly."""
    base = {"settings": HEADLESS, "apis": product_apis("mcp"), "client_grants": product_grants("mcp")}
    return {"idp": merge_patch(base, idp or {}),
            "mcp": {"auth": {"audience": "${client.mcp_url}", "issuer": "${client.idp_issuer}"}}}


def agentcore(idp: dict[str, Any] | None = None, gateway: dict[str, Any] | None = None) -> dict[str, Any]:
    """The demo stack: the client talks to the gateway (CUSTOM_JWT, allowedAudience = the URL it was given)."""
    base = {"settings": HEADLESS, "apis": product_apis("gateway"), "client_grants": product_grants("gateway")}
    audience = {"authorizerConfiguration": {"customJWTAuthorizer": {
        "allowedAudience": ["${client.mcp_url}"], "discoveryUrl": "${client.idp_url}/.well-known/openid-configuration"}}}
    return {"idp": merge_patch(base, idp or {}), "gateway": merge_patch(audience, gateway or {})}


def _product(name: str, suite: str, summary: str, stack: dict[str, Any], graders: tuple[Grader, ...],
             required: tuple[str, ...] = (), source: str = "", **extra: Any) -> ClientScenario:
    return ClientScenario(name=f"auth/{name}", suite=suite, summary=summary, stack=stack, graders=graders,
                          required=required, source=source, **extra)


AUTH0 = [
    _product("auth0-strict-dcr", "auth0", "Auth0 strict DCR (tpc_ client, PKCE required, OIDC scopes dropped), "
             "the compatibility profile mapping `resource` to the API", auth0(),
             (g.registrations, g.authorizations, g.tokens, g.bearer, g.resource_parameter, g.token_audience),
             ("client-registration", "authorization-request", "token-request"),
             "auth0-tenant.md §4, F-1/F-2/F-21"),
    _product("auth0-rfc8414-absent", "auth0", "An Auth0 tenant from before mid-2025: no RFC 8414 document, only OIDC "
             "discovery", auth0({"settings": {"rfc8414_metadata": "absent"}}),
             (g.as_metadata, g.authorizations, g.tokens, g.bearer), FLOW_REQUIRED[:1] + FLOW_REQUIRED[2:],
             "auth0-tenant.md F-14, typescript-sdk#585"),
    _product("auth0-dcr-disabled", "auth0", "DCR off while registration_endpoint stays advertised; the client is "
             "given a pre-registered client", auth0({
                 "settings": {"enable_dynamic_client_registration": False},
                 "clients": [REPLACE, {"name": "demo-m2m", "client_id": "${clients.demo-m2m.client_id}",
                              "client_secret": "${clients.demo-m2m.client_secret}", "app_type": "non_interactive",
                              "grant_types": ["client_credentials"]},
                             {"name": "gateway-outbound", "client_id": "${clients.gateway-outbound.client_id}",
                              "client_secret": "${clients.gateway-outbound.client_secret}",
                              "app_type": "non_interactive", "grant_types": ["client_credentials", TOKEN_EXCHANGE]},
                             {"name": "preregistered", "client_id": AUTH0_PREREGISTERED, "app_type": "native",
                              "token_endpoint_auth_method": "none", "callbacks": LOOPBACK_CALLBACKS,
                              "grant_types": ["authorization_code", "refresh_token"]}],
                 "connections": replaced({"name": "Username-Password-Authentication", "is_domain_connection": True,
                                          "enabled_clients": [AUTH0_PREREGISTERED]})}),
             (g.preregistered_client_used, g.authorizations, g.tokens, g.bearer),
             ("authorization-request", "token-request"), "auth0-tenant.md F-6", context="auth0_preregistered"),
    _product("auth0-refresh-token-rotation", "auth0", "Rotating refresh tokens and 1 s access tokens: each refresh "
             "must present the newest refresh token (reuse revokes the family)",
             auth0({"apis": product_apis("mcp", token_lifetime=1, allow_offline_access=True),
                    "profile": {"registration": {"refresh_token_rotation": "always"}}}),
             (g.refresh_rotation, g.authorizations, g.tokens, g.bearer), ("token-request",),
             "auth0-tenant.md F-15"),
]

SESSIONS = {"sessionConfiguration": {"sessionTimeoutInSeconds": 3600},
            "streamingConfiguration": {"enableResponseStreaming": True}}
AGENTCORE = [
    _product("agentcore-prm-root", "agentcore", "The gateway: PRM at the root only (its 401 names it), every other "
             "path a Coral 404, tokens for the gateway's own URL", agentcore(),
             (g.prm_discovered, g.no_as_probe, g.resource_parameter, g.token_audience, g.authorizations, g.tokens,
              g.bearer), ("authorization-request", "token-request"), "agentcore-gateway.md §1, §5, U12", target="gateway"),
    _product("agentcore-legacy-challenge", "agentcore", "The Aug-2025 challenge: only resource_metadata (no error, no "
             "scope); the scope comes from the PRM", agentcore(gateway={"emulator": {"legacyChallenge": True}}),
             (g.prm_discovered, g.scope_selection("scope-from-scopes-supported", ("mcp:tools",)), g.authorizations,
              g.tokens, g.bearer), ("authorization-request", "token-request"), "agentcore-gateway.md §4.1 (OBSERVED)",
             target="gateway"),
    _product("agentcore-step-up-denied", "agentcore", "The user lacks mcp:tools: every call is 403 insufficient_scope "
             "and re-authorizing does not help; the client must stop",
             agentcore({"settings": {"headless_default_user": "bob@example.test"}}),
             (g.retry_limit(3), g.authorizations, g.tokens, g.bearer), (), "agentcore-gateway.md §3, U5",
             target="gateway", allow_client_error=True, stop_after_authorizations=4),
    _product("agentcore-sessions-sse", "agentcore", "Sessions (Mcp-Session-Id) and SSE answers "
             "(enableResponseStreaming)", agentcore(gateway={"protocolConfiguration": {"mcp": SESSIONS}}),
             (g.mcp_session, g.tool_called, g.authorizations, g.tokens, g.bearer), ("token-request",),
             "agentcore-gateway.md §6 (DOC gateway-sessions, gateway-mcp-streaming)", target="gateway"),
]

CONFORMANCE_AUTH_SUITE = [*METADATA, CIMD, *SCOPES]
SCENARIOS: list[ClientScenario] = [*CONFORMANCE_AUTH_SUITE, *BACKCOMPAT, *DRAFT, *EXTENSIONS, *AUTH0, *AGENTCORE]

SUITES: dict[str, tuple[str, ...]] = {
    "auth": ("auth",),
    "backcompat": ("backcompat",),
    "draft": ("draft",),
    "extensions": ("extensions",),
    "conformance": ("auth", "backcompat", "draft", "extensions"),
    "auth0": ("auth0",),
    "agentcore": ("agentcore",),
    "all": ("auth", "backcompat", "draft", "extensions", "auth0", "agentcore"),
}


def suite_scenarios(suite: str) -> list[ClientScenario]:
    wanted = SUITES[suite]
    return [s for s in SCENARIOS if s.suite in wanted]
