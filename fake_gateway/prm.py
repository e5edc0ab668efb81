"""Where the gateway's RFC 9728 document (https://www.rfc-editor.org/rfc/rfc9728#section-2) points clients for
tokens: its `authorization_servers`.

The SAMPLE captures (sheet §5) show the discovery document's `issuer` (Entra `…/v2.0`, Okta `…/oauth2/<AS_ID>`);
for those IdPs that is also the `discoveryUrl` without its well-known suffix, so the captures cannot tell the two
derivations apart. They differ where the issuer ends with a slash and the URL does not (Auth0: issuer
`https://tenant.auth0.com/`, discoveryUrl `https://tenant.auth0.com/.well-known/openid-configuration`): a client
that compares issuers exactly (RFC 8414 §3.3) then refuses the AS metadata. Which one AWS serves is UNKNOWN:
knob `prmAuthorizationServers`.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit, urlunsplit

__all__ = ["authorization_servers", "issuer_from_discovery_url"]

WELL_KNOWN = "/.well-known/"


def issuer_from_discovery_url(discovery_url: str, *, trailing_slash: bool = False) -> str:
    """The issuer a discovery URL was built from (RFC 8414 §3.1 path insertion, or OIDC Discovery §4 appending):
    `https://h/.well-known/openid-configuration` -> `https://h`, `https://h/.well-known/oauth-authorization-server/t`
    -> `https://h/t`, `https://h/t/.well-known/openid-configuration` -> `https://h/t`; no trailing slash unless
    asked for."""
    parts = urlsplit(discovery_url)
    before, sep, after = parts.path.partition(WELL_KNOWN)
    inserted = after.partition("/")[2] if sep else ""
    path = (before + (f"/{inserted}" if inserted else "")).rstrip("/")
    if trailing_slash:
        path += "/"
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def authorization_servers(rule: str, discovery_url: str, discovery: dict[str, Any] | None) -> list[str]:
    """`authorization_servers` by knob `prmAuthorizationServers`: the discovery `issuer` (`discovery-issuer`,
    empty while the document is unavailable), or derived from `discoveryUrl` (`discovery-url`, and
    `discovery-url-slash` with a trailing slash)."""
    if rule == "discovery-issuer":
        issuer = discovery.get("issuer") if discovery else None
        return [issuer] if isinstance(issuer, str) and issuer else []
    return [issuer_from_discovery_url(discovery_url, trailing_slash=rule == "discovery-url-slash")]
