"""The `authstage` command: `up`, `token`, `decode`, `explain`, `browser`, `replay`."""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import json
import os
import signal
import sys
import threading
from pathlib import Path
from typing import Any

import httpx

from harness._exceptions import AuthstageError

__all__ = ["main"]

TIME_CLAIMS = ("iat", "exp", "nbf", "auth_time", "updated_at")


def manifest_path() -> Path:
    """Where a running `authstage up` leaves its manifest for `authstage token` / `explain`."""
    root = os.environ.get("AUTHSTAGE_HOME") or os.path.join(os.path.expanduser("~"), ".authstage")
    return Path(root) / "manifest.json"


# -- up -------------------------------------------------------------------------------------------------------------
def _request_line(record: dict[str, Any]) -> str:
    reason = f"  — {record['reason']}" if record.get("reason") and record["status"] >= 400 else ""
    path = record["path"]
    return f"[{record['service']:>7}] {record['method']:<6} {path} {record['status']}{reason}"


def cmd_up(args: argparse.Namespace) -> int:
    from harness._demo import summary
    from harness._stack import Stack

    try:
        stack = Stack(args.config, host=args.host, port_base=args.port_base,
                      control_plane=not args.no_control_plane).start()
    except AuthstageError as exc:
        print(f"authstage: {exc}", file=sys.stderr)
        return 2
    manifest = stack.manifest
    # A terminal user's `authstage token` / `explain` / `browser` find the running stack through this file; a
    # program that asked for --json reads the manifest from stdout instead (and no file is shared under xdist).
    path: Path | None = None if args.json else manifest_path()
    if path is not None:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(json.dumps(manifest, indent=2))
            os.chmod(path, 0o600)
        except OSError:
            path = None
    if args.json:
        print(json.dumps(manifest), flush=True)
    else:
        print(summary(stack), flush=True)
    if not args.quiet and args.control_plane_lines:
        stream = sys.stderr if args.json else sys.stdout
        lock = threading.Lock()

        def show(record: dict[str, Any]) -> None:
            with lock:
                print(_request_line(record), file=stream, flush=True)

        stack.subscribe(show)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    stack.stop()
    if path is not None:
        try:
            if json.loads(path.read_text()).get("services") == manifest["services"]:
                path.unlink()
        except (OSError, ValueError):
            pass
    if not args.json:
        print("authstage: stopped", flush=True)
    return 0


# -- token ----------------------------------------------------------------------------------------------------------
def _running_manifest(explicit: str | None) -> dict[str, Any] | None:
    path = Path(explicit) if explicit else manifest_path()
    try:
        manifest = json.loads(path.read_text())
        httpx.get(manifest["services"]["idp"]["discovery_url"], timeout=2).raise_for_status()
        return manifest
    except (OSError, ValueError, KeyError, httpx.HTTPError):
        if explicit:
            raise AuthstageError(f"no running stack answers for manifest {explicit}") from None
        return None


def cmd_token(args: argparse.Namespace) -> int:
    from harness._stack import ProcessStack, Stack

    manifest = _running_manifest(args.manifest)
    stack: Stack
    fresh = manifest is None
    if fresh:
        stack = Stack().start()
    else:
        stack = ProcessStack()
        stack.attach_manifest(manifest)  # type: ignore[arg-type]
    try:
        response = stack.token_response(args.client, audience=args.audience, resource=args.resource, scope=args.scope)
        if response.status_code != 200:
            print(f"authstage token: {response.status_code} {response.text}", file=sys.stderr)
            return 1
        body = response.json()
        print(json.dumps(body, indent=2) if args.json else body["access_token"])
        if fresh:
            print("authstage token: minted by a fresh stack that is gone now; its keys are too. Start `authstage up`"
                  " first for a token a running gateway accepts.", file=sys.stderr)
        return 0
    finally:
        stack.stop()  # a fresh stack stops; an attached one only closes its client (it owns no process)


