"""``GET /authorize`` (RFC 6749 §4.1.1, OIDC Core §3.1.2) with Auth0's rules, as a sequence of validate steps.

Order: client -> callback URL (both fail on Auth0's HTML error page, never redirect), then :data:`VALIDATE_STEPS`
(response mode, third-party allow-list, response_type, grant type, PKCE challenge, audience/resource (§3.5),
API access policy and client grants, connections), whose errors go back to the client when its policy allows
(``response_mode.send_back``); then login (headless auto-approve, ``prompt=none``, SSO session or the login form,
``login.py``) -> consent -> redirect with ``code``/``state`` (+ RFC 9207 ``iss`` when the tenant toggle is on).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from authstage_kit.ids import random_string
from fake_idp import errors, pkce
from fake_idp.audience import Target, resolve_target, split_scope, user_flow_policy
from fake_idp.cimd import resolve_at_authorize
from fake_idp.context import Ctx
from fake_idp.login import (
    after_login,
    auto_approval,
    bind_device,
    consented,
    device_of,
    finish,
    session_of,
    usable_connections,
)
from fake_idp.response_mode import RESPONSE_MODES, send_back
from fake_idp.state import AuthTxn
from fake_idp.tenant import Api, Client, User
from fake_idp.wire import Outgoing, redirect

__all__ = ["VALIDATE_STEPS", "AuthorizationRequest", "authorize_endpoint", "callback_allowed"]

# DOC third-party-applications/security-controls.mdx: parameters a strict third-party app may send.
THIRD_PARTY_ALLOWED = frozenset(
    [
        "acr_values",
        "audience",
        "authorization_details",
        "client_id",
        "code_challenge",
        "code_challenge_method",
        "connection",
        "correlation_id",
        "display",
        "dpop_jkt",
        "login_hint",
        "max_age",
        "nonce",
        "prompt",
        "redirect_uri",
        "resource",
        "response_type",
        "scope",
        "state",
        "ui_locales",
    ]
)
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
MAX_PARAM = 8192


@dataclass
class AuthorizationRequest:
    """An ``/authorize`` request once its client and callback are known; the steps fill in the rest."""

    params: dict[str, str]
    client: Client
    redirect_uri: str
    response_mode: str
    state: str | None
    strict: bool  # a strict third-party client (DOC security-controls)
    code_challenge_method: str | None = None
    target: Target = field(default_factory=lambda: Target(api=None, source="none"))
    connections: list[str] = field(default_factory=list)

    def get(self, name: str) -> str | None:
        return self.params.get(name)


def callback_allowed(client: Client, uri: str, *, loopback_port_strict: bool) -> bool:
    """Exact string match (Auth0), or - only with the fault off - RFC 8252 §7.3 any-port loopback match."""
    if uri in client.callbacks:
        return True
    if loopback_port_strict:
        return False
    try:
        got = urlsplit(uri)
        if got.scheme != "http" or got.hostname not in LOOPBACK_HOSTS:
            return False
        for cb in client.callbacks:
            want = urlsplit(cb)
            if (
                want.scheme == "http"
                and want.hostname == got.hostname
                and want.path == got.path
                and want.query == got.query
            ):
                return True
    except ValueError:
        return False
    return False


def _is_loopback(uri: str | None) -> bool:
    try:
        return bool(uri) and urlsplit(uri or "").hostname in LOOPBACK_HOSTS
    except ValueError:
        return False


def _invalid(description: str, reason: str, error: str = "invalid_request") -> errors.AuthorizeError:
    """An ``/authorize`` error: Auth0's error page, unless ``authorize_endpoint`` sends it back to the client
    (only once the callback is trusted, and only when the client's redirection policy allows)."""
    return errors.AuthorizeError(error, description, reason=reason)


# ---------------------------------------------------------------------------------------------------------
# Before the callback is trusted
# ---------------------------------------------------------------------------------------------------------


def read_query(ctx: Ctx) -> dict[str, str]:
    """Query parameters, first value of a repeat (noted); an over-long value is an error page."""
    out: dict[str, str] = {}
    for key, value in ctx.request.query:
        if len(value) > MAX_PARAM:
            raise _invalid(
                errors.INVALID_PARAMETER.format(name=key[:64]),
                f"parameter {key[:64]!r} is {len(value)} characters long",
            )
        if key in out:
            ctx.note(f"parameter {key!r} repeated; the first value is used")
            continue
        out[key] = value
    return out


def validate_client(ctx: Ctx, params: dict[str, str]) -> Client:
    client_id = params.get("client_id")
    if not client_id:
        raise _invalid(errors.MISSING_PARAMETER.format(name="client_id"), "no client_id")
    client = ctx.find_client(client_id)
    if client is None:
        forgotten = client_id in ctx.tenant.faults.forgotten_clients
        raise _invalid(
            errors.UNKNOWN_CLIENT.format(client_id=client_id),
            f"client {client_id!r} is "
            + ("forgotten (faults.forgotten_clients; F-8)" if forgotten else "not registered"),
        )
    return client


def validate_redirect_uri(ctx: Ctx, params: dict[str, str], client: Client) -> str:
    redirect_uri = params.get("redirect_uri")
    strict_ports = ctx.tenant.faults.loopback_port_strict
    if redirect_uri and callback_allowed(client, redirect_uri, loopback_port_strict=strict_ports):
        return redirect_uri
    loopback = (
        " (loopback ports are matched exactly; F-19)" if _is_loopback(redirect_uri) and strict_ports else ""
    )
    raise _invalid(
        errors.CALLBACK_MISMATCH,
        errors.CALLBACK_NOT_ALLOWED_LOG.format(uri=redirect_uri or "(none)")
        + f" of client {client.client_id!r}: {client.callbacks}{loopback}",
    )


# ---------------------------------------------------------------------------------------------------------
# The validate steps (their errors go back to the client when its redirection policy allows)
# ---------------------------------------------------------------------------------------------------------


def validate_response_mode(ctx: Ctx, request: AuthorizationRequest) -> None:
    if request.response_mode not in RESPONSE_MODES:
        raise _invalid(
            errors.UNSUPPORTED_RESPONSE_MODE.format(response_mode=request.response_mode[:64]),
            "bad response_mode",
        )


def validate_third_party_parameters(ctx: Ctx, request: AuthorizationRequest) -> None:
    """DOC security-controls: strict third-party apps may send only the allow-listed (and ``ext-``) parameters."""
    if not request.strict:
        return
    for name in request.params:
        if name not in THIRD_PARTY_ALLOWED and not name.startswith("ext-"):
            raise _invalid(
                errors.UNSUPPORTED_PARAMETER.format(name=name[:64]),
                f"strict third-party clients may not send {name!r} (DOC security-controls allow-list)",
            )


def validate_response_type(ctx: Ctx, request: AuthorizationRequest) -> None:
    response_type = request.get("response_type")
    if not response_type:
        raise _invalid(errors.MISSING_PARAMETER.format(name="response_type"), "no response_type")
    if response_type != "code":
        raise _invalid(
            errors.UNSUPPORTED_RESPONSE_TYPE.format(response_type=response_type[:64]),
            f"response_type {response_type!r}: authstage emulates the code flow only"
            + (" (implicit is never allowed for third-party apps)" if request.strict else ""),
            "unsupported_response_type",
        )


def validate_grant_type(ctx: Ctx, request: AuthorizationRequest) -> None:
    client = request.client
    if "authorization_code" not in client.grant_types:
        raise _invalid(
            errors.GRANT_TYPE_NOT_ALLOWED.format(grant_type="authorization_code"),
            f"client {client.client_id!r} grant_types lack authorization_code",
            "unauthorized_client",
        )


def validate_code_challenge(ctx: Ctx, request: AuthorizationRequest) -> None:
    request.code_challenge_method = pkce.validate_code_challenge(
        request.get("code_challenge"),
        request.get("code_challenge_method"),
        required=request.strict,
        plain=ctx.tenant.emulator.pkce_plain,
    )


def validate_target(ctx: Ctx, request: AuthorizationRequest) -> None:
    """Which API the token is for: ``audience`` vs RFC 8707 ``resource`` (sheet §3.5, ``audience.py``)."""
    target = resolve_target(ctx, audience=request.get("audience"), resource=request.get("resource"))
    for note in target.notes:
        ctx.note(note)
    if target.unknown is not None:
        raise _invalid(
            errors.SERVICE_NOT_FOUND.format(audience=target.unknown), "; ".join(target.notes), "access_denied"
        )
    if target.api is None and not request.client.is_first_party:
        raise _invalid(
            errors.USERINFO_AUDIENCE_THIRD_PARTY,
            "third-party client without an API audience -> userinfo audience"
            + ("; " + "; ".join(target.notes) if target.notes else "")
            + " (F-2)",
            "access_denied",
        )
    request.target = target


def validate_api_access(ctx: Ctx, request: AuthorizationRequest) -> None:
    """The API's user access policy and client grants (DOC api-access-policies)."""
    api, client = request.target.api, request.client
    if api is None or user_flow_policy(ctx, client, api)[0]:
        return
    raise _invalid(
        errors.CLIENT_NOT_AUTHORIZED_FOR_RS.format(client_id=client.client_id, audience=api.identifier),
        f"no client grant for {client.client_id!r} on {api.identifier!r}"
        + ("" if client.is_first_party else " and no default_for: third_party_clients grant (F-5)"),
    )


def validate_connections(ctx: Ctx, request: AuthorizationRequest) -> None:
    client = request.client
    usable = usable_connections(ctx, client)
    wanted = request.get("connection")
    if not usable or (wanted and wanted not in usable):
        raise _invalid(
            errors.NO_CONNECTIONS,
            f"client {client.client_id!r} has no usable connection"
            + (
                ""
                if client.is_first_party
                else " (third-party clients can only use domain-level connections; F-7)"
            )
            + (f"; connection {wanted!r} not enabled" if wanted else ""),
        )
    request.connections = usable


VALIDATE_STEPS: tuple[Callable[[Ctx, AuthorizationRequest], None], ...] = (
    validate_response_mode,
    validate_third_party_parameters,
    validate_response_type,
    validate_grant_type,
    validate_code_challenge,
    validate_target,
    validate_api_access,
    validate_connections,
)


async def authorize_endpoint(ctx: Ctx) -> Outgoing:
    params = read_query(ctx)
    await resolve_at_authorize(ctx, params.get("client_id"))  # a Client Identifier URL's document (cimd.py)
    client = validate_client(ctx, params)
    redirect_uri = validate_redirect_uri(ctx, params, client)
    request = AuthorizationRequest(
        params=params,
        client=client,
        redirect_uri=redirect_uri,
        response_mode=params.get("response_mode") or "query",
        state=params.get("state"),
        strict=ctx.security_mode(client) == "strict",
    )
    try:
        for step in VALIDATE_STEPS:
            step(ctx, request)
        return start_login(ctx, request)
    except errors.AuthorizeError as exc:
        send_back(
            exc,
            ctx,
            client,
            redirect_uri=redirect_uri,
            state=request.state,
            response_mode=request.response_mode,
        )
        raise


# ---------------------------------------------------------------------------------------------------------
# Login: headless, silent (prompt=none), SSO session, or the login form
# ---------------------------------------------------------------------------------------------------------


def start_login(ctx: Ctx, request: AuthorizationRequest) -> Outgoing:
    prompt = set((request.get("prompt") or "").split())
    txn = _transaction(ctx, request, prompt)
    asked = auto_approval(ctx, request.get("login_hint"))
    if asked:
        ctx.note(f"auto-approved without a login page: {asked}")
        return _headless(ctx, request, txn)
    session = session_of(ctx)
    if "none" in prompt:
        if session is None or "login" in prompt:
            raise _invalid(errors.LOGIN_REQUIRED, "prompt=none without an SSO session", "login_required")
        user = ctx.tenant.user_by_id(session.user_id)
        if user is None:
            raise _invalid(errors.LOGIN_REQUIRED, "the session's user no longer exists", "login_required")
        if txn.needs_consent and not consented(ctx, user, txn):
            raise _invalid(
                errors.CONSENT_REQUIRED, "prompt=none but consent was never given", "consent_required"
            )
        return finish(ctx, txn, user, consented=True)
    txn.device = device_of(ctx)
    with ctx.state.lock:
        ctx.remember(ctx.state.transactions, txn.txn_id, txn, ctx.tenant.emulator.state.login_transactions)
    if session is not None and "login" not in prompt:
        user = ctx.tenant.user_by_id(session.user_id)
        if user is not None:
            txn.user_id, txn.auth_time = user.user_id, session.auth_time
            return bind_device(ctx, after_login(ctx, txn, user), txn)
    query = urlencode({"state": txn.txn_id, "login_hint": request.get("login_hint") or ""})
    return bind_device(ctx, redirect(ctx.url("/u/login") + "?" + query), txn)



def _transaction(ctx: Ctx, request: AuthorizationRequest, prompt: set[str]) -> AuthTxn:
    api = request.target.api
    return AuthTxn(
        txn_id=random_string(32),
        client_id=request.client.client_id,
        redirect_uri=request.redirect_uri,
        response_mode=request.response_mode,
        state=request.state,
        nonce=request.get("nonce"),
        scopes=split_scope(request.get("scope")),
        api_identifier=api.identifier if api else None,
        resource=request.get("resource"),
        code_challenge=request.get("code_challenge"),
        code_challenge_method=request.code_challenge_method,
        needs_consent=_needs_consent(request.client, api, request.redirect_uri, prompt),
        issuer=ctx.issuer,
        created_at=ctx.now(),
        force_consent="consent" in prompt,
    )


def _needs_consent(client: Client, api: Api | None, redirect_uri: str, prompt: set[str]) -> bool:
    """DOC user-consent-and-third-party-applications: third-party apps always consent; first-party apps skip it
    when the API allows skipping - except on localhost, where Auth0 always asks (COMMUNITY community.auth0.com
    t/103222; it cannot verify a first-party app running on localhost)."""
    if not client.is_first_party or "consent" in prompt:
        return True
    if api is not None and not api.skip_consent_for_verifiable_first_party_clients:
        return True
    return _is_loopback(redirect_uri)


def _headless(ctx: Ctx, request: AuthorizationRequest, txn: AuthTxn) -> Outgoing:
    """``settings.headless_auto_approve``: log ``login_hint`` (or the default user) in and consent, no page."""
    user = _headless_user(ctx, request.get("login_hint"))
    if user is None:
        raise _invalid(
            errors.WRONG_EMAIL_OR_PASSWORD,
            f"headless auto-approve: login_hint {request.get('login_hint')!r} matches no user of the tenant",
            "access_denied",
        )
    if user.blocked:
        raise _invalid(errors.USER_BLOCKED, f"user {user.email!r} is blocked", "access_denied")
    if user.connection not in request.connections:
        raise _invalid(
            errors.NO_CONNECTIONS,
            f"user {user.email!r} belongs to connection {user.connection!r}, "
            f"not enabled for client {request.client.client_id!r}",
        )
    return finish(ctx, txn, user, consented=True)


def _headless_user(ctx: Ctx, login_hint: str | None) -> User | None:
    if login_hint:
        return ctx.tenant.user_by_email(login_hint) or ctx.tenant.user_by_id(login_hint)
    default = ctx.tenant.settings.headless_default_user
    if default:
        return ctx.tenant.user_by_email(default)
    return ctx.tenant.users[0] if ctx.tenant.users else None
