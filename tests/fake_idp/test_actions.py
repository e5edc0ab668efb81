"""The declarative Action form (fake_idp/actions.py): load-time checks, templates and matchers."""

from __future__ import annotations

from typing import Any

import pytest

from fake_idp.actions import MISSING, Action, declarative_calls, matches, render
from fake_idp.tenant import Tenant, TenantConfigError

EVENT: dict[str, Any] = {
    "client": {"name": "demo-cli", "metadata": {}},
    "user": {"email": "alice@example.test", "app_metadata": {"roles": ["admin", "viewer"], "tier": "gold"}},
    "authorization": {"roles": ["admin"]},
}


def load(**action: Any) -> Tenant:
    return Tenant.load({"actions": [{"name": "a", "trigger": "post-login", **action}]})


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ({"api": [{"accessToken.setCustomClaims": ["k", 1]}]}, "is not a method of the post-login api object"),
        ({"api": [{"idToken.setCustomClaim": ["k", 1]}], "trigger": "credentials-exchange"},
         "is not a method of the credentials-exchange api object"),
        ({"api": [{"multifactor.enable": "any"}]}, "authstage does not emulate it"),
        ({"api": [{"cache.get": "k"}]}, "is not a method"),  # returns a value: JavaScript only
        ({"api": [{"access.deny": {"why": "x"}}]}, "has no parameter ['why']"),
        ({"api": [{"accessToken.setCustomClaim": ["only-a-key"]}]}, "takes (key, value), got 1"),
        ({"api": [{"access.deny": "${event.usr.email}"}]}, "event has no member 'usr'"),
        ({"when": {"event.user.roles": "admin"}}, "event.user has no member 'roles'"),
        ({"when": {"event.user.email": {"startswith": "a"}}}, "a matcher object has exactly one of"),
        ({"when": {"user.email": "a"}}, "must be an event path"),
        ({"code": "x", "api": [{"access.deny": "no"}]}, "has no when/api"),
        ({"code_file": "/nonexistent/action.js"}, "no such file"),
    ],
)  # fmt: skip
def test_mistakes_are_refused_at_load_with_the_key(action: dict[str, Any], message: str) -> None:
    with pytest.raises(TenantConfigError) as exc:
        load(**action)
    assert message in str(exc.value) and "actions.0" in str(exc.value)


def test_tenant_level_checks() -> None:
    deny = {"name": "a", "trigger": "credentials-exchange", "api": [{"access.deny": ["invalid_request", "x"]}]}
    with pytest.raises(TenantConfigError, match="duplicate name 'a'"):
        Tenant.load({"actions": [deny, deny]})
    many = [{**deny, "name": f"a{i}"} for i in range(21)]
    with pytest.raises(TenantConfigError, match="21 bound credentials-exchange Actions"):
        Tenant.load({"actions": many})
    Tenant.load({"actions": [*many[:20], {**many[20], "enabled": False}]})
    profile = {"name": "cte", "subject_token_type": "urn:example:legacy", "action_id": "missing"}
    with pytest.raises(TenantConfigError, match="no custom-token-exchange Action named 'missing'"):
        Tenant.load({"token_exchange_profiles": [profile]})


def test_templates_keep_json_types_or_render_like_javascript() -> None:
    assert render("${event.user.app_metadata.roles}", EVENT) == ["admin", "viewer"]
    assert render("roles: ${event.user.app_metadata.roles}", EVENT) == "roles: admin,viewer"
    assert render("${event.user.app_metadata.missing}", EVENT) is MISSING
    assert render("x-${event.user.app_metadata.missing}", EVENT) == "x-undefined"
    assert render({"a": ["${event.authorization.roles.0}"]}, EVENT) == {"a": ["admin"]}


@pytest.mark.parametrize(
    ("matcher", "value", "expected"),
    [
        ("demo-cli", "demo-cli", True), ("demo-cli", "other", False), (["a", "b"], "b", True),
        ({"one_of": ["gold", "silver"]}, "gold", True), ({"not_one_of": ["gold"]}, "gold", False),
        ({"not_one_of": ["gold"]}, MISSING, True), ({"regex": "@example\\.test$"}, "a@example.test", True),
        ({"contains": "admin"}, ["admin", "x"], True), ({"contains": "adm"}, "sysadmin", True),
        ({"exists": False}, MISSING, True), ({"exists": True}, None, False), ({"not": "x"}, "y", True),
        ({"equals": ["a"]}, ["a"], True), ("x", MISSING, False),
    ],
)  # fmt: skip
def test_matchers(matcher: Any, value: Any, expected: bool) -> None:
    assert matches(matcher, value) is expected


def test_declarative_calls_only_when_every_condition_holds() -> None:
    action = Action.model_validate({
        "name": "a", "trigger": "post-login",
        "when": {"event.client.name": "demo-cli", "event.user.app_metadata.tier": {"one_of": ["gold"]}},
        "api": [{"accessToken.setCustomClaim": {"key": "https://x.test/r", "value": "${event.authorization.roles}"}}],
    })  # fmt: skip
    assert declarative_calls(action, EVENT) == [("accessToken.setCustomClaim", ["https://x.test/r", ["admin"]])]
    other = {**EVENT, "client": {"name": "demo-m2m"}}
    assert declarative_calls(action, other) is None
