"""Container root filesystems: a writable snapshot on top of the image's layers."""

from __future__ import annotations

from contextlib import AbstractAsyncContextManager
from pathlib import Path

from pallet.images.service import ImageService
from pallet.snapshots.mount import mount_all, unmount


class SnapshotRootfs:
    def __init__(self, images: ImageService) -> None:
        self.images = images

    def prepare(self, cid: str, image_id: str) -> None:
        self.images.rootfs_mounts(self.images.resolve(image_id), cid)

    def guard(self) -> AbstractAsyncContextManager[None]:
        return self.images.gate.held()

    def mount(self, cid: str, target: Path) -> None:
        mount_all(self.images.snapshotter.mounts(cid), target)

    def unmount(self, target: Path) -> None:
        unmount(target)

    def release(self, cid: str) -> None:
        self.images.release(cid)

    def usage(self, cid: str) -> int:
        try:
            return int(self.images.snapshotter.usage(cid).size)
        except Exception:
            return 0
