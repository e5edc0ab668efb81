"""The Management API endpoints, one group per resource (https://auth0.com/docs/api/management/v2): each reads
the running tenant, changes a copy of its document and commits it (api.commit), answering Auth0's payloads
(payloads.py) and status codes (201 on create, 204 on delete; CAPTURE go-auth0 recordings)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from fake_idp.management import payloads as p
from fake_idp.management.errors import (
    CLIENT_GRANT_EXISTS,
    CONNECTION_EXISTS,
    PAYLOAD_VALIDATION,
    RESOURCE_SERVER_EXISTS,
    USER_CONNECTION_MISSING,
    USER_EXISTS,
    ManagementError,
    bad_request,
    conflict,
    not_found,
)
from fake_idp.management.routing import Op, answer, commit, route
from fake_idp.tenant import Api, Client, Tenant, User
from fake_idp.wire import Outgoing

__all__: list[str] = []


def _doc(op: Op) -> dict[str, Any]:
    return op.ctx.tenant.model_dump(mode="json", exclude_none=True)


def _note_ignored(op: Op, ignored: list[str]) -> None:
    if ignored:
        op.ctx.note(f"accepted but not emulated (no effect): {', '.join(ignored)}")


def _save(op: Op, doc: dict[str, Any], what: str, ignored: list[str]) -> Tenant:
    """Commit the changed tenant document; the request log notes what was accepted but not emulated."""
    _note_ignored(op, ignored)
    return commit(op.ctx, doc, what)


def _require(body: dict[str, Any], name: str) -> Any:
    if body.get(name) in (None, ""):
        raise bad_request(PAYLOAD_VALIDATION.format(detail=f"Missing required property: {name}", path=name),
                          reason=f"no {name}")
    return body[name]


def _paged(op: Op, key: str, items: list[dict[str, Any]]) -> Outgoing:
    """Auth0's offset paging: a bare array, or `{start, limit, total, <key>}` with include_totals=true."""
    try:
        page, per_page = int(op.query("page") or 0), int(op.query("per_page") or 50)
    except ValueError:
        raise bad_request("Query validation error: 'Expected type integer' on property page.",
                          code="invalid_query_string", reason="page/per_page not integers") from None
    fields = [f for f in (op.query("fields") or "").split(",") if f]
    if fields:
        keep = op.query("include_fields") != "false"
        items = [{k: v for k, v in i.items() if (k in fields) == keep} for i in items]
    chunk = items[page * per_page:(page + 1) * per_page]
    if op.query("include_totals") == "true":
        return answer({"total": len(items), "start": page * per_page, "limit": per_page, key: chunk})
    return answer(chunk)


# -- resource servers (APIs) -------------------------------------------------------------------------------------


def _api(op: Op) -> Api:
    for api in op.ctx.tenant.apis:
        if op.id in (p.api_id(api), api.identifier):
            return api
    raise not_found("resource_server", reason=f"no API with id or identifier {op.id!r}")


@route("GET", "resource-servers", "read:resource_servers")
async def list_resource_servers(op: Op) -> Outgoing:
    wanted = [v for k, v in op.ctx.request.query if k == "identifiers"]
    apis = [a for a in op.ctx.tenant.apis if not wanted or a.identifier in wanted]
    return _paged(op, "resource_servers", [p.api_payload(a) for a in apis])


@route("POST", "resource-servers", "create:resource_servers")
async def create_resource_server(op: Op) -> Outgoing:
    body, ignored = p.split(op.body, p.RS_MODELED, p.RS_KNOWN, "POST /api/v2/resource-servers")
    identifier = str(_require(body, "identifier"))
    if op.ctx.tenant.api_by_identifier(identifier) is not None:
        raise conflict(RESOURCE_SERVER_EXISTS, reason=f"an API with identifier {identifier!r} exists")
    new = {"skip_consent_for_verifiable_first_party_clients": False, **body, "id": p.new_id("", 24, hexonly=True)}
    new.setdefault("name", identifier)
    doc = _doc(op)
    doc["apis"].append(new)
    api = _save(op, doc, "resource server", ignored).api_by_identifier(identifier)
    assert api is not None
    return answer(p.api_payload(api), 201)


@route("GET", "resource-servers/{id}", "read:resource_servers")
async def get_resource_server(op: Op) -> Outgoing:
    return answer(p.api_payload(_api(op)))


