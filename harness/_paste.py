"""Paste semantics of a stack file's `gateway:` section (and of `authstage up --gateway-config FILE`).

A section that is a gateway document - a whole gateway carrying `authorizerType` and its `name`, an API response,
a CloudFormation / CDK template, Terraform JSON, a Pulumi export, an agentcore-cli project - is taken as written:
nothing of the demo gateway is merged into it (`fake_gateway.shapes.detect` decides; some members only, or a
merge patch with `null`s, is an overlay, merged over the demo as before). It is converted to the API shape, its `${...}` stack variables are
rendered, and what points at the real world is pointed at the local stack, each mapping announced:

* a `discoveryUrl` on a real tenant host (Cognito, Okta, Entra, Auth0, ...) is served by the local IdP under the
  same issuer path where that is possible (`https://cognito-idp.../us-east-1_Abc` -> `http://127.0.0.1:P/us-east-1_Abc`),
  with that vendor's token shape; its allowedAudience values become IdP APIs and its allowedClients IdP clients,
  so `authstage token` mints tokens the pasted authorizer accepts;
* an MCP server target on a foreign host is served by the sample MCP server, reached with the local IdP's
  client-credentials token; credential providers the document names but does not contain, or whose token
  endpoint is foreign, become the local IdP's `gateway-outbound` client.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from authstage_kit.merge import merge_patch
from harness._config import StackFile, render
from harness._exceptions import ConfigError

__all__ = ["IssuerPaths", "Pasted", "dialect_of", "is_paste", "paste_gateway"]

OUTBOUND_CLIENT = "gateway-outbound"
DEMO_PROVIDER = "authstage-demo-idp"
# The IdP's own top-level routes: an issuer path starting with one of these cannot be served under it.
IDP_ROUTES = ("authorize", "u", "oauth", "oidc", "userinfo", "v2", ".well-known", "_authstage", "mfa")
# Which vendor's token shape a discovery host implies (fake_idp emulator.token_profiles).
VENDORS = (
    (re.compile(r"^cognito-idp\.[a-z0-9-]+\.amazonaws\.com$"), "cognito"),
    (re.compile(r"(^|\.)okta(preview)?\.com$"), "okta"),
    (re.compile(r"^login\.microsoftonline\.com$"), "entra_v2"),
    (re.compile(r"^sts\.windows\.net$"), "entra_v1"),
    (re.compile(r"(^|\.)auth0\.com$"), "auth0"),
)


class IssuerPaths:
    """ASGI wrapper of the IdP: answers its discovery documents under an issuer path as well (RFC 8414 §3:
    `<issuer>/.well-known/...` and the path-inserted `/.well-known/...<path>`), so a pasted issuer keeps its path."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.state = app.state
        self.prefixes: set[str] = set()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        path = scope.get("path", "") if scope.get("type") == "http" else ""
        for prefix in self.prefixes:
            if path.startswith(prefix + "/.well-known/"):
                scope = {**scope, "path": path[len(prefix):], "raw_path": path[len(prefix):].encode()}
                break
            if path.startswith("/.well-known/") and path.endswith(prefix):
                stripped = path[: -len(prefix)]
                scope = {**scope, "path": stripped, "raw_path": stripped.encode()}
                break
        await self.app(scope, receive, send)


@dataclass
class Pasted:
    """The three documents after a paste, and what was converted and mapped on the way."""

    gateway: dict[str, Any]
    idp: dict[str, Any]
    mcp: dict[str, Any]
    notices: list[Any] = field(default_factory=list)
    issuer_path: str | None = None


def is_paste(stack_file: StackFile) -> bool:
    """Is the gateway given as a document (taken as written) rather than an overlay of the demo gateway?"""
    from fake_gateway.shapes import detect

    return (bool(stack_file.gateway_config) or detect(stack_file.sections["gateway"]) != "overlay"
            or _agentgateway_section(stack_file))


