"""A log burst faster than the rotation poll loses nothing to conmon's hard cap: the lines
read back are an unbroken run ending at the last one written (rotation drops only the
oldest files, beyond max-file)."""

from __future__ import annotations

import itertools
from typing import Any

import pytest

pytestmark = pytest.mark.integration


def test_burst_keeps_an_unbroken_tail(palletd: Any, busybox: str) -> None:
    name = "log-burst"
    try:
        res = palletd.pallet("run", "--name", name, "--log-opt", "max-size=100k",
                             "--log-opt", "max-file=5", busybox, "seq", "1", "300000",
                             timeout=120)
        assert res.returncode == 0, res.stderr
        out = palletd.pallet("logs", name, timeout=60)
        assert out.returncode == 0, out.stderr
        # the oldest kept file may open with the end of a line begun in a dropped one
        nums = [int(x) for x in out.stdout.split()][1:]
        assert nums[-1] == 300000
        assert len(nums) > 10_000  # more than one max-size file's worth survived
        holes = [(a, b) for a, b in itertools.pairwise(nums) if b != a + 1]
        assert holes == []
    finally:
        palletd.pallet("rm", "-f", name)
