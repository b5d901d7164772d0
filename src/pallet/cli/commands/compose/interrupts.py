"""How an attached ``pallet compose up`` ends on a signal, as Compose v2's does: SIGINT
(Ctrl+C) and SIGTERM alike start a graceful stop of the project, announced on stdout; a
second signal during that stop kills the containers instead.

Python leaves SIGINT ignored when the process was started with it ignored (a background
job of a non-interactive shell, some supervisors) and lets SIGTERM end the process at once,
which left the project running; Go's ``signal.Notify``, which Compose v2 uses, takes both
signals whatever their inherited disposition. :func:`catching` does the same for its block.
"""

from __future__ import annotations

import contextlib
import signal
import sys
from collections.abc import Callable, Iterator
from types import FrameType

GRACEFUL = "Gracefully Stopping... press Ctrl+C again to force"


def _interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


@contextlib.contextmanager
def catching() -> Iterator[None]:
    """Within the block, SIGINT and SIGTERM raise KeyboardInterrupt (main thread only;
    elsewhere the dispositions are left as they are)."""
    try:
        saved = {s: signal.signal(s, _interrupt) for s in (signal.SIGINT, signal.SIGTERM)}
    except ValueError:  # not the main thread
        yield
        return
    try:
        yield
    finally:
        for s, handler in saved.items():
            signal.signal(s, handler)


def teardown(stop: Callable[[], object], kill: Callable[[], object]) -> int:
    """After the first signal: announce, ``stop``; a second signal meanwhile runs ``kill``.
    Returns the exit code (130, as Compose v2)."""
    sys.stdout.write(GRACEFUL + "\n")
    sys.stdout.flush()
    try:
        stop()
    except KeyboardInterrupt:
        kill()
    return 130
