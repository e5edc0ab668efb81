"""``python -m fake_idp``: serve a fake Auth0 tenant on loopback until Ctrl-C.

    python -m fake_idp [--config FILE] [--host 127.0.0.1] [--port N] [--json] [--no-control-plane]

Without ``--config`` the built-in demo tenant is served. ``--json`` prints one ready line with the issuer,
the endpoint URLs, the APIs' identifiers and the clients' credentials (demo secrets are obviously fake).
"""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

from authstage_kit.runner import serve_main, service_parser
from fake_idp.app import create_app
from fake_idp.demo import demo_tenant
from fake_idp.deploy_cli import load_tenant_file
from fake_idp.tenant import Tenant, TenantConfigError

__all__ = ["main", "ready_line"]


def ready_line(url: str, app: Any) -> dict[str, Any]:
    tenant: Tenant = app.state.control.tenant
    base = url.rstrip("/")
    issuer = tenant.issuer or base + "/"
    return {
        "service": "fake_idp",
        "url": url,
        "issuer": issuer,
        "discovery_url": base + "/.well-known/openid-configuration",
        "jwks_uri": base + "/.well-known/jwks.json",
        "token_endpoint": base + "/oauth/token",
        "apis": {a.name: a.identifier for a in tenant.apis},
        "clients": {
            c.name: {"client_id": c.client_id, "client_secret": c.client_secret} for c in tenant.clients
        },
    }


def _summary(url: str, app: Any) -> str:
    info = ready_line(url, app)
    lines = [
        f"fake_idp listening on {url}",
        f"  issuer     {info['issuer']}",
        f"  discovery  {info['discovery_url']}",
    ]
    for name, ident in info["apis"].items():
        lines.append(f"  api        {name}: {ident}")
    for name, cred in info["clients"].items():
        lines.append(f"  client     {name}: {cred['client_id']}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = service_parser("fake_idp", "Serve a fake Auth0-style tenant.")
    parser.add_argument("--config", help="tenant YAML/JSON file (default: the built-in demo tenant)")
    args = parser.parse_args(argv)
    try:
        tenant = load_tenant_file(args.config) if args.config else demo_tenant()
    except TenantConfigError as exc:
        print(f"fake_idp: {exc}", file=sys.stderr)
        return 2
    if args.no_control_plane:
        tenant = tenant.model_copy(
            update={"emulator": tenant.emulator.model_copy(update={"control_plane": False})}
        )

    return serve_main(partial(create_app, tenant), service="fake_idp", args=args, ready=ready_line, summary=_summary)


if __name__ == "__main__":
    sys.exit(main())
