"""A container's root filesystem, mounted on demand for a reader (``cp``, ``export``).

A running container's rootfs is mounted already; a stopped one's is mounted for
the first holder and unmounted after the last, unless the container started
meanwhile. While a hold lasts the mount stays: a container that exits under a
``cp`` or an ``export`` keeps its rootfs mounted until the reader is done (the
exit path asks ``held`` before it unmounts).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections import Counter
from collections.abc import AsyncIterator, Callable
from pathlib import Path

from pallet.snapshots.mount import is_mounted


class RootfsHolds:
    def __init__(self, path_of: Callable[[str], Path], mount: Callable[[str, Path], None],
                 unmount: Callable[[Path], None], running: Callable[[str], bool],
                 is_mount: Callable[[Path], bool] = is_mounted) -> None:
        self._path_of = path_of
        self._is_mount = is_mount
        self._mount = mount
        self._unmount = unmount
        self._running = running
        self._count: Counter[str] = Counter()
        self._lock = asyncio.Lock()

    def path_of(self, cid: str) -> Path:
        """Where ``cid``'s rootfs is mounted (while it runs, or while held)."""
        return self._path_of(cid)

    def held(self, cid: str) -> bool:
        return self._count[cid] > 0

    @contextlib.asynccontextmanager
    async def hold(self, cid: str) -> AsyncIterator[Path]:
        """The mounted rootfs of ``cid`` for the duration of the block."""
        rootfs = self._path_of(cid)
        async with self._lock:
            if not self._is_mount(rootfs):
                rootfs.mkdir(exist_ok=True)
                await asyncio.to_thread(self._mount, cid, rootfs)
            self._count[cid] += 1
        try:
            yield rootfs
        finally:
            async with self._lock:
                self._count[cid] -= 1
                if self._count[cid] <= 0:
                    del self._count[cid]
                    if not self._running(cid) and self._is_mount(rootfs):
                        await asyncio.to_thread(self._unmount, rootfs)
