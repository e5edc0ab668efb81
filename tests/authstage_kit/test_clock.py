"""The one clock: control-plane bodies validated whole, thread-safe moves."""

from __future__ import annotations

import threading

import pytest

from authstage_kit.clock import Clock
from authstage_kit.errors import ControlError


def test_freeze_advance_offset_and_unfreeze_keep_the_shift() -> None:
    clock = Clock()
    assert clock.apply({"at": 2_000_000_000}) == {"now": 2_000_000_000, "frozen": True, "offset": 0.0}
    assert clock.apply({"advance": 10})["now"] == 2_000_000_010
    state = clock.apply({"freeze": False})
    assert state["frozen"] is False and abs(clock.now() - 2_000_000_010) < 5
    clock.reset()
    assert clock.apply({"offset": -30})["offset"] == -30


@pytest.mark.parametrize(
    "body",
    [
        {"advnce": 60},  # a typo is refused, not ignored (it once answered 200 on the sample server)
        {"advance": "soon"},
        {"advance": True},
        {"at": float("inf")},
        {"offset": float("nan")},
        {"advance": 1e300},
        {"freeze": "yes"},
        [1],
        "advance",
    ],
)
def test_bad_bodies_are_refused_whole_and_change_nothing(body: object) -> None:
    clock = Clock()
    clock.freeze(1000)
    if isinstance(body, dict) and "offset" not in body:
        body = {**body, "offset": 5}  # a valid key beside the bad one: nothing of the body may apply
    with pytest.raises(ControlError) as caught:
        clock.apply(body)
    assert caught.value.status == 400 and caught.value.error == "invalid_clock"
    assert caught.value.body()["detail"][0].keys() == {"loc", "msg"}
    assert clock.state() == {"now": 1000, "frozen": True, "offset": 0.0}


def test_concurrent_advances_are_not_lost() -> None:
    clock = Clock()
    clock.freeze(0)

    def move() -> None:
        for _ in range(2000):
            clock.advance(1)

    threads = [threading.Thread(target=move) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert clock.now() == 16000