def _agentgateway_section(stack_file: StackFile) -> bool:
    """A `gateway:` section that is a whole agentgateway config: one with agentgateway's top-level keys and no
    `dialect:` line, or (with `dialect: agentgateway`, whose demo is `gateways` + `routes`) one in another
    topology (`binds`, the simplified `mcp:`) that cannot patch the demo; `routes:` under `dialect:` stays an
    overlay of the demo."""
    from fake_gateway.dialect import detect

    section = stack_file.sections["gateway"]
    if detect(section) != "agentgateway":
        return False
    return stack_file.dialect is None or bool({"binds", "mcp"} & set(section))


def dialect_of(stack_file: StackFile) -> str | None:
    """The dialect the gateway document itself says (`gateway-config:` files, or a `gateway:` section with
    agentgateway's top-level keys), None when it says nothing (the stack's `dialect:` / `--gateway` decide)."""
    import yaml

    from fake_gateway.dialect import detect, detect_text

    config = stack_file.gateway_config
    if config:
        try:
            return detect_text(Path(config["files"][0]).read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, yaml.YAMLError):
            return None  # the AgentCore reader names the problem
    return "agentgateway" if detect(stack_file.sections["gateway"]) == "agentgateway" else None


def paste_gateway(stack_file: StackFile, documents: Mapping[str, dict[str, Any]],
                  variables: Mapping[str, str]) -> Pasted | None:
    """The paste of a gateway document (None for an overlay): `documents` are the composed idp/mcp documents
    the mapping adjusts."""
    from fake_gateway.notices import Notice
    from fake_gateway.shapes import Options, convert, detect, read_files

    if not is_paste(stack_file):
        return None
    if dialect_of(stack_file) == "agentgateway":
        return _paste_agentgateway(stack_file, documents, variables)
    section = stack_file.sections["gateway"]
    config = stack_file.gateway_config
    options = Options(select=config.get("select") if config else None,
                      parameters=dict(config.get("parameters") or {}) if config else {})
    if config:
        if detect(section) != "overlay":
            raise ConfigError(f"{stack_file.source}: give the gateway either as `gateway-config:` files or as a "
                              "`gateway:` document, not both (a `gateway:` overlay may patch the files)", key="gateway")
        conversion = read_files(config["files"], options)
    else:
        conversion = convert(section, options)
    if conversion.issues:
        lines = "\n".join(f"  gateway.{i.path}: {i.message}" if i.path else f"  gateway: {i.message}"
                          for i in conversion.issues)
        raise ConfigError(f"invalid `gateway` section ({conversion.shape}):\n{lines}", key="gateway")
    document = merge_patch(conversion.document, section) if config else conversion.document
    document = render(document, dict(variables), where="gateway")
    paste = Pasted(document, copy.deepcopy(documents["idp"]), copy.deepcopy(documents["mcp"]),
                   [*conversion.notices])
    _map(paste, dict(variables), Notice)
    _check(paste.gateway)
    return paste


def _check(document: dict[str, Any]) -> None:
    """Every problem of the pasted gateway at once, before anything is started or replaced."""
    from pydantic import ValidationError

    from fake_gateway import Gateway
    from harness._demo import invalid_section

    try:
        Gateway.from_document(document)
    except ValidationError as exc:
        raise invalid_section("gateway", exc) from exc


def _obj(value: Any) -> dict[str, Any]:
    """A JSON object member, or {} (the pasted document is not validated yet when it is mapped)."""
    return value if isinstance(value, dict) else {}


def _items(value: Any) -> list[dict[str, Any]]:
    """The objects of a JSON list member, or []."""
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []


def _map(paste: Pasted, variables: dict[str, str], notice: Any) -> None:
    _map_discovery(paste, variables, notice)
    _map_targets(paste, variables, notice)
    _map_providers(paste, variables, notice)


def _foreign(url: Any) -> bool:
    host = (urlsplit(url).hostname or "") if isinstance(url, str) else ""
    return bool(host) and host not in ("localhost", "::1") and not host.startswith("127.")