# -- decode ---------------------------------------------------------------------------------------------------------
def _b64json(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def utc(value: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)


def decode_token(token: str) -> dict[str, Any]:
    """Header and claims of a JWT, unverified; JWE-shaped (opaque) tokens give their header only."""
    token = token.strip()
    if token.lower().startswith("bearer "):
        token = token[7:].strip()
    parts = token.split(".")
    try:
        if len(parts) == 3:
            return {"kind": "JWS", "header": _b64json(parts[0]), "claims": _b64json(parts[1])}
        if len(parts) == 5:
            return {"kind": "JWE", "header": _b64json(parts[0]), "claims": None}
    except (ValueError, UnicodeDecodeError):
        pass
    return {"kind": "opaque", "header": None, "claims": None}


def cmd_decode(args: argparse.Namespace) -> int:
    token = sys.stdin.read() if args.token == "-" else args.token
    decoded = decode_token(token)
    if args.json:
        print(json.dumps(decoded, indent=2))
        return 0 if decoded["kind"] == "JWS" else 1
    if decoded["kind"] == "opaque":
        print("not a JWT: an opaque token (no header, no claims to read)")
        return 1
    print(f"header ({decoded['kind']}):")
    for key, value in decoded["header"].items():
        print(f"  {key}: {json.dumps(value)}")
    if decoded["kind"] == "JWE":
        print("claims: encrypted (a 5-part JWE, e.g. Auth0's opaque token for the /userinfo audience);"
              " a resource server cannot read or verify it")
        return 1
    print("claims:")
    for key, value in decoded["claims"].items():
        shown = json.dumps(value)
        if key in TIME_CLAIMS and isinstance(value, int | float):
            shown += f"  ({utc(value)})"
        print(f"  {key}: {shown}")
    return 0


# -- explain --------------------------------------------------------------------------------------------------------
def _load_document(path: str) -> Any:
    import yaml

    text = Path(path).read_text(encoding="utf-8")
    return yaml.safe_load(text)


def cmd_explain(args: argparse.Namespace) -> int:
    from harness._explain import explain, render_checks

    token = sys.stdin.read().strip() if args.token == "-" else args.token.strip()
    try:
        checks, source = explain(
            token,
            gateway_config=args.gateway_config,
            discovery=args.discovery,
            jwks=args.jwks,
            manifest=args.manifest,
            load=_load_document,
        )
    except AuthstageError as exc:
        print(f"authstage explain: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps({"source": source, "checks": checks}, indent=2))
    else:
        print(render_checks(checks, source))
    return 0 if all(check["passed"] is not False for check in checks) else 1


# -- browser --------------------------------------------------------------------------------------------------------
def cmd_browser(args: argparse.Namespace) -> int:
    from harness._clients import HeadlessBrowser

    manifest = _running_manifest(args.manifest)
    username = args.user or (manifest or {}).get("default_user")
    password = args.password
    if password is None and manifest and username in manifest.get("users", {}):
        password = manifest["users"][username].get("password")
    browser = HeadlessBrowser(username=username, password=password, deliver=True)
    try:
        result = browser.run(args.url)
    except (AuthstageError, httpx.HTTPError) as exc:
        print(f"authstage browser: {exc}", file=sys.stderr)
        return 1
    for hop in result.hops:
        print(f"-> {hop}", file=sys.stderr)
    print(f"authstage browser: ended at {result.url} ({result.status})", file=sys.stderr)
    return 0 if result.status < 400 else 1


# -- replay ---------------------------------------------------------------------------------------------------------
def cmd_replay(args: argparse.Namespace) -> int:
    from harness._replay import run_cli

    return run_cli(args)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authstage", description="Local OAuth-protected MCP chain: Auth0-style IdP, AgentCore-style gateway, MCP server."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    up = sub.add_parser("up", help="start the stack and serve until Ctrl-C / SIGTERM")
    up.add_argument("--config", help="stack file (YAML: sections idp, gateway, mcp over the demo default)")
    up.add_argument("--port-base", type=int, help="fixed ports N (IdP), N+1 (gateway), N+2 (MCP server)")
    up.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    up.add_argument("--json", action="store_true", help="first stdout line: the manifest as JSON")
    up.add_argument("--quiet", action="store_true", help="no per-request lines")
    up.add_argument("--no-control-plane", action="store_true", help="do not serve /_authstage/ on any service")
    up.set_defaults(func=cmd_up, control_plane_lines=True)

    token = sub.add_parser("token", help="mint an access token from a running (or a fresh) stack")
    token.add_argument("--client", default="demo-m2m", help="client name in the tenant (default demo-m2m)")
    target = token.add_mutually_exclusive_group()
    target.add_argument("--audience", help="Auth0 `audience` (default: the gateway's resource URL)")
    target.add_argument("--resource", help="RFC 8707 `resource` instead of `audience`")
    token.add_argument("--scope", help="space-separated scopes")
    token.add_argument("--manifest", help="manifest of the running stack (default ~/.authstage/manifest.json)")
    token.add_argument("--json", action="store_true", help="print the whole token response")
    token.set_defaults(func=cmd_token)

    decode = sub.add_parser("decode", help="print a token's header and claims (times in UTC); no verification")
    decode.add_argument("token", help="the token, or - to read it from stdin")
    decode.add_argument("--json", action="store_true")
    decode.set_defaults(func=cmd_decode)

    explain = sub.add_parser("explain", help="run the gateway's authorizer checks on a token and say what fails and why")
    explain.add_argument("token", help="the token, or - to read it from stdin")
    explain.add_argument("--gateway-config", help="gateway JSON/YAML (e.g. `aws bedrock-agentcore-control get-gateway` output)")
    explain.add_argument("--discovery", help="the IdP's openid-configuration as a file (offline)")
    explain.add_argument("--jwks", help="the IdP's JWKS as a file (offline)")
    explain.add_argument("--manifest", help="manifest of the running stack (default ~/.authstage/manifest.json)")
    explain.add_argument("--json", action="store_true")
    explain.set_defaults(func=cmd_explain)

    browser = sub.add_parser("browser", help="headless browser for an authorize URL (usable as BROWSER=... for mcp-remote)")
    browser.add_argument("url")
    browser.add_argument("--user", help="log in as this user (default: the demo user)")
    browser.add_argument("--password")
    browser.add_argument("--manifest")
    browser.set_defaults(func=cmd_browser)

    replay = sub.add_parser("replay", help="replay scenario files, broken then fixed")
    replay.add_argument("paths", nargs="*", default=["scenarios"])
    replay.add_argument("-k", dest="keyword", help="only scenarios whose name/title/tags match this expression")
    mode = replay.add_mutually_exclusive_group()
    mode.add_argument("--fixed-only", action="store_true")
    mode.add_argument("--broken-only", action="store_true")
    replay.add_argument("--junit", help="write a JUnit XML report here")
    replay.add_argument("--report", help="write Markdown reports (one per scenario) into this directory")
    replay.add_argument("--json", action="store_true", help="print results as JSON")
    replay.add_argument("--write-index", metavar="FILE", help="write the Markdown catalog index (no replay)")
    replay.set_defaults(func=cmd_replay)
    return parser


def browser_main(argv: list[str] | None = None) -> int:
    """`authstage-browser URL`: one executable for `BROWSER=` (xdg-open runs `$BROWSER <url>` without a shell)."""
    return main(["browser", *(sys.argv[1:] if argv is None else argv)])


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except AuthstageError as exc:
        print(f"authstage: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
