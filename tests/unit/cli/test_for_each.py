"""``for_each``: stop/kill/rm/... act on all their containers at once (as the docker CLI
does), print each ref in argument order, report each failure and exit 1 at the end."""

from __future__ import annotations

import threading

import pytest

from pallet.cli.errors import StatusError
from pallet.cli.util import for_each
from pallet.errors import NotFound


def test_parallel_actions_run_at_once_and_report_in_order(
        capsys: pytest.CaptureFixture[str]) -> None:
    refs = ["a", "b", "missing", "c"]
    # every action waits for all the others: one after another, this would break the barrier
    barrier = threading.Barrier(len(refs), timeout=10)

    def stop(ref: str) -> None:
        barrier.wait()
        if ref == "missing":
            raise NotFound("No such container: missing")

    with pytest.raises(StatusError):
        for_each(refs, stop, parallel=True)
    out, err = capsys.readouterr()
    assert out.split() == ["a", "b", "c"]
    assert "No such container: missing" in err


def test_sequential_by_default(capsys: pytest.CaptureFixture[str]) -> None:
    seen: list[str] = []
    for_each(["x", "y"], seen.append)
    assert seen == ["x", "y"] and capsys.readouterr().out.split() == ["x", "y"]
