"""``GET|POST /oidc/logout`` (OpenID Connect RP-Initiated Logout 1.0) and the legacy ``GET /v2/logout``
(DOC api/authentication/logout/oidc-logout.mdx; sheet §1.10).

Rules: ``client_id`` and ``id_token_hint`` must agree; ``post_logout_redirect_uri`` must be an Allowed
Logout URL of the app or the tenant; without ``id_token_hint`` the user confirms on a page (unless the tenant
auto-approves headlessly); strict third-party apps have no logout.
"""

from __future__ import annotations

from urllib.parse import urlencode

from fake_idp import errors, pages
from fake_idp.context import Ctx
from fake_idp.login import SESSION_COOKIE, auto_approval
from fake_idp.tenant import Client
from fake_idp.tokens import verify_own_jwt
from fake_idp.wire import Cookie, Outgoing, html_response, read_params, redirect

__all__ = ["legacy_logout", "oidc_logout"]

# What the confirmation page carries over to its POST back.
CONFIRM_FIELDS = ("client_id", "post_logout_redirect_uri", "state", "logout_hint")


def _page_error(description: str, reason: str) -> errors.AuthorizeError:
    return errors.AuthorizeError("invalid_request", description, reason=reason)


def _end_session(ctx: Ctx, response: Outgoing) -> Outgoing:
    sid = ctx.request.cookies.get(SESSION_COOKIE)
    if sid:
        with ctx.state.lock:
            ctx.state.sessions.pop(sid, None)
    response.cookies.append(Cookie(SESSION_COOKIE, max_age=0, expires=0))
    return response


def _allowed_logout(ctx: Ctx, client: Client | None, uri: str) -> bool:
    return uri in ctx.tenant.settings.allowed_logout_urls or (
        client is not None and uri in client.allowed_logout_urls
    )


def _logout_client(ctx: Ctx, hint: str | None, client_id: str | None) -> Client | None:
    """The app logging out: the ``id_token_hint``'s audience (which ``client_id`` must match), else ``client_id``."""
    if hint:
        claims, problem = verify_own_jwt(ctx, hint, check_exp=False)
        if claims is None:
            raise _page_error(errors.LOGOUT_BAD_HINT, f"id_token_hint: {problem}")
        aud = claims.get("aud")
        if client_id and aud != client_id:
            raise _page_error(
                errors.LOGOUT_CLIENT_MISMATCH, f"client_id {client_id!r} but id_token_hint aud {aud!r}"
            )
        return ctx.find_client(str(aud))
    if not client_id:
        return None
    client = ctx.find_client(client_id)
    if client is None:
        raise _page_error(errors.UNKNOWN_CLIENT.format(client_id=client_id), "unknown client_id at logout")
    return client


async def oidc_logout(ctx: Ctx) -> Outgoing:
    params = dict(ctx.request.query)
    if ctx.request.method == "POST":
        params.update(read_params(ctx.request))
    hint = params.get("id_token_hint")
    client = _logout_client(ctx, hint, params.get("client_id"))
    if client is not None and ctx.security_mode(client) == "strict":
        raise _page_error(
            errors.LOGOUT_THIRD_PARTY, "strict third-party apps cannot use logout endpoints (DOC)"
        )
    target = params.get("post_logout_redirect_uri")
    if target and not _allowed_logout(ctx, client, target):
        raise _page_error(
            errors.LOGOUT_URL_NOT_ALLOWED, f"{target!r} is not an Allowed Logout URL of the app or tenant"
        )
    confirmed = bool(hint) or params.get("action") == "accept" or auto_approval(ctx, None) is not None
    if not confirmed:
        keep = {k: v for k, v in params.items() if k in CONFIRM_FIELDS}
        return html_response(pages.logout_page(action=ctx.url("/oidc/logout"), params=keep, done=False))
    if target:
        state = params.get("state")
        sep = "&" if "?" in target else "?"
        url = f"{target}{sep}{urlencode({'state': state})}" if state else target
        return _end_session(ctx, redirect(url))
    return _end_session(ctx, html_response(pages.logout_page(action=None, params={}, done=True)))


async def legacy_logout(ctx: Ctx) -> Outgoing:
    """``/v2/logout?returnTo=…&client_id=…`` (still served; sergiught/auth0-mock advertises it wrongly)."""
    return_to = ctx.request.query_param("returnTo")
    client = ctx.find_client(ctx.request.query_param("client_id"))
    if return_to:
        if not _allowed_logout(ctx, client, return_to):
            raise _page_error(
                errors.LOGOUT_URL_NOT_ALLOWED, f"returnTo {return_to!r} is not an Allowed Logout URL"
            )
        return _end_session(ctx, redirect(return_to))
    return _end_session(ctx, html_response(pages.logout_page(action=None, params={}, done=True)))