@route("PATCH", "resource-servers/{id}", "update:resource_servers")
async def update_resource_server(op: Op) -> Outgoing:
    api = _api(op)
    body, ignored = p.split(op.body, p.RS_MODELED, p.RS_KNOWN, "PATCH /api/v2/resource-servers")
    if body.get("identifier", api.identifier) != api.identifier:
        raise bad_request(PAYLOAD_VALIDATION.format(detail="identifier cannot be changed", path="identifier"),
                          reason="an API identifier cannot change (Auth0: 'Can not be changed once set')")
    doc = _doc(op)
    for index, item in enumerate(doc["apis"]):
        if item["identifier"] == api.identifier:
            doc["apis"][index] = {**item, **body, "id": p.api_id(api)}
    updated = _save(op, doc, "resource server", ignored).api_by_identifier(api.identifier)
    assert updated is not None
    return answer(p.api_payload(updated))


@route("DELETE", "resource-servers/{id}", "delete:resource_servers")
async def delete_resource_server(op: Op) -> Outgoing:
    api = _api(op)
    doc = _doc(op)
    doc["apis"] = [a for a in doc["apis"] if a["identifier"] != api.identifier]
    doc["client_grants"] = [g for g in doc.get("client_grants", []) if g["audience"] != api.identifier]
    if doc.get("settings", {}).get("default_audience") == api.identifier:
        doc["settings"].pop("default_audience")
    commit(op.ctx, doc, "resource server")
    return answer(None, 204)


# -- clients (applications) --------------------------------------------------------------------------------------


def _clients(op: Op) -> list[Client]:
    return [*op.ctx.tenant.clients, *op.ctx.state.registered_clients.values()]


def _client(op: Op, client_id: str | None = None) -> Client:
    wanted = client_id or op.id
    for client in _clients(op):
        if client.client_id == wanted:
            return client
    raise not_found("client", reason=f"no client {wanted!r}")


def _client_body(op: Op) -> tuple[dict[str, Any], list[str]]:
    return p.split(op.body, p.CLIENT_MODELED, p.CLIENT_KNOWN, f"{op.ctx.request.method} /api/v2/clients")


@route("GET", "clients", "read:clients")
async def list_clients(op: Op) -> Outgoing:
    secret = "read:client_keys" in op.scopes
    return _paged(op, "clients", [p.client_payload(c, op.ctx.tenant, secret=secret) for c in _clients(op)])


@route("POST", "clients", "create:clients")
async def create_client(op: Op) -> Outgoing:
    body, ignored = _client_body(op)
    _require(body, "name")
    body.setdefault("grant_types", list(p.CLIENT_DEFAULT_GRANTS))
    if body.get("app_type") in ("spa", "native"):
        body.setdefault("token_endpoint_auth_method", "none")
    client_id = p.new_id("", 32)
    if body.get("token_endpoint_auth_method", "client_secret_post") != "none":
        body.setdefault("client_secret", p.new_id("", 64))
    doc = _doc(op)
    doc["clients"].append({**body, "client_id": client_id})
    tenant = _save(op, doc, "client", ignored)
    return answer(p.client_payload(_client(op, client_id), tenant, secret=True), 201)


@route("GET", "clients/{id}", "read:clients")
async def get_client(op: Op) -> Outgoing:
    return answer(p.client_payload(_client(op), op.ctx.tenant, secret="read:client_keys" in op.scopes))


@route("PATCH", "clients/{id}", "update:clients")
async def update_client(op: Op) -> Outgoing:
    client = _client(op)
    body, ignored = _client_body(op)
    _note_ignored(op, ignored)
    if client.client_id in op.ctx.state.registered_clients:  # a DCR client lives in the runtime state
        updated = Client.model_validate({**client.model_dump(mode="json"), **body})
        op.ctx.state.registered_clients[client.client_id] = updated
        return answer(p.client_payload(updated, op.ctx.tenant, secret=True))
    doc = _doc(op)
    doc["clients"] = [{**c, **body} if c["client_id"] == client.client_id else c for c in doc["clients"]]
    tenant = commit(op.ctx, doc, "client")
    return answer(p.client_payload(_client(op), tenant, secret=True))


@route("DELETE", "clients/{id}", "delete:clients")
async def delete_client(op: Op) -> Outgoing:
    client = _client(op)
    if op.ctx.state.registered_clients.pop(client.client_id, None) is not None:
        return answer(None, 204)
    doc = _doc(op)
    doc["clients"] = [c for c in doc["clients"] if c["client_id"] != client.client_id]
    doc["client_grants"] = [g for g in doc.get("client_grants", []) if g.get("client_id") != client.client_id]
    for connection in doc.get("connections", []):
        connection["enabled_clients"] = [c for c in connection.get("enabled_clients", []) if c != client.client_id]
    commit(op.ctx, doc, "client")
    return answer(None, 204)


# -- client grants -----------------------------------------------------------------------------------------------

