"""auth0-deploy-cli's `tenant.yaml`, imported onto a tenant as `a0deploy import` does onto a real one.

The format (auth0/auth0-deploy-cli, `docs/configuring-the-deploy-cli.md`, `examples/yaml/tenant.yaml`): top-level
`tenant:` (tenant settings, Management API names), `resourceServers:`, `clients:`, `clientGrants:` (whose
`client_id` is the client's *name*), `databases:` (database connections, `enabled_clients` by name) and others.
Keywords: `##KEY##` is replaced inside strings, `@@KEY@@` by the JSON value (AUTH0_KEYWORD_REPLACE_MAPPINGS).
Like the deploy CLI without AUTH0_ALLOW_DELETE, an import adds and updates (matched by identifier / name) and
deletes nothing; the Management API's own resource server is skipped (deploy-cli excludes it too). Sections the
emulator does not model (roles, rules, actions, pages, ...) are listed in `ignored`.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import yaml

from fake_idp.management import MANAGEMENT_API_NAME
from fake_idp.management import payloads as p
from fake_idp.tenant import Tenant

__all__ = ["SECTIONS", "as_patch", "import_tenant_yaml", "is_deploy_cli", "load_tenant_file"]

SECTIONS = ("tenant", "resourceServers", "clients", "clientGrants", "databases")
MARKERS = ("resourceServers", "clientGrants", "databases", "tenant")
_ARRAY_KEYWORD = re.compile(r"^@@([A-Za-z0-9_]+)@@$")


def is_deploy_cli(document: Any) -> bool:
    """A deploy-cli tenant.yaml rather than an authstage tenant document (camelCase sections, `tenant:`)."""
    return isinstance(document, dict) and any(k in document for k in MARKERS)


def _replace(value: Any, keywords: dict[str, Any]) -> Any:
    if isinstance(value, str):
        whole = _ARRAY_KEYWORD.match(value)
        if whole and whole.group(1) in keywords:
            return keywords[whole.group(1)]
        for key, replacement in keywords.items():
            value = value.replace(f"##{key}##", str(replacement))
        return value
    if isinstance(value, dict):
        return {k: _replace(v, keywords) for k, v in value.items()}
    if isinstance(value, list):
        return [_replace(v, keywords) for v in value]
    return value


def _client_id(name: str) -> str:
    """A stable 32-character client id for a client the file names (deploy-cli files carry no ids)."""
    return hashlib.sha256(f"deploy-cli:{name}".encode()).hexdigest()[:32]


def _upsert(items: list[dict[str, Any]], new: dict[str, Any], key: str) -> None:
    for index, item in enumerate(items):
        if item.get(key) == new.get(key):
            items[index] = {**item, **new}
            return
    items.append(new)


APP_TYPES = ("non_interactive", "native", "spa", "regular_web")


def _clients(doc: dict[str, Any], source: list[dict[str, Any]], names: dict[str, str], ignored: list[str]) -> None:
    for raw in source:
        if raw.get("app_type", "regular_web") not in APP_TYPES:  # e.g. resource_server clients
            ignored.append(f"clients[{raw.get('name')}] (app_type {raw.get('app_type')})")
            continue
        body = {k: v for k, v in raw.items() if k in p.CLIENT_MODELED}
        body.setdefault("grant_types", list(p.CLIENT_DEFAULT_GRANTS))
        if body.get("app_type") in ("spa", "native"):
            body.setdefault("token_endpoint_auth_method", "none")
        existing = next((c for c in doc["clients"] if c["name"] == body.get("name")), None)
        client_id = existing["client_id"] if existing else _client_id(str(body.get("name")))
        names[str(body.get("name"))] = client_id
        if body.get("token_endpoint_auth_method", "client_secret_post") != "none":
            body.setdefault("client_secret", (existing or {}).get("client_secret") or "deploy-cli-" + client_id)
        _upsert(doc["clients"], {**body, "client_id": client_id}, "client_id")


def _resource_servers(doc: dict[str, Any], source: list[dict[str, Any]]) -> None:
    for raw in source:
        if raw.get("name") == MANAGEMENT_API_NAME:
            continue
        body = {k: v for k, v in raw.items() if k in p.RS_MODELED}
        body.setdefault("name", body.get("identifier"))
        _upsert(doc["apis"], body, "identifier")


def _grants_and_databases(doc: dict[str, Any], source: dict[str, Any], names: dict[str, str]) -> None:
    for raw in source.get("clientGrants") or []:
        body = {k: v for k, v in raw.items() if k in ("client_id", "audience", "scope", "subject_type")}
        body["client_id"] = names.get(str(body.get("client_id")), body.get("client_id"))
        grants = doc.setdefault("client_grants", [])
        grants[:] = [g for g in grants if (g.get("client_id"), g["audience"]) != (body["client_id"], body["audience"])]
        grants.append(body)
    for raw in source.get("databases") or []:
        enabled = [names.get(str(n), str(n)) for n in raw.get("enabled_clients") or []]
        body = {"name": raw["name"], "strategy": "auth0", "enabled_clients": enabled,
                "is_domain_connection": bool(raw.get("is_domain_connection", False))}
        _upsert(doc.setdefault("connections", []), body, "name")


def import_tenant_yaml(
    source: dict[str, Any], base: dict[str, Any], *, keywords: dict[str, Any] | None = None
) -> tuple[dict[str, Any], list[str]]:
    """(the tenant document `base` becomes after importing `source`, the sections/properties not emulated)."""
    source = _replace(source, keywords or {})
    doc: dict[str, Any] = json.loads(json.dumps(base))
    doc.setdefault("apis", [])
    doc.setdefault("clients", [])
    ignored = [k for k in source if k not in SECTIONS]
    names = {c["name"]: c["client_id"] for c in doc["clients"]}
    if isinstance(source.get("tenant"), dict):
        ignored += [f"tenant.{k}" for k in p.apply_settings(doc, source["tenant"])]
    _resource_servers(doc, list(source.get("resourceServers") or []))
    _clients(doc, list(source.get("clients") or []), names, ignored)
    _grants_and_databases(doc, source, names)
    return doc, ignored


def load_tenant_file(path: str | Path) -> Tenant:
    """A tenant file: authstage's own format (Tenant.from_file), or a deploy-cli tenant.yaml imported onto an empty
    tenant (`python -m fake_idp --config tenant.yaml`)."""
    try:
        document = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError):
        document = None  # Tenant.from_file names the problem
    if not is_deploy_cli(document):
        return Tenant.from_file(path)
    doc, _ = import_tenant_yaml(document, Tenant().model_dump(mode="json", exclude_none=True))
    return Tenant.load(doc, source=str(path))


def as_patch(source: dict[str, Any], *, keywords: dict[str, Any] | None = None) -> dict[str, Any]:
    """The file as a patch of a tenant document (items keyed by name or identifier): merged over a tenant with
    named-list semantics, it adds and updates what the file names and keeps the rest. Client names the file
    references resolve to the ids of the file's own clients."""
    doc, _ = import_tenant_yaml(source, {}, keywords=keywords)
    return {k: v for k, v in doc.items() if v not in ([], {}, None)}
