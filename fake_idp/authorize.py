"""``GET /authorize`` (RFC 6749 §4.1.1, OIDC Core §3.1.2) with Auth0's Universal Login, consent and errors.

Validation order: client -> callback URL (both fail on Auth0's HTML error page, never redirect) -> request
parameters (third-party allow-list, response_type, PKCE) -> audience/resource (§3.5) -> API access policy
and client grants -> connections -> login (headless auto-approve, SSO session or the login form) -> consent
-> redirect with ``code``/``state`` (+ RFC 9207 ``iss`` when the tenant toggle is on).
"""

from __future__ import annotations

import re
import secrets
from urllib.parse import urlencode, urlsplit

from fastapi import Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from fake_idp import errors, pages
from fake_idp.audience import resolve_target, user_flow_policy, user_scopes
from fake_idp.context import Ctx, ctx_of
from fake_idp.grants import split_scope
from fake_idp.state import AuthCode, AuthTxn, Session, random_string
from fake_idp.tenant import Api, Client, User
from fake_idp.token import read_params
from fake_idp.tokens import random_code

__all__ = [
    "authorize_endpoint",
    "callback_allowed",
    "consent_get",
    "consent_post",
    "login_get",
    "login_post",
    "redirect_with",
]

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
SESSION_COOKIE = "auth0"
LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "[::1]", "::1"}
_CHALLENGE_RE = re.compile(r"^[A-Za-z0-9\-._~]{43,128}$")
MAX_PARAM = 8192


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


def redirect_with(uri: str, params: dict[str, str], mode: str) -> Response:
    """Deliver an authorization response: query (default), fragment, or form_post."""
    params = {k: v for k, v in params.items() if v is not None}
    if mode == "form_post":
        return HTMLResponse(pages.form_post_page(action=uri, fields=params))
    if mode == "fragment":
        return RedirectResponse(f"{uri.split('#')[0]}#{urlencode(params)}", status_code=302)
    sep = "&" if "?" in uri else "?"
    return RedirectResponse(f"{uri}{sep}{urlencode(params)}", status_code=302)


def _iss_param(ctx: Ctx) -> str | None:
    return ctx.issuer if ctx.tenant.settings.authorization_response_iss_parameter_supported else None


def _redirects_errors(ctx: Ctx, client: Client) -> bool:
    mode = ctx.tenant.faults.authorize_error_delivery
    if mode != "auto":
        return mode == "redirect"
    default = "open_redirect_protection" if ctx.security_mode(client) == "strict" else "allow_always"
    return (client.redirection_policy or default) == "allow_always"


def _query(ctx: Ctx, request: Request) -> dict[str, str]:
    out: dict[str, str] = {}
    for key, value in request.query_params.multi_items():
        if len(value) > MAX_PARAM:
            raise errors.AuthorizeError(
                "invalid_request",
                errors.INVALID_PARAMETER.format(name=key[:64]),
                reason=f"parameter {key[:64]!r} is {len(value)} characters long",
            )
        if key in out:
            ctx.note(f"parameter {key!r} repeated; the first value is used")
            continue
        out[key] = value
    return out


def usable_connections(ctx: Ctx, client: Client) -> list[str]:
    strict = ctx.security_mode(client) == "strict"
    names = []
    for conn in ctx.tenant.connections:
        if conn.is_domain_connection or (not strict and client.client_id in conn.enabled_clients):
            names.append(conn.name)
    return names


