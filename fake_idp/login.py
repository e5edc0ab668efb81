"""Auth0 Universal Login (sheet §1.5): the login transaction between ``/authorize`` and the redirect back.

``GET|POST /u/login`` (the login form), the SSO session cookie, ``GET|POST /u/consent`` (the consent screen),
and the authorization code the transaction ends with (RFC 6749 §4.1.2), delivered by ``response_mode.py``.
"""

from __future__ import annotations

import secrets
from urllib.parse import urlencode, urlsplit

from authstage_kit.ids import random_string
from fake_idp import errors, pages
from fake_idp.audience import user_flow_policy, user_scopes
from fake_idp.context import Ctx
from fake_idp.response_mode import iss_param, redirect_with, send_back
from fake_idp.state import AuthCode, AuthTxn, Session
from fake_idp.tenant import Client, User
from fake_idp.tokens import random_code
from fake_idp.triggers import Login, Outcome, post_login
from fake_idp.wire import Cookie, Outgoing, html_response, read_params, redirect

__all__ = [
    "DEVICE_COOKIE",
    "SESSION_COOKIE",
    "TXN_LIFETIME",
    "after_login",
    "auto_approval",
    "bind_device",
    "check_form",
    "consent_get",
    "consent_post",
    "consented",
    "device_of",
    "finish",
    "login_get",
    "login_post",
    "session_of",
    "usable_connections",
]

SESSION_COOKIE = "auth0"
# Auth0's Universal Login sets a device-id cookie `did` (OBSERVED in browser sessions); here it binds each login
# transaction to the browser that started it: the login and consent forms are refused from any other (CSRF).
DEVICE_COOKIE = "did"
TXN_LIFETIME = 3600  # seconds a login transaction stays usable (MOCK: Auth0's is not documented)


def auto_approval(ctx: Ctx, login_hint: str | None) -> str | None:
    """Why this /authorize is approved without a page, or None: the tenant says always
    (``headless_auto_approve``), or the request asks (``login_hint`` under ``auto_approve_login_hint``, a
    User-Agent of ``auto_approve_user_agents``). A desktop browser asks for neither and sees the pages."""
    settings = ctx.tenant.settings
    if settings.headless_auto_approve:
        return "settings.headless_auto_approve"
    if login_hint and settings.auto_approve_login_hint:
        return "login_hint (settings.auto_approve_login_hint)"
    agent = ctx.request.header("user-agent")
    for prefix in settings.auto_approve_user_agents:
        if prefix and agent.startswith(prefix):
            return f"User-Agent {prefix!r} (settings.auto_approve_user_agents)"
    return None


def device_of(ctx: Ctx) -> str:
    """This browser's device id: its `did` cookie, or a new one (set by :func:`bind_device`)."""
    return ctx.request.cookies.get(DEVICE_COOKIE) or random_string(32)


def bind_device(ctx: Ctx, response: Outgoing, txn: AuthTxn) -> Outgoing:
    """Give a browser that has no `did` cookie the one its login transaction `txn` was bound to."""
    if ctx.request.cookies.get(DEVICE_COOKIE) != txn.device:
        response.cookies.append(Cookie(DEVICE_COOKIE, txn.device, httponly=True))
    return response


def check_form(ctx: Ctx, txn: AuthTxn) -> None:
    """CSRF guard of the login and consent forms: posted by the browser that started the transaction (its `did`
    cookie, SameSite=Lax so a cross-site POST never carries it) and not from another site's page (`Origin`)."""
    origin = ctx.request.header("origin")
    if origin and origin != "null" and origin.rstrip("/") != ctx.url("").rstrip("/"):
        raise errors.AuthorizeError(
            "invalid_request", errors.LOGIN_FORM_FORGED,
            reason=f"login form posted from another site (Origin {origin[:80]!r}): CSRF guard",
        )  # fmt: skip
    device = ctx.request.cookies.get(DEVICE_COOKIE, "")
    if not txn.device or not secrets.compare_digest(device.encode(), txn.device.encode()):
        raise errors.AuthorizeError(
            "invalid_request", errors.LOGIN_FORM_FORGED,
            reason="login form posted by a browser that did not start this login (no matching `did` cookie): "
            "CSRF guard",
        )  # fmt: skip


def usable_connections(ctx: Ctx, client: Client) -> list[str]:
    """Connections ``client`` can log users in with (strict third-party: domain-level ones only, F-7)."""
    strict = ctx.security_mode(client) == "strict"
    names = []
    for conn in ctx.tenant.connections:
        if conn.is_domain_connection or (not strict and client.client_id in conn.enabled_clients):
            names.append(conn.name)
    return names


