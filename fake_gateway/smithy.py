"""Smithy model targets: a model's operations become tools (sheet §7.1; DOC gateway-schema-smithy).

The model is Smithy's JSON AST (`smithy build` output, the `"smithy": "2.0"` document AWS publishes its service
models in); the IDL text is not parsed here: convert it with `smithy ast`. Each operation is a tool named after
its shape (`com.example#GetOrder` -> `GetOrder`), described by its `smithy.api#documentation` trait, with the
input structure's members as properties (required: the `smithy.api#required` trait). Calls go to the AWS service
the model describes, which the emulator does not have: they answer with a target failure that says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fake_gateway.shapes.text import TextError, parse_text

__all__ = ["smithy_tools"]

_PRELUDE = {
    "String": "string", "Timestamp": "string", "Blob": "string", "Document": "object",
    "Boolean": "boolean", "PrimitiveBoolean": "boolean",
    "Byte": "integer", "Short": "integer", "Integer": "integer", "Long": "integer", "BigInteger": "integer",
    "PrimitiveInteger": "integer", "PrimitiveLong": "integer",
    "Float": "number", "Double": "number", "BigDecimal": "number", "PrimitiveFloat": "number",
    "PrimitiveDouble": "number",
}
_TYPES = {"string": "string", "enum": "string", "timestamp": "string", "blob": "string", "boolean": "boolean",
          "byte": "integer", "short": "integer", "integer": "integer", "intEnum": "integer", "long": "integer",
          "bigInteger": "integer", "float": "number", "double": "number", "bigDecimal": "number",
          "document": "object", "map": "object", "structure": "object", "union": "object", "list": "array",
          "set": "array"}


def smithy_tools(source: Any) -> list[dict[str, Any]]:
    """The MCP tools of a Smithy JSON AST model; ValueError naming what is wrong."""
    model = source
    if isinstance(source, str):
        try:
            model = parse_text(source, source="smithyModel")
        except TextError:
            raise ValueError("a Smithy model must be the JSON AST (run `smithy ast` on IDL files)") from None
    if not isinstance(model, dict) or not isinstance(model.get("shapes"), dict):
        raise ValueError("not a Smithy JSON AST model (no 'shapes')")
    shapes: dict[str, Any] = model["shapes"]
    tools = []
    for shape_id, shape in sorted(shapes.items()):
        if isinstance(shape, dict) and shape.get("type") == "operation":
            traits = shape.get("traits") or {}
            target = (shape.get("input") or {}).get("target")
            schema = _schema(target, shapes, 0) if target else {"type": "object", "properties": {}}
            tools.append({"name": shape_id.rsplit("#", 1)[-1],
                          "description": str(traits.get("smithy.api#documentation") or shape_id),
                          "inputSchema": schema})
    return tools


def _schema(target: str, shapes: Mapping[str, Any], depth: int) -> dict[str, Any]:
    local = target.rsplit("#", 1)[-1]
    if target.startswith("smithy.api#") or target not in shapes:
        return {"type": _PRELUDE.get(local, "string")}
    shape = shapes[target]
    kind = _TYPES.get(str(shape.get("type")), "string")
    out: dict[str, Any] = {"type": kind}
    doc = (shape.get("traits") or {}).get("smithy.api#documentation")
    if doc:
        out["description"] = str(doc)
    if depth > 8:
        return out
    if kind == "object" and isinstance(shape.get("members"), dict) and shape.get("type") != "map":
        members = shape["members"]
        out["properties"] = {name: _schema(str(m.get("target")), shapes, depth + 1) for name, m in members.items()}
        required = [n for n, m in members.items() if "smithy.api#required" in (m.get("traits") or {})]
        if required:
            out["required"] = required
    elif kind == "array" and isinstance(shape.get("member"), dict):
        out["items"] = _schema(str(shape["member"].get("target")), shapes, depth + 1)
    return out
