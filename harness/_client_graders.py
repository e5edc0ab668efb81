"""The graders: each reads a run's `Traffic` and returns checks (`_client_grading.check`).

Conformance's graders live inside its mock servers; here each is a function over the request logs that decides the
same thing from what the client sent and what the stack answered. Descriptions are conformance's wording where the
id is conformance's (0.1.16 `dist/index.js`), so a client's `checks.json` reads the same under both graders.
A grader factory takes what the scenario set up (the scope the challenge names, the expected auth method, ...).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fake_idp.errors import CIMD_LOG_PREFIX
from fake_idp.pkce import s256
from harness._client_grading import (
    Check,
    Grader,
    Traffic,
    auth_method,
    body,
    check,
    header,
    is_refused_refresh_reuse,
    is_verifier_mismatch,
    jwt_claims,
    scopes,
)

__all__ = [
    "as_metadata",
    "authorizations",
    "bearer",
    "cimd_client_id_used",
    "cimd_document",
    "client_credentials_basic",
    "client_credentials_jwt",
    "cross_app_access",
    "mcp_session",
    "no_as_probe",
    "offline_access",
    "pre_registration",
    "preregistered_client_used",
    "prm_discovered",
    "prm_requested",
    "refresh_rotation",
    "registrations",
    "resource_mismatch",
    "resource_parameter",
    "retry_limit",
    "root_prm_trap",
    "scope_selection",
    "step_up",
    "token_audience",
    "token_endpoint_auth_method",
    "tokens",
    "tool_called",
    "wrong_path_trap",
]

ROOT_PRM = "/.well-known/oauth-protected-resource"
ROOT_RFC8414 = "/.well-known/oauth-authorization-server"


# --- discovery --------------------------------------------------------------------------------------------------


def prm_requested(paths: tuple[str, ...]) -> Grader:
    """`prm-pathbased-requested` each time the client fetched the PRM where the scenario serves it (conformance emits
    it from the PRM route, whatever its location)."""

    def grade(traffic: Traffic) -> list[Check]:
        return [check("prm-pathbased-requested", f"Client requested PRM metadata at {r['path']}", "SUCCESS",
                      at=r["time"], details={"url": r["path"], "path": r["path"]})
                for r in traffic.at(traffic.target, "GET") if r["path"] in paths]

    return grade


def root_prm_trap(traffic: Traffic) -> list[Check]:
    """The root PRM while the path-based location serves it: conformance metadata-default's trap."""
    return [check("prm-priority-order", "Client requested PRM metadata at root location on a server with path-based "
                  "PRM", "FAILURE", at=r["time"], details={"url": r["path"], "path": r["path"]})
            for r in traffic.at(traffic.target, "GET", ROOT_PRM)]


def as_metadata(traffic: Traffic) -> list[Check]:
    """`authorization-server-metadata`: each metadata document the client fetched and got."""
    return [check("authorization-server-metadata", "Client requested authorization server metadata", "SUCCESS",
                  at=r["time"], details={"url": r["path"], "path": r["path"]})
            for r in traffic.at("idp", "GET") if "/.well-known/" in r["path"] and r["path"] != "/.well-known/jwks.json"
            and r["status"] == 200]


def wrong_path_trap(traffic: Traffic) -> list[Check]:
    """The root RFC 8414 document while the issuer has a path: conformance metadata-var2/var3's trap."""
    return [check("authorization-server-metadata-wrong-path", "Client requested authorization server at the root path "
                  "when the AS URL has a path-based location", "FAILURE", at=r["time"], details={"url": r["path"]})
            for r in traffic.at("idp", "GET", ROOT_RFC8414)]


def registrations(traffic: Traffic) -> list[Check]:
    out = []
    for r in traffic.registrations:
        details: dict[str, Any] = {"endpoint": r["path"], "clientName": body(r).get("client_name")}
        method = body(r, "response").get("token_endpoint_auth_method")
        if method:
            details["tokenEndpointAuthMethod"] = method
        out.append(check("client-registration", "Client registered with authorization server", "SUCCESS",
                         at=r["time"], details=details))
    return out


