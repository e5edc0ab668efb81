"""Other vendors' access-token shapes (Amazon Cognito, Okta, Microsoft Entra v1/v2) minted by the Auth0-style tenant.

Gateways in front of MCP servers are configured for whichever IdP a team uses, and each vendor puts the same
facts into different claims (agentcore-gateway.md §3 "Differences between identity providers"; U1, U2, U4,
U5). ``emulator.token_profiles`` maps an API (its name or identifier) to a profile: the tenant still decides
*whether* a token is issued and with which scopes (grants, RBAC, audience rules), then the access token for
that API is re-shaped here. ``iss`` stays the tenant's issuer, the one its discovery document advertises (pin
``issuer:`` to a vendor's string if you need it), signatures and ``kid`` follow the tenant's keys and faults,
``exp - iat`` stays the API's ``token_lifetime``, and the ``/oauth/token`` response keeps Auth0's shape.

Shapes and their sources:

- ``cognito`` — DOC https://docs.aws.amazon.com/cognito/latest/developerguide/amazon-cognito-user-pools-using-the-access-token.html
  header ``{"kid","alg"}``; payload ``sub, iss, version, client_id, origin_jti, event_id, token_use, scope,
  auth_time, exp, iat, jti, username`` and **no ``aud``** (sheet §3: "Cognito access tokens carry the app
  client id in the client_id claim and have no aud claim", PR guidance-for-claude-code-with-amazon-bedrock#718).
  M2M (client credentials): ``sub`` = the client id, no ``username``/``origin_jti``/``event_id``.
  User ``sub`` is a UUID (derived from the tenant's user_id: INFERRED, stable per user).
- ``okta`` — CAPTURE of a real Okta access token (rabbitmq-users group thread, 2023): header ``{"kid","alg"}``;
  ``ver: 1, jti: "AT.…", iss, aud, sub, iat, exp, cid, uid, scp (array), auth_time``; sheet §3 (``scp`` array
  of short names, ``cid``, no ``client_id``). M2M: ``sub`` = the client id, no ``uid``/``auth_time``.
- ``entra_v2`` / ``entra_v1`` — DOC https://learn.microsoft.com/entra/identity-platform/access-token-claims-reference:
  v2 ``aud`` is "always the client ID of the API" (a GUID), ``azp``/``azpacr``, ``ver: "2.0"``; v1 ``aud`` is
  the resource URI used in the request (the App ID URI), ``appid``/``appidacr``, ``ver: "1.0"``, ``x5t`` header.
  ``scp`` is a space-separated string, "only included for user tokens"; client-credentials tokens carry
  ``roles`` (the app permissions) instead. Header ``{"typ":"JWT","alg","kid"}`` (+ ``x5t`` = ``kid`` in v1).
  The API's client ID: ``api://<GUID>`` identifiers (Entra's default App ID URI) give that GUID; any other
  identifier a stable UUID derived from it (INFERRED: Entra would show the app registration's GUID).
  ``tid``/``oid``/``sub``/``uti``/``aio``/``rh`` are stable or random look-alikes (INFERRED values, DOC names).
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
import uuid
from typing import Any

from authstage_kit.ids import random_string, uuid4
from fake_idp.tenant import Api, Client, User

__all__ = ["entra_app_id", "header_for", "reshape"]

_GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
_NS = uuid.UUID("6f1c8e0a-3d5b-4c1e-9a7f-2b8d4e6a0c13")  # authstage's namespace for derived ids


def _stable_uuid(*parts: str) -> str:
    return str(uuid.uuid5(_NS, "|".join(parts)))


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def entra_app_id(api: Api | str) -> str:
    """The API's (or API identifier's) application (client) ID, which Entra v2 puts in ``aud``: ``api://<GUID>`` ->
    ``<GUID>``, any other identifier a stable GUID of its own."""
    identifier = api if isinstance(api, str) else api.identifier
    if identifier.startswith("api://"):
        head = identifier[len("api://") :].split("/", 1)[0]
        if _GUID.match(head):
            return head.lower()
    return _stable_uuid("entra-app", identifier)


def header_for(profile: str, alg: str, kid: str | None, auth0_typ: str) -> dict[str, Any]:
    """The JWS header in the vendor's member order (``kid`` omitted when the tenant's faults drop it)."""
    if profile in ("cognito", "okta"):
        return {"kid": kid, "alg": alg} if kid else {"alg": alg}
    if profile in ("entra_v1", "entra_v2"):
        header: dict[str, Any] = {"typ": "JWT", "alg": alg}
        if kid:
            if profile == "entra_v1":
                header["x5t"] = kid
            header["kid"] = kid
        return header
    header = {"alg": alg, "typ": auth0_typ}
    if kid:
        header["kid"] = kid
    return header


def reshape(
    profile: str,
    auth0_claims: dict[str, Any],
    *,
    api: Api,
    client: Client,
    user: User | None,
    scopes: list[str],
    permissions: list[str] | None,
) -> dict[str, Any]:
    """The vendor's claims for a token the tenant decided to issue (``auth0_claims``: its Auth0 shape)."""
    if profile == "auth0":
        return auth0_claims
    iss, iat, exp = auth0_claims["iss"], auth0_claims["iat"], auth0_claims["exp"]
    act = auth0_claims.get("act")
    cid = client.client_id
    if profile == "cognito":
        claims = _cognito(iss, iat, exp, cid, user, scopes)
    elif profile == "okta":
        claims = _okta(iss, iat, exp, cid, user, scopes, api)
    else:
        claims = _entra(profile, iss, iat, exp, client, user, scopes, permissions, api)
    if act:
        claims["act"] = act  # RFC 8693 §4.1: a delegated token keeps its actor whatever the vendor shape
    return claims


