"""Resumable blob downloads: ``<root>/ingest/partial-<hex>`` keeps what arrived.

A :class:`PartialWriter` appends to the partial file of one expected digest. Leaving its
block because the connection broke (Unavailable, OSError) keeps the bytes, and a retry
asks the registry for the rest with a Range request; a failed verification or
:meth:`PartialWriter.restart` drops them. The hash state of a kept prefix is remembered
in memory beside it (hashlib has no serialised form); after a daemon restart the prefix
is hashed again from disk, once. Garbage collection removes partial files with the rest
of ``ingest/``.
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pallet.content.store import BlobWriter
from pallet.errors import Unavailable
from pallet.oci.digest import CHUNK, Digest

if TYPE_CHECKING:
    from pallet.content.store import LocalContentStore

_states: dict[str, tuple[int, Any]] = {}  # partial path -> (size, sha256 state)
_guard = threading.Lock()


class PartialWriter(BlobWriter):
    """A :class:`BlobWriter` that resumes ``partial-<hex>`` of ``digest``; one per digest."""

    def __init__(self, store: LocalContentStore, digest: str) -> None:
        self._store = store
        store.ingest_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
        self._tmp = store.ingest_dir / f"partial-{Digest(digest).hex}"
        self._f = open(self._tmp, "ab")  # noqa: SIM115 - closed by commit/abort/keep
        self.done = False
        self.size = self._f.tell()
        with _guard:
            known = _states.pop(str(self._tmp), None)
        if known is not None and known[0] == self.size:
            self._h = known[1]
        else:
            self._h = hashlib.sha256()
            self._rehash()
        self.resumed = self.size

    @property
    def path(self) -> Path:
        """The partial file (renamed into the store by :meth:`commit`)."""
        return self._tmp

    def _rehash(self) -> None:
        with open(self._tmp, "rb") as f:
            left = self.size
            while left > 0 and (chunk := f.read(min(CHUNK, left))):
                self._h.update(chunk)
                left -= len(chunk)

    def restart(self) -> None:
        """Drop the kept prefix (the server sent the whole blob, not the rest)."""
        self._f.seek(0)
        self._f.truncate()
        self._h = hashlib.sha256()
        self.size = 0

    def __enter__(self) -> PartialWriter:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.done:
            return
        if isinstance(exc[1], Unavailable | OSError) and self.size > 0:
            self.keep()  # the connection broke: what arrived is worth keeping
        else:
            self.abort()

    def keep(self) -> None:
        """Close, leaving the bytes and their hash state for the next attempt."""
        self.done = True
        with contextlib.suppress(OSError):
            self._f.flush()
            self._f.close()
        with _guard:
            _states[str(self._tmp)] = (self.size, self._h.copy())
