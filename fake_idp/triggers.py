"""Running the Actions of a trigger where Auth0 runs them, and what their ``api`` calls do (DOC customize/actions).

* ``post-login`` (:func:`post_login`) — in the login transaction before the code is issued (``login.finish``:
  a denial goes back to the callback), and before the tokens of a refresh-token exchange and of a Custom Token
  Exchange are minted;
* ``credentials-exchange`` (:func:`credentials_exchange`) — "executed before the access token is returned"
  for the client-credentials grant (DOC machine-to-machine-trigger.mdx);
* ``custom-token-exchange`` (:func:`custom_token_exchange`) — the one Action a CTE profile names.

The bound Actions run in list order; each sees the same event (DOC: metadata changes are aggregated and written
"at once before the flow is completed"). ``api.access.deny`` stops the flow after the denying Action ("no
further Actions will be executed"). Both forms (``actions.py``, ``actions_node.py``) yield ``api`` calls; this
module is the one place they take effect. Custom claims are filtered by Auth0's rules (``custom_claims.py``)
when the token is minted (:func:`with_custom_claims`).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from fake_idp import errors
from fake_idp.action_event import (
    Login,
    credentials_exchange_event,
    post_login_event,
    token_exchange_event,
    with_secrets,
)
from fake_idp.actions import MISSING, Action, Call, declarative_calls
from fake_idp.actions_node import run_action
from fake_idp.context import Ctx
from fake_idp.custom_claims import MAX_CUSTOM_CLAIMS_BYTES, filter_claims, is_auth0_api
from fake_idp.tenant import Api, Client, User

__all__ = [
    "Login",
    "Outcome",
    "credentials_exchange",
    "custom_token_exchange",
    "post_login",
    "remember_userinfo_claims",
    "userinfo_claims",
    "with_custom_claims",
]



@dataclass
class Outcome:
    """What the Actions of one transaction decided: the scopes and custom claims of the tokens to mint, and for
    Custom Token Exchange the user and actor."""

    scopes: list[str]
    access_claims: dict[str, Any] = field(default_factory=dict)
    id_claims: dict[str, Any] = field(default_factory=dict)
    user: User | None = None
    actor: dict[str, Any] | None = None


@dataclass
class _Flow:
    """One trigger's run in progress."""

    ctx: Ctx
    trigger: str
    outcome: Outcome
    action: Action | None = None
    denied: tuple[str, str, int] | None = None  # (error, description, status)
    metadata: dict[str, dict[str, Any]] = field(default_factory=lambda: {"app_metadata": {}, "user_metadata": {}})


# ---------------------------------------------------------------------------------------------------------
# The three triggers
# ---------------------------------------------------------------------------------------------------------


def post_login(ctx: Ctx, login: Login) -> Outcome:
    """The post-login Actions for ``login.user`` logging in to ``login.client``; raises the denial as Auth0
    answers it."""
    outcome = Outcome(scopes=list(login.scopes))
    bound = _bound(ctx, "post-login")
    if not bound:
        return outcome
    event = post_login_event(ctx, login)
    flow = _run(_Flow(ctx, "post-login", outcome), bound, event)
    _persist_metadata(ctx, login.user, flow)
    if login.protocol != "oauth2-refresh-token":
        ctx.state.actions.logins[login.user.user_id] = event["stats"]["logins_count"]
    _raise_if_denied(flow)
    return outcome


def credentials_exchange(
    ctx: Ctx, *, client: Client, api: Api, scopes: list[str], params: dict[str, str]
) -> Outcome:
    """The credentials-exchange Actions before a client-credentials token is returned."""
    outcome = Outcome(scopes=list(scopes))
    bound = _bound(ctx, "credentials-exchange")
    if bound:
        event = credentials_exchange_event(ctx, client=client, api=api, scopes=scopes, params=params)
        _raise_if_denied(_run(_Flow(ctx, "credentials-exchange", outcome), bound, event))
    return outcome


