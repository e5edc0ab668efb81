"""The built-in demo stack: the three default documents wired together, the apps, and what `authstage up` prints."""

from __future__ import annotations

import json
import shlex
from typing import Any

from pydantic import ValidationError

from authstage_kit.access import Access
from harness._env import export_lines
from harness._exceptions import ConfigError
from harness._manifest import DEFAULT_USER

__all__ = ["DEFAULT_USER", "build_apps", "demo_documents", "gateway_app_for", "invalid_section", "summary"]

GATEWAY_OUTBOUND_CLIENT = "gateway-outbound"


def demo_documents(variables: dict[str, str], dialect: str = "agentcore") -> dict[str, dict[str, Any]]:
    """The demo default of each section, as the documents a stack file's sections merge over (`dialect`: which
    gateway: `agentcore`, or `agentgateway` for harness._agentgateway's demo)."""
    from fake_gateway import demo_gateway
    from fake_idp import demo_tenant
    from sample_mcp import SampleAuth, SampleSettings

    tenant = demo_tenant(gateway_resource=variables["gateway.mcp_url"], mcp_resource=variables["mcp.mcp_url"],
                         management_api=variables["idp.url"] + "/api/v2/")
    outbound = tenant.client_by_name(GATEWAY_OUTBOUND_CLIENT)
    assert outbound is not None and outbound.client_secret
    gateway = demo_gateway(
        discovery_url=variables["idp.discovery_url"],
        target_endpoint=variables["mcp.mcp_url"],
        token_endpoint=variables["idp.token_endpoint"],
        client_id=outbound.client_id,
        client_secret=outbound.client_secret,
        audience=variables["gateway.mcp_url"],
        target_audience=variables["mcp.mcp_url"],
    )
    mcp = SampleSettings(
        auth=SampleAuth(issuer=variables["idp.issuer"], audience=variables["mcp.mcp_url"], scopes=["search:read"])
    )
    documents = {
        "idp": tenant.model_dump(mode="json", exclude_none=True),
        "gateway": gateway.to_document(),
        "mcp": mcp.model_dump(mode="json", exclude_none=True),
    }
    if dialect == "agentgateway":
        from harness._agentgateway import agentgateway_documents

        return agentgateway_documents(variables, documents)
    return documents


def invalid_section(section: str, exc: Exception) -> ConfigError:
    if isinstance(exc, ValidationError):
        lines = [f"  {section}.{'.'.join(str(p) for p in e['loc'])}: {e['msg']}" for e in exc.errors(include_url=False)]
        return ConfigError(f"invalid `{section}` section:\n" + "\n".join(lines), key=section)
    return ConfigError(f"invalid `{section}` section: {exc}", key=section)


def build_apps(documents: dict[str, dict[str, Any]], variables: dict[str, str], *, control_plane: bool = True,
               access: Access | None = None) -> dict[str, Any]:
    """Validate the three documents into their models and build the three ASGI apps (`access`: who may use
    their control planes)."""
    from fake_idp import Tenant
    from fake_idp import create_app as idp_app
    from sample_mcp import SampleSettings
    from sample_mcp import create_app as mcp_app

    try:
        tenant = Tenant.load(_control_plane(documents["idp"], control_plane, "control_plane"), source="idp")
    except (ValidationError, ValueError) as exc:
        raise invalid_section("idp", exc) from exc
    gateway_app: Any = gateway_app_for(documents["gateway"], control_plane)
    try:
        settings = SampleSettings.model_validate({**documents["mcp"], **({} if control_plane else {"control_plane": False})})
    except ValidationError as exc:
        raise invalid_section("mcp", exc) from exc
    return {
        "idp": idp_app(tenant, base_url=variables["idp.url"], access=access),
        "gateway": gateway_app(base_url=variables["gateway.url"], access=access),
        "mcp": mcp_app(settings, base_url=variables["mcp.url"], access=access),
    }


