"""Reading pasted text: JSON, YAML (with CloudFormation's short-form tags), and a clear word for Terraform HCL.

CloudFormation YAML writes intrinsics as tags (`!Ref X`, `!GetAtt X.Y`, `!Sub ...`); they are read as the JSON
form (`{"Ref": "X"}`, `{"Fn::GetAtt": ["X", "Y"]}`, `{"Fn::Sub": ...}`), so one resolver serves both. YAML
timestamps and dates stay strings (`AWSTemplateFormatVersion: 2010-09-09`), as they are in JSON.
"""

from __future__ import annotations

import json
import re
from typing import Any

import yaml

__all__ = ["HCL_MESSAGE", "TextError", "parse_text"]

HCL_MESSAGE = (
    "this is Terraform HCL source, which authstage does not evaluate. Give it Terraform's JSON instead: "
    "`terraform show -json > state.json` after an apply, or `terraform plan -out plan.tfplan && "
    "terraform show -json plan.tfplan > plan.json` before one"
)
_HCL = re.compile(r'^\s*(resource|module|provider|terraform|variable|data|locals)\b[^\n]*\{', re.MULTILINE)


class TextError(ValueError):
    """The text is not a document authstage can read; the message says what it is and what to give instead."""


class _Loader(yaml.SafeLoader):
    """SafeLoader with CloudFormation's tags and without timestamp resolution."""


_Loader.yaml_implicit_resolvers = {
    first: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for first, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()
}


def _intrinsic(loader: yaml.Loader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.ScalarNode):
        value: Any = loader.construct_scalar(node)
    elif isinstance(node, yaml.SequenceNode):
        value = loader.construct_sequence(node, deep=True)
    else:
        value = loader.construct_mapping(node, deep=True)  # type: ignore[arg-type]  # MappingNode here
    if suffix == "Ref":
        return {"Ref": value}
    if suffix == "Condition":
        return {"Condition": value}
    if suffix == "GetAtt" and isinstance(value, str):
        value = value.split(".", 1)
    return {f"Fn::{suffix}": value}


_Loader.add_multi_constructor("!", _intrinsic)


def parse_text(text: str, *, source: str = "<text>") -> Any:
    """The document in `text` (JSON first, then YAML); TextError for HCL or unreadable text."""
    stripped = text.lstrip("\ufeff")
    try:
        return json.loads(stripped)
    except ValueError:
        pass
    if _HCL.search(stripped) and "=" in stripped:
        raise TextError(f"{source}: {HCL_MESSAGE}")
    try:
        return yaml.load(stripped, Loader=_Loader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise TextError(f"{source}: neither JSON nor YAML: {exc}") from None
