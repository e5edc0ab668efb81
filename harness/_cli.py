"""The `authstage` command: `up`, `token`, `reset`, `decode`, `explain`, `gateway convert`, `browser`, `replay`,
`client-check`.

A leaf, as httpx's `_main.py`: nothing in the harness imports it. The console scripts `authstage` and
`authstage-browser` (pyproject `[project.scripts]`) and `python -m harness` enter here.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, TextIO

from harness._exceptions import AuthstageError, ScenarioLoadError
from harness._manifest import remove_manifest, running_manifest, version, write_manifest

# Each command imports what it needs inside its cmd_* function: `authstage --help` and `decode` load no web
# framework, HTTP client or MCP SDK (docs/performance.md "The command line").
if TYPE_CHECKING:
    from harness._replay import RunResult
    from harness._scenario import Scenario
    from harness._stack import Stack

__all__ = ["browser_main", "entry", "main"]

TIME_CLAIMS = ("iat", "exp", "nbf", "auth_time", "updated_at")


# -- up -------------------------------------------------------------------------------------------------------------
def _request_line(record: dict[str, Any]) -> str:
    reason = f"  — {record['reason']}" if record.get("reason") and record["status"] >= 400 else ""
    path = record["path"]
    return f"[{record['service']:>7}] {record['method']:<6} {path} {record['status']}{reason}"


def cmd_up(args: argparse.Namespace) -> int:
    from harness._demo import summary
    from harness._stack import Stack

    try:
        stack = Stack(args.config, host=args.host, port_base=args.port_base, public_url=args.public_url,
                      control_plane=not args.no_control_plane, reason_header=args.reason_header,
                      gateway=args.gateway, gateway_files=_gateway_files(args), tls=args.tls).start()
        if not args.no_control_plane and not args.no_console:
            from harness._console import start_console

            start_console(stack)
    except AuthstageError as exc:
        print(f"authstage: {exc}", file=sys.stderr)
        return 2
    manifest = stack.manifest
    # A terminal user's `authstage token` / `explain` / `browser` find the running stack through this file; a
    # program that asked for --json reads the manifest from stdout instead (and no file is shared under xdist).
    path = None if args.json else write_manifest(manifest)
    print(json.dumps(manifest) if args.json else summary(manifest), flush=True)
    if not args.quiet and args.control_plane_lines:
        _show_requests(stack, sys.stderr if args.json else sys.stdout)
    stop = threading.Event()
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    while not stop.is_set():
        stop.wait(0.5)
    stack.stop()
    if path is not None:
        remove_manifest(path, manifest)
    if not args.json:
        print("authstage: stopped", flush=True)
    return 0


def _gateway_files(args: argparse.Namespace) -> dict[str, Any] | None:
    """`--gateway-config FILE... [--param K=V] [--gateway NAME]`, as a stack file's `gateway-config:` key."""
    if not args.gateway_config:
        return None
    return {"files": args.gateway_config, "parameters": _params(args.param), "select": args.select}


def _params(pairs: list[str] | None) -> dict[str, str]:
    params = {}
    for pair in pairs or []:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise AuthstageError(f"--param takes NAME=VALUE, not {pair!r}")
        params[name] = value
    return params


def _show_requests(stack: Stack, stream: TextIO) -> None:
    """One line per request any service serves, as it is served."""
    lock = threading.Lock()

    def show(record: dict[str, Any]) -> None:
        with lock:
            print(_request_line(record), file=stream, flush=True)

    stack.subscribe(show)


# -- token ----------------------------------------------------------------------------------------------------------
def cmd_token(args: argparse.Namespace) -> int:
    manifest = running_manifest(args.manifest)
    if manifest is not None:  # the running stack: one POST (no stack code, no web framework, no MCP SDK)
        from harness._manifest import local_client, token_request

        first_call = manifest.get("gateway", {}).get("first_call") or {}  # a pasted gateway's allowedClients
        client = args.client or first_call.get("client") or "demo-m2m"
        request = token_request(manifest, client, audience=args.audience, resource=args.resource,
                                scope=args.scope)
        with local_client(request.url, manifest) as http:
            response = http.post(request.url, data=request.data, auth=request.auth)
        return _print_token(response, args, fresh=False)
    from harness._stack import Stack

    stack = Stack().start()
    try:
        response = stack.token_response(args.client or "demo-m2m", audience=args.audience, resource=args.resource, scope=args.scope)
        return _print_token(response, args, fresh=True)
    finally:
        stack.stop()


