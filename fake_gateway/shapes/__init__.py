"""Every gateway configuration shape users hold, converted to the API shape the emulator serves.

`convert(document)` detects the shape (detect.py) and converts it, with a `Notice` per conversion and an `Issue`
per problem a conversion cannot get past; `combine(conversions)` joins a gateway with separately pasted targets,
credential providers and Cedar files; `read_files(paths)` does both for files. Validation of the result is the
model's (settings.py); nothing here decides what is valid AWS, only what the user meant.
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from fake_gateway.errors import UNREADABLE, Issue
from fake_gateway.notices import Notice
from fake_gateway.shapes.agentcore_cli import convert_project
from fake_gateway.shapes.aws_api import convert_api
from fake_gateway.shapes.cedar import expand_policy_files, split_policies
from fake_gateway.shapes.cloudformation import convert_resource, convert_template
from fake_gateway.shapes.detect import FOREIGN, detect
from fake_gateway.shapes.pulumi import convert_pulumi
from fake_gateway.shapes.result import Conversion, Options
from fake_gateway.shapes.terraform import convert_terraform
from fake_gateway.shapes.text import TextError, parse_text

__all__ = ["FOREIGN", "UNREADABLE", "Conversion", "Options", "combine", "convert", "detect", "from_requests",
           "read_files"]


def convert(document: Any, options: Options | None = None) -> Conversion:
    """The API-shaped gateway document `document` stands for (see detect.py for the shapes)."""
    options = options or Options()
    shape = detect(document)
    if shape == "invalid":
        kind = type(document).__name__
        return Conversion({}, shape, issues=[Issue("", f"a gateway document is a JSON object, not {kind}")])
    try:
        conversion = _convert(copy.deepcopy(document), shape, options)
    except (TypeError, AttributeError, KeyError, IndexError, ValueError, RecursionError) as exc:
        # A safety net, never a traceback or a 500: the fuzz (tests/fake_gateway/shapes/test_fuzz.py) fails on it.
        detail = f"{type(exc).__name__}: {exc}"[:200]
        return Conversion({}, shape, issues=[Issue("", UNREADABLE.format(shape=shape, detail=detail))])
    if conversion.ok:
        notices, issues = expand_policy_files(conversion.document, options.base_dir)
        conversion.notices += notices
        conversion.issues += issues
    return conversion


def _convert(document: dict[str, Any], shape: str, options: Options) -> Conversion:
    if shape in ("cloudformation", "cdk"):
        return convert_template(document, options)
    if shape == "cloudformation-resource":
        return convert_resource(document, options)
    if shape in ("terraform-show", "terraform-state"):
        return convert_terraform(document, options, shape=shape)
    if shape in ("pulumi-stack", "pulumi-yaml"):
        return convert_pulumi(document, options, shape=shape)
    if shape == "agentcore-cli":
        return convert_project(document, options)
    return convert_api(document, shape)


def combine(parts: Sequence[tuple[str, Any]], options: Options | None = None) -> Conversion:
    """One gateway from several pasted documents (`(source, document)`): exactly one gateway, plus targets
    (get-gateway-target outputs), credential providers, policy engines and Cedar policy text."""
    options = options or Options()
    gateway: Conversion | None = None
    extras: list[tuple[str, Any]] = []
    issues: list[Issue] = []
    for source, document in parts:
        shape = "cedar" if isinstance(document, str) else detect(document)
        if shape in FOREIGN or shape in ("api", "update-gateway"):
            if gateway is not None:
                issues.append(Issue(source, "a second gateway document: give one gateway with its targets"))
                continue
            gateway = convert(document, options)
            gateway.notices.insert(0, Notice("converted", "", f"{source}: {gateway.shape} document"))
        else:
            extras.append((source, document))
    if gateway is None:
        return Conversion({}, "bundle", issues=[*issues, Issue("", "none of the documents is a gateway "
                                                               "(get-gateway output, a template, ...)")])
    for source, document in extras:
        _add(gateway, source, document)
    gateway.issues += issues
    return gateway


def from_requests(gateway: Mapping[str, Any], targets: Sequence[Mapping[str, Any]] = (),
                  providers: Sequence[Mapping[str, Any]] = (), options: Options | None = None) -> Conversion:
    """A served gateway from API request bodies: a CreateGateway (or UpdateGateway) input, CreateGatewayTarget
    inputs, Create*CredentialProvider inputs - what a control-plane API (issue 17) holds after its calls."""
    parts: list[tuple[str, Any]] = [("CreateGateway", dict(gateway))]
    parts += [(f"CreateGatewayTarget[{i}]", dict(t)) for i, t in enumerate(targets)]
    parts += [(f"CreateCredentialProvider[{i}]", dict(p)) for i, p in enumerate(providers)]
    return combine(parts, options)


def _add(gateway: Conversion, source: str, document: Any) -> None:
    doc = gateway.document
    if isinstance(document, str):
        try:
            policies = split_policies(document, Path(source).stem)
        except ValueError as exc:
            gateway.issues.append(Issue(source, f"Invalid Cedar policy: {exc}"))
            return
        engines = doc.setdefault("policyEngines", [])
        if not engines:
            engines.append({"name": "policies"})
        engines[0].setdefault("policies", []).extend(policies)
        gateway.notices.append(Notice("converted", source, f"{len(policies)} Cedar policies into policy engine "
                                      f"{engines[0].get('name')!r}"))
        return
    shape = detect(document)
    clean = {k: v for k, v in document.items() if k != "ResponseMetadata"} if isinstance(document, Mapping) else {}
    if shape == "gateway-target":
        targets = [t for t in doc.get("targets") or [] if t.get("name") != clean.get("name")]
        doc["targets"] = [*targets, clean]
        gateway.notices.append(Notice("converted", source, f"target {clean.get('name')!r} added"))
    elif _is_provider(clean):
        doc.setdefault("credentialProviders", []).append(clean)
        gateway.notices.append(Notice("converted", source, f"credential provider {clean.get('name')!r} added"))
    elif "policyEngineArn" in clean or "policyEngineId" in clean:
        doc.setdefault("policyEngines", []).append(clean)
        gateway.notices.append(Notice("converted", source, f"policy engine {clean.get('name')!r} added"))
    else:
        converted = convert(document)
        gateway.issues += converted.issues or [Issue(source, f"a {shape} document cannot be added to a gateway")]


def _is_provider(doc: Mapping[str, Any]) -> bool:
    keys = ("credentialProviderVendor", "oauth2ProviderConfigInput", "oauth2ProviderConfigOutput", "apiKey",
            "apiKeySecretArn", "credentialProviderArn")
    return any(k in doc for k in keys)


def read_files(paths: Sequence[str | Path], options: Options | None = None) -> Conversion:
    """Read and combine files (JSON, YAML, CloudFormation YAML, Cedar `.cedar`); the first file's directory is
    where relative references (policy files, tool schema files) are read from unless `options.base_dir` says."""
    options = options or Options()
    parts: list[tuple[str, Any]] = []
    issues: list[Issue] = []
    for path in paths:
        file = Path(path)
        try:
            text = file.read_text(encoding="utf-8")
        except OSError as exc:
            issues.append(Issue(str(path), f"cannot read: {exc.strerror}"))
            continue
        except UnicodeDecodeError:
            issues.append(Issue(str(path), "not a text file (UTF-8)"))
            continue
        if file.suffix == ".cedar":
            parts.append((str(path), text))
            continue
        try:
            parts.append((str(path), parse_text(text, source=str(path))))
        except TextError as exc:
            issues.append(Issue(str(path), str(exc)))
    if options.base_dir is None and paths:
        options.base_dir = Path(paths[0]).resolve().parent
    if issues:
        return Conversion({}, "file", issues=issues)
    if len(parts) == 1 and not isinstance(parts[0][1], str):
        return convert(parts[0][1], options)
    return combine(parts, options)
