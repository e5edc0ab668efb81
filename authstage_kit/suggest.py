"""Did you mean …? The closest real key for an unknown one, in a pydantic settings model or any list of names.

`closest(word, options)` is difflib's answer (a case-insensitive exact match first); `model_keys(model, loc)`
walks a pydantic model's fields along an error location (`("faults", "jwks_fault")`, list indexes and dict keys
skipped) to the model whose keys apply there; `extra_key_message(err, model)` is pydantic's "Extra inputs are not
permitted" with the closest real key added, what every service's config errors say.
"""

from __future__ import annotations

import difflib
import types
import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel

__all__ = ["closest", "extra_key_message", "model_keys"]


def closest(word: str, options: Sequence[str]) -> str | None:
    """The option `word` most likely meant, or None."""
    folded = {option.lower(): option for option in options}
    if word.lower() in folded:
        return folded[word.lower()]
    found = difflib.get_close_matches(word, list(options), n=1, cutoff=0.6)
    return found[0] if found else None


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    """The pydantic models an annotation can hold (through Optional, unions, list[...] and dict[str, ...])."""
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return [annotation]
    origin = typing.get_origin(annotation)
    if origin is None:
        return []
    args = typing.get_args(annotation)
    if origin in (list, tuple, set, frozenset, typing.Union, types.UnionType):
        return [m for arg in args for m in _models_in(arg)]
    if origin is dict and len(args) == 2:
        return _models_in(args[1])
    return []


def model_keys(model: type[BaseModel], loc: Sequence[str | int]) -> list[str] | None:
    """The field names (by alias when set) of the model at `loc` in `model`, or None when it cannot be told."""
    current: list[type[BaseModel]] = [model]
    for part in loc:
        if not isinstance(part, str):
            continue  # a list index
        fields = {name: info for m in current for name, info in m.model_fields.items()}
        if part not in fields:
            continue  # a dict key (e.g. token_profiles.<api>): the value's model applies below it
        current = _models_in(fields[part].annotation)
        if not current:
            return None
    names = [(info.alias or name) for m in current for name, info in m.model_fields.items()]
    return sorted(set(names)) or None


def extra_key_message(err: Mapping[str, Any], model: type[BaseModel]) -> str:
    """A pydantic error's message, with the closest real key when it is an unknown key (`extra_forbidden`)."""
    message = str(err.get("msg", ""))
    loc = tuple(err.get("loc", ()))
    unknown = err.get("type") == "extra_forbidden" or message == "Extra inputs are not permitted"
    if not unknown or not loc or not isinstance(loc[-1], str):
        return message
    options = model_keys(model, loc[:-1]) or []
    match = closest(loc[-1], options)
    return f"{message} (did you mean `{match}`?)" if match else message
