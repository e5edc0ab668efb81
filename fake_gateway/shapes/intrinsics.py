"""CloudFormation intrinsic functions, resolved offline (or named when they cannot be).

The AWS CloudFormation User Guide's "Intrinsic function reference" and "Pseudo parameters reference" define
them: `Ref`, `Fn::GetAtt`, `Fn::Sub`, `Fn::Join`, `Fn::Select`, `Fn::Split`, `Fn::If` with `Conditions`
(`Fn::Equals`, `Fn::Not`, `Fn::And`, `Fn::Or`, `Condition`), `Fn::FindInMap`, `Fn::ImportValue`, `Fn::Base64`,
`Fn::GetAZs`, `Fn::ToJsonString`, `Fn::Length`, and `AWS::NoValue`. A parameter takes the value given
(`--param Name=Value`) or its `Default`; a resource's `Ref`/`GetAtt` gets the physical id AWS would have made
(a stable stand-in: the gateway id from its name, a Lambda ARN from its FunctionName, a Cognito pool id, ...).
What cannot be known offline (a parameter without Default, `Fn::ImportValue` of another stack) becomes an issue
that names it and says how to give it. `${x.y}` with a lowercase namespace that is not a resource is left as
written: it is an authstage stack variable (`${idp.discovery_url}`), rendered later.
"""

from __future__ import annotations

import base64
import json
import re
from collections.abc import Callable, Mapping
from typing import Any

from fake_gateway.arns import gateway_arn, gateway_id, gateway_url, hash10, lambda_arn, stand_in, target_id
from fake_gateway.errors import Issue
from fake_gateway.notices import Notice

__all__ = ["NO_VALUE", "Resolver"]

NO_VALUE: Any = object()  # AWS::NoValue: the member is removed
_SUB = re.compile(r"\$\{([^}]+)\}")
_MAX_DEPTH = 40


class _Unresolved(Exception):
    def __init__(self, what: str, hint: str) -> None:
        super().__init__(what)
        self.what, self.hint = what, hint


