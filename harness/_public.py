"""From any seat: the URLs a stack is reached by when it listens beyond loopback (`authstage up --public-url`).

A stack bound to ``0.0.0.0`` (a container, a teacher's machine) must not hand out ``http://0.0.0.0:PORT`` — no
client can call it, and AWS's endpoint patterns refuse it. Its URLs use the public name instead (each service on
its own port), or loopback when no public name is given.
"""

from __future__ import annotations

import socket
from urllib.parse import urlsplit

from authstage_kit.runner import LOOPBACK, url_of
from harness._exceptions import ConfigError

__all__ = ["check_public_url", "reachable_url"]

WILDCARDS = ("0.0.0.0", "::", "")


def check_public_url(url: str) -> str:
    """``http(s)://HOST`` (no port, path or query: each service keeps its own port); else a ConfigError."""
    parts = urlsplit(url.strip())
    problem = None
    if parts.scheme not in ("http", "https") or not parts.hostname:
        problem = "it must be http://HOST or https://HOST"
    elif parts.port is not None or parts.path not in ("", "/") or parts.query or parts.fragment:
        problem = "give only the scheme and host: each service keeps its own port (--port-base N)"
    if problem:
        raise ConfigError(f"--public-url {url!r}: {problem}", key="public_url")
    return f"{parts.scheme}://{parts.netloc}"


def reachable_url(sock: socket.socket, public_url: str | None) -> str:
    """The URL clients use for a service listening on ``sock``: the public name with the bound port, loopback
    for a wildcard bind without one, else the bound address."""
    port = sock.getsockname()[1]
    if public_url:
        return f"{public_url}:{port}"
    host = sock.getsockname()[0]
    if host in WILDCARDS:
        return f"http://{LOOPBACK}:{port}"
    return url_of(sock)
