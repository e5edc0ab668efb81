"""What a strict MCP client checks before it trusts a resource's authorization server: the `check` step.

The failures that happen inside a client (it refuses the metadata or the callback and never sends a request a
server could log) are shown by doing what such a client does (mcp-spec-and-sdk.md §2, the SDK's OAuth flow):

- `resource` (RFC 9728 §3.3): the protected-resource metadata's `resource` is identical to the URL the client
  connects to; rule `prefix`: same origin and a path prefix (the MCP SDKs' `check_resource_allowed`).
- `authorization_servers` (MCP authorization: "MUST include the authorization_servers field"): there is one,
  and the first names the issuer the resource server validates tokens against, else a client logs in at an
  authorization server whose tokens the resource refuses.
- `issuer` (RFC 8414 §3.3): the metadata fetched from the well-known URLs built from `authorization_servers[0]`
  (RFC 8414 §3.1, then OpenID Connect Discovery, in the MCP 2025-11-25 order) has an `issuer` identical to it,
  as the MCP Python SDK compares it ("Authorization server metadata issuer mismatch"); rule `root-slash`: an
  issuer without a path may differ by its trailing slash (go-sdk #955; the Python SDK on its legacy path).
- `iss` (RFC 9207 §2.4): an authorization response's `iss` equals the metadata `issuer`; a response without one
  is refused when the metadata advertises `authorization_response_iss_parameter_supported`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import httpx

__all__ = ["CHECKS", "ClientCheck", "client_checks", "metadata_urls", "same_issuer"]

CHECKS = ("resource", "authorization_servers", "issuer", "iss")


@dataclass(frozen=True)
class ClientCheck:
    name: str
    passed: bool | None  # None: not run (no input for it)
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "passed": self.passed, "reason": self.reason}


def metadata_urls(issuer: str) -> list[str]:
    """Where a client looks for an issuer's metadata (MCP 2025-11-25 authorization §AS metadata discovery)."""
    parts = urlsplit(issuer)
    origin, path = f"{parts.scheme}://{parts.netloc}", parts.path.rstrip("/")
    if path:
        return [f"{origin}/.well-known/oauth-authorization-server{path}",
                f"{origin}/.well-known/openid-configuration{path}", f"{origin}{path}/.well-known/openid-configuration"]
    return [f"{origin}/.well-known/oauth-authorization-server", f"{origin}/.well-known/openid-configuration"]


def same_issuer(a: str, b: str, rule: str = "exact") -> bool:
    """RFC 8414 §3.3 identity; with `root-slash`, `https://h` and `https://h/` are the same issuer."""
    if a == b:
        return True
    if rule != "root-slash":
        return False
    pa, pb = urlsplit(a), urlsplit(b)
    return (pa.scheme, pa.netloc) == (pb.scheme, pb.netloc) and pa.path in ("", "/") and pb.path in ("", "/")


def _resource(prm: dict[str, Any], connect: str, rule: str) -> ClientCheck:
    resource = prm.get("resource")
    if not isinstance(resource, str):
        return ClientCheck("resource", False, f"the metadata has no resource ({resource!r})")
    if resource == connect:
        return ClientCheck("resource", True, f"resource {resource!r} is the URL connected to")
    parts, want = urlsplit(resource), urlsplit(connect)
    prefix = (parts.scheme, parts.netloc) == (want.scheme, want.netloc) and want.path.startswith(parts.path.rstrip("/"))
    if rule == "prefix" and prefix:
        return ClientCheck("resource", True, f"resource {resource!r} is a same-origin path prefix of {connect!r}")
    return ClientCheck("resource", False, f"resource {resource!r} is not {connect!r} (RFC 9728 §3.3, rule {rule})")


def _authorization_servers(prm: dict[str, Any], trusted: str | None, rule: str) -> ClientCheck:
    servers = prm.get("authorization_servers")
    if not isinstance(servers, list) or not servers or not isinstance(servers[0], str):
        return ClientCheck("authorization_servers", False, f"no authorization server is named ({servers!r})")
    if trusted is None:
        return ClientCheck("authorization_servers", None, "the issuer the resource trusts is not known")
    if same_issuer(servers[0], trusted, rule):
        return ClientCheck("authorization_servers", True, f"{servers[0]!r} is the issuer the resource trusts")
    return ClientCheck("authorization_servers", False,
                       f"{servers[0]!r} is not the issuer the resource validates tokens against ({trusted!r})")


def _metadata(http: httpx.Client, issuer: str) -> tuple[dict[str, Any] | None, str]:
    """The first metadata document a client finds for `issuer`, and where (or why none)."""
    tried = []
    for url in metadata_urls(issuer):
        try:
            response = http.get(url)
        except httpx.HTTPError as exc:
            tried.append(f"{url} ({type(exc).__name__})")
            continue
        if response.status_code == 200:
            try:
                document = response.json()
            except ValueError:
                document = None
            if isinstance(document, dict):
                return document, url
        tried.append(f"{url} ({response.status_code})")
    return None, "no metadata at " + ", ".join(tried)


def _issuer(issuer: str, metadata: dict[str, Any], where: str, rule: str) -> ClientCheck:
    found = metadata.get("issuer")
    if isinstance(found, str) and same_issuer(found, issuer, rule):
        return ClientCheck("issuer", True, f"metadata issuer {found!r} is {issuer!r} ({where})")
    return ClientCheck("issuer", False,
                       f"metadata issuer {found!r} at {where} is not {issuer!r} (RFC 8414 §3.3, rule {rule})")


def _iss(redirect: Any, metadata: dict[str, Any] | None) -> ClientCheck:
    if not isinstance(redirect, dict) or redirect.get("page") or metadata is None:
        return ClientCheck("iss", None, "no authorization response (or metadata) to check")
    issuer, iss = metadata.get("issuer"), redirect.get("iss")
    if iss is not None:
        ok = iss == issuer
        return ClientCheck("iss", ok, f"iss {iss!r} {'is' if ok else 'is not'} the metadata issuer {issuer!r}")
    if metadata.get("authorization_response_iss_parameter_supported") is True:
        return ClientCheck("iss", False, "the authorization response has no iss, but the metadata advertises "
                           f"authorization_response_iss_parameter_supported (RFC 9207 §2.4): expected {issuer!r}")
    return ClientCheck("iss", True, "no iss, and the authorization server does not advertise it")


def client_checks(http: httpx.Client, *, prm_url: str, resource: str, trusted: str | None, redirect: Any,
                  issuer_rule: str = "exact", resource_rule: str = "exact") -> list[ClientCheck]:
    """Every check a strict client makes, in its order; a check without input is not run (passed None)."""
    try:
        response = http.get(prm_url)
        prm = response.json() if response.status_code == 200 else None
    except (httpx.HTTPError, ValueError):
        prm = None
    if not isinstance(prm, dict):
        return [ClientCheck("resource", False, f"no protected-resource metadata at {prm_url}"),
                *(ClientCheck(name, None, "no metadata") for name in CHECKS[1:])]
    checks = [_resource(prm, resource, resource_rule), _authorization_servers(prm, trusted, issuer_rule)]
    servers = prm.get("authorization_servers")
    first = servers[0] if isinstance(servers, list) and servers and isinstance(servers[0], str) else None
    if first is None:
        return [*checks, ClientCheck("issuer", None, "no authorization server"), _iss(redirect, None)]
    metadata, where = _metadata(http, first)
    if metadata is None:
        return [*checks, ClientCheck("issuer", False, where), _iss(redirect, None)]
    return [*checks, _issuer(first, metadata, where, issuer_rule), _iss(redirect, metadata)]
