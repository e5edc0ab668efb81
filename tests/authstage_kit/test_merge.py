"""RFC 7396 JSON Merge Patch: the RFC's own Appendix A examples, and inputs no recursion could take."""

from __future__ import annotations

from typing import Any

import pytest

from authstage_kit.merge import compose_patches, merge_patch

# RFC 7396 Appendix A (https://www.rfc-editor.org/rfc/rfc7396#appendix-A): original, patch, result.
APPENDIX_A: list[tuple[Any, Any, Any]] = [
    ({"a": "b"}, {"a": "c"}, {"a": "c"}),
    ({"a": "b"}, {"b": "c"}, {"a": "b", "b": "c"}),
    ({"a": "b"}, {"a": None}, {}),
    ({"a": "b", "b": "c"}, {"a": None}, {"b": "c"}),
    ({"a": ["b"]}, {"a": "c"}, {"a": "c"}),
    ({"a": "c"}, {"a": ["b"]}, {"a": ["b"]}),
    ({"a": {"b": "c"}}, {"a": {"b": "d", "c": None}}, {"a": {"b": "d"}}),
    ({"a": [{"b": "c"}]}, {"a": [1]}, {"a": [1]}),
    (["a", "b"], ["c", "d"], ["c", "d"]),
    ({"a": "b"}, ["c"], ["c"]),
    ({"a": "foo"}, None, None),
    ({"a": "foo"}, "bar", "bar"),
    ({"e": None}, {"a": 1}, {"e": None, "a": 1}),
    ([1, 2], {"a": "b", "c": None}, {"a": "b"}),
    ({}, {"a": {"bb": {"ccc": None}}}, {"a": {"bb": {}}}),
]


@pytest.mark.parametrize(("original", "patch", "result"), APPENDIX_A)
def test_rfc7396_appendix_a(original: Any, patch: Any, result: Any) -> None:
    before = repr(original)
    assert merge_patch(original, patch) == result
    assert repr(original) == before  # the target is not modified


def test_deep_documents_do_not_overflow() -> None:
    patch: dict[str, Any] = {}
    node = patch
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    merged = merge_patch({}, patch)
    depth = 0
    while merged:
        merged, depth = merged["x"], depth + 1
    assert depth == 5000


def test_composed_patches_keep_nulls_as_deletions() -> None:
    first, second = {"a": {"b": 1}, "c": 2}, {"a": {"b": None}, "d": None}
    composed = compose_patches(first, second)
    assert composed == {"a": {"b": None}, "c": 2, "d": None}
    base = {"a": {"b": 0, "z": 9}, "d": 4}
    assert merge_patch(base, composed) == merge_patch(merge_patch(base, first), second)
