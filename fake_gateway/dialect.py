"""Which gateway a config document is for: an AWS AgentCore `get-gateway` document, or an agentgateway config.

agentgateway's top-level keys (sheet §1; AG:src/types/local.rs#L318-L395) never occur in an AgentCore document
(`name`, `authorizerType`, `protocolType`, `targets`, ...), so the keys decide; `emulator` belongs to both.
"""

from __future__ import annotations

import re
from typing import Any, Literal

import yaml

__all__ = ["AGENTGATEWAY_KEYS", "Dialect", "detect", "detect_text"]

# a `${...}` reference (env var or template parameter): not YAML of its own in flow syntax (`[${X}]`)
_REFERENCE = re.compile(r"\$\{([^}]*)\}")
_UNSAFE = re.compile(r"[^A-Za-z0-9_.]")
Dialect = Literal["agentcore", "agentgateway"]
AGENTGATEWAY_KEYS = frozenset({
    "config", "binds", "frontendPolicies", "workloads", "services", "backends", "routeGroups", "gateways",
    "routes", "tcpRoutes", "llm", "mcp", "ui",
})


def detect(document: Any) -> Dialect:
    """`agentgateway` when the document has one of agentgateway's own top-level keys and is no AgentCore shape
    (a Pulumi YAML program has `config:` too), else `agentcore`."""
    from fake_gateway.shapes.detect import detect as shape

    if isinstance(document, dict) and AGENTGATEWAY_KEYS & set(document) and shape(document) == "overlay":
        return "agentgateway"
    return "agentcore"


def _name(reference: re.Match[str]) -> str:
    return _UNSAFE.sub("_", reference.group(1).split(":-")[0]) or "_"


def detect_text(text: str) -> Dialect:
    """`detect` of a config file's text. Its `${...}` references are read as their names (agentgateway expands them
    before parsing, so `audiences: [${AUD}]` is valid there); yaml.YAMLError when the text is no YAML at all."""
    return detect(yaml.load(_REFERENCE.sub(_name, text), Loader=_AnyTags))


class _AnyTags(yaml.SafeLoader):
    """SafeLoader that reads an unknown tag (CloudFormation's `!GetAtt`, `!Sub`, ...) as its plain node."""


def _untagged(loader: yaml.SafeLoader, suffix: str, node: yaml.Node) -> Any:
    if isinstance(node, yaml.MappingNode):
        return loader.construct_mapping(node)
    if isinstance(node, yaml.SequenceNode):
        return loader.construct_sequence(node)
    return loader.construct_scalar(node)  # type: ignore[arg-type]


_AnyTags.add_multi_constructor("!", _untagged)
