"""OpenID Connect Discovery 1.0 / RFC 8414 metadata and the JWKS document (auth0-tenant.md §1.2-§1.4).

Two profiles with Auth0's exact key order: ``2026`` (CAPTURE api-evangelist agerpoint, 2026-09) and
``classic`` (CAPTURE of a 2023 tenant, dev-ltxchcls4igzho78, in redpanda's OIDC test fixtures: no
``grant_types_supported``, no ``none`` auth method, no end_session/backchannel/DPoP fields).
``/.well-known/oauth-authorization-server`` is the same document when ``rfc8414_metadata: alias``.
``profile.discovery`` (``metadata.py``) moves the documents to the URLs an issuer with a path implies and overrides
what a generic IdP advertises differently.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fake_idp import errors
from fake_idp.audience import OIDC_SCOPES
from fake_idp.context import Ctx
from fake_idp.metadata import apply_profile, require_served
from fake_idp.pkce import CODE_CHALLENGE_METHODS
from fake_idp.wire import Outgoing, html_response, json_response

__all__ = [
    "discovery_document",
    "jwks_endpoint",
    "oauth_authorization_server",
    "openid_configuration",
    "path_metadata",
]

RESPONSE_TYPES = [
    "code",
    "token",
    "id_token",
    "code token",
    "code id_token",
    "token id_token",
    "code token id_token",
]
CLAIMS_SUPPORTED = [
    "aud",
    "auth_time",
    "created_at",
    "email",
    "email_verified",
    "exp",
    "family_name",
    "given_name",
    "iat",
    "identities",
    "iss",
    "name",
    "nickname",
    "phone_number",
    "picture",
    "sub",
]
GRANT_TYPES_2026 = [
    "client_credentials",
    "authorization_code",
    "refresh_token",
    "password",
    "implicit",
    "urn:ietf:params:oauth:grant-type:device_code",
    "urn:ietf:params:oauth:grant-type:token-exchange",
    "http://auth0.com/oauth/grant-type/password-realm",
    "http://auth0.com/oauth/grant-type/passwordless/otp",
    "http://auth0.com/oauth/grant-type/mfa-oob",
    "http://auth0.com/oauth/grant-type/mfa-otp",
    "http://auth0.com/oauth/grant-type/mfa-recovery-code",
    "urn:ietf:params:oauth:grant-type:jwt-bearer",
]


def discovery_document(ctx: Ctx) -> dict[str, Any]:
    s = ctx.tenant.settings
    u = ctx.url
    doc: dict[str, Any] = {
        "issuer": ctx.issuer,
        "authorization_endpoint": u("/authorize"),
        "token_endpoint": u("/oauth/token"),
        "device_authorization_endpoint": u("/oauth/device/code"),
        "userinfo_endpoint": u("/userinfo"),
        "mfa_challenge_endpoint": u("/mfa/challenge"),
        "jwks_uri": u("/.well-known/jwks.json"),
        # Always published, even when DCR is disabled (sheet §1.2 item 3, F-6).
        "registration_endpoint": u("/oidc/register"),
        "revocation_endpoint": u("/oauth/revoke"),
        "scopes_supported": list(OIDC_SCOPES),
        "response_types_supported": list(RESPONSE_TYPES),
        "code_challenge_methods_supported": list(CODE_CHALLENGE_METHODS),
        "response_modes_supported": ["query", "fragment", "form_post"],
        "subject_types_supported": ["public"],
    }
    if s.discovery_profile == "classic":
        doc["id_token_signing_alg_values_supported"] = ["HS256", "RS256", "PS256"]
        doc["token_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
        ]
        doc["claims_supported"] = list(CLAIMS_SUPPORTED)
        doc["request_uri_parameter_supported"] = False
        doc["request_parameter_supported"] = False
    else:
        doc["token_endpoint_auth_methods_supported"] = [
            "client_secret_basic",
            "client_secret_post",
            "private_key_jwt",
            "none",
        ]
        doc["token_endpoint_auth_signing_alg_values_supported"] = ["RS256", "RS384", "PS256"]
        doc["claims_supported"] = list(CLAIMS_SUPPORTED)
        doc["grant_types_supported"] = list(GRANT_TYPES_2026)
        doc["request_uri_parameter_supported"] = False
        doc["request_parameter_supported"] = False
        doc["backchannel_authentication_endpoint"] = u("/bc-authorize")
        doc["backchannel_token_delivery_modes_supported"] = ["poll"]
        doc["id_token_signing_alg_values_supported"] = ["HS256", "RS256", "PS256"]
        doc["end_session_endpoint"] = u("/oidc/logout")
        doc["global_token_revocation_endpoint"] = u(
            "/oauth/global-token-revocation/connection/{connectionName}"
        )
        doc["global_token_revocation_endpoint_auth_methods_supported"] = ["global-token-revocation+jwt"]
        doc["dpop_signing_alg_values_supported"] = ["ES256"]
        doc["authorization_grant_profiles_supported"] = ["urn:ietf:params:oauth:grant-profile:id-jag"]
    advertised = s.authorization_response_iss_parameter_supported and ctx.tenant.emulator.advertise_iss_parameter
    if advertised or ctx.tenant.faults.iss_advertised_not_sent:
        doc["authorization_response_iss_parameter_supported"] = True
    if s.client_id_metadata_document_supported or ctx.tenant.profile.cimd.fetch:  # Auth0's toggle; cimd.py
        doc["client_id_metadata_document_supported"] = True
    return apply_profile(ctx, doc)


async def openid_configuration(ctx: Ctx) -> Outgoing:
    require_served(ctx, auth0_default=True)
    return json_response(discovery_document(ctx))


async def path_metadata(ctx: Ctx) -> Outgoing:
    """A metadata URL with the issuer's path in it: served only under ``profile.discovery.metadata_urls``."""
    require_served(ctx, auth0_default=False)
    return json_response(discovery_document(ctx))