def session_of(ctx: Ctx) -> Session | None:
    """The live login session the request's cookie names; using it restarts its idle lifetime. A session past
    `settings.session_lifetime` or `idle_session_lifetime` is over (DOC session lifecycle: log in again)."""
    sid = ctx.request.cookies.get(SESSION_COOKIE)
    session = ctx.state.sessions.get(sid) if sid else None
    if session is None:
        return None
    now = ctx.now()
    if now >= session.deadline():
        ctx.note("the login session expired (settings.session_lifetime / idle_session_lifetime): log in again")
        return None
    session.idle_expires_at = now + ctx.tenant.settings.idle_session_lifetime * 3600
    return session


def consented(ctx: Ctx, user: User, txn: AuthTxn) -> bool:
    return (user.user_id, txn.client_id, txn.api_identifier or "") in ctx.state.consents


def after_login(ctx: Ctx, txn: AuthTxn, user: User) -> Outgoing:
    """The consent screen if it is needed (and not given before, or forced), else the code."""
    if txn.needs_consent and (txn.force_consent or not consented(ctx, user, txn)):
        return redirect(ctx.url("/u/consent") + "?" + urlencode({"state": txn.txn_id}))
    return finish(ctx, txn, user, consented=False)


def finish(ctx: Ctx, txn: AuthTxn, user: User, *, consented: bool) -> Outgoing:
    """Issue the code and send the browser back to the client."""
    client = ctx.find_client(txn.client_id)
    if client is None:
        raise errors.AuthorizeError(
            "invalid_request", errors.UNKNOWN_CLIENT.format(client_id=txn.client_id), reason="client vanished"
        )
    api = ctx.tenant.api_by_identifier(txn.api_identifier)
    grant = user_flow_policy(ctx, client, api)[1] if api else None
    scopes, _perms = user_scopes(ctx, client, user, api, txn.scopes, grant)
    actions = _post_login(ctx, txn, client, user, scopes)
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
            expires_at=now + ctx.tenant.emulator.authorization_code_lifetime,
            actions=actions,
        )
        ctx.remember(ctx.state.codes, code.code, code, ctx.tenant.emulator.state.authorization_codes)
    dropped = [s for s in txn.scopes if s not in scopes]
    if dropped:
        ctx.note(
            f"scopes not granted: {dropped} (RBAC, client grant, undefined on the API, offline access off, or no OIDC for strict third-party)"
        )
    params = {"code": code.code, "state": txn.state or None, "iss": iss_param(ctx)}
    return redirect_with(txn.redirect_uri, params, txn.response_mode)


def _post_login(ctx: Ctx, txn: AuthTxn, client: Client, user: User, scopes: list[str]) -> Outcome:
    """Auth0 runs the post-login Actions in the login transaction, before the code is issued (DOC
    actions/triggers/post-login): `api.access.deny` sends the browser back to the callback with
    `error=access_denied`; the claims and scopes they set wait with the code for the exchange."""
    api = ctx.tenant.api_by_identifier(txn.api_identifier)
    query = {
        "client_id": txn.client_id, "redirect_uri": txn.redirect_uri, "response_type": "code",
        "scope": " ".join(txn.scopes), "audience": txn.api_identifier, "resource": txn.resource, "state": txn.state,
    }  # fmt: skip
    transaction = {"redirect_uri": txn.redirect_uri, "response_type": ["code"], "state": txn.state}
    login = Login(client, user, api, scopes, "oidc-basic-profile", {k: v for k, v in query.items() if v}, transaction)
    try:
        return post_login(ctx, login)
    except errors.OAuthError as exc:
        denied = errors.AuthorizeError(exc.error, exc.description or "", reason=exc.reason)
        raise send_back(
            denied, ctx, client, redirect_uri=txn.redirect_uri, state=txn.state, response_mode=txn.response_mode
        ) from exc


def _txn(ctx: Ctx, txn_id: str | None) -> AuthTxn:
    txn = ctx.state.transactions.get(txn_id or "")
    if txn is None or ctx.now() - txn.created_at > TXN_LIFETIME:
        raise errors.AuthorizeError(
            "invalid_request",
            errors.INVALID_PARAMETER.format(name="state"),
            reason="unknown or expired login transaction",
        )
    return txn