class Resolver:
    """Resolves one template's intrinsics; `notices` says what was resolved how, `issues` what could not be."""

    def __init__(self, template: Mapping[str, Any], *, parameters: Mapping[str, str] | None = None,
                 region: str = "us-east-1", account: str = "123456789012", stack: str = "authstage") -> None:
        given = dict(parameters or {})
        self.region = given.pop("AWS::Region", region)
        self.account = given.pop("AWS::AccountId", account)
        self.stack = given.pop("AWS::StackName", stack)
        self.given = given
        self.resources = _mapping(template.get("Resources"))
        self.parameters = _mapping(template.get("Parameters"))
        self.mappings = _mapping(template.get("Mappings"))
        self.conditions = _mapping(template.get("Conditions"))
        self.notices: list[Notice] = []
        self.issues: list[Issue] = []
        self._said: set[str] = set()
        self._depth = 0

    # --- the walk

    def resolve(self, value: Any, path: str) -> Any:
        """`value` with every intrinsic replaced; `NO_VALUE` members dropped."""
        if isinstance(value, dict):
            if len(value) == 1:
                (key, arg), = value.items()
                if key == "Ref" or key.startswith("Fn::") or key == "Condition":
                    return self._call(key, arg, path)
            out = {k: self.resolve(v, f"{path}.{k}") for k, v in value.items()}
            return {k: v for k, v in out.items() if v is not NO_VALUE}
        if isinstance(value, list):
            items = [self.resolve(v, f"{path}[{i}]") for i, v in enumerate(value)]
            return [v for v in items if v is not NO_VALUE]
        return value

    def _call(self, key: str, arg: Any, path: str) -> Any:
        self._depth += 1
        try:
            if self._depth > _MAX_DEPTH:
                raise _Unresolved(key, "the intrinsics nest too deep (a cycle?)")
            handler = _FUNCTIONS.get(key)
            if handler is None:
                raise _Unresolved(key, f"{key} is not resolved offline")
            return handler(self, arg, path)
        except _Unresolved as exc:
            self.issues.append(Issue(path, f"{exc.what} cannot be resolved offline: {exc.hint}"))
            return f"<unresolved {exc.what}>"
        finally:
            self._depth -= 1

    def _say(self, what: str, value: Any, why: str) -> None:
        if what not in self._said:
            self._said.add(what)
            self.notices.append(Notice("resolved", "", f"{what} -> {value!r} ({why})"))

    # --- Ref and GetAtt

    def ref(self, name: Any, path: str) -> Any:
        if not isinstance(name, str):
            raise _Unresolved(f"Ref {name!r}", "Ref takes a logical id or a parameter name")
        pseudo = self._pseudo(name)
        if pseudo is not None:
            return pseudo
        if name in self.given:
            self._say(f"Ref {name}", self.given[name], "given")
            return self.given[name]
        if name in self.parameters:
            return self._parameter(name)
        if name in self.resources:
            return self.attribute(name, "Ref", path)
        raise _Unresolved(f"Ref {name}", f"no parameter or resource named {name!r} in this template")

    def _pseudo(self, name: str) -> Any:
        table = {"AWS::Region": self.region, "AWS::AccountId": self.account, "AWS::Partition": "aws",
                 "AWS::StackName": self.stack, "AWS::URLSuffix": "amazonaws.com", "AWS::NotificationARNs": [],
                 "AWS::StackId": f"arn:aws:cloudformation:{self.region}:{self.account}:stack/{self.stack}/"
                                 f"{stand_in(self.stack, 8)}"}
        if name == "AWS::NoValue":
            return NO_VALUE
        return table.get(name)

    def _parameter(self, name: str) -> Any:
        spec = _mapping(self.parameters.get(name))
        if "Default" not in spec:
            raise _Unresolved(f"Ref {name}", f"parameter {name!r} has no Default: give it with "
                              f"--param {name}=VALUE (or `parameters:` beside `gateway-config:` in a stack file)")
        default = spec["Default"]
        if str(spec.get("Type", "")).startswith("CommaDelimitedList") or str(spec.get("Type", "")).startswith("List<"):
            default = [s.strip() for s in str(default).split(",")]
        self._say(f"Ref {name}", default, "parameter Default")
        return default

    def attribute(self, logical: str, attribute: str, path: str) -> Any:
        resource = _mapping(self.resources.get(logical))
        kind = str(resource.get("Type", ""))
        props = _mapping(resource.get("Properties"))
        builder = _PHYSICAL.get(kind)
        values = builder(self, logical, props, path) if builder else {}
        if attribute in values:
            value = values[attribute]
        elif attribute.endswith("Arn"):
            value = f"arn:aws:cloudformation:{self.region}:{self.account}:stack-resource/{logical}/{attribute}"
        else:
            value = f"{logical}-{hash10(logical + attribute)}"
        what = f"Ref {logical}" if attribute == "Ref" else f"GetAtt {logical}.{attribute}"
        self._say(what, value, f"stand-in for the {kind or 'resource'} AWS would create")
        return value

    def named(self, props: Mapping[str, Any], key: str, logical: str, path: str, fallback: str) -> str:
        value = self.resolve(props.get(key), f"{path}.{key}") if key in props else None
        return str(value) if isinstance(value, str) and value else fallback

    # --- conditions

    def condition(self, name: Any, path: str) -> bool:
        if isinstance(name, str):
            if name not in self.conditions:
                raise _Unresolved(f"Condition {name}", f"no condition named {name!r} in Conditions")
            return bool(self.resolve(self.conditions[name], f"Conditions.{name}"))
        return bool(self.resolve(name, path))


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _getatt(r: Resolver, arg: Any, path: str) -> Any:
    if isinstance(arg, str):
        arg = arg.split(".", 1)
    if not (isinstance(arg, list) and len(arg) == 2 and all(isinstance(a, str) for a in arg)):
        raise _Unresolved(f"Fn::GetAtt {arg!r}", "Fn::GetAtt takes [LogicalId, Attribute]")
    if arg[0] not in r.resources:
        raise _Unresolved(f"Fn::GetAtt {arg[0]}.{arg[1]}", f"no resource {arg[0]!r} in this template")
    return r.attribute(arg[0], arg[1], path)


