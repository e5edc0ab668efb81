"""Auth0 Actions as tenant data (DOC customize/actions): the triggers, the ``event``/``api`` surface, both forms.

An Action is bound to one trigger — ``post-login`` (after a login, a refresh-token exchange and a Custom Token
Exchange), ``credentials-exchange`` (before a client-credentials token is returned) or ``custom-token-exchange``
(named by a Custom Token Exchange profile's ``action_id``) — and runs in list order with the others of its
trigger. It is written in one of two forms:

* **declarative** — ``when`` (conditions on event paths) and ``api`` (the calls the Action makes, spelled as
  Auth0's ``api`` object spells them, with ``${event...}`` templates)::

      - name: add-roles
        trigger: post-login
        when: {event.client.name: demo-cli, event.user.app_metadata.tier: {one_of: [gold, silver]}}
        api:
          - accessToken.setCustomClaim: {key: "https://example.test/roles", value: "${event.authorization.roles}"}

* **JavaScript** — ``code`` (the source, as the Management API's ``code`` field) or ``code_file`` (a ``.js``
  file) exporting ``onExecutePostLogin`` / ``onExecuteCredentialsExchange`` / ``onExecuteCustomTokenExchange``;
  it runs in Node (``actions_node.py``) and needs Node.js on PATH, else the tenant is refused at load.

Both forms produce the same list of ``api`` calls, applied by ``triggers.py``. The surface below is the subset
of Auth0's documented ``event``/``api`` objects authstage emulates (DOC explore-triggers/*-event-object.mdx,
*-api-object.mdx); a member outside it fails loudly, in both forms.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = [
    "API_METHODS",
    "EVENT_SCHEMA",
    "HANDLERS",
    "MISSING",
    "NOT_EMULATED",
    "OPEN",
    "Action",
    "ActionSecret",
    "ActionsEmulator",
    "Call",
    "Trigger",
    "declarative_calls",
    "matches",
    "rebase_code_files",
    "render",
    "resolve",
]

Trigger = Literal["post-login", "credentials-exchange", "custom-token-exchange"]
TRIGGERS: tuple[Trigger, ...] = ("post-login", "credentials-exchange", "custom-token-exchange")
Call = tuple[str, list[Any]]  # ("accessToken.setCustomClaim", ["https://x/roles", ["admin"]])

# DOC: the function each trigger calls (`exports.onExecutePostLogin = async (event, api) => {...}`).
HANDLERS: dict[str, str] = {
    "post-login": "onExecutePostLogin",
    "credentials-exchange": "onExecuteCredentialsExchange",
    "custom-token-exchange": "onExecuteCustomTokenExchange",
}

# The api methods authstage emulates, with Auth0's parameter names (DOC post-login-api-object.mdx,
# credentials-exchange-api-object.mdx, custom-token-exchange-api-object.mdx). `cache.*` return values, so they
# exist in the JavaScript form only.
_METADATA = {"user.setAppMetadata": ("key", "value"), "user.setUserMetadata": ("key", "value")}
_CACHE = {"cache.get": ("key",), "cache.set": ("key", "value", "options"), "cache.delete": ("key",)}
API_METHODS: dict[str, dict[str, tuple[str, ...]]] = {
    "post-login": {
        "access.deny": ("reason",),
        "accessToken.setCustomClaim": ("key", "value"),
        "accessToken.addScope": ("scope",),
        "accessToken.removeScope": ("scope",),
        "idToken.setCustomClaim": ("key", "value"),
        **_METADATA,
        **_CACHE,
    },
    "credentials-exchange": {
        "access.deny": ("code", "reason"),
        "accessToken.setCustomClaim": ("key", "value"),
        **_CACHE,
    },
    "custom-token-exchange": {
        "access.deny": ("code", "reason"),
        "access.rejectInvalidSubjectToken": ("reason",),
        "authentication.setUserById": ("user_id",),
        "authentication.setActor": ("actor",),
        **_METADATA,
        **_CACHE,
    },
}
JS_ONLY = frozenset(_CACHE)
# Documented by Auth0 for the trigger but not emulated: calling one is an error that says so.
NOT_EMULATED: dict[str, tuple[str, ...]] = {
    "post-login": (
        "authentication.challengeWith", "authentication.challengeWithAny", "authentication.enrollWith",
        "authentication.enrollWithAny", "authentication.recordMethod", "authentication.setPrimaryUser",
        "multifactor.enable", "redirect.encodeToken", "redirect.sendUserTo", "redirect.validateToken",
        "samlResponse.setAttribute", "validation.error", "rules.wasExecuted", "prompt.render",
        "refreshToken.revoke", "session.revoke", "transaction.setMetadata",
    ),
    "credentials-exchange": (),
    "custom-token-exchange": (
        "authentication.setUserByConnection", "authentication.setOrganization", "transaction.setMetadata",
    ),
}  # fmt: skip

# The event objects (DOC *-event-object.mdx): a dict is an object whose members are checked, OPEN an object
# of arbitrary keys (metadata, secrets, bodies), None a value (string, number, list ...).
OPEN = "*"
_GEOIP = dict.fromkeys(
    ("cityName", "continentCode", "countryCode", "countryCode3", "countryName", "latitude", "longitude",
     "subdivisionCode", "subdivisionName", "timeZone")
)  # fmt: skip
_REQUEST: dict[str, Any] = {
    **dict.fromkeys(("asn", "hostname", "ip", "language", "method", "user_agent")),
    "body": OPEN,
    "geoip": _GEOIP,
    "query": OPEN,
}
_CLIENT: dict[str, Any] = {"client_id": None, "metadata": OPEN, "name": None}
_NAMED: dict[str, Any] = {"id": None, "display_name": None, "metadata": OPEN, "name": None}
_COMMON: dict[str, Any] = {
    "client": _CLIENT,
    "custom_domain": {"domain": None, "domain_metadata": OPEN},
    "organization": _NAMED,
    "request": _REQUEST,
    "resource_server": {"identifier": None},
    "secrets": OPEN,
    "tenant": {"id": None},
}
_USER: dict[str, Any] = {
    **dict.fromkeys(
        ("created_at", "email", "email_verified", "family_name", "given_name", "last_password_reset", "name",
         "nickname", "phone_number", "phone_verified", "picture", "updated_at", "user_id", "username",
         "enrolledFactors", "multifactor", "identities")
    ),
    "app_metadata": OPEN,
    "user_metadata": OPEN,
}  # fmt: skip
_LOGIN_TRANSACTION: dict[str, Any] = {
    **dict.fromkeys(
        ("id", "acr_values", "linking_id", "locale", "login_hint", "prompt", "protocol", "redirect_uri",
         "requested_authorization_details", "requested_scopes", "response_mode", "response_type", "state",
         "ui_locales", "correlation_id", "subject_token_type")
    ),
    "actor": OPEN,
    "metadata": OPEN,
}  # fmt: skip
EVENT_SCHEMA: dict[str, dict[str, Any]] = {
    "post-login": {
        **_COMMON,
        "client": {**_CLIENT, "refresh_token": OPEN},
        "authentication": {"methods": None, "riskAssessment": OPEN},
        "authorization": {"roles": None},
        "connection": {"id": None, "metadata": OPEN, "name": None, "strategy": None},
        "prompt": OPEN,
        "refresh_token": OPEN,
        "security_context": {"ja3": None, "ja4": None},
        "session": OPEN,
        "session_transfer_token": OPEN,
        "stats": {"logins_count": None},
        "transaction": _LOGIN_TRANSACTION,
        "user": _USER,
    },
    "credentials-exchange": {
        **_COMMON,
        "request": {k: v for k, v in _REQUEST.items() if k != "query"},
        "accessToken": {"customClaims": OPEN, "scope": None},
        "transaction": {"correlation_id": None, "requested_scopes": None},
    },
    "custom-token-exchange": {
        **_COMMON,
        "request": {k: v for k, v in _REQUEST.items() if k != "query"},
        "transaction": dict.fromkeys(
            ("requested_scopes", "requested_token_type", "subject_token", "subject_token_type", "actor_token",
             "actor_token_type")
        ),
    },
}  # fmt: skip

# DOC limitations.mdx: 30 secrets per Action, names up to 128 characters, values up to 4096.
MAX_SECRETS = 30
# DOC limitations.mdx: "Each flow may have a maximum of 20 active bound Actions."
MAX_BOUND_PER_TRIGGER = 20
_TEMPLATE = re.compile(r"\$\{\s*(event(?:\.[A-Za-z0-9_$#:-]+)*)\s*\}")
_OPERATORS = frozenset({"equals", "one_of", "not_one_of", "regex", "contains", "exists", "not"})


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid")


class _Missing:
    """A path the event does not have (JavaScript's ``undefined``)."""

    def __repr__(self) -> str:
        return "undefined"


MISSING: Any = _Missing()


class ActionSecret(_Model):
    """One secret of an Action, read as ``event.secrets.<name>`` (Management API shape ``{name, value}``)."""

    name: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9_]+$")
    value: str = Field(max_length=4096)


