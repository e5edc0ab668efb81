"""``POST /oidc/register``: OAuth 2.0 Dynamic Client Registration (RFC 7591) as Auth0 runs it (sheet §4).

Open DCR (no initial access token). Strict mode (since April 2026): ``tpc_`` ids, third-party, only
``authorization_code``/``refresh_token``, PKCE required, explicit grants only, domain connections only.
Response (DOC): client_name, client_id, client_secret, redirect_uris, client_secret_expires_at: 0,
grant_types, token_endpoint_auth_method; 201 Created (old docs, RFC 7591). Disabled: 400 while
``registration_endpoint`` stays advertised (F-6).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import urlsplit

from authstage_kit.ids import random_string, token_urlsafe
from fake_idp import errors
from fake_idp.context import Ctx
from fake_idp.profile import AuthMethod
from fake_idp.tenant import Client, GrantType, RefreshTokenSettings
from fake_idp.wire import Outgoing, json_response

__all__ = ["ClientMetadata", "allowed_grant_types", "check_redirect_uris", "register_endpoint", "third_party_client"]

DCR_RATE_PER_SECOND = 5  # DOC rate limits: /oidc/register 5 requests per second per tenant
STRICT_GRANTS: tuple[GrantType, ...] = ("authorization_code", "refresh_token")
PERMISSIVE_GRANTS: tuple[GrantType, ...] = ("authorization_code", "refresh_token", "implicit")


@dataclass
class ClientMetadata:
    """The RFC 7591 §2 fields of a registration request that Auth0 reads, validated."""

    redirect_uris: list[str]
    token_endpoint_auth_method: Literal["none", "client_secret_post", "client_secret_basic"]
    client_name: str
    grant_types: list[str] | None


def _meta_error(description: str, reason: str, error: str = "invalid_client_metadata") -> errors.OAuthError:
    return errors.OAuthError(error, description, status=400, reason=reason)


def _redirect_uri_ok(uri: Any) -> bool:
    if not isinstance(uri, str) or not uri or len(uri) > 2000 or "#" in uri:
        return False
    try:
        parts = urlsplit(uri)
    except ValueError:
        return False
    return bool(parts.scheme) and (bool(parts.netloc) or parts.scheme not in ("http", "https"))


async def register_endpoint(ctx: Ctx) -> Outgoing:
    check_enabled(ctx)
    now = ctx.now()
    rl_headers = check_rate_limit(ctx, now)
    check_entity_cap(ctx)
    meta = read_metadata(ctx)
    client = _register(ctx, meta, allowed_grant_types(ctx, meta.grant_types))
    body, status = _response(ctx, meta, client, now)
    return json_response(body, status, headers=rl_headers)


# ---------------------------------------------------------------------------------------------------------
# Tenant limits: the checks before the body is read
# ---------------------------------------------------------------------------------------------------------


def check_enabled(ctx: Ctx) -> None:
    """Disabled DCR is a 400 while ``registration_endpoint`` stays advertised (F-6)."""
    if ctx.tenant.settings.enable_dynamic_client_registration:
        return
    reason = "DCR is disabled (settings.enable_dynamic_client_registration: false) but registration_endpoint is still advertised (F-6)"
    if ctx.tenant.emulator.dcr_disabled_body == "boom":
        raise errors.BoomError(400, errors.DCR_DISABLED, reason=reason)
    raise errors.OAuthError("invalid_request", errors.DCR_DISABLED, status=400, reason=reason)


def check_rate_limit(ctx: Ctx, now: float) -> dict[str, str]:
    """5 registrations per second per tenant (DOC rate limits), or ``faults.dcr_fault: rate_limited``."""
    with ctx.state.lock:
        allowed, remaining, reset_at = ctx.state.window("dcr", DCR_RATE_PER_SECOND, 1.0).hit(now)
    rl_headers = {
        "x-ratelimit-limit": str(DCR_RATE_PER_SECOND),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(math.ceil(reset_at)),
    }
    if allowed and ctx.tenant.faults.dcr_fault != "rate_limited":
        return rl_headers
    raise errors.OAuthError(
        "too_many_requests",
        errors.DCR_RATE_LIMITED,
        status=429,
        headers={
            **rl_headers,
            "x-ratelimit-remaining": "0",
            "Retry-After": str(max(1, math.ceil(reset_at - now))),
        },
        reason="DCR rate limit (5/s per tenant)" + (" forced by faults.dcr_fault" if allowed else ""),
    )


def check_entity_cap(ctx: Ctx) -> None:
    faults = ctx.tenant.faults
    count = len(ctx.state.registered_clients)
    bound = ctx.tenant.emulator.state.dcr_clients
    if faults.dcr_fault == "too_many_entities" or (
        faults.dcr_max_clients is not None and count >= faults.dcr_max_clients
    ):
        raise errors.OAuthError(
            "too_many_entities",
            errors.DCR_TOO_MANY_ENTITIES,
            status=400,
            reason=f"tenant entity cap reached ({count} registered clients; faults.dcr_max_clients={faults.dcr_max_clients})",
        )
    if count >= bound:
        raise errors.OAuthError(
            "too_many_entities",
            errors.DCR_TOO_MANY_ENTITIES,
            status=400,
            reason=f"tenant entity cap reached ({count} registered clients; emulator.state.dcr_clients={bound})",
        )


# ---------------------------------------------------------------------------------------------------------
# Client metadata (RFC 7591 §2, §3.2.2)
# ---------------------------------------------------------------------------------------------------------


def read_metadata(ctx: Ctx) -> ClientMetadata:
    doc = _json_object(ctx)
    uris = check_redirect_uris(doc.get("redirect_uris"))
    method = _auth_method(ctx, doc.get("token_endpoint_auth_method", "client_secret_post"))
    name = doc.get("client_name", "")
    if not isinstance(name, str) or len(name) > 200:
        raise _meta_error(
            errors.DCR_INVALID_FIELD.format(name="client_name"),
            "client_name must be a string of at most 200 characters",
        )
    requested = doc.get("grant_types")
    if requested is not None and (
        not isinstance(requested, list) or not all(isinstance(g, str) for g in requested)
    ):
        raise _meta_error(
            errors.DCR_INVALID_FIELD.format(name="grant_types"), "grant_types must be a list of strings"
        )
    return ClientMetadata(uris, method, name, requested)


def _auth_method(ctx: Ctx, method: Any) -> Literal["none", "client_secret_post", "client_secret_basic"]:
    """The requested method if DCR accepts it (Auth0, DOC: none or client_secret_post; knob
    ``profile.registration``), replaced when the tenant assigns one (RFC 7591 §3.2.1)."""
    registration = ctx.tenant.profile.registration
    accepted = registration.token_endpoint_auth_methods
    if method not in accepted:
        raise _meta_error(
            errors.DCR_UNSUPPORTED_AUTH_METHOD.format(methods=", ".join(accepted)),
            f"token_endpoint_auth_method {str(method)[:64]!r}: DCR accepts {accepted} (profile.registration; Auth0 "
            "DOC: none or client_secret_post)",
        )
    assigned = registration.assign_token_endpoint_auth_method
    if assigned is not None and assigned != method:
        ctx.note(f"token_endpoint_auth_method {method!r} replaced by {assigned!r} (RFC 7591 §3.2.1; profile.registration)")
        return assigned
    return method  # type: ignore[no-any-return]  # a member of the Literal list checked above


def _json_object(ctx: Ctx) -> dict[str, Any]:
    request = ctx.request
    if request.oversize is not None:
        raise errors.OAuthError(
            "invalid_request", errors.BODY_TOO_LARGE, status=413, reason="DCR body too large"
        )
    try:
        doc = json.loads(request.body or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise _meta_error(errors.DCR_INVALID_BODY, f"DCR body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise _meta_error(errors.DCR_INVALID_BODY, "DCR body is not a JSON object")
    return doc


def check_redirect_uris(uris: Any) -> list[str]:
    """RFC 7591 §2 ``redirect_uris`` (of a registration, or of a client ID metadata document: ``cimd.py``)."""
    if not isinstance(uris, list) or not uris:
        raise _meta_error(
            errors.DCR_REDIRECT_URIS_REQUIRED, "redirect_uris missing or empty", "invalid_redirect_uri"
        )
    if len(uris) > 100:
        raise _meta_error(
            errors.DCR_INVALID_FIELD.format(name="redirect_uris"),
            "more than 100 redirect_uris",
            "invalid_redirect_uri",
        )
    for uri in uris:
        shown = uri[:200] if isinstance(uri, str) else repr(uri)[:200]
        scheme = uri.split(":", 1)[0].strip().lower() if isinstance(uri, str) and ":" in uri else ""
        if scheme in errors.DCR_DANGEROUS_SCHEMES:
            raise _meta_error(
                errors.DCR_INVALID_REDIRECT_URI.format(uri=shown),
                f"redirect URI scheme {scheme!r}: runs in the browser instead of reaching a client (RFC 9700 §4.1.1)",
                "invalid_redirect_uri",
            )
        if not _redirect_uri_ok(uri):
            raise _meta_error(
                errors.DCR_INVALID_REDIRECT_URI.format(uri=shown),
                "redirect URI is not an absolute URI without fragment",
                "invalid_redirect_uri",
            )
    return list(uris)


def allowed_grant_types(ctx: Ctx, requested: list[str] | None) -> list[GrantType]:
    """Only the grants the tenant's DCR security mode allows; none left: ``authorization_code``."""
    mode = ctx.tenant.settings.dynamic_client_registration_security_mode
    allowed = STRICT_GRANTS if mode == "strict" else PERMISSIVE_GRANTS
    grants = [a for g in (requested or ["authorization_code"]) for a in allowed if g == a]  # requested order
    dropped = [g for g in (requested or []) if g not in allowed]
    if dropped:
        ctx.note(f"grant_types filtered: {dropped} are not available to {mode} DCR clients")
    return grants or ["authorization_code"]


