"""Cedar policy files: a `.cedar` file (one policy set) becomes AgentCore `CreatePolicy` documents, one per policy.

AgentCore stores one Cedar statement per policy (DOC add-policies-to-engine); a file written for Cedar tooling
holds many. Each policy's `@id("...")` annotation becomes its name, otherwise `<file stem>_<n>`. Parsing is
cedarpy's (the Cedar engine), never ours.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import cedarpy

from fake_gateway.arns import hash10
from fake_gateway.errors import Issue
from fake_gateway.notices import Notice

__all__ = ["expand_policy_files", "split_policies"]

_NAME = re.compile(r"[^0-9A-Za-z_]+")  # AgentCore policy names: [A-Za-z][A-Za-z0-9_]*


def split_policies(text: str, stem: str) -> list[dict[str, Any]]:
    """Policy documents (`{name, policyId, definition: {cedar: {statement}}}`): the `@id` annotation (or
    `<stem>_<n>`) is the name, the id is `<name>-<10 chars>` as AgentCore ids are; ValueError when it does not
    parse."""
    parsed = json.loads(cedarpy.policies_to_json_str(text))
    policies = []
    for index, (_, policy) in enumerate(sorted(parsed.get("staticPolicies", {}).items(), key=_order)):
        annotations = dict(policy.get("annotations") or {})
        label = annotations.pop("id", None) or f"{stem}_{index}"
        policy["annotations"] = annotations
        one = {"staticPolicies": {"policy0": policy}, "templates": {}, "templateLinks": []}
        statement = cedarpy.policies_from_json_str(json.dumps(one)).strip()
        name = _NAME.sub("_", str(label)).strip("_")[:48]
        name = name if name[:1].isalpha() else f"p_{name}"
        policies.append({"name": name, "policyId": f"{name}-{hash10(name)}",
                         "definition": {"cedar": {"statement": statement}}})
    return policies


def _order(item: tuple[str, Any]) -> int:
    digits = "".join(c for c in item[0] if c.isdigit())
    return int(digits) if digits else 0


def expand_policy_files(document: dict[str, Any], base_dir: Path | None) -> tuple[list[Notice], list[Issue]]:
    """Replace every `policyEngines[].policyFiles` with the policies it holds (in place)."""
    notices: list[Notice] = []
    issues: list[Issue] = []
    engines = document.get("policyEngines")
    if not isinstance(engines, list):  # absent, or a shape the settings model refuses with its own message
        return notices, issues
    for index, engine in enumerate(engines):
        if not isinstance(engine, dict) or "policyFiles" not in engine:
            continue
        files = engine.pop("policyFiles")
        path = f"policyEngines[{index}].policyFiles"
        if not isinstance(files, list) or not all(isinstance(f, str) for f in files):
            issues.append(Issue(path, "policyFiles is a list of Cedar file paths"))
            continue
        policies = engine.setdefault("policies", [])
        for findex, name in enumerate(files):
            file = Path(name) if base_dir is None or Path(name).is_absolute() else base_dir / name
            try:
                loaded = split_policies(file.read_text(encoding="utf-8"), file.stem)
            except OSError as exc:
                issues.append(Issue(f"{path}[{findex}]", f"cannot read Cedar file {str(file)!r}: {exc.strerror}"))
                continue
            except ValueError as exc:
                issues.append(Issue(f"{path}[{findex}]", f"Invalid Cedar policy in {file.name}: {exc}"))
                continue
            policies.extend(loaded)
            notices.append(Notice("converted", f"{path}[{findex}]",
                                  f"{len(loaded)} Cedar polic{'y' if len(loaded) == 1 else 'ies'} from {file.name}: "
                                  f"{', '.join(p['name'] for p in loaded)}"))
    return notices, issues