# --- client ID metadata documents (CIMD) -------------------------------------------------------------------------


def _url_client_id(client_id: Any) -> bool:
    """An https URL as client_id (conformance after 0.1.16, `isUrlClientId`: "accepts any https URL, not only the
    example metadata URL ... A real client publishes its own metadata document"; 0.1.16 wanted its own URL)."""
    if not isinstance(client_id, str):
        return False
    parts = urlsplit(client_id)
    return parts.scheme == "https" and bool(parts.netloc)


def cimd_client_id_used(traffic: Traffic) -> list[Check]:
    """conformance basic-cimd: with `client_id_metadata_document_supported` advertised, each authorization request
    uses a URL as client_id (WARNING: a client that registered with DCR instead)."""
    out = []
    for r in traffic.authorizations:
        client_id = (r.get("query") or {}).get("client_id")
        ok = _url_client_id(client_id)
        out.append(check("cimd-client-id-used", "Client correctly used URL-based client ID when server supports "
                         "client_id_metadata_document_supported" if ok else "Client SHOULD use URL-based client ID when "
                         "server advertises client_id_metadata_document_supported=true", "SUCCESS" if ok else "WARNING",
                         at=r["time"], details={"expectedClientId": "an https URL (the client's metadata document)",
                                                "actualClientId": client_id or "none"}))
    return out or [check("cimd-client-id-used", "Client did not make an authorization request to test CIMD support",
                         "FAILURE")]


def cimd_document(traffic: Traffic) -> list[Check]:
    """authstage: the IdP fetched the client's metadata document and accepted it - or refused it, naming the rule it
    broke (its client_id is not its URL, no redirect_uris, a shared secret, ...; fake_idp/cimd.py)."""
    out = []
    for r in traffic.records:
        if r["service"] != "idp" or r["path"] not in ("/authorize", "/oauth/token"):
            continue
        reason = str(r.get("reason") or "")
        notes = [n for n in r.get("notes") or [] if n.startswith(CIMD_LOG_PREFIX)]
        if reason.startswith(CIMD_LOG_PREFIX):
            out.append(check("cimd-document-valid", f"The authorization server refused the client's metadata document: "
                             f"{reason}", "FAILURE", at=r["time"], details={"endpoint": r["path"], "status": r["status"]}))
        elif notes:
            out.append(check("cimd-document-valid", notes[0], "SUCCESS", at=r["time"], details={"endpoint": r["path"]}))
    return out


# --- authorization code flow ------------------------------------------------------------------------------------


def authorizations(traffic: Traffic) -> list[Check]:
    """`authorization-request` and the two PKCE checks of each /authorize (conformance `k()`)."""
    out = []
    for r in traffic.authorizations:
        query = r.get("query") or {}
        challenge, method = query.get("code_challenge"), query.get("code_challenge_method")
        out.append(check("authorization-request", "Client made authorization request", "SUCCESS", at=r["time"],
                         details={"query": query}))
        out.append(check("pkce-code-challenge-sent", "Client sent code_challenge in authorization request" if challenge
                         else "Client MUST send code_challenge in authorization request",
                         "SUCCESS" if challenge else "FAILURE", at=r["time"]))
        out.append(check("pkce-s256-method-used", "Client used S256 code challenge method" if method == "S256"
                         else "Client MUST use S256 code challenge method when technically capable",
                         "SUCCESS" if method == "S256" else "FAILURE", at=r["time"],
                         details={"method": method or "not specified"}))
    return out