async def authorize_endpoint(request: Request) -> Response:
    ctx = ctx_of(request)
    q = _query(ctx, request)
    page = errors.AuthorizeError
    client_id = q.get("client_id")
    if not client_id:
        raise page(
            "invalid_request", errors.MISSING_PARAMETER.format(name="client_id"), reason="no client_id"
        )
    client = ctx.find_client(client_id)
    if client is None:
        forgotten = client_id in ctx.tenant.faults.forgotten_clients
        raise page(
            "invalid_request",
            errors.UNKNOWN_CLIENT.format(client_id=client_id),
            reason=f"client {client_id!r} is "
            + ("forgotten (faults.forgotten_clients; F-8)" if forgotten else "not registered"),
        )
    redirect_uri = q.get("redirect_uri")
    strict_ports = ctx.tenant.faults.loopback_port_strict
    if not redirect_uri or not callback_allowed(client, redirect_uri, loopback_port_strict=strict_ports):
        shown = redirect_uri or "(none)"
        raise page(
            "invalid_request",
            errors.CALLBACK_MISMATCH,
            reason=errors.CALLBACK_NOT_ALLOWED_LOG.format(uri=shown)
            + f" of client {client.client_id!r}: {client.callbacks}"
            + (
                " (loopback ports are matched exactly; F-19)"
                if _is_loopback(redirect_uri) and strict_ports
                else ""
            ),
        )
    response_mode = q.get("response_mode") or "query"
    state = q.get("state")

    def fail(error: str, description: str, reason: str) -> errors.AuthorizeError:
        target = redirect_uri if _redirects_errors(ctx, client) else None
        mode = response_mode if response_mode in ("query", "fragment", "form_post") else "query"
        return errors.AuthorizeError(
            error,
            description,
            reason=reason,
            redirect_uri=target,
            state=state,
            response_mode=mode,
            iss=_iss_param(ctx),
        )

    strict = ctx.security_mode(client) == "strict"
    if response_mode not in ("query", "fragment", "form_post"):
        raise fail(
            "invalid_request",
            errors.UNSUPPORTED_RESPONSE_MODE.format(response_mode=response_mode[:64]),
            "bad response_mode",
        )
    if strict:
        for name in q:
            if name not in THIRD_PARTY_ALLOWED and not name.startswith("ext-"):
                raise fail(
                    "invalid_request",
                    errors.UNSUPPORTED_PARAMETER.format(name=name[:64]),
                    f"strict third-party clients may not send {name!r} (DOC security-controls allow-list)",
                )
    response_type = q.get("response_type")
    if not response_type:
        raise fail(
            "invalid_request", errors.MISSING_PARAMETER.format(name="response_type"), "no response_type"
        )
    if response_type != "code":
        raise fail(
            "unsupported_response_type",
            errors.UNSUPPORTED_RESPONSE_TYPE.format(response_type=response_type[:64]),
            f"response_type {response_type!r}: authstage emulates the code flow only"
            + (" (implicit is never allowed for third-party apps)" if strict else ""),
        )
    if "authorization_code" not in client.grant_types:
        raise fail(
            "unauthorized_client",
            errors.GRANT_TYPE_NOT_ALLOWED.format(grant_type="authorization_code"),
            f"client {client.client_id!r} grant_types lack authorization_code",
        )
    challenge = q.get("code_challenge")
    method = q.get("code_challenge_method")
    if challenge:
        method = method or "plain"  # RFC 7636 §4.3 default
        if method not in ("S256", "plain") or (
            method == "plain" and ctx.tenant.emulator.pkce_plain == "reject"
        ):
            raise fail(
                "invalid_request",
                errors.UNSUPPORTED_CHALLENGE_METHOD.format(method=method[:32]),
                f"code_challenge_method {method!r}: Auth0 documents S256 only (emulator.pkce_plain)",
            )
        if not _CHALLENGE_RE.match(challenge):
            raise fail(
                "invalid_request",
                errors.INVALID_PARAMETER.format(name="code_challenge"),
                "malformed code_challenge",
            )
    elif method:
        raise fail(
            "invalid_request",
            errors.MISSING_PARAMETER.format(name="code_challenge"),
            "code_challenge_method without code_challenge",
        )
    elif strict:
        raise fail(
            "invalid_request", errors.PKCE_REQUIRED, "strict third-party clients must use PKCE (IPRally)"
        )
    target = resolve_target(ctx, audience=q.get("audience"), resource=q.get("resource"))
    for note in target.notes:
        ctx.note(note)
    if target.unknown is not None:
        raise fail(
            "access_denied", errors.SERVICE_NOT_FOUND.format(audience=target.unknown), "; ".join(target.notes)
        )
    if target.api is None and not client.is_first_party:
        raise fail(
            "access_denied",
            errors.USERINFO_AUDIENCE_THIRD_PARTY,
            "third-party client without an API audience -> userinfo audience"
            + ("; " + "; ".join(target.notes) if target.notes else "")
            + " (F-2)",
        )
    if target.api is not None:
        allowed, _grant = user_flow_policy(ctx, client, target.api)
        if not allowed:
            raise fail(
                "invalid_request",
                errors.CLIENT_NOT_AUTHORIZED_FOR_RS.format(
                    client_id=client.client_id, audience=target.api.identifier
                ),
                f"no client grant for {client.client_id!r} on {target.api.identifier!r}"
                + (
                    " and no default_for: third_party_clients grant (F-5)"
                    if not client.is_first_party
                    else ""
                ),
            )
    usable = usable_connections(ctx, client)
    wanted = q.get("connection")
    if not usable or (wanted and wanted not in usable):
        raise fail(
            "invalid_request",
            errors.NO_CONNECTIONS,
            f"client {client.client_id!r} has no usable connection"
            + (
                " (third-party clients can only use domain-level connections; F-7)"
                if not client.is_first_party
                else ""
            )
            + (f"; connection {wanted!r} not enabled" if wanted else ""),
        )
    prompt = set((q.get("prompt") or "").split())
    txn = AuthTxn(
        txn_id=random_string(32),
        client_id=client.client_id,
        redirect_uri=redirect_uri,
        response_mode=response_mode,
        state=state,
        nonce=q.get("nonce"),
        scopes=split_scope(q.get("scope")),
        api_identifier=target.api.identifier if target.api else None,
        resource=q.get("resource"),
        code_challenge=challenge,
        code_challenge_method=method if challenge else None,
        needs_consent=_needs_consent(client, target.api, redirect_uri, prompt),
        issuer=ctx.issuer,
        created_at=ctx.now(),
        force_consent="consent" in prompt,
    )
    settings = ctx.tenant.settings
    if settings.headless_auto_approve:
        user = _headless_user(ctx, q.get("login_hint"))
        if user is None:
            raise fail(
                "access_denied",
                errors.WRONG_EMAIL_OR_PASSWORD,
                f"headless auto-approve: login_hint {q.get('login_hint')!r} matches no user of the tenant",
            )
        _check_user(ctx, client, user, usable, fail)
        return _finish(ctx, txn, user, consented=True)
    session = _session(ctx)
    if "none" in prompt:
        if session is None or "login" in prompt:
            raise fail("login_required", errors.LOGIN_REQUIRED, "prompt=none without an SSO session")
        user = ctx.tenant.user_by_id(session.user_id)
        if user is None:
            raise fail("login_required", errors.LOGIN_REQUIRED, "the session's user no longer exists")
        if txn.needs_consent and not _consented(ctx, user, txn):
            raise fail("consent_required", errors.CONSENT_REQUIRED, "prompt=none but consent was never given")
        return _finish(ctx, txn, user, consented=True)
    with ctx.state.lock:
        ctx.state.transactions[txn.txn_id] = txn
    if session is not None and "login" not in prompt:
        user = ctx.tenant.user_by_id(session.user_id)
        if user is not None:
            txn.user_id, txn.auth_time = user.user_id, session.auth_time
            return _after_login(ctx, txn, user)
    login_hint = q.get("login_hint") or ""
    return RedirectResponse(
        ctx.url("/u/login") + "?" + urlencode({"state": txn.txn_id, "login_hint": login_hint}),
        status_code=302,
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


def _is_loopback(uri: str | None) -> bool:
    try:
        return bool(uri) and urlsplit(uri or "").hostname in LOOPBACK_HOSTS
    except ValueError:
        return False


def _headless_user(ctx: Ctx, login_hint: str | None) -> User | None:
    if login_hint:
        return ctx.tenant.user_by_email(login_hint) or ctx.tenant.user_by_id(login_hint)
    default = ctx.tenant.settings.headless_default_user
    if default:
        return ctx.tenant.user_by_email(default)
    return ctx.tenant.users[0] if ctx.tenant.users else None


def _check_user(ctx: Ctx, client: Client, user: User, usable: list[str], fail) -> None:  # type: ignore[no-untyped-def]
    if user.blocked:
        raise fail("access_denied", errors.USER_BLOCKED, f"user {user.email!r} is blocked")
    if user.connection not in usable:
        raise fail(
            "invalid_request",
            errors.NO_CONNECTIONS,
            f"user {user.email!r} belongs to connection {user.connection!r}, not enabled for client {client.client_id!r}",
        )


def _session(ctx: Ctx) -> Session | None:
    sid = ctx.request.cookies.get(SESSION_COOKIE)
    return ctx.state.sessions.get(sid) if sid else None


def _consented(ctx: Ctx, user: User, txn: AuthTxn) -> bool:
    return (user.user_id, txn.client_id, txn.api_identifier or "") in ctx.state.consents


def _after_login(ctx: Ctx, txn: AuthTxn, user: User) -> Response:
    if txn.needs_consent and (txn.force_consent or not _consented(ctx, user, txn)):
        return RedirectResponse(
            ctx.url("/u/consent") + "?" + urlencode({"state": txn.txn_id}), status_code=302
        )
    return _finish(ctx, txn, user, consented=False)  # consent not needed, or given before


def _finish(ctx: Ctx, txn: AuthTxn, user: User, *, consented: bool) -> Response:
    """Issue the code and send the browser back to the client."""
    client = ctx.find_client(txn.client_id)
    if client is None:
        raise errors.AuthorizeError(
            "invalid_request", errors.UNKNOWN_CLIENT.format(client_id=txn.client_id), reason="client vanished"
        )
    api = (
        next((a for a in ctx.tenant.apis if a.identifier == txn.api_identifier), None)
        if txn.api_identifier
        else None
    )
    grant = user_flow_policy(ctx, client, api)[1] if api else None
    scopes, _perms = user_scopes(ctx, client, user, api, txn.scopes, grant)
    now = ctx.now()
    with ctx.state.lock:
        ctx.state.transactions.pop(txn.txn_id, None)
        if consented:
            ctx.state.consents.add((user.user_id, txn.client_id, txn.api_identifier or ""))
        code = AuthCode(
            code=random_code(),
            client_id=txn.client_id,
            redirect_uri=txn.redirect_uri,
            user_id=user.user_id,
            scopes=scopes,
            api_identifier=txn.api_identifier,
            resource=txn.resource,
            code_challenge=txn.code_challenge,
            code_challenge_method=txn.code_challenge_method,
            nonce=txn.nonce,
            issuer=txn.issuer,
            auth_time=txn.auth_time or now,
            created_at=now,
        )
        ctx.state.codes[code.code] = code
    dropped = [s for s in txn.scopes if s not in scopes]
    if dropped:
        ctx.note(
            f"scopes not granted: {dropped} (RBAC, client grant, undefined on the API, offline access off, or no OIDC for strict third-party)"
        )
    params = {"code": code.code, "state": txn.state or None, "iss": _iss_param(ctx)}
    return redirect_with(txn.redirect_uri, params, txn.response_mode)  # type: ignore[arg-type]


def _txn(ctx: Ctx, txn_id: str | None) -> AuthTxn:
    txn = ctx.state.transactions.get(txn_id or "")
    if txn is None or ctx.now() - txn.created_at > 3600:
        raise errors.AuthorizeError(
            "invalid_request",
            errors.INVALID_PARAMETER.format(name="state"),
            reason="unknown or expired login transaction",
        )
    return txn


async def login_get(request: Request) -> Response:
    ctx = ctx_of(request)
    txn = _txn(ctx, request.query_params.get("state"))
    client = ctx.find_client(txn.client_id)
    return HTMLResponse(
        pages.login_page(
            action=ctx.url("/u/login"),
            txn=txn.txn_id,
            tenant_name=ctx.tenant.settings.friendly_name,
            client_name=client.name if client else txn.client_id,
            error=None,
            users=[u.email for u in ctx.tenant.users],
            login_hint=request.query_params.get("login_hint", ""),
        )
    )


async def login_post(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await read_params(ctx)
    txn = _txn(ctx, form.get("state"))
    client = ctx.find_client(txn.client_id)
    user = ctx.tenant.user_by_email(form.get("username", ""))
    ok = user is not None and secrets.compare_digest(
        user.password.encode(), form.get("password", "").encode()
    )
    if not ok or user is None or user.blocked:
        ctx.set_reason(
            "login failed: "
            + ("user is blocked" if user is not None and user.blocked and ok else "wrong email or password")
        )
        html = pages.login_page(
            action=ctx.url("/u/login"),
            txn=txn.txn_id,
            tenant_name=ctx.tenant.settings.friendly_name,
            client_name=client.name if client else txn.client_id,
            error=errors.USER_BLOCKED
            if (user is not None and user.blocked and ok)
            else errors.WRONG_EMAIL_OR_PASSWORD,
            users=[u.email for u in ctx.tenant.users],
            login_hint=form.get("username", ""),
        )
        return HTMLResponse(html, status_code=400)
    if client is not None and user.connection not in usable_connections(ctx, client):
        raise errors.AuthorizeError(
            "invalid_request",
            errors.NO_CONNECTIONS,
            reason=f"user {user.email!r} is in connection {user.connection!r}, not enabled for the client",
            redirect_uri=txn.redirect_uri if _redirects_errors(ctx, client) else None,
            state=txn.state,
            response_mode=txn.response_mode,
            iss=_iss_param(ctx),
        )
    now = ctx.now()
    sid = random_string(32)
    with ctx.state.lock:
        ctx.state.sessions[sid] = Session(sid=sid, user_id=user.user_id, auth_time=now)
    txn.user_id, txn.auth_time = user.user_id, now
    response = _after_login(ctx, txn, user)
    response.set_cookie(SESSION_COOKIE, sid, httponly=True, samesite="lax", path="/")
    return response


async def consent_get(request: Request) -> Response:
    ctx = ctx_of(request)
    txn = _txn(ctx, request.query_params.get("state"))
    user = ctx.tenant.user_by_id(txn.user_id or "")
    client = ctx.find_client(txn.client_id)
    if user is None:
        raise errors.AuthorizeError(
            "login_required", errors.LOGIN_REQUIRED, reason="consent without a logged-in user"
        )
    return HTMLResponse(
        pages.consent_page(
            action=ctx.url("/u/consent"),
            txn=txn.txn_id,
            client_name=client.name if client else txn.client_id,
            user_email=user.email,
            audience=txn.api_identifier,
            scopes=txn.scopes,
        )
    )


async def consent_post(request: Request) -> Response:
    ctx = ctx_of(request)
    form = await read_params(ctx)
    txn = _txn(ctx, form.get("state"))
    user = ctx.tenant.user_by_id(txn.user_id or "")
    client = ctx.find_client(txn.client_id)
    if user is None or client is None:
        raise errors.AuthorizeError(
            "login_required", errors.LOGIN_REQUIRED, reason="consent without a logged-in user"
        )
    if form.get("action") != "accept":
        with ctx.state.lock:
            ctx.state.transactions.pop(txn.txn_id, None)
        raise errors.AuthorizeError(
            "access_denied",
            errors.USER_DENIED,
            reason="the user declined the consent screen",
            redirect_uri=txn.redirect_uri if _redirects_errors(ctx, client) else None,
            state=txn.state,
            response_mode=txn.response_mode,
            iss=_iss_param(ctx),
        )
    return _finish(ctx, txn, user, consented=True)