def _print_token(response: Any, args: argparse.Namespace, *, fresh: bool) -> int:
    if response.status_code != 200:
        print(f"authstage token: {response.status_code} {response.text}", file=sys.stderr)
        return 1
    body = response.json()
    print(json.dumps(body, indent=2) if args.json else body["access_token"])
    if fresh:
        print("authstage token: minted by a fresh stack that is gone now; its keys are too. Start `authstage up`"
              " first for a token a running gateway accepts.", file=sys.stderr)
    return 0


# -- reset ----------------------------------------------------------------------------------------------------------
def cmd_reset(args: argparse.Namespace) -> int:
    from harness._stack import ProcessStack

    manifest = running_manifest(args.manifest)
    if manifest is None:
        print("authstage reset: no running stack (start `authstage up` first)", file=sys.stderr)
        return 2
    stack = ProcessStack().attach_manifest(manifest)
    try:
        stack.reset()
    finally:
        stack.stop()  # closes the client only: the stack belongs to `authstage up`
    print("authstage reset: every service back to its start config; state, logs and clocks cleared", file=sys.stderr)
    return 0


# -- decode ---------------------------------------------------------------------------------------------------------
def utc(value: Any) -> str:
    try:
        return dt.datetime.fromtimestamp(float(value), tz=dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
    except (TypeError, ValueError, OverflowError, OSError):
        return str(value)


def cmd_decode(args: argparse.Namespace) -> int:
    from harness._token import decode_token

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
    """JSON or YAML (CloudFormation's short-form tags too: any gateway config shape)."""
    from fake_gateway.shapes.text import TextError, parse_text

    try:
        return parse_text(Path(path).read_text(encoding="utf-8"), source=path)
    except TextError as exc:
        raise AuthstageError(str(exc)) from exc


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


# -- gateway convert ------------------------------------------------------------------------------------------------
def cmd_gateway_convert(args: argparse.Namespace) -> int:
    from harness._gateway import convert_files

    return convert_files(args.files, parameters=_params(args.param), select=args.select, output=args.output)


# -- browser --------------------------------------------------------------------------------------------------------
def cmd_browser(args: argparse.Namespace) -> int:
    import httpx

    from harness._browser import run_foreground, spawn_background

    def say(text: str) -> None:
        print(f"authstage browser: {text}", file=sys.stderr, flush=True)

    if not args.foreground:
        options = [(flag, value) for flag, value in (("--user", args.user), ("--password", args.password),
                                                     ("--manifest", args.manifest)) if value]
        log = spawn_background([args.url, *(part for option in options for part in option)])
        say(f"signing in and delivering the redirect in the background (log: {log or 'none'})")
        return 0
    manifest = running_manifest(args.manifest)
    username = args.user or (manifest or {}).get("default_user")
    password = args.password
    if password is None and manifest and username in manifest.get("users", {}):
        password = manifest["users"][username].get("password")
    try:
        return run_foreground(args.url, username=username, password=password, say=say)
    except (AuthstageError, httpx.HTTPError) as exc:
        say(str(exc))
        return 1


# -- replay ---------------------------------------------------------------------------------------------------------
def cmd_replay(args: argparse.Namespace) -> int:
    from authstage_kit import keypool

    keypool.prepare()  # the stacks' RSA keys, generated on another core while the scenarios load
    from harness._report import junit_xml, result_json, text_report, write_markdown_reports
    from harness._selection import modes, select, shard

    try:
        scenarios = select(args.paths, args.keyword, args.exclude)
    except ScenarioLoadError as exc:
        print(f"authstage replay: {exc}", file=sys.stderr)
        return 2
    if args.shard and scenarios:
        scenarios = shard(scenarios, *args.shard)
        if not scenarios:
            print(f"authstage replay: shard {args.shard[0]}/{args.shard[1]} is empty", file=sys.stderr)
            return 0
    if not scenarios:
        print("authstage replay: no scenario matched", file=sys.stderr)
        return 2
    if args.write_index:
        return _write_index(args.write_index, scenarios)
    chosen = modes(fixed_only=args.fixed_only, broken_only=args.broken_only)
    started = time.perf_counter()
    runs = _replay(scenarios, chosen, live=sys.stderr.isatty() and not args.json, jobs=args.jobs)
    elapsed = time.perf_counter() - started
    if args.json:
        print(json.dumps({"runs": [result_json(r) for r in runs], "seconds": round(elapsed, 3)}, indent=2))
    else:
        print(text_report(scenarios, runs, chosen, elapsed))
    if args.junit:
        Path(args.junit).write_text(junit_xml(runs), encoding="utf-8")
    if args.report:
        from harness._report_html import write_html_reports

        write_markdown_reports(runs, Path(args.report))
        write_html_reports(runs, Path(args.report))
    return 0 if all(r.passed for r in runs) else 1


def _replay(scenarios: list[Scenario], modes: tuple[str, ...], *, live: bool, jobs: str) -> list[RunResult]:
    """Every run, with a progress line on a terminal."""
    from harness._replay import replay_all
    from harness._replay_pool import auto_jobs, replay_in_workers

    def progress(done: int, total: int, run: RunResult) -> None:
        if live:
            mark = "ok" if run.passed else "MISMATCH"
            print(f"\r\033[K[{done}/{total}] {run.scenario.name} ({run.mode}) {mark}", end="", file=sys.stderr, flush=True)

    workers = auto_jobs(len(scenarios) * len(modes)) if jobs == "auto" else int(jobs)
    if workers > 1 and len(scenarios) * len(modes) > 1:
        runs = replay_in_workers(scenarios, modes, workers, progress)
    else:
        runs = list(replay_all(scenarios, modes, progress))
    if live:
        print("\r\033[K", end="", file=sys.stderr)
    return runs


def _write_index(path: str, scenarios: list[Scenario]) -> int:
    """`--write-index FILE`: the Markdown catalog (docs/scenarios.md), with the scenario-writing guide after it."""
    from harness._report import index_markdown

    guide = (Path(__file__).resolve().parent.parent / "docs" / "writing-scenarios.md").read_text(encoding="utf-8")
    Path(path).write_text(index_markdown(scenarios, guide), encoding="utf-8")
    print(f"wrote {path} ({len(scenarios)} scenarios)")
    return 0


# -- client-check ---------------------------------------------------------------------------------------------------
def cmd_client_check(args: argparse.Namespace) -> int:
    from harness._client_command import command

    return command(args)


def _add_client_check(sub: Any) -> None:
    """`client-check`: the parser wiring (the command is harness/_client_command.py)."""
    check = sub.add_parser("client-check", help="grade an MCP client command (conformance's contract) on one stack",
                           usage="authstage client-check [options] -- COMMAND [ARGS...]")
    check.add_argument("--suite", default="auth", help="auth (default), backcompat, draft, extensions, conformance "
                       "(those four), auth0, agentcore, all",
                       choices=["auth", "backcompat", "draft", "extensions", "conformance", "auth0", "agentcore", "all"])
    check.add_argument("-k", dest="keyword", help="only scenarios whose name/suite/summary match this expression")
    check.add_argument("--timeout", type=float, default=30.0, help="seconds before a client is killed (default 30)")
    check.add_argument("--prestart", type=int, default=2, help="clients started ahead behind held ports (default 2; "
                       "0: each at its turn, given the services' own URLs)")
    check.add_argument("-o", "--output-dir", help="write <scenario>-<time>/checks.json, stdout.txt, stderr.txt and "
                       "report.md here (conformance's layout)")
    check.add_argument("--junit", help="write a JUnit XML report here")
    check.add_argument("--expected-failures", help="YAML baseline {client: [scenario or scenario:check-id]}")
    check.add_argument("--command", help="the client as one string split on spaces (conformance's --command)")
    check.add_argument("--json", action="store_true", help="print every result and check as JSON")
    check.add_argument("--list", action="store_true", help="list the selected scenarios and exit")
    check.add_argument("client", nargs="*", help="the client command and its arguments, after `--`")
    check.set_defaults(func=cmd_client_check)


def port_base(text: str) -> int:
    """An argparse type: the first of four consecutive ports (N, N+1, N+2 and the browser view's N+3), so 1 to
    65532."""
    from authstage_kit.runner import port_number

    port = port_number(text)
    if not 1 <= port <= 65532:
        raise argparse.ArgumentTypeError(f"{port} cannot start four ports (N to N+3): use 1 to 65532")
    return port


def _jobs(text: str) -> str:
    """An argparse type: `auto` or a number of worker processes, at least 1."""
    if text == "auto" or (text.isdigit() and int(text) >= 1):
        return text
    raise argparse.ArgumentTypeError(f"{text!r}: use a number of workers (1 or more) or auto")


def _shard(text: str) -> tuple[int, int]:
    from harness._selection import parse_shard

    try:
        return parse_shard(text)
    except ValueError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def _up_parser(sub: Any) -> None:
    up = sub.add_parser("up", help="start the stack and serve until Ctrl-C / SIGTERM")
    up.add_argument("--config", help="stack file (YAML: sections idp, gateway, mcp over the demo default)")
    up.add_argument("--port-base", type=port_base, help="fixed ports N (IdP), N+1 (gateway), N+2 (MCP server), N+3 (browser view)")
    up.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1; 0.0.0.0 for other "
                    "machines or a container, with --public-url)")
    up.add_argument("--public-url", help="http://NAME other machines reach this one by: every URL of the stack "
                    "uses it (each service on its own port) and the control planes answer to it")
    up.add_argument("--no-console", action="store_true", help="do not serve the browser view (port N+3)")
    up.add_argument("--reason-header", action="store_true",
                    help="every refusal carries its reason in an X-Authstage-Reason response header")
    up.add_argument("--json", action="store_true", help="first stdout line: the manifest as JSON")
    up.add_argument("--quiet", action="store_true", help="no per-request lines")
    up.add_argument("--no-control-plane", action="store_true", help="do not serve /_authstage/ on any service")
    up.add_argument("--gateway", choices=["agentcore", "agentgateway"],
                    help="which gateway the demo runs (default: the stack file's `dialect:`, else agentcore)")
    up.add_argument("--gateway-config", action="append", metavar="FILE",
                    help="serve this gateway config as written (any shape; repeat for targets / Cedar files)")
    up.add_argument("--param", action="append", metavar="NAME=VALUE", help="a template parameter or import value")
    up.add_argument("--select", help="which gateway of a template/project with several (logical id or name)")
    up.add_argument("--tls", action="store_true",
                    help="serve HTTPS at https://localhost:<port> with a CA made for this stack (prints the env lines)")
    up.set_defaults(func=cmd_up, control_plane_lines=True)


