"""Delivering an authorization response (RFC 6749 §4.1.2, §4.1.2.1) the way the client asked for it.

Response modes ``query`` and ``fragment`` (OAuth 2.0 Multiple Response Type Encoding Practices §2.1) and
``form_post`` (OAuth 2.0 Form Post Response Mode §2); the RFC 9207 ``iss`` parameter when the tenant toggle
is on; and whether an ``/authorize`` error goes back to the client at all (Auth0's ``redirection_policy``:
``open_redirect_protection`` shows the error page instead, DOC third-party-applications/security-controls.mdx).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlencode

from fake_idp import errors, pages
from fake_idp.context import Ctx
from fake_idp.tenant import Client
from fake_idp.wire import Outgoing, html_response, redirect

__all__ = ["RESPONSE_MODES", "errors_redirect", "iss_param", "redirect_with", "send_back"]

RESPONSE_MODES = ("query", "fragment", "form_post")


def redirect_with(uri: str, params: Mapping[str, str | None], mode: str) -> Outgoing:
    """Deliver an authorization response: query (default), fragment, or form_post; ``None`` values are left out."""
    present = {k: v for k, v in params.items() if v is not None}
    if mode == "form_post":
        return html_response(pages.form_post_page(action=uri, fields=present))
    if mode == "fragment":
        return redirect(f"{uri.split('#')[0]}#{urlencode(present)}")
    sep = "&" if "?" in uri else "?"
    return redirect(f"{uri}{sep}{urlencode(present)}")


def iss_param(ctx: Ctx) -> str | None:
    """RFC 9207 §2: the issuer in every authorization response, when the tenant includes it (never under the
    fault `iss_advertised_not_sent`, which advertises it all the same)."""
    if ctx.tenant.faults.iss_advertised_not_sent:
        return None
    return ctx.issuer if ctx.tenant.settings.authorization_response_iss_parameter_supported else None


def errors_redirect(ctx: Ctx, client: Client) -> bool:
    """Do ``/authorize`` errors for ``client`` go back to its callback (else: Auth0's error page)?"""
    mode = ctx.tenant.faults.authorize_error_delivery
    if mode != "auto":
        return mode == "redirect"
    default = "open_redirect_protection" if ctx.security_mode(client) == "strict" else "allow_always"
    return (client.redirection_policy or default) == "allow_always"


def send_back(
    exc: errors.AuthorizeError,
    ctx: Ctx,
    client: Client,
    *,
    redirect_uri: str,
    state: str | None,
    response_mode: str,
) -> errors.AuthorizeError:
    """Address ``exc`` to the client's (already validated) callback, unless its errors must stay on the page."""
    exc.redirect_uri = redirect_uri if errors_redirect(ctx, client) else None
    exc.state = state
    exc.response_mode = response_mode if response_mode in RESPONSE_MODES else "query"
    exc.iss = iss_param(ctx)
    return exc
