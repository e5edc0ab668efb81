"""Nothing ignored silently: what a loaded gateway document says that the emulator converts, maps, ignores or
warns about.

A `Notice` is one line a user reads at load (`python -m fake_gateway`), in `authstage up`'s output, in the
manifest and in the APPLICATION_LOGS records. Kinds:

* converted - a foreign shape (CloudFormation, Terraform, ...) became the API shape, and how
* resolved  - an intrinsic or an interpolation got a value (a stand-in id where AWS would have made one)
* mapped    - the harness pointed a foreign URL at the local stack
* ignored   - an accepted field the emulator does not act on, and why
* info      - read-only members kept as printed; defaults the emulator chose
* warning   - the gateway will behave in a way the user probably did not intend (every call denied, ...)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from fake_gateway.rules import is_loopback_http

__all__ = ["IGNORED", "Notice", "document_notices", "find"]

KINDS = ("converted", "resolved", "mapped", "ignored", "info", "warning")


@dataclass(frozen=True)
class Notice:
    kind: str
    path: str
    message: str

    def to_dict(self) -> dict[str, str]:
        return {"kind": self.kind, "path": self.path, "message": self.message}

    def __str__(self) -> str:
        where = f"{self.path}: " if self.path else ""
        return f"{self.kind}: {where}{self.message}"


# Accepted members the emulator does not act on, each with why (DOC pages in the reference sheet §1-§9).
IGNORED: tuple[tuple[str, str], ...] = (
    ("roleArn", "IAM is not evaluated: targets are reached with the credentials this document gives"),
    ("kmsKeyArn", "no encryption at rest to configure"),
    ("tags", "kept, not served"),
    ("clientToken", "idempotency tokens have no effect on one local gateway"),
    ("wafConfiguration", "no AWS WAF in front of the local gateway"),
    ("webAclArn", "no AWS WAF in front of the local gateway"),
    ("domainOverride", "custom domains are not served; the PRM and challenges use the origin the client called "
     "(knob emulator.publicUrl pins one)"),
    ("customTransformConfiguration", "custom transforms are not emulated"),
    ("workloadIdentityDetails", "workload identities are not emulated"),
    ("gatewayUrl", "not used for routing: the gateway answers where it was started"),
    ("authorizerConfiguration.customJWTAuthorizer.privateEndpoint",
     "discovery and JWKS are fetched directly (no PrivateLink)"),
    ("authorizerConfiguration.customJWTAuthorizer.privateEndpointOverrides",
     "discovery and JWKS are fetched directly (no PrivateLink)"),
    ("authorizerConfiguration.customJWTAuthorizer.certificateConfigurations",
     "no custom CA certificates are loaded"),
    ("authorizerConfiguration.customJWTAuthorizer.allowedWorkloadConfiguration",
     "workload identities are not emulated"),
    ("interceptorConfigurations[*].inputConfiguration.payloadFilter",
     "payload filters apply to HTTP targets, which are not emulated"),
    ("interceptorConfigurations[*].responseInterceptionMode", "responses are buffered before the interceptor"),
    ("interceptorConfigurations[*].responseStreamingConfiguration",
     "the RESPONSE interceptor sees the final result once"),
    ("targets[*].privateEndpoint", "targets are called directly (no PrivateLink)"),
    ("targets[*].privateEndpointManagedResources", "targets are called directly (no PrivateLink)"),
    ("targets[*].certificateConfigurations", "no custom CA certificates are loaded"),
    ("targets[*].authorizationData", "3LO authorization is not emulated"),
    ("targets[*].targetConfiguration.mcp.mcpServer.resourcePriority",
     "resources are not aggregated (resources/list is empty), so there is nothing to order"),
    ("credentialProviders[*].tags", "kept, not served"),
    ("policyEngines[*].encryptionKeyArn", "no encryption at rest to configure"),
)

# Read-only members of get responses and descriptive ones: kept as printed, not served, listed once.
READ_ONLY = (
    "description", "createdAt", "updatedAt", "status", "statusReasons",
    "targets[*].createdAt", "targets[*].updatedAt", "targets[*].status", "targets[*].statusReasons",
    "targets[*].lastSynchronizedAt", "targets[*].gatewayArn", "targets[*].protocolType",
)


def find(document: Any, pattern: str) -> Iterator[tuple[str, Any]]:
    """(concrete path, value) of every member of `document` that `pattern` (`a.b[*].c`) names."""
    yield from _find(document, pattern.split("."), "")


def _find(value: Any, parts: list[str], path: str) -> Iterator[tuple[str, Any]]:
    if not parts:
        yield path, value
        return
    head, rest = parts[0], parts[1:]
    each = head.endswith("[*]")
    key = head[:-3] if each else head
    if not isinstance(value, dict) or value.get(key) is None:
        return
    here = f"{path}.{key}" if path else key
    if not each:
        yield from _find(value[key], rest, here)
    elif isinstance(value[key], list):
        for index, item in enumerate(value[key]):
            yield from _find(item, rest, f"{here}[{index}]")


def document_notices(document: Mapping[str, Any]) -> list[Notice]:
    """Every ignored member, the read-only ones, and the warnings of an API-shaped gateway document."""
    notices = [Notice("ignored", path, why) for pattern, why in IGNORED for path, _ in find(document, pattern)]
    read_only = [path for pattern in READ_ONLY for path, _ in find(document, pattern)]
    if read_only:
        notices.append(Notice("info", "", "kept as printed, not served (read-only or descriptive): "
                              + ", ".join(read_only)))
    emulator = document.get("emulator") if isinstance(document.get("emulator"), dict) else {}
    for index, target in enumerate(document.get("targets") or []):
        if isinstance(target, dict):
            notices += _target_notices(target, f"targets[{index}]", emulator or {})
    notices += _interceptor_notices(document, emulator or {})
    notices += _policy_notices(document)
    return notices


def _target_notices(target: dict[str, Any], path: str, emulator: Mapping[str, Any]) -> list[Notice]:
    notices: list[Notice] = []
    config = target.get("targetConfiguration") or {}
    mcp = config.get("mcp") if isinstance(config, dict) else None
    kind = next(iter(mcp), None) if isinstance(mcp, dict) and mcp else None
    if kind is None:
        kinds = ", ".join(sorted(config)) if isinstance(config, dict) else "?"
        notices.append(Notice("warning", f"{path}.targetConfiguration",
                              f"{kinds} targets are not emulated: the target is listed FAILED and serves no tools"))
        return notices
    block = mcp[kind] if isinstance(mcp, dict) else {}
    notices += _kind_notices(kind, block if isinstance(block, dict) else {}, target, path, emulator)
    for cindex, cred in enumerate(target.get("credentialProviderConfigurations") or []):
        notices += _credential_notices(cred, f"{path}.credentialProviderConfigurations[{cindex}]")
    return notices


def _kind_notices(kind: str, block: dict[str, Any], target: dict[str, Any], path: str,
                  emulator: Mapping[str, Any]) -> list[Notice]:
    where = f"{path}.targetConfiguration.mcp.{kind}"
    name = str(target.get("name", ""))
    schema_files = emulator.get("schemaFiles") or {}
    notices: list[Notice] = []
    for source in ("toolSchema", "mcpToolSchema"):
        s3 = (block.get(source) or {}).get("s3") if isinstance(block.get(source), dict) else None
        if isinstance(s3, dict) and s3.get("uri") not in schema_files:
            notices.append(Notice("warning", f"{where}.{source}.s3",
                                  f"S3 is not reachable offline: map {s3.get('uri')!r} to a local file with "
                                  "emulator.schemaFiles, or paste the schema inline"))
    if kind in ("openApiSchema", "smithyModel") and isinstance(block.get("s3"), dict) \
            and block["s3"].get("uri") not in schema_files:
        notices.append(Notice("warning", f"{where}.s3",
                              f"S3 is not reachable offline: map {block['s3'].get('uri')!r} to a local file "
                              "with emulator.schemaFiles, or paste the schema inline"))
    if kind == "lambda":
        arn = str(block.get("lambdaArn", ""))
        if not _mapped(arn, emulator.get("lambdaFunctions") or {}):
            notices.append(Notice("info", f"{where}.lambdaArn",
                                  f"no local handler for {arn}: the built-in echo answers (set "
                                  "emulator.lambdaFunctions to a module:function or a URL)"))
    if kind in ("openApiSchema", "apiGateway") and not (emulator.get("targetBaseUrls") or {}).get(name):
        notices.append(Notice("info", where, "calls go to the server URL the schema names; "
                              f"emulator.targetBaseUrls.{name or '<target>'} points them at a local service"))
    if kind == "smithyModel":
        notices.append(Notice("info", where, "Smithy targets list their operations; a call answers with "
                              "the target error (AWS service calls are not emulated)"))
    if kind == "connector":
        notices.append(Notice("warning", where, "connector targets are not emulated: listed FAILED"))
    return notices


def _mapped(arn: str, functions: Mapping[str, Any]) -> bool:
    name = arn.split(":function:")[-1].split(":")[0] if ":function:" in arn else arn
    return arn in functions or name in functions


def _credential_notices(cred: Any, path: str) -> list[Notice]:
    if not isinstance(cred, dict):
        return []
    kind = cred.get("credentialProviderType")
    if kind == "GATEWAY_IAM_ROLE":
        return [Notice("ignored", path, "GATEWAY_IAM_ROLE: IAM is not evaluated and requests are not SigV4-signed")]
    if kind in ("CALLER_IAM_CREDENTIALS", "JWT_PASSTHROUGH"):
        return [Notice("warning", path, f"{kind} outbound auth is not emulated: calls carry no credential")]
    inner = (cred.get("credentialProvider") or {}).get("oauthCredentialProvider")
    if isinstance(inner, dict) and inner.get("grantType") == "AUTHORIZATION_CODE":
        return [Notice("warning", f"{path}.credentialProvider.oauthCredentialProvider.grantType",
                       "3LO (AUTHORIZATION_CODE) is not emulated: calls to this target fail")]
    return []


def _interceptor_notices(document: Mapping[str, Any], emulator: Mapping[str, Any]) -> list[Notice]:
    notices = []
    for path, arn in find(document, "interceptorConfigurations[*].interceptor.lambda.arn"):
        if isinstance(arn, str) and not _mapped(arn, emulator.get("lambdaFunctions") or {}):
            notices.append(Notice("info", path, f"no local handler for {arn}: a pass-through interceptor runs "
                                  "(set emulator.lambdaFunctions)"))
    return notices


def _policy_notices(document: Mapping[str, Any]) -> list[Notice]:
    reference = document.get("policyEngineConfiguration")
    if not isinstance(reference, dict) or not reference.get("arn"):
        return []
    engines = [e for e in document.get("policyEngines") or [] if isinstance(e, dict)]
    policies = [p for e in engines for p in e.get("policies") or [] if isinstance(p, dict)]
    if policies:
        return []
    mode = reference.get("mode", "ENFORCE")
    outcome = ("every tools/call will be denied and tools/list will be empty" if mode == "ENFORCE"
               else "every tools/call is logged as denied (LOG_ONLY, not enforced)")
    return [Notice("warning", "policyEngineConfiguration",
                   f"the gateway names policy engine {reference['arn']} but no policies are loaded: {outcome}, "
                   "as AgentCore's default deny would. Add them under policyEngines[].policies or "
                   "policyEngines[].policyFiles (Cedar files)")]


def loopback(url: str) -> bool:
    return is_loopback_http(url) or url.startswith("https://127.") or url.startswith("https://localhost")