class _Version(argparse.Action):
    """`--version`: the installed version, looked up only when asked for (importlib.metadata scans sys.path)."""

    def __init__(self, option_strings: list[str], dest: str = argparse.SUPPRESS, **kwargs: Any) -> None:
        super().__init__(option_strings, dest, nargs=0, default=argparse.SUPPRESS, **kwargs)

    def __call__(self, parser: argparse.ArgumentParser, *args: Any) -> None:
        print(f"authstage {version()}")  # stdout, as argparse's own "version" action prints
        parser.exit()


def _replay_parser(sub: Any) -> None:
    replay = sub.add_parser("replay", help="replay scenario files, broken then fixed")
    replay.add_argument("paths", nargs="*", default=["scenarios"])
    replay.add_argument("-k", dest="keyword", help="only scenarios whose name/title/tags match this expression")
    replay.add_argument("--exclude", action="append", default=[], metavar="GLOB",
                        help="leave out YAML files matching GLOB (also: a .authstageignore file in the directory)")
    mode = replay.add_mutually_exclusive_group()
    mode.add_argument("--fixed-only", action="store_true")
    mode.add_argument("--broken-only", action="store_true")
    replay.add_argument("--junit", help="write a JUnit XML report here")
    replay.add_argument("--report", help="write reports (one per scenario, Markdown and self-contained HTML, plus "
                        "index.html) into this directory")
    replay.add_argument("--jobs", "-j", type=_jobs, default="1", metavar="N",
                        help="worker processes, each with its own stack (auto: one per core; default 1)")
    replay.add_argument("--shard", type=_shard, metavar="I/N", help="only the I-th of N slices of the scenarios "
                        "(after -k and --exclude): the N jobs of a CI matrix run each scenario once")
    replay.add_argument("--json", action="store_true", help="print results as JSON")
    replay.add_argument("--write-index", metavar="FILE", help="write the Markdown catalog index (no replay)")
    replay.set_defaults(func=cmd_replay)