def _verifier_verdict(record: dict[str, Any], challenge: str | None) -> tuple[bool, str]:
    verifier = bool(body(record).get("code_verifier"))
    if not challenge and not verifier:
        return False, "Neither code_challenge nor code_verifier were sent - PKCE is required"
    if not challenge:
        return False, "code_challenge was not sent in authorization request - PKCE is required"
    if not verifier:
        return False, "code_verifier was not sent in token request - PKCE is required"
    if record["status"] == 200:
        return True, "code_verifier correctly matches code_challenge (S256)"
    if is_verifier_mismatch(record):
        return False, "code_verifier does not match code_challenge"
    if s256(str(body(record)["code_verifier"])) == challenge:  # refused for another reason, graded by its own check
        return True, (f"code_verifier correctly matches code_challenge (S256); the exchange was refused for "
                      f"another reason: {record.get('reason')}")
    return False, f"the authorization server refused the code: {record.get('reason')}"


def tokens(traffic: Traffic) -> list[Check]:
    """`token-request` of each token request; PKCE verifier checks of each code exchange (the IdP's verdict)."""
    out = []
    for r in traffic.tokens():
        grant = body(r).get("grant_type")
        out.append(check("token-request", "Client requested access token", "SUCCESS", at=r["time"],
                         details={"endpoint": r["path"], "grantType": grant}))
        if grant != "authorization_code":
            continue
        sent = bool(body(r).get("code_verifier"))
        out.append(check("pkce-code-verifier-sent", "Client sent code_verifier in token request" if sent
                         else "Client MUST send code_verifier in token request", "SUCCESS" if sent else "FAILURE",
                         at=r["time"]))
        earlier = traffic.before(r, traffic.authorizations)
        challenge = (earlier[-1].get("query") or {}).get("code_challenge") if earlier else None
        ok, text = _verifier_verdict(r, challenge)
        out.append(check("pkce-verifier-matches-challenge", text, "SUCCESS" if ok else "FAILURE", at=r["time"],
                         details={"matches": ok, "storedChallenge": challenge or "not sent",
                                  "authorizationServerAnswer": r["status"]}))
    return out


def bearer(traffic: Traffic) -> list[Check]:
    """`valid-bearer-token` for each MCP request the server accepted a token on, `invalid-bearer-token` for a 401."""
    out = []
    for r in traffic.mcp:
        value = header(r, "authorization")
        if not value.lower().startswith("bearer "):
            continue
        token = value.split(" ", 1)[1]
        granted = scopes(jwt_claims(r, "request.headers.authorization").get("scope"))
        if r["status"] == 401:
            out.append(check("invalid-bearer-token", "Client provided invalid bearer token", "FAILURE", at=r["time"],
                             details={"message": r.get("reason") or "Token verification failed",
                                      "token": token[:10] + "..."}))
        else:
            out.append(check("valid-bearer-token", "Client provided valid bearer token", "SUCCESS", at=r["time"],
                             details={"token": token[:15] + "...", "scopes": granted}))
    return out


# --- scopes -----------------------------------------------------------------------------------------------------


def _requested(record: dict[str, Any]) -> list[str]:
    return scopes((record.get("query") or {}).get("scope"))


SCOPE_TEXT = {
    "scope-from-www-authenticate": (
        "Client correctly used the scope parameter from the WWW-Authenticate header",
        "Client SHOULD use the scope parameter from the WWW-Authenticate header when provided"),
    "scope-from-scopes-supported": (
        "Client correctly used all scopes from scopes_supported in PRM when scope not in WWW-Authenticate",
        "Client SHOULD use all scopes from scopes_supported when scope not available in WWW-Authenticate header"),
    "scope-omitted-when-undefined": (
        "Client correctly omitted scope parameter when scopes_supported is undefined",
        "Client SHOULD omit scope parameter when scopes_supported is undefined and scope not in WWW-Authenticate"),
}


def scope_selection(check_id: str, expected: tuple[str, ...]) -> Grader:
    """The first authorization request asks for `expected` (all of it), or for no scope when `expected` is empty."""

    def grade(traffic: Traffic) -> list[Check]:
        if not traffic.authorizations:
            return [check(check_id, "Client did not complete authorization flow - scope check could not be performed",
                          "FAILURE")]
        first = traffic.authorizations[0]
        asked = _requested(first)
        ok = all(s in asked for s in expected) if expected else not asked
        good, bad = SCOPE_TEXT[check_id]
        return [check(check_id, good if ok else bad, "SUCCESS" if ok else "WARNING", at=first["time"],
                      details={"expectedScope": " ".join(expected) or "omitted",
                               "requestedScope": " ".join(asked) or "none"})]

    return grade