class ActionsEmulator(_Model):
    """``emulator.actions``: how authstage runs Actions where Auth0's behaviour is a runtime matter."""

    timeout_seconds: float = Field(
        default=20.0,
        gt=0,
        le=20.0,
        description="DOC limitations.mdx: 'Each execution of a flow must complete in 20 seconds or less or the "
        "processing will end in an error.' Lower it in tests.",
    )
    deny_status: Literal[400, 401, 403] = Field(
        default=403,
        description="Status of a post-login api.access.deny / failure answered at /oauth/token (refresh, token "
        "exchange, and here also the code exchange). INFERRED: Auth0 documents the body (access_denied + "
        "reason) for /authorize redirects only.",
    )
    node_path: str = Field(
        default="node", description="The Node.js binary JavaScript Actions run in (a name on PATH or a path)."
    )


class Action(_Model):
    """One Action (Management API ``actions`` + its trigger binding): declarative or JavaScript."""

    name: str = Field(min_length=1, max_length=100)
    trigger: Trigger = Field(description="supported_triggers[0].id of the Management API.")
    enabled: bool = Field(default=True, description="Bound to its trigger (false: kept but never run).")
    when: dict[str, Any] = Field(
        default_factory=dict,
        description="Declarative: event path -> matcher (a value, a list = one of, or {equals|one_of|not_one_of|"
        "regex|contains|exists|not: ...}); all must hold.",
    )
    api: list[dict[str, Any]] = Field(
        default_factory=list,
        description="Declarative: the api calls, e.g. {'accessToken.setCustomClaim': {key, value}}; ${event...} "
        "templates; a whole-string template keeps the value's JSON type.",
    )
    code: str | None = Field(default=None, max_length=102400, description="JavaScript source (DOC: 100 kB max).")
    code_file: str | None = Field(default=None, description="A .js file with the JavaScript source.")
    secrets: list[ActionSecret] = Field(default_factory=list, max_length=MAX_SECRETS)

    @property
    def javascript(self) -> bool:
        return self.code is not None or self.code_file is not None

    def source(self) -> str:
        """The JavaScript source (``code``, else the file's text)."""
        if self.code is not None:
            return self.code
        assert self.code_file is not None
        return Path(self.code_file).read_text(encoding="utf-8")

    @model_validator(mode="after")
    def _one_form(self) -> Action:
        if self.code is not None and self.code_file is not None:
            raise ValueError("give either code or code_file, not both")
        if self.javascript and (self.when or self.api):
            raise ValueError("a JavaScript Action (code/code_file) has no when/api: those are the declarative form")
        if self.code_file is not None:
            path = Path(self.code_file)
            if not path.is_file():
                raise ValueError(f"code_file {self.code_file!r}: no such file")
            if path.stat().st_size > 102400:
                raise ValueError(f"code_file {self.code_file!r}: larger than 100 kB (DOC limitations.mdx)")
        for key in self.when:
            _check_path(self.trigger, key, "when")
            _check_matcher(self.when[key], f"when.{key}")
        self.api = [_normalize_call(self.trigger, i, item) for i, item in enumerate(self.api)]
        return self


