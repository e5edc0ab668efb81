"""Auth0's rules for the custom claims an Action sets (DOC secure/tokens/json-web-tokens/create-custom-claims.mdx,
troubleshoot/product-lifecycle/past-migrations/custom-claims-migration.mdx).

* Restricted claims (the list below) "cannot be customized or modified": the attempt "will be ignored. The
  transaction won't fail, but the claim will not be added to tokens."
* Namespaces on an Auth0 domain (auth0.com, webtask.io, webtask.run) or the ``urn:auth0`` URN: ignored the same way.
* Private, non-namespaced claims on an access token whose audience is an Auth0 API (``/api``, ``/api/v2``, ``/mfa``
  on the tenant's domain): ignored ("ID tokens are not concerned by this restriction").
* OIDC user-profile claims (``email``, ``name`` ...) are added only when the scope that releases them was granted
  ("the same scope restrictions apply as are applicable to ID tokens").
* "Auth0 will restrict the custom claims payload to a maximum of 100KB ... otherwise the authentication
  transaction will fail with an error", per token.

Every ignored claim becomes a note in the request log: the reason Auth0 never gives.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

__all__ = [
    "AUTH0_NAMESPACE_DOMAINS",
    "MAX_CUSTOM_CLAIMS_BYTES",
    "OIDC_PROFILE_CLAIMS",
    "RESTRICTED_CLAIMS",
    "Filtered",
    "filter_claims",
]

# DOC create-custom-claims.mdx "The following claims are subject to Auth0's restrictions" (verbatim list).
RESTRICTED_CLAIMS = frozenset(
    {
        "acr", "act", "active", "amr", "at_hash", "ath", "attest", "aud", "auth_time", "authorization_details",
        "azp", "c_hash", "client_id", "cnf", "cty", "dest", "entitlements", "events", "exp", "groups", "gty",
        "htm", "htu", "iat", "internalService", "iss", "jcard", "jku", "jti", "jwe", "jwk", "kid", "may_act",
        "mky", "nbf", "nonce", "object_id", "org_id", "org_name", "orig", "origid", "permissions", "roles",
        "rph", "s_hash", "sid", "sip_callid", "sip_cseq_num", "sip_date", "sip_from_tag", "sip_via_branch",
        "sub", "sub_jwk", "toe", "txn", "typ", "uuid", "vot", "vtm", "x5t#S256",
    }
)  # fmt: skip
# DOC custom-claims-migration.mdx "You can add the following OIDC user profile claims to access tokens", keyed
# by the scope that releases each (OpenID Connect Core §5.4).
OIDC_PROFILE_CLAIMS: dict[str, str] = {
    **dict.fromkeys(
        ("name", "family_name", "given_name", "middle_name", "nickname", "preferred_username", "profile",
         "picture", "website", "gender", "birthdate", "zoneinfo", "locale", "updated_at"),
        "profile",
    ),
    "email": "email",
    "email_verified": "email",
    "address": "address",
    "phone_number": "phone",
    "phone_number_verified": "phone",
}  # fmt: skip
# DOC custom-claims-migration.mdx "Restriction on Auth0 and Webtask namespaces".
AUTH0_NAMESPACE_DOMAINS = ("auth0.com", "webtask.io", "webtask.run")
# DOC custom-claims-migration.mdx "Maximum token size" (names and values, per token).
MAX_CUSTOM_CLAIMS_BYTES = 100 * 1024
# DOC custom-claims-migration.mdx "Restricted token audience": Auth0's own APIs on the tenant's domain.
_AUTH0_API_PATHS = ("/api", "/api/v2", "/mfa")


@dataclass
class Filtered:
    """The claims that go into the token, the ones Auth0 ignores (claim, why), and the payload size."""

    kept: dict[str, Any] = field(default_factory=dict)
    ignored: list[tuple[str, str]] = field(default_factory=list)
    size: int = 0


def _namespaced(key: str) -> bool:
    return key.startswith(("http://", "https://", "urn:"))


def _auth0_namespace(key: str) -> bool:
    if key.lower().startswith("urn:auth0"):
        return True
    if not key.startswith(("http://", "https://")):
        return False
    host = (urlsplit(key).hostname or "").lower()
    return any(host == d or host.endswith("." + d) for d in AUTH0_NAMESPACE_DOMAINS)


def is_auth0_api(audience: str, issuer: str) -> bool:
    """``https://TENANT/api``, ``/api/v2``, ``/mfa`` (with or without the trailing slash) on the tenant's domain."""
    base = issuer.rstrip("/")
    return audience.rstrip("/") in {base + p for p in _AUTH0_API_PATHS}


def _why_ignored(key: str, token: str, scopes: list[str], auth0_api: bool, minted: dict[str, Any]) -> str | None:
    if key in RESTRICTED_CLAIMS:
        return "a restricted claim (Auth0 ignores it; use a namespaced claim like https://example.test/" + key + ")"
    if _auth0_namespace(key):
        return "an Auth0 namespace (auth0.com, webtask.io, webtask.run and urn:auth0 are reserved)"
    if key in OIDC_PROFILE_CLAIMS:
        needed = OIDC_PROFILE_CLAIMS[key]
        return None if needed in scopes else f"an OIDC profile claim released only with the {needed!r} scope"
    if token == "access" and auth0_api and not _namespaced(key):
        return "a private, non-namespaced claim on a token for an Auth0 API"
    if key in minted:
        return "a claim Auth0 sets itself in this token (it cannot be modified)"
    return None


def filter_claims(
    claims: dict[str, Any], *, token: str, scopes: list[str], minted: dict[str, Any], auth0_api: bool = False
) -> Filtered:
    """Apply the rules above to the claims set on one token (``token`` is ``access`` or ``id``)."""
    out = Filtered()
    for key, value in claims.items():
        why = _why_ignored(key, token, scopes, auth0_api, minted)
        if why:
            out.ignored.append((key, why))
        else:
            out.kept[key] = value
    out.size = len(json.dumps(out.kept, separators=(",", ":"), ensure_ascii=False).encode()) if out.kept else 0
    return out
