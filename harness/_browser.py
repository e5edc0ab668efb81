"""`authstage-browser URL`: a `BROWSER=` for OAuth clients that returns at once and delivers in the background.

A client opens the browser with the authorize URL and only then (FastMCP) or concurrently (mcp-remote) starts its
loopback callback server, and Python's `webbrowser` waits for the `$BROWSER` process to exit. So the command
returns at once; a detached child (`--foreground`) follows the authorize URL as the demo user (the IdP approves
the authstage-browser without a page; a tenant that shows its pages gets them filled in), then delivers the
redirect to the client's callback, retrying while nothing listens there yet. No authorization code is ever
printed: URLs in the output and the log are redacted.
"""

from __future__ import annotations

import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import IO, Any

import httpx

from authstage_kit.redact import redact_url
from authstage_kit.tls import client_context
from harness._clients import BrowserResult, HeadlessBrowser
from harness._exceptions import AuthstageError
from harness._manifest import manifest_path

__all__ = ["DELIVERY_SECONDS", "deliver", "sign_in", "spawn_background"]

DELIVERY_SECONDS = 10.0  # how long a callback that does not listen yet is retried
_RETRY_EVERY = 0.1


def log_path() -> Path:
    """Where the background browser writes what it did (next to the manifest)."""
    return manifest_path().parent / "browser.log"


def spawn_background(argv: list[str]) -> Path | None:
    """Run `python -m harness browser --foreground ARGV` detached (its own session, no inherited pipes, so a caller
    reading our stdout to EOF is not held); returns the log it writes to."""
    path = log_path()
    log: IO[bytes] | int
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        log = path.open("ab")
    except OSError:
        log, path = subprocess.DEVNULL, None  # type: ignore[assignment]  # no log when the home is read-only
    try:
        subprocess.Popen([sys.executable, "-m", "harness", "browser", "--foreground", *argv],
                         stdin=subprocess.DEVNULL, stdout=log, stderr=log, start_new_session=True, close_fds=True)
    finally:
        if not isinstance(log, int):
            log.close()
    return path


def sign_in(url: str, *, username: str | None, password: str | None) -> BrowserResult:
    """Follow the authorize URL as `username` up to the client's redirect (not fetched: see `deliver`)."""
    return HeadlessBrowser(username=username, password=password, deliver=False).run(url)


def deliver(url: str, *, seconds: float = DELIVERY_SECONDS, say: Callable[[str], Any] = print) -> int:
    """GET the client's callback `url` like a browser following the redirect; a refused connection (the client
    has not started listening yet) is retried for `seconds`. Returns the callback's HTTP status."""
    shown = redact_url(url)
    deadline = time.monotonic() + seconds
    attempts = 0
    with httpx.Client(follow_redirects=True, timeout=10, trust_env=False, verify=client_context(),
                      headers={"User-Agent": HeadlessBrowser.user_agent}) as http:
        while True:
            attempts += 1
            try:
                status = http.get(url).status_code
            except httpx.ConnectError:
                if time.monotonic() >= deadline:
                    raise AuthstageError(f"nothing listened at {shown} for {seconds:.0f}s ({attempts} tries)") from None
                time.sleep(_RETRY_EVERY)
                continue
            say(f"delivered to {shown}: HTTP {status} (try {attempts})")
            return status


def run_foreground(url: str, *, username: str | None, password: str | None,
                   say: Callable[[str], Any] = print) -> int:
    """The whole browser in this process: sign in, then deliver; the exit status of `authstage browser`."""
    result = sign_in(url, username=username, password=password)
    for hop in result.hops:
        say(f"-> {redact_url(hop)}")
    if not result.params:
        say(f"stopped at {redact_url(result.url)} (HTTP {result.status}): no redirect back to the client")
        return 1
    if result.error:
        say(f"the IdP sent the client error={result.error}")
    status = deliver(result.url, say=say)
    return 0 if status < 400 and not result.error else 1