def custom_token_exchange(
    ctx: Ctx, action_id: str, *, client: Client, api: Api | None, params: dict[str, str]
) -> Outcome:
    """The Action a Custom Token Exchange profile names; it must set an existing user (DOC setUserById)."""
    action = next(a for a in ctx.tenant.actions if a.name == action_id)  # checked at load
    outcome = Outcome(scopes=[])
    event = token_exchange_event(ctx, client=client, api=api, params=params)
    flow = _run(_Flow(ctx, "custom-token-exchange", outcome), [action], event)
    if outcome.user is not None:
        _persist_metadata(ctx, outcome.user, flow)
    _raise_if_denied(flow)
    if outcome.user is None:
        raise errors.OAuthError(
            "invalid_request",
            errors.TOKEN_EXCHANGE_NO_USER,
            reason=f"custom-token-exchange Action {action.name!r} called neither api.authentication.setUserById "
            "nor setUserByConnection",
        )
    return outcome


# ---------------------------------------------------------------------------------------------------------
# Running Actions
# ---------------------------------------------------------------------------------------------------------


def _bound(ctx: Ctx, trigger: str) -> list[Action]:
    return [a for a in ctx.tenant.actions if a.trigger == trigger and a.enabled]


def _run(flow: _Flow, actions: list[Action], event: dict[str, Any]) -> _Flow:
    for action in actions:
        flow.action = action
        if flow.trigger == "credentials-exchange":
            event["accessToken"]["customClaims"] = copy.deepcopy(flow.outcome.access_claims)
        calls, error, message = _execute(flow.ctx, action, with_secrets(event, action))
        if error is not None:
            _fail(flow, f"{flow.trigger} Action {action.name!r} failed: {error}", message or error)
            return flow
        for method, args in calls:
            _CALLS[method](flow, *args)
        if flow.denied:
            return flow
    return flow


def _execute(ctx: Ctx, action: Action, event: dict[str, Any]) -> tuple[list[Call], str | None, str | None]:
    """(calls, error for the log, error for the body) of one Action, in its form."""
    if not action.javascript:
        calls = declarative_calls(action, event)
        if calls is None:
            ctx.note(f"{action.trigger} Action {action.name!r}: 'when' does not hold, no calls")
        return calls or [], None, None
    settings = ctx.tenant.emulator.actions
    cache = ctx.state.actions.cache.setdefault(action.trigger, {})
    now_ms = ctx.now() * 1000
    for key in [k for k, v in cache.items() if v["expires_at"] <= now_ms]:
        del cache[key]
    result = run_action(
        action, event, node_path=settings.node_path, timeout=settings.timeout_seconds, cache=dict(cache)
    )
    for line in result.logs:
        ctx.note(f"{action.trigger} Action {action.name!r} console: {line}")
    _write_cache(cache, result.cache_writes, now_ms)
    return result.calls, result.error, result.message


def _write_cache(cache: dict[str, dict[str, Any]], writes: list[dict[str, Any]], now_ms: float) -> None:
    """DOC api.cache.set: lifetime up to ttl/expires_at, default 24 hours (15 minutes for CTE, not modelled)."""
    for write in writes:
        key = str(write.get("key"))
        if write.get("op") == "delete":
            cache.pop(key, None)
            continue
        ends = [now_ms + 86_400_000]
        if isinstance(write.get("ttl"), int | float):
            ends.append(now_ms + write["ttl"])
        if isinstance(write.get("expires_at"), int | float):
            ends.append(write["expires_at"])
        cache[key] = {"value": str(write.get("value")), "expires_at": min(ends)}


def _fail(flow: _Flow, reason: str, message: str) -> None:
    """An Action that threw, timed out or could not run: the transaction fails (post-login: access_denied)."""
    if flow.trigger == "post-login":
        status = flow.ctx.tenant.emulator.actions.deny_status
        flow.denied = (errors.POST_LOGIN_DENIED, message, status)
    else:
        flow.denied = (errors.ACTION_FAILED, message, 500)
    flow.ctx.set_reason(reason)
    flow.ctx.note(reason)


