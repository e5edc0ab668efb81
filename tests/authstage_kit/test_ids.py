"""Seeded ids repeat; unseeded ids do not."""

from __future__ import annotations

import random
import re

from authstage_kit import ids


def _draw() -> tuple[str, str, str, str]:
    return ids.random_string(12), ids.token_urlsafe(16), ids.token_hex(4), ids.uuid4()


def test_seeded_ids_repeat_and_have_the_right_shapes() -> None:
    token = ids.seeded(random.Random(7))
    try:
        first = _draw()
    finally:
        ids.reset(token)
    token = ids.seeded(random.Random(7))
    try:
        assert _draw() == first
    finally:
        ids.reset(token)
    string, urlsafe, hexed, uuid = first
    assert re.fullmatch(r"[A-Za-z0-9]{12}", string)
    assert re.fullmatch(r"[A-Za-z0-9_-]{22}", urlsafe)
    assert re.fullmatch(r"[0-9a-f]{8}", hexed)
    assert re.fullmatch(r"[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}", uuid)


def test_unseeded_ids_differ() -> None:
    assert ids.current() is None
    assert _draw() != _draw()


def test_unseeded_strings_use_every_character_of_the_alphabet_evenly() -> None:
    """The cryptographically random path (one getrandom per id, rejection sampling): uniform over the alphabet."""
    from collections import Counter

    from authstage_kit.ids import ALNUM, random_string

    drawn = "".join(random_string(100) for _ in range(620))  # 62 000 characters: 1000 expected of each
    counts = Counter(drawn)
    assert set(counts) == set(ALNUM) and len(drawn) == 62_000
    assert all(850 < n < 1150 for n in counts.values()), counts.most_common(3)
    assert len(random_string(0)) == 0 and set(random_string(50, "ab")) <= {"a", "b"}
