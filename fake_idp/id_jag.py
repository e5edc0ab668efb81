"""Cross-app access (SEP-990) with the Identity Assertion Authorization Grant, ID-JAG
(draft-ietf-oauth-identity-assertion-authz-grant; RFC 8693 token exchange, RFC 7523 §2.1 jwt-bearer grant).

Two halves, both behind ``profile.cross_app_access`` (``profile.py``):

* the enterprise IdP: token exchange of an ID token this tenant issued to the requesting client
  (``subject_token_type=urn:ietf:params:oauth:token-type:id_token``,
  ``requested_token_type=urn:ietf:params:oauth:token-type:id-jag``, ``audience`` = the MCP server's AS issuer,
  ``resource`` = the MCP server) for an ID-JAG: a JWT with ``typ: oauth-id-jag+jwt`` naming ``sub``, ``aud``,
  ``client_id`` (the client at that AS), ``resource``, ``jti``, a short ``exp``; answered with
  ``issued_token_type`` id-jag and ``token_type: N_A`` (RFC 8693 §2.2.1);
* the MCP server's AS (what Auth0 advertises with ``authorization_grant_profiles_supported``): the jwt-bearer grant
  with the ID-JAG as ``assertion``, from a trusted issuer, for this tenant, naming the authenticated client.

One tenant can play both roles (then ``trusted_issuers: [self]``). Wire texts of refusals are INFERRED (errors.py).
"""

from __future__ import annotations

from typing import Any

from joserfc import jwt

from authstage_kit.ids import random_string
from authstage_kit.redact import decode_unverified
from fake_idp import errors
from fake_idp.audience import split_scope, user_flow_policy, user_scopes
from fake_idp.grants import Grant, user_token_response
from fake_idp.tenant import Api, User
from fake_idp.tokens import verify_own_jwt

__all__ = ["ID_JAG", "ID_JAG_TYP", "ID_TOKEN", "JWT_BEARER", "JwtBearerGrant", "issue_id_jag"]

ID_JAG = "urn:ietf:params:oauth:token-type:id-jag"
ID_TOKEN = "urn:ietf:params:oauth:token-type:id_token"
ID_JAG_TYP = "oauth-id-jag+jwt"
JWT_BEARER = "urn:ietf:params:oauth:grant-type:jwt-bearer"


def _invalid(detail: str, reason: str, error: str = "invalid_grant") -> errors.OAuthError:
    return errors.OAuthError(error, errors.INVALID_ASSERTION.format(detail=detail), status=400, reason=reason)


def _same_issuer(value: Any, issuer: str) -> bool:
    return isinstance(value, str) and value.rstrip("/") == issuer.rstrip("/")


def issue_id_jag(grant: Grant) -> dict[str, Any]:
    """The enterprise IdP half: an ID token of this tenant, issued to the requesting client, for an ID-JAG."""
    ctx, params, client = grant.ctx, grant.params, grant.client
    grant.check_grant_type()
    missing = [n for n in ("subject_token", "audience", "resource") if not params.get(n)]
    if missing:
        raise errors.missing_parameter(missing[0], reason=f"ID-JAG token exchange without {missing}")
    if params.get("subject_token_type") != ID_TOKEN:
        raise _invalid("subject_token_type", f"an ID-JAG is issued for an ID token ({ID_TOKEN}), not "
                       f"{params.get('subject_token_type')!r}", "invalid_request")
    claims, problem = verify_own_jwt(ctx, params["subject_token"])
    if claims is None:
        raise _invalid("subject_token", f"the ID token does not verify: {problem}")
    aud = claims.get("aud")
    if client.client_id not in (aud if isinstance(aud, list) else [aud]):
        raise _invalid("subject_token", f"the ID token was issued to {aud!r}, not to client {client.client_id!r}")
    cross = ctx.tenant.profile.cross_app_access
    now = int(ctx.now())
    jag: dict[str, Any] = {
        "iss": ctx.token_iss, "sub": claims.get("sub"), "aud": params["audience"],
        "client_id": cross.client_ids.get(client.client_id, client.client_id), "resource": params["resource"],
        "jti": random_string(22), "iat": now, "exp": now + cross.id_jag_lifetime,
    }
    if params.get("scope"):
        jag["scope"] = params["scope"]
    key = ctx.keys.current
    token = jwt.encode({"alg": "RS256", "typ": ID_JAG_TYP, "kid": key.kid}, jag, key.jose, algorithms=["RS256"])
    ctx.note(f"ID-JAG issued for {jag['aud']!r}, resource {jag['resource']!r}, client_id {jag['client_id']!r}")
    return {"access_token": token, "issued_token_type": ID_JAG, "token_type": "N_A", "expires_in": cross.id_jag_lifetime}


