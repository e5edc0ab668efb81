"""AgentCore Identity: OAuth2 and API-key credential providers, workload identities, the token vault.

API reference CreateOauth2CredentialProvider / CreateApiKeyCredentialProvider / CreateWorkloadIdentity /
GetTokenVault. A provider keeps its secret (the emulator's token vault); answers never carry it, as AWS's carry
only a Secrets Manager ARN. A gateway whose target names a provider (by ARN or name) gets the provider in its
served document, and an update of the provider re-installs those gateways at once.
"""

from __future__ import annotations

from typing import Any

from botocore.model import StructureShape

from authstage_kit import ids
from fake_gateway.control_api.api import Call, Handler
from fake_gateway.control_api.errors import ALREADY_EXISTS, conflict, not_found
from fake_gateway.control_api.gateways import install, provider_refs
from fake_gateway.control_api.store import IdentityRecord, ProviderRecord, Transition, page, suffix
from fake_gateway.validation import service_model

__all__ = ["OPERATIONS"]

# OBSERVED (users' IAM policies and logs): secrets live under `bedrock-agentcore-identity!default/oauth2/<name>`.
SECRET_PREFIX = {"oauth2": "bedrock-agentcore-identity!default/oauth2/", "apikey": "bedrock-agentcore-identity!default/apikey/"}
KIND_PATH = {"oauth2": "oauth2credentialprovider", "apikey": "apikeycredentialprovider"}
KIND_NAME = {"oauth2": "OAuth2 credential provider", "apikey": "API key credential provider"}


def _table(call: Call, kind: str) -> dict[str, ProviderRecord]:
    return call.account.oauth2 if kind == "oauth2" else call.account.apikeys


def _record(call: Call, kind: str) -> ProviderRecord:
    name = str(call.params["name"])
    record = _table(call, kind).get(name)
    if record is None:
        raise not_found(KIND_NAME[kind], name)
    return record


def _config_output(request: dict[str, Any]) -> dict[str, Any]:
    """oauth2ProviderConfigOutput: the input config without its secrets (members of the output shapes only)."""
    shape = service_model().shape_for("Oauth2ProviderConfigOutput")
    assert isinstance(shape, StructureShape)
    out: dict[str, Any] = {}
    for key, block in (request.get("oauth2ProviderConfigInput") or {}).items():
        member = shape.members.get(key)
        if isinstance(member, StructureShape) and isinstance(block, dict):
            out[key] = {k: v for k, v in block.items() if k in member.members}
    return out


def provider_answer(call: Call, record: ProviderRecord, operation: str) -> dict[str, Any]:
    request = record.request
    answer: dict[str, Any] = {
        "name": record.name,
        "credentialProviderArn": record.arn,
        "credentialProviderVendor": request.get("credentialProviderVendor"),
        "createdTime": record.life.created_at,
        "lastUpdatedTime": record.life.updated_at,
        "status": record.life.status(call.now()),
    }
    if record.kind == "oauth2":
        answer |= {"clientSecretArn": {"secretArn": record.secret_arn}, "callbackUrl": record.callback_url,
                   "oauth2ProviderConfigOutput": _config_output(request), "clientSecretSource": "MANAGED"}
    else:
        answer |= {"apiKeySecretArn": {"secretArn": record.secret_arn},
                   "apiKeySecretSource": request.get("apiKeySecretSource", "MANAGED")}
    shape = service_model().operation_model(operation).output_shape
    members = shape.members if shape is not None else {}
    return {k: v for k, v in answer.items() if k in members and v is not None}


def _create(kind: str) -> Handler:
    async def create(call: Call) -> dict[str, Any]:
        name = str(call.params["name"])
        if name in _table(call, kind):
            raise conflict(ALREADY_EXISTS.format(kind=KIND_NAME[kind], name=name))
        service = call.api.knobs().credentialProviderArnService
        arn = call.account.arn(f"token-vault/default/{KIND_PATH[kind]}/{name}", service)
        secret = f"arn:aws:secretsmanager:{call.account.region}:{call.account.account}:secret:"
        secret += f"{SECRET_PREFIX[kind]}{name}-{suffix(6, ids.ALNUM)}"
        callback = f"https://bedrock-agentcore.{call.account.region}.amazonaws.com/identities/oauth2/callback/"
        record = ProviderRecord(kind, name, arn, dict(call.params), Transition(call.now(), call.now()), secret,
                                callback + ids.uuid4())
        _table(call, kind)[name] = record
        if call.params.get("tags"):
            call.account.tags[arn] = dict(call.params["tags"])
        return provider_answer(call, record, call.operation)

    return create


def _get(kind: str) -> Handler:
    async def get(call: Call) -> dict[str, Any]:
        return provider_answer(call, _record(call, kind), call.operation)

    return get


