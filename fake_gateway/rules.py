"""AgentCore's own configuration rules, on top of the service model (sheet §2, §6, §7 of agentcore-gateway.md).

DOC pages: https://docs.aws.amazon.com/bedrock-agentcore/latest/devguide/inbound-jwt-authorizer.html,
gateway-create-api, gateway-sessions, gateway-target-MCPservers, gateway-building-adding-targets-authorization.
Each rule returns `Issue`s worded like the `ValidationException` AWS answers; wording that was not captured
from AWS is marked INFERRED in `errors.py`.
"""

from __future__ import annotations

import difflib
import functools
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlsplit

import cedarpy
from botocore.model import Shape

from authstage_kit.access import is_loopback
from fake_gateway.errors import (
    AT_LEAST_ONE_CHECK,
    C_PATTERN,
    CLAIM_OPERATOR_ARRAY,
    CLAIM_OPERATOR_STRING,
    CLAIM_VALUE_LIST,
    CREDENTIAL_PROVIDER_MISSING,
    DISCOVERY_JWKS,
    DISCOVERY_SUGGESTION,
    DISCOVERY_URL_DEVGUIDE,
    FOREIGN_KEYS,
    KNOWN_MCP_VERSIONS,
    VALUE_CONSTRAINT,
    Issue,
)
from fake_gateway.validation import Hook, doc_shape, service_model, suggest, validate

__all__ = [
    "API_KEY_PROVIDER_SHAPE",
    "GATEWAY_SHAPE",
    "OAUTH2_PROVIDER_SHAPE",
    "POLICY_ENGINE_SHAPE",
    "POLICY_SHAPE",
    "TARGET_SHAPE",
    "discovery_fix",
    "is_loopback_http",
    "match_policy_engine",
    "provider_kind",
    "provider_matches",
    "valid_discovery_url",
    "validate_document",
    "validate_request",
]

OUR_KEYS = ("targets", "credentialProviders", "policyEngines", "emulator")
IGNORED_KEYS = ("ResponseMetadata",)  # boto3 adds it to every response dict

# A pasted document is a create or update request or a get response: members of all, required only if all
# require them (UpdateGateway's gatewayIdentifier names the gateway being updated).
GATEWAY_SHAPE = doc_shape(
    "Gateway", [("CreateGateway", "input"), ("GetGateway", "output"), ("UpdateGateway", "input")]
)
TARGET_SHAPE = doc_shape(
    "GatewayTarget",
    [("CreateGatewayTarget", "input"), ("GetGatewayTarget", "output"), ("UpdateGatewayTarget", "input")],
    required={"name", "targetConfiguration"},
)
OAUTH2_PROVIDER_SHAPE = doc_shape(
    "Oauth2CredentialProvider",
    [("CreateOauth2CredentialProvider", "input"), ("GetOauth2CredentialProvider", "output")],
    required={"name", "credentialProviderVendor"},
)
API_KEY_PROVIDER_SHAPE = doc_shape(
    "ApiKeyCredentialProvider",
    [("CreateApiKeyCredentialProvider", "input"), ("GetApiKeyCredentialProvider", "output")],
    required={"name"},
)
POLICY_ENGINE_SHAPE = doc_shape(
    "PolicyEngine", [("CreatePolicyEngine", "input"), ("GetPolicyEngine", "output")], required={"name"}
)
POLICY_SHAPE = doc_shape(
    "Policy", [("CreatePolicy", "input"), ("GetPolicy", "output")], required={"name", "definition"}
)


def is_loopback_http(url: str) -> bool:
    """An http:// URL whose host is loopback (an address in 127.0.0.0/8 or ::1, or localhost): a host name that
    merely starts with `127.` (`127.attacker.example`) is a name like any other."""
    try:
        host = urlsplit(url).hostname or ""
    except ValueError:
        return False
    return url.lower().startswith("http://") and bool(host) and is_loopback(host)


