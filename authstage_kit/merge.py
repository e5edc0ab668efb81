"""JSON Merge Patch, RFC 7396 (https://www.rfc-editor.org/rfc/rfc7396#section-2): the one implementation; and
the merge of named lists that stack files add on top of it (`merge_named`).

``merge_patch``: objects merge key by key, anything else (lists, scalars) replaces, ``null`` deletes. It is what
every ``PATCH /_authstage/config`` does, exactly.

``merge_named``: the same, except that the lists it is told about (clients, APIs, users, targets, ...) merge item
by item, matched by an identity (their name or id), as Kubernetes' strategic merge patch merges containers by
name (https://github.com/kubernetes/community/blob/master/contributors/devel/sig-api-machinery/strategic-merge-patch.md):
an item whose identity exists is merge-patched onto it, a new one is appended, ``{"$patch": "delete"}`` on an
item removes it, ``{"$patch": "replace"}`` on an item replaces it whole, and a ``{"$patch": "replace"}`` element
alone replaces the whole list with the other elements.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["DIRECTIVE", "MergeError", "NamedLists", "compose_patches", "merge_named", "merge_patch"]

DIRECTIVE = "$patch"
# A list's path (object keys, "*" for any item of a list on the way) -> the identities its items are matched by,
# tried in order (each a tuple of keys whose values together name the item).
NamedLists = Mapping[tuple[str, ...], Sequence[tuple[str, ...]]]


class MergeError(ValueError):
    """A named-list patch that cannot apply: ``where`` is its path in the patch (keys and indexes)."""

    def __init__(self, message: str, where: tuple[str | int, ...]) -> None:
        super().__init__(message)
        self.where = where


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


def merge_named(target: Any, patch: Any, named: NamedLists) -> Any:
    """``target`` with ``patch`` applied as RFC 7396, except the lists ``named`` names, which merge by identity
    (see the module docstring). Neither input is modified; raises `MergeError` naming where the patch is wrong."""
    return _merge(target, patch, named, (), ())


def _leads_to(named: NamedLists, path: tuple[str, ...]) -> bool:
    return any(len(p) > len(path) and p[: len(path)] == path for p in named)


def _merge(target: Any, patch: Any, named: NamedLists, path: tuple[str, ...], where: tuple[str | int, ...]) -> Any:
    if isinstance(patch, list) and path in named:
        return _merge_list(target, patch, named, path, where)
    if not isinstance(patch, dict) or not _leads_to(named, path):
        return merge_patch(target, patch)  # below here no named list: plain RFC 7396 (iterative)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = _merge(result.get(key), value, named, (*path, key), (*where, key))
    return result


def _identity(item: dict[str, Any], keys: Sequence[tuple[str, ...]]) -> tuple[tuple[str, Any], ...] | None:
    for fields in keys:
        if all(item.get(f) is not None for f in fields):
            return tuple((f, item[f]) for f in fields)
    return None


def _merge_list(
    target: Any, patch: list[Any], named: NamedLists, path: tuple[str, ...], where: tuple[str | int, ...]
) -> list[Any]:
    keys = named[path]
    whole = [i for i, item in enumerate(patch) if isinstance(item, dict) and item == {DIRECTIVE: "replace"}]
    result: list[Any] = [] if whole or not isinstance(target, list) else list(target)
    names = " or ".join("+".join(fields) for fields in keys)
    for index, item in enumerate(patch):
        at = (*where, index)
        if index in whole:
            continue
        if not isinstance(item, dict):
            raise MergeError(f"an item of `{path[-1]}` is an object with {names}", at)
        identity = _identity(item, keys)
        if identity is None:
            fields = sorted({f for group in keys for f in group})
            typos = [f"`{k}` (did you mean `{near[0]}`?)" for k in item if isinstance(k, str) and k not in fields
                     and (near := difflib.get_close_matches(k, fields, n=1, cutoff=0.8))]
            raise MergeError(
                f"an item of `{path[-1]}` needs {names} to merge by (or replace the whole list: "
                f"put {{{DIRECTIVE}: replace}} first)" + (f"; it has {', '.join(typos)}" if typos else ""),
                at,
            )
        found = next((i for i, old in enumerate(result) if isinstance(old, dict) and all(
            old.get(f) == v for f, v in identity)), None)
        body = {k: v for k, v in item.items() if k != DIRECTIVE}
        directive = item.get(DIRECTIVE)
        shown = ", ".join(f"{f}={v!r}" for f, v in identity)
        if directive == "delete":
            if found is None:
                raise MergeError(f"no item of `{path[-1]}` with {shown} to delete", at)
            del result[found]
        elif directive in ("replace", None):
            base = result[found] if found is not None and directive is None else {}
            merged = _merge(base, body, named, (*path, "*"), at)
            if found is None:
                result.append(merged)
            else:
                result[found] = merged
        else:
            raise MergeError(f"unknown {DIRECTIVE} {directive!r} (delete or replace)", (*at, DIRECTIVE))
    return result