def _shown_name(client: Client | None, client_id: str) -> str:
    """The client as the login and consent pages name it; a client ID metadata document's with the host of its URL
    (draft-ietf-oauth-client-id-metadata-document-00 §6.4: "SHOULD display the hostname of the client_id")."""
    if client is None:
        return client_id
    host = urlsplit(client_id).hostname if client_id.lower().startswith("https://") else None
    return f"{client.name} ({host})" if host else client.name


def _login_page(ctx: Ctx, txn: AuthTxn, *, error: str | None, login_hint: str) -> str:
    client = ctx.find_client(txn.client_id)
    return pages.login_page(
        action=ctx.url("/u/login"),
        txn=txn.txn_id,
        tenant_name=ctx.tenant.settings.friendly_name,
        client_name=_shown_name(client, txn.client_id),
        error=error,
        users=[u.email for u in ctx.tenant.users],
        login_hint=login_hint,
    )


async def login_get(ctx: Ctx) -> Outgoing:
    txn = _txn(ctx, ctx.request.query_param("state"))
    return html_response(
        _login_page(ctx, txn, error=None, login_hint=ctx.request.query_param("login_hint") or "")
    )


def _password_ok(user: User | None, password: str) -> bool:
    return user is not None and secrets.compare_digest(user.password.encode(), password.encode())


async def login_post(ctx: Ctx) -> Outgoing:
    form = read_params(ctx.request)
    txn = _txn(ctx, form.get("state"))
    check_form(ctx, txn)
    client = ctx.find_client(txn.client_id)
    user = ctx.tenant.user_by_email(form.get("username", ""))
    ok = _password_ok(user, form.get("password", ""))
    if not ok or user is None or user.blocked:
        blocked = user is not None and user.blocked and ok
        ctx.set_reason("login failed: " + ("user is blocked" if blocked else "wrong email or password"))
        error = errors.USER_BLOCKED if blocked else errors.WRONG_EMAIL_OR_PASSWORD
        html = _login_page(ctx, txn, error=error, login_hint=form.get("username", ""))
        return html_response(html, 400)
    if client is not None and user.connection not in usable_connections(ctx, client):
        raise send_back(
            errors.AuthorizeError(
                "invalid_request",
                errors.NO_CONNECTIONS,
                reason=f"user {user.email!r} is in connection {user.connection!r}, not enabled for the client",
            ),
            ctx,
            client,
            redirect_uri=txn.redirect_uri,
            state=txn.state,
            response_mode=txn.response_mode,
        )
    now = ctx.now()
    sid = random_string(32)
    settings = ctx.tenant.settings
    session = Session(sid=sid, user_id=user.user_id, auth_time=now, expires_at=now + settings.session_lifetime * 3600,
                      idle_expires_at=now + settings.idle_session_lifetime * 3600)
    with ctx.state.lock:
        ctx.remember(ctx.state.sessions, sid, session, ctx.tenant.emulator.state.sessions)
    txn.user_id, txn.auth_time = user.user_id, now
    response = after_login(ctx, txn, user)
    response.cookies.append(Cookie(SESSION_COOKIE, sid, httponly=True))
    return response


async def consent_get(ctx: Ctx) -> Outgoing:
    txn = _txn(ctx, ctx.request.query_param("state"))
    user = ctx.tenant.user_by_id(txn.user_id or "")
    client = ctx.find_client(txn.client_id)
    if user is None:
        raise errors.AuthorizeError(
            "login_required", errors.LOGIN_REQUIRED, reason="consent without a logged-in user"
        )
    return html_response(
        pages.consent_page(
            action=ctx.url("/u/consent"),
            txn=txn.txn_id,
            client_name=_shown_name(client, txn.client_id),
            user_email=user.email,
            audience=txn.api_identifier,
            scopes=txn.scopes,
        )
    )


async def consent_post(ctx: Ctx) -> Outgoing:
    form = read_params(ctx.request)
    txn = _txn(ctx, form.get("state"))
    check_form(ctx, txn)
    user = ctx.tenant.user_by_id(txn.user_id or "")
    client = ctx.find_client(txn.client_id)
    if user is None or client is None:
        raise errors.AuthorizeError(
            "login_required", errors.LOGIN_REQUIRED, reason="consent without a logged-in user"
        )
    if form.get("action") != "accept":
        with ctx.state.lock:
            ctx.state.transactions.pop(txn.txn_id, None)
        raise send_back(
            errors.AuthorizeError(
                "access_denied", errors.USER_DENIED, reason="the user declined the consent screen"
            ),
            ctx,
            client,
            redirect_uri=txn.redirect_uri,
            state=txn.state,
            response_mode=txn.response_mode,
        )
    return finish(ctx, txn, user, consented=True)
