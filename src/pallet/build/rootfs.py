"""Mounting image root filesystems for build steps that work from the host side
(COPY, ADD, ``COPY --from``, ``RUN --mount=type=bind,from=``)."""

from __future__ import annotations

import contextlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from pallet.images.service import ImageService
from pallet.snapshots.mount import mount_all, unmount


def _tmpdir(scratch: Path, prefix: str) -> Path:
    scratch.mkdir(parents=True, exist_ok=True, mode=0o700)
    d = scratch / f"{prefix}-{secrets.token_hex(6)}"
    d.mkdir(mode=0o700)
    return d


@contextlib.contextmanager
def image_view(images: ImageService, top_chain: str | None, scratch: Path) -> Iterator[Path]:
    """The image's files, read-only, at a temporary mount point."""
    where = _tmpdir(scratch, "view")
    key = f"build-view-{secrets.token_hex(8)}"
    try:
        if top_chain is None:
            yield where
            return
        mounts = images.snapshotter.view(key, top_chain)
        try:
            mount_all(mounts, where)
            try:
                yield where
            finally:
                unmount(where)
        finally:
            images.snapshotter.remove(key)
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(where)  # never rmtree a mount point


@contextlib.contextmanager
def writable(images: ImageService, parent_chain: str | None, scratch: Path) -> Iterator[
    tuple[str, Path]
]:
    """A new active snapshot on ``parent_chain``, mounted: yields (key, mount point).

    After the block the snapshot is unmounted and still exists (commit it with
    ``images.commit.commit_layer``); if the block raises, it is removed.
    """
    where = _tmpdir(scratch, "rw")
    key = f"build-{secrets.token_hex(8)}"
    images.snapshotter.prepare(key, parent_chain)
    try:
        mount_all(images.snapshotter.mounts(key), where)
        try:
            yield key, where
        finally:
            unmount(where, lazy=False)
    except BaseException:
        with contextlib.suppress(Exception):
            images.snapshotter.remove(key)
        raise
    finally:
        with contextlib.suppress(OSError):
            os.rmdir(where)  # never rmtree a mount point
