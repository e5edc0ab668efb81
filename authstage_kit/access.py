"""Who may drive a control plane (docs/control-plane.md "Safety"): the checks every ``/_authstage/`` request passes.

A control plane can rotate keys, move the clock and read demo secrets, so a web page the user happens to visit must
not reach it. Three guards, in this order:

1. **Host** (DNS rebinding): the ``Host`` header names a loopback host (``localhost``, ``*.localhost``,
   127.0.0.0/8, ``[::1]``), the address the service is bound to, or a configured public host; else 421.
2. **Cross-site requests**: a request a browser marks as cross-site (``Origin`` of another host, or
   ``Sec-Fetch-Site: cross-site``) is refused (403), and a state-changing request (POST, PUT, PATCH) must carry
   ``Content-Type: application/json`` (415) — the one type a cross-site page cannot send without a CORS preflight,
   which the control plane never grants. DELETE is not CORS-safelisted, so it is always preflighted.
3. **Token**: a service bound beyond loopback requires the stack's token in ``X-Authstage-Token`` (401); the
   token is printed in the manifest (``control_token``) and never logged.
"""

from __future__ import annotations

import ipaddress
import secrets
from dataclasses import dataclass, field
from urllib.parse import urlsplit

from authstage_kit.errors import ControlError

__all__ = ["TOKEN_HEADER", "Access", "host_of", "is_loopback"]

TOKEN_HEADER = "x-authstage-token"
STATE_CHANGING = frozenset({"POST", "PUT", "PATCH"})


def is_loopback(host: str) -> bool:
    """True for ``localhost``, ``*.localhost`` (RFC 6761 §6.3), 127.0.0.0/8 and ``::1``."""
    name = host.strip().strip("[]").lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(name).is_loopback
    except ValueError:
        return False


def host_of(value: str) -> str:
    """The host of a ``Host`` header or an origin/URL, lower-cased, without port or IPv6 brackets."""
    text = value.strip()
    netloc = urlsplit(text).netloc if "://" in text else text
    netloc = netloc.rsplit("@", 1)[-1]
    if netloc.startswith("["):
        return netloc[1 : netloc.find("]")].lower() if "]" in netloc else netloc.lower()
    return netloc.rsplit(":", 1)[0].lower() if netloc.count(":") == 1 else netloc.lower()


@dataclass(frozen=True)
class Access:
    """The hosts besides loopback a control plane answers to, and the token it requires (None: no token)."""

    hosts: frozenset[str] = field(default_factory=frozenset)
    token: str | None = None

    @classmethod
    def for_bind(cls, host: str, *, public_urls: tuple[str, ...] = (), token: str | None = None) -> Access:
        """The access of a service bound to ``host``: beyond loopback a token is required (one is made if none
        is given); the bound address itself (unless a wildcard) and each public URL's host are allowed."""
        hosts = {host_of(url) for url in public_urls if url}
        bound = host_of(host)
        if bound and bound not in ("0.0.0.0", "::", ""):
            hosts.add(bound)
        exposed = not is_loopback(host)
        if exposed and token is None:
            token = secrets.token_urlsafe(24)
        return cls(frozenset(hosts), token if exposed or token else None)

    def allows_host(self, host_header: str | None) -> bool:
        if not host_header:
            return False
        host = host_of(host_header)
        return is_loopback(host) or host in self.hosts

    def check(self, method: str, headers: dict[str, str]) -> None:
        """Raise the ControlError a request fails on, in the order of the module docstring; None when it passes."""
        host = headers.get("host")
        if not self.allows_host(host):
            allowed = ["localhost", "127.0.0.1", "[::1]", *sorted(self.hosts)]
            raise ControlError.invalid(
                "misdirected_request", "host",
                f"the control plane does not answer to Host {host!r:.80} (DNS-rebinding guard); it answers to "
                f"{allowed} — start the stack with --public-url to add a name",
                status=421,
            )  # fmt: skip
        origin = headers.get("origin")
        if (origin and origin != "null" and not self.allows_host(origin)) or (
            headers.get("sec-fetch-site") == "cross-site"
        ):
            raise ControlError.invalid(
                "cross_site_request", "origin",
                f"a cross-site request (Origin {origin!r:.80}) may not drive the control plane", status=403,
            )  # fmt: skip
        if method in STATE_CHANGING:
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if ctype != "application/json" and not ctype.endswith("+json"):
                raise ControlError.invalid(
                    "unsupported_media_type", "content-type",
                    f"{method} on the control plane needs Content-Type: application/json (CSRF guard), got "
                    f"{ctype or 'none'!r}; send a JSON body, `{{}}` when there is nothing to say",
                    status=415,
                )  # fmt: skip
        if self.token is not None:
            given = headers.get(TOKEN_HEADER, "")
            if not secrets.compare_digest(given.encode(), self.token.encode()):
                raise ControlError.invalid(
                    "unauthorized", TOKEN_HEADER,
                    "this stack listens beyond loopback: send its control token (the manifest's `control_token`) "
                    f"in the {TOKEN_HEADER} header",
                    status=401,
                )  # fmt: skip
