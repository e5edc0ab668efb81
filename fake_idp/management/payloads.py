"""Auth0 Management API v2 payloads <-> the tenant model (fake_idp/tenant.py), one pair per resource.

Response shapes and defaults are the captured ones (auth0/go-auth0 `test/data/recordings`, e.g.
`TestClientGrantManager_Create.yaml`, `TestResourceServer_Create.yaml`, `TestTenantManager.yaml`,
`TestConnectionManager_List.yaml`, `TestUserManager_Create.yaml`): resource-server ids are 24 hex characters,
client grants `cgr_` + 16, connections `con_` + 16, users `auth0|` + 24 hex, client ids 32 alphanumerics.
Properties Auth0 knows but the emulator does not model are accepted and ignored (named in the request log's
notes); properties Auth0 does not know are a 400 "Payload validation error".
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from typing import Any

from authstage_kit import ids
from fake_idp.management.errors import PAYLOAD_ADDITIONAL, bad_request
from fake_idp.tenant import Api, Client, ClientGrant, Connection, Tenant, User

__all__ = [
    "CLIENT_DEFAULT_GRANTS",
    "api_id",
    "api_payload",
    "apply_settings",
    "client_payload",
    "connection_id",
    "connection_payload",
    "grant_id",
    "grant_payload",
    "settings_payload",
    "split",
    "user_payload",
]

RS_MODELED = ("name", "identifier", "scopes", "signing_alg", "signing_secret", "token_lifetime", "token_dialect",
              "enforce_policies", "allow_offline_access", "skip_consent_for_verifiable_first_party_clients",
              "subject_type_authorization")
RS_KNOWN = ("token_lifetime_for_web", "allow_online_access", "allow_online_access_with_ephemeral_sessions",
            "token_lifetime_for_anonymous_access_tokens", "access_token", "token_encryption", "consent_policy",
            "require_consent_non_repudiation", "authorization_details", "proof_of_possession",
            "authorization_policy", "verificationLocation", "options", "client_id", "is_system", "id")
CLIENT_MODELED = ("name", "app_type", "is_first_party", "grant_types", "token_endpoint_auth_method", "callbacks",
                  "allowed_logout_urls", "jwt_configuration", "refresh_token", "client_secret")
CLIENT_KNOWN = ("description", "logo_uri", "oidc_conformant", "sso", "sso_disabled", "cross_origin_auth",
                "cross_origin_authentication", "cross_origin_loc", "custom_login_page_on", "custom_login_page",
                "custom_login_page_preview", "form_template", "web_origins", "allowed_origins", "allowed_clients",
                "client_aliases", "client_metadata", "initiate_login_uri", "organization_usage",
                "organization_require_behavior", "is_token_endpoint_ip_header_trusted", "native_social_login",
                "addons", "mobile", "encryption_key", "default_organization", "oidc_logout",
                "oidc_backchannel_logout", "compliance_level", "require_pushed_authorization_requests",
                "require_proof_of_possession", "token_exchange", "client_authentication_methods",
                "signed_request_object", "session_transfer", "express_configuration", "client_id")
# CAPTURE go-auth0 TestClientGrantManager_Create.yaml: a client created without grant_types gets these.
CLIENT_DEFAULT_GRANTS = ["authorization_code", "implicit", "refresh_token", "client_credentials"]
# CAPTURE (same file): the refresh_token block of a new client.
REFRESH_DEFAULTS = {"infinite_token_lifetime": True, "infinite_idle_token_lifetime": True}


def split(body: dict[str, Any], modeled: Iterable[str], known: Iterable[str], where: str) -> tuple[dict[str, Any], list[str]]:
    """(the properties the emulator models, the known ones it ignores); unknown ones are a 400."""
    modeled, known = tuple(modeled), tuple(known)
    unknown = sorted(k for k in body if k not in modeled and k not in known)
    if unknown:
        raise bad_request(PAYLOAD_ADDITIONAL.format(names=", ".join(unknown)),
                          reason=f"{where}: properties Auth0 does not know: {unknown}")
    return {k: v for k, v in body.items() if k in modeled}, sorted(k for k in body if k in known)


def _hash(text: str, n: int) -> str:
    return hashlib.sha256(text.encode()).hexdigest()[:n]


def api_id(api: Api) -> str:
    return api.id or _hash("rs:" + api.identifier, 24)


def grant_id(grant: ClientGrant) -> str:
    return grant.id or "cgr_" + _hash(f"cg:{grant.client_id or grant.default_for}:{grant.audience}", 16)


def connection_id(connection: Connection) -> str:
    return connection.id or "con_" + _hash("con:" + connection.name, 16)


def new_id(prefix: str, n: int, hexonly: bool = False) -> str:
    return prefix + (ids.token_hex(n // 2) if hexonly else ids.random_string(n))


def api_payload(api: Api) -> dict[str, Any]:
    """A resource server, in the captured key order."""
    body: dict[str, Any] = {"id": api_id(api), "name": api.name, "identifier": api.identifier}
    body["scopes"] = [{"value": s.value, "description": s.description} for s in api.scopes]
    body |= {"signing_alg": api.signing_alg, "allow_offline_access": api.allow_offline_access,
             "token_lifetime": api.token_lifetime, "token_lifetime_for_web": min(api.token_lifetime, 7200),
             "skip_consent_for_verifiable_first_party_clients": api.skip_consent_for_verifiable_first_party_clients,
             "enforce_policies": api.enforce_policies, "token_dialect": api.token_dialect,
             "subject_type_authorization": api.subject_type_authorization.model_dump(mode="json")}
    return body


def client_payload(client: Client, tenant: Tenant, *, secret: bool) -> dict[str, Any]:
    """A client, in the captured key order; `client_secret` only when the caller may read it."""
    body: dict[str, Any] = {"tenant": tenant.name, "name": client.name, "client_id": client.client_id}
    if secret and client.client_secret:
        body["client_secret"] = client.client_secret
    body |= {"app_type": client.app_type, "is_first_party": client.is_first_party,
             "is_token_endpoint_ip_header_trusted": False, "oidc_conformant": True,
             "jwt_configuration": {"secret_encoded": False, **client.jwt_configuration.model_dump(mode="json")},
             "sso_disabled": False, "cross_origin_auth": False, "grant_types": list(client.grant_types),
             "custom_login_page_on": True,
             "refresh_token": {**client.refresh_token.model_dump(mode="json"), **REFRESH_DEFAULTS},
             "token_endpoint_auth_method": client.token_endpoint_auth_method,
             "callbacks": list(client.callbacks), "allowed_logout_urls": list(client.allowed_logout_urls)}
    return body


def grant_payload(grant: ClientGrant) -> dict[str, Any]:
    body: dict[str, Any] = {"id": grant_id(grant)}
    if grant.client_id is not None:
        body["client_id"] = grant.client_id
    body |= {"audience": grant.audience, "scope": list(grant.scope)}
    if grant.default_for:
        body["default_for"] = grant.default_for
    if grant.subject_type:
        body["subject_type"] = grant.subject_type
    return body


def user_payload(user: User) -> dict[str, Any]:
    """A user as POST/GET /api/v2/users answers (CAPTURE go-auth0 TestUserManager_Create.yaml)."""
    local = user.user_id.split("|", 1)[-1]
    body: dict[str, Any] = {
        "created_at": user.updated_at, "email": user.email, "email_verified": user.email_verified,
        "identities": [{"connection": user.connection, "user_id": local, "provider": "auth0", "isSocial": False}],
        "name": user.name or user.email, "nickname": user.nickname or user.email.split("@")[0],
        "picture": user.picture or "https://s.gravatar.com/avatar/" + _hash(user.email.lower(), 32),
        "updated_at": user.updated_at, "user_id": user.user_id,
    }
    if user.blocked:
        body["blocked"] = True
    return body


def connection_payload(connection: Connection) -> dict[str, Any]:
    """A connection (CAPTURE go-auth0 TestConnectionManager_List.yaml: id, options, strategy, name, ...)."""
    return {"id": connection_id(connection), "options": {"brute_force_protection": True},
            "strategy": connection.strategy, "name": connection.name,
            "is_domain_connection": connection.is_domain_connection,
            "enabled_clients": list(connection.enabled_clients), "realms": [connection.name]}


SETTINGS_MODELED = ("friendly_name", "default_audience", "allowed_logout_urls",
                    "dynamic_client_registration_security_mode", "client_id_metadata_document_supported",
                    "authorization_response_iss_parameter_supported", "resource_parameter_profile")


def apply_settings(doc: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """Apply Auth0 tenant settings (PATCH /api/v2/tenants/settings, deploy-cli `tenant:`) to a tenant document;
    returns the properties accepted but not emulated."""
    settings = doc.setdefault("settings", {})
    flags = dict(body.get("flags") or {})
    ignored = [k for k in body if k not in (*SETTINGS_MODELED, "flags")]
    for key in SETTINGS_MODELED:
        if key in body:
            value = body[key]
            settings[key] = "ignore" if key == "resource_parameter_profile" and value == "audience" else value
    if "enable_dynamic_client_registration" in flags:
        settings["enable_dynamic_client_registration"] = flags.pop("enable_dynamic_client_registration")
    if "remove_alg_from_jwks" in flags:
        doc.setdefault("keys", {})["include_alg"] = not flags.pop("remove_alg_from_jwks")
    if "revoke_refresh_token_grant" in flags:
        settings["refresh_token_revocation_deletes_grant"] = flags.pop("revoke_refresh_token_grant")
    return ignored + [f"flags.{k}" for k in flags]


def settings_payload(tenant: Tenant) -> dict[str, Any]:
    """GET /api/v2/tenants/settings: the settings the emulator models, Auth0's property names
    (CAPTURE go-auth0 TestTenantManager.yaml; `resource_parameter_profile: audience | compatibility` per Auth0's
    own API definition as shipped in auth0-python 6's TenantSettingsResourceParameterProfile)."""
    settings = tenant.settings
    body: dict[str, Any] = {
        "allowed_logout_urls": list(settings.allowed_logout_urls),
        "enabled_locales": ["en"],
        "flags": {"enable_dynamic_client_registration": settings.enable_dynamic_client_registration,
                  "remove_alg_from_jwks": not tenant.keys.include_alg,
                  "revoke_refresh_token_grant": settings.refresh_token_revocation_deletes_grant},
        "friendly_name": settings.friendly_name,
        "resource_parameter_profile": "compatibility" if settings.resource_parameter_profile == "compatibility"
        else "audience",
        "dynamic_client_registration_security_mode": settings.dynamic_client_registration_security_mode,
        "client_id_metadata_document_supported": settings.client_id_metadata_document_supported,
        "authorization_response_iss_parameter_supported": settings.authorization_response_iss_parameter_supported,
    }
    if settings.default_audience:
        body["default_audience"] = settings.default_audience
    return body
