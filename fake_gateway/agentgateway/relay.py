"""One downstream MCP session over the targets of one MCP backend: fan-out, multiplexing, mcpAuthorization
[AG:src/mcp/handler.rs, rbac.rs, session.rs; sheet §2.2, §2.5].

- Names: with `prefixMode` `always`, or `conditional` (default) and more than one target, tools and prompts are
  listed as `<target>_<name>` and resource URIs with a scheme as `<target>+<uri>`; a call is routed by the first
  `_` (`+`); a name with none is `invalid resource name`. One target, no prefix: its results pass unchanged.
- `initialize`: one target's result is forwarded as it is; several give the lowest protocolVersion, agentgateway's
  serverInfo and the instructions merged under a preamble.
- mcpAuthorization: `*/list` results are filtered silently (CEL sees the unprefixed name and the target); a direct
  call of a refused item gets -32602 `Unknown tool: <name as sent>` at the era's HTTP status (D 400, C 500, B 200;
  A: 500 -32603 `failed to send message: unauthorized tool call`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from fake_gateway.agentgateway.cel_rules import decide
from fake_gateway.agentgateway.config import McpBackendSpec, Rule
from fake_gateway.agentgateway.errors import GATEWAY_PREAMBLE, AgwError, JsonRpcDenial, PlainError
from fake_gateway.agentgateway.upstream import Upstream, UpstreamFailure

__all__ = ["CallContext", "Relay"]

LISTS = {"tools/list": ("tools", "tool"), "prompts/list": ("prompts", "prompt"),
         "resources/list": ("resources", "resource"), "resources/templates/list": ("resourceTemplates", "resource")}
CALLS = {"tools/call": "tool", "prompts/get": "prompt", "resources/read": "resource"}
DENIAL_STATUS = {"B": 200, "C": 500, "D": 400}


@dataclass
class CallContext:
    """What mcpAuthorization sees besides the item: `jwt`, `request` (cel_rules variables)."""

    variables: dict[str, Any]
    rules: Sequence[Rule]
    era: str
    reasons: list[str] = field(default_factory=list)  # why items were filtered or refused (the request log)


def _error(rpc_id: Any, code: int, message: str) -> dict[str, Any]:
    return {"jsonrpc": "2.0", "id": rpc_id, "error": {"code": code, "message": message}}


class Relay:
    def __init__(self, backend: McpBackendSpec, upstreams: dict[str, Upstream], server_version: str) -> None:
        self.backend = backend
        self.upstreams = upstreams
        self.server_version = server_version
        multiplexing = len(backend.targets) > 1
        self.prefix = backend.prefix_mode == "always" or (backend.prefix_mode == "conditional" and multiplexing)
        self.multiplexing = multiplexing

    async def close(self) -> None:
        await asyncio.gather(*(u.close() for u in self.upstreams.values()), return_exceptions=True)

    # --- entry

    async def notify(self, message: dict[str, Any]) -> None:
        await asyncio.gather(*(u.notify(message) for u in self.upstreams.values()), return_exceptions=True)

    async def request(self, message: dict[str, Any], ctx: CallContext) -> dict[str, Any]:
        method = message.get("method")
        if method == "initialize":
            return await self._initialize(message)
        if method == "ping":
            return {"jsonrpc": "2.0", "id": message["id"], "result": {}}
        if method in LISTS:
            return await self._list(message, method, ctx)
        if method in CALLS:
            return await self._call(message, CALLS[method], ctx)
        if self.multiplexing:
            return _error(message["id"], -32601, f"method not found: {method}")
        return await self._send(next(iter(self.upstreams.values())), message)

    async def _send(self, upstream: Upstream, message: dict[str, Any]) -> dict[str, Any]:
        try:
            return await upstream.request(message)
        except UpstreamFailure as exc:
            raise PlainError.transport("send", exc.reason, detail=exc.reason) from exc

    async def _fanout(self, message: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
        names = list(self.upstreams)
        answers = await asyncio.gather(*(self.upstreams[n].request(message) for n in names), return_exceptions=True)
        found: list[tuple[str, dict[str, Any]]] = []
        for name, answer in zip(names, answers, strict=True):
            if isinstance(answer, AgwError):
                raise answer
            if isinstance(answer, BaseException):
                reason = answer.reason if isinstance(answer, UpstreamFailure) else str(answer)
                if self.backend.failure_mode == "failOpen":
                    continue
                raise PlainError.transport("send", reason, detail=reason)
            found.append((name, answer))
        return found

    # --- initialize

    async def _initialize(self, message: dict[str, Any]) -> dict[str, Any]:
        answers = await self._fanout(message)
        if not self.multiplexing and answers:
            return answers[0][1]
        results = [(n, a["result"]) for n, a in answers if isinstance(a.get("result"), dict)]
        if len(results) != len(answers) or not results:
            return next((a for _, a in answers if "error" in a), _error(message["id"], -32603, "no upstream"))
        requested = (message.get("params") or {}).get("protocolVersion", "")
        version = min([requested, *(str(r.get("protocolVersion", requested)) for _, r in results)])
        instructions = GATEWAY_PREAMBLE + "".join(
            f"\n\n[{name}]\n{r['instructions']}" for name, r in results if r.get("instructions"))
        capabilities = {"prompts": {"listChanged": True}, "resources": {"listChanged": True},
                        "tools": {"listChanged": True}}
        result = {"protocolVersion": version, "capabilities": capabilities,
                  "serverInfo": {"name": "agentgateway", "version": self.server_version},
                  "instructions": instructions}
        return {"jsonrpc": "2.0", "id": message["id"], "result": result}

    # --- lists and calls

    def _allowed(self, kind: str, target: str, name: str, ctx: CallContext) -> tuple[bool, str]:
        variables = {**ctx.variables, "mcp": {kind: {"name": name, "target": target}}}
        decision = decide(ctx.rules, variables, what="mcpAuthorization")
        return decision.allowed, decision.reason

    def _exposed(self, target: str, kind: str, item: dict[str, Any]) -> dict[str, Any]:
        if not self.prefix:
            return item
        if kind == "resource":
            uri_key = "uri" if "uri" in item else "uriTemplate"
            uri = str(item.get(uri_key, ""))
            return {**item, uri_key: f"{target}+{uri}"} if ":" in uri.split("/")[0] else item
        return {**item, "name": f"{target}_{item.get('name')}"}

    async def _list(self, message: dict[str, Any], method: str, ctx: CallContext) -> dict[str, Any]:
        key, kind = LISTS[method]
        answers = await self._fanout(message)
        if not self.multiplexing and answers and "error" in answers[0][1]:
            return answers[0][1]
        items = []
        for target, answer in answers:
            for item in (answer.get("result") or {}).get(key) or []:
                name = str(item.get("uri", item.get("uriTemplate")) if kind == "resource" else item.get("name"))
                allowed, reason = self._allowed(kind, target, name, ctx) if ctx.rules else (True, "")
                if allowed:
                    items.append(self._exposed(target, kind, item))
                else:
                    ctx.reasons.append(f"{method}: {kind} {name!r} of target {target!r} filtered: {reason}")
        return {"jsonrpc": "2.0", "id": message["id"], "result": {key: items}}

    def _resolve(self, kind: str, sent: str) -> tuple[str, str] | None:
        if not self.prefix:
            return next(iter(self.upstreams)), sent
        target, sep, name = sent.partition("+" if kind == "resource" else "_")
        return (target, name) if sep and target in self.upstreams else None

    async def _call(self, message: dict[str, Any], kind: str, ctx: CallContext) -> dict[str, Any]:
        params = dict(message.get("params") or {})
        field_name = "uri" if kind == "resource" else "name"
        sent = str(params.get(field_name, ""))
        resolved = self._resolve(kind, sent)
        if resolved is None:
            return _error(message["id"], -32602, "invalid resource name")
        target, name = resolved
        allowed, reason = self._allowed(kind, target, name, ctx) if ctx.rules else (True, "")
        if not allowed:
            raise self._denial(message["id"], kind, sent, f"{kind} {sent!r} refused by {reason}", ctx.era)
        forwarded = {**message, "params": {**params, field_name: name}}
        return await self._send(self.upstreams[target], forwarded)

    @staticmethod
    def _denial(rpc_id: Any, kind: str, sent: str, reason: str, era: str) -> AgwError:
        if era == "A":  # [AG@v0.10.5:src/mcp/session.rs#L153-L176]
            denial = JsonRpcDenial(500, rpc_id, kind, sent, reason)
            denial.message = "failed to send message: unauthorized tool call"
            denial.code = -32603
            return denial
        return JsonRpcDenial(DENIAL_STATUS[era], rpc_id, kind, sent, reason)
