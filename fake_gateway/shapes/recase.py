"""Foreign member names to the API's, guided by the `bedrock-agentcore-control` service model.

CloudFormation spells members in PascalCase (`CustomJWTAuthorizer`, `InlinePayload`, and inside tool schemas the
JSON-Schema keywords too: `Type`, `Properties`, `Required`), Terraform in snake_case with nested blocks as lists
of one object (`custom_jwt_authorizer = [{...}]`), Pulumi in camelCase (`customJwtAuthorizer`). The API's name
of a member is found by walking the model: a key matches the member whose name is equal ignoring case, `_` and
`-`; map keys (tool property names, tags, custom parameters) are data and are never re-cased. A key with no
matching member is kept as written, so validation names it and says where it belongs.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from botocore.model import ListShape, MapShape, Shape, StructureShape

from fake_gateway.notices import Notice

__all__ = ["Recaser", "norm"]


def norm(key: str) -> str:
    return key.replace("_", "").replace("-", "").lower()


class Recaser:
    """One conversion's re-casing: `aliases` maps a dialect's own spellings (normalized) to API member names."""

    def __init__(self, dialect: str, *, aliases: Mapping[str, str] | None = None, fold_enums: bool = False) -> None:
        self.dialect = dialect
        self.aliases = {norm(k): v for k, v in (aliases or {}).items()}
        self.fold_enums = fold_enums  # Terraform / Pulumi: enum values in any case, "" for an unset string
        self.notices: list[Notice] = []

    def members(self, value: Mapping[str, Any], members: Mapping[str, Shape], path: str = "") -> dict[str, Any]:
        """A structure's members renamed to the API's; None values (unset Terraform attributes) dropped."""
        by_norm = {norm(name): name for name in members}
        out: dict[str, Any] = {}
        for key, item in value.items():
            if item is None or (self.fold_enums and item in ("", [])):
                continue
            name = self.aliases.get(norm(key)) or by_norm.get(norm(key)) or key
            where = f"{path}.{name}" if path else name
            converted = self.value(item, members[name], where) if name in members else item
            if converted is not None:
                out[name] = converted
        return out

    def value(self, value: Any, shape: Shape, path: str) -> Any:
        kind = shape.type_name
        if kind == "structure" and not shape.metadata.get("document"):
            assert isinstance(shape, StructureShape)
            if isinstance(value, list) and len(value) <= 1 and all(isinstance(v, dict) for v in value):
                value = value[0] if value else None  # a Terraform block: a list of at most one object
            return self.members(value, shape.members, path) if isinstance(value, dict) else value
        if kind == "list":
            assert isinstance(shape, ListShape)
            if isinstance(value, list):
                return [self.value(v, shape.member, f"{path}[{i}]") for i, v in enumerate(value)]
            return value
        if kind == "map":
            assert isinstance(shape, MapShape)
            return self._map(value, shape, path)
        if kind == "string":
            return self._enum(value, shape, path)
        return value

    def _map(self, value: Any, shape: MapShape, path: str) -> Any:
        if isinstance(value, list) and all(isinstance(v, dict) and {"Key", "Value"} <= set(v) for v in value):
            value = {v["Key"]: v["Value"] for v in value}  # CloudFormation's tag list form
        if not isinstance(value, dict):
            return value
        return {k: self.value(v, shape.value, f"{path}.{k}") for k, v in value.items() if v is not None}

    def _enum(self, value: Any, shape: Shape, path: str) -> Any:
        enum = getattr(shape, "enum", None) or []
        if self.fold_enums and isinstance(value, str) and value not in enum and value.upper() in enum:
            self.notices.append(Notice("converted", path, f"{self.dialect}: {value!r} read as {value.upper()!r}"))
            return value.upper()
        return value