def provider_kind(doc: dict[str, Any]) -> str | None:
    """'oauth2', 'apikey' or None, from the members a credential-provider document carries."""
    if any(
        k in doc
        for k in ("oauth2ProviderConfigInput", "oauth2ProviderConfigOutput", "credentialProviderVendor")
    ):
        return "oauth2"
    arn = str(doc.get("credentialProviderArn", ""))
    if (
        any(k in doc for k in ("apiKey", "apiKeySecretConfig", "apiKeySecretArn"))
        or "/apikeycredentialprovider/" in arn
    ):
        return "apikey"
    return None


def provider_matches(doc: dict[str, Any], reference: str) -> bool:
    """Does a target's `providerArn` (an ARN or a bare name) name this provider document?"""
    name = str(doc.get("name", ""))
    if reference == name or reference == doc.get("credentialProviderArn"):
        return True
    return reference.rsplit("/", 1)[-1] == name and (
        "/oauth2credentialprovider/" in reference or "/apikeycredentialprovider/" in reference
    )


def _issue(path: str, value: Any, constraint: str) -> Issue:
    shown = "null" if value is None else f"'{value}'"
    return Issue(path, VALUE_CONSTRAINT.format(value=shown, path=path, constraint=constraint))


def _hooks(doc: dict[str, Any], emulator: dict[str, Any]) -> dict[str, Hook]:
    providers = [p for p in doc.get("credentialProviders") or [] if isinstance(p, dict)]
    allow_http = emulator.get("allowHttpLoopbackEndpoints", True)
    devguide = emulator.get("discoveryUrlRule", "model") == "devguide"

    def endpoint(value: Any, path: str) -> list[Issue] | None:
        if allow_http and isinstance(value, str) and is_loopback_http(value):
            return []  # emulator widening: the model says https://.* (knob allowHttpLoopbackEndpoints)
        return None

    def provider_ref(value: Any, path: str) -> list[Issue] | None:
        if isinstance(value, str) and any(provider_matches(p, value) for p in providers):
            return []  # a bare provider name resolves locally
        return None

    def discovery(value: Any, path: str) -> list[Issue] | None:
        # The model (newer) also accepts oauth-authorization-server and path suffixes; the devguide pattern
        # is stricter (knob discoveryUrlRule: devguide). A near miss gets the URL it probably meant.
        if not isinstance(value, str):
            return None
        pattern = DISCOVERY_URL_DEVGUIDE if devguide else _DISCOVERY_PATTERN
        if re.fullmatch(pattern, value):
            return []
        issue = _issue(path, value, C_PATTERN.format(pattern=pattern))
        fixed = discovery_fix(value)
        if fixed is not None:
            hint = (DISCOVERY_JWKS if _JWKS.search(value) else DISCOVERY_SUGGESTION).format(url=fixed)
            issue = Issue(path, f"{issue.message}. {hint}")
        return [issue]

    return {
        "McpServerTargetConfigurationEndpointString": endpoint,
        "PassthroughEndpoint": endpoint,
        "OAuthCredentialProviderArn": provider_ref,
        "ApiKeyCredentialProviderArn": provider_ref,
        "DiscoveryUrl": discovery,
    }


_DISCOVERY_PATTERN = str(service_model().shape_for("DiscoveryUrl").metadata["pattern"])
_WELL_KNOWN = "/.well-known/openid-configuration"
_WELL_KNOWN_TYPO = re.compile(r"/\.?well[-_. ]?known/", re.IGNORECASE)
_JWKS = re.compile(r"/(\.well-known/)?(jwks([._-]json)?|keys|certs)/?$", re.IGNORECASE)


def valid_discovery_url(url: str) -> bool:
    """Does `url` satisfy the service model's DiscoveryUrl pattern?"""
    return re.fullmatch(_DISCOVERY_PATTERN, url) is not None