def rebase_code_files(doc: dict[str, Any], base: Path) -> None:
    """Relative ``code_file`` paths of a tenant document loaded from a file are relative to that file."""
    actions = doc.get("actions")
    for action in actions if isinstance(actions, list) else []:
        path = action.get("code_file") if isinstance(action, dict) else None
        if isinstance(path, str) and not Path(path).is_absolute():
            action["code_file"] = str(base / path)


# ---------------------------------------------------------------------------------------------------------
# Load-time checks of the declarative form
# ---------------------------------------------------------------------------------------------------------


def _check_path(trigger: str, path: str, where: str) -> None:
    """``event.a.b``: every member down to a value or an open object is one of the trigger's event."""
    parts = path.split(".")
    if parts[0] != "event" or len(parts) < 2:
        raise ValueError(f"{where}: {path!r} must be an event path like 'event.user.email'")
    node: Any = EVENT_SCHEMA[trigger]
    for depth, part in enumerate(parts[1:], start=1):
        if not isinstance(node, dict):
            return
        if part not in node:
            at = ".".join(parts[:depth])
            raise ValueError(
                f"{where}: {path!r}: {at} has no member {part!r} in the {trigger} event "
                f"(documented: {', '.join(sorted(node))})"
            )
        node = node[part]


def _check_matcher(matcher: Any, where: str) -> None:
    if not isinstance(matcher, dict):
        return
    if len(matcher) != 1 or next(iter(matcher)) not in _OPERATORS:
        raise ValueError(f"{where}: a matcher object has exactly one of {sorted(_OPERATORS)}, got {sorted(matcher)}")
    op, arg = next(iter(matcher.items()))
    if op in ("one_of", "not_one_of") and not isinstance(arg, list):
        raise ValueError(f"{where}.{op}: needs a list")
    if op == "exists" and not isinstance(arg, bool):
        raise ValueError(f"{where}.exists: needs true or false")
    if op == "regex":
        try:
            re.compile(str(arg))
        except re.error as exc:
            raise ValueError(f"{where}.regex: {exc}") from exc
    if op == "not":
        _check_matcher(arg, f"{where}.not")


