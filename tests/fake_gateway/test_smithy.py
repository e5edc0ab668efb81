"""Smithy model targets list their operations (fake_gateway/smithy.py)."""

from __future__ import annotations

import json

import pytest

from fake_gateway.smithy import smithy_tools

MODEL = {"smithy": "2.0", "shapes": {
    "ex.shop#Shop": {"type": "service", "operations": [{"target": "ex.shop#ListItems"}]},
    "ex.shop#ListItems": {"type": "operation", "input": {"target": "ex.shop#ListItemsInput"},
                          "traits": {"smithy.api#documentation": "List the items of a category"}},
    "ex.shop#Ping": {"type": "operation"},
    "ex.shop#ListItemsInput": {"type": "structure", "members": {
        "category": {"target": "smithy.api#String", "traits": {"smithy.api#required": {}}},
        "limit": {"target": "smithy.api#Integer"},
        "tags": {"target": "ex.shop#Tags"}}},
    "ex.shop#Tags": {"type": "list", "member": {"target": "smithy.api#String"}},
}}


def test_operations_become_tools_with_their_input_members() -> None:
    tools = {t["name"]: t for t in smithy_tools(json.dumps(MODEL))}
    assert set(tools) == {"ListItems", "Ping"}
    assert tools["ListItems"]["description"] == "List the items of a category"
    assert tools["ListItems"]["inputSchema"] == {"type": "object", "required": ["category"], "properties": {
        "category": {"type": "string"}, "limit": {"type": "integer"}, "tags": {"type": "array", "items": {"type": "string"}}}}
    assert tools["Ping"]["inputSchema"] == {"type": "object", "properties": {}}


@pytest.mark.parametrize("source", ["namespace ex.shop\nservice Shop {}\n", '{"smithy": "2.0"}'])
def test_idl_text_or_a_model_without_shapes_is_refused(source: str) -> None:
    with pytest.raises(ValueError, match=r"JSON AST|no 'shapes'"):
        smithy_tools(source)