def step_up(initial: tuple[str, ...], escalated: tuple[str, ...]) -> Grader:
    """conformance scope-step-up: the first authorization asks for `initial`, the second (after the 403) for all of
    `escalated`."""

    def grade(traffic: Traffic) -> list[Check]:
        auths = traffic.authorizations
        out = []
        if auths:
            ok = all(s in _requested(auths[0]) for s in initial)
            out.append(check("scope-step-up-initial", "Client correctly used scope from WWW-Authenticate header for "
                             "initial auth" if ok else "Client SHOULD use the scope parameter from the WWW-Authenticate "
                             "header", "SUCCESS" if ok else "WARNING", at=auths[0]["time"],
                             details={"expectedScope": " ".join(initial),
                                      "requestedScope": " ".join(_requested(auths[0])) or "none"}))
        else:
            out.append(check("scope-step-up-initial", "Client did not make an initial authorization request", "FAILURE"))
        if len(auths) > 1:
            ok = all(s in _requested(auths[1]) for s in escalated)
            out.append(check("scope-step-up-escalation", "Client correctly escalated scopes for step-up authentication"
                             if ok else "Client SHOULD request additional scopes when receiving 403 with new scope "
                             "requirements", "SUCCESS" if ok else "WARNING", at=auths[1]["time"],
                             details={"expectedScopes": " ".join(escalated),
                                      "requestedScope": " ".join(_requested(auths[1])) or "none"}))
        else:
            out.append(check("scope-step-up-escalation", "Client did not make a second authorization request for scope "
                             "escalation", "FAILURE"))
        return out

    return grade


def retry_limit(limit: int = 3) -> Grader:
    """conformance scope-retry-limit: at most `limit` authorization attempts against a 403 that never lifts."""

    def grade(traffic: Traffic) -> list[Check]:
        auths = traffic.authorizations
        out = [check("scope-retry-auth-attempt", f"Client made authorization request attempt {i}", "INFO",
                     at=r["time"], name=f"Authorization attempt {i}",
                     details={"attemptNumber": i, "requestedScope": " ".join(_requested(r)) or "none"})
               for i, r in enumerate(auths, start=1)]
        n = len(auths)
        if n == 0:
            out.append(check("scope-retry-limit", "Client did not make any authorization requests", "FAILURE"))
        elif n <= limit:
            out.append(check("scope-retry-limit", f"Client correctly limited retry attempts to {n} ({limit} or fewer)",
                             "SUCCESS", details={"authorizationAttempts": n, "maxAllowed": limit}))
        else:
            out.append(check("scope-retry-limit", f"Client made {n} authorization attempts (more than {limit}). "
                             "Clients SHOULD implement retry limits to avoid infinite loops.", "FAILURE",
                             details={"authorizationAttempts": n, "maxAllowed": limit}))
        return out

    return grade