def gateway_app_for(document: dict[str, Any], control_plane: bool = True) -> Any:
    """`create_app(base_url=, access=)` of the gateway the document is for (fake_gateway.dialect)."""
    from functools import partial

    from fake_gateway import Gateway, create_app
    from fake_gateway.dialect import detect

    document = _control_plane(document, control_plane, "controlPlane")
    try:
        if detect(document) == "agentgateway":  # imported only for it (its CEL engine loads prompt_toolkit)
            from fake_gateway.agentgateway import AgentGateway
            from fake_gateway.agentgateway import create_app as agentgateway_app

            return partial(agentgateway_app, AgentGateway.from_document(document))
        return partial(create_app, Gateway.from_document(document))
    except (ValidationError, ValueError) as exc:
        raise invalid_section("gateway", exc) from exc


def _control_plane(document: dict[str, Any], enabled: bool, knob: str) -> dict[str, Any]:
    """`--no-control-plane`: set each service's own knob (the IdP spells it snake_case, the AWS-shaped gateway camelCase)."""
    if enabled:
        return document
    emulator = dict(document.get("emulator") or {})
    emulator[knob] = False
    return {**document, "emulator": emulator}


def _browser_command() -> str:
    """The `authstage-browser` executable next to this interpreter (what `BROWSER=` must name)."""
    import shutil
    import sys
    from pathlib import Path

    sibling = Path(sys.executable).with_name("authstage-browser")
    return str(sibling) if sibling.exists() else shutil.which("authstage-browser") or "authstage-browser"


def _client_snippets(gateway_mcp: str) -> list[str]:
    """How Claude Code, Kiro and mcp-remote are pointed at the gateway."""
    claude = {"mcpServers": {"authstage": {"type": "http", "url": gateway_mcp}}}
    kiro = {"mcpServers": {"authstage": {"url": gateway_mcp}}}
    remote = {
        "mcpServers": {
            "authstage": {
                "command": "npx",
                "args": ["-y", "mcp-remote@0.15", gateway_mcp, "8976", "--host", "127.0.0.1"],
                "env": {"BROWSER": _browser_command()},
            }
        }
    }
    return [
        "  Claude Code:  claude mcp add --transport http authstage " + shlex.quote(gateway_mcp),
        "    .mcp.json:  " + json.dumps(claude),
        "  Kiro (.kiro/settings/mcp.json): " + json.dumps(kiro),
        "  mcp-remote (stdio bridge; BROWSER= logs in headlessly as the demo user): " + json.dumps(remote),
    ]


def _behind(manifest: dict[str, Any]) -> str:
    """What the sample server is to the gateway: the targets whose endpoint it is (the demo's `search-server`, or
    what a pasted gateway's MCP server targets were mapped to), or nothing."""
    targets = manifest.get("gateway", {}).get("sample_targets")
    if targets is None:
        return "behind the gateway"
    if not targets:
        return "not a target of the gateway"
    names = ", ".join(f"`{name}`" for name in targets)
    return f"behind the gateway as target{'s' if len(targets) > 1 else ''} {names}"


def _notice_lines(notices: list[dict[str, str]]) -> list[str]:
    """Nothing ignored silently: what loading the gateway config converted, mapped, ignored or warns about."""
    if not notices:
        return []
    lines = ["", f"  Gateway configuration ({len(notices)} notices):"]
    for notice in notices:
        where = f"{notice['path']}: " if notice.get("path") else ""
        lines.append(f"    {notice['kind']:<9} {where}{notice['message']}")
    return lines


def _console_lines(manifest: dict[str, Any]) -> list[str]:
    """The browser view's URL (with the control token in its fragment when the stack listens beyond loopback:
    a fragment never reaches a server or its log)."""
    lines = []
    if "console" in manifest:
        token = manifest.get("control_token")
        url = manifest["console"]["url"] + "/" + (f"#token={token}" if token else "")
        lines.append(f"  Browser view           {url}   (live requests, sequence diagram, token decoder, faults)")
    if manifest.get("control_token"):
        lines.append(f"  Control token          {manifest['control_token']}   (X-Authstage-Token on /_authstage/)")
    return lines