def discovery_fix(url: str) -> str | None:
    """The discoveryUrl a near miss probably meant: a misspelt well-known suffix, a JWKS URL, an issuer URL."""
    text = url.strip()
    if not text.lower().startswith(("http://", "https://")):
        return None
    jwks = _JWKS.search(text)
    if jwks:
        return text[: jwks.start()].rstrip("/") + _WELL_KNOWN
    text = _WELL_KNOWN_TYPO.sub("/.well-known/", text)  # `.well_known`, `well-known`, `.Well-Known`
    head, sep, tail = text.partition("/.well-known/")
    if sep:
        tail = tail.strip("/")
        ratio = difflib.SequenceMatcher(None, tail.lower(), "openid-configuration").ratio()
        return head + _WELL_KNOWN if ratio >= 0.7 or not tail else None
    if "?" in text or "#" in text:
        return None
    return text.rstrip("/") + _WELL_KNOWN


@functools.lru_cache(maxsize=1)
def _placements() -> dict[str, tuple[str, ...]]:
    """Member name (lower case) -> every place in a gateway document where it is a member (`targets[].name`)."""
    index: dict[str, list[str]] = {}

    def walk(members: Mapping[str, Shape], prefix: str, seen: frozenset[str]) -> None:
        for key, shape in members.items():
            path = f"{prefix}.{key}" if prefix else key
            index.setdefault(key.lower(), []).append(path)
            inner, suffix = shape, ""
            while inner.type_name in ("list", "map"):
                suffix += "[]" if inner.type_name == "list" else ".<key>"
                inner = getattr(inner, "member", None) or getattr(inner, "value")  # noqa: B009
            if inner.type_name == "structure" and not inner.metadata.get("document") and inner.name not in seen \
                    and len(seen) < 6:
                walk(getattr(inner, "members"), path + suffix, seen | {inner.name})  # noqa: B009

    walk(GATEWAY_SHAPE.members, "", frozenset())
    walk(TARGET_SHAPE.members, "targets[]", frozenset())
    walk(OAUTH2_PROVIDER_SHAPE.members, "credentialProviders[]", frozenset())
    walk(API_KEY_PROVIDER_SHAPE.members, "credentialProviders[]", frozenset())
    walk(POLICY_ENGINE_SHAPE.members, "policyEngines[]", frozenset())
    walk(POLICY_SHAPE.members, "policyEngines[].policies[]", frozenset())
    return {k: tuple(dict.fromkeys(v)) for k, v in index.items()}


def place(key: str, parent: str) -> str | None:
    """Where an unknown `key` (found under `parent`) belongs in a gateway document, or what it is."""
    if key.lower() in FOREIGN_KEYS:
        return FOREIGN_KEYS[key.lower()]
    here = re.sub(r"\[\d+\]", "[]", parent)
    candidates = [p for p in _placements().get(key.lower(), ()) if p.rsplit(".", 1)[0] != here or "." not in p]
    candidates = [p for p in candidates if not (here == "" and "." not in p)]
    if candidates:
        best = max(candidates, key=lambda p: (len(_common(p, here)), -len(p)))
        return f"'{key}' belongs at {best}"
    return None


def _common(a: str, b: str) -> str:
    out = []
    for x, y in zip(a.split("."), b.split("."), strict=False):
        if x != y:
            break
        out.append(x)
    return ".".join(out)


def validate_request(operation: str, body: Any) -> list[Issue]:
    """Every problem of one `bedrock-agentcore-control` request body (CreateGateway, UpdateGateway,
    CreateGatewayTarget, ...) against that operation's input shape, with the same hints as a pasted document."""
    shape = service_model().operation_model(operation).input_shape
    assert shape is not None, f"{operation} has no input shape"
    return validate(body, shape, placer=place)


