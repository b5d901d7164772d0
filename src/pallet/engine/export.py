"""``docker export``: a container's merged root filesystem as an uncompressed tar stream.

The tar is made from the container's rootfs mount as the host sees it: the image's
layers plus the container's changes, without what the runtime mounts inside the
container (volumes, ``/proc``, the ``/etc`` files), as Docker exports its RW layer
mount. A stopped container's rootfs is held mounted for the export
(``rootfs_holds``, shared with ``cp``).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
from collections.abc import AsyncIterator

from pallet.engine.containers import ContainerService
from pallet.engine.lifecycle import State
from pallet.errors import Conflict
from pallet.snapshots.diff import write_layer

CHUNK = 1 << 20


class Exporter:
    def __init__(self, containers: ContainerService) -> None:
        self.containers = containers

    async def export(self, ref: str) -> AsyncIterator[bytes]:
        """The tar's chunks; errors (404, 409) come before the first chunk."""
        c = self.containers.resolve(ref)
        if c.status in (State.DEAD, State.REMOVING):
            raise Conflict(f"You cannot export container {c.id} which is {c.status.value}")
        async with self.containers.holds.hold(c.id) as rootfs:
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