def _sub(r: Resolver, arg: Any, path: str) -> Any:
    text, variables = (arg[0], arg[1]) if isinstance(arg, list) and len(arg) == 2 else (arg, {})
    if not isinstance(text, str) or not isinstance(variables, dict):
        raise _Unresolved("Fn::Sub", "Fn::Sub takes a string or [string, {variables}]")

    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name.startswith("!"):
            return "${" + name[1:] + "}"
        if name in variables:
            return str(r.resolve(variables[name], path))
        head, _, attr = name.partition(".")
        if attr and head in r.resources:
            return str(r.attribute(head, attr, path))
        if attr and head[:1].islower() and head not in r.parameters:
            return match.group(0)  # an authstage stack variable, rendered later
        return str(r.ref(name, path))

    return _SUB.sub(one, text)


def _join(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str)):
        raise _Unresolved("Fn::Join", "Fn::Join takes [delimiter, [values]]")
    items = r.resolve(arg[1], path)
    if not isinstance(items, list):
        raise _Unresolved("Fn::Join", "its second argument is not a list")
    return arg[0].join(str(i) for i in items)


def _select(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        raise _Unresolved("Fn::Select", "Fn::Select takes [index, [values]]")
    index, items = r.resolve(arg[0], path), r.resolve(arg[1], path)
    try:
        return items[int(index)]
    except (TypeError, ValueError, IndexError, KeyError):
        raise _Unresolved("Fn::Select", f"index {index!r} does not select from {items!r}") from None


def _split(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2 and isinstance(arg[0], str) and arg[0]):
        raise _Unresolved("Fn::Split", "Fn::Split takes [delimiter, string]")
    return str(r.resolve(arg[1], path)).split(arg[0])


def _if(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 3):
        raise _Unresolved("Fn::If", "Fn::If takes [condition, value-if-true, value-if-false]")
    return r.resolve(arg[1] if r.condition(arg[0], path) else arg[2], path)


def _equals(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) == 2):
        raise _Unresolved("Fn::Equals", "Fn::Equals takes [a, b]")
    return r.resolve(arg[0], path) == r.resolve(arg[1], path)


def _logic(combine: Callable[[list[bool]], bool], name: str) -> Callable[[Resolver, Any, str], Any]:
    def handler(r: Resolver, arg: Any, path: str) -> Any:
        if not isinstance(arg, list):
            raise _Unresolved(name, f"{name} takes a list of conditions")
        return combine([r.condition(a, path) for a in arg])

    return handler


def _find_in_map(r: Resolver, arg: Any, path: str) -> Any:
    if not (isinstance(arg, list) and len(arg) >= 3):
        raise _Unresolved("Fn::FindInMap", "Fn::FindInMap takes [map, top-level key, second-level key]")
    keys = [r.resolve(a, path) for a in arg[:3]]
    try:
        return r.mappings[keys[0]][keys[1]][keys[2]]
    except (KeyError, TypeError):
        raise _Unresolved(f"Fn::FindInMap {keys}", "no such entry in Mappings") from None


def _import(r: Resolver, arg: Any, path: str) -> Any:
    name = r.resolve(arg, path)
    if isinstance(name, str) and name in r.given:
        r._say(f"Fn::ImportValue {name}", r.given[name], "given")
        return r.given[name]
    raise _Unresolved(f"Fn::ImportValue {name}", f"it is another stack's export: give its value with "
                      f"--param {name}=VALUE")


_FUNCTIONS: dict[str, Callable[[Resolver, Any, str], Any]] = {
    "Ref": lambda r, arg, path: r.ref(arg, path),
    "Condition": lambda r, arg, path: r.condition(arg, path),
    "Fn::GetAtt": _getatt,
    "Fn::Sub": _sub,
    "Fn::Join": _join,
    "Fn::Select": _select,
    "Fn::Split": _split,
    "Fn::If": _if,
    "Fn::Equals": _equals,
    "Fn::Not": _logic(lambda v: not all(v), "Fn::Not"),
    "Fn::And": _logic(all, "Fn::And"),
    "Fn::Or": _logic(any, "Fn::Or"),
    "Fn::FindInMap": _find_in_map,
    "Fn::ImportValue": _import,
    "Fn::Base64": lambda r, arg, path: base64.b64encode(str(r.resolve(arg, path)).encode()).decode(),
    "Fn::GetAZs": lambda r, arg, path: [f"{r.region}{z}" for z in "abc"],
    "Fn::ToJsonString": lambda r, arg, path: json.dumps(r.resolve(arg, path)),
    "Fn::Length": lambda r, arg, path: len(r.resolve(arg, path) or []),
}