def _map_discovery(paste: Pasted, variables: dict[str, str], notice: Any) -> None:
    from fake_gateway.rules import valid_discovery_url

    jwt = _obj(paste.gateway.get("authorizerConfiguration")).get("customJWTAuthorizer")
    if not isinstance(jwt, dict) or not _foreign(jwt.get("discoveryUrl")) or not valid_discovery_url(
        str(jwt["discoveryUrl"])
    ):
        return  # a local URL is the user's; a malformed one is theirs to fix (validation says how)
    original = str(jwt["discoveryUrl"])
    parts = urlsplit(original)
    issuer_path = parts.path.split("/.well-known/")[0].rstrip("/")
    head = issuer_path.strip("/").split("/")[0] if issuer_path else ""
    if issuer_path and head not in IDP_ROUTES:
        issuer = variables["idp.url"] + issuer_path
        paste.issuer_path = issuer_path
        paste.idp["issuer"] = issuer
        for key in ("auth",):
            if isinstance(paste.mcp.get(key), dict):
                paste.mcp[key]["issuer"] = issuer
        local = issuer + "/.well-known/openid-configuration"
    else:
        issuer, local = variables["idp.issuer"], variables["idp.discovery_url"]
    jwt["discoveryUrl"] = local
    vendor = next((name for pattern, name in VENDORS if pattern.search(parts.hostname or "")), "auth0")
    paste.notices.append(notice("mapped", "authorizerConfiguration.customJWTAuthorizer.discoveryUrl",
                                f"{original} is served by the local IdP at {local} (issuer {issuer}, "
                                f"{vendor}-shaped tokens)"))
    _idp_for(paste, jwt, vendor, variables, notice)


def _idp_for(paste: Pasted, jwt: dict[str, Any], vendor: str, variables: dict[str, str], notice: Any) -> None:
    """APIs for allowedAudience, clients for allowedClients, the scopes allowedScopes names: what the pasted
    authorizer needs from the local IdP to accept its tokens."""
    from fake_idp.token_profiles import entra_app_id

    tenant = paste.idp
    scopes = [s for s in jwt.get("allowedScopes") or [] if isinstance(s, str)] \
        if isinstance(jwt.get("allowedScopes"), list) else []
    apis = tenant.setdefault("apis", [])
    m2m: dict[str, Any] = next((c for c in tenant.get("clients", []) if c.get("name") == "demo-m2m"), {})
    given: list[Any] = jwt["allowedAudience"] if isinstance(jwt.get("allowedAudience"), list) else []
    audiences = [a for a in given if isinstance(a, str)] or [variables["gateway.mcp_url"]]
    profiles = tenant.setdefault("emulator", {}).setdefault("token_profiles", {})
    for index, audience in enumerate(audiences):
        api = next((a for a in apis if a.get("identifier") == audience), None)
        if api is None:
            api = {"name": f"pasted-audience-{index}", "identifier": audience}
            apis.append(api)
        known = {s.get("value") if isinstance(s, dict) else s for s in api.get("scopes") or []}
        api["scopes"] = [*(api.get("scopes") or []), *({"value": s} for s in scopes if s not in known)]
        profiles[audience] = vendor
        clients = [m2m.get("client_id"), *_pasted_clients(tenant, jwt)]
        for client_id in filter(None, clients):
            _grant(tenant, client_id, audience, scopes)
        paste.notices.append(notice("mapped", "authorizerConfiguration.customJWTAuthorizer",
                                    f"local IdP API {audience!r} ({vendor} tokens, scopes {scopes}); mint with "
                                    f"`authstage token --audience {audience}`"))
        if vendor == "entra_v2" and (app_id := entra_app_id(audience)) not in audiences:
            paste.notices.append(notice(
                "warning", "authorizerConfiguration.customJWTAuthorizer.allowedAudience",
                f"Entra v2 access tokens carry the application ID in aud ({app_id!r} for {audience!r} here), not "
                f"the App ID URI: the gateway refuses them, as AgentCore does with a real Entra tenant; add "
                f"{app_id!r} to allowedAudience"))