def validate_document(doc: dict[str, Any], emulator: dict[str, Any]) -> list[Issue]:
    """Every model and AgentCore-rule violation of a whole gateway document (top level, targets, providers)."""
    hooks = _hooks(doc, emulator)
    issues = validate(doc, GATEWAY_SHAPE, hooks=hooks, extra_members=(*OUR_KEYS, *IGNORED_KEYS), placer=place)
    issues += _authorizer_rules(doc)
    issues += _protocol_rules(doc)
    providers = doc.get("credentialProviders") or []
    if not isinstance(providers, list):
        return issues  # pydantic reports the type
    for index, provider in enumerate(providers):
        path = f"credentialProviders[{index}]"
        if not isinstance(provider, dict):
            continue
        kind = provider_kind(provider)
        if kind is None:
            issues.append(
                Issue(
                    path,
                    "Cannot tell the provider kind: give 'oauth2ProviderConfigInput' (an "
                    "OAuth2 provider) or 'apiKey' (an API key provider)",
                )
            )
            continue
        shape = OAUTH2_PROVIDER_SHAPE if kind == "oauth2" else API_KEY_PROVIDER_SHAPE
        issues += validate(provider, shape, path, hooks=hooks, extra_members=IGNORED_KEYS, placer=place)
    names = [p.get("name") for p in providers if isinstance(p, dict)]
    for index, name in enumerate(names):
        if name is not None and names.index(name) != index:
            issues.append(
                Issue(f"credentialProviders[{index}].name", f"Duplicate credential provider name '{name}'")
            )
    issues += _target_rules(doc, hooks, emulator)
    issues += _policy_rules(doc, hooks)
    return issues


