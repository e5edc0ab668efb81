"""RFC 7396 JSON Merge Patch: the RFC's own Appendix A examples, and inputs no recursion could take."""

from __future__ import annotations

import re
from typing import Any

import pytest

from authstage_kit.merge import MergeError, compose_patches, merge_named, merge_patch

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


# -- merge_named: lists of named things merge by identity (Kubernetes strategic-merge-patch directives) ----------
NAMED = {
    ("clients",): [("name",), ("client_id",)],
    ("grants",): [("client_id", "audience"), ("default_for", "audience")],
    ("engines",): [("name",)],
    ("engines", "*", "policies"): [("name",)],
}
BASE: dict[str, Any] = {
    "clients": [{"name": "m2m", "client_id": "c1", "secret": "s1", "grants": ["cc"]}, {"name": "cli", "client_id": "c2"}],
    "grants": [{"client_id": "c1", "audience": "gw", "scope": ["a"]}, {"default_for": "3p", "audience": "gw"}],
    "engines": [{"name": "e", "policies": [{"name": "p", "text": "permit"}, {"name": "q", "text": "forbid"}]}],
    "other": [1, 2],
    "settings": {"x": 1},
}


@pytest.mark.parametrize(
    ("patch", "expected"),
    [
        ({"clients": [{"name": "m2m", "grants": ["ac"], "secret": None}]},
         {"clients": [{"name": "m2m", "client_id": "c1", "grants": ["ac"]}, {"name": "cli", "client_id": "c2"}]}),
        ({"clients": [{"client_id": "c2", "callbacks": ["u"]}]},
         {"clients": [BASE["clients"][0], {"name": "cli", "client_id": "c2", "callbacks": ["u"]}]}),
        ({"clients": [{"name": "new", "x": None, "y": 1}]}, {"clients": [*BASE["clients"], {"name": "new", "y": 1}]}),
        ({"clients": [{"name": "cli", "$patch": "delete"}]}, {"clients": [BASE["clients"][0]]}),
        ({"clients": [{"name": "m2m", "$patch": "replace", "client_id": "c9"}]},
         {"clients": [{"name": "m2m", "client_id": "c9"}, BASE["clients"][1]]}),
        ({"clients": [{"$patch": "replace"}, {"name": "only"}]}, {"clients": [{"name": "only"}]}),
        ({"grants": [{"client_id": "c1", "audience": "gw", "$patch": "delete"}]}, {"grants": [BASE["grants"][1]]}),
        ({"grants": [{"default_for": "3p", "audience": "gw", "scope": ["b"]}]},
         {"grants": [BASE["grants"][0], {"default_for": "3p", "audience": "gw", "scope": ["b"]}]}),
        ({"engines": [{"name": "e", "policies": [{"name": "q", "text": "permit"}]}]},
         {"engines": [{"name": "e", "policies": [{"name": "p", "text": "permit"}, {"name": "q", "text": "permit"}]}]}),
        ({"other": [3], "settings": {"x": None, "y": 2}}, {"other": [3], "settings": {"y": 2}}),
        ({"clients": None}, {"clients": ...}),
    ],
)
def test_named_lists_merge_by_identity(patch: dict[str, Any], expected: dict[str, Any]) -> None:
    before = repr(BASE)
    result = merge_named(BASE, patch, NAMED)
    assert repr(BASE) == before
    for key, value in expected.items():
        if value is ...:
            assert key not in result
        else:
            assert result[key] == value
    assert {k: v for k, v in result.items() if k not in expected} == {k: v for k, v in BASE.items() if k not in expected}


@pytest.mark.parametrize(
    ("patch", "where", "message"),
    [
        ({"clients": [{"secret": "x"}]}, ("clients", 0), "needs name or client_id to merge by"),
        ({"clients": ["m2m"]}, ("clients", 0), "is an object with name or client_id"),
        ({"clients": [{"name": "ghost", "$patch": "delete"}]}, ("clients", 0), "no item of `clients` with name='ghost' to delete"),
        ({"clients": [{"name": "m2m", "$patch": "merge"}]}, ("clients", 0, "$patch"), "unknown $patch 'merge'"),
        ({"engines": [{"name": "e", "policies": [{"text": "x"}]}]}, ("engines", 0, "policies", 0), "needs name"),
    ],
)
def test_a_named_list_patch_that_cannot_apply_says_where(patch: dict[str, Any], where: tuple[Any, ...], message: str) -> None:
    with pytest.raises(MergeError, match=re.escape(message)) as caught:
        merge_named(BASE, patch, NAMED)
    assert caught.value.where == where


def test_without_named_lists_it_is_rfc_7396() -> None:
    for original, patch, result in APPENDIX_A:
        assert merge_named(original, patch, {}) == result
    assert merge_named(BASE, {"clients": [{"name": "x"}]}, {}) == {**BASE, "clients": [{"name": "x"}]}


def test_an_item_without_its_identity_names_the_misspelled_key() -> None:
    """`- nme: my-app` in a stack file's `clients:`: the error says which key was meant (issue 18)."""
    with pytest.raises(MergeError) as caught:
        merge_named({"clients": [{"name": "a"}]}, {"clients": [{"nme": "b", "client_secret": "s"}]},
                    {("clients",): (("name",), ("client_id",))})
    assert str(caught.value).endswith("; it has `nme` (did you mean `name`?)")
