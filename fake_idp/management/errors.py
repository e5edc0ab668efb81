"""Auth0 Management API v2 error bodies (Hapi/Boom plus `errorCode`), each exact string with its source.

Shape: `{"statusCode": 404, "error": "Not Found", "message": "...", "errorCode": "..."}`; 401s carry
`attributes: {"error": <message>}` (hapi-auth-jwt2's `Boom.unauthorized`). Sources: CAPTURE = a recorded real
response (auth0/terraform-provider-auth0 `test/data/recordings/*.yaml`, auth0/go-auth0 recordings),
COMMUNITY = a real body quoted in an issue or write-up, INFERRED = our wording where none was found.
"""

from __future__ import annotations

from typing import Any

from fake_idp.errors import HTTP_PHRASES, JsonError

__all__ = [
    "ManagementError",
    "bad_request",
    "conflict",
    "forbidden_scope",
    "not_found",
    "unauthorized",
]

PHRASES = {**HTTP_PHRASES, 409: "Conflict"}

# CAPTURE terraform-provider-auth0 TestAccDataSourceResourceServer.yaml, TestAccDataSourceClientNonexistentID.yaml,
# TestAccDataSourceUser.yaml, connection tests: {"statusCode":404,"error":"Not Found","message":"The resource
# server does not exist","errorCode":"inexistent_resource_server"} and the others below.
NOT_FOUND = {
    "resource_server": ("The resource server does not exist", "inexistent_resource_server"),
    "client": ("The client does not exist", "inexistent_client"),
    "user": ("The user does not exist.", "inexistent_user"),
    "connection": ("The connection does not exist", "inexistent_connection"),
    "client_grant": ("The client grant does not exist", "inexistent_client_grant"),  # INFERRED by analogy
}
# COMMUNITY (a user's log of POST /api/v2/users, id 7546495359): 400 with errorCode inexistent_connection.
USER_CONNECTION_MISSING = "The connection does not exist."
# CAPTURE terraform-provider-auth0 recordings: "Payload validation error: '<detail>' on property <path>
# (<description>)." with errorCode invalid_body.
PAYLOAD_VALIDATION = "Payload validation error: '{detail}' on property {path}."
PAYLOAD_ADDITIONAL = "Payload validation error: 'Additional properties not allowed: {names}'."
INVALID_JSON = "Invalid request payload JSON format"  # Hapi's wording for a body it cannot parse
# COMMUNITY hashicorp/terraform-provider-auth0#4: "409 Conflict: A connection with the same name already exists".
CONNECTION_EXISTS = "A connection with the same name already exists"
RESOURCE_SERVER_EXISTS = "A resource server with the same identifier already exists"  # INFERRED by analogy
CLIENT_GRANT_EXISTS = "A client grant for this client and audience already exists"  # INFERRED
USER_EXISTS = "The user already exists."  # INFERRED
# COMMUNITY raster-foundry/raster-foundry#2030 (a real Management API answer):
# {"statusCode":403,"error":"Forbidden","message":"Insufficient scope, expected any of: read:users,...",
#  "errorCode":"insufficient_scope"}
INSUFFICIENT_SCOPE = "Insufficient scope, expected any of: {scopes}"
# Hapi's default for a route with auth and no credentials (COMMUNITY: many Hapi/Auth0 captures).
MISSING_AUTHENTICATION = "Missing authentication"
# COMMUNITY (node-auth0 ErrorApiException quoted in a write-up, ids 39737719250 / 40264147074):
# {"statusCode":401,"error":"Unauthorized","message":"Expired token received for JSON Web Token validation",
#  "attributes":{"error":"Expired token received for JSON Web Token validation"}}
EXPIRED_TOKEN = "Expired token received for JSON Web Token validation"
# COMMUNITY (hapi-auth-jwt plugin wording the Management API uses, id 15243579837).
INVALID_SIGNATURE = "Invalid signature received for JSON Web Token validation"
BAD_AUDIENCE = "Bad audience: {audience}"  # INFERRED (the real text is not captured)
INVALID_TOKEN = "Invalid token"  # INFERRED: a bearer value that is not a JWT


class ManagementError(JsonError):
    """One Management API error answer (a JsonError: fake_idp/render.py writes its body as JSON)."""

    def __init__(self, status: int, message: str, error_code: str | None = None, *, reason: str | None = None,
                 attributes: bool = False) -> None:
        body: dict[str, Any] = {"statusCode": status, "error": PHRASES.get(status, "Error"), "message": message}
        if error_code:
            body["errorCode"] = error_code
        if attributes:
            body["attributes"] = {"error": message}
        super().__init__(status, body, reason=reason or message)
        self.message = message


def not_found(kind: str, reason: str) -> ManagementError:
    message, code = NOT_FOUND[kind]
    return ManagementError(404, message, code, reason=reason)


def bad_request(message: str, *, reason: str | None = None, code: str = "invalid_body") -> ManagementError:
    return ManagementError(400, message, code, reason=reason)


def conflict(message: str, *, reason: str | None = None) -> ManagementError:
    return ManagementError(409, message, "conflict", reason=reason)  # errorCode INFERRED


def forbidden_scope(scope: str, *, reason: str) -> ManagementError:
    return ManagementError(403, INSUFFICIENT_SCOPE.format(scopes=scope), "insufficient_scope", reason=reason)


def unauthorized(message: str, *, reason: str) -> ManagementError:
    return ManagementError(401, message, None, reason=reason, attributes=message != MISSING_AUTHENTICATION)
