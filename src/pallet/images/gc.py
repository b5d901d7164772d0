"""Mark-and-sweep garbage collection of the image store: snapshots, blobs, ingest.

Roots are the image records (their config, manifest and layer blobs, their layer
chains) and the snapshots the caller keeps (containers' writable layers); a kept
snapshot keeps its parents. Everything else is garbage: ``extract-*`` and
``build-*`` snapshots of operations a crash cut short, committed chains no image
references, blobs no image references (a pull's verified layers included), the
``ingest/`` files of interrupted writers (partial downloads included), the compressed-digest
hints of layers no image has (:mod:`.pushcompress`), and snapshot dirs and links no key
names. :func:`collect` sweeps under the store's :class:`~.gcgate.GcGate`, so it
never sees an operation half-way; :func:`store_bytes` tells how many bytes the
store holds, garbage included (``system df``).
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from pallet.errors import PalletError
from pallet.snapshots.base import Info, disk_usage

if TYPE_CHECKING:
    from pallet.images.service import ImageService

KeepKeys = Callable[[], Iterable[str]]


@dataclass
class Garbage:
    snapshots: list[str] = field(default_factory=list)  # keys, children before parents
    blobs: list[str] = field(default_factory=list)
    ingest: list[Path] = field(default_factory=list)
    hints: list[Path] = field(default_factory=list)  # compressed digests of dead layers


@dataclass(frozen=True)
class Report:
    snapshots: int
    blobs: int
    reclaimed: int  # bytes


def mark(svc: ImageService, keep: Iterable[str]) -> Garbage:
    """What a sweep would delete now."""
    rows = svc.records.all()
    roots = {x.chain_id for row in rows for x in row.layers} | set(keep)
    infos = {i.key: i for i in svc.snapshotter.walk()}
    live: set[str] = set()
    for key in roots:
        while key and key in infos and key not in live:
            live.add(key)
            key = infos[key].parent or ""
    dead = [i for k, i in infos.items() if k not in live]
    out = Garbage(snapshots=[i.key for i in sorted(dead, key=lambda i: -_depth(i, infos))])
    referenced = svc.records.referenced_blobs()
    for blob in svc.content.walk():
        if blob.digest not in referenced:
            out.blobs.append(str(blob.digest))
    ingest = svc.content.ingest_dir
    if ingest.is_dir():
        out.ingest = list(ingest.iterdir())
    from pallet.images.pushcompress import hints

    out.hints = hints(svc).stale(referenced)
    return out


def _depth(info: Info, infos: dict[str, Info]) -> int:
    n = 0
    while info.parent and info.parent in infos and n < 10_000:
        info = infos[info.parent]
        n += 1
    return n


def sweep(svc: ImageService, garbage: Garbage) -> Report:
    """Delete ``garbage`` (call with no operation in flight: see :func:`collect`)."""
    freed = removed = 0
    for key in garbage.snapshots:
        try:
            size = _snapshot_bytes(svc, key)
            svc.snapshotter.remove(key)
        except (PalletError, OSError):
            continue  # gone meanwhile, or a child appeared: the next sweep sees it again
        freed += size
        removed += 1
    blobs = 0
    for digest in garbage.blobs:
        path = svc.content.path(digest)
        size = _allocated(path)
        if svc.content.delete(digest):
            freed += size
            blobs += 1
    for p in garbage.ingest + garbage.hints:
        size = _allocated(p)
        with contextlib.suppress(OSError):
            p.unlink()
            freed += size
    if garbage.hints:
        from pallet.images.pushcompress import hints

        hints(svc).tidy()
    svc.snapshotter.gc()  # dirs and links no key names
    return Report(removed, blobs, freed)


def collect(svc: ImageService, keep: KeepKeys) -> Report | None:
    """Mark and sweep now, or (operations in flight) once the last one ends: None."""
    result: list[Report] = []

    def work() -> None:
        with svc.lock:
            result.append(sweep(svc, mark(svc, keep())))

    return result[0] if svc.gate.sweep(work) else None


def store_bytes(svc: ImageService) -> int:
    """Allocated bytes under the content store and the snapshotter: every file, dir and
    link, garbage included (``system df`` shows this, less containers' own layers)."""
    roots = (svc.content.root, Path(getattr(svc.snapshotter, "root", svc.paths.snapshots)))
    return sum(disk_usage(p).size + _allocated(p) for p in roots if p.exists())


def _snapshot_bytes(svc: ImageService, key: str) -> int:
    try:
        return disk_usage(svc.snapshotter.dir_of(key)).size + _allocated(
            svc.snapshotter.dir_of(key))
    except (PalletError, OSError):
        return 0


def _allocated(path: Path) -> int:
    try:
        return os.lstat(path).st_blocks * 512
    except OSError:
        return 0
