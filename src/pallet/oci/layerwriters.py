"""A few threads that create a layer's files while the tar is still being parsed.

Creating an inode is what extraction spends its time on, in the kernel, where the GIL
is released: two threads creating files do about twice the work on two cores. The
applier hands a :class:`Writers` only creations that nothing later in the layer can
observe before :meth:`Writers.wait` (files and symlinks at paths the layer has not
touched yet, in directories that exist); it calls ``wait`` before anything that
reads or removes what is there. The first error of a job is raised by ``wait``.
Jobs are handed over in batches of ``BATCH``: a queue hand-over and a thread wake-up
cost about what creating a small file does.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable

WORKERS = 2
BATCH = 16  # jobs per hand-over
DEPTH = 4  # batches queued before submit blocks (each job holds at most ASYNC_MAX bytes)
ASYNC_MAX = 512 << 10  # files larger than this are written by the parser itself

Job = Callable[[], None]


class Writers:
    """``submit`` queues a creation; ``wait`` returns when all are done (or raises)."""

    def __init__(self, workers: int = WORKERS) -> None:
        self._q: queue.Queue[list[Job] | None] = queue.Queue(maxsize=DEPTH)
        self._batch: list[Job] = []
        self._cv = threading.Condition()
        self._pending = 0
        self._error: BaseException | None = None
        self._threads = [threading.Thread(target=self._run, name=f"layer-write-{i}",
                                          daemon=True) for i in range(workers)]
        for t in self._threads:
            t.start()

    def submit(self, job: Job) -> None:
        self._batch.append(job)
        if len(self._batch) >= BATCH:
            self._flush()

    def _flush(self) -> None:
        batch, self._batch = self._batch, []
        with self._cv:
            if self._error is not None:
                self._raise()
            self._pending += 1
        self._q.put(batch)

    def _run(self) -> None:
        while (batch := self._q.get()) is not None:
            try:
                for job in batch:
                    if self._error is not None:
                        break
                    job()
            except BaseException as e:
                with self._cv:
                    self._error = self._error or e
            finally:
                with self._cv:
                    self._pending -= 1
                    if not self._pending:
                        self._cv.notify_all()

    def wait(self) -> None:
        if self._batch:
            self._flush()
        with self._cv:
            while self._pending:
                self._cv.wait()
            if self._error is not None:
                self._raise()

    def _raise(self) -> None:
        err, self._error = self._error, None
        assert err is not None
        raise err

    def close(self) -> None:
        """Finish what is queued and stop the threads (errors are dropped: the caller
        is already failing, or has called :meth:`wait`; a batch not handed over is)."""
        self._batch.clear()
        for _ in self._threads:
            self._q.put(None)
        for t in self._threads:
            t.join()
