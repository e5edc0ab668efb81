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
from typing import Any
from urllib.parse import urlsplit

from fastapi import Request
from fastapi.responses import JSONResponse, Response

from fake_idp import errors
from fake_idp.context import ctx_of
from fake_idp.state import random_string, token_urlsafe
from fake_idp.tenant import Client, RefreshTokenSettings

__all__ = ["register_endpoint"]

DCR_RATE_PER_SECOND = 5  # DOC rate limits: /oidc/register 5 requests per second per tenant
STRICT_GRANTS = ("authorization_code", "refresh_token")
PERMISSIVE_GRANTS = ("authorization_code", "refresh_token", "implicit")


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


async def register_endpoint(request: Request) -> Response:
    ctx = ctx_of(request)
    settings, faults, emulator = ctx.tenant.settings, ctx.tenant.faults, ctx.tenant.emulator
    if not settings.enable_dynamic_client_registration:
        reason = "DCR is disabled (settings.enable_dynamic_client_registration: false) but registration_endpoint is still advertised (F-6)"
        if emulator.dcr_disabled_body == "boom":
            raise errors.BoomError(400, errors.DCR_DISABLED, reason=reason)
        raise errors.OAuthError("invalid_request", errors.DCR_DISABLED, status=400, reason=reason)
    now = ctx.now()
    with ctx.state.lock:
        allowed, remaining, reset_at = ctx.state.window("dcr", DCR_RATE_PER_SECOND, 1.0).hit(now)
    rl_headers = {
        "x-ratelimit-limit": str(DCR_RATE_PER_SECOND),
        "x-ratelimit-remaining": str(remaining),
        "x-ratelimit-reset": str(math.ceil(reset_at)),
    }
    if not allowed or faults.dcr_fault == "rate_limited":
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
    count = len(ctx.state.registered_clients)
    if faults.dcr_fault == "too_many_entities" or (
        faults.dcr_max_clients is not None and count >= faults.dcr_max_clients
    ):
        raise errors.OAuthError(
            "too_many_entities",
            errors.DCR_TOO_MANY_ENTITIES,
            status=400,
            reason=f"tenant entity cap reached ({count} registered clients; faults.dcr_max_clients={faults.dcr_max_clients})",
        )
    raw = b""
    async for chunk in request.stream():
        raw += chunk
        if len(raw) > emulator.max_body_bytes:
            raise errors.OAuthError(
                "invalid_request", errors.BODY_TOO_LARGE, status=413, reason="DCR body too large"
            )
    try:
        doc = json.loads(raw or b"null")
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise _meta_error(errors.DCR_INVALID_BODY, f"DCR body is not JSON: {exc}") from exc
    if not isinstance(doc, dict):
        raise _meta_error(errors.DCR_INVALID_BODY, "DCR body is not a JSON object")
    uris = doc.get("redirect_uris")
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
        if not _redirect_uri_ok(uri):
            shown = uri[:200] if isinstance(uri, str) else repr(uri)[:200]
            raise _meta_error(
                errors.DCR_INVALID_REDIRECT_URI.format(uri=shown),
                "redirect URI is not an absolute URI without fragment",
                "invalid_redirect_uri",
            )
    method = doc.get("token_endpoint_auth_method", "client_secret_post")
    if method not in ("none", "client_secret_post"):
        raise _meta_error(
            errors.DCR_UNSUPPORTED_AUTH_METHOD,
            f"token_endpoint_auth_method {str(method)[:64]!r}: Auth0 DCR accepts none or client_secret_post (DOC)",
        )
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
    mode = settings.dynamic_client_registration_security_mode
    allowed_grants = STRICT_GRANTS if mode == "strict" else PERMISSIVE_GRANTS
    grants = [g for g in (requested or ["authorization_code"]) if g in allowed_grants]
    dropped = [g for g in (requested or []) if g not in allowed_grants]
    if dropped:
        ctx.note(f"grant_types filtered: {dropped} are not available to {mode} DCR clients")
    if not grants:
        grants = ["authorization_code"]
    client_id = ("tpc_" if mode == "strict" else "") + random_string(32)
    secret = None if method == "none" else token_urlsafe(48)
    client = Client(
        name=name or "Dynamic Application",
        client_id=client_id,
        client_secret=secret,
        app_type="native" if method == "none" else "regular_web",
        is_first_party=False,
        third_party_security_mode=mode,
        grant_types=grants,  # type: ignore[arg-type]
        token_endpoint_auth_method=method,
        callbacks=list(uris),
        refresh_token=RefreshTokenSettings(
            rotation_type="rotating" if method == "none" else "non-rotating", expiration_type="expiring"
        ),
    )
    with ctx.state.lock:
        ctx.state.registered_clients[client_id] = client
    quirks = set(faults.dcr_response_quirks)
    body: dict[str, Any] = {"client_name": name, "client_id": client_id}
    if secret is not None:
        body["client_secret"] = secret
    elif "secret_for_none" in quirks:
        # DOC's own example shows a secret next to token_endpoint_auth_method "none".
        body["client_secret"] = token_urlsafe(48)
    body["redirect_uris"] = list(uris)
    body["client_secret_expires_at"] = 0
    if "omit_grant_types" not in quirks:
        body["grant_types"] = grants
    if "omit_token_endpoint_auth_method" not in quirks:
        body["token_endpoint_auth_method"] = method
    if "add_rfc7591_fields" in quirks:
        body["client_id_issued_at"] = int(now)
        body["response_types"] = ["code"]
    status = 200 if "status_200" in quirks else 201
    if quirks:
        ctx.note(f"DCR response quirks applied: {sorted(quirks)}")
    return JSONResponse(body, status_code=status, headers=rl_headers)
