"""Push a plain-tar layer compressed: compressed once, streamed, its digest remembered.

A layer stored uncompressed (bootstrapped, committed, built) is compressed while it
is uploaded: the blob is read in 1 MiB chunks, compressed (:mod:`pallet.oci.compression`)
and sent as one streamed PATCH whose digest is known only at its end; the final PUT
names it. The compressed digest and size are recorded in ``<content>/compressed/<codec
key>/<layer hex>`` (a hint, never trusted for content: the registry's HEAD decides), so
pushing the same layer again is one HEAD ("Layer already exists") and a mount from a
sibling repository works as for any blob. Nothing is stored but the hint: the compressed
bytes go to the registry only. Garbage collection drops the hints of layers it removes.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, TYPE_CHECKING, Protocol

import msgspec

from pallet.oci.compression import Compression, compressor
from pallet.oci.digest import CHUNK, Digest

if TYPE_CHECKING:
    from pallet.images.service import ImageService

Say = Callable[..., None]


class Hint(msgspec.Struct, frozen=True):
    digest: str
    size: int


class StreamTarget(Protocol):
    def blob_size(self, repo: str, digest: str, scope: str | None = None) -> int | None: ...
    def mount_blob(self, repo: str, digest: str, from_repo: str) -> bool: ...
    def upload_stream(self, repo: str, body: Streamed) -> None: ...


class Streamed(Protocol):
    """Chunks whose digest is known once they have all been read."""

    def __iter__(self) -> Iterator[bytes]: ...
    @property
    def digest(self) -> str: ...


class Hints:
    """``(codec key, layer digest) -> compressed digest and size``, one small file each."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str, digest: str) -> Path:
        return self.root / key / Digest(digest).hex

    def get(self, key: str, digest: str) -> Hint | None:
        try:
            return msgspec.json.decode(self._path(key, digest).read_bytes(), type=Hint)
        except (OSError, msgspec.DecodeError):
            return None

    def stale(self, live: set[str]) -> list[Path]:
        """Hint files of layers whose blob is not in ``live`` (for garbage collection)."""
        if not self.root.is_dir():
            return []
        return [p for d in self.root.iterdir() if d.is_dir() for p in d.iterdir()
                if f"sha256:{p.name}" not in live]

    def tidy(self) -> None:
        """Remove directories left empty (after a garbage collection)."""
        dirs = [d for d in self.root.iterdir() if d.is_dir()] if self.root.is_dir() else []
        for d in [*dirs, self.root]:
            with contextlib.suppress(OSError):
                d.rmdir()  # only when empty

    def put(self, key: str, digest: str, hint: Hint) -> None:
        path = self._path(key, digest)
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".hint-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(msgspec.json.encode(hint))
            os.replace(tmp, path)
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                os.unlink(tmp)
            raise


def hints(svc: ImageService) -> Hints:
    return Hints(svc.content.root / "compressed")


class _Compressing:
    """The compressed chunks of a blob, hashed and counted as they are produced."""

    def __init__(self, src: IO[bytes], c: Compression, progress: Callable[[int], None]) -> None:
        self.src = src
        self.c = c
        self.progress = progress
        self.h = hashlib.sha256()
        self.size = 0

    def __iter__(self) -> Iterator[bytes]:
        z = compressor(self.c)
        while data := self.src.read(CHUNK):
            self.progress(len(data))
            out = z.compress(data)
            if out:
                yield self._count(out)
        yield self._count(z.flush())

    def _count(self, out: bytes) -> bytes:
        self.h.update(out)
        self.size += len(out)
        return out

    @property
    def digest(self) -> str:
        return f"sha256:{self.h.hexdigest()}"


def push_compressed(svc: ImageService, client: StreamTarget, repo: str, layer: str,
                    c: Compression, sources: list[str], say: Say,
                    progress: Callable[[int], None]) -> Hint:
    """Make sure the registry has ``layer`` compressed with ``c``; its (digest, size)."""
    store = hints(svc)
    hint = store.get(c.key, layer)
    if hint is not None:
        if client.blob_size(repo, hint.digest, f"repository:{repo}:pull,push") is not None:
            say("Layer already exists")
            return hint
        for src in sources:
            if client.mount_blob(repo, hint.digest, src):
                say(f"Mounted from {src}")
                return hint
    with svc.content.open(layer) as f:
        body = _Compressing(f, c, progress)
        client.upload_stream(repo, body)
    hint = Hint(str(body.digest), body.size)
    store.put(c.key, layer, hint)
    say("Pushed")
    return hint