def _pasted_clients(tenant: dict[str, Any], jwt: Mapping[str, Any]) -> list[str]:
    clients = tenant.setdefault("clients", [])
    ids = []
    given: list[Any] = jwt["allowedClients"] if isinstance(jwt.get("allowedClients"), list) else []
    for index, client_id in enumerate(c for c in given if isinstance(c, str)):
        if not any(c.get("client_id") == client_id for c in clients):
            clients.append({"name": f"pasted-client-{index}", "client_id": client_id,
                            "client_secret": f"demo-secret-not-for-production-pasted-{index}",
                            "app_type": "non_interactive", "grant_types": ["client_credentials"]})
        ids.append(client_id)
    return ids


def _grant(tenant: dict[str, Any], client_id: str, audience: str, scopes: list[str]) -> None:
    grants = tenant.setdefault("client_grants", [])
    grant = next((g for g in grants if g.get("client_id") == client_id and g.get("audience") == audience), None)
    if grant is None:
        grants.append({"client_id": client_id, "audience": audience, "scope": list(scopes)})
    else:
        grant["scope"] = sorted(set(grant.get("scope") or []) | set(scopes))


def _map_targets(paste: Pasted, variables: dict[str, str], notice: Any) -> None:
    for index, target in enumerate(_items(paste.gateway.get("targets"))):
        server = _obj(_obj(target.get("targetConfiguration")).get("mcp")).get("mcpServer")
        if not isinstance(server, dict) or not _foreign(server.get("endpoint")):
            continue
        original, server["endpoint"] = server["endpoint"], variables["mcp.mcp_url"]
        oauth = {"providerArn": _provider_name(target) or DEMO_PROVIDER, "scopes": ["search:read"],
                 "grantType": "CLIENT_CREDENTIALS", "customParameters": {"audience": variables["mcp.mcp_url"]}}
        target["credentialProviderConfigurations"] = [
            {"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": oauth}}]
        paste.notices.append(notice("mapped", f"targets[{index}].targetConfiguration.mcp.mcpServer.endpoint",
                                    f"target {target.get('name')!r}: {original} is served by the sample MCP "
                                    f"server at {server['endpoint']}, "
                                    "reached with the local IdP's gateway-outbound token"))


def _provider_name(target: Mapping[str, Any]) -> str | None:
    for cred in _items(target.get("credentialProviderConfigurations")):
        block = _obj(cred.get("credentialProvider")).get("oauthCredentialProvider")
        if isinstance(block, dict) and isinstance(block.get("providerArn"), str):
            return str(block["providerArn"])
    return None


def _map_providers(paste: Pasted, variables: dict[str, str], notice: Any) -> None:
    from fake_gateway.rules import provider_kind, provider_matches

    if not isinstance(paste.gateway.get("credentialProviders", []), list):
        return  # validation names it
    providers = paste.gateway.setdefault("credentialProviders", [])
    client: dict[str, Any] = next((c for c in paste.idp.get("clients", []) if c.get("name") == OUTBOUND_CLIENT), {})
    for kind, member in (("oauth2", "oauthCredentialProvider"), ("apikey", "apiKeyCredentialProvider")):
        for target in _items(paste.gateway.get("targets")):
            for cred in _items(target.get("credentialProviderConfigurations")):
                ref = _obj(_obj(cred.get("credentialProvider")).get(member)).get("providerArn")
                if not isinstance(ref, str) or any(provider_matches(p, ref) for p in _items(providers)):
                    continue
                providers.append(_local_provider(kind, ref.rsplit("/", 1)[-1], variables, client))
                paste.notices.append(notice("mapped", f"credentialProviders[{len(providers) - 1}]",
                                            f"{ref} is not in the document: the local IdP's {OUTBOUND_CLIENT} client"
                                            if kind == "oauth2" else f"{ref}: a demo API key stands in"))
    for index, provider in enumerate(providers):
        if isinstance(provider, dict) and provider_kind(provider) == "oauth2" and _foreign_provider(provider):
            name = provider.get("name", f"provider-{index}")
            providers[index] = _local_provider("oauth2", str(name), variables, client)
            paste.notices.append(notice("mapped", f"credentialProviders[{index}]",
                                        f"provider {name!r} gets its tokens from the local IdP ({OUTBOUND_CLIENT})"))
    if not providers:
        del paste.gateway["credentialProviders"]


