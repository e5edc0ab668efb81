"""The IdP's HTTP messages without a web framework (RFC 9110 §6): what an endpoint reads and what it returns.

The adapter (``app.py``) turns the ASGI request into an :class:`Incoming` and renders the :class:`Outgoing` an
endpoint returns; nothing else in ``fake_idp`` knows Starlette (moto's split). Request parameters are parsed here
too: ``application/x-www-form-urlencoded`` (RFC 6749 §3.2, Appendix B) and, as Auth0 also accepts, JSON.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

from fake_idp import errors

__all__ = [
    "Cookie",
    "Incoming",
    "Outgoing",
    "empty_response",
    "html_response",
    "json_response",
    "read_params",
    "redirect",
    "text_response",
]

# What Starlette's RedirectResponse leaves unescaped in Location (the header is byte-for-byte what it was).
_LOCATION_SAFE = ":/%#?=@[]!$&'()*+,;"


@dataclass
class Incoming:
    """One HTTP request as the adapter read it. ``reason`` and ``notes`` go to the request log."""

    method: str = "GET"
    scheme: str = "http"
    host: str | None = None
    path: str = "/"
    query: list[tuple[str, str]] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)  # lower-case names, first value of a repeat
    cookies: dict[str, str] = field(default_factory=dict)
    body: bytes = b""
    oversize: int | None = None  # the limit (emulator.max_body_bytes) the body exceeded; body is then b""
    in_flight: int = 1  # requests the server is serving as this one arrives, itself included (a load hint)
    reason: str | None = None
    notes: list[str] = field(default_factory=list)

    def query_param(self, name: str) -> str | None:
        """The last value of a repeated query parameter (as Starlette's ``query_params.get``)."""
        value = None
        for key, item in self.query:
            if key == name:
                value = item
        return value

    def header(self, name: str) -> str:
        return self.headers.get(name.lower(), "")

    def note(self, text: str) -> None:
        """A remark for the request log even on success (e.g. 'resource ignored')."""
        self.notes.append(text)


@dataclass
class Cookie:
    """A ``Set-Cookie`` (RFC 6265 §4.1) with Starlette's defaults: ``Path=/``, ``SameSite=lax``."""

    name: str
    value: str = ""
    max_age: int | None = None
    expires: int | None = None
    httponly: bool = False


@dataclass
class Outgoing:
    """One HTTP response; ``media_type`` gets ``; charset=utf-8`` for text types when rendered."""

    status: int = 200
    body: bytes = b""
    media_type: str | None = None
    headers: dict[str, str] = field(default_factory=dict)
    cookies: list[Cookie] = field(default_factory=list)


def json_response(doc: Any, status: int = 200, headers: dict[str, str] | None = None) -> Outgoing:
    """Compact UTF-8 JSON, as Starlette's ``JSONResponse`` writes it."""
    body = json.dumps(doc, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":"))
    return Outgoing(status, body.encode("utf-8"), "application/json", dict(headers or {}))


def html_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Outgoing:
    return Outgoing(status, text.encode("utf-8"), "text/html", dict(headers or {}))


def text_response(text: str, status: int = 200, headers: dict[str, str] | None = None) -> Outgoing:
    return Outgoing(status, text.encode("utf-8"), "text/plain", dict(headers or {}))


def empty_response(status: int = 200) -> Outgoing:
    return Outgoing(status)


def redirect(url: str, headers: dict[str, str] | None = None) -> Outgoing:
    """``302 Found`` to ``url`` (RFC 9110 §15.4.3)."""
    return Outgoing(302, headers={**(headers or {}), "location": quote(url, safe=_LOCATION_SAFE)})


# ---------------------------------------------------------------------------------------------------------
# Request parameters
# ---------------------------------------------------------------------------------------------------------


def read_params(request: Incoming) -> dict[str, str]:
    """Form or JSON body as a flat ``str -> str`` dict; anything else reads as no parameters (with a note)."""
    if request.oversize is not None:
        raise errors.OAuthError(
            "invalid_request",
            errors.BODY_TOO_LARGE,
            status=413,
            reason=f"request body over {request.oversize} bytes (emulator.max_body_bytes)",
        )
    ctype = request.header("content-type").split(";")[0].strip().lower()
    if not request.body:
        return {}
    if ctype == "application/json" or ctype.endswith("+json"):
        return _json_params(request.body)
    if ctype in ("application/x-www-form-urlencoded", ""):
        return _form_params(request)
    request.note(f"content-type {ctype!r} is neither form nor JSON: body ignored")
    return {}


def _json_params(body: bytes) -> dict[str, str]:
    try:
        doc = json.loads(body)
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
        raise errors.OAuthError(
            "invalid_request",
            errors.MALFORMED_BODY.format(detail="invalid JSON"),
            reason=f"invalid JSON body: {exc}",
        ) from exc
    if not isinstance(doc, dict):
        raise errors.OAuthError(
            "invalid_request",
            errors.MALFORMED_BODY.format(detail="expected a JSON object"),
            reason=f"JSON body is a {type(doc).__name__}, not an object",
        )
    out: dict[str, str] = {}
    for key, value in doc.items():
        if value is None:
            continue
        if isinstance(value, bool):
            out[key] = "true" if value else "false"
        elif isinstance(value, str):
            out[key] = value
        elif isinstance(value, int | float) and math.isfinite(value):
            out[key] = str(value)
        else:
            raise errors.OAuthError(
                "invalid_request",
                errors.INVALID_PARAMETER.format(name=key),
                reason=f"JSON parameter {key!r} is a {type(value).__name__}; token parameters are strings",
            )
    return out


def _form_params(request: Incoming) -> dict[str, str]:
    try:
        pairs = parse_qsl(request.body.decode("utf-8"), keep_blank_values=True, strict_parsing=False)
    except (UnicodeDecodeError, ValueError) as exc:
        raise errors.OAuthError(
            "invalid_request",
            errors.MALFORMED_BODY.format(detail="invalid form encoding"),
            reason=str(exc),
        ) from exc
    out: dict[str, str] = {}
    for key, value in pairs:
        if key in out:
            request.note(f"parameter {key!r} repeated; the first value is used")
            continue
        out[key] = value
    return out
