"""The control plane's resources, per region of one account (moto's backend dicts): gateways and their targets,
credential providers, workload identities, policy engines and policies, tags, client tokens.

Ids and ARNs follow the service model's patterns and the shapes users observe:

* gatewayId `<name lower-cased>-<10 lower-case alphanumerics>`, ARN `arn:aws:bedrock-agentcore:<region>:<account>:
  gateway/<gatewayId>` (DOC gateway-create-api; sheet §1: `mygateway-abcdefghij`);
* targetId 10 upper-case alphanumerics (model `TargetId` `[0-9a-zA-Z]{10}`);
* credential providers `arn:aws:bedrock-agentcore:<region>:<account>:token-vault/default/oauth2credentialprovider/
  <name>` (OBSERVED in users' configs; the model's pattern says `acps`: knob `controlApi.credentialProviderArnService`);
* workload identities `...:workload-identity-directory/default/workload-identity/<name>` (OBSERVED, IAM policies);
* policy engines `<name>-<10 [a-z0-9_]>`, `...:policy-engine/<id>`, policies `.../policy/<id>` (model patterns).

Statuses: a create or update answers CREATING / UPDATING and reads READY (ACTIVE for policy resources) once
`controlApi.transitionSeconds` have passed on the service clock (default 0: the next read).
"""

from __future__ import annotations

import base64
import string
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, TypeVar

from authstage_kit import ids

__all__ = [
    "Account",
    "EngineRecord",
    "IdentityRecord",
    "PolicyRecord",
    "ProviderRecord",
    "Transition",
    "page",
    "suffix",
]

LOWER = string.ascii_lowercase + string.digits
UPPER = string.ascii_uppercase + string.digits
T = TypeVar("T")


def suffix(n: int = 10, alphabet: str = LOWER) -> str:
    """Random (or seeded) id characters."""
    return ids.random_string(n, alphabet)


@dataclass
class Transition:
    """A resource's lifecycle: `busy` (CREATING/UPDATING) until `until`, then `done` (READY/ACTIVE)."""

    created_at: float
    updated_at: float
    busy: str | None = None
    until: float = 0.0
    done: str = "READY"

    def start(self, busy: str, now: float, seconds: float) -> None:
        self.busy, self.until, self.updated_at = busy, now + seconds, now

    def status(self, now: float) -> str:
        if self.busy is not None and now >= self.until:
            self.busy = None
        return self.busy or self.done


@dataclass
class ProviderRecord:
    """An OAuth2 or API-key credential provider: the create request as sent (secrets included) and its ARN."""

    kind: str  # oauth2 | apikey
    name: str
    arn: str
    request: dict[str, Any]
    life: Transition
    secret_arn: str
    callback_url: str = ""

    def document(self) -> dict[str, Any]:
        """The credentialProviders entry of a gateway document (the create input: what the loader reads). The ARN
        goes with it only in the model's `acps` form; the OBSERVED `bedrock-agentcore` form fails the model's
        pattern, and a target's providerArn finds the provider by its name anyway (rules.provider_matches)."""
        doc = {k: v for k, v in self.request.items() if k != "tags"}
        return {**doc, "name": self.name, **({"credentialProviderArn": self.arn} if ":acps:" in self.arn else {})}


@dataclass
class IdentityRecord:
    name: str
    arn: str
    return_urls: list[str]
    life: Transition


@dataclass
class PolicyRecord:
    policy_id: str
    name: str
    arn: str
    request: dict[str, Any]
    life: Transition


@dataclass
class EngineRecord:
    engine_id: str
    name: str
    arn: str
    request: dict[str, Any]
    life: Transition
    policies: dict[str, PolicyRecord] = field(default_factory=dict)

    def document(self) -> dict[str, Any]:
        """The policyEngines entry of a gateway document, with its policies."""
        policies = [
            {**{k: v for k, v in p.request.items() if k not in ("clientToken", "validationMode")},
             "policyId": p.policy_id, "name": p.name}
            for p in self.policies.values()
        ]
        head = {k: v for k, v in self.request.items() if k in ("description",)}
        return {"name": self.name, **head, "policyEngineId": self.engine_id, "policyEngineArn": self.arn,
                "policies": policies}


@dataclass
class Account:
    """One region of the account: everything the control plane created there."""

    region: str
    account: str
    gateways: dict[str, Any] = field(default_factory=dict)  # gatewayId -> CreatedGateway
    oauth2: dict[str, ProviderRecord] = field(default_factory=dict)
    apikeys: dict[str, ProviderRecord] = field(default_factory=dict)
    identities: dict[str, IdentityRecord] = field(default_factory=dict)
    engines: dict[str, EngineRecord] = field(default_factory=dict)
    tags: dict[str, dict[str, str]] = field(default_factory=dict)

    def arn(self, resource: str, service: str = "bedrock-agentcore") -> str:
        return f"arn:aws:{service}:{self.region}:{self.account}:{resource}"

    def providers(self) -> list[ProviderRecord]:
        return [*self.oauth2.values(), *self.apikeys.values()]


def page(items: Sequence[T], params: dict[str, Any], default: int = 100) -> tuple[list[T], str | None]:
    """One page of `items` and the next token (an opaque offset), as the list operations answer."""
    token = params.get("nextToken")
    start = 0
    if token:
        try:
            start = int(base64.urlsafe_b64decode(token.encode()).decode())
        except ValueError:
            start = len(items)
    size = int(params.get("maxResults") or default)
    chunk = list(items[start:start + size])
    more = start + size < len(items)
    return chunk, base64.urlsafe_b64encode(str(start + size).encode()).decode() if more else None


def summaries(items: Sequence[T], params: dict[str, Any], render: Callable[[T], dict[str, Any]],
              default: int = 100) -> tuple[list[dict[str, Any]], str | None]:
    chunk, token = page(items, params, default)
    return [render(item) for item in chunk], token
