"""Extract a layer while it downloads: a reader that follows the blob's partial file.

The download thread reports each attempt's partial file and how much of it is written
(:class:`BlobProgress`); the applier reads it through a :class:`Follower`, which waits
for more bytes, and gives the end of the stream only once the download has been
verified, so a snapshot is never committed from bytes whose digest failed (the failed
download is the follower's error, and the apply is undone). A blob's bytes are fixed
by its digest, so an attempt that starts over (the registry ignored a Range request)
changes nothing for bytes already read: the follower waits until the new attempt gets
past them. When there is nothing to follow (the blob was already in the store, or
another pull fetched it) the follower raises :class:`NothingToFollow` before giving any
byte, and the caller applies the stored blob instead.
"""

from __future__ import annotations

import os
import threading
import time
from pathlib import Path

from pallet.oci.digest import CHUNK


class NothingToFollow(Exception):
    """The download wrote no partial file this follower could read: use the stored blob."""


class BlobProgress:
    """What the download of one blob has written so far, shared with a :class:`Follower`."""

    def __init__(self) -> None:
        self._cv = threading.Condition()
        self._fds: list[int] = []
        self.size = 0  # bytes written by the current attempt
        self.done = False  # downloaded and verified
        self.error: BaseException | None = None

    def attempt(self, path: Path, size: int) -> None:
        """A new attempt appends to ``path``, which holds ``size`` bytes already."""
        fd = os.open(path, os.O_RDONLY | os.O_CLOEXEC)
        with self._cv:
            self._fds.append(fd)
            self.size = size
            self._cv.notify_all()

    def wrote(self, size: int) -> None:
        with self._cv:
            self.size = size
            self._cv.notify_all()

    def finish(self, error: BaseException | None = None) -> None:
        with self._cv:
            self.done = error is None
            self.error = error
            self._cv.notify_all()

    def wait_past(self, pos: int) -> tuple[int, int] | None:
        """(fd, bytes readable at ``pos``) once there are some; None at the verified end."""
        with self._cv:
            while True:
                if self.error is not None:
                    raise self.error
                if self._fds and self.size > pos:
                    return self._fds[-1], self.size - pos
                if self.done:
                    if not self._fds:
                        raise NothingToFollow()
                    return None
                self._cv.wait()

    def close(self) -> None:
        with self._cv:
            for fd in self._fds:
                os.close(fd)
            self._fds.clear()


class Follower:
    """A read-only stream of the blob as :class:`BlobProgress` reports it written."""

    def __init__(self, progress: BlobProgress) -> None:
        self._p = progress
        self.pos = 0

    def read(self, n: int = -1) -> bytes:
        while True:
            ready = self._p.wait_past(self.pos)
            if ready is None:
                return b""
            fd, avail = ready
            data = os.pread(fd, min(avail, n if n is not None and n >= 0 else CHUNK), self.pos)
            if data:
                self.pos += len(data)
                return data
            time.sleep(0.001)  # cut short by an attempt starting over: it reports size 0 next
