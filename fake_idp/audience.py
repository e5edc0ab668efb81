"""``audience`` vs RFC 8707 ``resource``: which API a token is for, and which scopes it carries.

Implements the resolution matrix of auth0-tenant.md §3.5 (DOC tenant-settings.mdx, the Resource Parameter
Compatibility Profile guide, get-access-tokens.mdx) and the scope rules of §2.3/§7 (RBAC intersection,
client grants as the ceiling for M2M and third-party apps).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from urllib.parse import urlsplit, urlunsplit

from fake_idp.context import Ctx
from fake_idp.tenant import Api, Client, ClientGrant, User

__all__ = [
    "OIDC_SCOPES",
    "Target",
    "find_api",
    "find_grant",
    "normalize_identifier",
    "resolve_target",
    "split_scope",
    "user_flow_policy",
    "user_scopes",
]

# DOC: scopes_supported of the discovery document; none of these name an API permission.
OIDC_SCOPES = (
    "openid",
    "profile",
    "offline_access",
    "name",
    "given_name",
    "family_name",
    "nickname",
    "email",
    "email_verified",
    "picture",
    "created_at",
    "identities",
    "phone",
    "address",
)


@dataclass
class Target:
    """Where a token points: an API, or the userinfo audience (``api is None``, opaque token)."""

    api: Api | None
    source: str  # audience | resource | default_audience | none
    value: str | None = None
    unknown: str | None = None  # set when the value names no API ("Service not found")
    notes: list[str] = field(default_factory=list)


def normalize_identifier(value: str) -> str:
    """What ``faults.audience_match: normalize`` forgives: trailing slash, scheme/host case."""
    try:
        parts = urlsplit(value)
    except ValueError:
        return value.rstrip("/")
    if parts.scheme and parts.netloc:
        return urlunsplit(
            (parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), parts.query, "")
        )
    return value.rstrip("/")


def find_api(ctx: Ctx, value: str) -> Api | None:
    for api in ctx.tenant.apis:
        if api.identifier == value:
            return api
    if ctx.tenant.faults.audience_match == "normalize":
        norm = normalize_identifier(value)
        for api in ctx.tenant.apis:
            if normalize_identifier(api.identifier) == norm:
                return api
    return None


def _is_userinfo(ctx: Ctx, value: str) -> bool:
    return value in {ctx.userinfo_audience, ctx.userinfo_audience + "/"}


def resolve_target(ctx: Ctx, *, audience: str | None, resource: str | None) -> Target:
    """§3.5: ``audience`` first; else ``resource`` if the compatibility profile is on; else Default Audience."""
    settings = ctx.tenant.settings
    notes: list[str] = []
    compat = settings.resource_parameter_profile == "compatibility"
    if resource and not compat:
        notes.append(
            f"resource {resource!r} ignored: the Resource Parameter Compatibility Profile is off, so Auth0 treats "
            "resource as an upstream-IdP parameter (settings.resource_parameter_profile)"
        )
    if audience:
        value, source = audience, "audience"
        if resource and compat and resource != audience:
            notes.append(
                f"audience {audience!r} wins over resource {resource!r} (compatibility profile rule)"
            )
    elif resource and compat:
        value, source = resource, "resource"
    elif settings.default_audience:
        value, source = settings.default_audience, "default_audience"
        notes.append(f"no audience: the tenant Default Audience {value!r} was used")
    else:
        return Target(api=None, source="none", notes=notes)
    if _is_userinfo(ctx, value):
        return Target(api=None, source=source, value=value, notes=notes)
    api = find_api(ctx, value)
    if api is None:
        hint = ""
        near = [
            a.identifier
            for a in ctx.tenant.apis
            if normalize_identifier(a.identifier) == normalize_identifier(value)
        ]
        if near:
            hint = f"; API identifiers are matched exactly and {near[0]!r} differs only by slash/case"
        notes.append(f"{source} {value!r} matches no API identifier{hint}")
        return Target(api=None, source=source, value=value, unknown=value, notes=notes)
    return Target(api=api, source=source, value=value, notes=notes)


def find_grant(ctx: Ctx, client: Client, api: Api, *, allow_default: bool) -> ClientGrant | None:
    """An explicit client grant, or (third-party clients) the ``default_for: third_party_clients`` grant."""
    for grant in ctx.tenant.client_grants:
        if grant.client_id == client.client_id and grant.audience == api.identifier:
            return grant
    if allow_default and not client.is_first_party:
        for grant in ctx.tenant.client_grants:
            if grant.default_for == "third_party_clients" and grant.audience == api.identifier:
                return grant
    return None


def user_flow_policy(ctx: Ctx, client: Client, api: Api) -> tuple[bool, ClientGrant | None]:
    """May ``client`` get user tokens for ``api``? Returns (allowed, ceiling grant).

    DOC api-access-policies / security-controls: strict third-party apps always need a grant (explicit or
    ``default_for``), "even when the API policy is Allow All"; others follow ``subject_type_authorization``.
    """
    mode = ctx.security_mode(client)
    if mode == "strict":
        grant = find_grant(ctx, client, api, allow_default=True)
        return grant is not None, grant
    policy = api.subject_type_authorization.user.policy
    if policy == "deny_all":
        return False, None
    if policy == "require_client_grant":
        grant = find_grant(ctx, client, api, allow_default=True)
        return grant is not None, grant
    return True, None


def user_scopes(
    ctx: Ctx, client: Client, user: User, api: Api | None, requested: list[str], grant: ClientGrant | None
) -> tuple[list[str], list[str] | None]:
    """Scopes and ``permissions`` of a user token (sheet §2.3, §7)."""
    strict = ctx.security_mode(client) == "strict"
    perms = ctx.tenant.user_permissions(user, api) if api is not None else []
    out: list[str] = []
    for scope in requested:
        if scope in out:
            continue
        if scope in OIDC_SCOPES:
            if scope == "offline_access":
                if api is not None and not api.allow_offline_access:
                    continue
            elif strict:
                continue  # DOC: strict third-party apps "do not ... process OIDC scopes"
            out.append(scope)
            continue
        if api is None or scope not in api.scope_values:
            continue  # scopes the API does not define are dropped silently
        if grant is not None and scope not in grant.scope:
            continue
        if api.enforce_policies and scope not in perms:
            continue  # DOC: "intersection of the requested permissions and the permissions assigned to the user"
        out.append(scope)
    permissions: list[str] | None = None
    if api is not None and api.token_dialect.endswith("_authz"):
        permissions = perms if api.enforce_policies else []
    return out, permissions


def split_scope(scope: str | None) -> list[str]:
    """RFC 6749 §3.3: a space-delimited list; order kept, repeats dropped."""
    out: list[str] = []
    for s in (scope or "").split():
        if s not in out:
            out.append(s)
    return out
