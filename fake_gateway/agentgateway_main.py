"""`python -m fake_gateway --config config.yaml` for an agentgateway config: load it as agentgateway does (printing
its error, or the lenient loader's warnings, in agentgateway's log style), serve the traffic port (the config's
first `port` unless `--port` is given, as `agentgateway -f` does) and the admin, stats and readiness surfaces at
`config.adminAddr` (default localhost:15000), `statsAddr` (:15020) and `readinessAddr` (:15021), on loopback.
"""

from __future__ import annotations

import argparse
import sys
import time
from functools import partial
from typing import Any

from pydantic import ValidationError

from authstage_kit.errors import ServerStartError
from authstage_kit.runner import ServerThread, serve_main
from fake_gateway.agentgateway.app import admin_apps, create_app
from fake_gateway.agentgateway.config import mcp_paths
from fake_gateway.agentgateway.settings import AgentGateway

__all__ = ["serve"]

ADMIN_DEFAULTS = {"admin": ("adminAddr", 15000), "stats": ("statsAddr", 15020), "readiness": ("readinessAddr", 15021)}


def _log(level: str, target: str, message: str) -> None:
    """agentgateway's log line shape (WEB auth0.md#L187-L195): `<time>  info  state_manager  loaded config ...`."""
    stamp = time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime())
    print(f"{stamp}.000000Z\t{level}\t{target}\t{message}", file=sys.stderr, flush=True)


def _port_of(address: Any, default: int) -> int:
    text = str(address or "")
    tail = text.rsplit(":", 1)[-1]
    return int(tail) if tail.isdigit() else default


def _admin_servers(app: Any, startup: dict[str, Any]) -> list[ServerThread]:
    servers = []
    for name, surface in admin_apps(app).items():
        key, default = ADMIN_DEFAULTS[name]
        try:
            server = ServerThread(surface, port=_port_of(startup.get(key), default), name=f"agentgateway-{name}")
            server.start()
        except ServerStartError as exc:
            _log("warn", "app", f"{name} surface not served: {exc}")
            continue
        if name == "admin":
            _log("info", "app", f"serving UI at http://localhost:{server.port}/ui")
        servers.append(server)
    return servers


def serve(args: argparse.Namespace, text: str) -> int:
    emulator: dict[str, Any] = {}
    if args.strict:
        emulator["loader"] = "strict"
    if args.no_control_plane:
        emulator["controlPlane"] = False
    try:
        gateway = AgentGateway.from_text(text, emulator=emulator or None)
    except ValidationError as exc:
        for err in exc.errors(include_url=False):
            _log("error", "state_manager", f'failed to load config from File("{args.config}"): {err["msg"]}')
        return 1
    _log("info", "state_manager", f'loaded config from File("{args.config}")')
    for warning in gateway.loaded.warnings:
        _log("warn", "authstage", str(warning))
    if args.port == 0 and gateway.loaded.ports:
        args.port = gateway.loaded.ports[0]
    extras: list[ServerThread] = []

    def build(base_url: str, access: Any) -> Any:
        app = create_app(gateway, base_url=base_url, access=access)
        extras.extend(_admin_servers(app, gateway.loaded.startup))
        return app

    paths = mcp_paths(gateway.loaded)  # the config's MCP routes (`/crm/mcp`), not a fixed /mcp

    def ready(url: str, app: Any) -> dict[str, Any]:
        return {"service": "fake_gateway", "dialect": "agentgateway", "url": url, "mcp_url": f"{url}{paths[0]}",
                "mcp_urls": [f"{url}{path}" for path in paths],
                "prm_url": f"{url}/.well-known/oauth-protected-resource{paths[0]}",
                "admin": {s.name.removeprefix("agentgateway-"): s.url for s in extras}}

    def summary(url: str, app: Any) -> str:
        endpoints = ", ".join(f"{url}{path}" for path in paths)
        return f"fake_gateway (agentgateway) listening on {url} (MCP endpoint{'s' if len(paths) > 1 else ''} {endpoints})"

    try:
        return serve_main(partial(build), service="fake_gateway", args=args, ready=ready, summary=summary)
    finally:
        for server in extras:
            server.stop()