def _foreign_provider(provider: Mapping[str, Any]) -> bool:
    union = _obj(provider.get("oauth2ProviderConfigInput") or provider.get("oauth2ProviderConfigOutput"))
    config = _obj(next(iter(union.values()), {})) if union else {}
    discovery = _obj(config.get("oauthDiscovery"))
    metadata = _obj(discovery.get("authorizationServerMetadata"))
    url = metadata.get("tokenEndpoint") or discovery.get("discoveryUrl")
    missing = not (config.get("clientId") and config.get("clientSecret"))
    return _foreign(url) or url is None or missing


def _local_provider(kind: str, name: str, variables: dict[str, str], client: Mapping[str, Any]) -> dict[str, Any]:
    if kind == "apikey":
        return {"name": name, "apiKey": "demo-api-key-not-for-production"}
    issuer = variables["idp.issuer"]
    metadata = {"issuer": issuer, "authorizationEndpoint": issuer + "authorize",
                "tokenEndpoint": variables["idp.token_endpoint"], "tokenEndpointAuthMethods": ["client_secret_post"]}
    return {"name": name, "credentialProviderVendor": "CustomOauth2", "oauth2ProviderConfigInput": {
        "customOauth2ProviderConfig": {"oauthDiscovery": {"authorizationServerMetadata": metadata},
                                       "clientId": client.get("client_id"),
                                       "clientSecret": client.get("client_secret")}}}


# --- agentgateway -------------------------------------------------------------------------------------------------


def _paste_agentgateway(stack_file: StackFile, documents: Mapping[str, dict[str, Any]],
                        variables: Mapping[str, str]) -> Pasted:
    """An agentgateway config, served as written: `gateway-config:` file text has the stack's `${idp.issuer}`-style
    variables rendered, then `${VAR}` expanded over the raw text before YAML (as agentgateway does, so flow syntax
    like `audiences: [${AUD}]` loads); a `gateway:` section keeps its `${VAR}`s for the gateway's own expansion."""
    from fake_gateway.notices import Notice

    config = stack_file.gateway_config
    if config:
        if stack_file.sections["gateway"]:
            raise ConfigError(f"{stack_file.source}: an agentgateway config is given whole: as `gateway-config:` "
                              "files or as a `gateway:` document, not both", key="gateway")
        if len(config["files"]) != 1:
            raise ConfigError("an agentgateway config is one file", key="gateway")
        document = _agentgateway_file(config["files"][0], dict(variables))
    else:
        document = render(stack_file.sections["gateway"], dict(variables), where="gateway")
    paste = Pasted(document, copy.deepcopy(documents["idp"]), copy.deepcopy(documents["mcp"]))
    _map_agentgateway(paste, dict(variables), Notice)
    _check_agentgateway(paste.gateway)
    return paste


def _agentgateway_file(path: str, variables: dict[str, str]) -> dict[str, Any]:
    import os

    import yaml

    from fake_gateway.agentgateway.expand import ExpansionError, expand_text

    try:
        text = render(Path(path).read_text(encoding="utf-8"), variables, where=path)
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: cannot read: {exc}", key="gateway") from exc
    try:
        document = yaml.safe_load(expand_text(text, os.environ))
    except ExpansionError as exc:
        try:  # perhaps `emulator.env` names it: the gateway's own loader expands the parsed document
            document = yaml.safe_load(text)
        except yaml.YAMLError:
            raise ConfigError(f"{path}: {exc}", key="gateway") from exc
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: {exc}", key="gateway") from exc
    if not isinstance(document, dict):
        raise ConfigError(f"{path}: an agentgateway config is a mapping", key="gateway")
    return document