def summary(manifest: dict[str, Any]) -> str:
    """What `authstage up` prints for a person: URLs, credentials, a curl that works, client snippets."""
    idp, gateway = manifest["services"]["idp"], manifest["services"]["gateway"]
    first = manifest.get("gateway", {}).get("first_call") or {}
    client = manifest["clients"].get(first.get("client", "demo-m2m"), {})
    gateway_mcp = gateway["mcp_url"]
    secret = f"-d client_secret={client['client_secret']} " if client.get("client_secret") else ""
    token_cmd = (
        f"TOKEN=$(curl -s {idp['token_endpoint']} -d grant_type=client_credentials "
        f"-d client_id={client.get('client_id', '')} {secret}"
        f"--data-urlencode audience={shlex.quote(first.get('audience', gateway_mcp))} "
        "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')"
    )
    version = first.get("protocol_version", "2025-11-25")
    headers = (f"-H \"Authorization: Bearer $TOKEN\" -H 'Content-Type: application/json' "
               f"-H 'Accept: application/json, text/event-stream' -H 'MCP-Protocol-Version: {version}'")
    list_cmd = f"curl -s {gateway_mcp} {headers} -d '{{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"tools/list\"}}'"
    if manifest.get("gateway", {}).get("dialect") == "agentgateway":  # a stateful MCP session: initialize first
        initialize = ('{"jsonrpc":"2.0","id":0,"method":"initialize","params":{"protocolVersion":"' + version
                      + '","capabilities":{},"clientInfo":{"name":"curl","version":"1"}}}')
        list_cmd = (f"SESSION=$(curl -s -D - -o /dev/null {gateway_mcp} {headers} -d '{initialize}' "
                    "| awk 'tolower($1)==\"mcp-session-id:\" {print $2}' | tr -d '\\r')\n    "
                    + list_cmd.replace(" -d '", " -H \"Mcp-Session-Id: $SESSION\" -d '", 1))
    users = ", ".join(f"{email} / {u['password']}" for email, u in manifest["users"].items())
    dialect = manifest.get("gateway", {}).get("dialect")
    gateway_title = f"  Gateway ({'agentgateway' if dialect == 'agentgateway' else 'AgentCore'})"
    lines = [
        "authstage is up (Ctrl-C stops it)",
        "",
        f"  IdP (Auth0-style)      {idp['url']}    issuer {idp['issuer']}",
        f"                         discovery {idp['discovery_url']}",
        f"{gateway_title:<25}{gateway_mcp}",
        f"                         protected-resource metadata {gateway['prm_url']}",
        f"  MCP server (sample)    {manifest['services']['mcp']['mcp_url']}   ({_behind(manifest)})",
        *_console_lines(manifest),
        *_notice_lines(manifest.get("gateway", {}).get("notices") or []),
        "",
        "  Clients:",
        *(
            f"    {name:<17} client_id={c.get('client_id')}"
            + (f"  client_secret={c['client_secret']}  ({c.get('token_endpoint_auth_method') or 'client_secret_post'})"
               if c.get("client_secret") else "  (public, PKCE)")
            for name, c in manifest["clients"].items()
        ),
        f"  Users: {users}  (a browser sees the login page; authstage-browser and login_hint log in as "
        f"{manifest['default_user']} without one; DCR on)",
        "",
        "  Mint a token and list the tools through the gateway:",
        f"    {token_cmd}",
        f"    {list_cmd}",
        "",
        *_client_snippets(gateway_mcp),
        "",
        "  Run a setup script unchanged (boto3, the AWS CLI, auth0-python; docs/setup-scripts.md):",
        *(f"    {line}" for line in export_lines(manifest.get("env", {}))),
        "",
        "  Requests (service, method, path, status, why it was refused):",
    ]
    return "\n".join(lines)