def _normalize_call(trigger: str, index: int, item: Any) -> dict[str, Any]:
    """``{method: args}`` with args a mapping of Auth0's parameter names, a list, or the one argument."""
    where = f"api.{index}"
    if not isinstance(item, dict) or len(item) != 1:
        raise ValueError(f"{where}: each call is one mapping {{method: arguments}}, e.g. {{'access.deny': ...}}")
    method, args = next(iter(item.items()))
    methods = API_METHODS[trigger]
    if method in NOT_EMULATED[trigger]:
        raise ValueError(f"{where}: api.{method} is Auth0's but authstage does not emulate it")
    if method not in methods or method in JS_ONLY:
        offered = sorted(m for m in methods if m not in JS_ONLY)
        raise ValueError(f"{where}: {method!r} is not a method of the {trigger} api object (offered: {offered})")
    params = methods[method]
    if isinstance(args, dict):
        unknown = sorted(set(args) - set(params))
        if unknown:
            raise ValueError(f"{where}: api.{method}({', '.join(params)}) has no parameter {unknown}")
        args = [args.get(p, MISSING) for p in params]
        while args and args[-1] is MISSING:
            args.pop()
    elif not isinstance(args, list):
        args = [args]
    if len(args) < len(params) or len(args) > len(params):
        raise ValueError(f"{where}: api.{method} takes ({', '.join(params)}), got {len(args)} argument(s)")
    for template in _templates(args):
        _check_path(trigger, template, where)
    return {method: args}


def _templates(value: Any) -> list[str]:
    if isinstance(value, str):
        return _TEMPLATE.findall(value)
    if isinstance(value, list):
        return [t for v in value for t in _templates(v)]
    if isinstance(value, dict):
        return [t for v in value.values() for t in _templates(v)]
    return []


# ---------------------------------------------------------------------------------------------------------
# Running the declarative form
# ---------------------------------------------------------------------------------------------------------


def resolve(event: dict[str, Any], path: str) -> Any:
    """The value at ``event.a.b`` (list indexes allowed), or :data:`MISSING`."""
    value: Any = event
    for part in path.split(".")[1:]:
        if isinstance(value, dict) and part in value:
            value = value[part]
        elif isinstance(value, list) and part.isdigit() and int(part) < len(value):
            value = value[int(part)]
        else:
            return MISSING
    return value


def render(value: Any, event: dict[str, Any]) -> Any:
    """``${event...}`` templates: a whole-string template keeps the JSON type; inside text, JavaScript's
    template-literal rendering (``undefined``, arrays joined with commas)."""
    if isinstance(value, list):
        return [render(v, event) for v in value]
    if isinstance(value, dict):
        return {k: render(v, event) for k, v in value.items()}
    if not isinstance(value, str):
        return value
    whole = _TEMPLATE.fullmatch(value.strip())
    if whole:
        return resolve(event, whole.group(1))
    return _TEMPLATE.sub(lambda m: _js_string(resolve(event, m.group(1))), value)


def _js_string(value: Any) -> str:
    if value is MISSING:
        return "undefined"
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join("" if v is None else _js_string(v) for v in value)
    if isinstance(value, dict):
        return "[object Object]"
    return str(value)


def matches(matcher: Any, value: Any) -> bool:
    """One ``when`` matcher against an event value (see :class:`Action`)."""
    if isinstance(matcher, list):
        return any(matches(m, value) for m in matcher)
    if not isinstance(matcher, dict):
        return value is not MISSING and bool(value == matcher)
    op, arg = next(iter(matcher.items()))
    if op == "exists":
        return (value is not MISSING and value is not None) is bool(arg)
    if op == "not":
        return not matches(arg, value)
    if value is MISSING:
        return bool(op == "not_one_of")
    if op == "equals":
        return bool(value == arg)
    if op == "one_of":
        return bool(value in arg)
    if op == "not_one_of":
        return bool(value not in arg)
    if op == "regex":
        return isinstance(value, str) and re.search(str(arg), value) is not None
    # contains: list membership, or a substring
    if isinstance(value, list):
        return bool(arg in value)
    return isinstance(value, str) and isinstance(arg, str) and arg in value


def declarative_calls(action: Action, event: dict[str, Any]) -> list[Call] | None:
    """The calls a declarative Action makes for ``event``; None when its ``when`` does not hold."""
    for path, matcher in action.when.items():
        if not matches(matcher, resolve(event, path)):
            return None
    calls: list[Call] = []
    for item in action.api:
        method, args = next(iter(item.items()))
        calls.append((method, [render(a, event) for a in args]))
    return calls
