"""The manifest: the JSON document that names a running stack's URLs, demo clients and users (with credentials).

`authstage up --json` prints it as its first line; `authstage up` leaves it in `$AUTHSTAGE_HOME/manifest.json`
(default `~/.authstage/`, mode 0600) so that `authstage token`, `explain` and `browser` find the running stack;
`ProcessStack.attach_manifest` drives a stack from it.
"""

from __future__ import annotations

import contextlib
import functools
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from harness._env import environment
from harness._exceptions import AuthstageError

__all__ = ["DEFAULT_USER", "TokenRequest", "build_manifest", "local_client", "manifest_path", "remove_manifest",
           "running_manifest", "token_request", "version", "write_manifest"]

DEFAULT_USER = "alice@example.test"

CLIENT_KEYS = ("client_id", "client_secret", "app_type", "grant_types", "token_endpoint_auth_method", "callbacks")


@functools.cache
def version() -> str:
    """The installed authstage's version (pyproject), or 0+unknown when running from a bare checkout."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("authstage")
    except PackageNotFoundError:
        return "0+unknown"


def build_manifest(
    tenant: dict[str, Any],
    services: dict[str, dict[str, str]],
    *,
    control_token: str | None = None,
    gateway_notices: list[dict[str, str]] | None = None,
    sample_targets: list[str] | None = None,
    first_call: dict[str, str] | None = None,
    tls: dict[str, str] | None = None,
    region: str = "us-east-1",
    aws: bool = True,
) -> dict[str, Any]:
    """The manifest of a stack: `tenant` is the IdP's document, `services` each service's `url` and named URLs;
    `control_token` the token its control planes require (only when it listens beyond loopback); `sample_targets`
    the gateway's targets that the sample server serves (None: not known for this dialect); `first_call` the client,
    audience and protocol version a first call to the gateway needs (`Stack.first_call`); `tls` the
    stack CA's files when it serves HTTPS; `env` every line `authstage up` prints (harness/_env.py)."""
    clients = {
        client["name"]: {key: client[key] for key in CLIENT_KEYS if client.get(key) is not None}
        for client in tenant.get("clients", [])
    }
    users = {
        user["email"]: {"password": user.get("password"), "user_id": user.get("user_id")}
        for user in tenant.get("users", [])
        if user.get("email")
    }
    apis = {api["name"]: api["identifier"] for api in tenant.get("apis", [])}
    idp, gateway, mcp = services["idp"], services["gateway"], services["mcp"]
    management = tenant.get("management_api")  # the Management API and its API Explorer application
    env = environment(gateway_url=gateway["url"], idp_url=idp["url"], mcp_url=mcp["mcp_url"], region=region,
                      management=management, tls=tls, aws=aws)
    return {
        "authstage": version(),
        "services": services,
        "idp": {"url": idp["url"], "issuer": idp["issuer"], "discovery_url": idp["discovery_url"]},
        "gateway": {"url": gateway["url"], "mcp_url": gateway["mcp_url"], "prm_url": gateway["prm_url"],
                    "dialect": "agentcore" if aws else "agentgateway", "notices": list(gateway_notices or []),
                    **({"sample_targets": sample_targets} if sample_targets is not None else {}),
                    **({"first_call": first_call} if first_call is not None else {})},
        "mcp": {"url": mcp["url"], "mcp_url": mcp["mcp_url"]},
        "apis": apis,
        "clients": clients,
        "users": users,
        "default_user": tenant.get("settings", {}).get("headless_default_user") or DEFAULT_USER,
        "auth0": {"domain": env["AUTH0_DOMAIN"],
                  **({"management_audience": management["identifier"],
                      "management_client": management.get("client_name", "api-explorer")} if management else {})},
        **({"aws": {"endpoint_url": gateway["url"], "region": region}} if aws else {}),
        **({"tls": tls} if tls else {}),
        "env": env,
        **({"control_token": control_token} if control_token else {}),
    }


@dataclass
class TokenRequest:
    """A token-endpoint POST as a manifest's client sends it: form `data`, and HTTP Basic `auth` when registered so."""

    url: str
    data: dict[str, str]
    auth: tuple[str, str] | None = None


