"""Mutations of real gateway documents for the loader fuzz (test_fuzz.py, bench/loader_fuzz.py).

Each mutation is what a person or a tool does to a pasted config: a key deleted, renamed (case, snake_case,
PascalCase, a typo), a value replaced by another JSON value, a value wrapped in a list or a list unwrapped, a
junk key added, a subtree moved one level up or down.
"""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from fake_gateway.shapes.text import parse_text

CORPUS = Path(__file__).parents[1] / "corpus"
SEEDS: list[Any] = [
    parse_text((CORPUS / f).read_text(), source=f)
    for entry in yaml.safe_load((CORPUS / "index.yaml").read_text())
    for f in entry["files"][:1]
    if not f.endswith(".tf")
]
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers(-2, 10**6) | st.floats(allow_nan=False) | st.text(max_size=12),
    lambda children: st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3),
    max_leaves=6,
)


def paths(value: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    found = [prefix]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*prefix, key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += paths(item, (*prefix, index))
    return found


def _get(doc: Any, path: tuple[Any, ...]) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _renamed(key: str, how: int) -> str:
    snake = "".join(f"_{c.lower()}" if c.isupper() else c for c in key).lstrip("_")
    return [key.upper(), key[:1].upper() + key[1:], snake, key[:-1] or "x", key + "s", key.lower()][how % 6]


@st.composite
def mutated(draw: st.DrawFn) -> Any:
    """A corpus document with 1-4 mutations."""
    doc = copy.deepcopy(draw(st.sampled_from(SEEDS)))
    for _ in range(draw(st.integers(1, 4))):
        path = draw(st.sampled_from(paths(doc)))
        if not path:
            continue
        parent, key = _get(doc, path[:-1]), path[-1]
        op = draw(st.integers(0, 6))
        if op == 0:
            del parent[key]
        elif op == 1 and isinstance(key, str):
            parent[_renamed(key, draw(st.integers(0, 5)))] = parent.pop(key)
        elif op == 2:
            parent[key] = draw(JSON_VALUES)
        elif op == 3:
            parent[key] = [parent[key]]
        elif op == 4 and isinstance(parent[key], list) and parent[key]:
            parent[key] = parent[key][0]
        elif op == 5 and isinstance(parent, dict):
            parent[draw(st.text(min_size=1, max_size=10))] = draw(JSON_VALUES)
        elif op == 6 and isinstance(parent, dict) and isinstance(parent[key], dict) and parent[key]:
            inner = next(iter(parent[key]))
            parent[inner] = parent[key].pop(inner)  # a member pasted one level too high
    return doc
