"""`authstage explain`: the gateway's own authorizer checks, run on one token, each with its reason and fix.

The checks are `fake_gateway.explain_token` — the same decision code the emulated gateway runs on every request —
applied to either a pasted gateway config (e.g. `aws bedrock-agentcore-control get-gateway` output) or the
running stack's gateway. Discovery document and JWKS come from files (offline) or from the `discoveryUrl`.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import httpx

from authstage_kit.access import TOKEN_HEADER
from harness._exceptions import AuthstageError
from harness._manifest import running_manifest

__all__ = ["explain", "explain_running", "render_checks"]

MARK = {True: "PASS", False: "FAIL", None: "skip"}


def explain_running(token: str, gateway_url: str, control_token: str | None) -> list[dict[str, Any]]:
    """Every check of the running gateway's authorizer for `token`: its config, the JWKS it holds and its clock
    (`POST /_authstage/explain`), so a moved clock or a rotated key shows as the gateway sees it."""
    headers = {TOKEN_HEADER: control_token} if control_token else {}
    try:
        response = httpx.post(f"{gateway_url}/_authstage/explain", json={"token": token}, headers=headers,
                              timeout=10, trust_env=False)
        response.raise_for_status()
    except httpx.HTTPStatusError as exc:
        raise AuthstageError(f"the running gateway at {gateway_url} refused to explain: "
                             f"{exc.response.status_code} {exc.response.text[:300]}") from exc
    except httpx.HTTPError as exc:
        raise AuthstageError(f"cannot reach the running gateway at {gateway_url}: {exc}") from exc
    checks: list[dict[str, Any]] = response.json()["checks"]
    return checks


def _explain_running(token: str, manifest_file: str | None) -> tuple[list[dict[str, Any]], str]:
    manifest = running_manifest(manifest_file)
    if manifest is None:
        raise AuthstageError(
            "no gateway to explain against: pass --gateway-config FILE (your real AWS gateway JSON works), "
            "or start `authstage up` first"
        )
    gateway = manifest["services"]["gateway"]
    checks = explain_running(token, gateway["url"], manifest.get("control_token"))
    return checks, f"running gateway {gateway['mcp_url']}, on its clock"


def explain(
    token: str,
    *,
    gateway_config: str | None,
    discovery: str | None,
    jwks: str | None,
    manifest: str | None,
    load: Callable[[str], Any],
) -> tuple[list[dict[str, Any]], str]:
    from fake_gateway import Gateway, explain_token
    from fake_gateway.dialect import detect

    if not gateway_config:
        return _explain_running(token, manifest)
    try:
        document = load(gateway_config)
    except OSError as exc:
        raise AuthstageError(f"cannot read {gateway_config}: {exc.strerror}") from exc
    source = f"gateway config {gateway_config}"
    if not isinstance(document, dict):
        raise AuthstageError(f"{source}: expected a JSON/YAML object")
    if detect(document) == "agentgateway":
        return _explain_agentgateway(token, document, source, manifest, gateway_config)
    try:
        gateway = Gateway.from_document(document)
    except ValueError as exc:
        raise AuthstageError(f"{source} is not a valid gateway: {exc}") from exc
    offline = {"discovery": load(discovery) if discovery else None, "jwks": load(jwks) if jwks else None}
    try:
        checks = explain_token(token, gateway, discovery=offline["discovery"], jwks=offline["jwks"])
    except (httpx.HTTPError, OSError, ValueError) as exc:
        raise AuthstageError(
            f"cannot fetch the IdP's discovery document or JWKS ({exc}); pass --discovery FILE and --jwks FILE to "
            "explain offline"
        ) from exc
    return [check.to_dict() for check in checks], source


def _explain_agentgateway(token: str, document: dict[str, Any], source: str, manifest: str | None,
                          gateway_config: str | None) -> tuple[list[dict[str, Any]], str]:
    """agentgateway: mcpAuthentication's checks and each `authorization` rule with the claim values it saw, run by
    a gateway (the running one, or one started in-process on the given config)."""
    import asyncio

    from fake_gateway.agentgateway import AgentGateway
    from fake_gateway.agentgateway.app import create_app

    if gateway_config is None:
        url = (running_manifest(manifest) or {})["services"]["gateway"]["url"]
        response = httpx.post(f"{url}/_authstage/explain", json={"token": token}, timeout=10)
        checks: list[dict[str, Any]] = response.raise_for_status().json()["checks"]
        return checks, source
    try:
        app = create_app(AgentGateway.from_document(document))
    except ValueError as exc:
        raise AuthstageError(f"{source} is not a valid agentgateway config: {exc}") from exc
    found = asyncio.run(app.state.control.pipeline.explain(token))
    return [check.to_dict() for check in found], source


def render_checks(checks: list[dict[str, Any]], source: str) -> str:
    lines = [f"Checks of the gateway's CUSTOM_JWT authorizer ({source}):", ""]
    width = max((len(check["name"]) for check in checks), default=10)
    for check in checks:
        lines.append(f"  {MARK[check['passed']]:<4}  {check['name']:<{width}}  {check['reason']}")
        if check.get("fix") and check["passed"] is False:
            lines.append(f"        {'':<{width}}  fix: {check['fix']}")
    failed = [check["name"] for check in checks if check["passed"] is False]
    lines.append("")
    lines.append("Result: " + ("accepted" if not failed else "rejected by " + ", ".join(failed)))
    return "\n".join(lines)