# --- physical ids AWS would create, by resource type ----------------------------------------------------

def _gateway(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    gid = gateway_id(r.named(props, "Name", logical, path, logical))
    return {"Ref": gid, "GatewayIdentifier": gid, "GatewayId": gid,
            "GatewayArn": gateway_arn(r.region, r.account, gid), "GatewayUrl": gateway_url(gid, r.region),
            "Status": "READY", "WorkloadIdentityDetails.WorkloadIdentityArn":
                f"arn:aws:bedrock-agentcore:{r.region}:{r.account}:workload-identity-directory/default/"
                f"workload-identity/{gid}"}


def _target(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    tid = target_id(r.named(props, "Name", logical, path, logical))
    return {"Ref": tid, "TargetId": tid, "Status": "READY"}


def _policy_engine(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    name = r.named(props, "Name", logical, path, logical)
    pid = f"{name}-{hash10(name)}"
    arn = f"arn:aws:bedrock-agentcore:{r.region}:{r.account}:policy-engine/{pid}"
    return {"Ref": pid, "PolicyEngineId": pid, "PolicyEngineArn": arn}


def _function(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    name = r.named(props, "FunctionName", logical, path, f"{r.stack}-{logical}-{hash10(logical).upper()}")
    return {"Ref": name, "Arn": lambda_arn(r.region, r.account, name)}


def _role(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    name = r.named(props, "RoleName", logical, path, f"{r.stack}-{logical}-{hash10(logical).upper()}")
    return {"Ref": name, "Arn": f"arn:aws:iam::{r.account}:role/{name}", "RoleId": stand_in(name, 21, upper=True)}


def _user_pool(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    pool = f"{r.region}_{stand_in(logical, 9, upper=True)}"
    return {"Ref": pool, "UserPoolId": pool, "ProviderName": f"cognito-idp.{r.region}.amazonaws.com/{pool}",
            "ProviderURL": f"https://cognito-idp.{r.region}.amazonaws.com/{pool}",
            "Arn": f"arn:aws:cognito-idp:{r.region}:{r.account}:userpool/{pool}"}


def _user_pool_client(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    client = stand_in(logical, 26)
    return {"Ref": client, "ClientId": client, "ClientSecret": "demo-secret-not-for-production-" + client[:8]}


def _named(prop: str) -> Callable[[Resolver, str, Mapping[str, Any], str], dict[str, Any]]:
    def builder(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
        name = r.named(props, prop, logical, path, f"{r.stack}-{logical.lower()}-{hash10(logical)}")
        return {"Ref": name, "Arn": f"arn:aws:::{name}"}

    return builder


def _rest_api(r: Resolver, logical: str, props: Mapping[str, Any], path: str) -> dict[str, Any]:
    api = stand_in(logical, 10)
    return {"Ref": api, "RestApiId": api, "RootResourceId": stand_in(logical + "/", 10)}


_PHYSICAL: dict[str, Callable[[Resolver, str, Mapping[str, Any], str], dict[str, Any]]] = {
    "AWS::BedrockAgentCore::Gateway": _gateway,
    "AWS::BedrockAgentCore::GatewayTarget": _target,
    "AWS::BedrockAgentCore::PolicyEngine": _policy_engine,
    "AWS::Lambda::Function": _function,
    "AWS::Serverless::Function": _function,
    "AWS::IAM::Role": _role,
    "AWS::Cognito::UserPool": _user_pool,
    "AWS::Cognito::UserPoolClient": _user_pool_client,
    "AWS::Cognito::UserPoolDomain": _named("Domain"),
    "AWS::S3::Bucket": _named("BucketName"),
    "AWS::ApiGateway::RestApi": _rest_api,
}
