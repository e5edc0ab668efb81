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
from fake_gateway.dialect import detect
from fake_gateway.settings import Gateway


def main(argv: list[str] | None = None) -> int:
    parser = service_parser("fake_gateway", "Fake AWS AgentCore MCP gateway, or agentgateway.")
    parser.add_argument(
        "--config",
        required=True,
        help="gateway document: AgentCore (get-gateway + targets + credentialProviders [+ emulator]) or an "
        "agentgateway config (binds/gateways/routes/mcp [+ emulator])",
    )
    parser.add_argument("--strict", action="store_true", help="agentgateway: refuse what agentgateway refuses")
    args = parser.parse_args(argv)
    try:
        text = Path(args.config).read_text(encoding="utf-8")
        dialect = detect(yaml.safe_load(text.replace("${", "$_{")))
    except (OSError, yaml.YAMLError) as exc:
        print(f"{args.config}: {exc}", file=sys.stderr)
        return 2
    if dialect == "agentgateway":
        from fake_gateway.agentgateway_main import serve

        return serve(args, text)
    try:
        gateway = Gateway.from_file(args.config)
    except ValidationError as exc:
        print(f"{args.config}: ValidationException", file=sys.stderr)
        for err in exc.errors(include_url=False):
            where = ".".join(str(p) for p in err["loc"])
            print(f"  {where}: {err['msg']}", file=sys.stderr)
        return 2
    except (OSError, ValueError) as exc:
        print(f"{args.config}: {exc}", file=sys.stderr)
        return 2
    if args.no_control_plane:
        gateway = Gateway.from_document(
            {
                **gateway.to_document(),
                "emulator": {**gateway.emulator.model_dump(mode="json"), "controlPlane": False},
            }
        )

    def ready(url: str, app: Any) -> dict[str, Any]:
        return {
            "service": "fake_gateway",
            "url": url,
            "mcp_url": f"{url}/mcp",
            "prm_url": f"{url}/.well-known/oauth-protected-resource",
        }

    def summary(url: str, app: Any) -> str:
        return f"fake_gateway {gateway.view.name!r} listening on {url} (MCP endpoint {url}/mcp)"

    return serve_main(partial(create_app, gateway), service="fake_gateway", args=args, ready=ready, summary=summary)


if __name__ == "__main__":
    sys.exit(main())