def _authorizer_rules(doc: dict[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    kind = doc.get("authorizerType")
    config = doc.get("authorizerConfiguration")
    jwt = config.get("customJWTAuthorizer") if isinstance(config, dict) else None
    path = "authorizerConfiguration.customJWTAuthorizer"
    if kind == "CUSTOM_JWT" and not isinstance(jwt, dict):
        if not (isinstance(config, dict) and any(k.lower() == "customjwtauthorizer" for k in config)):
            issues.append(
                Issue(
                    "authorizerConfiguration",
                    "Authorizer configuration with customJWTAuthorizer is required when authorizerType "
                    "is CUSTOM_JWT",
                )
            )
        return issues
    if kind in ("NONE", "AWS_IAM") and config:
        issues.append(
            Issue(
                "authorizerConfiguration",
                f"Authorizer configuration must not be set when authorizerType is {kind}",
            )
        )
    if not isinstance(jwt, dict):
        return issues
    checks = ("allowedAudience", "allowedClients", "allowedScopes", "customClaims")
    if kind == "CUSTOM_JWT" and not any(jwt.get(k) for k in checks):
        issues.append(Issue(path, AT_LEAST_ONE_CHECK))
    mapping = jwt.get("advertisedScopeMapping")
    scopes = jwt.get("allowedScopes") or []
    if isinstance(mapping, dict) and isinstance(scopes, list):
        for key in mapping:
            if key not in scopes:
                issues.append(
                    Issue(
                        f"{path}.advertisedScopeMapping.{key}",
                        f"Each key of advertisedScopeMapping must be a scope from allowedScopes; "
                        f"'{key}' is not in {scopes}",
                    )
                )
    claims = jwt.get("customClaims")
    for index, rule in enumerate(claims if isinstance(claims, list) else []):
        if isinstance(rule, dict):
            issues += _claim_rule_issues(rule, f"{path}.customClaims[{index}]")
    return issues


def _claim_rule_issues(rule: dict[str, Any], rpath: str) -> list[Issue]:
    """One customClaims rule: operator allowed for the value type, and the value member the operator reads."""
    issues: list[Issue] = []
    vtype = rule.get("inboundTokenClaimValueType")
    match = rule.get("authorizingClaimMatchValue") or {}
    operator = match.get("claimMatchOperator") if isinstance(match, dict) else None
    value = match.get("claimMatchValue") if isinstance(match, dict) else None
    if vtype == "STRING" and operator not in (None, "EQUALS"):
        issues.append(Issue(f"{rpath}.authorizingClaimMatchValue.claimMatchOperator", CLAIM_OPERATOR_STRING))
    if vtype == "STRING_ARRAY" and operator not in (None, "CONTAINS", "CONTAINS_ANY"):
        issues.append(Issue(f"{rpath}.authorizingClaimMatchValue.claimMatchOperator", CLAIM_OPERATOR_ARRAY))
    vpath = f"{rpath}.authorizingClaimMatchValue.claimMatchValue"
    if isinstance(value, list):
        issues.append(Issue(vpath, CLAIM_VALUE_LIST))
    if isinstance(value, dict):
        if operator == "CONTAINS_ANY" and "matchValueStringList" not in value:
            issues.append(Issue(vpath, "CONTAINS_ANY compares against a list: use matchValueStringList"))
        if operator in ("EQUALS", "CONTAINS") and "matchValueString" not in value:
            issues.append(Issue(vpath, f"{operator} compares against one value: use matchValueString"))
    return issues


def _protocol_rules(doc: dict[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    config = doc.get("protocolConfiguration")
    mcp = config.get("mcp") if isinstance(config, dict) else None
    if not isinstance(mcp, dict):
        return issues
    versions = mcp.get("supportedVersions")
    for index, version in enumerate(versions if isinstance(versions, list) else []):
        if isinstance(version, str) and version not in KNOWN_MCP_VERSIONS:
            issues.append(
                Issue(
                    f"protocolConfiguration.mcp.supportedVersions[{index}]",
                    f"Unsupported MCP version '{version}'. AgentCore Gateway supports: "
                    f"{', '.join(KNOWN_MCP_VERSIONS)}",
                )
            )
    return issues


def _target_rules(doc: dict[str, Any], hooks: dict[str, Hook], emulator: dict[str, Any]) -> list[Issue]:
    issues: list[Issue] = []
    targets = doc.get("targets") or []
    if not isinstance(targets, list):
        return issues
    providers = [p for p in doc.get("credentialProviders") or [] if isinstance(p, dict)]
    seen: dict[str, int] = {}
    for index, target in enumerate(targets):
        path = f"targets[{index}]"
        if not isinstance(target, dict):
            issues.append(Issue(path, "A target must be a JSON object (a get-gateway-target document)"))
            continue
        issues += validate(target, TARGET_SHAPE, path, hooks=hooks, extra_members=IGNORED_KEYS, placer=place)
        issues += _target_name_rules(target.get("name"), path, index, seen)
        server = _mcp_server(target)
        issues += _target_config_rules(target, server, path, doc)
        creds = target.get("credentialProviderConfigurations")
        for cindex, cred in enumerate(creds or [] if isinstance(creds, list) else []):
            if isinstance(cred, dict):
                issues += _credential_rules(
                    cred,
                    f"{path}.credentialProviderConfigurations[{cindex}]",
                    providers,
                    server is not None,
                    emulator,
                )
    return issues


def _target_name_rules(name: Any, path: str, index: int, seen: dict[str, int]) -> list[Issue]:
    """No `_` (tools are `<target>___<tool>`); unique per gateway, case-insensitively. Records `name` in `seen`."""
    if not isinstance(name, str):
        return []
    issues: list[Issue] = []
    if "_" in name:
        issues.append(
            Issue(
                f"{path}.name",
                f"Target name '{name}' may contain only letters, digits and single "
                f"hyphens: tool names are <target>___<tool>. Try "
                f"'{name.replace('_', '-')}'",
            )
        )
    if name.lower() in seen:
        issues.append(
            Issue(
                f"{path}.name",
                f"A target named '{name}' already exists in this gateway (targets[{seen[name.lower()]}])",
            )
        )
    seen.setdefault(name.lower(), index)
    return issues


def _mcp_server(target: dict[str, Any]) -> Any:
    """targetConfiguration.mcp.mcpServer, or None for other target kinds."""
    config = target.get("targetConfiguration") or {}
    if isinstance(config, dict) and isinstance(config.get("mcp"), dict):
        return (config.get("mcp") or {}).get("mcpServer")
    return None


def _target_config_rules(target: dict[str, Any], server: Any, path: str, doc: dict[str, Any]) -> list[Issue]:
    """A target against its gateway: protocolType, credential providers, listing mode, session header."""
    issues: list[Issue] = []
    protocol = doc.get("protocolConfiguration")
    mcp = ((protocol or {}).get("mcp") or {}) if isinstance(protocol, dict) else {}
    config = target.get("targetConfiguration") or {}
    if doc.get("protocolType") == "MCP" and isinstance(config, dict) and "http" in config:
        issues.append(
            Issue(
                f"{path}.targetConfiguration.http", "A gateway with protocolType MCP accepts only MCP targets"
            )
        )
    if target.get("credentialProviderConfigurations") is None and server is None and isinstance(config, dict) and config:
        issues.append(Issue(f"{path}.credentialProviderConfigurations", CREDENTIAL_PROVIDER_MISSING))
    semantic = isinstance(mcp, dict) and mcp.get("searchType") == "SEMANTIC"
    if isinstance(server, dict) and server.get("listingMode") == "DYNAMIC" and semantic:
        issues.append(
            Issue(
                f"{path}.targetConfiguration.mcp.mcpServer.listingMode",
                "DYNAMIC listing mode is not interoperable with semantic search (searchType SEMANTIC)",
            )
        )
    if isinstance(mcp, dict) and mcp.get("sessionConfiguration") is not None:
        meta = target.get("metadataConfiguration") or {}
        allowed = meta.get("allowedRequestHeaders") or [] if isinstance(meta, dict) else []
        if any(str(h).lower() == "mcp-session-id" for h in allowed):
            issues.append(
                Issue(
                    f"{path}.metadataConfiguration.allowedRequestHeaders",
                    "Mcp-Session-Id cannot be propagated when the gateway has sessionConfiguration",
                )
            )
    return issues


# credentialProviderType -> (its block in credentialProvider, the provider kind providerArn must name)
_PROVIDER_BLOCKS = {
    "OAUTH": ("oauthCredentialProvider", "oauth2"),
    "API_KEY": ("apiKeyCredentialProvider", "apikey"),
}


def _credential_rules(
    cred: dict[str, Any],
    path: str,
    providers: list[dict[str, Any]],
    mcp_server: bool,
    emulator: dict[str, Any],
) -> list[Issue]:
    kind = cred.get("credentialProviderType")
    inner = cred.get("credentialProvider") or {}
    issues: list[Issue] = []
    if isinstance(kind, str) and kind in _PROVIDER_BLOCKS:
        member = _PROVIDER_BLOCKS[kind][0]
        block = inner.get(member) if isinstance(inner, dict) else None
        if not isinstance(block, dict):
            return [
                Issue(
                    f"{path}.credentialProvider",
                    f"credentialProviderType {kind} needs credentialProvider.{member}",
                )
            ]
        issues += _provider_block_rules(kind, block, path, providers)
    if mcp_server and emulator.get("enforceTargetAuthMatrix"):
        grant = (
            (inner.get("oauthCredentialProvider") or {}).get("grantType") if isinstance(inner, dict) else None
        )
        if kind not in ("OAUTH", "GATEWAY_IAM_ROLE") or grant not in (
            None,
            "CLIENT_CREDENTIALS",
            "AUTHORIZATION_CODE",
        ):
            issues.append(
                Issue(
                    path,
                    f"mcpServer targets do not support {kind} outbound auth"
                    f"{' with ' + grant if grant else ''} (supported: OAuth or none)",
                )
            )
    return issues


def _provider_block_rules(
    kind: str, block: dict[str, Any], path: str, providers: list[dict[str, Any]]
) -> list[Issue]:
    """An OAUTH / API_KEY provider block: a providerArn that resolves to a provider of the right kind."""
    member, pkind = _PROVIDER_BLOCKS[kind]
    issues: list[Issue] = []
    ref = block.get("providerArn")
    if isinstance(ref, str):
        matches = [p for p in providers if provider_matches(p, ref)]
        if not matches:
            names = [str(p.get("name")) for p in providers]
            close = suggest(ref.rsplit("/", 1)[-1], names)
            hint = f" Did you mean '{close}'?" if close else (
                f" Add it under credentialProviders (a create-{'oauth2' if pkind == 'oauth2' else 'api-key'}-"
                "credential-provider document with its secret), or paste the config to `authstage up`, which "
                "stands in the local IdP's client"
            )
            issues.append(
                Issue(
                    f"{path}.credentialProvider.{member}.providerArn",
                    f"No credential provider '{ref}' in credentialProviders (names: {names}).{hint}",
                )
            )
        elif provider_kind(matches[0]) != pkind:
            issues.append(
                Issue(
                    f"{path}.credentialProvider.{member}.providerArn",
                    f"'{ref}' is not an {'OAuth2' if pkind == 'oauth2' else 'API key'} credential provider",
                )
            )
    if (
        kind == "OAUTH"
        and block.get("grantType") == "AUTHORIZATION_CODE"
        and not block.get("defaultReturnUrl")
    ):
        issues.append(
            Issue(
                f"{path}.credentialProvider.{member}.defaultReturnUrl",
                "grantType AUTHORIZATION_CODE needs defaultReturnUrl",
            )
        )
    return issues


def _policy_rules(doc: dict[str, Any], hooks: dict[str, Hook]) -> list[Issue]:
    issues: list[Issue] = []
    engines = doc.get("policyEngines") or []
    if not isinstance(engines, list):
        return issues
    for index, engine in enumerate(engines):
        path = f"policyEngines[{index}]"
        if not isinstance(engine, dict):
            continue
        issues += validate(
            engine, POLICY_ENGINE_SHAPE, path, hooks=hooks, extra_members=("policies", *IGNORED_KEYS),
            placer=place,
        )
        for pindex, policy in enumerate(engine.get("policies") or []):
            ppath = f"{path}.policies[{pindex}]"
            issues += validate(
                policy, POLICY_SHAPE, ppath, hooks=hooks, extra_members=("policyEngineId", *IGNORED_KEYS),
                placer=place,
            )
            definition = policy.get("definition") if isinstance(policy, dict) else None
            block = (
                (definition.get("cedar") or definition.get("policy"))
                if isinstance(definition, dict)
                else None
            )
            statement = block.get("statement") if isinstance(block, dict) else None
            if isinstance(statement, str):
                try:
                    cedarpy.policies_to_json_str(statement)
                except ValueError as exc:
                    issues.append(
                        Issue(f"{ppath}.definition.cedar.statement", f"Invalid Cedar policy: {exc}")
                    )
    reference = doc.get("policyEngineConfiguration")
    arn = reference.get("arn") if isinstance(reference, dict) else None
    if isinstance(arn, str) and engines and match_policy_engine(engines, arn) is None:
        issues.append(
            Issue("policyEngineConfiguration.arn", f"No policy engine in policyEngines matches '{arn}'")
        )
    return issues


def match_policy_engine(engines: list[Any], arn: str) -> dict[str, Any] | None:
    """The engine a gateway's `policyEngineConfiguration.arn` names: by ARN, by id, by name, or the only one."""
    docs = [e for e in engines if isinstance(e, dict)]
    last = arn.rsplit("/", 1)[-1]
    for engine in docs:
        if arn == engine.get("policyEngineArn") or last == engine.get("policyEngineId"):
            return engine
    for engine in docs:
        name = str(engine.get("name", ""))
        if last == name or (name and last.startswith(name + "-") and len(last) == len(name) + 11):
            return engine
    return docs[0] if len(docs) == 1 else None