class JwtBearerGrant(Grant):
    """RFC 7523 §2.1 with an ID-JAG assertion: the MCP server's AS half of cross-app access."""

    GRANT_TYPE = JWT_BEARER

    def respond(self) -> dict[str, Any]:
        self.check_grant_type()
        claims = self._assertion()
        user, api = self._subject(claims)
        allowed, ceiling = user_flow_policy(self.ctx, self.client, api)
        if not allowed:
            raise _invalid("client", f"client {self.client.client_id!r} may not get tokens for {api.identifier!r}")
        # scope, else the ID-JAG's, else every scope of the API (the token-exchange grant's default), RBAC applied
        requested = split_scope(self.params.get("scope") or claims.get("scope")) or list(api.scope_values)
        scopes, permissions = user_scopes(self.ctx, self.client, user, api, requested, ceiling)
        pieces = user_token_response(self.ctx, self.client, user, api, scopes, permissions)
        body: dict[str, Any] = {"access_token": pieces["access_token"]}
        if scopes:
            body["scope"] = " ".join(scopes)
        body["expires_in"] = pieces["expires_in"]
        body["token_type"] = "Bearer"
        return body

    def _assertion(self) -> dict[str, Any]:
        """A verified ID-JAG from a trusted issuer, for this AS, naming the authenticated client."""
        ctx, assertion = self.ctx, self.params.get("assertion")
        if not assertion:
            raise errors.missing_parameter("assertion", reason="jwt-bearer grant without assertion")
        header = (decode_unverified(assertion) or {}).get("header") or {}
        if header.get("typ") != ID_JAG_TYP:
            raise _invalid("typ", f"assertion typ {header.get('typ')!r} is not {ID_JAG_TYP!r} (not an ID-JAG)")
        trusted = ctx.tenant.profile.cross_app_access.trusted_issuers
        if "self" not in trusted and not any(_same_issuer(t, ctx.issuer) for t in trusted):
            raise _invalid("issuer", f"no trusted ID-JAG issuer is configured (profile.cross_app_access."
                           f"trusted_issuers {trusted}); this tenant signs the ones it can verify")
        claims, problem = verify_own_jwt(ctx, assertion)
        if claims is None:
            raise _invalid("signature", f"the ID-JAG does not verify: {problem}")
        if not _same_issuer(claims.get("aud"), ctx.issuer):
            raise _invalid("aud", f"ID-JAG aud {claims.get('aud')!r} is not this authorization server {ctx.issuer!r}")
        if claims.get("client_id") != self.client.client_id:
            raise _invalid("client_id", f"ID-JAG client_id {claims.get('client_id')!r} is not the authenticated "
                           f"client {self.client.client_id!r}")
        resource = self.params.get("resource")
        if resource and resource != claims.get("resource"):
            raise _invalid("resource", f"resource {resource!r} differs from the ID-JAG's {claims.get('resource')!r}")
        return claims

    def _subject(self, claims: dict[str, Any]) -> tuple[User, Api]:
        user = self.ctx.tenant.user_by_id(str(claims.get("sub")))
        if user is None:
            raise _invalid("sub", f"ID-JAG sub {claims.get('sub')!r} is not a user of this tenant")
        api = self.ctx.tenant.api_by_identifier(claims.get("resource"))
        if api is None:
            raise _invalid("resource", f"ID-JAG resource {claims.get('resource')!r} is the identifier of no API")
        return user, api