def _cognito(iss: str, iat: int, exp: int, cid: str, user: User | None, scopes: list[str]) -> dict[str, Any]:
    scope = " ".join(scopes)
    if user is None:  # client credentials
        claims: dict[str, Any] = {"sub": cid, "token_use": "access"}
        if scope:
            claims["scope"] = scope
        claims.update(
            {
                "auth_time": iat,
                "iss": iss,
                "exp": exp,
                "iat": iat,
                "version": 2,
                "jti": uuid4(),
                "client_id": cid,
            }
        )
        return claims
    claims = {
        "sub": _stable_uuid("cognito-user", user.user_id),
        "iss": iss,
        "version": 2,
        "client_id": cid,
        "origin_jti": uuid4(),
        "event_id": uuid4(),
        "token_use": "access",
    }
    if scope:
        claims["scope"] = scope
    claims.update(
        {"auth_time": iat, "exp": exp, "iat": iat, "jti": uuid4(), "username": user.email}
    )
    return claims


def _okta(
    iss: str, iat: int, exp: int, cid: str, user: User | None, scopes: list[str], api: Api
) -> dict[str, Any]:
    claims: dict[str, Any] = {
        "ver": 1,
        "jti": "AT." + _b64(secrets.token_bytes(32)),
        "iss": iss,
        "aud": api.identifier,
        "sub": cid if user is None else user.email,
        "iat": iat,
        "exp": exp,
        "cid": cid,
    }
    if user is not None:
        claims["uid"] = "00u" + _b64(hashlib.sha256(user.user_id.encode()).digest())[:17]
    claims["scp"] = list(scopes)
    if user is not None:
        claims["auth_time"] = iat
    return claims


def _entra(
    profile: str,
    iss: str,
    iat: int,
    exp: int,
    client: Client,
    user: User | None,
    scopes: list[str],
    permissions: list[str] | None,
    api: Api,
) -> dict[str, Any]:
    v2 = profile == "entra_v2"
    tid = _stable_uuid("entra-tenant", iss)
    principal = user.user_id if user is not None else client.client_id
    acr = "1" if client.confidential else "0"
    claims: dict[str, Any] = {
        "aud": entra_app_id(api) if v2 else api.identifier,
        "iss": iss,
        "iat": iat,
        "nbf": iat,
        "exp": exp,
    }
    if not v2 and user is not None:
        claims["acr"] = "1"
    claims["aio"] = _b64(secrets.token_bytes(48))
    if not v2 and user is not None:
        claims["amr"] = ["pwd"]
    if v2:
        claims.update({"azp": client.client_id, "azpacr": acr})
    else:
        claims.update({"appid": client.client_id, "appidacr": acr})
    if user is not None:
        claims["name"] = user.name or user.email
    claims["oid"] = _stable_uuid("entra-object", principal)
    if v2 and user is not None:
        claims["preferred_username"] = user.email
    claims["rh"] = "0." + _b64(secrets.token_bytes(40))
    if user is None:
        # DOC: the client credential flow "uses this set of permission in place of user scopes".
        if scopes:
            claims["roles"] = list(scopes)
    else:
        api_scopes = [s for s in scopes if s in api.scope_values]
        if api_scopes:
            claims["scp"] = " ".join(api_scopes)
        # DOC: for user tokens, roles are "the assigned roles of the user": Auth0 RBAC permissions.
        if permissions:
            claims["roles"] = list(permissions)
    claims["sub"] = _b64(hashlib.sha256(f"{principal}|{client.client_id}".encode()).digest())[:43]
    claims["tid"] = tid
    if not v2 and user is not None:
        claims["unique_name"] = user.email
    claims["uti"] = random_string(22)
    claims["ver"] = "2.0" if v2 else "1.0"
    return claims