async def oauth_authorization_server(ctx: Ctx) -> Outgoing:
    if ctx.tenant.profile.discovery.metadata_urls is not None:
        require_served(ctx, auth0_default=False)
    elif ctx.tenant.settings.rfc8414_metadata == "absent":
        raise errors.BoomError(
            404,
            errors.NOT_FOUND,
            reason="RFC 8414 metadata is not served (settings.rfc8414_metadata: absent, Auth0 before mid-2025; F-14)",
        )
    return json_response(discovery_document(ctx))


async def jwks_endpoint(ctx: Ctx) -> Outgoing:
    f = ctx.tenant.faults
    with ctx.state.lock:
        ctx.state.jwks_requests += 1
        n = ctx.state.jwks_requests
    fault = f.jwks_fault
    if fault != "none" and f.jwks_fault_times is not None and n > f.jwks_fault_times:
        ctx.note(f"jwks_fault {fault!r} recovered after {f.jwks_fault_times} request(s)")
        fault = "none"
    if fault == "http_500":
        raise errors.BoomError(500, errors.INTERNAL_ERROR, reason="faults.jwks_fault: http_500")
    if fault == "http_429":
        raise errors.BoomError(
            429,
            errors.JWKS_RATE_LIMITED,
            reason="faults.jwks_fault: http_429 (Auth0 free tier: 20 JWKS requests/s)",
            headers={"x-ratelimit-limit": "20", "x-ratelimit-remaining": "0", "Retry-After": "1"},
        )
    if fault == "html":
        ctx.note("faults.jwks_fault: html (200 with an HTML body)")
        return html_response(errors.JWKS_HTML_PAGE, 200)
    if fault == "slow":
        ctx.note(f"faults.jwks_fault: slow, delayed {f.jwks_slow_ms} ms")
        await asyncio.sleep(f.jwks_slow_ms / 1000)
    if fault == "empty_keys":
        ctx.note("faults.jwks_fault: empty_keys")
        return json_response({"keys": []})
    return json_response(ctx.keys.jwks(key_rotation=f.key_rotation, kid_mode=f.jwks_kid_mode))