# ---------------------------------------------------------------------------------------------------------
# The client and the response (RFC 7591 §3.2.1)
# ---------------------------------------------------------------------------------------------------------


def third_party_client(ctx: Ctx, client_id: str, method: AuthMethod, **fields: Any) -> Client:
    """A client the tenant did not configure (DCR, a client ID metadata document): third-party, in the tenant's DCR
    security mode, refresh tokens rotating for public clients (DOC configure-refresh-token-rotation)."""
    mode = ctx.tenant.settings.dynamic_client_registration_security_mode
    public = method == "none"
    rotate_all = ctx.tenant.profile.registration.refresh_token_rotation == "always"
    return Client(
        client_id=client_id,
        app_type="native" if public else "regular_web",
        is_first_party=False,
        third_party_security_mode=mode,
        token_endpoint_auth_method=method,
        refresh_token=RefreshTokenSettings(
            rotation_type="rotating" if public or rotate_all else "non-rotating", expiration_type="expiring"
        ),
        **fields,
    )


def _register(ctx: Ctx, meta: ClientMetadata, grants: list[GrantType]) -> Client:
    mode = ctx.tenant.settings.dynamic_client_registration_security_mode
    public = meta.token_endpoint_auth_method == "none"
    client = third_party_client(
        ctx,
        ("tpc_" if mode == "strict" else "") + random_string(32),
        meta.token_endpoint_auth_method,
        name=meta.client_name or "Dynamic Application",
        client_secret=None if public else token_urlsafe(48),
        grant_types=grants,
        callbacks=list(meta.redirect_uris),
    )
    with ctx.state.lock:  # never evicted: check_entity_cap refuses the one beyond emulator.state.dcr_clients
        ctx.remember(ctx.state.registered_clients, client.client_id, client, 2**62)
    return client


def _response(ctx: Ctx, meta: ClientMetadata, client: Client, now: float) -> tuple[dict[str, Any], int]:
    """Auth0's DCR response (DOC) and its quirks (``faults.dcr_response_quirks``)."""
    quirks = set(ctx.tenant.faults.dcr_response_quirks)
    body: dict[str, Any] = {"client_name": meta.client_name, "client_id": client.client_id}
    if client.client_secret is not None:
        body["client_secret"] = client.client_secret
    elif "secret_for_none" in quirks:
        # DOC's own example shows a secret next to token_endpoint_auth_method "none".
        body["client_secret"] = token_urlsafe(48)
    body["redirect_uris"] = list(meta.redirect_uris)
    body["client_secret_expires_at"] = 0
    if "omit_grant_types" not in quirks:
        body["grant_types"] = list(client.grant_types)
    if "omit_token_endpoint_auth_method" not in quirks:
        body["token_endpoint_auth_method"] = meta.token_endpoint_auth_method
    if "add_rfc7591_fields" in quirks:
        body["client_id_issued_at"] = int(now)
        body["response_types"] = ["code"]
    if quirks:
        ctx.note(f"DCR response quirks applied: {sorted(quirks)}")
    return body, 200 if "status_200" in quirks else 201