GRANT_FIELDS = ("client_id", "audience", "scope", "default_for", "subject_type")
GRANT_KNOWN = ("organization_usage", "allow_any_organization", "authorization_details_types", "allow_all_scopes",
               "is_system")


def _index(op: Op, items: Sequence[Any], id_of: Callable[[Any], str], kind: str) -> int:
    """The position of the item the path's `{id}` names, or Auth0's 404 for its kind."""
    for index, item in enumerate(items):
        if id_of(item) == op.id:
            return index
    raise not_found(kind, reason=f"no {kind.replace('_', ' ')} {op.id!r}")


def _where(op: Op, items: Sequence[Any], *filters: str) -> list[Any]:
    """The items whose attributes equal the query parameters of the same names (`?audience=`, `?name=`...)."""
    return [item for item in items if all(op.query(f) in (None, getattr(item, f)) for f in filters)]


def _grant_index(op: Op) -> int:
    return _index(op, op.ctx.tenant.client_grants, p.grant_id, "client_grant")


@route("GET", "client-grants", "read:client_grants")
async def list_grants(op: Op) -> Outgoing:
    grants = _where(op, op.ctx.tenant.client_grants, "audience", "client_id")
    return _paged(op, "client_grants", [p.grant_payload(g) for g in grants])


@route("POST", "client-grants", "create:client_grants")
async def create_grant(op: Op) -> Outgoing:
    body, ignored = p.split(op.body, GRANT_FIELDS, GRANT_KNOWN, "POST /api/v2/client-grants")
    audience = str(_require(body, "audience"))
    if body.get("client_id") is not None:
        _client(op, str(body["client_id"]))
    if op.ctx.tenant.api_by_identifier(audience) is None:
        raise not_found("resource_server", reason=f"no API with identifier {audience!r}")
    for grant in op.ctx.tenant.client_grants:
        if (grant.client_id, grant.default_for, grant.audience) == (body.get("client_id"), body.get("default_for"),
                                                                    audience):
            raise conflict(CLIENT_GRANT_EXISTS, reason=f"a grant for {body.get('client_id')} -> {audience} exists")
    body.setdefault("scope", [])
    new_id = p.new_id("cgr_", 16)
    doc = _doc(op)
    doc.setdefault("client_grants", []).append({**body, "id": new_id})
    tenant = _save(op, doc, "client grant", ignored)
    return answer(p.grant_payload(next(g for g in tenant.client_grants if g.id == new_id)), 201)


@route("PATCH", "client-grants/{id}", "update:client_grants")
async def update_grant(op: Op) -> Outgoing:
    index = _grant_index(op)
    body, ignored = p.split(op.body, ("scope", "subject_type"), GRANT_KNOWN, "PATCH /api/v2/client-grants")
    doc = _doc(op)
    doc["client_grants"][index] = {**doc["client_grants"][index], **body, "id": op.id}
    tenant = _save(op, doc, "client grant", ignored)
    return answer(p.grant_payload(tenant.client_grants[index]))


@route("DELETE", "client-grants/{id}", "delete:client_grants")
async def delete_grant(op: Op) -> Outgoing:
    index = _grant_index(op)
    doc = _doc(op)
    del doc["client_grants"][index]
    commit(op.ctx, doc, "client grant")
    return answer(None, 204)


# -- users ---------------------------------------------------------------------------------------------------------

USER_FIELDS = ("connection", "email", "password", "name", "nickname", "picture", "email_verified", "user_id",
               "blocked")
USER_KNOWN = ("given_name", "family_name", "username", "phone_number", "phone_verified", "verify_email",
              "user_metadata", "app_metadata")


def _user(op: Op) -> User:
    user = op.ctx.tenant.user_by_id(op.id)
    if user is None:
        raise not_found("user", reason=f"no user {op.id!r}")
    return user


@route("GET", "users", "read:users")
async def list_users(op: Op) -> Outgoing:
    return _paged(op, "users", [p.user_payload(u) for u in op.ctx.tenant.users])


@route("GET", "users-by-email", "read:users")
async def users_by_email(op: Op) -> Outgoing:
    user = op.ctx.tenant.user_by_email(op.query("email") or "")
    return answer([p.user_payload(user)] if user else [])


@route("POST", "users", "create:users")
async def create_user(op: Op) -> Outgoing:
    body, ignored = p.split(op.body, USER_FIELDS, USER_KNOWN, "POST /api/v2/users")
    connection = str(_require(body, "connection"))
    if all(c.name != connection for c in op.ctx.tenant.connections):
        raise ManagementError(400, USER_CONNECTION_MISSING, "inexistent_connection",
                              reason=f"no connection {connection!r}")
    email = str(_require(body, "email"))
    _require(body, "password")
    if op.ctx.tenant.user_by_email(email) is not None:
        raise conflict(USER_EXISTS, reason=f"a user {email!r} exists")
    user_id = "auth0|" + str(body.pop("user_id", None) or p.new_id("", 24, hexonly=True))
    doc = _doc(op)
    doc["users"].append({**body, "user_id": user_id})
    tenant = _save(op, doc, "user", ignored)
    user = tenant.user_by_id(user_id)
    assert user is not None
    return answer(p.user_payload(user), 201)


