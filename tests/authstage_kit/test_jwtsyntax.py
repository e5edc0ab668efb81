"""The strict token syntax shared by the gateway and the sample server (authstage_kit/jwtsyntax.py)."""

from __future__ import annotations

import pytest

from authstage_kit.jwtsyntax import (
    NUMERIC_DATE_MAX,
    audience_values,
    crit_refusal,
    numeric_date,
    scope_tokens,
)


def test_scope_tokens_are_nqchars_between_single_spaces() -> None:
    assert scope_tokens("a b  c") == (["a", "b", "c"], [])
    assert scope_tokens("a\tb c") == (["c"], ["a\tb"])
    assert scope_tokens('a"b \\c d') == (["d"], ['a"b', "\\c"])
    assert scope_tokens(["a", 1, "b c"]) == (["a"], ["1", "b c"])
    assert scope_tokens("a\tb\u00a0c", strict=False) == (["a", "b", "c"], [])
    assert scope_tokens(["a", 1], strict=False) == (["a", "1"], [])
    assert scope_tokens(None) == scope_tokens({"a": 1}) == ([], [])


@pytest.mark.parametrize("value", [0, 1, 1.5, 1_700_000_000, NUMERIC_DATE_MAX])
def test_numeric_dates_in_the_calendar(value: float) -> None:
    assert numeric_date(value) == float(value)


@pytest.mark.parametrize("value", [-1, NUMERIC_DATE_MAX + 1, 2**64, 1e300, float("inf"), float("nan"), 10**400, True, "1", None])
def test_numeric_dates_out_of_range_or_not_numbers(value: object) -> None:
    assert numeric_date(value) is None
    lenient = numeric_date(value, strict=False)
    assert (lenient is not None) == (value in (-1, NUMERIC_DATE_MAX + 1, 2**64, 1e300))


def test_audience_values_and_crit() -> None:
    assert audience_values("a") == ["a"]
    assert audience_values(["a", "b"]) == ["a", "b"]
    assert audience_values(["a", 1]) is None and audience_values(["a", 1], strict=False) == ["a", "1"]
    assert audience_values({"a": 1}) is None and audience_values(None) is None
    assert crit_refusal({"alg": "RS256"}) is None
    assert "RFC 7515 §4.1.11" in (crit_refusal({"crit": []}) or "")
    assert crit_refusal({"crit": []}, strict=False) is None
