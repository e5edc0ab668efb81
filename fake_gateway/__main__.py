"""`python -m fake_gateway --config FILE [--host 127.0.0.1] [--port N] [--json] [--no-control-plane]`."""

from __future__ import annotations

import sys
from functools import partial
from typing import Any

from pydantic import ValidationError

from authstage_kit.runner import serve_main, service_parser
from fake_gateway.app import create_app
from fake_gateway.settings import Gateway
from fake_gateway.shapes import Options


def main(argv: list[str] | None = None) -> int:
    parser = service_parser("fake_gateway", "Fake AWS AgentCore MCP gateway.")
    parser.add_argument(
        "--config",
        required=True,
        action="append",
        help="gateway config in any shape (get-gateway output, CloudFormation/CDK, Terraform JSON, Pulumi, "
        "agentcore-cli project, ...); repeat to add get-gateway-target outputs and Cedar files",
    )
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="template parameter")
    parser.add_argument("--gateway", help="which gateway of several (logical id, address or name)")
    args = parser.parse_args(argv)
    options = Options(select=args.gateway, parameters=dict(p.partition("=")[::2] for p in args.param))
    try:
        gateway = Gateway.from_files(args.config, options)
    except ValidationError as exc:
        print(f"{', '.join(args.config)}: ValidationException", file=sys.stderr)
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            print(f"  {where}: {err['msg']}", file=sys.stderr)
        return 2
    for notice in gateway.notices:  # nothing ignored silently
        print(f"fake_gateway: {notice}", file=sys.stderr)
    if args.no_control_plane:
        gateway = Gateway.from_document(
            {
                **gateway.to_document(),
                "emulator": {**gateway.emulator.model_dump(mode="json"), "controlPlane": False},
            }
        )

    def ready(url: str, app: Any) -> dict[str, Any]:
        line: dict[str, Any] = {
            "service": "fake_gateway",
            "url": url,
            "mcp_url": f"{url}/mcp",
            "prm_url": f"{url}/.well-known/oauth-protected-resource",
        }
        if gateway.notices:
            line["notices"] = [n.to_dict() for n in gateway.notices]
        return line

    def summary(url: str, app: Any) -> str:
        return f"fake_gateway {gateway.view.name!r} listening on {url} (MCP endpoint {url}/mcp)"

    return serve_main(partial(create_app, gateway), service="fake_gateway", args=args, ready=ready, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