@route("GET", "users/{id}", "read:users")
async def get_user(op: Op) -> Outgoing:
    return answer(p.user_payload(_user(op)))


@route("PATCH", "users/{id}", "update:users")
async def update_user(op: Op) -> Outgoing:
    user = _user(op)
    body, ignored = p.split(op.body, USER_FIELDS[1:], USER_KNOWN, "PATCH /api/v2/users")
    doc = _doc(op)
    doc["users"] = [{**u, **body} if u["user_id"] == user.user_id else u for u in doc["users"]]
    tenant = _save(op, doc, "user", ignored)
    updated = tenant.user_by_id(user.user_id)
    assert updated is not None
    return answer(p.user_payload(updated))


@route("DELETE", "users/{id}", "delete:users")
async def delete_user(op: Op) -> Outgoing:
    user = _user(op)
    doc = _doc(op)
    doc["users"] = [u for u in doc["users"] if u["user_id"] != user.user_id]
    commit(op.ctx, doc, "user")
    return answer(None, 204)


# -- tenant settings ---------------------------------------------------------------------------------------------

@route("GET", "tenants/settings", "read:tenant_settings")
async def get_settings(op: Op) -> Outgoing:
    return answer(p.settings_payload(op.ctx.tenant))


@route("PATCH", "tenants/settings", "update:tenant_settings")
async def update_settings(op: Op) -> Outgoing:
    doc = _doc(op)
    _note_ignored(op, p.apply_settings(doc, op.body))
    return answer(p.settings_payload(commit(op.ctx, doc, "tenant settings")))


# -- connections ---------------------------------------------------------------------------------------------------


def _connection_index(op: Op) -> int:
    return _index(op, op.ctx.tenant.connections, p.connection_id, "connection")


@route("GET", "connections", "read:connections")
async def list_connections(op: Op) -> Outgoing:
    items = _where(op, op.ctx.tenant.connections, "name", "strategy")
    return _paged(op, "connections", [p.connection_payload(c) for c in items])


@route("POST", "connections", "create:connections")
async def create_connection(op: Op) -> Outgoing:
    body, ignored = p.split(op.body, ("name", "strategy", "is_domain_connection", "enabled_clients"),
                            ("options", "display_name", "metadata", "realms", "show_as_button"), "POST connections")
    name = str(_require(body, "name"))
    _require(body, "strategy")
    if any(c.name == name for c in op.ctx.tenant.connections):
        raise conflict(CONNECTION_EXISTS, reason=f"a connection {name!r} exists")
    doc = _doc(op)
    doc.setdefault("connections", []).append({**body, "id": p.new_id("con_", 16)})
    tenant = _save(op, doc, "connection", ignored)
    return answer(p.connection_payload(next(c for c in tenant.connections if c.name == name)), 201)


@route("GET", "connections/{id}", "read:connections")
async def get_connection(op: Op) -> Outgoing:
    return answer(p.connection_payload(op.ctx.tenant.connections[_connection_index(op)]))


@route("PATCH", "connections/{id}", "update:connections")
async def update_connection(op: Op) -> Outgoing:
    index = _connection_index(op)
    body, ignored = p.split(op.body, ("is_domain_connection", "enabled_clients"),
                            ("options", "display_name", "metadata", "realms", "show_as_button"), "PATCH connections")
    doc = _doc(op)
    doc["connections"][index] = {**doc["connections"][index], **body,
                                 "id": p.connection_id(op.ctx.tenant.connections[index])}
    tenant = _save(op, doc, "connection", ignored)
    return answer(p.connection_payload(tenant.connections[index]))


@route("DELETE", "connections/{id}", "delete:connections")
async def delete_connection(op: Op) -> Outgoing:
    index = _connection_index(op)
    doc = _doc(op)
    deleted = doc["connections"].pop(index)
    doc["users"] = [u for u in doc["users"] if u.get("connection") != deleted["name"]]
    commit(op.ctx, doc, "connection")
    return answer({"deleted_at": _iso(op)}, 202)  # CAPTURE TestConnectionManager_List.yaml: 202 {"deleted_at"}


def _iso(op: Op) -> str:
    import datetime as dt

    return dt.datetime.fromtimestamp(op.ctx.now(), tz=dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"

