"""``docker export``: a container's merged root filesystem as an uncompressed tar stream.

The tar is made from the container's rootfs mount as the host sees it: the image's
layers plus the container's changes, without what the runtime mounts inside the
container (volumes, ``/proc``, the ``/etc`` files), as Docker exports its RW layer
mount. A stopped container's rootfs is mounted for the export and unmounted after
it (unless the container was started meanwhile); concurrent exports share the mount.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path

from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import State
from pallet.errors import Conflict
from pallet.snapshots.diff import write_layer

CHUNK = 1 << 20


class Exporter:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers
        self._mounted_by_us: Counter[str] = Counter()
        self._lock = asyncio.Lock()

    async def _acquire(self, cid: str) -> Path:
        rootfs = self.containers.rootfs_path(cid)
        async with self._lock:
            if self._mounted_by_us[cid] == 0 and not rootfs.is_mount():
                rootfs.mkdir(exist_ok=True)
                await asyncio.to_thread(self.containers.rootfs.mount, cid, rootfs)
                self._mounted_by_us[cid] += 1
            elif self._mounted_by_us[cid]:
                self._mounted_by_us[cid] += 1
        return rootfs

    async def _release(self, cid: str, rootfs: Path) -> None:
        async with self._lock:
            if self._mounted_by_us[cid] == 0:
                return  # the container's own mount: not ours to undo
            self._mounted_by_us[cid] -= 1
            if self._mounted_by_us[cid]:
                return
            del self._mounted_by_us[cid]
            latest = self.containers.store.get(cid)
            if latest is None or not latest.running:
                await asyncio.to_thread(self.containers.rootfs.unmount, rootfs)

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        """The tar's chunks; errors (404, 409) come before the first chunk."""
        c = self.containers.resolve(ref)
        if c.status in (State.DEAD, State.REMOVING):
            raise Conflict(f"You cannot export container {c.id} which is {c.status.value}")
        rootfs = await self._acquire(c.id)
        try:
            r, w = os.pipe()
            loop = asyncio.get_running_loop()

            def writer() -> None:
                with os.fdopen(w, "wb") as out:
                    write_layer(rootfs, out)

            task = loop.run_in_executor(None, writer)
            reader = os.fdopen(r, "rb")
            try:
                while chunk := await loop.run_in_executor(None, reader.read, CHUNK):
                    yield chunk
                await task
            finally:
                reader.close()  # a writer still going gets EPIPE and ends
                with contextlib.suppress(Exception):
                    await task
        finally:
            await self._release(c.id, rootfs)
