"""Layer byte streams: transparent gzip/zstd decompression and on-the-fly diff_id hashing.

:func:`open_uncompressed` sniffs the magic bytes of a layer blob (gzip, zstd, plain
tar) and :class:`HashingReader` hashes and counts the uncompressed tar
while it is read, so applying or scanning a layer yields its diff_id in one pass.
"""

from __future__ import annotations

import hashlib
import queue
import threading
from typing import IO, Protocol, cast

from pallet.oci import compression
from pallet.oci.digest import CHUNK, Digest


class Readable(Protocol):
    def read(self, n: int = -1, /) -> bytes: ...


class HashingReader:
    """A read-only stream that hashes and counts what passes through it."""

    def __init__(self, raw: IO[bytes]) -> None:
        self._raw = raw
        self._h = hashlib.sha256()
        self.size = 0

    def read(self, n: int = -1) -> bytes:
        data = self._raw.read(n)
        self._h.update(data)
        self.size += len(data)
        return data

    def drain(self) -> None:
        drain(self)

    @property
    def digest(self) -> Digest:
        return Digest.from_hex(self._h.hexdigest())


class ThreadedHash:
    """sha256 and size of what is handed to :meth:`update`, computed on a thread of its own
    (hashlib releases the GIL on large buffers: it runs beside the decompressor)."""

    def __init__(self, depth: int = 16) -> None:
        self._q: queue.Queue[bytes | None] = queue.Queue(maxsize=depth)
        self._h = hashlib.sha256()
        self.size = 0
        self._thread: threading.Thread | None = threading.Thread(
            target=self._run, name="layer-hash", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while (data := self._q.get()) is not None:
            self._h.update(data)
            self.size += len(data)

    def update(self, data: bytes) -> None:
        self._q.put(data)

    def finish(self) -> None:
        """Wait until everything handed over is hashed (the thread never blocks: this
        returns)."""
        if self._thread is not None:
            self._q.put(None)
            self._thread.join()
            self._thread = None

    @property
    def digest(self) -> Digest:
        return Digest.from_hex(self._h.hexdigest())


def drain(stream: Readable) -> None:
    """Read ``stream`` to its end."""
    while stream.read(CHUNK):
        pass


class Prefixed:
    """``head`` followed by the rest of ``raw``: sniff magic bytes without seek or peek."""

    def __init__(self, head: bytes, raw: IO[bytes]) -> None:
        self._head = head
        self._raw = raw

    def read(self, n: int = -1) -> bytes:
        if not self._head:
            return self._raw.read(n)
        if n is None or n < 0:
            data, self._head = self._head + self._raw.read(), b""
            return data
        data, self._head = self._head[:n], self._head[n:]
        return data

    def readinto(self, buf: bytearray | memoryview) -> int:
        data = self.read(len(buf))
        buf[:len(data)] = data
        return len(data)


def open_uncompressed(f: IO[bytes]) -> IO[bytes]:
    """Wrap ``f`` so that reads give the uncompressed tar (gzip or zstd detected by magic)."""
    head = b""
    while len(head) < 4:
        chunk = f.read(4 - len(head))
        if not chunk:
            break
        head += chunk
    stream = cast(IO[bytes], Prefixed(head, f))
    if head == compression.ZSTD_MAGIC:
        return compression.unzstd_reader(stream)
    if head[:2] == compression.GZIP_MAGIC:
        return compression.gunzip_reader(stream)
    return stream


def decompresses(stream: IO[bytes]) -> bool:
    """Whether ``stream`` (from :func:`open_uncompressed`) decompresses its source."""
    return not isinstance(stream, Prefixed)
