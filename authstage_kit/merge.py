"""JSON Merge Patch, RFC 7396 (https://www.rfc-editor.org/rfc/rfc7396#section-2): the one implementation.

Objects merge key by key, anything else (lists, scalars) replaces, ``null`` deletes. Used by every
``PATCH /_authstage/config``, the stack file's sections over the demo default, and a scenario's ``fix``.
"""

from __future__ import annotations

from typing import Any

__all__ = ["compose_patches", "merge_patch"]


def merge_patch(target: Any, patch: Any) -> Any:
    """``target`` with ``patch`` applied (neither is modified). Iterative, so no input depth can overflow."""
    if not isinstance(patch, dict):
        return patch
    root = dict(target) if isinstance(target, dict) else {}
    work: list[tuple[dict[str, Any], dict[str, Any]]] = [(root, patch)]
    while work:
        result, current = work.pop()
        for key, value in current.items():
            if value is None:
                result.pop(key, None)
            elif isinstance(value, dict):
                below = result.get(key)
                merged = dict(below) if isinstance(below, dict) else {}
                result[key] = merged
                work.append((merged, value))
            else:
                result[key] = value
    return root


def compose_patches(first: dict[str, Any], second: dict[str, Any]) -> dict[str, Any]:
    """One merge patch equivalent to applying ``first``, then ``second``: nulls are kept (they still delete)."""
    result = dict(first)
    for key, value in second.items():
        below = result.get(key)
        if isinstance(value, dict) and isinstance(below, dict):
            result[key] = compose_patches(below, value)
        else:
            result[key] = value
    return result
