"""The one renderer of errors (sheet §5): every :class:`~fake_idp.errors.IdpError` as the answer Auth0 gives.

JSON ``{"error", "error_description"}`` (RFC 6749 §5.2), Hapi/Boom JSON, plain text, and for ``/authorize``
Auth0's "Oops!, something went wrong" page or a redirect back to the client (RFC 6749 §4.1.2.1).
"""

from __future__ import annotations

from authstage_kit.ids import random_string
from fake_idp import errors, pages
from fake_idp.response_mode import redirect_with
from fake_idp.wire import Outgoing, html_response, json_response, text_response

__all__ = ["error_response"]


def error_response(exc: errors.IdpError) -> Outgoing:
    """The response for ``exc``; its ``headers`` are added to whatever the shape brings."""
    if isinstance(exc, errors.AuthorizeError):
        out = _authorize_error(exc)
    elif isinstance(exc, errors.PlainError):
        out = text_response(exc.text, exc.status_code)
    elif isinstance(exc, errors.OAuthError | errors.BoomError | errors.JsonError):
        out = json_response(exc.body(), exc.status_code)
    else:  # pragma: no cover - every IdpError subclass is handled above
        return json_response({"error": "server_error", "error_description": errors.INTERNAL_ERROR}, 500)
    out.headers.update(exc.headers)
    return out


def _authorize_error(exc: errors.AuthorizeError) -> Outgoing:
    if exc.redirect_uri:
        params = {
            "error": exc.error,
            "error_description": exc.description,
            "state": exc.state,
            "iss": exc.iss,
        }
        return redirect_with(exc.redirect_uri, params, exc.response_mode)
    html = pages.error_page(error=exc.error, description=exc.description, tracking=random_string(20).lower())
    return html_response(html, exc.status_code)
