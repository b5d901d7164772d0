"""Content-addressed blob store: ``<root>/blobs/sha256/<hex>``.

Writers hash while writing into ``<root>/ingest/``; ``commit`` checks the
expected digest and size, then publishes with one rename. A blob on disk is
therefore always complete and named by its own digest.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, TYPE_CHECKING, BinaryIO, Protocol

from pallet.errors import DataCorruption, NotFound
from pallet.oci.digest import CHUNK, Digest, is_hex64

if TYPE_CHECKING:
    from pallet.content.partial import PartialWriter


@dataclass(frozen=True)
class BlobInfo:
    digest: Digest
    size: int


class ContentStore(Protocol):
    def info(self, digest: str) -> BlobInfo: ...
    def open(self, digest: str) -> BinaryIO: ...
    def path(self, digest: str) -> Path: ...
    def exists(self, digest: str) -> bool: ...
    def writer(self) -> BlobWriter: ...
    def delete(self, digest: str) -> bool: ...
    def walk(self) -> Iterator[BlobInfo]: ...


class BlobWriter:
    """Write bytes, then :meth:`commit` (verify + publish) or :meth:`abort`.

    Use as a context manager: leaving the block without a commit aborts.
    """

    def __init__(self, store: LocalContentStore) -> None:
        self._store = store
        store.ingest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=store.ingest_dir, prefix="ingest-")
        self._tmp = Path(tmp)
        self._f = os.fdopen(fd, "wb")
        self._h = hashlib.sha256()
        self.size = 0
        self.done = False

    def __enter__(self) -> BlobWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if not self.done:
            self.abort()

    def write(self, data: bytes) -> int:
        self._f.write(data)
        self._h.update(data)
        self.size += len(data)
        return len(data)

    def flush(self) -> None:
        """Hand what was written to the OS (a reader of the file sees it)."""
        self._f.flush()

    def copy_from(self, src: IO[bytes], limit: int | None = None) -> int:
        """Copy ``src`` (up to ``limit`` bytes) in 1 MiB chunks; returns bytes copied."""
        n = 0
        while limit is None or n < limit:
            chunk = src.read(CHUNK if limit is None else min(CHUNK, limit - n))
            if not chunk:
                break
            self.write(chunk)
            n += len(chunk)
        return n

    @property
    def digest(self) -> Digest:
        return Digest.from_hex(self._h.hexdigest())

    def commit(
        self, expected_digest: str | None = None, expected_size: int | None = None
    ) -> Digest:
        """Verify and publish; returns the digest. A mismatch raises DataCorruption."""
        try:
            digest = self.digest
            if expected_size is not None and expected_size != self.size:
                raise DataCorruption(
                    f"blob {expected_digest or digest}: size {self.size}, expected {expected_size}"
                )
            if expected_digest is not None and expected_digest != digest:
                raise DataCorruption(
                    f"blob digest mismatch: got {digest}, expected {expected_digest}"
                )
            self._f.flush()
            os.fsync(self._f.fileno())
            os.fchmod(self._f.fileno(), 0o400)  # read-only, root's alone
            self._f.close()
            final = self._store.path(digest)
            final.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
            os.replace(self._tmp, final)
            self.done = True
            return digest
        except BaseException:
            self.abort()
            raise

    def abort(self) -> None:
        self.done = True
        with contextlib.suppress(OSError):
            self._f.close()
        with contextlib.suppress(FileNotFoundError):
            self._tmp.unlink()


class LocalContentStore:
    """The filesystem implementation of :class:`ContentStore`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.blobs = root / "blobs" / "sha256"
        self.ingest_dir = root / "ingest"
        self.blobs.mkdir(parents=True, exist_ok=True, mode=0o700)

    def path(self, digest: str) -> Path:
        return self.blobs / Digest(digest).hex

    def exists(self, digest: str) -> bool:
        return self.path(digest).is_file()

    def info(self, digest: str) -> BlobInfo:
        try:
            st = self.path(digest).stat()
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None
        return BlobInfo(Digest(digest), st.st_size)

    def open(self, digest: str) -> BinaryIO:
        try:
            return open(self.path(digest), "rb")
        except FileNotFoundError:
            raise NotFound(f"blob {digest} not found") from None

    def read(self, digest: str, verify: bool = True) -> bytes:
        """The whole blob (small objects: configs, manifests), verified."""
        with self.open(digest) as f:
            data = f.read()
        if verify and hashlib.sha256(data).hexdigest() != Digest(digest).hex:
            raise DataCorruption(f"blob {digest} is corrupt")
        return data

    def writer(self) -> BlobWriter:
        return BlobWriter(self)

    def partial(self, digest: str) -> PartialWriter:
        """A writer resuming an interrupted download of ``digest``
        (:class:`~pallet.content.partial.PartialWriter`)."""
        from pallet.content.partial import PartialWriter

        return PartialWriter(self, digest)

    def write_bytes(self, data: bytes, expected_digest: str | None = None) -> Digest:
        with self.writer() as w:
            w.write(data)
            return w.commit(expected_digest, None)

    def delete(self, digest: str) -> bool:
        try:
            self.path(digest).unlink()
            return True
        except FileNotFoundError:
            return False

    def walk(self) -> Iterator[BlobInfo]:
        with os.scandir(self.blobs) as it:
            for e in it:
                if is_hex64(e.name) and e.is_file(follow_symlinks=False):
                    yield BlobInfo(Digest.from_hex(e.name), e.stat(follow_symlinks=False).st_size)
