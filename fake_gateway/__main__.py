"""`python -m fake_gateway --config FILE [--host 127.0.0.1] [--port N] [--json] [--no-control-plane]`.

The document picks the dialect (`fake_gateway.dialect`): an AWS AgentCore gateway document, or an agentgateway
config (`agentgateway_main.py`).
"""

from __future__ import annotations

import sys
from functools import partial
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from authstage_kit.runner import serve_main, service_parser
from fake_gateway.app import create_app
from fake_gateway.dialect import detect_text
from fake_gateway.settings import Gateway
from fake_gateway.shapes import Options


def main(argv: list[str] | None = None) -> int:
    parser = service_parser("fake_gateway", "Fake AWS AgentCore MCP gateway, or agentgateway.")
    parser.add_argument(
        "--config",
        required=True,
        action="append",
        help="gateway config in any shape: AgentCore (get-gateway output, CloudFormation/CDK, Terraform JSON, "
        "Pulumi, agentcore-cli project, ...; repeat to add get-gateway-target outputs and Cedar files) or an "
        "agentgateway config (binds/gateways/routes/mcp [+ emulator])",
    )
    parser.add_argument("--param", action="append", default=[], metavar="NAME=VALUE", help="template parameter")
    parser.add_argument("--select", help="which gateway of several (logical id, address or name)")
    parser.add_argument("--strict", action="store_true", help="agentgateway: refuse what agentgateway refuses")
    args = parser.parse_args(argv)
    options = Options(select=args.select, parameters=dict(p.partition("=")[::2] for p in args.param))
    try:
        text = Path(args.config[0]).read_text(encoding="utf-8")
        dialect = detect_text(text)
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as exc:
        print(f"{args.config[0]}: {exc}", file=sys.stderr)
        return 2
    if dialect == "agentgateway" and len(args.config) == 1:
        from fake_gateway.agentgateway_main import serve

        args.config = args.config[0]
        return serve(args, text)
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