def offline_access(supported: bool) -> Grader:
    """SEP-2207: ask for offline_access (and register refresh_token) when the AS lists it; never when it does not."""

    def grade(traffic: Traffic) -> list[Check]:
        out = []
        for r in traffic.registrations if supported else ():  # conformance inspects the DCR body only then
            grants = body(r).get("grant_types") or []
            ok = "refresh_token" in grants
            out.append(check("sep-2207-client-metadata-grant-types", "Client correctly included refresh_token in "
                             "grant_types during dynamic client registration" if ok else "Client SHOULD include "
                             "refresh_token in grant_types client metadata (SEP-2207)", "SUCCESS" if ok else "WARNING",
                             at=r["time"], details={"registrationMethod": "DCR",
                                                    "grantTypes": " ".join(grants) or "none"}))
        for r in traffic.authorizations:
            asked = "offline_access" in _requested(r)
            if supported:
                out.append(check("sep-2207-offline-access-requested", "Client included offline_access in authorization "
                                 "request scope when AS lists it in scopes_supported" if asked else "Client MAY include "
                                 "offline_access in scope when AS metadata lists it in scopes_supported (SEP-2207). "
                                 "Client chose not to request it.", "SUCCESS" if asked else "INFO", at=r["time"]))
            else:
                out.append(check("sep-2207-offline-access-not-requested", "Client MUST NOT request offline_access when "
                                 "it is not listed in AS scopes_supported (SEP-2207)" if asked else "Client correctly "
                                 "did not request offline_access when AS does not list it in scopes_supported",
                                 "FAILURE" if asked else "SUCCESS", at=r["time"]))
        return out

    return grade


# --- token requests ---------------------------------------------------------------------------------------------


def token_endpoint_auth_method(expected: str) -> Grader:
    """conformance token-endpoint-auth-*: the code exchange authenticates with the one method the AS supports."""

    def grade(traffic: Traffic) -> list[Check]:
        exchanges = traffic.tokens("authorization_code")
        if not exchanges:
            return [check("token-endpoint-auth-method", "Client did not make a token request", "FAILURE")]
        r = exchanges[0]
        used = auth_method(r)
        malformed = used == "client_secret_basic" and "malformed HTTP Basic" in str(r.get("reason") or "")
        ok = used == expected and not malformed
        text = ("Client sent Basic auth header but it is malformed" if malformed else
                f"Client correctly used {expected} for token endpoint" if ok else
                f"Client used {used} but server only supports {expected}")
        return [check("token-endpoint-auth-method", text, "SUCCESS" if ok else "FAILURE", at=r["time"],
                      details={"expectedAuthMethod": expected, "actualAuthMethod": used,
                               "hasAuthorizationHeader": bool(header(r, "authorization")),
                               "hasBodyClientSecret": bool(body(r).get("client_secret"))})]

    return grade


def _valid_uri(value: str) -> str | None:
    parts = urlsplit(value)
    if not parts.scheme:
        return "invalid URI format"
    return "contains fragment (not allowed per RFC 8707)" if parts.fragment or "#" in value else None


def resource_parameter(traffic: Traffic) -> list[Check]:
    """RFC 8707 `resource` in the first authorization request and code exchange: present, a URI, the same."""
    auths, exchanges = traffic.authorizations, traffic.tokens("authorization_code") or traffic.tokens()
    in_auth = (auths[0].get("query") or {}).get("resource") if auths else None
    in_token = body(exchanges[0]).get("resource") if exchanges else None
    out = [
        check("resource-parameter-in-authorization", "Client included resource parameter in authorization request"
              if in_auth else "Client MUST include resource parameter in authorization request per RFC 8707",
              "SUCCESS" if in_auth else "FAILURE", details={"resource": in_auth or "not provided"}),
        check("resource-parameter-in-token", "Client included resource parameter in token request" if in_token
              else "Client MUST include resource parameter in token request per RFC 8707",
              "SUCCESS" if in_token else "FAILURE", details={"resource": in_token or "not provided"}),
    ]
    sample = in_auth or in_token
    if sample:
        problem = _valid_uri(sample)
        out.append(check("resource-parameter-valid-uri", "Resource parameter is a valid canonical URI (has scheme, "
                         "no fragment)" if problem is None else f"Resource parameter is invalid: {problem}",
                         "SUCCESS" if problem is None else "FAILURE", details={"resource": sample}))
    if in_auth and in_token:
        same = in_auth == in_token
        out.append(check("resource-parameter-consistency", "Resource parameter is consistent between authorization "
                         "and token requests" if same else "Resource parameter MUST be consistent between "
                         "authorization and token requests", "SUCCESS" if same else "FAILURE",
                         details={"authorizationResource": in_auth, "tokenResource": in_token}))
    return out


