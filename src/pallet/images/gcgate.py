"""The gate between the store's garbage collector and the operations that add to it.

A pull, build, commit, load or container create makes snapshots and blobs that
nothing references until its last step records them (an image row, a container
record). The collector must never see them half-way, so every such operation
runs inside :meth:`GcGate.busy` (any number at once, nested too), and a sweep runs
only while none does (:meth:`GcGate.sweep`). A sweep asked for while operations
are in flight is not waited for: it is deferred, and the last operation to leave
runs it on a thread of its own. An operation that arrives during a sweep waits
for the sweep to finish (a sweep is bounded by the garbage it deletes).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections.abc import AsyncIterator, Callable, Iterator

log = logging.getLogger(__name__)


class GcGate:
    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._busy = 0
        self._sweeping = False
        self._deferred: Callable[[], object] | None = None

    # -- operations ------------------------------------------------------------------
    def enter(self) -> None:
        """Count one operation in (waits while a sweep runs)."""
        with self._cond:
            while self._sweeping:
                self._cond.wait()
            self._busy += 1

    def try_enter(self) -> bool:
        """Like :meth:`enter`, without waiting: False while a sweep runs."""
        with self._cond:
            if self._sweeping:
                return False
            self._busy += 1
            return True

    def leave(self) -> None:
        with self._cond:
            self._busy -= 1
            run = None
            if self._busy == 0:
                run, self._deferred = self._deferred, None
            self._cond.notify_all()
        if run is not None:
            threading.Thread(target=self._run_deferred, args=(run,), name="gc",
                             daemon=True).start()

    @contextlib.contextmanager
    def busy(self) -> Iterator[None]:
        """An operation that adds to the store (blocking: call it from a worker thread)."""
        self.enter()
        try:
            yield
        finally:
            self.leave()

    @contextlib.asynccontextmanager
    async def held(self) -> AsyncIterator[None]:
        """:meth:`busy` for coroutines: never blocks the event loop."""
        if not self.try_enter():
            await asyncio.to_thread(self.enter)
        try:
            yield
        finally:
            self.leave()

    # -- sweeps ----------------------------------------------------------------------
    def sweep(self, work: Callable[[], object]) -> bool:
        """Run ``work`` now if no operation is in flight (True), else defer it (False).
        Sweeps run one at a time."""
        with self._cond:
            while self._sweeping:
                self._cond.wait()
            if self._busy:
                self._deferred = work
                return False
            self._sweeping = True
        try:
            work()
        finally:
            with self._cond:
                self._sweeping = False
                self._cond.notify_all()
        return True

    def _run_deferred(self, work: Callable[[], object]) -> None:
        try:
            self.sweep(work)
        except Exception:
            log.exception("deferred garbage collection failed")