def _agentgateway_routes(document: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every route of every topology (binds/listeners/routes, gateways + routes, the simplified `mcp:`), by path;
    the simplified form as a route whose dicts are the document's own (mapping it maps the document)."""
    found = []
    for b, bind in enumerate(_items(document.get("binds"))):
        for li, listener in enumerate(_items(bind.get("listeners"))):
            for r, route in enumerate(_items(listener.get("routes"))):
                found.append((f"binds[{b}].listeners[{li}].routes[{r}]", route))
    for r, route in enumerate(_items(document.get("routes"))):
        found.append((f"routes[{r}]", route))
    mcp = document.get("mcp")
    if isinstance(mcp, dict):
        found.append(("mcp", {"policies": mcp.get("policies"), "backends": [{"mcp": mcp}]}))
    return found


def _map_agentgateway(paste: Pasted, variables: dict[str, str], notice: Any) -> None:
    """A foreign `mcpAuthentication` issuer/JWKS is the local IdP (its audiences become IdP APIs with RBAC, the
    resource metadata's scopes their permissions); a foreign MCP target host is the sample server."""
    for where, route in _agentgateway_routes(paste.gateway):
        authn = _obj(route.get("policies")).get("mcpAuthentication")
        if isinstance(authn, dict):
            _map_agw_authn(paste, authn, f"{where}.policies.mcpAuthentication", variables, notice)
        for b, backend in enumerate(_items(route.get("backends"))):
            for t, target in enumerate(_items(_obj(backend.get("mcp")).get("targets"))):
                spec = target.get("mcp")
                if isinstance(spec, dict) and _foreign(spec.get("host")):
                    original, spec["host"] = spec["host"], variables["mcp.mcp_url"]
                    paste.notices.append(notice(
                        "mapped", f"{where}.backends[{b}].mcp.targets[{t}].mcp.host",
                        f"target {target.get('name')!r}: {original} is served by the sample MCP server at {spec['host']}"))


def _map_agw_authn(paste: Pasted, authn: dict[str, Any], where: str, variables: dict[str, str], notice: Any) -> None:
    jwks = authn.get("jwks")
    if _foreign(authn.get("issuer")):
        original, authn["issuer"] = authn["issuer"], variables["idp.issuer"]
        paste.notices.append(notice("mapped", f"{where}.issuer",
                                    f"{original} is the local IdP (issuer {authn['issuer']}, auth0-shaped tokens)"))
        scopes = [s for s in _obj(authn.get("resourceMetadata")).get("scopesSupported") or [] if isinstance(s, str)]
        audiences = [a for a in _list(authn.get("audiences")) if isinstance(a, str)]
        for audience in audiences:
            _rbac_api(paste.idp, audience, scopes)
            paste.notices.append(notice("mapped", f"{where}.audiences",
                                        f"local IdP API {audience!r} (RBAC, permissions {scopes} for demo-m2m); mint "
                                        f"with `authstage token --audience {audience}`"))
    if isinstance(jwks, dict) and _foreign(jwks.get("url")):
        original, jwks["url"] = jwks["url"], variables["idp.jwks_uri"]
        paste.notices.append(notice("mapped", f"{where}.jwks.url", f"{original} is the local IdP's {jwks['url']}"))


def _rbac_api(tenant: dict[str, Any], audience: str, scopes: list[str]) -> None:
    """`audience` as an IdP API with Auth0 RBAC (permissions in the token), `scopes` granted to demo-m2m."""
    apis = tenant.setdefault("apis", [])
    api = next((a for a in apis if a.get("identifier") == audience), None)
    if api is None:
        api = {"name": f"pasted-audience-{len(apis)}", "identifier": audience,
               "token_dialect": "rfc9068_profile_authz", "enforce_policies": True}
        apis.append(api)
    known = {s.get("value") if isinstance(s, dict) else s for s in api.get("scopes") or []}
    api["scopes"] = [*(api.get("scopes") or []), *({"value": s} for s in scopes if s not in known)]
    m2m: dict[str, Any] = next((c for c in tenant.get("clients", []) if c.get("name") == "demo-m2m"), {})
    if m2m.get("client_id"):
        _grant(tenant, str(m2m["client_id"]), audience, scopes)


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _check_agentgateway(document: dict[str, Any]) -> None:
    from pydantic import ValidationError

    from fake_gateway.agentgateway import AgentGateway
    from harness._demo import invalid_section

    try:
        AgentGateway.from_document(document)
    except ValidationError as exc:
        raise invalid_section("gateway", exc) from exc