def _raise_if_denied(flow: _Flow) -> None:
    if flow.denied is None:
        return
    error, description, status = flow.denied
    name = flow.action.name if flow.action else "?"
    reason = flow.ctx.request.reason or f"{flow.trigger} Action {name!r} denied the request: {description}"
    raise errors.OAuthError(error, description, status=status, reason=reason)


def _persist_metadata(ctx: Ctx, user: User, flow: _Flow) -> None:
    """DOC: "Actions will update the user profile in a single operation"; null removes a key."""
    changes = {k: v for k, v in flow.metadata.items() if v}
    if not changes:
        return
    stored = ctx.state.actions.metadata.setdefault(user.user_id, {})
    for kind, values in changes.items():
        base = {**getattr(user, kind), **stored.get(kind, {})}
        for key, value in values.items():
            if value is None:
                base.pop(key, None)
            else:
                base[key] = value
        stored[kind] = base
        ctx.note(f"{flow.trigger} Actions set {kind} {sorted(values)} of {user.user_id!r}")


# ---------------------------------------------------------------------------------------------------------
# What each api call does (the methods of actions.API_METHODS)
# ---------------------------------------------------------------------------------------------------------


def _claim(target: str) -> Callable[..., None]:
    def set_claim(flow: _Flow, key: Any, value: Any = MISSING) -> None:
        if value is MISSING:
            flow.ctx.note(f"api.{target}.setCustomClaim({key!r}, undefined): no claim (undefined is not JSON)")
            return
        claims = flow.outcome.access_claims if target == "accessToken" else flow.outcome.id_claims
        claims[str(key)] = value

    return set_claim


def _add_scope(flow: _Flow, scope: Any) -> None:
    if str(scope) not in flow.outcome.scopes:
        flow.outcome.scopes.append(str(scope))


def _remove_scope(flow: _Flow, scope: Any) -> None:
    flow.outcome.scopes = [s for s in flow.outcome.scopes if s != str(scope)]


def _deny(flow: _Flow, *args: Any) -> None:
    name = flow.action.name if flow.action else "?"
    if flow.trigger == "post-login":
        reason = str(args[0]) if args and args[0] is not MISSING else ""
        flow.denied = (errors.POST_LOGIN_DENIED, reason, flow.ctx.tenant.emulator.actions.deny_status)
    elif flow.trigger == "credentials-exchange":
        code = str(args[0])
        text = str(args[1]) if len(args) > 1 and args[1] is not MISSING else ""
        if code not in errors.CREDENTIALS_EXCHANGE_DENY_CODES:
            allowed = sorted(errors.CREDENTIALS_EXCHANGE_DENY_CODES)
            _fail(flow, f"Action {name!r}: api.access.deny code {code!r} is not one of {allowed}",
                  f"Invalid code {code!r} for api.access.deny")  # fmt: skip
            return
        flow.denied = (code, text, errors.CREDENTIALS_EXCHANGE_DENY_CODES[code])
    else:
        code, reason = str(args[0]), str(args[1]) if len(args) > 1 else ""
        flow.denied = (code, reason, errors.TOKEN_EXCHANGE_DENY_STATUS.get(code, 400))
    flow.ctx.set_reason(f"{flow.trigger} Action {name!r} called api.access.deny{tuple(str(a) for a in args)}")


def _reject_subject_token(flow: _Flow, reason: Any) -> None:
    flow.denied = ("invalid_request", str(reason), 400)
    name = flow.action.name if flow.action else "?"
    flow.ctx.set_reason(f"custom-token-exchange Action {name!r} rejected the subject token: {reason}")