def pre_registration(traffic: Traffic) -> list[Check]:
    """conformance pre-registration: the pre-registered credentials, with HTTP Basic, accepted by the AS."""
    exchanges = traffic.tokens()
    if not exchanges:
        return [check("pre-registration-auth", "Client did not make a token request", "FAILURE")]
    r = exchanges[0]
    if auth_method(r) != "client_secret_basic":
        return [check("pre-registration-auth", "Client did not use Basic authentication with pre-registered "
                      "credentials", "FAILURE", at=r["time"])]
    if r["status"] != 200:
        return [check("pre-registration-auth", f"Client used incorrect pre-registered credentials: {r.get('reason')}",
                      "FAILURE", at=r["time"])]
    return [check("pre-registration-auth", "Client correctly used pre-registered credentials when server does not "
                  "support DCR", "SUCCESS", at=r["time"], details={"clientId": body(r).get("client_id")})]


def resource_mismatch(prm_resource: str) -> Grader:
    def grade(traffic: Traffic) -> list[Check]:
        made = bool(traffic.authorizations)
        return [check("resource-mismatch-rejected", "Client MUST validate that PRM resource matches the server URL "
                      "before proceeding with authorization" if made else "Client correctly rejected authorization "
                      "when PRM resource does not match server URL", "FAILURE" if made else "SUCCESS",
                      details={"prmResource": prm_resource,
                               "expectedBehavior": "Client should NOT proceed with authorization",
                               "authorizationRequestMade": made})]

    return grade


# --- client credentials and cross-app access ----------------------------------------------------------------------


def client_credentials_jwt(client_id: str) -> Grader:
    """conformance client-credentials-jwt: a private_key_jwt assertion the AS verifies (iss = sub = client id)."""

    def grade(traffic: Traffic) -> list[Check]:
        out = []
        for r in traffic.tokens():
            fields = body(r)
            if fields.get("grant_type") != "client_credentials":
                out.append(check("client-credentials-grant-type", f"Expected grant_type=client_credentials, got "
                                 f"{fields.get('grant_type')}", "FAILURE", at=r["time"]))
                continue
            claims = jwt_claims(r, "request.body.client_assertion")
            if fields.get("client_assertion_type") != "urn:ietf:params:oauth:client-assertion-type:jwt-bearer":
                out.append(check("client-credentials-assertion-type", f"Invalid client_assertion_type: "
                                 f"{fields.get('client_assertion_type')}", "FAILURE", at=r["time"]))
            for claim, cid in (("iss", "client-credentials-jwt-iss"), ("sub", "client-credentials-jwt-sub")):
                if claims and claims.get(claim) != client_id:
                    out.append(check(cid, f"JWT {claim} claim '{claims.get(claim)}' does not match expected client_id "
                                     f"'{client_id}'", "FAILURE", at=r["time"],
                                     details={"expected": client_id, "actual": claims.get(claim)}))
            ok = r["status"] == 200
            out.append(check("client-credentials-jwt-verified", "Client successfully authenticated with signed JWT "
                             "assertion" if ok else f"JWT verification failed: {r.get('reason')}",
                             "SUCCESS" if ok else "FAILURE", at=r["time"],
                             details={"iss": claims.get("iss"), "sub": claims.get("sub"), "aud": claims.get("aud")}))
        return out or [check("client-credentials-jwt-verified", "Client did not make a client_credentials token "
                             "request", "FAILURE")]

    return grade


def client_credentials_basic(traffic: Traffic) -> list[Check]:
    out = []
    for r in traffic.tokens():
        if body(r).get("grant_type") != "client_credentials":
            out.append(check("client-credentials-grant-type", f"Expected grant_type=client_credentials, got "
                             f"{body(r).get('grant_type')}", "FAILURE", at=r["time"]))
        elif auth_method(r) != "client_secret_basic":
            out.append(check("client-credentials-basic-auth", "Missing or invalid Authorization header for Basic auth",
                             "FAILURE", at=r["time"]))
        else:
            ok = r["status"] == 200
            out.append(check("client-credentials-basic-auth", "Client successfully authenticated with "
                             "client_secret_basic" if ok else f"Invalid client credentials: {r.get('reason')}",
                             "SUCCESS" if ok else "FAILURE", at=r["time"]))
    return out or [check("client-credentials-basic-auth", "Client did not make a client_credentials token request",
                         "FAILURE")]