def _gateway_parser(sub: Any) -> None:
    gateway = sub.add_parser("gateway", help="gateway configuration tools")
    gateway_sub = gateway.add_subparsers(dest="gateway_command", required=True, metavar="ACTION")
    convert = gateway_sub.add_parser("convert", help="print any gateway config shape as the API document served")
    convert.add_argument("files", nargs="+", metavar="FILE")
    convert.add_argument("--param", action="append", metavar="NAME=VALUE")
    convert.add_argument("--select", help="which gateway of several (logical id, address or name)")
    convert.add_argument("--output", choices=("json", "yaml"), default="json")
    convert.set_defaults(func=cmd_gateway_convert)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="authstage", description="Local OAuth-protected MCP chain: Auth0-style IdP, AgentCore-style gateway, MCP server."
    )
    parser.add_argument("--version", action=_Version, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    _up_parser(sub)

    _gateway_parser(sub)

    token = sub.add_parser("token", help="mint an access token from a running (or a fresh) stack")
    token.add_argument("--client", help="client name in the tenant (default: the one the gateway's allowedClients "
                       "names, else demo-m2m)")
    target = token.add_mutually_exclusive_group()
    target.add_argument("--audience", help="Auth0 `audience` (default: the gateway's resource URL)")
    target.add_argument("--resource", help="RFC 8707 `resource` instead of `audience`")
    token.add_argument("--scope", help="space-separated scopes")
    token.add_argument("--manifest", help="manifest of the running stack (default ~/.authstage/manifest.json)")
    token.add_argument("--json", action="store_true", help="print the whole token response")
    token.set_defaults(func=cmd_token)

    reset = sub.add_parser("reset", help="put the running stack back as it started (config, keys, clocks, logs)")
    reset.add_argument("--manifest", help="manifest of the running stack (default ~/.authstage/manifest.json)")
    reset.set_defaults(func=cmd_reset)

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

    browser = sub.add_parser("browser", help="headless browser for an authorize URL (BROWSER=authstage-browser): "
                             "returns at once, delivers the redirect in the background")
    browser.add_argument("url")
    browser.add_argument("--user", help="log in as this user (default: the demo user)")
    browser.add_argument("--password")
    browser.add_argument("--manifest")
    browser.add_argument("--foreground", action="store_true", help="sign in and deliver before returning")
    browser.set_defaults(func=cmd_browser)

    _replay_parser(sub)

    _add_client_check(sub)
    return parser


def browser_main(argv: list[str] | None = None) -> int:
    """`authstage-browser URL`: one executable for `BROWSER=` (xdg-open runs `$BROWSER <url>` without a shell)."""
    return main(["browser", *(sys.argv[1:] if argv is None else argv)])


def entry() -> None:
    """The console script's `authstage` (and `python -m harness` / `python -m authstage`): `main`, then the exit
    without the interpreter's teardown. Freeing every object of a process that ends anyway costs a replay 0.3 s
    (mypy's fast exit does the same); the atexit handlers still run and the output is flushed first."""
    import atexit
    import os

    code = main()
    atexit._run_exitfuncs()
    for stream in (sys.stdout, sys.stderr):
        with contextlib.suppress(Exception):
            stream.flush()
    os._exit(code)


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