def _set_user(flow: _Flow, user_id: Any) -> None:
    user = flow.ctx.tenant.user_by_id(str(user_id))
    if user is None or user.blocked:
        # DOC setUserById: "This method fails if the user does not exist or is blocked."
        why = "does not exist" if user is None else "is blocked"
        flow.denied = ("invalid_request", errors.TOKEN_EXCHANGE_UNKNOWN_USER.format(user_id=user_id), 400)
        flow.ctx.set_reason(f"api.authentication.setUserById({user_id!r}): the user {why}")
        return
    flow.outcome.user = user


def _set_actor(flow: _Flow, actor: Any) -> None:
    if not isinstance(actor, dict) or not isinstance(actor.get("sub"), str):
        _fail(flow, f"api.authentication.setActor({actor!r}): needs an object with a string sub",
              "setActor needs an object with a sub")  # fmt: skip
        return
    flow.outcome.actor = actor


def _metadata(kind: str) -> Callable[..., None]:
    def set_metadata(flow: _Flow, key: Any, value: Any = None) -> None:
        flow.metadata[kind][str(key)] = None if value is MISSING else value

    return set_metadata


_CALLS: dict[str, Callable[..., None]] = {
    "access.deny": _deny,
    "access.rejectInvalidSubjectToken": _reject_subject_token,
    "accessToken.setCustomClaim": _claim("accessToken"),
    "idToken.setCustomClaim": _claim("idToken"),
    "accessToken.addScope": _add_scope,
    "accessToken.removeScope": _remove_scope,
    "authentication.setUserById": _set_user,
    "authentication.setActor": _set_actor,
    "user.setAppMetadata": _metadata("app_metadata"),
    "user.setUserMetadata": _metadata("user_metadata"),
}


# ---------------------------------------------------------------------------------------------------------
# Into the token, and /userinfo
# ---------------------------------------------------------------------------------------------------------


def with_custom_claims(
    ctx: Ctx, claims: dict[str, Any], custom: dict[str, Any], *, token: str, scopes: list[str]
) -> dict[str, Any]:
    """``claims`` of a token being minted plus the custom claims Auth0 lets through (notes for the others)."""
    aud = claims.get("aud")
    auds = aud if isinstance(aud, list) else [aud]
    auth0_api = token == "access" and any(isinstance(a, str) and is_auth0_api(a, ctx.issuer) for a in auds)
    filtered = filter_claims(custom, token=token, scopes=scopes, minted=claims, auth0_api=auth0_api)
    for key, why in filtered.ignored:
        ctx.note(f"custom claim {key!r} not added to the {token} token: {why}")
    if filtered.size > MAX_CUSTOM_CLAIMS_BYTES:
        what = "access token" if token == "access" else "ID token"
        raise errors.OAuthError(
            errors.ACTION_FAILED,
            errors.CUSTOM_CLAIMS_TOO_LARGE.format(token=what),
            status=500,
            reason=f"custom claims of the {what} are {filtered.size} bytes (limit {MAX_CUSTOM_CLAIMS_BYTES})",
        )
    return {**claims, **filtered.kept}


def remember_userinfo_claims(
    ctx: Ctx, access_token: str, outcome: Outcome, scopes: list[str], expires_at: float | None = None
) -> None:
    """DOC custom-claims-migration.mdx: the custom claims "will also be added to the response of the /userinfo
    endpoint" (INFERRED: those set on the ID token)."""
    if not outcome.id_claims:
        return
    kept = filter_claims(outcome.id_claims, token="id", scopes=scopes, minted={}).kept
    memory = ctx.state.actions.userinfo_claims
    ctx.remember(memory, access_token, (expires_at, kept), ctx.tenant.emulator.state.opaque_tokens)


def userinfo_claims(ctx: Ctx, access_token: str) -> dict[str, Any]:
    remembered = ctx.state.actions.userinfo_claims.get(access_token)
    return dict(remembered[1]) if remembered else {}
