"""`python -m sample_mcp`: serve the sample MCP server until Ctrl-C."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from pydantic import ValidationError

from authstage_kit.access import Access
from authstage_kit.runner import serve_main, service_parser
from sample_mcp.app import create_app
from sample_mcp.settings import SampleAuth, SampleSettings


def build_parser() -> argparse.ArgumentParser:
    parser = service_parser("sample_mcp", "Sample MCP server with a `search` tool.")
    parser.add_argument("--config", help="YAML/JSON settings file (the stack file's `mcp:` section)")
    parser.add_argument("--sessions", action="store_true", help="stateful sessions (Mcp-Session-Id) with SSE")
    parser.add_argument("--auth-issuer", help="protect /mcp: expected token issuer")
    parser.add_argument(
        "--auth-audience", help="protect /mcp: expected token audience (this server's resource URL)"
    )
    parser.add_argument("--auth-scope", action="append", default=[], help="required scope (repeatable)")
    parser.add_argument(
        "--stdio", action="store_true", help="serve MCP over stdin/stdout instead (a stdio target; no auth)"
    )
    return parser


def settings_from(args: argparse.Namespace) -> SampleSettings:
    settings = SampleSettings.from_file(args.config) if args.config else SampleSettings()
    update: dict[str, Any] = {}
    if args.sessions:
        update["sessions"] = True
    if args.no_control_plane:
        update["control_plane"] = False
    if args.auth_issuer or args.auth_audience:
        if not (args.auth_issuer and args.auth_audience):
            raise SystemExit("sample_mcp: --auth-issuer and --auth-audience go together")
        update["auth"] = SampleAuth(
            issuer=args.auth_issuer, audience=args.auth_audience, scopes=args.auth_scope
        )
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        update["allowed_hosts"] = [*settings.allowed_hosts, f"{args.host}:*"]
    return settings.model_copy(update=update)


def run(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        settings = settings_from(args)
    except (OSError, ValidationError) as exc:
        print(f"sample_mcp: bad settings: {exc}", file=sys.stderr)
        return 2
    if args.stdio:
        return serve_stdio(settings)

    def ready(url: str, app: Any) -> dict[str, Any]:
        return {"service": "sample_mcp", "url": url, "mcp_url": f"{url}/mcp"}

    def summary(url: str, app: Any) -> str:
        mode = "stateful SSE sessions" if settings.sessions else "stateless JSON"
        auth = f", protected for audience {settings.auth.audience}" if settings.auth else ", unauthenticated"
        return (
            f"sample_mcp ready: MCP endpoint {url}/mcp ({mode}{auth}).\n"
            f"Try: npx @modelcontextprotocol/inspector --cli {url}/mcp --transport http --method tools/list"
        )

    def build(base_url: str, access: Access) -> Any:  # the origin stays the Host the client called
        return create_app(settings, access=access)

    return serve_main(build, service="sample_mcp", args=args, ready=ready, summary=summary)


def serve_stdio(settings: SampleSettings) -> int:
    """The same tools over stdio (MCP basic/transports §stdio): what a gateway spawns as a stdio target."""
    import anyio

    from sample_mcp.corpus import Corpus
    from sample_mcp.tools import build_server

    server = build_server(lambda: settings, Corpus.load())
    anyio.run(server.run_stdio_async)
    return 0


if __name__ == "__main__":
    sys.exit(run())
