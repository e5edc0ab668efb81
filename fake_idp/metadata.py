"""Where the authorization-server metadata is served, and what the generic profile changes in it
(``profile.discovery``; RFC 8414 §3.1 and §5, OIDC Discovery 1.0 §4, MCP 2025-11-25 "Authorization Server Metadata
Discovery": for an issuer with a path a client tries ``/.well-known/oauth-authorization-server/<path>``,
``/.well-known/openid-configuration/<path>``, then ``<path>/.well-known/openid-configuration``).

Auth0 (no ``metadata_urls``): the documents live at the root. With ``metadata_urls`` set, exactly the URLs the
issuer implies for the listed kinds answer; every other metadata URL is a 404 — a client that probes the root for
an issuer with a path reads nothing (conformance metadata-var2/var3).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from fake_idp import errors
from fake_idp.context import Ctx

__all__ = ["apply_profile", "metadata_paths", "require_served"]

RFC8414 = "/.well-known/oauth-authorization-server"
OIDC = "/.well-known/openid-configuration"


def metadata_paths(ctx: Ctx) -> set[str] | None:
    """The paths that serve the metadata under ``profile.discovery.metadata_urls``; None: Auth0's root rules."""
    kinds = ctx.tenant.profile.discovery.metadata_urls
    if kinds is None:
        return None
    path = urlsplit(ctx.issuer).path.rstrip("/")
    where = {"rfc8414": RFC8414 + path, "oidc": path + OIDC, "oidc_path_insert": OIDC + path}
    return {where[kind] for kind in kinds}


def require_served(ctx: Ctx, *, auth0_default: bool) -> None:
    """404 unless this request's path serves the metadata (``auth0_default``: the answer without the knob)."""
    paths = metadata_paths(ctx)
    served = auth0_default if paths is None else ctx.request.path in paths
    if not served:
        listed = sorted(paths) if paths is not None else "the root documents"
        raise errors.BoomError(
            404,
            errors.NOT_FOUND,
            reason=f"no authorization-server metadata at {ctx.request.path} for issuer {ctx.issuer!r} "
            f"(profile.discovery.metadata_urls serves {listed})",
        )


def apply_profile(ctx: Ctx, doc: dict[str, Any]) -> dict[str, Any]:
    """The discovery document with ``profile.discovery``'s overrides applied (key order kept)."""
    profile = ctx.tenant.profile.discovery
    overrides: dict[str, Any] = {
        "scopes_supported": profile.scopes_supported,
        "token_endpoint_auth_methods_supported": profile.token_endpoint_auth_methods_supported,
        "token_endpoint_auth_signing_alg_values_supported": profile.token_endpoint_auth_signing_alg_values_supported,
        "grant_types_supported": profile.grant_types_supported,
    }
    for key, value in overrides.items():
        if value == "omit":
            doc.pop(key, None)
        elif isinstance(value, list):
            doc[key] = list(value)
    dcr_on = ctx.tenant.settings.enable_dynamic_client_registration
    if profile.registration_endpoint == "when_enabled" and not dcr_on:
        doc.pop("registration_endpoint", None)
    return doc
