"""The ``authstage`` command."""

from __future__ import annotations

import argparse
import sys

__all__ = ["main"]


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authstage", description="Local OAuth + MCP chain: IdP, gateway, MCP server."
    )
    sub = parser.add_subparsers(dest="command", required=True)
    up = sub.add_parser("up", help="start the stack and serve until Ctrl-C")
    up.add_argument("--host", default="127.0.0.1")
    up.add_argument("--port", type=int, default=0)
    up.add_argument("--json", action="store_true", help="print one JSON ready line")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    if args.command == "up":
        from sample_mcp.__main__ import run

        return run(["--host", args.host, "--port", str(args.port), *(["--json"] if args.json else [])])
    return 2


if __name__ == "__main__":
    sys.exit(main())