def token_request(
    manifest: dict[str, Any],
    client: str,
    *,
    audience: str | None = None,
    resource: str | None = None,
    scope: str | None = None,
    grant_type: str = "client_credentials",
    **params: str,
) -> TokenRequest:
    """The request `client` of `manifest` makes (its secret as its `token_endpoint_auth_method` says); a
    client-credentials request without `audience` or `resource` asks for the gateway."""
    clients = manifest["clients"]
    if client not in clients:
        raise AuthstageError(f"no client named {client!r}; the stack has {', '.join(clients)}")
    info = clients[client]
    body: dict[str, str] = {"grant_type": grant_type, "client_id": info["client_id"], **params}
    basic: tuple[str, str] | None = None
    if info.get("client_secret") and info.get("token_endpoint_auth_method") == "client_secret_basic":
        basic = (info["client_id"], info["client_secret"])  # RFC 6749 §2.3.1, as the client is registered
        del body["client_id"]
    elif info.get("client_secret"):
        body["client_secret"] = info["client_secret"]
    if audience is not None:
        body["audience"] = audience
    if resource is not None:
        body["resource"] = resource
    if audience is None and resource is None and grant_type == "client_credentials":
        first = manifest.get("gateway", {}).get("first_call") or {}
        body["audience"] = first.get("audience") or manifest["services"]["gateway"]["mcp_url"]
    if scope is not None:
        body["scope"] = scope
    return TokenRequest(manifest["services"]["idp"]["token_endpoint"], body, basic)


def manifest_path() -> Path:
    """Where a running `authstage up` leaves its manifest for `authstage token` / `explain`."""
    root = os.environ.get("AUTHSTAGE_HOME") or os.path.join(os.path.expanduser("~"), ".authstage")
    return Path(root) / "manifest.json"


def write_manifest(manifest: dict[str, Any]) -> Path | None:
    """Leave `manifest` at `manifest_path()` (owner-only: it holds the demo secrets); None if it cannot be written."""
    path = manifest_path()
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(manifest, indent=2))
        os.chmod(path, 0o600)
    except OSError:
        return None
    return path


def remove_manifest(path: Path, manifest: dict[str, Any]) -> None:
    """Remove the file `write_manifest` left, unless another stack has written its own there since."""
    with contextlib.suppress(OSError, ValueError):
        if json.loads(path.read_text()).get("services") == manifest["services"]:
            path.unlink()


def running_manifest(explicit: str | None) -> dict[str, Any] | None:
    """The manifest of the stack that answers at its IdP's discovery URL (file `explicit`, else the default path).

    None when no stack answers; with an `explicit` file, that is an `AuthstageError` instead."""
    import httpx  # here, not at the top: `authstage decode` and `--help` never need it

    path = Path(explicit) if explicit else manifest_path()
    try:
        manifest: dict[str, Any] = json.loads(path.read_text())
        discovery_url = manifest["services"]["idp"]["discovery_url"]
        with local_client(discovery_url, manifest, timeout=2) as http:
            http.get(discovery_url).raise_for_status()
        return manifest
    except (OSError, ValueError, KeyError, TypeError, httpx.HTTPError):
        if explicit:
            raise AuthstageError(f"no running stack answers for manifest {explicit}") from None
        return None


def local_client(url: str, manifest: dict[str, Any] | None = None, *, timeout: float = 30.0) -> Any:
    """An httpx client for a stack's URLs: no proxy from the environment; for an HTTPS stack the manifest's CA
    (`authstage up --tls`), and no CA bundle loaded for a plain `http://` one (httpx reads certifi's ~150 KB on
    every client it makes; nothing speaks TLS then)."""
    import httpx

    ca_file = ((manifest or {}).get("tls") or {}).get("ca_file")
    verify: Any = not url.startswith("http://")
    if verify and ca_file:
        import ssl

        verify = ssl.create_default_context(cafile=ca_file)
    return httpx.Client(timeout=timeout, trust_env=False, verify=verify)
