"""Client authentication at the token and revocation endpoints (RFC 6749 §2.3; sheet §1.6).

``client_secret_basic`` (HTTP Basic, RFC 6749 §2.3.1 form-encoding), ``client_secret_post`` (body),
``private_key_jwt`` (RFC 7523 §2.2, ``client_assertion.py``) and ``none`` (public clients with PKCE). Failures are Auth0's 401 ``access_denied`` / ``Unauthorized``
(or ``invalid_client``, knob ``emulator.client_auth_error``), with the real reason in the request log.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from dataclasses import dataclass
from urllib.parse import unquote_plus

from fake_idp import errors
from fake_idp.client_assertion import assertion_subject, verify_client_assertion
from fake_idp.context import Ctx
from fake_idp.tenant import Client

__all__ = ["Credentials", "authenticate_client", "read_credentials"]


@dataclass
class Credentials:
    client_id: str | None
    client_secret: str | None
    method: str  # client_secret_basic | client_secret_post | private_key_jwt | none


def read_credentials(ctx: Ctx, params: dict[str, str]) -> Credentials:
    style = ctx.tenant.emulator.client_auth_error
    header = ctx.request.header("authorization")
    body_id = params.get("client_id") or None
    body_secret = params.get("client_secret") or None
    if header[:6].lower() == "basic ":
        try:
            raw = base64.b64decode(header[6:].strip(), validate=True).decode("utf-8")
            user, sep, password = raw.partition(":")
            if not sep:
                raise ValueError("no colon")
        except (binascii.Error, UnicodeDecodeError, ValueError) as exc:
            raise errors.unauthorized_client_auth(
                style, reason=f"malformed HTTP Basic credentials ({exc})"
            ) from exc
        cid, secret = unquote_plus(user), unquote_plus(password)
        if body_id and body_id != cid:
            raise errors.unauthorized_client_auth(
                style,
                reason=f"client_id in the body ({body_id!r}) differs from the Basic credentials ({cid!r})",
            )
        return Credentials(cid, secret, "client_secret_basic")
    if params.get("client_assertion") or params.get("client_assertion_type"):
        return Credentials(body_id or assertion_subject(params.get("client_assertion", "")), None, "private_key_jwt")
    if body_secret is not None:
        return Credentials(body_id, body_secret, "client_secret_post")
    return Credentials(body_id, None, "none")


def authenticate_client(ctx: Ctx, params: dict[str, str]) -> Client:
    """The authenticated client, or a 401 in Auth0's shape."""
    style = ctx.tenant.emulator.client_auth_error
    creds = read_credentials(ctx, params)
    if not creds.client_id:
        raise errors.unauthorized_client_auth(
            style, reason="no client_id (neither in the body nor in HTTP Basic)"
        )
    if creds.client_id in ctx.tenant.faults.forgotten_clients:
        raise errors.unauthorized_client_auth(
            style, reason=f"client {creds.client_id!r} is forgotten by the tenant (faults.forgotten_clients)"
        )
    client = ctx.find_client(creds.client_id)
    if client is None:
        raise errors.unauthorized_client_auth(style, reason=f"unknown client_id {creds.client_id!r}")
    if not client.confidential:
        return client
    registered = client.token_endpoint_auth_method
    if "private_key_jwt" in (registered, creds.method):
        if creds.method != registered:
            raise errors.unauthorized_client_auth(
                style, reason=f"client {client.client_id!r} is registered with {registered} but authenticated with "
                f"{creds.method}",
            )
        verify_client_assertion(ctx, client, params)
        return client
    if creds.client_secret is None:
        raise errors.unauthorized_client_auth(
            style, reason=f"client {client.client_id!r} uses {registered} but sent no client_secret"
        )
    if ctx.tenant.emulator.enforce_token_endpoint_auth_method and creds.method != registered:
        raise errors.unauthorized_client_auth(
            style,
            reason=f"client {client.client_id!r} is registered with {registered} but authenticated with "
            f"{creds.method} (F-20; emulator.enforce_token_endpoint_auth_method)",
        )
    if not hmac.compare_digest((client.client_secret or "").encode(), creds.client_secret.encode()):
        raise errors.unauthorized_client_auth(
            style, reason=f"wrong client_secret for client {client.client_id!r}"
        )
    return client
