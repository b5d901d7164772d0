"""A layer's uncompressed tar read ahead in a thread: decompression and sha256 off the parser.

:class:`PipedReader` runs :func:`~pallet.oci.layerstream.open_uncompressed` in a
thread of its own and the diff_id hash in another
(:class:`~pallet.oci.layerstream.ThreadedHash`; igzip, zlib, zstd and hashlib release
the GIL on large buffers), a few chunks ahead of the tar parser that calls
:meth:`PipedReader.read`.
A decode error in the thread is raised by the consumer's next read; :meth:`close`
stops the thread when the consumer gives up early.
"""

from __future__ import annotations

import queue
import threading
from typing import IO

from pallet.oci.digest import CHUNK
from pallet.oci.layerstream import ThreadedHash, drain, open_uncompressed

DEPTH = 8  # chunks read ahead
_POLL = 0.1  # seconds between checks of the stop flag while the queue is full


class PipedReader:
    """Reads the (possibly compressed) ``src`` in a thread; ``read`` gives the tar bytes."""

    def __init__(self, src: IO[bytes], chunk: int = CHUNK) -> None:
        self._q: queue.Queue[bytes | BaseException | None] = queue.Queue(maxsize=DEPTH)
        self._item = b""  # the chunk being read, from ``_off`` on
        self._off = 0
        self._done = False
        self._stop = threading.Event()
        self._hash = ThreadedHash()
        self._thread = threading.Thread(target=self._run, args=(src, chunk),
                                        name="layer-read", daemon=True)
        self._thread.start()

    def _run(self, src: IO[bytes], chunk: int) -> None:
        item: bytes | BaseException | None
        try:
            stream = open_uncompressed(src)
            while not self._stop.is_set():
                data = stream.read(chunk)
                if not data:
                    break
                self._hash.update(data)
                self._put(data)
            item = None
        except BaseException as e:  # handed to the consumer, raised there
            item = e
        self._put(item)

    def _put(self, item: bytes | BaseException | None) -> None:
        while not self._stop.is_set():
            try:
                self._q.put(item, timeout=_POLL)
                return
            except queue.Full:
                continue

    def read(self, n: int = -1) -> bytes:
        if n is None or n < 0:
            parts = []
            while chunk := self.read(CHUNK):
                parts.append(chunk)
            return b"".join(parts)
        while self._off >= len(self._item) and not self._done:
            item = self._q.get()
            if isinstance(item, BaseException):
                self._done = True
                raise item
            if item is None:
                self._done = True
            else:
                self._item, self._off = item, 0
        item, off = self._item, self._off
        if off == 0 and n >= len(item):  # the whole chunk: no copy
            self._off = len(item)
            return item
        data = item[off:off + n]
        self._off += len(data)
        return data

    def drain(self) -> ThreadedHash:
        """Read to the end; the hash and size of the whole stream."""
        drain(self)
        self._hash.finish()
        return self._hash

    def close(self) -> None:
        self._stop.set()
        while self._thread.is_alive():
            try:
                self._q.get(timeout=_POLL)
            except queue.Empty:
                continue
        self._thread.join()
        self._hash.finish()
