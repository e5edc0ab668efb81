"""The agentcore-cli project file (`agentcore/agentcore.json`, aws/agentcore-cli `src/schema/schemas/mcp.ts` and
`auth.ts`), to the API shape.

A project's `agentCoreGateways[]` each have `targets[]` with a `targetType` (`mcpServer`, `lambda`,
`lambdaFunctionArn`, `openApiSchema`, `smithyModel`, `apiGateway`, `connector`, `httpRuntime`, `passthrough`),
an `outboundAuth` (`{type: OAUTH|API_KEY|GATEWAY_IAM_ROLE|JWT_PASSTHROUGH|NONE, credentialName, scopes}`) that
names one of the project's `credentials[]`, `enableSemanticSearch` (default true), `exceptionLevel`
(`NONE`|`DEBUG`). The CLI's CDK names the deployed gateway `<project>-<gateway>`. Files the project references
(`toolSchemaFile`, `schemaSource.inline.path`) are read relative to the project root; a scaffolded Python Lambda
tool (`compute.implementation`) becomes the local handler of its stand-in function ARN, so the project's own
tool code answers `tools/call`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fake_gateway.arns import lambda_arn
from fake_gateway.errors import Issue
from fake_gateway.notices import Notice
from fake_gateway.shapes.result import Conversion, Options
from fake_gateway.shapes.text import TextError, parse_text

__all__ = ["convert_project"]

def _obj(value: Any) -> dict[str, Any]:
    """A JSON object member, or {} for anything else (the project file is user-written)."""
    return value if isinstance(value, dict) else {}


# targetType -> whether the CDK falls back to GATEWAY_IAM_ROLE when outboundAuth is NONE (TARGET_TYPE_AUTH_CONFIG)
IAM_FALLBACK = {"smithyModel", "apiGateway", "lambda", "lambdaFunctionArn", "httpRuntime", "connector"}


class _Project:
    def __init__(self, document: Mapping[str, Any], options: Options) -> None:
        self.doc = document
        self.options = options
        base = options.base_dir or Path.cwd()
        self.root = base.parent if base.name == "agentcore" else base  # the project root holds agentcore/
        self.name = str(document.get("name") or "project")
        self.notices: list[Notice] = []
        self.issues: list[Issue] = []
        self.handlers: dict[str, str] = {}

    def read(self, relative: str, path: str) -> str | None:
        file = self.root / relative
        try:
            return file.read_text(encoding="utf-8")
        except OSError as exc:
            self.issues.append(Issue(path, f"cannot read {str(file)!r} (relative to the project root "
                                     f"{str(self.root)!r}): {exc.strerror}"))
            return None


def convert_project(document: Mapping[str, Any], options: Options) -> Conversion:
    gateways = [g for g in document.get("agentCoreGateways") or [] if isinstance(g, dict)]
    if options.select is not None:
        gateways = [g for g in gateways if options.select == g.get("name")]
    if len(gateways) != 1:
        names = [g.get("name") for g in document.get("agentCoreGateways") or [] if isinstance(g, dict)]
        why = "has no gateway" if not names else f"has gateways {names}: choose one with --gateway NAME"
        return Conversion({}, "agentcore-cli", issues=[Issue("agentCoreGateways", f"the project {why}")])
    project = _Project(document, options)
    gateway = gateways[0]
    api = _gateway(project, gateway)
    targets = [_target(project, t, f"agentCoreGateways.targets[{i}]")
               for i, t in enumerate(gateway.get("targets") or []) if isinstance(t, dict)]
    api["targets"] = [t for t in targets if t]
    providers = _providers(project, api["targets"])
    if providers:
        api["credentialProviders"] = providers
    if project.handlers:
        api["emulator"] = {"lambdaFunctions": project.handlers}
    notices = [Notice("converted", "", f"agentcore-cli project {project.name!r}: gateway {gateway.get('name')!r} "
                      f"served as {api['name']!r} with {len(api['targets'])} target(s)"), *project.notices]
    return Conversion(api, "agentcore-cli", notices, project.issues)


def _gateway(project: _Project, gateway: Mapping[str, Any]) -> dict[str, Any]:
    name = str(gateway.get("resourceName") or f"{project.name}-{gateway.get('name')}")
    account, region = project.options.account, project.options.region
    api: dict[str, Any] = {
        "name": name,
        "roleArn": gateway.get("executionRoleArn") or f"arn:aws:iam::{account}:role/{name}-gateway-role",
        "authorizerType": gateway.get("authorizerType", "NONE"),
    }
    for key in ("description", "tags"):
        if gateway.get(key):
            api[key] = gateway[key]
    jwt = _obj(gateway.get("authorizerConfiguration")).get("customJwtAuthorizer")
    if jwt is not None:
        api["authorizerConfiguration"] = {"customJWTAuthorizer": jwt}
    if gateway.get("protocolType", "MCP") != "None":
        api["protocolType"] = "MCP"
    if gateway.get("enableSemanticSearch", True):
        api["protocolConfiguration"] = {"mcp": {"searchType": "SEMANTIC"}}
    if gateway.get("exceptionLevel") == "DEBUG":
        api["exceptionLevel"] = "DEBUG"
    engine = gateway.get("policyEngineConfiguration")
    if isinstance(engine, dict) and engine.get("policyEngineName"):
        ename = str(engine["policyEngineName"])
        api["policyEngineConfiguration"] = {
            "arn": f"arn:aws:bedrock-agentcore:{region}:{account}:policy-engine/{ename}-0000000000",
            "mode": engine.get("mode", "ENFORCE")}
        engines = project.doc.get("policyEngines")
        api["policyEngines"] = [_engine(e) for e in engines if isinstance(e, dict) and e.get("name") == ename] \
            if isinstance(engines, list) else []
        api["policyEngines"] = api["policyEngines"] or [{"name": ename}]
    return api


def _engine(engine: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {"name": engine["name"]}
    policies = [p for p in engine.get("policies") or [] if isinstance(p, dict)] \
        if isinstance(engine.get("policies"), list) else []
    if policies:
        out["policies"] = [{"name": p.get("name"), "definition": p.get("definition") or
                            {"cedar": {"statement": p.get("statement")}}} for p in policies]
    return out


def _target(project: _Project, target: Mapping[str, Any], path: str) -> dict[str, Any] | None:
    kind = str(target.get("targetType"))
    config = _config(project, target, kind, path)
    if config is None:
        return None
    out: dict[str, Any] = {"name": target.get("name"), "targetConfiguration": config}
    creds = _outbound(target, kind)
    if creds is not None:
        out["credentialProviderConfigurations"] = creds
    return out


def _config(project: _Project, target: Mapping[str, Any], kind: str, path: str) -> dict[str, Any] | None:
    opts = project.options
    if kind == "mcpServer":
        endpoint = target.get("endpoint")
        if not endpoint:
            project.notices.append(Notice("warning", path, "a compute-hosted MCP server has no endpoint in the "
                                          "project file; a stand-in endpoint is used (point it at a local server)"))
            endpoint = f"https://{target.get('name')}.runtime.invalid/mcp"
        return {"mcp": {"mcpServer": {"endpoint": endpoint}}}
    if kind in ("lambda", "lambdaFunctionArn"):
        return _lambda(project, target, kind, path)
    if kind in ("openApiSchema", "smithyModel"):
        source = _obj(target.get("schemaSource"))
        if isinstance(source.get("inline"), dict):
            text = project.read(str(source["inline"].get("path")), f"{path}.schemaSource.inline.path")
            return None if text is None else {"mcp": {kind: {"inlinePayload": text}}}
        return {"mcp": {kind: {"s3": source.get("s3") or {}}}}
    if kind == "apiGateway":
        return {"mcp": {"apiGateway": target.get("apiGateway") or {}}}
    if kind == "connector":
        return {"mcp": {"connector": {"source": {"connectorId": target.get("connectorId")}}}}
    if kind == "passthrough":
        return {"http": {"passthrough": target.get("passthrough") or {}}}
    if kind == "httpRuntime":
        runtime = _obj(target.get("httpRuntime")).get("runtime", "runtime")
        arn = f"arn:aws:bedrock-agentcore:{opts.region}:{opts.account}:runtime/{runtime}-0000000000"
        return {"http": {"agentcoreRuntime": {"arn": arn}}}
    project.issues.append(Issue(f"{path}.targetType", f"unknown targetType {kind!r}"))
    return None


def _lambda(project: _Project, target: Mapping[str, Any], kind: str, path: str) -> dict[str, Any] | None:
    opts = project.options
    if kind == "lambdaFunctionArn":
        spec = _obj(target.get("lambdaFunctionArn"))
        text = project.read(str(spec.get("toolSchemaFile")), f"{path}.lambdaFunctionArn.toolSchemaFile")
        if text is None:
            return None
        try:
            tools = parse_text(text)
        except TextError as exc:
            project.issues.append(Issue(f"{path}.lambdaFunctionArn.toolSchemaFile", str(exc)))
            return None
        tools = tools.get("tools", tools) if isinstance(tools, dict) else tools
        return {"mcp": {"lambda": {"lambdaArn": spec.get("lambdaArn"), "toolSchema": {"inlinePayload": tools}}}}
    arn = lambda_arn(opts.region, opts.account, f"{project.name}-{target.get('name')}")
    implementation = _obj(_obj(target.get("compute")).get("implementation"))
    if implementation.get("language") == "Python" and implementation.get("path"):
        handler = f"{project.root / str(implementation['path'])}:{implementation.get('handler', 'handler')}"
        project.handlers[arn] = handler
        project.notices.append(Notice("mapped", f"{path}.compute", f"{arn} runs the project's own Python handler "
                                      f"{handler}"))
    definitions = target.get("toolDefinitions")
    tools = [json.loads(json.dumps(t)) for t in definitions] if isinstance(definitions, list) else definitions
    return {"mcp": {"lambda": {"lambdaArn": arn, "toolSchema": {"inlinePayload": tools}}}}


def _outbound(target: Mapping[str, Any], kind: str) -> list[dict[str, Any]] | None:
    auth = _obj(target.get("outboundAuth"))
    atype = auth.get("type", "NONE")
    if atype == "OAUTH":
        inner = {"providerArn": auth.get("credentialName"), "scopes": auth.get("scopes") or []}
        return [{"credentialProviderType": "OAUTH", "credentialProvider": {"oauthCredentialProvider": inner}}]
    if atype == "API_KEY":
        inner = {"providerArn": auth.get("credentialName")}
        return [{"credentialProviderType": "API_KEY", "credentialProvider": {"apiKeyCredentialProvider": inner}}]
    if atype == "GATEWAY_IAM_ROLE" or (atype == "NONE" and kind in IAM_FALLBACK):
        entry: dict[str, Any] = {"credentialProviderType": "GATEWAY_IAM_ROLE"}
        if auth.get("service"):
            entry["credentialProvider"] = {"iamCredentialProvider": {
                k: auth[k] for k in ("service", "region") if auth.get(k)}}
        return [entry]
    if atype == "JWT_PASSTHROUGH":
        return [{"credentialProviderType": "JWT_PASSTHROUGH"}]
    return None


def _providers(project: _Project, targets: list[dict[str, Any]]) -> list[dict[str, Any]]:
    used = {str(_obj(_obj(c.get("credentialProvider")).get(m)).get("providerArn"))
            for t in targets for c in t.get("credentialProviderConfigurations") or []
            for m in ("oauthCredentialProvider", "apiKeyCredentialProvider")}
    providers: list[dict[str, Any]] = []
    credentials = project.doc.get("credentials")
    for index, cred in enumerate(credentials if isinstance(credentials, list) else []):
        if not isinstance(cred, dict) or not isinstance(cred.get("name"), str) or cred.get("name") not in used:
            continue
        kind = cred.get("authorizerType") or cred.get("type")
        path = f"credentials[{index}]"
        if kind == "OAuthCredentialProvider":
            discovery = {"discoveryUrl": cred.get("discoveryUrl")} if cred.get("discoveryUrl") else {}
            providers.append({"name": cred["name"], "credentialProviderVendor": cred.get("vendor", "CustomOauth2"),
                              "oauth2ProviderConfigInput": {"customOauth2ProviderConfig": {
                                  "oauthDiscovery": discovery}}})
            project.notices.append(Notice("warning", path, "the client id and secret live in agentcore/.env.local, "
                                          "not in agentcore.json: add clientId and clientSecret to this provider "
                                          "(authstage's harness maps it to its local IdP)"))
        else:
            providers.append({"name": cred["name"], "apiKey": None})
            project.notices.append(Notice("warning", path, "the API key lives in agentcore/.env.local: add apiKey "
                                          "to this provider"))
    return providers