TOKEN_EXCHANGE = "urn:ietf:params:oauth:grant-type:token-exchange"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"
EXCHANGE_PARAMS = {"subject_token": None, "subject_token_type": "urn:ietf:params:oauth:token-type:id_token",
                   "requested_token_type": "urn:ietf:params:oauth:token-type:id-jag", "audience": None,
                   "resource": None}


def cross_app_access(traffic: Traffic) -> list[Check]:
    """conformance cross-app-access-complete-flow: ID token -> ID-JAG at the IdP, then jwt-bearer at the AS."""
    out = []
    for r in traffic.tokens(TOKEN_EXCHANGE):
        fields = body(r)
        wrong = [n for n, v in EXCHANGE_PARAMS.items() if not fields.get(n) or (v is not None and fields.get(n) != v)]
        ok = not wrong and r["status"] == 200
        text = (f"Token exchange missing or invalid required parameters: {', '.join(wrong)}" if wrong else
                "Successfully exchanged IDP ID token for ID-JAG at IdP with all required parameters" if ok else
                f"Token exchange failed: {r.get('reason')}")
        out.append(check("complete-flow-token-exchange", text, "SUCCESS" if ok else "FAILURE", at=r["time"]))
    for r in traffic.tokens(JWT_BEARER):
        basic = auth_method(r) == "client_secret_basic"
        ok = basic and r["status"] == 200
        text = ("Missing or invalid Authorization header for client_secret_basic authentication" if not basic else
                "Successfully verified client auth, ID-JAG claims, and exchanged for access token" if ok else
                f"JWT bearer grant failed: {r.get('reason')}")
        out.append(check("complete-flow-jwt-bearer", text, "SUCCESS" if ok else "FAILURE", at=r["time"]))
    if not traffic.tokens(TOKEN_EXCHANGE):
        out.append(check("complete-flow-token-exchange", "Client did not perform token exchange", "FAILURE"))
    if not traffic.tokens(JWT_BEARER):
        out.append(check("complete-flow-jwt-bearer", "Client did not perform JWT bearer grant exchange", "FAILURE"))
    return out


# --- authstage's own: the Auth0 and AgentCore traps -----------------------------------------------------------------


def token_audience(traffic: Traffic) -> list[Check]:
    """Every access token the IdP issued to the client names the MCP server in `aud` (Auth0: `resource` honoured,
    not the userinfo audience or a Default Audience, F-1/F-22)."""
    resource = traffic.server_url
    out = []
    for r in traffic.tokens():
        if r["status"] != 200:
            continue
        claims = jwt_claims(r, "response.body.access_token")
        aud = claims.get("aud")
        ok = resource in (aud if isinstance(aud, list) else [aud])
        out.append(check("token-audience", f"The access token's aud names {resource}" if ok else
                         f"The access token's aud {aud!r} does not name the MCP server {resource}: the resource "
                         "server will refuse it (Auth0 without the compatibility profile mints a userinfo token)",
                         "SUCCESS" if ok else "FAILURE", at=r["time"], details={"aud": aud, "expected": resource}))
    return out or [check("token-audience", "No access token was issued to the client", "FAILURE")]


def preregistered_client_used(traffic: Traffic) -> list[Check]:
    """Given credentials, the client never registers (Auth0 keeps advertising registration_endpoint while DCR is off:
    a client that registers anyway gets 400 "dynamic client registration is disabled", F-6)."""
    posts = traffic.registrations
    return [check("preregistered-client-used", "Client used the pre-registered client and never called the "
                  "registration endpoint" if not posts else f"Client called the registration endpoint "
                  f"{len(posts)} time(s) although it was given a client: {posts[0].get('reason')}",
                  "FAILURE" if posts else "SUCCESS")]


