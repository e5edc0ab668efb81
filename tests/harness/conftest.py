from __future__ import annotations

from collections.abc import Iterator

import pytest

from harness import Stack


@pytest.fixture(scope="module")
def stack() -> Iterator[Stack]:
    """One demo stack per test module (reset between tests that change it)."""
    with Stack() as demo:
        yield demo


@pytest.fixture
def fresh(stack: Stack) -> Iterator[Stack]:
    """The module's stack, reset after the test."""
    yield stack
    stack.reset()
