"""An attached ``pallet compose up`` ends on SIGINT or SIGTERM with a graceful stop, even when
it was started with SIGINT ignored; a second signal during the stop kills instead."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pallet.cli.commands.compose import interrupts


@pytest.mark.parametrize("signum", [signal.SIGINT, signal.SIGTERM])
def test_both_signals_interrupt_the_block_even_when_inherited_ignored(signum: int) -> None:
    saved = signal.signal(signal.SIGINT, signal.SIG_IGN)  # as a background job inherits it
    term = signal.getsignal(signal.SIGTERM)
    try:
        with pytest.raises(KeyboardInterrupt), interrupts.catching():
            os.kill(os.getpid(), signum)
            time.sleep(5)  # the handler raises before this ends
        assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN  # restored after the block
        assert signal.getsignal(signal.SIGTERM) == term
    finally:
        signal.signal(signal.SIGINT, saved)


def test_teardown_announces_and_stops(capsys: pytest.CaptureFixture[str]) -> None:
    done: list[str] = []
    assert interrupts.teardown(lambda: done.append("stop"), lambda: done.append("kill")) == 130
    assert done == ["stop"]
    assert capsys.readouterr().out == "Gracefully Stopping... press Ctrl+C again to force\n"


def test_a_second_signal_during_the_stop_kills() -> None:
    done: list[str] = []

    def stop() -> None:
        done.append("stop")
        raise KeyboardInterrupt

    assert interrupts.teardown(stop, lambda: done.append("kill")) == 130
    assert done == ["stop", "kill"]
