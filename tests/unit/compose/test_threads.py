"""compose's thread helpers: results in order, failures raised, completions as they end."""

from __future__ import annotations

import threading
import time

import pytest

from pallet.compose.threads import background, completions, gather


def test_gather_runs_at_once_and_keeps_order() -> None:
    barrier = threading.Barrier(3, timeout=5)

    def call(n: int) -> int:
        barrier.wait()  # passes only when all three run together
        return n * 10

    assert gather([lambda: call(1), lambda: call(2), lambda: call(3)]) == [10, 20, 30]


def test_gather_raises_the_first_failure_after_all_ended() -> None:
    ended: list[str] = []

    def slow() -> int:
        time.sleep(0.2)
        ended.append("slow")
        return 1

    def bad() -> int:
        raise ValueError("bad")

    with pytest.raises(ValueError, match="bad"):
        gather([bad, slow])
    assert ended == ["slow"]


def test_background_and_completions() -> None:
    task = background(lambda: "x")
    assert task.result() == "x"
    failing = background(lambda: 1 // 0)
    with pytest.raises(ZeroDivisionError):
        failing.result()
    gate = threading.Event()

    def late() -> str:
        gate.wait(5)
        return "late"

    def early() -> str:
        return "early"

    seen = []
    for i, value, err in completions([late, early]):
        seen.append((i, value, err))
        gate.set()
    assert seen == [(1, "early", None), (0, "late", None)]