def _list(kind: str) -> Handler:
    async def list_(call: Call) -> dict[str, Any]:
        records, token = page(list(_table(call, kind).values()), call.params, default=20)
        keys = ("name", "credentialProviderVendor", "credentialProviderArn", "createdTime", "lastUpdatedTime")
        items = [{k: v for k, v in provider_answer(call, r, f"Get{_OP[kind]}").items() if k in keys} for r in records]
        return {"credentialProviders": items, "nextToken": token}

    return list_


def _users(call: Call, record: ProviderRecord) -> list[Any]:
    return [h for h in call.api.handles(call.account) if {record.arn, record.name} & provider_refs(h.targets())]


def _update(kind: str) -> Handler:
    async def update(call: Call) -> dict[str, Any]:
        record = _record(call, kind)
        record.request = {**{k: v for k, v in call.params.items() if k != "name"}, "tags": record.request.get("tags")}
        record.life.updated_at = call.now()
        for handle in _users(call, record):
            install(call, handle, handle.request(), handle.targets())
        return provider_answer(call, record, call.operation)

    return update


def _delete(kind: str) -> Handler:
    async def delete(call: Call) -> dict[str, Any]:
        record = _record(call, kind)
        users = _users(call, record)
        if users:
            raise conflict(f"{KIND_NAME[kind]} '{record.name}' is used by gateway(s) "
                           f"{sorted(h.gateway_id for h in users)}")  # INFERRED wording
        del _table(call, kind)[record.name]
        call.account.tags.pop(record.arn, None)
        return {}

    return delete


_OP = {"oauth2": "Oauth2CredentialProvider", "apikey": "ApiKeyCredentialProvider"}


# -- workload identities and the token vault ------------------------------------------------------------------


def identity_answer(call: Call, record: IdentityRecord) -> dict[str, Any]:
    return {"name": record.name, "workloadIdentityArn": record.arn,
            "allowedResourceOauth2ReturnUrls": record.return_urls,
            "createdTime": record.life.created_at, "lastUpdatedTime": record.life.updated_at}


def _identity(call: Call) -> IdentityRecord:
    name = str(call.params["name"])
    if name not in call.account.identities:
        raise not_found("Workload identity", name)
    return call.account.identities[name]


async def create_identity(call: Call) -> dict[str, Any]:
    name = str(call.params["name"])
    if name in call.account.identities:
        raise conflict(ALREADY_EXISTS.format(kind="workload identity", name=name))
    arn = call.account.arn(f"workload-identity-directory/default/workload-identity/{name}")
    record = IdentityRecord(name, arn, list(call.params.get("allowedResourceOauth2ReturnUrls") or []),
                            Transition(call.now(), call.now()))
    call.account.identities[name] = record
    answer = identity_answer(call, record)
    return {k: answer[k] for k in ("name", "workloadIdentityArn", "allowedResourceOauth2ReturnUrls")}


async def get_identity(call: Call) -> dict[str, Any]:
    return identity_answer(call, _identity(call))


async def list_identities(call: Call) -> dict[str, Any]:
    records, token = page(list(call.account.identities.values()), call.params, default=20)
    return {"workloadIdentities": [{"name": r.name, "workloadIdentityArn": r.arn} for r in records],
            "nextToken": token}


async def update_identity(call: Call) -> dict[str, Any]:
    record = _identity(call)
    record.return_urls = list(call.params.get("allowedResourceOauth2ReturnUrls") or [])
    record.life.updated_at = call.now()
    return identity_answer(call, record)


async def delete_identity(call: Call) -> dict[str, Any]:
    del call.account.identities[_identity(call).name]
    return {}


async def get_token_vault(call: Call) -> dict[str, Any]:
    """The default token vault, service-managed key (DOC: a customer-managed key is opt-in)."""
    return {"tokenVaultId": call.params.get("tokenVaultId") or "default",
            "kmsConfiguration": {"keyType": "ServiceManagedKey"}, "lastModifiedDate": call.api.root.created_at}


OPERATIONS: dict[str, Handler] = {
    **{f"{verb}{_OP[kind]}": make(kind) for kind in ("oauth2", "apikey")
       for verb, make in (("Create", _create), ("Get", _get), ("Update", _update), ("Delete", _delete))},
    "ListOauth2CredentialProviders": _list("oauth2"),
    "ListApiKeyCredentialProviders": _list("apikey"),
    "CreateWorkloadIdentity": create_identity,
    "GetWorkloadIdentity": get_identity,
    "ListWorkloadIdentities": list_identities,
    "UpdateWorkloadIdentity": update_identity,
    "DeleteWorkloadIdentity": delete_identity,
    "GetTokenVault": get_token_vault,
}