def refresh_rotation(traffic: Traffic) -> list[Check]:
    """Rotating refresh tokens: each refresh presents the newest one. Reusing a rotated token is 403 "Unknown or
    invalid refresh token." and revokes the whole family (Auth0 reuse detection, F-15)."""
    refreshes = traffic.tokens("refresh_token")
    reused = [r for r in refreshes if is_refused_refresh_reuse(r)]
    if reused:
        return [check("refresh-token-rotation", "Client presented a refresh token that had already been rotated: the "
                      "authorization server revoked the whole family", "FAILURE", at=reused[0]["time"],
                      details={"refreshes": len(refreshes), "reason": reused[0].get("reason")})]
    if not refreshes:
        return [check("refresh-token-rotation", "Client never refreshed a token (nothing to grade)", "INFO")]
    return [check("refresh-token-rotation", f"Client stored and used each rotated refresh token ({len(refreshes)} "
                  "refreshes)", "SUCCESS", at=refreshes[-1]["time"], details={"refreshes": len(refreshes)})]


def prm_discovered(traffic: Traffic) -> list[Check]:
    """The gateway serves RFC 9728 at the root only (DOC gateway-inbound-auth); its 401 names it."""
    found = [r for r in traffic.at(traffic.target, "GET", ROOT_PRM) if r["status"] == 200]
    return [check("prm-discovered", "Client read the gateway's protected-resource metadata" if found else
                  "Client never read the gateway's protected-resource metadata", "SUCCESS" if found else "FAILURE",
                  at=found[0]["time"] if found else None)]


AS_PATHS = ("/.well-known/oauth-authorization-server", "/.well-known/openid-configuration", "/register", "/authorize",
            "/token")


def no_as_probe(traffic: Traffic) -> list[Check]:
    """The gateway is no authorization server: such probes get Coral's UnknownOperationException (OBSERVED
    awslabs/agentcore-samples#1056), the 2025-03-26 fallback a client must not take when the PRM names the IdP."""
    probes = [r for r in traffic.records if r["service"] == traffic.target and r["path"].startswith(AS_PATHS)]
    return [check("no-as-probe-at-gateway", "Client took the authorization server from the metadata" if not probes else
                  f"Client probed the gateway for an authorization server: {probes[0]['method']} {probes[0]['path']} "
                  f"-> {probes[0]['status']}", "WARNING" if probes else "SUCCESS",
                  details={"probes": [f"{r['method']} {r['path']}" for r in probes]})]


def mcp_session(traffic: Traffic) -> list[Check]:
    """With sessions on, every request after initialize carries the Mcp-Session-Id it returned (400 without it,
    404 for an unknown one: DOC gateway-sessions)."""
    issued: str | None = None
    problems = []
    for r in traffic.mcp:
        if issued is None:
            issued = header(r, "mcp-session-id", "response") or None
            continue
        sent = header(r, "mcp-session-id")
        if sent != issued or r["status"] in (400, 404):
            problems.append(f"{body(r).get('method')}: sent {sent or 'no session id'} -> {r['status']}")
    if issued is None:
        return [check("mcp-session-id-echoed", "The server never issued a session id", "FAILURE")]
    return [check("mcp-session-id-echoed", "Client sent the session id on every later request" if not problems else
                  f"Client lost the session: {problems[0]}", "FAILURE" if problems else "SUCCESS",
                  details={"problems": problems})]


def tool_called(traffic: Traffic) -> list[Check]:
    calls = [r for r in traffic.mcp if body(r).get("method") == "tools/call" and r["status"] == 200]
    return [check("mcp-tool-called", f"tools/call answered ({header(calls[0], 'content-type', 'response')})" if calls
                  else "Client made no tools/call that the server answered", "SUCCESS" if calls else "FAILURE",
                  at=calls[0]["time"] if calls else None)]

